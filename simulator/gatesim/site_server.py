"""A site server in this process, beside simulated gates: create_app, MQTT ingest and uvicorn in
its own thread, on SQLite. For `qrgate sim` (make demo), the tests and the benches; production
runs `qrgate site serve`.

The HTTP socket is bound before the thread starts, so a port in use is one clear error at start.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from pathlib import Path

import uvicorn

from qrgate.errors import QrgateError
from qrgate.web.server import SecurityHeaders

START_TIMEOUT = 10.0


class SimSiteServer:
    def __init__(self, workdir: Path, broker_host: str, broker_port: int, sites: list[str], *,
                 tz: str = "Asia/Ho_Chi_Minh", http_port: int = 0, users: dict[str, tuple[str, str]] | None = None,
                 secret_file: str | None = None, register: dict | None = None, pass_key: str | None = None):
        """users: name -> (role, password), added before the server starts; secret_file: the sites'
        pseudonym secret (as their gates'), register: the [pass_register] table, for tracing by pass id
        and re-identification; pass_key with secret_file: the declaration form at /declare."""
        from qrgate.server.config import ServerConfig

        self.cfg = ServerConfig.model_validate({
            "database": {"url": f"sqlite:///{Path(workdir) / 'site.db'}"},
            "mqtt": {"host": broker_host, "port": broker_port, "client_id": f"qrgate-site-{uuid.uuid4().hex[:8]}"},
            "sites": [{"id": site, "tz": tz, "secret_file": secret_file} for site in sites],
            "pass_register": register or {},
            "keys": {"pass_key": pass_key},
        })
        self.users = users or {}
        self.http_port = http_port  # 0: any free port (the config's own must be a real one)
        self.url = ""
        self.app = None
        self._ingest = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "SimSiteServer":
        from qrgate.server.app import create_app
        from qrgate.server.ingest import Ingest

        self.app = create_app(self.cfg)
        # as `qrgate site serve` does: CSP, nosniff, no framing, and only 127.0.0.1 by name (the
        # server binds nothing else here)
        self.app.add_middleware(SecurityHeaders, loopback_only=True)
        for name, (role, password) in self.users.items():
            self.app.state.auth.add_user(name, role, password, time.time())
        sock = _bind(self.cfg.http.host, self.http_port)
        self.url = f"http://{self.cfg.http.host}:{sock.getsockname()[1]}"
        self._ingest = Ingest(self.cfg, self.app.state.db, self.app.state.bus)
        self._ingest.start()
        if not self._ingest.connected.wait(START_TIMEOUT):  # what gates publish from now on is stored
            self.stop()
            raise QrgateError(f"the site server did not subscribe at the broker {self.cfg.mqtt.host}:"
                              f"{self.cfg.mqtt.port} within {START_TIMEOUT:g} s")
        self._server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="on",
                                                     timeout_graceful_shutdown=1, http="h11", ws="none"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, name="site-server",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self._server.started:
            self.stop()
            raise QrgateError(f"the site server did not start on {self.url}")
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(START_TIMEOUT)
        if self._ingest is not None:
            self._ingest.stop()
        if self.app is not None:
            self.app.state.db.close()


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise QrgateError(f"cannot serve the site server on {host}:{port}: {exc.strerror}") from None
    sock.listen(64)
    return sock
