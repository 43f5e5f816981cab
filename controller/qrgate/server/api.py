"""The site server's JSON API (FastAPI: /openapi.json describes it). Every route is authorised.

Reads take a role; actions (POST, DELETE) also take the session's CSRF token. Days are the
site's own (its `tz`); times in bodies are ISO 8601 (without an offset: the site's local time)
or epoch seconds.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import zoneinfo
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field

from . import ServerError, audit, reports
from . import register as holder_register
from . import trace as tracing
from .auth import COOKIE, User, current_user, require, require_action
from .config import ServedSiteConfig

router = APIRouter(prefix="/api")

READERS = ("manager", "tracer", "admin")  # reports: counts, occupancy, denials, alarms
TRACERS = ("tracer",)
LOG_READERS = ("manager", "admin")
ADMINS = ("admin",)
NO_NUL = r"^[^\x00]*$"  # PostgreSQL keeps no NUL in text: such a value is refused here (422), not there
PASS_ID = re.compile(r"^[0-9a-f]{12}$")
PSEUDONYM = re.compile(r"^[0-9a-f]{16}$")

SiteId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="site id")]
Day = Annotated[dt.date | None, Query(description="local day YYYY-MM-DD (default: today at the site)")]
Limit = Annotated[int, Query(ge=1, le=10000)]


def _state(request: Request):
    return request.app.state


def _site(request: Request, site: str) -> ServedSiteConfig:
    found = _state(request).cfg.site(site)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no site {site!r} on this server")
    return found


def _today(site: ServedSiteConfig) -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo(site.tz)).date()


FIRST_DAY, LAST_DAY = dt.date(1970, 1, 2), dt.date(9000, 1, 1)  # days a site's clock can name


def _bounds(site: ServedSiteConfig, day: dt.date) -> tuple[float, float]:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise HTTPException(status_code=422, detail=f"{day.isoformat()}: not a day of this site's records")
    return reports.local_day_bounds(day, site.tz)


def _days(site: ServedSiteConfig, from_day: dt.date | None, to_day: dt.date | None) -> tuple[float, float]:
    first = from_day or _today(site)
    last = to_day or first
    if last < first:
        raise HTTPException(status_code=422, detail="to_day is before from_day")
    if (last - first).days > 366:
        raise HTTPException(status_code=422, detail="at most 366 days at once")
    return _bounds(site, first)[0], _bounds(site, last)[1]


def _epoch(value: dt.datetime, site: ServedSiteConfig) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(site.tz))
    return value.timestamp()


# ---- sessions -------------------------------------------------------------------------------

class Login(BaseModel):
    name: str = Field(..., min_length=1, max_length=64, pattern=NO_NUL)
    password: str = Field(..., min_length=1, max_length=1024)


class Me(BaseModel):
    name: str
    role: Literal["manager", "tracer", "admin"]
    csrf: str = Field(..., description="send back as the X-CSRF-Token header (or a form field csrf) on actions")


@router.post("/login", response_model=Me, tags=["session"])
def login(body: Login, request: Request, response: Response) -> Me:
    state = _state(request)
    address = request.client.host if request.client else "?"
    try:
        done = state.auth.login(body.name, body.password, address, time.time())
    except ServerError as exc:
        raise HTTPException(status_code=429, detail=str(exc)) from None
    if done is None:
        raise HTTPException(status_code=401, detail="wrong name or password")
    token, user = done
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=state.cfg.auth.secure_cookies,
                        max_age=state.cfg.auth.session_minutes * 60, path="/")
    return Me(name=user.name, role=user.role, csrf=user.csrf)


@router.post("/logout", status_code=204, tags=["session"])
def logout(request: Request, user: User = Depends(require_action(*READERS))) -> Response:
    _state(request).auth.logout(request.cookies.get(COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/me", response_model=Me, tags=["session"])
def me(user: User = Depends(current_user)) -> Me:
    return Me(name=user.name, role=user.role, csrf=user.csrf)


# ---- reports --------------------------------------------------------------------------------

@router.get("/sites", tags=["reports"])
def sites(request: Request, user: User = Depends(require(*READERS))) -> list[dict]:
    return [{"id": s.id, "tz": s.tz, "zones": s.zones} for s in _state(request).cfg.sites]


@router.get("/sites/{site}/counts", tags=["reports"])
def counts(request: Request, site: SiteId, from_day: Day = None, to_day: Day = None,
           by: Literal["day", "hour"] = "day", gate: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
           user: User = Depends(require(*READERS))) -> list[dict]:
    """Entries, exits and denials per gate and local day or hour."""
    s = _site(request, site)
    start, end = _days(s, from_day, to_day)
    return reports.counts(_state(request).db, s, start, end, by, gate)


@router.get("/sites/{site}/today", tags=["reports"])
def today(request: Request, site: SiteId, user: User = Depends(require(*READERS))) -> dict:
    """Today's counts per gate and for the site, and who is inside now (per place)."""
    s = _site(request, site)
    now = time.time()
    start, end = reports.local_day_bounds(_today(s), s.tz)
    rows = reports.counts(_state(request).db, s, start, end, "day")
    total = {k: sum(r[k] for r in rows) for k in ("entries", "exits", "denials")}
    inside = reports.occupancy(_state(request).db, s, now, now, 60, now)
    return {"site": s.id, "day": _today(s).isoformat(), "gates": {r["gate"]: {k: r[k] for k in total} for r in rows},
            "total": total, "inside": {p["place"]: p["points"][-1]["inside"] if p["points"] else 0 for p in inside},
            "at": now}


