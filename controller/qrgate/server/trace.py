"""Contact tracing: who was inside (on site, or in the same zone) while a case was, and for how long.

Two reads: the case's own stays (by pseudonym), then every stay at the site that overlaps the
span of the case's stays; the database pairs entries with exits (reports.stays_select) and clips
the overlaps and orders them by holder, and the holders' totals order them here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections import defaultdict

from .config import ServedSiteConfig
from .db import Database

from sqlalchemy import and_, case as when, literal, select, union_all

from .reports import run_stays_query, stays_between, stays_select
from .stays import Stay, clip

CSV_COLUMNS = ("pseudonym", "place", "overlap_start", "overlap_end", "minutes", "entry_gate", "exit_gate")


def trace(db: Database, site: ServedSiteConfig, case: str, start: float, end: float, now: float) -> dict:
    own = [c for c in (clip(s, start, end, now) for s in stays_between(db, site, start, end, pseudonym=case)) if c]
    contacts = []
    if own:
        lo, hi = min(s.start for s in own), max(s.end for s in own)
        contacts = _contacts(db, site, case, own, lo, hi)
    return {
        "site": site.id, "case": case, "start": start, "end": end,
        "by": "zone" if site.zones else "site",
        "case_stays": [_stay(s) for s in own],
        "contacts": contacts,
        "people": len({c["pseudonym"] for c in contacts}),
    }


def _contacts(db: Database, site: ServedSiteConfig, case: str, own: list[Stay], lo: float, hi: float) -> list[dict]:
    """Every other holder's overlap with one of the case's stays in the same place, longest total
    per holder first, then by pseudonym and start. The database pairs the stays, clips them to
    the case's and orders them by pseudonym and start (a site-wide trace can list thousands: they
    are not built one by one here)."""
    mine = union_all(*(select(literal(s.place).label("place"), literal(s.start).label("cs"),
                              literal(s.end).label("ce")) for s in own)).subquery()
    theirs = stays_select(site, lo, hi).subquery()
    start = when((theirs.c.start > mine.c.cs, theirs.c.start), else_=mine.c.cs)
    end = when((theirs.c.end < mine.c.ce, theirs.c.end), else_=mine.c.ce)
    # pseudonym then start in the database (in code-point order, as Python compares strings):
    # here only the holders' totals remain to order by, one stable sort on one key
    holder = theirs.c.pseudonym if db.is_sqlite else theirs.c.pseudonym.collate("C")
    q = (select(theirs.c.pseudonym, theirs.c.place, start, end, theirs.c.entry_gate, theirs.c.exit_gate)
         .select_from(theirs.join(mine, theirs.c.place == mine.c.place))
         .where(and_(end > start, theirs.c.pseudonym != case))
         .order_by(holder, start, theirs.c.place))
    contacts = [{"pseudonym": who, "place": place, "start": lo_, "end": hi_, "minutes": round((hi_ - lo_) / 60, 1),
                 "entry_gate": gate_in, "exit_gate": gate_out}
                for who, place, lo_, hi_, gate_in, gate_out in run_stays_query(db, q)]
    total: dict[str, int] = defaultdict(int)  # each holder's minutes in tenths: exact, where a float
    for c in contacts:                        # sum's residue would order equal totals at random
        total[c["pseudonym"]] += int(c["minutes"] * 10 + 0.5)
    contacts.sort(key=lambda c: -total[c["pseudonym"]])
    return contacts


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
