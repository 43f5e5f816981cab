"""Scenario files (TOML): the site, its gates, who comes, when, how they behave, what breaks.

Validated like the gate's own config: unknown keys and bad values are refused with the
key path. docs/simulator.md lists every key; `qrgate sim --describe` prints them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from qrgate.config import ConfigModel, describe, fail, read_toml, validate
from qrgate.errors import ConfigError

from .scenes import SCENES

FAULT_KINDS = ("broker_down", "camera_unplugged", "io_link_cut", "controller_restart", "partition",
               "gate_restart_missed", "disk_full", "ledger_readonly", "clock_step", "client_takeover")


class SiteSpec(ConfigModel):
    id: str = Field("sim-site", description="Site name (MQTT topics)")
    occupancy_cap: int | None = Field(None, ge=0, description="policy.occupancy_cap of every gate: with shared "
                                      "presence the most people inside the site at once, else each gate's own "
                                      "count; none: no cap")
    anti_passback: Literal["off", "hard"] = Field("hard", description="Anti-passback mode of every gate")
    cccd: Literal["deny", "listed", "register"] = Field(
        "deny", description="What the gates make of a CCCD card's QR (policy.identity.cccd); guard_confirm needs "
                            "a guard, whom the simulated world does not have")


TERMINATORS = {"crlf": b"\r\n", "cr": b"\r", "lf": b"\n"}


class ScannerSpec(ConfigModel):
    direction: Literal["entry", "exit", "auto"] = Field(
        "entry", description="The lane it stands in: entry or exit beside separate cameras, auto beside a shared one")
    share: float = Field(0.5, ge=0, le=1, description="Share of the people going this way through this gate who "
                                                       "use the scanner; the others use the camera")
    read_seconds: float = Field(0.15, gt=0, le=10, description="The module's time from a code held to its window "
                                                               "to the line on the wire (mean; each read drawn "
                                                               "around it). An assumption: modules quote 50-300 ms")
    terminator: Literal[tuple(TERMINATORS)] = Field("crlf", description="What the module ends each code's line "
                                                                       "with (its serial-mode setting): crlf, cr or lf")


class GateSpec(ConfigModel):
    id: str = Field("gate1", description="Gate name")
    cameras: Literal["separate", "shared"] = Field(
        "separate", description="separate: an entry and an exit camera; shared: one camera both ways")
    backend: Literal["gpio", "osdp"] = Field(
        "gpio", description="gpio: the Pi's pins (mock); osdp: the I/O board firmware on a pty")
    scanners: list[ScannerSpec] = Field(
        default_factory=list, description="Serial scanner modules beside the cameras, each a lane of its own: the "
        "simulator gives each a pty, which the gate's [[readers]] (kind = \"serial\") opens")

    @model_validator(mode="after")
    def _scanner_lanes(self) -> "GateSpec":
        ways = ("entry", "exit") if self.cameras == "separate" else ("auto",)
        seen = set()
        for i, scanner in enumerate(self.scanners):
            if scanner.direction not in ways:
                fail(f"a gate with {self.cameras} cameras has {' and '.join(ways)} lanes, not {scanner.direction}",
                     f"scanners[{i}].direction")
            if scanner.direction in seen:
                fail(f"one scanner per lane: {scanner.direction} has one already", f"scanners[{i}].direction")
            seen.add(scanner.direction)
        return self


class PopulationSpec(ConfigModel):
    app_passes: int = Field(100, ge=0, description="Visitors with a pass in a phone app")
    paper_passes: int = Field(0, ge=0, description="Visitors with a printed pass (no smartphone)")
    health_certificates: int = Field(0, ge=0, description="Visitors admitted on an EU digital COVID certificate")
    cccd_holders: int = Field(0, ge=0, description="Visitors who show their citizen ID card's QR (synthetic CCCD "
                                                   "codes)")
    cccd_listed_share: float = Field(0.5, ge=0, le=1, description="Share of the CCCD holders on the site's list "
                                                                  "(staff, patients)")
    declared_phone: int = Field(0, ge=0, description="Visitors who scan the venue QR and make the health "
                                                     "declaration on their phone, then enter with the day pass")
    declared_guard: int = Field(0, ge=0, description="Visitors without a smartphone: the guard declares for them "
                                                     "from their CCCD card and prints the day pass")
    symptomatic_share: float = Field(0.0, ge=0, le=1, description="Share of the declaring visitors who answer yes "
                                                                  "to a health question (refused: they see the guard)")


class RushSpec(ConfigModel):
    start_minute: float = Field(0.0, ge=0, description="Minutes after the scenario start when the rush begins")
    minutes: float = Field(30.0, ge=0, description="How long the rush lasts")
    rate_per_minute: float = Field(10.0, ge=0, description="Arrivals a minute during the rush (all gates together)")


class ArrivalsSpec(ConfigModel):
    rate_per_minute: float = Field(2.0, ge=0, description="Poisson arrival rate outside rushes (all gates together)")
    rush: list[RushSpec] = Field(default_factory=list, description="Rush hours: higher arrival rates for a while")
    stay_minutes: float = Field(30.0, ge=0, description="Mean time a visitor stays inside (exponential)")


def _share(description: str):
    return Field(0.0, ge=0, le=1, description=description)


class BehaviourSpec(ConfigModel):
    forgets_scan_out: float = _share("Share who leave by the exit button instead of scanning out")
    re_entry_attempt: float = _share("Share who try to scan in again while inside")
    shares_screenshot: float = _share("Share whose pass screenshot a friend tries at the gate")
    tailgates: float = _share("Share followed through the door by someone who did not scan")
    holds_door_open: float = _share("Share who hold the door open past the limit")
    forces_door: float = Field(0.0, ge=0, description="Forced-door incidents per arrival")
    expired_pass: float = _share("Share who come with an expired pass")
    forged_pass: float = _share("Share who come with a forged pass")
    leaves_by_other_gate: float = _share("Share who leave by another gate than the one they came in by (and "
                                         "whose friend tries their screenshot at another gate)")


class FaultSpec(ConfigModel):
    kind: Literal[FAULT_KINDS] = Field(
        "broker_down", description="What breaks: the broker for every gate; a camera; an I/O board link; a "
        "controller killed and restarted (people wait for it); partition: one gate loses the broker (its network "
        "cable is cut) while people keep moving; gate_restart_missed: a controller down while people use the "
        "other gates, restarted after missing their events; disk_full: the filesystem of a gate's log fills up "
        "(the log is on a small filesystem of its own: needs root); ledger_readonly: the log takes no writes; "
        "clock_step: a gate's wall clock jumps by `seconds` and back at the end; client_takeover: another "
        "client connects with the gate's MQTT client id")
    at_minute: float = Field(10.0, ge=0, description="Minutes after the start")
    minutes: float = Field(2.0, ge=0, description="How long it lasts")
    gate: str = Field("", description="Which gate (camera, I/O link, controller, partition faults); empty: "
                                      "the first")
    seconds: float = Field(0.0, description="clock_step: how far the wall clock jumps (either sign; at least "
                                            "2 s, the least step a gate notices)")


class Scenario(ConfigModel):
    name: str = Field("scenario", description="Short name")
    description: str = Field("", description="What the scenario shows")
    seed: int = Field(1, description="Random seed: the same seed gives the same day")
    start: str = Field("2026-11-23T07:30:00+07:00", description="Simulated start time (ISO 8601)")
    duration_minutes: float = Field(60.0, ge=0, description="Simulated length")
    speed: float = Field(0.0, ge=0, description="Simulated seconds per real second; 0: as fast as possible, "
                                                "1: real time")
    camera: Literal[SCENES] = Field(
        "easy", description="What the cameras see: easy (a flat scene), normal or hard (phones and paper cards "
                            "with blur, glare, noise, perspective), or a phone-screen scene: moire, glare_stripes, "
                            "dark_mode, bright_screen")
    approach_seconds: float = Field(
        0.0, ge=0, le=5, description="How long each visitor takes to raise their code to a camera, from arm's "
        "length and moving to held still (a scene that draws phones and cards: not with camera = easy); the "
        "camera lanes' presented -> decision counts from its start. 0: the code is in full view from the "
        "first frame")
    relay_seconds: float = Field(3.0, ge=0.1, description="Relay pulse after a grant")
    door_held_seconds: float = Field(30.0, ge=1, description="Door open longer than this raises an alarm")
    site: SiteSpec = Field(default_factory=SiteSpec, description="The site")
    gates: list[GateSpec] = Field(default_factory=lambda: [GateSpec()],
                                  description="Gates of the site; none given: one gate")
    population: PopulationSpec = Field(default_factory=PopulationSpec, description="Who holds which credential")
    arrivals: ArrivalsSpec = Field(default_factory=ArrivalsSpec, description="When people come")
    behaviours: BehaviourSpec = Field(default_factory=BehaviourSpec, description="What people do besides scanning")
    faults: list[FaultSpec] = Field(default_factory=list, description="Timed faults")
    short: dict[str, float] = Field(default_factory=dict, description="Overrides for the short version run by the "
                                                                      "tests, e.g. duration_minutes = 20")

    @model_validator(mode="after")
    def _consistent(self) -> "Scenario":
        if not self.gates:
            fail("list at least one gate, or leave gates out for one", "gates")
        if self.approach_seconds and self.camera == "easy":
            fail("the easy scene pastes the code flat, with no pose to bring closer: choose camera = normal, hard "
                 "or a phone-screen scene, or approach_seconds = 0", "approach_seconds")
        gate_ids = [g.id for g in self.gates]
        if len(set(gate_ids)) != len(gate_ids):
            fail("every gate needs its own id", "gates")
        for i, fault in enumerate(self.faults):
            if fault.gate and fault.gate not in gate_ids:
                fail(f"no gate {fault.gate!r}", f"faults[{i}].gate")
        p = self.population
        if p.app_passes + p.paper_passes + p.health_certificates + p.cccd_holders + p.declared_phone \
                + p.declared_guard == 0:
            fail("nobody comes", "population")
        return self


def load(path: str | Path, *, short: bool = False) -> Scenario:
    path = Path(path)
    data = read_toml(path, "scenario")
    if short:
        data = _with_overrides(data, data.get("short", {}))
    try:
        return validate(Scenario, data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _with_overrides(data: dict, overrides: dict) -> dict:
    """Apply `short` overrides; a dotted key such as "population.app_passes" reaches into a table."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for key, value in overrides.items():
        *tables, leaf = key.split(".")
        target = data
        for table in tables:
            target = target.setdefault(table, {})
        target[leaf] = value
    return data


def describe_scenario() -> list[tuple[str, str, str]]:
    return describe(Scenario)