@router.get("/sites/{site}/occupancy", tags=["reports"])
def occupancy(request: Request, site: SiteId, day: Day = None,
              step_minutes: Annotated[int, Query(ge=1, le=240)] = 15,
              user: User = Depends(require(*READERS))) -> list[dict]:
    """How many were inside at each step of a local day (per place: the site, or each zone)."""
    s = _site(request, site)
    start, end = _bounds(s, day or _today(s))
    return reports.occupancy(_state(request).db, s, start, end, step_minutes * 60, time.time())


@router.get("/sites/{site}/denials", tags=["reports"])
def denials(request: Request, site: SiteId, from_day: Day = None, to_day: Day = None,
            user: User = Depends(require(*READERS))) -> list[dict]:
    """Denials per gate and reason (reason codes: docs/reasons.md)."""
    s = _site(request, site)
    return reports.denials(_state(request).db, s, *_days(s, from_day, to_day))


@router.get("/sites/{site}/alarms", tags=["reports"])
def alarms(request: Request, site: SiteId, from_day: Day = None, to_day: Day = None, limit: Limit = 500,
           user: User = Depends(require(*READERS))) -> list[dict]:
    """Alarm events (raised, cleared, acknowledged), newest first."""
    s = _site(request, site)
    return reports.alarms(_state(request).db, s, *_days(s, from_day, to_day), limit)


@router.get("/sites/{site}/gates", tags=["reports"])
def gates(request: Request, site: SiteId, user: User = Depends(require(*READERS))) -> list[dict]:
    """Every gate heard from, with its newest seq and event time."""
    return reports.gates(_state(request).db, _site(request, site))


@router.get("/sites/{site}/events", tags=["reports"])
def recent_events(request: Request, site: SiteId, after: Annotated[float, Query(ge=0, le=1e11)] = 0.0,
                  limit: Limit = 500, user: User = Depends(require(*READERS))) -> list[dict]:
    """Events stored after `after` (their received_at), oldest first: for live pages. No pseudonyms."""
    s = _site(request, site)
    return reports.latest_events(_state(request).db, s, after, limit)


# ---- one holder, tracing, re-identification (each logged) ----------------------------------

