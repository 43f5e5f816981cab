"""Contact tracing: who was inside (on site, or in the same zone) while a case was, and for how long.

Two reads: the case's own stays (by pseudonym), then every stay at the site that overlaps the
span of the case's stays (reports.stays_select: each entry's end is kept in its row, pairing.py).
The database clips those to the case's time in each place, counts their minutes and orders them
by holder; here the holders are ordered by their totals.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from operator import itemgetter

from sqlalchemy import Integer, and_, cast, func, literal, select, union_all

from .config import ServedSiteConfig
from .db import Database, earlier, later
from .reports import run_stays_query, stays_between, stays_select
from .stays import Stay, clip

CSV_COLUMNS = ("pseudonym", "place", "overlap_start", "overlap_end", "minutes", "entry_gate", "exit_gate")


def trace(db: Database, site: ServedSiteConfig, case: str, start: float, end: float, now: float) -> dict:
    own = [c for c in (clip(s, start, end, now) for s in stays_between(db, site, start, end, pseudonym=case)) if c]
    contacts, people = _contacts(db, site, case, presence(own)) if own else ([], 0)
    return {
        "site": site.id, "case": case, "start": start, "end": end,
        "by": "zone" if site.zones else "site",
        "case_stays": [_stay(s) for s in own],
        "contacts": contacts,
        "people": people,
    }


def presence(stays: list[Stay]) -> list[tuple[str, float, float]]:
    """The case's time in each place, (place, start, end): its stays there, joined where one ends as or
    after the next begins (an entry with no exit before the next is one stay up to it), so that a
    contact inside across the join is one overlap, not two."""
    spans: list[list] = []
    for place, start, end in sorted((s.place, s.start, s.end) for s in stays):
        if spans and spans[-1][0] == place and start <= spans[-1][2]:
            spans[-1][2] = max(spans[-1][2], end)
        else:
            spans.append([place, start, end])
    return [tuple(span) for span in spans]


def _contacts(db: Database, site: ServedSiteConfig, case: str,
              own: list[tuple[str, float, float]]) -> tuple[list[dict], int]:
    """Every other holder's overlaps with the case's presence in the same place, and how many
    holders: the longest total first, then by pseudonym, each holder's in start order. The
    database clips the stays to the case's, counts their tenths of a minute and orders them by
    holder and start (a site-wide trace can list twenty thousand); here only holders are ordered."""
    lo, hi = min(start for _place, start, _end in own), max(end for _place, _start, end in own)
    mine = union_all(*(select(literal(place).label("place"), literal(start).label("cs"), literal(end).label("ce"))
                       for place, start, end in own)).subquery()
    theirs = stays_select(site, lo, hi).subquery()
    start, end = later(theirs.c.start, mine.c.cs), earlier(theirs.c.end, mine.c.ce)
    # pseudonyms in code-point order, as Python compares strings (and a cheap sort on PostgreSQL)
    by_holder = theirs.c.pseudonym if db.is_sqlite else theirs.c.pseudonym.collate("C")
    q = (select(theirs.c.pseudonym, theirs.c.place, start, end, tenths(db, end - start), theirs.c.entry_gate,
                theirs.c.exit_gate)
         .select_from(theirs.join(mine, theirs.c.place == mine.c.place))
         .where(and_(end > start, theirs.c.pseudonym != case))
         .order_by(by_holder, start, theirs.c.place))
    rows = run_stays_query(db, q)
    contacts = [{"pseudonym": who, "place": place, "start": lo_, "end": hi_, "minutes": whole / 10,
                 "entry_gate": gate_in, "exit_gate": gate_out}
                for who, place, lo_, hi_, whole, gate_in, gate_out in rows]
    # each holder's rows are together: (minus their total, first row, past their last)
    holders, total, first, current = [], 0.0, 0, None
    for i, row in enumerate(rows):
        if row[0] != current:
            if current is not None:
                holders.append((-total, first, i))
            current, total, first = row[0], 0.0, i
        total += row[4]  # whole tenths: the sum is exact
    if current is not None:
        holders.append((-total, first, len(rows)))
    holders.sort(key=itemgetter(0))  # stable: equal totals stay in pseudonym order
    ordered: list[dict] = []
    for _total, first_row, past_last in holders:
        ordered += contacts[first_row:past_last]
    return ordered, len(holders)


def tenths(db: Database, seconds):
    """Whole tenths of a minute in `seconds` (> 0), halves up: floor(seconds / 6 + 0.5), in the
    double arithmetic every engine (and Python) shares, so totals are exact sums of what is shown."""
    half_up = seconds / 6.0 + 0.5
    return cast(half_up, Integer) if db.is_sqlite else func.floor(half_up)  # SQLite's cast truncates; > 0 here


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
