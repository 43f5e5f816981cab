"""Stays and occupancy (pure: no clock, no database).

A stay is one holder's time inside a place: from an `entry` to the next `exit` of the same
pseudonym in the same place, or, with no exit, until `max_stay` seconds after the entry (or the
next entry, whichever is first). The place is the site, or the gate's zone when the site has zones:
an entry at a gate of zone Z opens a stay in Z, an exit at a gate of Z closes it. Each entry's end
is kept in its row as events are stored (pairing.py); the database reads the stays
(reports.stays_select) and clips them to a case's (trace.py).
"""

from __future__ import annotations

from typing import NamedTuple


class Stay(NamedTuple):  # a tuple: thousands are made per trace
    pseudonym: str
    place: str  # the site id, or the zone's name
    start: float
    end: float
    entry_gate: str
    exit_gate: str | None  # None: no exit seen (ended by max_stay or the next entry)


def clip(stay: Stay, start: float, end: float, now: float | None = None) -> Stay | None:
    """The part of a stay within [start, end] (and not past `now`); None when nothing is left."""
    hi = min(stay.end, end, now if now is not None else stay.end)
    lo = max(stay.start, start)
    if hi <= lo:
        return None
    return Stay(stay.pseudonym, stay.place, lo, hi, stay.entry_gate, stay.exit_gate)


def occupancy_series(all_stays: list[Stay], start: float, end: float, step: float) -> list[tuple[float, int]]:
    """How many stays cover each instant start, start+step, ... <= end (sweep, not a scan per point)."""
    marks = sorted([(s.start, 1) for s in all_stays] + [(s.end, -1) for s in all_stays])
    series, inside, i = [], 0, 0
    t = start
    while t <= end:
        while i < len(marks) and marks[i][0] <= t:
            inside += marks[i][1]
            i += 1
        series.append((t, inside))
        t += step
    return series
