"""The guard's desk for visitors without a smartphone, for the gate's console to mount.

The guard scans the visitor's CCCD card at the gate's reader (or a handheld scanner types it
into the console), takes a phone number, asks the site's questions, and prints the day pass
on paper. The card is checked as the gate checks it (credentials.cccd) and gives the name,
birth date and number; the declaration is stored like a phone's, marked `via guard` with the
guard's name, so the server's report lists these visitors per day.

    GET  /console/declare                the desk's page (its script: /console/declare.js)
    POST /console/api/declaration        {"card"?: text, "phone", "answers": {id: "yes"|"no"}, "lang"}
                                         no "card": the last CCCD scanned at this gate (2 minutes)
    GET  /console/api/declaration/{pass_id}.png   the printed card sheet

The console passes its own `guarded(request) -> (session, refusal)`, so login and CSRF are
the console's; the last card is kept in memory only, for LAST_CARD_SECONDS.
"""

from __future__ import annotations

import collections
import html
import io
import logging
import threading
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ...credentials import cccd
from ...credentials.paper import Card, render_sheets
from ...credentials.trust import TrustStore
from .form import validate
from .service import DeclarationService
from .texts import text

log = logging.getLogger(__name__)

LAST_CARD_SECONDS = 120
SHEETS_KEPT = 20
MAX_BODY = 8192


class DeskError(Exception):
    """What the guard sent cannot be declared; the message is for the guard."""


class DeskUnavailable(DeskError):
    """The declarations' database cannot be used now; the message names it and says why."""


class GuardDesk:
    """`service` is the DeclarationService, or a callable giving it (a gate reaches the site
    server's database when the guard uses the desk: web/declaration_desk.py) that raises
    DeskUnavailable while it cannot."""

    def __init__(self, service: DeclarationService | Callable[[], DeclarationService], trust: TrustStore,
                 guarded: Callable[[Request], tuple[object, Response | None]], clock: Callable[[], float] = time.time):
        self._service = service if callable(service) else (lambda: service)
        self.trust, self.guarded, self.clock = trust, guarded, clock
        self._last: tuple[str, float] | None = None
        self._lock = threading.Lock()
        self.sheets: collections.OrderedDict[str, bytes] = collections.OrderedDict()

    def on_outcome(self, outcome) -> None:
        """A gate listener (GateController.listeners): keeps the last CCCD card read, in memory."""
        if outcome.verification.format == cccd.FORMAT and outcome.verification.valid:
            with self._lock:
                self._last = (outcome.scan.text, outcome.scan.at)

    @property
    def service(self) -> DeclarationService:
        return self._service()

    def _card(self, given: str, now: float) -> str:
        if given:
            return given
        with self._lock:
            last, self._last = self._last, None
        if last is None or now - last[1] > LAST_CARD_SECONDS:
            raise DeskError("scan the visitor's CCCD card at the gate's reader first")
        return last[0]

    def declare(self, body: dict, guard: str, now: float) -> dict:
        service = self.service  # before the card is taken: a desk that cannot declare keeps it
        card = self._card(str(body.get("card") or ""), now)
        checked = cccd.verify(card, self.trust, now)
        if not checked.valid:
            raise DeskError(f"the CCCD card was not accepted ({checked.reason}); check it by eye")
        personal = cccd.personal_fields(card)
        number = cid_number(card)
        answers = body.get("answers") if isinstance(body.get("answers"), dict) else {}
        fields = {"name": personal["name"], "birth": personal["birth"] or "", "cccd": number,
                  "phone": str(body.get("phone") or ""), "consent": "yes" if body.get("consent") else "",
                  "lang": str(body.get("lang") or "vi"),
                  **{f"q_{k}": str(v) for k, v in answers.items() if isinstance(k, str)}}
        declaration, errors = validate(fields, service.settings.questions, service.today(now))
        if errors:
            lang = fields["lang"] if fields["lang"] in ("vi", "en") else "vi"
            return {"ok": False, "errors": {f: text(code, lang) for f, code in errors.items()}}
        outcome = service.declare(declaration, now, via="guard", guard=guard)
        answer = {"ok": True, "passed": outcome.passed, "reasons": list(outcome.reasons), "again": outcome.again}
        if outcome.passed:
            from .daypass import day_end

            page = render_sheets([Card(outcome.pass_text, outcome.pass_id, "health_declaration", int(now),
                                       day_end(service.today(now), service.settings.timezone))],
                                 ZoneInfo(service.settings.timezone))[0]
            buf = io.BytesIO()
            page.save(buf, format="PNG")
            self.sheets[outcome.pass_id] = buf.getvalue()
            while len(self.sheets) > SHEETS_KEPT:
                self.sheets.popitem(last=False)
            answer.update(pass_id=outcome.pass_id, sheet=f"/console/api/declaration/{outcome.pass_id}.png")
        else:
            answer["todo"] = {lang: text("refused_todo", lang) for lang in ("vi", "en")}
        return answer

    async def post(self, request: Request) -> Response:
        session, refusal = self.guarded(request)
        if refusal:
            return refusal
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return JSONResponse({"ok": False, "error": "the request is too large"}, 413)
        try:
            import json

            body = json.loads(raw)
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            return JSONResponse({"ok": False, "error": "send a JSON object"}, 400)
        try:
            answer = await run_in_threadpool(self.declare, body, session.guard, self.clock())
        except DeskError as exc:
            return JSONResponse({"ok": False, "error": str(exc)}, 503 if isinstance(exc, DeskUnavailable) else 400)
        except SQLAlchemyError as exc:  # the database went away after the desk reached it
            log.error("guard desk: the declarations' database failed: %s", type(exc).__name__)
            return JSONResponse({"ok": False, "error": "the site server's database did not take the declaration "
                                 f"({type(exc).__name__}); declare again (a stored pass comes back, not a second one)"}, 503)
        log.info("guard %s declared a visitor: %s", session.guard, "pass" if answer.get("passed") else "not passed")
        return JSONResponse(answer)

    async def sheet(self, request: Request) -> Response:
        _session, refusal = self.guarded(request)
        if refusal:
            return refusal
        png = self.sheets.get(request.path_params["pass_id"])
        if png is None:
            return JSONResponse({"ok": False, "error": "no such sheet (the last 20 are kept)"}, 404)
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    async def page(self, request: Request) -> Response:
        _session, refusal = self.guarded(request)
        if refusal:
            return RedirectResponse("/console/login", status_code=303)
        try:
            questions = (await run_in_threadpool(lambda: self.service)).settings.questions
        except DeskUnavailable as exc:
            return HTMLResponse(unavailable_page(str(exc)), 503, headers={"Cache-Control": "no-store"})
        return HTMLResponse(desk_page(questions), headers={"Cache-Control": "no-store"})

    async def script(self, request: Request) -> Response:
        return Response(DESK_SCRIPT, media_type="text/javascript", headers={"Cache-Control": "no-store"})

    def routes(self) -> list[Route]:
        return [Route("/console/declare", self.page, methods=["GET"]),
                Route("/console/declare.js", self.script, methods=["GET"]),
                Route("/console/api/declaration", self.post, methods=["POST"]),
                Route("/console/api/declaration/{pass_id:str}.png", self.sheet, methods=["GET"])]


