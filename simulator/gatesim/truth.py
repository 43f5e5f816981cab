"""The simulator's own account of the day: what each gate should answer, who is really inside.

It mirrors the site policy from the outside, so a gate that decides wrongly, loses an
event or miscounts shows up as a disagreement with this account.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field


@dataclass
class Truth:
    anti_passback: str
    occupancy_cap: int | None
    recorded: dict[str, set[str]] = field(default_factory=dict)  # gate -> holders the gate should have inside
    physical: set[str] = field(default_factory=set)  # named people really inside
    tailgaters_inside: int = 0
    forgot_scan_out: set[str] = field(default_factory=set)  # left, but still recorded inside
    expected_alarms: collections.Counter = field(default_factory=collections.Counter)
    uncertain_alarms: collections.Counter = field(default_factory=collections.Counter)
    mismatches: list[dict] = field(default_factory=list)
    answers: collections.Counter = field(default_factory=collections.Counter)
    #: holder -> (admitted?, reason) that the identity policy gives their unsigned ID code on entry
    identity: dict[str, tuple[bool, str]] = field(default_factory=dict)

    def inside(self, gate: str) -> set[str]:
        return self.recorded.setdefault(gate, set())

    def expect(self, gate: str, direction: str, holder: str, quality: str) -> tuple[bool, str, str]:
        """(granted, reason, resolved direction) the gate owes this presentation."""
        inside = self.inside(gate)
        if direction == "auto":
            direction = "exit" if holder in inside else "entry"
        if quality == "expired":
            return False, "expired", direction
        if quality == "forged":
            return False, "bad_signature", direction
        if direction == "exit":
            return True, ("granted" if holder in inside else "granted_not_inside"), direction
        admitted, reason = self.identity.get(holder, (True, "granted"))
        if not admitted:  # the identity policy speaks before presence and capacity
            return False, reason, direction
        if self.anti_passback == "hard" and holder in inside:
            return False, "already_inside", direction
        if self.occupancy_cap is not None and len(inside) >= self.occupancy_cap:
            return False, "occupancy_full", direction
        return True, reason, direction

    def record(self, gate: str, direction: str, holder: str, granted: bool) -> None:
        if not granted:
            return
        if direction == "entry":
            self.inside(gate).add(holder)
        else:
            self.inside(gate).discard(holder)

    def check(self, who: str, expected: tuple[bool, str], got: tuple[bool, str] | None, at: float) -> bool:
        """Compare an answer with what the policy owes; a code never read is counted, not judged:
        the gate decided nothing, logged nothing, and the person stays where they were."""
        self.answers["never read" if got is None else f"{'granted' if got[0] else 'denied'}: {got[1]}"] += 1
        if got is None or got == expected:
            return True
        self.mismatches.append({"who": who, "at": at, "expected": list(expected),
                                "got": list(got) if got else None})
        return False

    @property
    def recorded_total(self) -> int:
        return sum(len(s) for s in self.recorded.values())
