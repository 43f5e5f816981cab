"""The inputs of decide(): the site's rules (Policy), what the ledger knows (Presence),
a guard's override (the gate's mode is qrgate.state.mode). Plain frozen data; no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from .health import HealthRules
from .hours import OpeningHours
from .identity import IdentityRules

ANTI_PASSBACK_MODES = ("off", "soft", "hard", "timed")
#: what a gate cut off from its site's other gates does about anti-passback (caps always hold, by escrow):
#: hard: decides on what it knows; soft: admits a holder it believes inside, flagged; deny_entry: exits only
ON_PARTITION_MODES = ("hard", "soft", "deny_entry")


@dataclass(frozen=True)
class Policy:
    """One gate's view of the site's rules (built from the [policy] config by qrgate.policy.config)."""

    anti_passback: str = "hard"  # off | soft (admit, flag) | hard | timed (no re-entry within passback_seconds)
    passback_seconds: float = 0.0
    occupancy_cap: int | None = None  # None: no cap
    zone_cap: int | None = None  # cap of the zone this gate leads into
    site_number: int = 0  # passes bound to another site are refused; 0: this gate knows no number
    gate_number: int = 0  # 1..8, the bit this gate has in a pass's gate mask; 0: none
    zone_number: int = 0  # 1..8, the zone this gate leads into; 0: none
    zone_gates: frozenset[str] = frozenset()  # gates leading into this gate's zone (zone occupancy)
    hours: OpeningHours | None = None  # None: always open
    hours_exempt_kinds: frozenset[str] = frozenset({"staff"})
    entries_per_day: int = 0  # site-wide limit per holder per day; 0: none (a pass can set its own)
    health_declaration_hours: float | None = None  # a declaration older than this is refused
    free_exit: bool = False  # exits never need a valid pass
    timezone: str = "UTC"  # the site's local time: days for entries_per_day
    health: HealthRules = HealthRules()  # what an EU digital COVID certificate must show to enter
    identity: IdentityRules = IdentityRules()  # what an unsigned ID code (CCCD, PC-Covid) is worth
    on_partition: str = "hard"  # hard | soft | deny_entry, while the gate cannot reach its site's other gates

    def __post_init__(self):
        if self.anti_passback not in ANTI_PASSBACK_MODES:
            raise ValueError(f"anti_passback must be one of {ANTI_PASSBACK_MODES}")
        if self.on_partition not in ON_PARTITION_MODES:
            raise ValueError(f"on_partition must be one of {ON_PARTITION_MODES}")


@dataclass(frozen=True)
class Presence:
    """What the ledger knows when the scan arrives (qrgate.policy.presence.gather_presence)."""

    holder_inside: bool
    occupancy: int
    zone_occupancy: int = 0
    entries_today: int = 0  # this holder's entries since local midnight (policy timezone)
    last_entry_at: float | None = None  # this holder's latest entry
    partitioned: bool = False  # the gate cannot reach its site's other gates (qrgate.site)
    cap_room: int | None = None  # places this gate may still fill under the site cap's escrow; None: no escrow
    zone_room: int | None = None  # the same for its zone's cap


@dataclass(frozen=True)
class GuardOverride:
    """A guard opened the gate by hand: who (a guard id, not a visitor) and why, both logged."""

    guard: str
    why: str

    def __post_init__(self):
        if not self.guard.strip() or not self.why.strip():
            raise ValueError("a guard override needs the guard's id and a reason")

    def detail(self) -> dict[str, str]:
        return {"override_by": self.guard, "override_why": self.why}
