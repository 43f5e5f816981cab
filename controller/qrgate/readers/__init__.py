"""Code readers that are not cameras: serial 2D scanner modules and USB keyboard-wedge scanners.

Each reader runs its own thread, calls `on_code(text, now)` once per code, and reports
its device through `when_changed(ok, reason)` as a camera lane does.
"""
