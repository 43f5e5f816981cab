"""qrgate pass issue|revoke|show|install-revocations: make passes (one, or a printable sheet from a
CSV), revoke them, show a rotating code; the holder's text never enters a pass."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import segno

from ..credentials import native, rotating
from ..credentials.keys import issuer_secret, load_private_key
from ..errors import QrgateError
from .output import emit
from .timeparse import iso, parse_time

CSV_COLUMNS = ("holder", "kind", "valid_from", "valid_until", "hours", "label", "site", "zones", "gates",
               "entries_per_day", "rotating", "phone")


def add_parser(sub) -> None:
    passes = sub.add_parser("pass", help="gate passes")
    pass_sub = passes.add_subparsers(dest="pass_command", required=True)
    issue = pass_sub.add_parser("issue", help="sign a pass (or a sheet of them) and print the QR text")
    issue.add_argument("--key", required=True, help="private key file made by 'qrgate keys new'")
    issue.add_argument("--holder", help="who holds it (a name or staff number); only its keyed pseudonym "
                                        "goes in the pass")
    issue.add_argument("--kind", default="visitor", choices=native.KINDS)
    issue.add_argument("--valid-from", default="now", help="ISO 8601, epoch seconds, now, or +2h (default now)")
    issue.add_argument("--valid-until", default="+12h", help="as --valid-from (default +12h)")
    issue.add_argument("--hours", type=float, help="valid this many hours from --valid-from (health declarations)")
    issue.add_argument("--site", type=int, default=0, help="site number the pass is bound to (0: any)")
    issue.add_argument("--zones", default="", help="zone numbers 1-8 it opens, e.g. 1,3 (default: all)")
    issue.add_argument("--gates", default="", help="gate numbers 1-8 it opens, e.g. 2 (default: all)")
    issue.add_argument("--entries-per-day", type=int, default=0, help="entries a day (0: no limit)")
    issue.add_argument("--rotating", action="store_true",
                       help="only valid as a rotating code (qrgate pass show --rotating); needs rotation.json")
    issue.add_argument("--rotation", help="rotation.json (default: beside the key)")
    issue.add_argument("--png", help="also write the QR code to this PNG file")
    issue.add_argument("--from-csv", help=f"issue one pass per row; columns: {', '.join(CSV_COLUMNS)} "
                                          "(holder required); needs --sheet")
    issue.add_argument("--sheet", help="printable sheet of cards: a .pdf, or .png (one file per page)")
    issue.add_argument("--tz", help="time zone printed on cards (default: this computer's)")
    issue.add_argument("--register", help="also add the holder's name and --phone, sealed to the site's key, to "
                                          "this pass register (qrgate site register-init; docs/site-server.md)")
    issue.add_argument("--phone", help="the holder's phone, kept only sealed in --register")
    issue.add_argument("--json", action="store_true")
    issue.set_defaults(handler=run_issue)

    revoke = pass_sub.add_parser("revoke", help="add pass ids to a signed revocation list (version + 1)")
    revoke.add_argument("--key", required=True, help="a signing key the gates trust")
    revoke.add_argument("--list", required=True, help="revocation list file (made if missing)")
    revoke.add_argument("pass_ids", nargs="+", help="pass ids, 12 hex digits")
    revoke.add_argument("--json", action="store_true")
    revoke.set_defaults(handler=run_revoke)

    install = pass_sub.add_parser("install-revocations", help="on a gate: take a newer revocation list")
    install.add_argument("--trust", action="append", default=[], required=True, help="trust file(s)")
    install.add_argument("--store", required=True, help="the gate's copy of the list in use")
    install.add_argument("list", help="the new list")
    install.add_argument("--json", action="store_true")
    install.set_defaults(handler=run_install)

    show = pass_sub.add_parser("show", help="show a pass as a rotating code (terminal, or a page for a phone)")
    show.add_argument("payload", help="the pass text (QG1:...)")
    show.add_argument("--rotating", action="store_true", required=True)
    where = show.add_mutually_exclusive_group(required=True)
    where.add_argument("--rotation", help="rotation.json (issuer or demo)")
    where.add_argument("--secret", help="the pass's own rotating secret (hex), as 'pass issue --rotating' gave it")
    show.add_argument("--once", action="store_true", help="show the current code once and exit")
    show.add_argument("--at", help="as at this time instead of now (with --once)")
    show.add_argument("--html", help="write a self-contained page that shows the right code each step")
    show.add_argument("--minutes", type=float, default=30, help="how long the page's codes last (default 30)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=run_show)


def _mask(text: str, option: str) -> int:
    mask = 0
    for part in filter(None, (p.strip() for p in text.split(","))):
        if not part.isdigit() or not 1 <= int(part) <= 8:
            raise QrgateError(f"{option}: {part!r} is not a number 1-8")
        mask |= 1 << (int(part) - 1)
    return mask


def _fields(row: dict, secret: bytes, now: float) -> native.PassFields:
    holder = (row.get("holder") or "").strip()
    if not holder:
        raise QrgateError("holder is empty")
    kind = (row.get("kind") or "visitor").strip()
    if kind not in native.KINDS:
        raise QrgateError(f"kind {kind!r} is not one of {', '.join(native.KINDS)}")
    valid_from = parse_time(row.get("valid_from") or "now", now)
    if row.get("hours"):
        try:
            valid_until = valid_from + float(row["hours"]) * 3600
        except ValueError:
            raise QrgateError(f"hours {row['hours']!r} is not a number") from None
    else:
        valid_until = parse_time(row.get("valid_until") or "+12h", now)
    if valid_until < valid_from:
        raise QrgateError("valid_until is before valid_from")
    numbers = {}
    for name in ("site", "entries_per_day"):
        value = str(row.get(name) or "0").strip()
        if not value.isdigit():
            raise QrgateError(f"{name} {value!r} is not a whole number")
        numbers[name] = int(value)
    rotating_flag = str(row.get("rotating") or "").strip().lower() in ("1", "yes", "true")
    try:
        return native.PassFields(kind=kind, holder=native.holder_pseudonym(secret, holder),
                                 valid_from=int(valid_from), valid_until=int(valid_until),
                                 zones=_mask(str(row.get("zones") or ""), "zones"),
                                 gates=_mask(str(row.get("gates") or ""), "gates"),
                                 rotating=rotating_flag, **numbers)
    except ValueError as exc:
        raise QrgateError(str(exc)) from None


def _issue_one(key, fields: native.PassFields) -> str:
    try:
        return native.issue(key, fields)
    except ValueError as exc:
        raise QrgateError(str(exc)) from None


def _rotation_key(args) -> bytes:
    path = args.rotation or str(Path(args.key).parent / rotating.ROTATION_FILE_NAME)
    return rotating.load_rotation_key(path)


def run_issue(args) -> int:
    if args.from_csv:
        return _issue_csv(args)
    if not args.holder or not args.holder.strip():
        raise QrgateError("--holder is empty" if args.holder is not None else "--holder is required "
                          "(or --from-csv FILE)")
    now = time.time()
    kid, key = load_private_key(args.key)
    row = {"holder": args.holder, "kind": args.kind, "valid_from": args.valid_from,
           "valid_until": args.valid_until, "hours": args.hours, "site": args.site, "zones": args.zones,
           "gates": args.gates, "entries_per_day": args.entries_per_day, "rotating": "1" if args.rotating else ""}
    fields = _fields(row, issuer_secret(args.key), now)
    payload = _issue_one(key, fields)
    pass_id = native.pass_id_of(payload)
    if args.register:
        _register(args.register, pass_id, fields, args.holder.strip(), args.phone or "", now)
    result = {"payload": payload, "pass_id": pass_id, "kid": kid, "kind": args.kind,
              "valid_from": iso(fields.valid_from), "valid_until": iso(fields.valid_until)}
    if args.rotating:
        result["rotating_secret"] = rotating.pass_secret(_rotation_key(args), kid, pass_id).hex()
    if args.png:
        try:
            segno.make(payload, error="m", micro=False, boost_error=False).save(args.png, scale=8, border=4)
        except OSError as exc:
            raise QrgateError(f"cannot write {args.png}: {exc.strerror}") from None
        result["png"] = args.png
    emit(args, result, f"pass {pass_id} ({args.kind}, key {kid}) valid {result['valid_from']} to "
                       f"{result['valid_until']}\n{payload}")
    return 0


def _issue_csv(args) -> int:
    from zoneinfo import ZoneInfo

    from ..credentials.paper import Card, render_sheets, save_sheets

    if not args.sheet:
        raise QrgateError("--from-csv needs --sheet OUT.pdf or OUT.png")
    now = time.time()
    kid, key = load_private_key(args.key)
    secret = issuer_secret(args.key)
    try:
        with open(args.from_csv, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            unknown = set(reader.fieldnames or ()) - set(CSV_COLUMNS)
            if "holder" not in (reader.fieldnames or ()) or unknown:
                raise QrgateError(f"{args.from_csv}: the first line must name the columns; holder is required"
                                  + (f"; unknown: {', '.join(sorted(unknown))}" if unknown else ""))
            rows = list(reader)
    except OSError as exc:
        raise QrgateError(f"cannot read {args.from_csv}: {exc.strerror}") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise QrgateError(f"{args.from_csv}: not a CSV file ({exc})") from None
    cards, issued = [], []
    for line, row in enumerate(rows, start=2):
        try:
            fields = _fields(row, secret, now)
        except QrgateError as exc:
            raise QrgateError(f"{args.from_csv} line {line}: {exc}") from None
        payload = _issue_one(key, fields)
        pass_id = native.pass_id_of(payload)
        if args.register:
            _register(args.register, pass_id, fields, row["holder"].strip(), (row.get("phone") or "").strip(), now)
        cards.append(Card(payload, pass_id, fields.kind, fields.valid_from, fields.valid_until,
                          (row.get("label") or "").strip()))
        issued.append({"line": line, "pass_id": pass_id, "kind": fields.kind,
                       "valid_from": iso(fields.valid_from), "valid_until": iso(fields.valid_until)})
    try:
        tz = ZoneInfo(args.tz) if args.tz else None
    except Exception:
        raise QrgateError(f"--tz {args.tz!r} is not a time zone name") from None
    files = save_sheets(render_sheets(cards, tz), args.sheet)
    emit(args, {"kid": kid, "passes": issued, "sheets": files},
         f"{len(cards)} passes (key {kid}) on {len(files) if files[0].endswith('.png') else 1} sheet file(s): "
         f"{', '.join(files)}")
    return 0


def _register(path: str, pass_id: str, fields: native.PassFields, name: str, phone: str, now: float) -> None:
    """One sealed register row: the site server turns the pass's pseudonym back into the name and
    phone only for a tracer, and logs it."""
    from ..server.register import add_entry

    add_entry(path, pass_id=pass_id, fmt=native.FORMAT, holder_hex=fields.holder.hex(), name=name, phone=phone,
              issued_at=now)


def run_revoke(args) -> int:
    from ..credentials.revocation import revoke

    _kid, key = load_private_key(args.key)
    doc = revoke(key, args.list, args.pass_ids, int(time.time()), pass_keys=_issuer_trust(args.key).pass_keys)
    emit(args, {"list": args.list, "version": doc["version"], "revoked": len(doc["pass_ids"])},
         f"{args.list}: version {doc['version']}, {len(doc['pass_ids'])} pass(es) revoked; copy it to every gate")
    return 0


def _issuer_trust(key_path: str):
    """Every key in the trust file beside the key, retired too: the issuer may re-read its old lists."""
    from ..credentials.keys import TRUST_FILE_NAME, read_trust_doc
    from ..credentials.trust import TrustStore

    doc = read_trust_doc(Path(key_path).parent / TRUST_FILE_NAME)
    for entry in doc["keys"]:
        entry.pop("retired", None)
    store = TrustStore()
    store._add_pass_keys(doc, Path(key_path).parent)
    return store


def run_install(args) -> int:
    from ..credentials.revocation import read_doc
    from ..credentials.revocation_store import RevocationStore
    from ..credentials.trust import TrustStore

    trust = TrustStore.from_files(args.trust)
    store = RevocationStore(args.store)
    store.load_into(trust)
    doc = read_doc(args.list)
    if doc is None:
        raise QrgateError(f"no such file {args.list}")
    installed = store.install(doc, trust)
    emit(args, {"version": installed.version, "revoked": len(installed.pass_ids)},
         f"revocation list version {installed.version} in use ({len(installed.pass_ids)} passes)")
    return 0


def run_show(args) -> int:
    try:
        kid, pass_id = native.ids_of(args.payload)
    except ValueError as exc:
        raise QrgateError(f"{exc}: give the pass text that starts with QG1:") from None
    if args.secret:
        try:
            secret = bytes.fromhex(args.secret)
        except ValueError:
            raise QrgateError("--secret must be hex digits") from None
    else:
        secret = rotating.pass_secret(rotating.load_rotation_key(args.rotation), kid, pass_id)
    if args.html:
        from .rotating_page import write_page

        count = write_page(args.html, args.payload, secret, time.time(), args.minutes)
        emit(args, {"html": args.html, "codes": count}, f"{args.html}: {count} codes, {args.minutes:g} minutes")
        return 0
    now = parse_time(args.at) if args.at else time.time()
    while True:
        text = rotating.present(args.payload, secret, now)
        step_ends = (rotating.step_of(now) + 1) * rotating.STEP_SECONDS
        if args.json:
            print(json.dumps({"payload": text, "step": rotating.step_of(now), "valid_until": iso(step_ends)}))
        else:
            print("\033[2J\033[H" if not args.once else "", end="")
            segno.make(text, error="m", micro=False, boost_error=False).terminal(compact=True)
            print(f"changes in {step_ends - now:.0f} s  (pass {pass_id})")
        if args.once:
            return 0
        time.sleep(max(0.2, step_ends - time.time()))
        now = time.time()
