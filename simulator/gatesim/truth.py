"""The simulator's own account of the day: what each gate should answer, who is really inside.

It mirrors the site policy from the outside, so a gate that decides wrongly, loses an
event or miscounts shows up as a disagreement with this account.

Presence is what a gate *knows*: its own movements and, when the site's gates share presence
(site sync), every movement of the gates it could reach at the time. A gate cut off from its
peers (a partition, the broker down) or down (a restart) knows only its own until it reaches
them again; then every gate of the reachable group knows the latest movement of each holder
by time. Without shared presence each gate knows only its own movements.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field

Movement = tuple[float, str, str]  # (at, direction "entry"/"exit", gate)


@dataclass
class Truth:
    anti_passback: str
    occupancy_cap: int | None
    shared: bool = False  # the gates share presence (site sync)
    gate_count: int = 1
    known: dict[str, dict[str, Movement]] = field(default_factory=dict)  # gate -> holder -> latest movement known
    site: dict[str, Movement] = field(default_factory=dict)  # holder -> latest movement anywhere
    isolated: set[str] = field(default_factory=set)  # gates that cannot reach their peers now
    physical: dict[str, str] = field(default_factory=dict)  # named people really inside -> whose pass they carry
    tailgaters_inside: int = 0
    forgot_scan_out: set[str] = field(default_factory=set)  # left, but still recorded inside
    expected_alarms: collections.Counter = field(default_factory=collections.Counter)
    uncertain_alarms: collections.Counter = field(default_factory=collections.Counter)
    mismatches: list[dict] = field(default_factory=list)
    answers: collections.Counter = field(default_factory=collections.Counter)
    #: holder -> (admitted?, reason) that the identity policy gives their unsigned ID code on entry
    identity: dict[str, tuple[bool, str]] = field(default_factory=dict)
    storage_faults: set[str] = field(default_factory=set)  # gates whose log takes no writes now
    expected_conflicts: list[dict] = field(default_factory=list)  # double entries a cut let through
    decided_alone: int = 0  # decisions by a gate that could not reach its peers
    most_inside: int = 0  # the most passes inside at once: the site's, or the fullest gate's
    most_people_inside: int = 0  # the most named people inside at once (a pass let in twice counts twice)

    def inside(self, gate: str) -> set[str]:
        """The holders `gate` should have inside: the latest movement it knows of is an entry."""
        return {h for h, (_at, direction, _g) in self.known.setdefault(gate, {}).items() if direction == "entry"}

    def site_inside(self) -> set[str]:
        return {h for h, (_at, direction, _g) in self.site.items() if direction == "entry"}

    def expect(self, gate: str, direction: str, holder: str, quality: str) -> tuple[bool, str, str]:
        """(granted, reason, resolved direction) the gate owes this presentation."""
        inside = self.inside(gate)
        if direction == "auto":
            direction = "exit" if holder in inside else "entry"
        granted, reason = self._expect(gate, direction, holder, quality, inside)
        if granted and direction == "entry" and gate in self.storage_faults:
            return False, "storage_fault", direction  # an entry the log cannot hold is refused
        return granted, reason, direction

    def _expect(self, gate: str, direction: str, holder: str, quality: str, inside: set[str]) -> tuple[bool, str]:
        if quality == "expired":
            return False, "expired"
        if quality == "forged":
            return False, "bad_signature"
        if direction == "exit":
            return True, ("granted" if holder in inside else "granted_not_inside")
        admitted, reason = self.identity.get(holder, (True, "granted"))
        if not admitted:  # the identity policy speaks before presence and capacity
            return False, reason
        if self.anti_passback == "hard" and holder in inside:
            return False, "already_inside"
        if self.occupancy_cap is not None and len(inside) >= self.occupancy_cap:
            return False, "occupancy_full"
        return True, reason

    def also_acceptable(self, gate: str, direction: str, holder: str, quality: str) -> set[tuple[bool, str]]:
        """Other answers that are right too: with shared presence and a cap, each gate admits within
        its share of the free places (escrow), so it may say full before the site is; while any gate
        is cut off, that share is all a gate may use."""
        granted, _reason, resolved = self.expect(gate, direction, holder, quality)
        if not (self.shared and granted and resolved == "entry" and self.occupancy_cap is not None):
            return set()
        near = len(self.site_inside()) >= self.occupancy_cap - self.gate_count
        return {(False, "occupancy_full")} if near or self.isolated else set()

    def record(self, gate: str, direction: str, holder: str, granted: bool, at: float,
               reach: set[str]) -> None:
        """A granted movement at `gate`, learnt at once by the gates in `reach` (the deciding gate
        and, with shared presence, every peer it can reach)."""
        if not granted:
            return
        if gate in self.isolated:
            self.decided_alone += 1
        before = self.site.get(holder)
        if self.shared and direction == "entry" and before and before[1] == "entry" and before[2] != gate:
            # the holder was inside by another gate's entry this gate could not know of: a partition let it through
            self.expected_conflicts.append({"holder": holder, "gates": sorted({before[2], gate}), "at": at})
        movement = (at, direction, gate)
        if before is None or at >= before[0]:
            self.site[holder] = movement
        for g in reach | {gate}:
            self.known.setdefault(g, {})[holder] = movement
        if direction == "entry":  # what a cap counts: passes inside, site-wide with shared presence
            inside = self.site_inside() if self.shared else self.inside(gate)
            self.most_inside = max(self.most_inside, len(inside))

    def came_in(self, who: str, holder: str) -> None:
        self.physical[who] = holder
        self.most_people_inside = max(self.most_people_inside, len(self.physical))

    def merge(self, gates: set[str]) -> dict[str, Movement]:
        """The gates in `gates` reach each other again: each now knows the latest movement by time
        of every holder any of them knew. Returns that shared knowledge."""
        combined: dict[str, Movement] = {}
        for g in gates:
            for holder, movement in self.known.setdefault(g, {}).items():
                if holder not in combined or movement[0] > combined[holder][0]:
                    combined[holder] = movement
        for g in gates:
            self.known[g] = dict(combined)
        return combined

    def check(self, who: str, expected: tuple[bool, str], got: tuple[bool, str] | None, at: float,
              also: set[tuple[bool, str]] = frozenset()) -> bool:
        """Compare an answer with what the policy owes; a code never read is counted, not judged:
        the gate decided nothing, logged nothing, and the person stays where they were."""
        self.answers["never read" if got is None else f"{'granted' if got[0] else 'denied'}: {got[1]}"] += 1
        if got is None or got == expected or got in also:
            return True
        self.mismatches.append({"who": who, "at": at, "expected": list(expected),
                                "got": list(got) if got else None})
        return False

    @property
    def recorded_total(self) -> int:
        if self.shared:
            return len(self.site_inside())
        return sum(len(self.inside(g)) for g in self.known)
