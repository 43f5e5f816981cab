"""The visitor's form, served by the site server under /declare (a Starlette app to mount).

    GET  /            the form (?lang=vi|en), plain HTML that works without JavaScript
    POST /            the form posted (application/x-www-form-urlencoded): the pass, the refusal
                      or the form again with its errors
    POST /api/declarations   the same as JSON, for scripts and the schema tests
    GET  /openapi.json       the API's schema
    GET  /form.css           the page's style (the site server's CSP allows no inline style)
    GET  /pass/{pass id}-{mac}.png   the day pass image (the mac: keyed with the site secret, so only
                                     the page that showed the pass has its address)

Bodies over settings.max_body_bytes are refused (413), submissions are rate limited per
address and per phone (429), and every value shown is escaped (html.escape).
"""

from __future__ import annotations

import base64
import hmac
import html
import json
import re
import logging
import time
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ...pseudonym import pseudonym
from .form import lang_of, validate
from .images import pass_png
from . import store
from .ratelimit import WindowLimit
from .service import DeclarationService, Outcome
from .texts import text

log = logging.getLogger(__name__)

FIELDS = ("name", "birth", "phone", "cccd")
PURGE_EVERY_SECONDS = 3600
HEADERS = {"Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'self'; "
                                      "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
STYLE = """body{font-family:sans-serif;margin:0 auto;max-width:36em;padding:1em;line-height:1.4}
label{display:block;margin-top:.8em;font-weight:bold}input[type=text],input[type=tel],input[type=date]
{width:100%;box-sizing:border-box;font-size:1.1em;padding:.4em}fieldset{margin-top:1em}.err{color:#a00}
.q{margin:.6em 0}.q span{display:block}button{margin-top:1.2em;font-size:1.2em;padding:.5em 1em;width:100%}
.pass img{width:100%;max-width:22em;image-rendering:pixelated}.refused{border:3px solid #a00;padding:1em}
nav{text-align:right}label.choice{display:inline;font-weight:normal;margin-right:1.5em}
label.consent{font-weight:normal}"""
PASS_IMAGE = re.compile(r"^([0-9a-f]{12})-([0-9a-f]{16})$")


class BodyError(Exception):
    def __init__(self, status: int, key: str):
        self.status, self.key = status, key


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _page(lang: str, title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = (f'<!doctype html><html lang="{_e(lang)}"><head><meta charset="utf-8">'
           f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{_e(title)}</title>'
           f'<link rel="stylesheet" href="form.css"></head><body>{body}</body></html>')
    return HTMLResponse(doc, status_code=status, headers=HEADERS)


class DeclarationSite:
    def __init__(self, service: DeclarationService, clock: Callable[[], float] = time.time):
        self.service = service
        self.clock = clock
        s = service.settings
        self.per_address = WindowLimit(s.per_address_per_minute, 60)
        self.per_phone = WindowLimit(s.per_phone_per_day, 86400)
        self._purged_at = float("-inf")

    # -- the pieces ---------------------------------------------------------------------------

    async def _body(self, request: Request) -> bytes:
        limit = self.service.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            raise BodyError(413, "too_big")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise BodyError(413, "too_big")
        return body

    def _address_ok(self, request: Request, now: float) -> bool:
        host = request.client.host if request.client else "?"
        return self.per_address.allow(host, now)

    def _phone_ok(self, phone: str, now: float) -> bool:
        # keyed: the limiter's table never holds a phone number
        return self.per_phone.allow(pseudonym(self.service.site_secret, "declaration-phone", phone), now)

    def _submit(self, fields: dict[str, str], now: float):
        """(outcome, None) or (None, {field: error}); raises BodyError on a rate limit."""
        if now - self._purged_at >= PURGE_EVERY_SECONDS:  # old contact details go before new ones come
            self._purged_at = now
            self.service.purge(now)
        declaration, errors = validate(fields, self.service.settings.questions, self.service.today(now))
        if errors:
            return None, errors
        if not self._phone_ok(declaration.phone, now):
            raise BodyError(429, "too_many")
        return self.service.declare(declaration, now), None

    # -- HTML ---------------------------------------------------------------------------------

    def form_html(self, lang: str, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                  status: int = 200) -> HTMLResponse:
        values, errors = values or {}, errors or {}
        s = self.service.settings
        other = "en" if lang == "vi" else "vi"
        parts = [f'<nav><a href="?lang={other}" lang="{other}">{_e(text("other_lang", lang))}</a></nav>',
                 f"<h1>{_e(text('title', lang))}</h1><p>{_e(text('intro', lang))}</p>"]
        if errors:
            parts.append(f'<div class="err" role="alert" id="errors"><p>{_e(text("errors", lang))}</p><ul>'
                         + "".join(f'<li data-field="{_e(f)}">{_e(text(code, lang))}</li>' for f, code in errors.items())
                         + "</ul></div>")
        parts.append(f'<form method="post" action="" accept-charset="utf-8"><input type="hidden" name="lang" '
                     f'value="{_e(lang)}">')
        kinds = {"name": ("text", 'autocomplete="name" maxlength="100"'),
                 "birth": ("date", 'autocomplete="bday" min="1900-01-01"'),
                 "phone": ("tel", 'autocomplete="tel" inputmode="tel" maxlength="20"'),
                 "cccd": ("text", 'inputmode="numeric" maxlength="14" pattern="[0-9 ]{12,14}"')}
        for name in FIELDS:
            kind, extra = kinds[name]
            err = f'<span class="err">{_e(text(errors[name], lang))}</span>' if name in errors else ""
            parts.append(f'<label for="{name}">{_e(text(name, lang))}</label>{err}<input type="{kind}" id="{name}" '
                         f'name="{name}" value="{_e(values.get(name, ""))}" required {extra}>')
        parts.append(f"<fieldset><legend>{_e(text('questions', lang))}</legend>")
        for q in s.questions:
            field = f"q_{q.id}"
            chosen = values.get(field, "")
            err = f'<span class="err">{_e(text(errors[field], lang))}</span>' if field in errors else ""
            radios = "".join(
                f'<label class="choice"><input type="radio" '
                f'name="{field}" value="{v}" required{" checked" if chosen == v else ""}> {_e(text(v, lang))}</label>'
                for v in ("yes", "no"))
            parts.append(f'<div class="q"><span>{_e(q.en if lang == "en" else q.vi)}</span>{err}{radios}</div>')
        parts.append("</fieldset>")
        err = f'<span class="err">{_e(text(errors["consent"], lang))}</span>' if "consent" in errors else ""
        parts.append(f"<fieldset><legend>{_e(text('consent_title', lang))}</legend>{err}<label class=\"consent\">"
                     f'<input type="checkbox" name="consent" value="yes" required> '
                     f"{_e(text('consent', lang, days=s.retention_days))}</label></fieldset>"
                     f'<button type="submit">{_e(text("submit", lang))}</button></form>')
        return _page(lang, text("title", lang), "".join(parts), status)

    def outcome_html(self, lang: str, outcome: Outcome) -> HTMLResponse:
        if outcome.passed:
            image = f"pass/{outcome.pass_id}-{self._pass_mac(outcome.pass_id)}.png"
            again = f"<p>{_e(text('pass_again', lang))}</p>" if outcome.again else ""
            body = (f'<div class="pass"><h1>{_e(text("pass_title", lang))}</h1>{again}'
                    f'<img id="pass" alt="{_e(text("pass_title", lang))}" src="{_e(image)}">'
                    f"<p>{_e(text('pass_valid', lang, day=_shown_day(outcome.day, lang)))}</p>"
                    f'<p><a id="save" download="day-pass-{_e(outcome.day)}.png" href="{_e(image)}">'
                    f"{_e(text('save', lang))}</a></p></div>")
            return _page(lang, text("pass_title", lang), body)
        questions = {q.id: q for q in self.service.settings.questions}
        reasons = "".join(f'<li data-reason="{_e(r)}">{_e(_reason_text(questions, r, lang))}</li>'
                          for r in outcome.reasons)
        body = (f'<div class="refused" role="alert" id="refused"><h1>{_e(text("refused_title", lang))}</h1>'
                f"<p>{_e(text('refused_because', lang))}</p><ul>{reasons}</ul>"
                f"<p><strong>{_e(text('refused_todo', lang))}</strong></p></div>")
        return _page(lang, text("refused_title", lang), body)

    async def get_form(self, request: Request) -> Response:
        return self.form_html(lang_of(request.query_params.get("lang")))

    async def post_form(self, request: Request) -> Response:
        now = self.clock()
        lang = lang_of(request.query_params.get("lang"))
        try:
            if not self._address_ok(request, now):
                raise BodyError(429, "too_many")
            body = await self._body(request)
            try:
                pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                                  max_num_fields=64)
            except (UnicodeDecodeError, ValueError):
                raise BodyError(400, "bad_request") from None
            fields = {k: v[:200] for k, v in pairs}
            lang = lang_of(fields.get("lang") or lang)
            outcome, errors = self._submit(fields, now)
        except BodyError as exc:
            return _page(lang, text("title", lang), f'<p class="err" role="alert" id="errors">'
                         f'{_e(text(exc.key, lang))}</p>', exc.status)
        if errors:
            return self.form_html(lang, fields, errors, status=422)
        return self.outcome_html(lang, outcome)

    # -- the pass image and the style ----------------------------------------------------------

    def _pass_mac(self, pass_id: str) -> str:
        return pseudonym(self.service.site_secret, "declaration-pass-image", pass_id)

    async def pass_image(self, request: Request) -> Response:
        found = PASS_IMAGE.match(request.path_params["name"])
        if not found or not hmac.compare_digest(found.group(2), self._pass_mac(found.group(1))):
            return Response("no such pass", status_code=404, media_type="text/plain", headers=HEADERS)
        row = store.by_pass_id(self.service.engine, found.group(1))
        if row is None:  # purged
            return Response("no such pass", status_code=404, media_type="text/plain", headers=HEADERS)
        pass_text = self.service.box.open(row.sealed, row.binding)["pass"]
        return Response(pass_png(pass_text), media_type="image/png", headers=HEADERS)

    async def style(self, request: Request) -> Response:
        return Response(STYLE, media_type="text/css", headers={**HEADERS, "Cache-Control": "max-age=3600"})

    # -- JSON ---------------------------------------------------------------------------------

    async def post_api(self, request: Request) -> Response:
        now = self.clock()
        try:
            if not self._address_ok(request, now):
                raise BodyError(429, "too_many")
            body = await self._body(request)
            try:
                data = json.loads(body)
            except (UnicodeDecodeError, ValueError):
                raise BodyError(400, "bad_request") from None
            if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
                raise BodyError(400, "bad_request")
            known = {"lang", "consent", *FIELDS, *(f"q_{q.id}" for q in self.service.settings.questions)}
            unknown = sorted(set(data) - known)
            if unknown:
                return JSONResponse({"error": "unknown_field", "message": f"unknown field {unknown[0][:40]!r}"}, 400,
                                    headers=HEADERS)
            lang = lang_of(data.get("lang"))
            outcome, errors = self._submit({k: v[:200] for k, v in data.items()}, now)
        except BodyError as exc:
            return JSONResponse({"error": exc.key, "message": text(exc.key, "en")}, exc.status, headers=HEADERS)
        if errors:
            return JSONResponse({"error": "invalid", "fields": {f: {"code": c, "message": text(c, lang)}
                                                                for f, c in errors.items()}}, 422, headers=HEADERS)
        if outcome.passed:
            return JSONResponse({"outcome": "pass", "pass": outcome.pass_text, "pass_id": outcome.pass_id,
                                 "day": outcome.day, "again": outcome.again,
                                 "pass_png": base64.b64encode(pass_png(outcome.pass_text)).decode()}, headers=HEADERS)
        return JSONResponse({"outcome": "refused", "reasons": list(outcome.reasons),
                             "message": text("refused_todo", lang)}, headers=HEADERS)

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_schema(self.service.settings))

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/", self.get_form, methods=["GET"]), Route("/", self.post_form, methods=["POST"]),
                                 Route("/api/declarations", self.post_api, methods=["POST"]),
                                 Route("/openapi.json", self.openapi, methods=["GET"]),
                                 Route("/form.css", self.style, methods=["GET"]),
                                 Route("/pass/{name:str}.png", self.pass_image, methods=["GET"])])


