"""The gate's own web pages: the visitor's screen at `/`, the guard's console at `/console`,
and the local action API that `qrgate gate ...` talks to (docs/gate-screen.md)."""
