"""qrgate verify: check a scanned text offline, step by step."""

from __future__ import annotations

import sys
import time

from .. import credentials
from ..credentials import TrustStore
from ..credentials.summary import summary
from ..policy.reasons import guard_text
from .output import emit
from .timeparse import parse_time


def add_parser(sub) -> None:
    verify = sub.add_parser("verify", help="check a code's text: signature, key, validity")
    verify.add_argument("payload", help="the text the QR code holds, or - to read it from standard input")
    verify.add_argument("--trust", action="append", default=[],
                        help="trust file (qrgate trust.json, revocation list, rotation.json, PEM certificate bundle, "
                             "DCC trust list); repeatable")
    verify.add_argument("--schema", help="folder of DCC JSON schemas (one subfolder per release)")
    verify.add_argument("--at", help="check as at this time instead of now")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=run)


def read_payload(arg: str) -> str:
    if arg != "-":
        return arg
    data = sys.stdin.buffer.read(8 * 1024 * 1024)
    return data.decode("utf-8", "replace").strip("\r\n")


def run(args) -> int:
    trust = TrustStore.from_files(args.trust, args.schema)
    now = parse_time(args.at) if args.at else time.time()
    payload = read_payload(args.payload)
    result = credentials.verify(payload, trust, now)
    steps = ", ".join(f"{k} {'ok' if v else 'FAILED' if v is False else '-'}" for k, v in result.checks.items())
    text = f"{'VALID' if result.valid else 'INVALID'} {result.format}: {result.reason} " \
           f"({guard_text(result.reason, 'en')})\n  {steps}"
    data = result.to_json()
    if result.credential is not None:  # what the guard sees: never a name, birth date or ID number
        data["summary"] = summary(result.credential)
        text += f"\n  {data['summary']}"
    emit(args, data, text)
    return 0 if result.valid else 1
