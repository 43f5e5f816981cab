"""qrgate site serve|migrate|purge|user|register-init: the site server (docs/site-server.md)."""

from __future__ import annotations

import logging
import time

from .guard_cmd import _read_password
from .output import emit

log = logging.getLogger(__name__)


def add_parser(sub) -> None:
    site = sub.add_parser("site", help="the site server: every gate's events in one database, reports, tracing")
    site_sub = site.add_subparsers(dest="site_command", required=True)

    def command(name: str, help_text: str, handler):
        p = site_sub.add_parser(name, help=help_text)
        p.add_argument("--config", required=True, help="the site server's config (site.toml)")
        p.add_argument("--json", action="store_true")
        p.set_defaults(handler=handler)
        return p

    command("serve", "ingest the gates' events and serve the API and pages", run_serve)
    command("migrate", "bring the database schema up to date and exit", run_migrate)
    command("purge", "delete what is past its retention now (the server also does it on its own)", run_purge)
    command("register-init", "make the site's register key and an empty pass register", run_register_init)
    user = site_sub.add_parser("user", help="users of the site server")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="add a user or set a new role and password (the password from stdin)")
    add.add_argument("--config", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=("manager", "tracer", "admin"))
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=run_user_add)
    for name, handler in (("list", run_user_list), ("remove", run_user_remove)):
        p = user_sub.add_parser(name, help=f"{name} users")
        p.add_argument("--config", required=True)
        if name == "remove":
            p.add_argument("--name", required=True)
        p.add_argument("--json", action="store_true")
        p.set_defaults(handler=handler)


def _database(args):
    from ..server.app import default_plugins
    from ..server.config import load_server_config
    from ..server.db import Database

    cfg = load_server_config(args.config)
    default_plugins()  # their migrations are registered before anything migrates
    db = Database(cfg.database)
    db.migrate()
    return cfg, db


def run_migrate(args) -> int:
    from ..server.db import redact

    cfg, db = _database(args)
    versions = db.migrate()
    emit(args, {"database": redact(cfg.database.url), "versions": versions},
         f"{redact(cfg.database.url)}: " + ", ".join(f"{k} v{v}" for k, v in versions.items()))
    return 0


def run_purge(args) -> int:
    from ..server.retention import purge

    cfg, db = _database(args)
    done = purge(db, cfg.retention, time.time())
    emit(args, done, f"purged {done['events']} events and {done['trace_log']} trace-log rows")
    return 0


def run_user_add(args) -> int:
    from ..server.auth import Auth, check_user

    check_user(args.name, args.role)
    cfg, db = _database(args)
    is_new = Auth(db, cfg.auth).add_user(args.name, args.role, _read_password(), time.time())
    emit(args, {"user": args.name, "role": args.role, "new": is_new},
         f"user {args.name} ({args.role}) {'added' if is_new else 'changed; their sessions ended'}")
    return 0


def run_user_list(args) -> int:
    from ..server.auth import Auth

    cfg, db = _database(args)
    users = Auth(db, cfg.auth).list_users()
    emit(args, {"users": users}, "\n".join(f"{u['name']}\t{u['role']}" for u in users) or "no users yet")
    return 0


def run_user_remove(args) -> int:
    from ..server.auth import Auth

    cfg, db = _database(args)
    if not Auth(db, cfg.auth).remove_user(args.name):
        emit(args, {"user": args.name, "removed": False}, f"no user {args.name}")
        return 1
    emit(args, {"user": args.name, "removed": True}, f"user {args.name} removed")
    return 0


def run_register_init(args) -> int:
    from ..errors import ConfigError
    from ..server.config import load_server_config
    from ..server.register import init_register

    cfg = load_server_config(args.config)
    reg = cfg.pass_register
    if reg.path is None:
        raise ConfigError(f"{args.config}: set [pass_register] path and key_file first")
    public = init_register(reg.path, reg.key_file)
    emit(args, {"register": reg.path, "key_file": reg.key_file, "public_key": public},
         f"register {reg.path} made; its key {reg.key_file} stays on the server (mode 0600). Give the pass "
         f"office the register file: qrgate pass issue --register {reg.path} ... --phone ...")
    return 0


def run_serve(args) -> int:
    import uvicorn

    from ..server.app import create_app
    from ..server.bus import EventBus
    from ..server.db import redact
    from ..server.ingest import Ingest
    from ..server.retention import Purger

    from ..web.server import SecurityHeaders, _is_loopback

    cfg, db = _database(args)
    bus = EventBus()
    app = create_app(cfg, db=db, bus=bus)
    # as the gate's pages: CSP, nosniff, no framing; on a loopback bind, a request naming another
    # host (DNS rebinding) is refused
    app.add_middleware(SecurityHeaders, loopback_only=_is_loopback(cfg.http.host))
    ingest = Ingest(cfg, db, bus)
    purger = Purger(db, cfg.retention, time.time)
    ingest.start()
    purger.start()
    scheme = "https" if cfg.http.ssl_certfile else "http"
    print(f"site server: {scheme}://{cfg.http.host}:{cfg.http.port}/ (database {redact(cfg.database.url)}, "
          f"broker {cfg.mqtt.host}:{cfg.mqtt.port}, sites {', '.join(s.id for s in cfg.sites)})", flush=True)
    try:
        uvicorn.run(app, host=cfg.http.host, port=cfg.http.port, log_level="warning",
                    ssl_certfile=cfg.http.ssl_certfile, ssl_keyfile=cfg.http.ssl_keyfile)
    finally:
        ingest.stop()
        purger.stop()
        db.close()
    return 0
