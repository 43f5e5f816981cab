"""qrgate keys new: make a pass-signing key and the trust file gates need."""

from __future__ import annotations

from ..credentials.keys import new_key
from .output import emit


def add_parser(sub) -> None:
    keys = sub.add_parser("keys", help="pass-signing keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    new = keys_sub.add_parser("new", help="make a signing key; its public half goes into DIR/trust.json")
    new.add_argument("--dir", required=True, help="folder for the key, issuer secret and trust file")
    new.add_argument("--json", action="store_true")
    new.set_defaults(handler=run_new)


def run_new(args) -> int:
    made = new_key(args.dir)
    emit(args, made, f"key {made['kid']}: private key {made['private_key']} (keep it off the gates), "
                     f"trust file {made['trust']} (copy it to every gate)")
    return 0
