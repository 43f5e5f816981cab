"""qrgate guard add|list: the guards who may log in to the gate's console (argon2 hashes in a file)."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from ..errors import WebError
from .output import emit

GUARDS_FILE_NAME = "guards.json"


def add_parser(sub) -> None:
    guard = sub.add_parser("guard", help="guards of the console at /console")
    guard_sub = guard.add_subparsers(dest="guard_command", required=True)
    add = guard_sub.add_parser("add", help="add a guard, or set a guard's new password (read from stdin)")
    add.add_argument("--state-dir", required=True, help="the gate's state folder (web.guards_file's folder)")
    add.add_argument("--name", required=True, help="the guard's login name; it is the id actions are logged with")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=run_add)
    names = guard_sub.add_parser("list", help="list the guards' names")
    names.add_argument("--state-dir", required=True)
    names.add_argument("--json", action="store_true")
    names.set_defaults(handler=run_list)


def _book(state_dir: str):
    from ..web.guards import GuardBook

    return GuardBook(Path(state_dir) / GUARDS_FILE_NAME)


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise WebError("the two passwords differ")
        return first
    line = sys.stdin.readline()
    if not line:
        raise WebError("no password on standard input")
    return line.rstrip("\r\n")


def run_add(args) -> int:
    book = _book(args.state_dir)
    from ..web.guards import check_name

    check_name(args.name)
    is_new = book.add(args.name, _read_password())
    emit(args, {"guard": args.name, "new": is_new, "file": str(book.path)},
         f"guard {args.name} {'added' if is_new else 'has a new password'} ({book.path})")
    return 0


def run_list(args) -> int:
    names = _book(args.state_dir).names()
    emit(args, {"guards": names}, "\n".join(names) if names else "no guards yet (qrgate guard add)")
    return 0
