"""qrgate doctor: check a gate's parts on day one (camera, pins, board, broker, clock, disk, ledger)."""

from __future__ import annotations

import json
import sys

from .. import config

DEFAULT_CONFIG = "/etc/qrgate/gate.toml"


def add_parser(sub) -> None:
    doctor = sub.add_parser("doctor", help="check the gate's parts, one line per check with the fix")
    doctor.add_argument("--config", default=DEFAULT_CONFIG, help=f"TOML config file (default {DEFAULT_CONFIG})")
    doctor.add_argument("--json", action="store_true", help="one JSON object: ok and every check")
    doctor.add_argument("--wait-for-code", type=float, metavar="SECONDS",
                        help="also wait this long for a QR code held to the first camera")
    doctor.set_defaults(handler=run)


def run(args) -> int:
    from ..doctor import report, run_checks

    if args.wait_for_code is not None and args.wait_for_code <= 0:
        print("qrgate: --wait-for-code needs a positive number of seconds", file=sys.stderr)
        return 2
    cfg = config.load(args.config)  # a missing or wrong config is a usage error (exit 2) naming the key
    findings = run_checks(cfg, wait_seconds=args.wait_for_code)
    result = report(findings)
    if args.json:
        print(json.dumps({"config": args.config, **result}, ensure_ascii=False))
    else:
        print("\n".join(f.line() for f in findings))
        failed = sum(f.status == "fail" for f in findings)
        print(f"{'all checks passed' if result['ok'] else f'{failed} check(s) failed'} ({args.config})")
    return 0 if result["ok"] else 1