def desk_page(questions) -> str:
    """The desk's form: the card (or the last one the gate read), the phone, the questions, consent."""
    e = lambda value: html.escape(str(value), quote=True)
    rows = "".join(
        f'<p>{e(q.vi)}<br><small>{e(q.en)}</small><br>'
        f'<label><input type="radio" name="q_{e(q.id)}" value="no" checked> Không / No</label> '
        f'<label><input type="radio" name="q_{e(q.id)}" value="yes"> Có / Yes</label></p>' for q in questions)
    return ('<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Khai báo hộ / Declare for a visitor'
            '</title><link rel="stylesheet" href="/static/console.css"></head><body><main>'
            '<h1>Khai báo hộ / Declare for a visitor</h1>'
            '<form id="desk"><p><label>Thẻ CCCD (để trống: thẻ vừa quét ở cổng) / CCCD card (empty: the one just '
            'scanned at the gate)<br><input name="card" autocomplete="off"></label></p>'
            '<p><label>Số điện thoại / Phone<br><input name="phone" type="tel" required></label></p>'
            f'{rows}<p><label><input type="checkbox" name="consent" required> Khách đồng ý / The visitor consents'
            '</label></p><p><button type="submit">Khai báo / Declare</button></p></form>'
            '<p id="answer" role="status"></p><p><img id="sheet" alt="" hidden></p>'
            '<script src="/console/declare.js"></script></main></body></html>')


def unavailable_page(reason: str) -> str:
    """Why the desk cannot take declarations now, as text, in both languages."""
    return ('<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Khai báo hộ / Declare for a visitor'
            '</title><link rel="stylesheet" href="/static/console.css"></head><body><main>'
            '<h1>Chưa khai báo được / Declarations cannot be taken now</h1>'
            f'<p id="answer" role="alert">{html.escape(reason)}</p>'
            '<p>Thử lại sau ít phút, hoặc báo quản trị. / Try again in a few minutes, or tell the administrator.</p>'
            '</main></body></html>')


#: the desk's script: the console's CSRF token from its session, then the JSON POST
DESK_SCRIPT = """"use strict";
const form = document.getElementById("desk"), answer = document.getElementById("answer"),
      sheet = document.getElementById("sheet");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const session = await (await fetch("/console/api/session")).json();
  const data = new FormData(form), answers = {};
  for (const [key, value] of data.entries()) if (key.startsWith("q_")) answers[key.slice(2)] = value;
  const body = {card: data.get("card") || "", phone: data.get("phone") || "", answers,
                consent: data.get("consent") === "on", lang: "vi"};
  const reply = await (await fetch("/console/api/declaration", {method: "POST",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": session.csrf || ""},
    body: JSON.stringify(body)})).json();
  sheet.hidden = true;
  if (reply.error) { answer.textContent = reply.error; return; }
  if (!reply.ok) { answer.textContent = Object.values(reply.errors).join(" "); return; }
  if (reply.passed) {
    answer.textContent = "Đạt: in thẻ / Passed: print the pass (" + reply.pass_id + ")";
    sheet.src = reply.sheet; sheet.hidden = false;
  } else {
    answer.textContent = "Không đạt (" + reply.reasons.join(", ") + "): " + reply.todo.vi + " / " + reply.todo.en;
  }
  form.reset();
});
"""


def cid_number(card: str) -> str:
    from ...credentials import citizen_id as cid

    return cid.strip_scanner_noise(card).split("|")[0]
