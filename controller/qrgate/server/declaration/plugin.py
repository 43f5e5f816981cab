"""The declaration on the site server: install(app) mounts the form and the staff's routes.

    /declare/...                                       the visitor's form (web.py), no login
    GET /api/declaration/days/{day}/counts              manager, tracer, admin: declarations per path
    GET /api/declaration/days/{day}/guard               manager, tracer, admin: the guard's declarations
                                                        (no smartphone), without personal data
    GET /api/declaration/days/{day}/contacts?purpose=   tracer: the declared contact details (recorded)
    GET /api/declaration/venue-qr.png                   manager, admin: the printable venue QR poster

The settings are the server config's [declaration] table when it has one, else the defaults;
without the site's secret_file or [keys] pass_key the form is not mounted and the log says why.
They are also written into the database at each start, for the gates' guard desks to read.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import time
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request, Response

from ...credentials.keys import load_private_key
from ...errors import QrgateError
from ..auth import User, require
from .images import venue_poster
from .service import DeclarationService, NotTracer
from .settings import DeclarationSettings
from .web import DeclarationSite

log = logging.getLogger(__name__)

DECLARE_PATH = "/declare"
READERS = ("manager", "tracer", "admin")
router = APIRouter(prefix="/api/declaration", tags=["declaration"])
Day = Annotated[dt.date, Path(description="the site's local day, YYYY-MM-DD")]


def service_for(cfg, engine, pass_key: str | None) -> DeclarationService | None:
    """The service of the server's declaring site, or None (and a warning naming what is missing)."""
    settings = getattr(cfg, "declaration", None) or DeclarationSettings()
    if not settings.enabled:
        return None
    site = cfg.site(settings.site) if settings.site else cfg.sites[0]
    if site is None:
        log.warning("declaration form not served: [declaration] site %r is not in [[sites]]", settings.site)
        return None
    if site.secret_file is None or pass_key is None:
        log.warning("declaration form not served: it needs [[sites]] secret_file of site %s and [keys] pass_key",
                    site.id)
        return None
    try:
        secret = open(site.secret_file, "rb").read()
        signing_key = load_private_key(pass_key)[1]
    except (OSError, QrgateError) as exc:
        log.warning("declaration form not served: %s", getattr(exc, "strerror", None) or exc)
        return None
    settings = settings.model_copy(update={"timezone": site.tz})
    return DeclarationService(engine, settings, site_secret=secret, signing_key=signing_key)


def install(app: FastAPI) -> None:
    service = service_for(app.state.cfg, app.state.db.engine, app.state.pass_key)
    if service is None:
        return
    app.state.declaration = service
    service.publish_settings(time.time())
    app.mount(DECLARE_PATH, DeclarationSite(service).app())
    app.include_router(router)


def _service(request: Request) -> DeclarationService:
    return request.app.state.declaration


@router.get("/days/{day}/counts")
def counts(request: Request, day: Day, user: User = Depends(require(*READERS))) -> dict:
    """Declarations of a day per path: by phone or by the guard, passed or refused."""
    return {"day": day.isoformat(), **_service(request).day_counts(day.isoformat())}


@router.get("/days/{day}/guard")
def guard_list(request: Request, day: Day, user: User = Depends(require(*READERS))) -> list[dict]:
    """The visitors a guard declared for that day (pseudonym, time, guard, outcome, pass id)."""
    return _service(request).guard_report(day.isoformat())


@router.get("/days/{day}/contacts")
def contacts(request: Request, day: Day,
             purpose: Annotated[str, Query(min_length=3, max_length=200, description="why they are read")],
             user: User = Depends(require("tracer"))) -> list[dict]:
    """The declared contact details of a day, for the health authority; each read is recorded."""
    try:
        return _service(request).contacts(user.name, [user.role], time.time(), purpose=purpose, day=day.isoformat())
    except NotTracer as exc:  # require() has already refused others: kept as a second lock
        raise HTTPException(status_code=403, detail=str(exc)) from None


@router.get("/venue-qr.png", response_class=Response, responses={200: {"content": {"image/png": {}}}})
def venue_qr(request: Request, user: User = Depends(require("manager", "admin"))) -> Response:
    """The venue QR poster: at least 15 x 15 cm at 300 dpi, pointing to the form."""
    settings = _service(request).settings
    url = settings.page_url or str(request.base_url).rstrip("/") + DECLARE_PATH + "/"
    buf = io.BytesIO()
    venue_poster(url, settings.venue_name).save(buf, format="PNG", dpi=(300, 300))
    return Response(buf.getvalue(), media_type="image/png",
                    headers={"Content-Disposition": 'attachment; filename="venue-qr.png"'})
