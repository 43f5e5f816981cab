"""The [policy] table of the TOML config: the site's rules, validated with the key path.

`to_policy(cfg, gate_id)` turns it into the Policy one gate's decide() uses. Example:

    [policy]
    anti_passback = "timed"
    passback_minutes = 15
    occupancy_cap = 200
    site_number = 7
    timezone = "Asia/Ho_Chi_Minh"
    holidays = ["2026-09-02"]
    [policy.opening_hours]
    mon = "07:00-18:00"
    sat = "08:00-12:00"
    [policy.zones.lab]
    number = 2
    cap = 12
    [policy.gates.north]
    number = 1
    zone = "lab"
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..configfield import setting
from .health import HealthRules
from ..credentials.native import KINDS
from ..errors import ConfigError
from .rules import ANTI_PASSBACK_MODES, ON_PARTITION_MODES, Policy
from .hours import WEEKDAYS, OpeningHours, parse_spans, zone

PATH = "policy"


@dataclass
class ZoneConfig:
    number: int = setting(1, "Zone number 1-8: its bit in a pass's zone mask", minimum=1)
    cap: int | None = setting(None, "Most people inside this zone at once; none: no cap", minimum=0)


@dataclass
class GatePolicyConfig:
    number: int = setting(0, "Gate number 1-8: its bit in a pass's gate mask; 0: bound passes are refused",
                          minimum=0)
    zone: str | None = setting(None, "Name of the zone (under policy.zones) this gate leads into")


@dataclass
class PolicyConfig:
    anti_passback: str = setting("hard", "off: ignore presence; soft: admit and flag; hard: no second entry "
                                 "before an exit; timed: no re-entry within passback_minutes",
                                 choices=ANTI_PASSBACK_MODES)
    passback_minutes: float = setting(0.0, "timed anti-passback: minutes before the same holder may enter again",
                                      minimum=0)
    occupancy_cap: int | None = setting(None, "Most people inside the site at once; none: no cap", minimum=0)
    site_number: int = setting(0, "This site's number (1-65535) in passes' site field; 0: passes bound to "
                               "a site are refused", minimum=0)
    timezone: str = setting("UTC", "The site's time zone (IANA name): opening hours, holidays, days")
    opening_hours: dict[str, str] = setting({}, "Per weekday (mon..sun) 'HH:MM-HH:MM[, ...]', '24h' or "
                                            "'closed'; days not listed are closed; empty table: always open")
    holidays: list[str] = setting([], "Dates (YYYY-MM-DD, local) the site is closed all day")
    hours_exempt_kinds: list[str] = setting(["staff"], "Pass kinds that may enter outside opening hours")
    entries_per_day: int = setting(0, "Entries per holder per day (a pass may set a lower limit); 0: no limit",
                                   minimum=0)
    health_declaration_hours: float | None = setting(
        None, "A health declaration is accepted this many hours after it was made; none: its own validity",
        minimum=0)
    free_exit: bool = setting(False, "Exits never need a valid pass")
    zones: dict[str, ZoneConfig] = setting({}, "Zones by name: number and occupancy cap")
    health: HealthRules = setting(HealthRules(), "What an EU digital COVID certificate must show to enter")
    gates: dict[str, GatePolicyConfig] = setting({}, "Gates by id: number and the zone each leads into")
    on_partition: str = setting("hard", "While a gate cannot reach the site's other gates: hard: anti-passback on "
                                "what it knows; soft: admit a holder it believes inside, flagged; deny_entry: "
                                "exits only. Caps always hold by capacity shares (docs/site.md)",
                                choices=ON_PARTITION_MODES)
    presence_expiry_hours: float | None = setting(None, "Someone inside with no movement for this many hours is "
                                                  "counted as left (a presence_expired exit); none: never",
                                                  minimum=0)
    daily_reset_at: str | None = setting(None, "HH:MM (site time zone): everyone still inside is counted as left "
                                         "(a daily_reset exit); none: no reset")
    exit_button_as_exit: bool = setting(False, "One-door gate: the exit button is the exit of the person this "
                                        "gate let in last, if still inside")

    def __post_init__(self):
        check(self)


def _fail(key: str, message: str):
    raise ConfigError(f"{PATH}.{key}: {message}")


def check(cfg: PolicyConfig) -> None:
    """Cross-field checks build() cannot make; each error names its key path."""
    if cfg.site_number > 0xFFFF:
        _fail("site_number", f"{cfg.site_number} is above 65535")
    try:
        zone(cfg.timezone)
    except ValueError as exc:
        _fail("timezone", str(exc))
    for day, text in cfg.opening_hours.items():
        if day not in WEEKDAYS:
            _fail(f"opening_hours.{day}", f"not a weekday; use {', '.join(WEEKDAYS)}")
        try:
            parse_spans(text)
        except ValueError as exc:
            _fail(f"opening_hours.{day}", str(exc))
    for i, date in enumerate(cfg.holidays):
        try:
            dt.date.fromisoformat(date)
        except ValueError:
            _fail(f"holidays[{i}]", f"{date!r} is not a date (YYYY-MM-DD)")
    for i, kind in enumerate(cfg.hours_exempt_kinds):
        if kind not in KINDS:
            _fail(f"hours_exempt_kinds[{i}]", f"{kind!r} is not one of {', '.join(KINDS)}")
    if cfg.entries_per_day > 255:
        _fail("entries_per_day", f"{cfg.entries_per_day} is above 255")
    if cfg.daily_reset_at is not None:
        try:
            dt.time.fromisoformat(cfg.daily_reset_at)
        except ValueError:
            _fail("daily_reset_at", f"{cfg.daily_reset_at!r} is not a time of day (HH:MM)")
    if cfg.presence_expiry_hours == 0:
        _fail("presence_expiry_hours", "0 would count everyone as left at once; use none for no expiry")
    if cfg.anti_passback == "timed" and cfg.passback_minutes <= 0:
        _fail("passback_minutes", "timed anti-passback needs a number of minutes above 0")
    numbers: dict[int, str] = {}
    for name, z in cfg.zones.items():
        if not 1 <= z.number <= 8:
            _fail(f"zones.{name}.number", f"{z.number} is not 1-8")
        if z.number in numbers:
            _fail(f"zones.{name}.number", f"{z.number} is also zone {numbers[z.number]!r}")
        numbers[z.number] = name
    gate_numbers: dict[int, str] = {}
    for name, g in cfg.gates.items():
        if g.number > 8:
            _fail(f"gates.{name}.number", f"{g.number} is not 0-8")
        if g.number and g.number in gate_numbers:
            _fail(f"gates.{name}.number", f"{g.number} is also gate {gate_numbers[g.number]!r}")
        gate_numbers[g.number] = name
        if g.zone is not None and g.zone not in cfg.zones:
            known = ", ".join(cfg.zones) or "none defined"
            _fail(f"gates.{name}.zone", f"no zone {g.zone!r} under policy.zones (known: {known})")


def opening_hours(cfg: PolicyConfig) -> OpeningHours | None:
    if not cfg.opening_hours and not cfg.holidays:
        return None
    if cfg.opening_hours:
        week = tuple(parse_spans(cfg.opening_hours.get(day, "closed")) for day in WEEKDAYS)
    else:
        week = (((0, 1440),),) * 7
    return OpeningHours(timezone=cfg.timezone, week=week, holidays=frozenset(cfg.holidays))


def to_policy(cfg: PolicyConfig, gate_id: str) -> Policy:
    """The Policy for gate `gate_id` (its number and zone from policy.gates, if listed)."""
    gate = cfg.gates.get(gate_id, GatePolicyConfig())
    zone_cfg = cfg.zones.get(gate.zone) if gate.zone else None
    zone_gates = frozenset(g for g, other in cfg.gates.items() if gate.zone and other.zone == gate.zone)
    return Policy(
        anti_passback=cfg.anti_passback, passback_seconds=cfg.passback_minutes * 60,
        occupancy_cap=cfg.occupancy_cap, zone_cap=zone_cfg.cap if zone_cfg else None,
        site_number=cfg.site_number, gate_number=gate.number, zone_number=zone_cfg.number if zone_cfg else 0,
        zone_gates=zone_gates, hours=opening_hours(cfg), hours_exempt_kinds=frozenset(cfg.hours_exempt_kinds),
        entries_per_day=cfg.entries_per_day, health_declaration_hours=cfg.health_declaration_hours,
        free_exit=cfg.free_exit, timezone=cfg.timezone, health=cfg.health, on_partition=cfg.on_partition)
