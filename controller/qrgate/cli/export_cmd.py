"""qrgate export | purge: pseudonymous movements as CSV for health authorities; the retention purge."""

from __future__ import annotations

import sys
import time

from ..errors import QrgateError
from ..export import movements_csv, purge_expired
from ..ledger import Ledger
from .output import emit
from .timeparse import iso, parse_time


def _ledger_arguments(parser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--ledger", help="the gate's SQLite event log")
    where.add_argument("--config", help="TOML config of the gate (its ledger.path is used)")


def add_parser(sub) -> None:
    export = sub.add_parser("export", help="entries and exits as CSV (time, gate, movement, pseudonym)")
    _ledger_arguments(export)
    export.add_argument("--from", dest="start", required=True, help="ISO 8601, epoch seconds, or a span back from now: --from=-14d")
    export.add_argument("--to", dest="end", default="now", help="as --from (default now); not included")
    export.add_argument("--out", help="write the CSV here instead of standard output")
    export.set_defaults(handler=run_export)
    purge = sub.add_parser("purge", help="delete log rows older than the retention period")
    _ledger_arguments(purge)
    purge.add_argument("--days", type=float, required=True, help="retention period in days")
    purge.add_argument("--json", action="store_true")
    purge.set_defaults(handler=run_purge)


def _open(args) -> Ledger:
    path = args.ledger
    if path is None:
        from .. import config

        path = config.load(args.config).ledger.path
    return Ledger(path)


def run_export(args) -> int:
    now = time.time()
    start, end = parse_time(args.start, now), parse_time(args.end, now)
    if end <= start:
        raise QrgateError("--to must be after --from")
    ledger = _open(args)
    try:
        text = movements_csv(ledger, start, end)
    finally:
        ledger.close()
    if args.out:
        try:
            with open(args.out, "w", newline="") as fh:
                fh.write(text)
        except OSError as exc:
            raise QrgateError(f"cannot write {args.out}: {exc.strerror}") from None
        print(f"{text.count(chr(10)) - 1} movements from {iso(start)} to {iso(end)} written to {args.out}",
              file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def run_purge(args) -> int:
    if args.days <= 0:
        raise QrgateError("--days must be above 0")
    ledger = _open(args)
    try:
        deleted = purge_expired(ledger, args.days, time.time())
    finally:
        ledger.close()
    emit(args, {"deleted": deleted, "retention_days": args.days}, f"{deleted} events older than {args.days:g} days deleted")
    return 0
