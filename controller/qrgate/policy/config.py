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
    [policy.identity]
    cccd = "guard_confirm"
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ..config.base import ConfigModel, fail
from ..credentials.native import KINDS
from .health import HealthRules
from .identity import IDENTITY_MODES, IdentityRules
from .hours import WEEKDAYS, OpeningHours, parse_spans, zone
from .rules import ANTI_PASSBACK_MODES, ON_PARTITION_MODES, Policy

_RULE_FIELDS = {f.name: f for f in dataclasses.fields(HealthRules)}
_DEFAULT_RULES = HealthRules()


def _rule(name: str, **limits):
    """A field of the health table: HealthRules' own default and description, one declaration."""
    default = getattr(_DEFAULT_RULES, name)
    doc = _RULE_FIELDS[name].metadata["description"]
    if isinstance(default, dict):
        return Field(default_factory=lambda: dict(default), description=doc, **limits)
    if isinstance(default, tuple):  # a TOML list
        return Field(default_factory=lambda: list(default), description=doc, **limits)
    return Field(default, description=doc, **limits)


class HealthRulesConfig(ConfigModel):
    """[policy.health]: what an EU digital COVID certificate must show to enter."""

    accept_vaccination: bool = _rule("accept_vaccination")
    require_complete_series: bool = _rule("require_complete_series")
    min_days_after_last_dose: int = _rule("min_days_after_last_dose", ge=0)
    max_days_after_last_dose: int | None = _rule("max_days_after_last_dose", ge=0)
    accept_recovery: bool = _rule("accept_recovery")
    accept_test: bool = _rule("accept_test")
    accepted_test_types: list[str] = _rule("accepted_test_types")
    max_test_age_hours: dict[str, Annotated[float, Field(ge=0)]] = _rule("max_test_age_hours")

    @model_validator(mode="after")
    def _dose_window(self) -> "HealthRulesConfig":
        most = self.max_days_after_last_dose
        if most is not None and most < self.min_days_after_last_dose:
            fail(f"{most} is below min_days_after_last_dose ({self.min_days_after_last_dose})",
                 "max_days_after_last_dose")
        return self

    def to_rules(self) -> HealthRules:
        values = self.model_dump()
        values["accepted_test_types"] = tuple(values["accepted_test_types"])
        return HealthRules(**values)


class ZoneConfig(ConfigModel):
    number: int = Field(1, ge=1, le=8, description="Zone number 1-8: its bit in a pass's zone mask")
    cap: int | None = Field(None, ge=0, description="Most people inside this zone at once; none: no cap")


class GatePolicyConfig(ConfigModel):
    number: int = Field(0, ge=0, le=8, description="Gate number 1-8: its bit in a pass's gate mask; 0: bound "
                                                   "passes are refused")
    zone: str | None = Field(None, description="Name of the zone (under policy.zones) this gate leads into")


class IdentityConfig(ConfigModel):
    """[policy.identity]: what an unsigned ID code (CCCD card, PC-Covid) is worth (docs/vietnam.md)."""

    cccd: Literal[IDENTITY_MODES] = Field(
        "deny", description="The CCCD card's QR: deny, listed (site lists only), guard_confirm (amber light, the "
                            "guard decides) or register (admit, kept for contact tracing)")
    pccovid: Literal[IDENTITY_MODES] = Field(
        "deny", description="PC-Covid's personal QR: deny, listed, guard_confirm or register (a code with a "
                            "masked ID number never matches a list)")
    lists: list[str] = Field(default_factory=list, description="Site lists whose holders 'listed' admits; "
                                                               "empty: any list")
    confirm_seconds: float = Field(30.0, ge=1, description="How long guard_confirm waits for the guard; then it is "
                                                           "a refusal")

    def to_rules(self) -> IdentityRules:
        return IdentityRules(self.cccd, self.pccovid, tuple(self.lists), self.confirm_seconds)


