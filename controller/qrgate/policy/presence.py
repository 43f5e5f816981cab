"""Gather what decide() needs to know from the ledger, in one call from the pipeline.

    presence = gather_presence(self.ledger, holder, self.policy, scan.at)

The clock only picks the day (policy time zone) for entries-per-day; decide() stays pure.
"""

from __future__ import annotations

from ..ledger import Ledger
from .rules import Policy, Presence
from .hours import day_start


def gather_presence(ledger: Ledger, holder: str | None, policy: Policy, now: float) -> Presence:
    inside, occupancy = ledger.is_inside(holder), ledger.occupancy()
    zone_occupancy = 0
    if policy.zone_gates:
        by_gate = ledger.inside_by_gate()
        zone_occupancy = sum(by_gate.get(gate, 0) for gate in policy.zone_gates)
    if holder is None:
        return Presence(inside, occupancy, zone_occupancy)
    entries_today, last_entry_at = ledger.holder_history(holder, day_start(now, policy.timezone))
    return Presence(inside, occupancy, zone_occupancy, entries_today, last_entry_at)