def _site_secret(s: ServedSiteConfig) -> bytes:
    """The site's pseudonym secret, as the gates have it; a missing file is named, never made here."""
    try:
        data = open(s.secret_file, "rb").read()
    except OSError as exc:
        raise HTTPException(status_code=409, detail=f"site {s.id}: cannot read secret_file {s.secret_file} "
                                                    f"({exc.strerror})") from None
    if len(data) < 16:
        raise HTTPException(status_code=409, detail=f"site {s.id}: {s.secret_file} is not a site secret")
    return data


def _case_pseudonym(request: Request, s: ServedSiteConfig, key: str) -> str:
    """A pseudonym (16 hex) as it is, or a pass id (12 hex) through the register and site secret."""
    key = key.lower()
    if PSEUDONYM.match(key):
        return key
    if not PASS_ID.match(key):
        raise HTTPException(status_code=422, detail="give a pass id (12 hex digits) or a pseudonym (16 hex digits)")
    cfg = _state(request).cfg
    if cfg.pass_register.path is None or s.secret_file is None:
        raise HTTPException(status_code=409, detail="a pass id needs pass_register.path and the site's secret_file; "
                                                    "give the pseudonym instead")
    try:
        found = holder_register.pseudonym_of_pass(cfg.pass_register.path, _site_secret(s), key)
    except ServerError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    if found is None:
        raise HTTPException(status_code=404, detail=f"pass {key} is not in the register")
    return found


class Window(BaseModel):
    start: dt.datetime = Field(..., description="ISO 8601 (site local time without an offset) or epoch seconds")
    end: dt.datetime
    purpose: str = Field(..., min_length=3, max_length=500, pattern=NO_NUL, description="why: kept in the trace log")


class TraceRequest(Window):
    case: str = Field(..., min_length=12, max_length=16, description="pass id (12 hex) or pseudonym (16 hex)")
    reidentify: bool = Field(False, description="CSV only: add pass id, name and phone (logged as a "
                                                "re-identification)")


class ReidentifyRequest(BaseModel):
    pseudonyms: list[Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]] = Field(..., min_length=1, max_length=10000)
    purpose: str = Field(..., min_length=3, max_length=500, pattern=NO_NUL)


def _window(s: ServedSiteConfig, body: Window) -> tuple[float, float]:
    start, end = _epoch(body.start, s), _epoch(body.end, s)
    if end <= start:
        raise HTTPException(status_code=422, detail="end is not after start")
    if end - start > 31 * 86400:
        raise HTTPException(status_code=422, detail="at most 31 days at once")
    return start, end


@router.get("/sites/{site}/holders/{key}/movements", tags=["tracing"])
def movements(request: Request, site: SiteId, key: Annotated[str, Path(min_length=12, max_length=16)],
              from_day: Day = None, to_day: Day = None, limit: Limit = 1000,
              user: User = Depends(require("manager", "tracer"))) -> dict:
    """One pass's (or pseudonym's) events at the site; the read is logged."""
    s = _site(request, site)
    pseud = _case_pseudonym(request, s, key)
    start, end = _days(s, from_day, to_day)
    rows = reports.holder_events(_state(request).db, pseud, start, end, [s.id], limit)
    audit.record(_state(request).db, at=time.time(), user=user.name, role=user.role, action="movements",
                 site=s.id, purpose="one holder's movements", pseudonym=pseud, start=start, end=end, rows=len(rows))
    return {"pseudonym": pseud, "events": rows}


def _run_trace(request: Request, s: ServedSiteConfig, body: TraceRequest, user: User, action: str) -> dict:
    start, end = _window(s, body)
    case = _case_pseudonym(request, s, body.case)
    now = time.time()
    result = tracing.trace(_state(request).db, s, case, start, end, now)
    audit.record(_state(request).db, at=now, user=user.name, role=user.role, action=action, site=s.id,
                 purpose=body.purpose, case=case, start=start, end=end, people=result["people"])
    return result


@router.post("/sites/{site}/trace", tags=["tracing"])
def trace(request: Request, site: SiteId, body: TraceRequest, user: User = Depends(require_action(*TRACERS))) -> dict:
    """Everyone whose stay overlapped the case's (on site, or in the same zone), with minutes and where."""
    return _run_trace(request, _site(request, site), body, user, "trace")


