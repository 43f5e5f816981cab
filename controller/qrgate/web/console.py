"""The guard's console: login, session, live stream, actions, paper passes.

Every POST needs the session's CSRF token in the X-CSRF-Token header (the login form's token is a
pre-session cookie, checked the same way). Cookies are HttpOnly and SameSite=Strict. Actions go
to GateApp.perform with the guard's name as `by`; a reason is required for each.
"""

from __future__ import annotations

import collections
import logging
import secrets
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse

from ..errors import QrgateError, WebError
from ..policy.reasons import guard_text
from .action_request import action_from
from .config import WebConfig
from .guards import GuardBook
from .hub import CONSOLE, Hub
from .paper_desk import PaperDesk
from .sessions import LoginLimiter, Sessions

log = logging.getLogger(__name__)

SESSION_COOKIE = "qg_session"
LOGIN_COOKIE = "qg_login"
SHEETS_KEPT = 20


def action_answer(result) -> dict:
    return {"ok": result.ok, "reason": result.reason, "event_id": result.event_id,
            "text": {"vi": guard_text(result.reason, "vi"), "en": guard_text(result.reason, "en")}}


def refuse(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


async def json_body(request: Request) -> dict:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise WebError("send the request as application/json")
    try:
        return await request.json()
    except ValueError:
        raise WebError("the request is not valid JSON") from None


class Console:
    def __init__(self, app, cfg: WebConfig, hub: Hub, paper: PaperDesk, static_dir):
        self.app, self.cfg, self.hub, self.paper = app, cfg, hub, paper
        self.static = static_dir
        self.guards = GuardBook(cfg.guards_file)
        self.sessions = Sessions(cfg.session_minutes)
        self.limiter = LoginLimiter()
        self.sheets: collections.OrderedDict[str, bytes] = collections.OrderedDict()

    # -- who is asking --------------------------------------------------------------------------
    def session(self, request: Request):
        return self.sessions.get(request.cookies.get(SESSION_COOKIE), time.time())

    def _csrf_ok(self, request: Request, expected: str | None) -> bool:
        given = request.headers.get("x-csrf-token", "")
        return bool(expected) and secrets.compare_digest(given.encode(), expected.encode())

    def _guarded(self, request: Request):
        """(session, None) for a logged-in guard whose POST carries the CSRF token, else (None, refusal)."""
        session = self.session(request)
        if session is None:
            return None, refuse(401, "log in first")
        if request.method == "POST" and not self._csrf_ok(request, session.csrf):
            return None, refuse(403, "missing or wrong CSRF token; reload the console")
        return session, None

    # -- pages ----------------------------------------------------------------------------------
    async def page(self, request: Request) -> Response:
        if self.session(request) is None:
            return RedirectResponse("/console/login", status_code=303)
        return FileResponse(self.static / "console.html")

    async def login_page(self, request: Request) -> Response:
        return FileResponse(self.static / "login.html")

    async def login_token(self, request: Request) -> Response:
        token = secrets.token_urlsafe(24)
        response = JSONResponse({"csrf": token})
        response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path="/console")
        return response

    async def login(self, request: Request) -> Response:
        if not self._csrf_ok(request, request.cookies.get(LOGIN_COOKIE)):
            return refuse(403, "missing or wrong CSRF token; reload the login page")
        try:
            body = await json_body(request)
        except WebError as exc:
            return refuse(400, str(exc))
        name, password = str(body.get("name") or ""), str(body.get("password") or "")
        now = time.time()
        client = request.client.host if request.client else "?"
        keys = [f"addr:{client}", f"name:{name.lower()}"]
        wait = self.limiter.wait_seconds(keys, now)
        if wait > 0:
            return JSONResponse({"ok": False, "error": f"too many failed logins; try again in {wait:.0f} s"},
                                status_code=429, headers={"Retry-After": str(int(wait) + 1)})
        try:
            good = await run_in_threadpool(self.guards.check, name, password)  # argon2 takes ~50 ms
        except QrgateError as exc:
            log.error("login impossible: %s", exc)
            return refuse(500, str(exc))
        if not good:
            self.limiter.failed(keys, now)
            log.warning("failed console login from %s", client)
            return refuse(401, "wrong name or password")
        self.limiter.succeeded([keys[1]])
        sid, session = self.sessions.open(name, now)
        log.info("guard %s logged in from %s", name, client)
        response = JSONResponse({"ok": True, "guard": name, "csrf": session.csrf})
        # a browser-session cookie: the gate ends the session itself after session_minutes unused
        response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict", path="/")
        response.delete_cookie(LOGIN_COOKIE, path="/console")
        return response

    async def logout(self, request: Request) -> Response:
        session, refusal = self._guarded(request)
        if refusal:
            return refusal
        self.sessions.close(request.cookies.get(SESSION_COOKIE))
        response = JSONResponse({"ok": True})
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # -- data -----------------------------------------------------------------------------------
    async def whoami(self, request: Request) -> Response:
        session, refusal = self._guarded(request)
        if refusal:
            return refusal
        return JSONResponse({"guard": session.guard, "csrf": session.csrf,
                             "pending": hasattr(self.app, "pending"),
                             "paper": {"available": self.paper.available, "problem": self.paper.problem}})

    async def events(self, request: Request) -> Response:
        session, refusal = self._guarded(request)
        if refusal:
            return refusal
        hello = {"type": "hello", "guard": session.guard, "rows": self.hub.history(),
                 **{k: v for k, v in self.hub.status_message().items() if k != "type"}}
        return StreamingResponse(self.hub.stream(CONSOLE, hello, request.is_disconnected),
                                 media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    # -- actions ----------------------------------------------------------------------------------
    async def action(self, request: Request) -> Response:
        session, refusal = self._guarded(request)
        if refusal:
            return refusal
        try:
            action = action_from(await json_body(request), by=session.guard, source="console",
                                 why_required=True)
        except WebError as exc:
            return refuse(400, str(exc))
        result = await run_in_threadpool(self.app.perform, action)
        log.info("guard %s: %s -> %s", session.guard, action.name, result.reason)
        return JSONResponse(action_answer(result))

    async def paper_pass(self, request: Request) -> Response:
        session, refusal = self._guarded(request)
        if refusal:
            return refusal
        try:
            body = await json_body(request)
            pass_id, valid_until, png = await run_in_threadpool(
                self.paper.issue, str(body.get("holder") or ""), str(body.get("label") or ""),
                str(body.get("kind") or "visitor"), time.time())
        except WebError as exc:
            return refuse(400, str(exc))
        self.sheets[pass_id] = png
        while len(self.sheets) > SHEETS_KEPT:
            self.sheets.popitem(last=False)
        log.info("guard %s printed paper pass %s", session.guard, pass_id)
        return JSONResponse({"ok": True, "pass_id": pass_id, "valid_until": valid_until,
                             "sheet": f"/console/api/paper/{pass_id}.png"})

    async def paper_sheet(self, request: Request) -> Response:
        session, refusal = self._guarded(request)
        if refusal:
            return refusal
        png = self.sheets.get(request.path_params["pass_id"])
        if png is None:
            return refuse(404, "no such sheet (sheets are kept for the last 20 passes)")
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
