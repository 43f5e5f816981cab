"""qrgate list import | check | show | remove: the site's own lists (staff, patients, vaccination).

Lists live in lists.sqlite3 beside the gate's event log, as keyed hashes and sealed rows
(qrgate.lists). `check` prints to this terminal only.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..errors import ListError
from ..lists import SiteLists, lists_path, reconcile, seal
from ..lists.csvfile import read_list
from ..pseudonym import load_or_create_secret
from .output import emit

KEY_FILE = "lists.key"


def add_parser(sub) -> None:
    lists = sub.add_parser("list", help="site lists: import a CSV, check it against the codes seen")
    actions = lists.add_subparsers(dest="list_action", required=True)
    imp = actions.add_parser("import", help="replace list NAME with the rows of FILE.csv "
                             "(name, birth date, phone, CCCD number; Vietnamese or English headers)")
    imp.add_argument("name")
    imp.add_argument("file")
    check = actions.add_parser("check", help="compare list NAME with the ID codes the gate has seen; "
                               "differences are printed here, never logged")
    check.add_argument("name")
    show = actions.add_parser("show", help="the lists held, with their row counts")
    show.add_argument("--json", action="store_true")
    remove = actions.add_parser("remove", help="delete list NAME")
    remove.add_argument("name")
    for parser in (imp, check, show, remove):
        parser.add_argument("--config", required=True, help="TOML config of the gate (site secret, state folder)")
        parser.add_argument("--key", help=f"the staff key that seals list rows (default: {KEY_FILE} beside the "
                                          "event log; made by the first import)")
    lists.set_defaults(handler=run)


def _open(args) -> tuple[SiteLists, Path]:
    from .. import config

    cfg = config.load(args.config)
    state = Path(cfg.ledger.path).parent
    store = SiteLists(lists_path(state), load_or_create_secret(cfg.site.secret_file))
    return store, Path(args.key) if args.key else state / KEY_FILE


def run(args) -> int:
    store, key_path = _open(args)
    try:
        return {"import": _import, "check": _check, "show": _show, "remove": _remove}[args.list_action](
            args, store, key_path)
    finally:
        store.close()


def _import(args, store: SiteLists, key_path: Path) -> int:
    result = read_list(args.file)
    if store.public_key is None:
        store.set_public_key(seal.public_bytes(seal.create_key(key_path)))
        print(f"made the staff key {key_path}: only it opens the list rows; keep it on the staff terminal",
              file=sys.stderr)
    kept = store.replace(args.name, result.rows, time.time())
    for problem in result.problems:
        print(f"qrgate: {args.file}: {problem}; row left out", file=sys.stderr)
    note = f" ({result.restored_zeros} CCCD numbers had lost their leading zero)" if result.restored_zeros else ""
    print(f"list {args.name}: {kept} rows imported, {len(result.problems)} left out{note}")
    return 1 if result.problems else 0


def _check(args, store: SiteLists, key_path: Path) -> int:
    store.entries(args.name)  # an unknown list is named before a missing key
    report = reconcile.check(store, args.name, seal.load_key(key_path))
    print(reconcile.render(report, args.name))
    return 1 if report.mismatches else 0


def _show(args, store: SiteLists, key_path: Path) -> int:
    rows = store.names()
    data = {"lists": [{"name": n, "imported_at": at, "rows": count} for n, at, count in rows]}
    text = "\n".join(f"{n}: {count} rows, imported {time.strftime('%Y-%m-%d %H:%M', time.localtime(at))}"
                     for n, at, count in rows) or "no lists"
    emit(args, data, text)
    return 0


def _remove(args, store: SiteLists, key_path: Path) -> int:
    if not store.remove(args.name):
        raise ListError(f"no list named {args.name!r}")
    print(f"list {args.name} removed")
    return 0
