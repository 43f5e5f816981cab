"""Gather what decide() needs to know from the ledger, in one call from the pipeline.

    presence = gather_presence(self.ledger, holder, self.policy, scan.at)

The clock only picks the day (policy time zone) for entries-per-day; decide() stays pure.
At a site with shared presence (qrgate.site), the ledger holds every gate's movements, so
all of this is site-wide; `site` adds whether the gate is cut off and its capacity-share room.
"""

from __future__ import annotations

from typing import Protocol

from ..ledger import Ledger
from .rules import Policy, Presence
from .hours import day_start


class SiteView(Protocol):
    """What the site's sync knows beyond the ledger (qrgate.site.sync.SiteSync is one)."""

    def rooms(self, occupancy: int, zone_occupancy: int) -> tuple[bool, int | None, int | None]: ...


def gather_presence(ledger: Ledger, holder: str | None, policy: Policy, now: float,
                    site: SiteView | None = None) -> Presence:
    inside, occupancy = ledger.is_inside(holder), ledger.occupancy()
    zone_occupancy = 0
    if policy.zone_gates:
        by_gate = ledger.inside_by_gate()
        zone_occupancy = sum(by_gate.get(gate, 0) for gate in policy.zone_gates)
    partitioned, cap_room, zone_room = site.rooms(occupancy, zone_occupancy) if site else (False, None, None)
    entries_today, last_entry_at = 0, None
    if holder is not None:
        entries_today, last_entry_at = ledger.holder_history(holder, day_start(now, policy.timezone))
    return Presence(inside, occupancy, zone_occupancy, entries_today, last_entry_at, partitioned, cap_room, zone_room)
