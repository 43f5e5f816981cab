"""SitePages: the managers' pages of the site server, as one ASGI app the server mounts at "/".

    GET /               -> /manage
    GET /login          the login form (public; it posts to the server's login endpoint)
    GET /manage         the managers' page: counts, occupancy chart, alarms, tracing for tracers
    GET /manage/events  server-sent events: one message per batch ingest stored (live.py)
    GET /site-static/*  the pages' scripts and styles, served here (no CDN)

Who is asking is the server's business: `user_of(request)` returns its user (with `.name` and
`.role`) or None. A page without a login is refused: /manage sends the browser to /login, the
stream answers 401. The live stream listens on the server's EventBus (`bus`). The security
headers (web/server.py's SecurityHeaders: a Content-Security-Policy without inline script or
anything from elsewhere; on a loopback bind, another Host refused) wrap the whole app, pages
and API alike, where the server is served (`qrgate site serve`, gatesim's SimSiteServer).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import live

STATIC = Path(__file__).parent / "static"
#: roles that may open the managers' page (a tracer and an admin see the reports too)
PAGE_ROLES = frozenset({"manager", "tracer", "admin"})
NO_STORE = {"Cache-Control": "no-store"}


class SitePages:
    def __init__(self, user_of: Callable[[Request], Any], bus):
        self.user_of = user_of
        self.bus = bus
        self.asgi = self._routes()

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
        return Starlette(routes=routes)

    async def _user(self, request: Request):
        user = await run_in_threadpool(self.user_of, request)  # a database read
        return user if user is not None and getattr(user, "role", None) in PAGE_ROLES else None

    async def home(self, request: Request) -> Response:
        return RedirectResponse("/manage", status_code=303)

    async def login_page(self, request: Request) -> Response:
        return FileResponse(STATIC / "login.html", headers=NO_STORE)

    async def manager_page(self, request: Request) -> Response:
        if await self._user(request) is None:
            return RedirectResponse("/login", status_code=303)
        return FileResponse(STATIC / "manager.html", headers=NO_STORE)

    async def events(self, request: Request) -> Response:
        user = await self._user(request)
        if user is None:
            return JSONResponse({"detail": "log in first"}, status_code=401)  # as the API says it
        async def allowed() -> bool:
            return await self._user(request) is not None

        return StreamingResponse(live.stream(self.bus, {"role": user.role}, request.is_disconnected, allowed),
                                 media_type="text/event-stream", headers=NO_STORE)
