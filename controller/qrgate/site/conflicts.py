"""Movements that broke a site rule while gates could not talk, found after healing (pure).

Two kinds:
- double_entry: a holder admitted as "granted" (the gate believed them outside) at gate B
  while their previous movement, an entry at gate A, had no exit after it: two gates let
  the same person in without hearing of each other;
- cap_exceeded: replaying every movement in time order, an entry took the site's
  occupancy above its cap.

Each conflict has a deterministic id from the events involved, so every gate that finds it
records the same one, once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable

#: entries a gate made believing the holder outside (a flagged or accepted re-entry is not a conflict)
FIRST_ENTRY_REASONS = ("granted",)


@dataclass(frozen=True)
class Conflict:
    id: str
    kind: str  # double_entry | cap_exceeded
    at: float
    holder: str | None
    gates: tuple[str, ...]
    events: tuple[str, ...]

    def detail(self) -> dict:
        return {"gates": list(self.gates), "events": list(self.events)}


def conflict_id(kind: str, event_ids: Iterable[str]) -> str:
    return hashlib.sha256("|".join([kind, *sorted(event_ids)]).encode()).hexdigest()[:32]


def double_entries(movements: Iterable[tuple]) -> list[Conflict]:
    """movements: (holder, at, id, gate, type, reason), ordered by holder then time."""
    found = []
    previous = None
    for row in movements:
        holder, at, event_id, gate, type_, reason = row
        if (previous is not None and previous[0] == holder and previous[4] == "entry" and type_ == "entry"
                and reason in FIRST_ENTRY_REASONS and previous[3] != gate):
            found.append(Conflict(conflict_id("double_entry", (previous[2], event_id)), "double_entry", at,
                                  holder, (previous[3], gate), (previous[2], event_id)))
        previous = row
    return found


def cap_exceeded(movements: Iterable[tuple], cap: int, inside_before: Iterable[str] = ()) -> list[Conflict]:
    """movements: (at, id, gate, type, holder) in time order; inside_before: holders inside before the first.

    One conflict per entry that took occupancy above the cap, naming the gates that admitted
    the people inside at that moment who came in most recently (the ones that could not talk).
    """
    inside: dict[str, tuple[str, str]] = {h: ("", "") for h in inside_before}  # holder -> (gate, entry id)
    found = []
    for at, event_id, gate, type_, holder in movements:
        if holder is None:
            continue
        if type_ == "entry":
            if holder in inside:
                continue
            inside[holder] = (gate, event_id)
            if len(inside) > cap:
                others = sorted({g for g, _e in inside.values() if g and g != gate})
                found.append(Conflict(conflict_id("cap_exceeded", (event_id,)), "cap_exceeded", at, holder,
                                      (gate, *others), (event_id,)))
        elif type_ == "exit":
            inside.pop(holder, None)
    return found