@router.post("/sites/{site}/trace.csv", tags=["tracing"], response_class=Response,
             responses={200: {"content": {"text/csv": {}}}})
def trace_csv(request: Request, site: SiteId, body: TraceRequest,
              user: User = Depends(require_action(*TRACERS))) -> Response:
    """The trace as CSV for the health authority (UTF-8 with BOM); with reidentify, names and phones."""
    s = _site(request, site)
    result = _run_trace(request, s, body, user, "export")
    names = None
    if body.reidentify:
        names = _open_register(request, s, {c["pseudonym"] for c in result["contacts"]} | {result["case"]},
                               user, body.purpose)
    return Response(tracing.to_csv(result, s.tz, names), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="trace-{s.id}-{result["case"]}.csv"'})


def _open_register(request: Request, s: ServedSiteConfig, pseudonyms: set[str], user: User,
                   purpose: str) -> dict[str, list[dict]]:
    cfg = _state(request).cfg
    if cfg.pass_register.path is None or cfg.pass_register.key_file is None or s.secret_file is None:
        raise HTTPException(status_code=409, detail="re-identification needs pass_register.path, pass_register.key_file "
                                                    "and the site's secret_file")
    try:
        found = holder_register.open_entries(cfg.pass_register.path, cfg.pass_register.key_file,
                                           _site_secret(s), pseudonyms)
    except ServerError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    audit.record(_state(request).db, at=time.time(), user=user.name, role=user.role, action="reidentify",
                 site=s.id, purpose=purpose, asked=sorted(pseudonyms), found=sorted(found))
    return found


@router.post("/sites/{site}/reidentify", tags=["tracing"])
def reidentify(request: Request, site: SiteId, body: ReidentifyRequest,
               user: User = Depends(require_action(*TRACERS))) -> dict:
    """Pass ids, names and phones of the given pseudonyms, from the sealed register; logged."""
    s = _site(request, site)
    return {"holders": _open_register(request, s, set(body.pseudonyms), user, body.purpose)}


@router.get("/audit", tags=["tracing"])
def audit_log(request: Request, from_day: Day = None, to_day: Day = None, limit: Limit = 1000,
              user: User = Depends(require(*LOG_READERS))) -> list[dict]:
    """Every trace, export, re-identification, movement read and purge: who, when, why."""
    s = _state(request).cfg.sites[0]
    start, end = _days(s, from_day, to_day)
    return audit.read(_state(request).db, start, end, limit)


# ---- users (admin) --------------------------------------------------------------------------

class NewUser(BaseModel):
    name: str = Field(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
    role: Literal["manager", "tracer", "admin"]
    password: str = Field(..., min_length=10, max_length=1024)


@router.get("/users", tags=["users"])
def list_users(request: Request, user: User = Depends(require(*ADMINS))) -> list[dict]:
    return _state(request).auth.list_users()


@router.post("/users", status_code=201, tags=["users"])
def add_user(request: Request, body: NewUser, user: User = Depends(require_action(*ADMINS))) -> dict:
    try:
        is_new = _state(request).auth.add_user(body.name, body.role, body.password, time.time())
    except ServerError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    audit.record(_state(request).db, at=time.time(), user=user.name, role=user.role, action="user",
                 purpose="user added" if is_new else "user changed", name=body.name, new_role=body.role)
    return {"name": body.name, "role": body.role, "new": is_new}


@router.delete("/users/{name}", status_code=204, tags=["users"])
def remove_user(request: Request, name: Annotated[str, Path(max_length=64, pattern=NO_NUL)],
                user: User = Depends(require_action(*ADMINS))) -> Response:
    if not _state(request).auth.remove_user(name):
        raise HTTPException(status_code=404, detail=f"no user {name!r}")
    audit.record(_state(request).db, at=time.time(), user=user.name, role=user.role, action="user",
                 purpose="user removed", name=name)
    return Response(status_code=204)
