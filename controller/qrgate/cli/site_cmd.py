"""qrgate site secret export|import|fingerprint: give a new gate the site's secret.

Every gate of a site keys pseudonyms with the same secret (docs/site.md). On a working
gate, `qrgate site secret export --config gate.toml` prints it as base64; on the new one,
`qrgate site secret import --config gate.toml` reads that line from stdin and writes the
file mode 0600. Carry it over a channel you trust (ssh), never a chat or an e-mail.
"""

from __future__ import annotations

import sys

from .. import config
from ..site import secret as site_secret
from .output import emit


def add_parser(sub) -> None:
    site = sub.add_parser("site", help="the site's shared secret")
    site_sub = site.add_subparsers(dest="site_command", required=True)
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
        cmd.set_defaults(handler=globals()[f"run_{name}"])


def _path(args) -> str:
    return args.secret_file or config.load(args.config).site.secret_file


def run_export(args) -> int:
    text = site_secret.export_text(_path(args))
    emit(args, {"secret": text}, text)
    return 0


def run_import(args) -> int:
    path = _path(args)
    fingerprint = site_secret.import_text(sys.stdin.readline(), path, force=args.force)
    emit(args, {"file": path, "fingerprint": fingerprint}, f"{path}: site secret written (fingerprint {fingerprint})")
    return 0


def run_fingerprint(args) -> int:
    path = _path(args)
    import base64

    fingerprint = site_secret.fingerprint(base64.b64decode(site_secret.export_text(path)))
    emit(args, {"file": path, "fingerprint": fingerprint}, fingerprint)
    return 0