class PolicyConfig(ConfigModel):
    anti_passback: Literal[ANTI_PASSBACK_MODES] = Field(
        "hard", description="off: ignore presence; soft: admit and flag; hard: no second entry before an exit; "
                            "timed: no re-entry within passback_minutes")
    passback_minutes: float = Field(0.0, ge=0, description="timed anti-passback: minutes before the same holder "
                                                           "may enter again")
    occupancy_cap: int | None = Field(None, ge=0, description="Most people inside the site at once; none: no cap")
    site_number: int = Field(0, ge=0, le=0xFFFF, description="This site's number (1-65535) in passes' site field; "
                                                             "0: passes bound to a site are refused")
    timezone: str = Field("UTC", description="The site's time zone (IANA name): opening hours, holidays, days")
    opening_hours: dict[str, str] = Field(
        default_factory=dict, description="Per weekday (mon..sun) 'HH:MM-HH:MM[, ...]', '24h' or 'closed'; days "
                                          "not listed are closed; empty table: always open")
    holidays: list[str] = Field(default_factory=list, description="Dates (YYYY-MM-DD, local) the site is closed "
                                                                  "all day")
    hours_exempt_kinds: list[Literal[KINDS]] = Field(default_factory=lambda: ["staff"],
                                                     description="Pass kinds that may enter outside opening hours")
    entries_per_day: int = Field(0, ge=0, le=255, description="Entries per holder per day (a pass may set a lower "
                                                              "limit); 0: no limit")
    health_declaration_hours: float | None = Field(
        None, ge=0, description="A health declaration is accepted this many hours after it was made; none: its "
                                "own validity")
    free_exit: bool = Field(False, description="Exits never need a valid pass")
    zones: dict[str, ZoneConfig] = Field(default_factory=dict, description="Zones by name: number and occupancy cap")
    health: HealthRulesConfig = Field(default_factory=HealthRulesConfig,
                                      description="What an EU digital COVID certificate must show to enter")
    identity: IdentityConfig = Field(default_factory=IdentityConfig,
                                     description="What an unsigned ID code (CCCD card, PC-Covid) is worth: deny, "
                                                 "listed, guard_confirm or register (docs/vietnam.md)")
    gates: dict[str, GatePolicyConfig] = Field(default_factory=dict,
                                               description="Gates by id: number and the zone each leads into")
    on_partition: Literal[ON_PARTITION_MODES] = Field(
        "hard", description="While a gate cannot reach the site's other gates: hard: anti-passback on what it "
                            "knows; soft: admit a holder it believes inside, flagged; deny_entry: exits only. "
                            "Caps always hold by capacity shares (docs/site.md)")
    presence_expiry_hours: float | None = Field(
        None, gt=0, description="Someone inside with no movement for this many hours is counted as left "
                                "(a presence_expired exit); none: never")
    daily_reset_at: str | None = Field(None, description="HH:MM (site time zone): everyone still inside is counted "
                                                         "as left (a daily_reset exit); none: no reset")
    exit_button_as_exit: bool = Field(False, description="One-door gate: the exit button is the exit of the person "
                                                         "this gate let in last, if still inside")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zone(value)
        except ValueError as exc:
            fail(str(exc))
        return value

    @field_validator("opening_hours")
    @classmethod
    def _hours_parse(cls, value: dict[str, str]) -> dict[str, str]:
        for day, text in value.items():
            if day not in WEEKDAYS:
                fail(f"not a weekday; use {', '.join(WEEKDAYS)}", day)
            try:
                parse_spans(text)
            except ValueError as exc:
                fail(str(exc), day)
        return value

    @field_validator("holidays")
    @classmethod
    def _dates(cls, value: list[str]) -> list[str]:
        for i, date in enumerate(value):
            try:
                dt.date.fromisoformat(date)
            except ValueError:
                fail(f"{date!r} is not a date (YYYY-MM-DD)", f"[{i}]")
        return value

    @field_validator("daily_reset_at")
    @classmethod
    def _time_of_day(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                dt.time.fromisoformat(value)
            except ValueError:
                fail(f"{value!r} is not a time of day (HH:MM)")
        return value

    @model_validator(mode="after")
    def _across_fields(self) -> "PolicyConfig":
        if self.anti_passback == "timed" and self.passback_minutes <= 0:
            fail("timed anti-passback needs a number of minutes above 0", "passback_minutes")
        numbers: dict[int, str] = {}
        for name, z in self.zones.items():
            if z.number in numbers:
                fail(f"{z.number} is also zone {numbers[z.number]!r}", f"zones.{name}.number")
            numbers[z.number] = name
        gate_numbers: dict[int, str] = {}
        for name, g in self.gates.items():
            if g.number and g.number in gate_numbers:
                fail(f"{g.number} is also gate {gate_numbers[g.number]!r}", f"gates.{name}.number")
            gate_numbers[g.number] = name
            if g.zone is not None and g.zone not in self.zones:
                known = ", ".join(self.zones) or "none defined"
                fail(f"no zone {g.zone!r} under policy.zones (known: {known})", f"gates.{name}.zone")
        return self


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
        free_exit=cfg.free_exit, timezone=cfg.timezone, health=cfg.health.to_rules(),
        identity=cfg.identity.to_rules(), on_partition=cfg.on_partition)