def _reason_text(questions: dict, reason: str, lang: str) -> str:
    """A refusing question with the answer given, or the refusal earlier that day."""
    q = questions.get(reason)
    if q is None:
        return text(reason, lang)
    return f"{q.en if lang == 'en' else q.vi} — {text('yes', lang)}"


def _shown_day(day: str, lang: str) -> str:
    """YYYY-MM-DD as Vietnamese readers write it (dd/mm/yyyy); ISO in English."""
    return "/".join(reversed(day.split("-"))) if lang == "vi" else day


def openapi_schema(settings) -> dict:
    props = {"name": {"type": "string", "minLength": 1, "maxLength": 100},
             "birth": {"type": "string", "description": "YYYY-MM-DD or DD/MM/YYYY", "maxLength": 10},
             "phone": {"type": "string", "description": "a Vietnamese mobile number", "maxLength": 20},
             "cccd": {"type": "string", "pattern": "^[0-9]{12}$"},
             "consent": {"type": "string", "enum": ["yes"]},
             "lang": {"type": "string", "enum": ["vi", "en"]}}
    for q in settings.questions:
        props[f"q_{q.id}"] = {"type": "string", "enum": ["yes", "no"]}
    required = ["name", "birth", "phone", "cccd", "consent"] + [f"q_{q.id}" for q in settings.questions]
    error = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
    return {
        "openapi": "3.0.3", "info": {"title": "qrgate health declaration", "version": "1"},
        "paths": {"/api/declarations": {"post": {
            "operationId": "declare",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": props, "required": required, "additionalProperties": False}}}},
            "responses": {
                "200": {"description": "the day pass, or the refusal and its reasons", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {"outcome": {"type": "string", "enum": ["pass", "refused"]}},
                               "required": ["outcome"]}}}},
                "400": {"description": "not a JSON object of strings", "content": {"application/json": {"schema": error}}},
                "413": {"description": "body too large", "content": {"application/json": {"schema": error}}},
                "422": {"description": "fields in error", "content": {"application/json": {"schema": error}}},
                "429": {"description": "rate limited", "content": {"application/json": {"schema": error}}}}}}}}
