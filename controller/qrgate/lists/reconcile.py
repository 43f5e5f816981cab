"""`qrgate list check`: a list's rows against the identity codes the gates have seen.

For each row whose ID number was seen, the keyed hashes of the normalised name (case,
diacritics including đ/Đ, spacing) and of the birth date are compared with each code seen;
a difference is reported with the row as the list has it and what the code said (both
opened with the staff key), so the staff can correct it. Output is for the staff terminal only: nothing is written to the
event log or sent anywhere.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from . import seal
from .store import SiteLists

FORMAT_LABEL = {"cccd": "CCCD card", "pccovid": "PC-Covid code"}


@dataclass(frozen=True)
class Mismatch:
    line: int
    field: str  # "name" | "birth date"
    format: str
    last_seen: float
    name: str  # as the list has it
    birth: str | None
    seen: dict | None = None  # what the code said: {"name", "birth"}; None when it was not sealed


@dataclass
class Report:
    rows: int
    seen: int
    mismatches: list[Mismatch]
    unlisted_seen: int


def check(store: SiteLists, list_name: str, staff_key: X25519PrivateKey) -> Report:
    entries = store.entries(list_name)
    mismatches: list[Mismatch] = []
    seen = 0
    for line, holder, name_key, birth_key, sealed in entries:
        sightings = store.sightings(holder)
        if not sightings:
            continue
        seen += 1
        row = None
        for format, seen_name, seen_birth, last_seen, seen_sealed in sightings:
            fields = []
            if seen_name and seen_name != name_key:
                fields.append("name")
            if seen_birth and birth_key and seen_birth != birth_key:
                fields.append("birth date")
            if not fields:
                continue
            row = row or json.loads(seal.open_sealed(staff_key, sealed))
            said = json.loads(seal.open_sealed(staff_key, seen_sealed)) if seen_sealed else None
            for field in fields:
                mismatches.append(Mismatch(line, field, format, last_seen, row["name"], row["birth"], said))
    return Report(len(entries), seen, mismatches, store.unlisted_sightings())


def _day(iso: str | None) -> str:
    return dt.date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else "no birth date"


def render(report: Report, list_name: str) -> str:
    lines = [f"list {list_name}: {report.rows} rows, {report.seen} seen at the gates, "
             f"{len(report.mismatches)} difference(s)"]
    for m in report.mismatches:
        when = dt.datetime.fromtimestamp(m.last_seen).strftime("%Y-%m-%d %H:%M")
        said = f": {m.seen['name']}, {_day(m.seen['birth'])}" if m.seen else ""
        lines.append(f"  line {m.line} ({m.name}, {_day(m.birth)}): the {m.field} differs from the "
                     f"{FORMAT_LABEL.get(m.format, m.format)} seen {when}{said}")
    if report.unlisted_seen:
        lines.append(f"{report.unlisted_seen} person(s) seen with an ID code that is on no list")
    return "\n".join(lines)
