"""qrgate config check|describe: validate a config file, list every setting."""

from __future__ import annotations

from .. import config
from .output import emit


def add_parser(sub) -> None:
    cfg = sub.add_parser("config", help="check a config file or list the settings")
    cfg_sub = cfg.add_subparsers(dest="config_command", required=True)
    check = cfg_sub.add_parser("check", help="validate a TOML config file")
    check.add_argument("file")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=run_check)
    describe = cfg_sub.add_parser("describe", help="every setting with its default and meaning")
    describe.add_argument("--json", action="store_true")
    describe.set_defaults(handler=run_describe)


def run_check(args) -> int:
    # the same load as `qrgate run`, trust files included: a ConfigError names the key path and exits 2
    loaded = config.load(args.file)
    readers = [r.kind for r in loaded.readers]
    emit(args, {"file": args.file, "valid": True, "gate": loaded.gate.id, "site": loaded.site.id, "readers": readers},
         f"{args.file}: ok (site {loaded.site.id}, gate {loaded.gate.id}, readers: {', '.join(readers)})")
    return 0


def run_describe(args) -> int:
    rows = config.describe()
    emit(args, {"settings": [{"key": k, "default": d, "doc": doc} for k, d, doc in rows]},
         "\n".join(f"{k:36} {d:24} {doc}" for k, d, doc in rows))
    return 0
