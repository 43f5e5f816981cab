"""The site server's web app: create_app(cfg) -> FastAPI, with the JSON API, the pages and the
declaration form mounted on it.

For the code that plugs into it (server/pages/, server/declaration/):

- A plugin package exposes `install(app: FastAPI) -> None`; create_app calls it for
  `qrgate.server.pages` and `qrgate.server.declaration` when they exist (PLUGINS below), after
  the API's routes. Tests and other callers pass their own: create_app(cfg, plugins=[...]) or
  routers with create_app(cfg, extra_routers=[router, ...]).
- Tables: add them to `qrgate.server.db.metadata` and declare migrations at the plugin's import
  with `qrgate.server.db.register_migrations("declaration", [v1, v2, ...])` (each a function of
  a SQLAlchemy Connection); create_app imports the plugins first and then migrates.
- In a request: `request.app.state.cfg` (ServerConfig), `.db` (server.db.Database; `.db.engine`
  is the SQLAlchemy engine), `.auth` (server.auth.Auth), `.bus` (server.bus.EventBus: live
  stored events; `q = bus.listen()`, then `await q.get()` -> (site, [event, ...]);
  `bus.unlisten(q)`), `.pass_key` (path of the site's pass-signing key, `[keys] pass_key`, or None).
- Who is asking: `Depends(server.auth.current_user)` -> User(name, role, csrf) or 401;
  `Depends(server.auth.require("manager", ...))` adds a role check (403);
  `Depends(server.auth.require_action("tracer"))` also checks the CSRF token (header
  `X-CSRF-Token` or form field `csrf`); `auth.COOKIE` is the session cookie's name.
- JSON endpoints (all under /api; docs/site-server.md lists them with their roles):
  POST /api/login {name, password} -> {name, role, csrf} and the session cookie;
  POST /api/logout; GET /api/me; GET /api/sites;
  GET /api/sites/{site}/today | counts | occupancy | denials | alarms | events?after= | gates;
  GET /api/sites/{site}/holders/{pass id or pseudonym}/movements;
  POST /api/sites/{site}/trace | trace.csv | reidentify; GET /api/audit;
  GET/POST /api/users, DELETE /api/users/{name}.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable, Iterable, Sequence

from fastapi import APIRouter, FastAPI

from .api import router as api_router
from .auth import Auth
from .bus import EventBus
from .config import ServerConfig
from .db import Database
from .pairing import repair

log = logging.getLogger(__name__)

#: packages of the server that add pages and routes through their install(app)
PLUGINS = ("qrgate.server.pages", "qrgate.server.declaration")

Plugin = Callable[[FastAPI], None]


def default_plugins() -> list[Plugin]:
    """install() of each package in PLUGINS that is there (imported now: it registers its migrations)."""
    found = []
    for name in PLUGINS:
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        register = getattr(module, "register", None)
        if register is not None:  # its tables' migrations, before anything migrates
            register()
        install = getattr(module, "install", None)
        if install is None:
            log.warning("%s has no install(app); not mounted", name)
            continue
        found.append(install)
    return found


def create_app(cfg: ServerConfig, *, db: Database | None = None, bus: EventBus | None = None,
               extra_routers: Sequence[APIRouter] = (), plugins: Iterable[Plugin] | None = None) -> FastAPI:
    """The app for one server: the database migrated, the API, then each plugin."""
    plugins = default_plugins() if plugins is None else list(plugins)
    db = db or Database(cfg.database)
    db.migrate()
    repair(db, cfg.sites)  # the stays the API reads follow today's zones
    app = FastAPI(title="qrgate site server", version="1", docs_url=None, redoc_url=None,
                  description="Counts, occupancy, denials, alarms and contact tracing of the sites' gates.")
    app.state.cfg = cfg
    app.state.db = db
    app.state.auth = Auth(db, cfg.auth)
    app.state.bus = bus or EventBus()
    app.state.pass_key = cfg.keys.pass_key
    app.include_router(api_router)
    for router in extra_routers:
        app.include_router(router)
    for install in plugins:
        install(app)
    return app
