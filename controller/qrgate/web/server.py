"""GateWebServer: Starlette on uvicorn, in its own thread beside the gate's threads.

The gate's listeners only enqueue (hub.Feed); the server's loop does the rest. The socket is
bound before the thread starts, so a port in use is one clear error at start, not a dead thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import threading
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import WebError
from .config import WebConfig
from .console import Console
from .hub import SCREEN, Hub
from .ledger_view import LedgerView
from .local_api import LocalApi, write_api_file
from .paper_desk import PaperDesk

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
START_TIMEOUT = 10.0
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                 b"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def host_name(header: str) -> str:
    """The name part of a Host header: "127.0.0.1:8080" -> "127.0.0.1", "[::1]:80" -> "[::1]"."""
    if header.startswith("["):
        return header[:header.find("]") + 1]
    return header.rsplit(":", 1)[0] if ":" in header else header


class SecurityHeaders:
    """Every answer forbids scripts from anywhere but the gate, framing and sniffing. On a loopback
    bind, a request naming another host (a web page that rebinds its name to 127.0.0.1) is refused."""

    def __init__(self, app, loopback_only: bool):
        self.app = app
        self.loopback_only = loopback_only

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.loopback_only:
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1").lower()
            if host_name(host) not in LOOPBACK_NAMES:
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"), *SECURITY_HEADERS]})
                await send({"type": "http.response.body", "body": b"this gate answers to 127.0.0.1 only\n"})
                return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": list(message.get("headers", [])) + SECURITY_HEADERS}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise WebError(f"web.host {host!r}: {exc.strerror}") from None
    family, _type, _proto, _name, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(64)
    except OSError as exc:
        sock.close()
        raise WebError(f"cannot serve the gate's pages on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


class GateWebServer:
    def __init__(self, app, cfg: WebConfig):
        self.app = app
        self.cfg = cfg
        self.paper = PaperDesk(cfg.pass_key, cfg.paper_pass_hours, cfg.state_dir, cfg.timezone)
        self.ledger = LedgerView(app.cfg.ledger.path)
        self.hub = Hub(app, self.ledger, self.paper.pass_ids)
        self.console = Console(app, cfg, self.hub, self.paper, STATIC)
        self.api = LocalApi(app, self.hub)
        self.desk = None
        if cfg.declaration_database:
            from .declaration_desk import open_desk  # SQLAlchemy only on a gate that has the desk

            self.desk = open_desk(app, cfg, self.console._guarded)
        self.asgi = SecurityHeaders(self._routes(), loopback_only=_is_loopback(cfg.host))
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def _routes(self) -> Starlette:
        c = self.console
        routes = [
            Route("/", self.screen_page),
            Route("/events/screen", self.screen_events),
            Route("/console", c.page),
            Route("/console/login", c.login_page, methods=["GET"]),
            Route("/console/login", c.login, methods=["POST"]),
            Route("/console/login-token", c.login_token),
            Route("/console/logout", c.logout, methods=["POST"]),
            Route("/console/api/session", c.whoami),
            Route("/console/events", c.events),
            Route("/console/api/action", c.action, methods=["POST"]),
            Route("/console/api/paper", c.paper_pass, methods=["POST"]),
            Route("/console/api/paper/{pass_id:str}.png", c.paper_sheet),
            Route("/api/action", self.api.action, methods=["POST"]),
            Route("/api/status", self.api.status),
            *(self.desk.routes() if self.desk else []),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]
        return Starlette(routes=routes, lifespan=self._lifespan)

    @contextlib.asynccontextmanager
    async def _lifespan(self, _app):
        pump = asyncio.create_task(self.hub.pump(), name="gate-web-pump")
        try:
            yield
        finally:
            pump.cancel()

    # -- the visitor's screen: public, and shows nothing a passer-by may not see ----------------
    async def screen_page(self, request: Request) -> Response:
        return FileResponse(STATIC / "screen.html")

    async def screen_events(self, request: Request) -> Response:
        hello = {"type": "hello", "show_seconds": self.cfg.show_seconds, "mode": self.app.state()["mode"]}
        return StreamingResponse(self.hub.stream(SCREEN, hello, request.is_disconnected),
                                 media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> "GateWebServer":
        sock = _bind(self.cfg.host, self.cfg.port)
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{port}"
        config = uvicorn.Config(self.asgi, log_level="warning", access_log=False, lifespan="on",
                                timeout_graceful_shutdown=1, loop="asyncio", http="h11", ws="none")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name="gate-web", daemon=True)
        self._thread.start()
        pause = threading.Event()
        while not self._server.started and self._thread.is_alive():
            pause.wait(0.01)
        if not self._server.started:
            raise WebError(f"the gate's web server did not start on {self.url}")
        self.app.controller.listeners.append(self.hub.on_outcome)
        if self.desk:  # the desk takes the last CCCD card this gate read
            self.app.controller.listeners.append(self.desk.on_outcome)
        changed = getattr(self.app, "changed", None)
        if changed is not None:
            changed.append(self.hub.on_changed)
        write_api_file(self.cfg.api_file, self.url, self.api.token)
        log.info("gate screen at %s/ and console at %s/console", self.url, self.url)
        return self

    def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.app.controller.listeners.remove(self.hub.on_outcome)
            if self.desk:
                self.app.controller.listeners.remove(self.desk.on_outcome)
        with contextlib.suppress(ValueError, AttributeError):
            self.app.changed.remove(self.hub.on_changed)
        if self._server is not None and self._thread is not None:
            self.hub.feed.call_on_loop(self.hub.close)  # open pages end their streams
            self._server.should_exit = True
            self._thread.join(START_TIMEOUT)
        with contextlib.suppress(OSError):
            if self.cfg.api_file.exists() and _owns(self.cfg.api_file, self.api.token):
                self.cfg.api_file.unlink()
        self.ledger.close()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _owns(path: Path, token: str) -> bool:
    """Another gate process may have written the file since; only our own is removed."""
    import json

    try:
        return json.loads(path.read_text()).get("token") == token
    except (OSError, ValueError):
        return False
