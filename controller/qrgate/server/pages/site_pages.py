"""SitePages: the managers' pages of the site server, as one ASGI app the server mounts at "/".

    GET /               -> /manage
    GET /login          the login form (public; it posts to the server's login endpoint)
    GET /manage         the managers' page: counts, occupancy chart, alarms, tracing for tracers
    GET /manage/events  server-sent events: one message per stored event (live.py)
    GET /site-static/*  the pages' scripts and styles, served here (no CDN)

Who is asking is the server's business: `user_of(request)` returns its user (with `.name` and
`.role`) or None. A page without a login is refused: /manage sends the browser to /login, the
stream answers 401. Every answer carries the gate pages' Content-Security-Policy (no inline
script, nothing from elsewhere).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ...web.server import SecurityHeaders
from .live import LiveBoard

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
#: roles that may open the managers' page (a tracer and an admin see the reports too)
PAGE_ROLES = frozenset({"manager", "tracer", "admin"})
NO_STORE = {"Cache-Control": "no-store"}


class SitePages:
    def __init__(self, user_of: Callable[[Request], Any], *, loopback_only: bool = False,
                 live: LiveBoard | None = None):
        self.user_of = user_of
        self.live = live or LiveBoard()
        self.asgi = SecurityHeaders(self._routes(), loopback_only=loopback_only)

    def on_event(self, event: dict) -> None:
        """For the ingest's listeners: called on its thread after each stored event."""
        self.live.on_event(event)

    async def __call__(self, scope, receive, send):
        await self.asgi(scope, receive, send)

    def _routes(self) -> Starlette:
        routes = [
            Route("/", self.home),
            Route("/login", self.login_page),
            Route("/manage", self.manager_page),
            Route("/manage/events", self.events),
            Mount("/site-static", StaticFiles(directory=STATIC), name="site-static"),
        ]
        return Starlette(routes=routes, lifespan=self._lifespan)

    @contextlib.asynccontextmanager
    async def _lifespan(self, _app):
        async with self.running():
            yield

    @contextlib.asynccontextmanager
    async def running(self):
        """The live pump, for the server's own lifespan (a mounted app's lifespan does not run)."""
        import asyncio

        pump = asyncio.create_task(self.live.pump(), name="site-pages-live")
        try:
            yield
        finally:
            self.live.close()
            pump.cancel()

    def _user(self, request: Request):
        user = self.user_of(request)
        return user if user is not None and getattr(user, "role", None) in PAGE_ROLES else None

    async def home(self, request: Request) -> Response:
        return RedirectResponse("/manage", status_code=303)

    async def login_page(self, request: Request) -> Response:
        return FileResponse(STATIC / "login.html", headers=NO_STORE)

    async def manager_page(self, request: Request) -> Response:
        if self._user(request) is None:
            return RedirectResponse("/login", status_code=303)
        return FileResponse(STATIC / "manager.html", headers=NO_STORE)

    async def events(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return JSONResponse({"ok": False, "error": "log in first"}, status_code=401)
        return StreamingResponse(self.live.stream({"role": user.role}, request.is_disconnected),
                                 media_type="text/event-stream", headers=NO_STORE)
