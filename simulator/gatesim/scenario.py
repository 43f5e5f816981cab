"""Scenario files (TOML): the site, its gates, who comes, when, how they behave, what breaks.

Validated like the gate's own config: unknown keys and bad values are refused with the
key path. docs/simulator.md lists every key; `qrgate sim --describe` prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qrgate.config import build, describe, read_toml
from qrgate.configfield import setting
from qrgate.errors import ConfigError

FAULT_KINDS = ("broker_down", "camera_unplugged", "io_link_cut", "controller_restart", "partition",
               "gate_restart_missed")


@dataclass
class SiteSpec:
    id: str = setting("sim-site", "Site name (MQTT topics)")
    occupancy_cap: int | None = setting(None, "policy.occupancy_cap of every gate: with shared presence the "
                                        "most people inside the site at once, else each gate's own count; "
                                        "none: no cap", minimum=0)
    anti_passback: str = setting("hard", "Anti-passback mode of every gate", choices=("off", "hard"))


@dataclass
class GateSpec:
    id: str = setting("gate1", "Gate name")
    cameras: str = setting("separate", "separate: an entry and an exit camera; shared: one camera both ways",
                           choices=("separate", "shared"))
    backend: str = setting("gpio", "gpio: the Pi's pins (mock); osdp: the I/O board firmware on a pty",
                           choices=("gpio", "osdp"))


@dataclass
class PopulationSpec:
    app_passes: int = setting(100, "Visitors with a pass in a phone app", minimum=0)
    paper_passes: int = setting(0, "Visitors with a printed pass (no smartphone)", minimum=0)
    health_certificates: int = setting(0, "Visitors admitted on an EU digital COVID certificate", minimum=0)


@dataclass
class RushSpec:
    start_minute: float = setting(0.0, "Minutes after the scenario start when the rush begins", minimum=0)
    minutes: float = setting(30.0, "How long the rush lasts", minimum=0)
    rate_per_minute: float = setting(10.0, "Arrivals a minute during the rush (all gates together)",
                                     minimum=0)


@dataclass
class ArrivalsSpec:
    rate_per_minute: float = setting(2.0, "Poisson arrival rate outside rushes (all gates together)", minimum=0)
    rush: list[RushSpec] = setting([], "Rush hours: higher arrival rates for a while")
    stay_minutes: float = setting(30.0, "Mean time a visitor stays inside (exponential)", minimum=0)


@dataclass
class BehaviourSpec:
    forgets_scan_out: float = setting(0.0, "Share who leave by the exit button instead of scanning out",
                                      minimum=0)
    re_entry_attempt: float = setting(0.0, "Share who try to scan in again while inside", minimum=0)
    shares_screenshot: float = setting(0.0, "Share whose pass screenshot a friend tries at the gate", minimum=0)
    tailgates: float = setting(0.0, "Share followed through the door by someone who did not scan", minimum=0)
    holds_door_open: float = setting(0.0, "Share who hold the door open past the limit", minimum=0)
    forces_door: float = setting(0.0, "Forced-door incidents per arrival", minimum=0)
    expired_pass: float = setting(0.0, "Share who come with an expired pass", minimum=0)
    forged_pass: float = setting(0.0, "Share who come with a forged pass", minimum=0)
    leaves_by_other_gate: float = setting(0.0, "Share who leave by another gate than the one they came in by "
                                          "(and whose friend tries their screenshot at another gate)", minimum=0)


@dataclass
class FaultSpec:
    kind: str = setting("broker_down", "What breaks: the broker for every gate; a camera; an I/O board link; "
                        "a controller killed and restarted (people wait for it); partition: one gate loses the "
                        "broker (its network cable is cut) while people keep moving; gate_restart_missed: a "
                        "controller down while people use the other gates, restarted after missing their events",
                        choices=FAULT_KINDS)
    at_minute: float = setting(10.0, "Minutes after the start", minimum=0)
    minutes: float = setting(2.0, "How long it lasts", minimum=0)
    gate: str = setting("", "Which gate (camera, I/O link, controller, partition faults); empty: the first")


@dataclass
class Scenario:
    name: str = setting("scenario", "Short name")
    description: str = setting("", "What the scenario shows")
    seed: int = setting(1, "Random seed: the same seed gives the same day")
    start: str = setting("2026-11-23T07:30:00+07:00", "Simulated start time (ISO 8601)")
    duration_minutes: float = setting(60.0, "Simulated length", minimum=0)
    speed: float = setting(0.0, "Simulated seconds per real second; 0: as fast as possible, "
                                "1: real time", minimum=0)
    camera: str = setting("easy", "What the cameras see: easy (a flat scene), normal or hard (phones and "
                                  "paper cards with blur, glare, noise, perspective)",
                          choices=("easy", "normal", "hard"))
    relay_seconds: float = setting(3.0, "Relay pulse after a grant", minimum=0.1)
    door_held_seconds: float = setting(30.0, "Door open longer than this raises an alarm", minimum=1)
    site: SiteSpec = setting(SiteSpec(), "The site")
    gates: list[GateSpec] = setting([], "Gates of the site; none given: one gate")
    population: PopulationSpec = setting(PopulationSpec(), "Who holds which credential")
    arrivals: ArrivalsSpec = setting(ArrivalsSpec(), "When people come")
    behaviours: BehaviourSpec = setting(BehaviourSpec(), "What people do besides scanning")
    faults: list[FaultSpec] = setting([], "Timed faults")
    short: dict[str, float] = setting({}, "Overrides for the short version run by the tests, "
                                          "e.g. duration_minutes = 20")


def load(path: str | Path, *, short: bool = False) -> Scenario:
    path = Path(path)
    data = read_toml(path, "scenario")
    if short:
        data = _with_overrides(data, data.get("short", {}))
    scenario = build(Scenario, data)
    if not scenario.gates:
        scenario.gates = [GateSpec()]
    gate_ids = [g.id for g in scenario.gates]
    if len(set(gate_ids)) != len(gate_ids):
        raise ConfigError(f"{path}: gates: every gate needs its own id")
    for i, fault in enumerate(scenario.faults):
        if fault.gate and fault.gate not in gate_ids:
            raise ConfigError(f"{path}: faults[{i}].gate: no gate {fault.gate!r}")
    if scenario.population.app_passes + scenario.population.paper_passes + \
            scenario.population.health_certificates == 0:
        raise ConfigError(f"{path}: population: nobody comes")
    return scenario


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
