"""Stays, overlaps and occupancy (pure: no clock, no database).

A stay is one holder's time inside a place: from an `entry` to the next `exit` of the same
pseudonym in the same place, or, with no exit, until `max_stay` seconds after the entry (or the
next entry, whichever is first). The place is the site, or the gate's zone when the site has zones:
an entry at a gate of zone Z opens a stay in Z, an exit at a gate of Z closes it. The database
pairs the movements into stays (reports.stays_between); this module works on the stays.
"""

from __future__ import annotations

from collections import defaultdict
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


def overlaps(case: list[Stay], others: list[Stay]) -> list[dict]:
    """Every overlap of another holder's stay with one of the case's stays in the same place, as
    {pseudonym, place, start, end, minutes, entry_gate, exit_gate}, longest total per holder first.
    (Plain dicts, made once: a site-wide trace can list thousands.)"""
    by_place: dict[str, list[Stay]] = defaultdict(list)
    for s in case:
        by_place[s.place].append((s.start, s.end))
    case_ids = {s.pseudonym for s in case}
    found: list[tuple] = []
    total: dict[str, float] = defaultdict(float)
    for who, place, start, end, entry_gate, exit_gate in others:
        if who in case_ids:
            continue
        for mine_start, mine_end in by_place.get(place, ()):
            lo = mine_start if mine_start > start else start
            hi = mine_end if mine_end < end else end
            if hi > lo:
                minutes = round((hi - lo) / 60, 1)
                total[who] += minutes
                found.append((who, place, lo, hi, minutes, entry_gate, exit_gate))
    found.sort(key=lambda c: (-total[c[0]], c[0], c[2]))
    keys = ("pseudonym", "place", "start", "end", "minutes", "entry_gate", "exit_gate")
    return [dict(zip(keys, c)) for c in found]


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
