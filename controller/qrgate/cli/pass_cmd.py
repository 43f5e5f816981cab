"""qrgate pass issue: sign a pass for a holder; the holder's text never enters the pass."""

from __future__ import annotations

import time

import segno

from ..credentials import native
from ..credentials.keys import issuer_secret, load_private_key
from ..errors import QrgateError
from .output import emit
from .timeparse import iso, parse_time


def add_parser(sub) -> None:
    passes = sub.add_parser("pass", help="gate passes")
    pass_sub = passes.add_subparsers(dest="pass_command", required=True)
    issue = pass_sub.add_parser("issue", help="sign a pass and print the text its QR code holds")
    issue.add_argument("--key", required=True, help="private key file made by 'qrgate keys new'")
    issue.add_argument("--holder", required=True,
                       help="who holds it (a name or staff number); only its keyed pseudonym goes in the pass")
    issue.add_argument("--kind", default="visitor", choices=native.KINDS)
    issue.add_argument("--valid-from", default="now", help="ISO 8601, epoch seconds, now, or +2h (default now)")
    issue.add_argument("--valid-until", default="+12h", help="as --valid-from (default +12h)")
    issue.add_argument("--png", help="also write the QR code to this PNG file")
    issue.add_argument("--json", action="store_true")
    issue.set_defaults(handler=run_issue)


def run_issue(args) -> int:
    now = time.time()
    valid_from, valid_until = parse_time(args.valid_from, now), parse_time(args.valid_until, now)
    if valid_until < valid_from:
        raise QrgateError("--valid-until is before --valid-from")
    if not args.holder.strip():
        raise QrgateError("--holder is empty")
    kid, key = load_private_key(args.key)
    fields = native.PassFields(kind=args.kind, holder=native.holder_pseudonym(issuer_secret(args.key), args.holder),
                               valid_from=int(valid_from), valid_until=int(valid_until))
    try:
        payload = native.issue(key, fields)
    except ValueError as exc:
        raise QrgateError(str(exc)) from None
    pass_id = native.pass_id_of(payload)
    result = {"payload": payload, "pass_id": pass_id, "kid": kid, "kind": args.kind,
              "valid_from": iso(fields.valid_from), "valid_until": iso(fields.valid_until)}
    if args.png:
        try:
            segno.make(payload, error="m", micro=False, boost_error=False).save(args.png, scale=8, border=4)
        except OSError as exc:
            raise QrgateError(f"cannot write {args.png}: {exc.strerror}") from None
        result["png"] = args.png
    emit(args, result, f"pass {pass_id} ({args.kind}, key {kid}) valid {result['valid_from']} to "
                       f"{result['valid_until']}\n{payload}")
    return 0
