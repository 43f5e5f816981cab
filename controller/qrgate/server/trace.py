"""Contact tracing: who was inside (on site, or in the same zone) while a case was, and for how long.

Two reads: the case's own stays (by pseudonym), then every stay at the site that overlaps the
span of the case's stays; the database pairs entries with exits (reports.stays_between), and
stays.py works out the overlaps.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo

from .config import ServedSiteConfig
from .db import Database
from .reports import stays_between
from .stays import Stay, clip, overlaps

CSV_COLUMNS = ("pseudonym", "place", "overlap_start", "overlap_end", "minutes", "entry_gate", "exit_gate")


def trace(db: Database, site: ServedSiteConfig, case: str, start: float, end: float, now: float) -> dict:
    own = [c for c in (clip(s, start, end, now) for s in stays_between(db, site, start, end, pseudonym=case)) if c]
    contacts = []
    if own:
        lo, hi = min(s.start for s in own), max(s.end for s in own)
        contacts = overlaps(own, stays_between(db, site, lo, hi))
    return {
        "site": site.id, "case": case, "start": start, "end": end,
        "by": "zone" if site.zones else "site",
        "case_stays": [_stay(s) for s in own],
        "contacts": contacts,
        "people": len({c["pseudonym"] for c in contacts}),
    }


def _stay(s: Stay) -> dict:
    return {"place": s.place, "start": s.start, "end": s.end, "entry_gate": s.entry_gate, "exit_gate": s.exit_gate}


def to_csv(result: dict, tz: str, names: dict[str, list[dict]] | None = None) -> bytes:
    """The contacts as CSV for the health authority: UTF-8 with a BOM (Excel reads the accents),
    times in the site's zone; with `names`, a tracer's re-identified columns."""
    zone = zoneinfo.ZoneInfo(tz)
    out = io.StringIO()
    writer = csv.writer(out)
    extra = ("pass_id", "name", "phone") if names is not None else ()
    writer.writerow(CSV_COLUMNS + extra)
    for c in result["contacts"]:
        row = [c["pseudonym"], c["place"], _local(c["start"], zone), _local(c["end"], zone), c["minutes"],
               c["entry_gate"], c["exit_gate"] or ""]
        if names is None:
            writer.writerow(row)
            continue
        for holder in names.get(c["pseudonym"]) or [{"pass_id": "", "name": "", "phone": ""}]:
            writer.writerow(row + [holder["pass_id"], _cell(holder["name"]), _cell(holder["phone"])])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _cell(text: str) -> str:
    """A register's text as a spreadsheet cell, never a formula (=, +, -, @ would run in Excel)."""
    text = str(text)
    if text[:1] in ("=", "@", "\t", "\r") or (text[:1] in ("+", "-") and not text[1:].replace(" ", "").isdigit()):
        return "'" + text
    return text


def _local(at: float, zone) -> str:
    return dt.datetime.fromtimestamp(at, zone).isoformat(timespec="seconds")
