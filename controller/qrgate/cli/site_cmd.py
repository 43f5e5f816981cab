"""qrgate site: the site server (serve, migrate, purge, user, register-init: docs/site-server.md) and
the site's shared secret (secret export|import|fingerprint: docs/site.md).

Every gate of a site keys pseudonyms with the same secret. On a working gate,
`qrgate site secret export --config gate.toml` prints it as base64; on the new one,
`qrgate site secret import --config gate.toml` reads that line from stdin and writes the
file mode 0600. Carry it over a channel you trust (ssh), never a chat or an e-mail.
"""

from __future__ import annotations

import base64
import gc
import logging
import sys
import time

from .. import config
from ..site import secret as site_secret
from .guard_cmd import _read_password
from .output import emit

log = logging.getLogger(__name__)


def add_parser(sub) -> None:
    site = sub.add_parser("site", help="the site server (every gate's events in one database, reports, tracing) "
                                       "and the site's shared secret")
    site_sub = site.add_subparsers(dest="site_command", required=True)
    _add_secret_parsers(site_sub)

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
    from ..server.pairing import repair

    cfg, db = _database(args)
    versions = db.migrate()
    paired = repair(db, cfg.sites)  # else the next `site serve` would, before it listens
    emit(args, {"database": redact(cfg.database.url), "versions": versions, "paired": paired},
         f"{redact(cfg.database.url)}: " + ", ".join(f"{k} v{v}" for k, v in versions.items())
         + (f"; stays paired anew for {', '.join(paired)}" if paired else ""))
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
    declaration = getattr(app.state, "declaration", None)
    purger = Purger(db, cfg.retention, time.time, also=[declaration.purge] if declaration else [])
    ingest.start()
    purger.start()
    # what was made to start (modules, the app, its routes) stays for the process's life: the
    # collector need not walk it again each time a trace's twenty thousand results come and go
    gc.freeze()
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


# -- the site secret ---------------------------------------------------------------------
def _add_secret_parsers(site_sub) -> None:
    secret = site_sub.add_parser("secret", help="export, import or fingerprint the site secret")
    secret_sub = secret.add_subparsers(dest="secret_command", required=True)
    for name, text in (("export", "print the site secret as base64 (keep it secret)"),
                       ("import", "write the site secret from the base64 line on stdin"),
                       ("fingerprint", "print the keyed fingerprint gates compare (safe to show)")):
        cmd = secret_sub.add_parser(name, help=text)
        where = cmd.add_mutually_exclusive_group(required=True)
        where.add_argument("--config", help="the gate's config file (its site.secret_file)")
        where.add_argument("--secret-file", help="the secret file itself")
        cmd.add_argument("--json", action="store_true")
        if name == "import":
            cmd.add_argument("--force", action="store_true", help="replace a different secret already there")
        cmd.set_defaults(handler=globals()[f"run_secret_{name}"])


def _path(args) -> str:
    return args.secret_file or config.load(args.config).site.secret_file


def run_secret_export(args) -> int:
    text = site_secret.export_text(_path(args))
    emit(args, {"secret": text}, text)
    return 0


def run_secret_import(args) -> int:
    path = _path(args)
    fingerprint = site_secret.import_text(sys.stdin.readline(), path, force=args.force)
    emit(args, {"file": path, "fingerprint": fingerprint}, f"{path}: site secret written (fingerprint {fingerprint})")
    return 0


def run_secret_fingerprint(args) -> int:
    path = _path(args)
    fingerprint = site_secret.fingerprint(base64.b64decode(site_secret.export_text(path)))
    emit(args, {"file": path, "fingerprint": fingerprint}, fingerprint)
    return 0
