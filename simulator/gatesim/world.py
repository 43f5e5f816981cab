"""A scenario played out: people arrive, scan, walk through doors, misbehave; faults strike.

Discrete events on the simulated clock. Each gate is the production GateApp (SimGate);
the world only presents frames to its camera lanes, writes lines to its scanner modules'
ptys, moves door contacts and presses buttons, and keeps its own account of the day (Truth)
to check the gate against.
"""

from __future__ import annotations

import datetime
import heapq
import itertools
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from qrgate.policy.config import IdentityConfig, PolicyConfig
from qrgate.pipeline import Outcome

from .arrivals import arrival_minutes
from .declaring import SITE_NUMBER
from .door import DoorPhysics
from .netcut import NetCut
from .smalldisk import SmallDisk
from .population import HealthAuthority, Person, bad_pass, make_population
from .rig import SimGate, open_pass_office
from .scenario import Scenario
from .simclock import ManualTimers, SimClock
from .truth import Truth

FRAME_SECONDS = 1 / 30
MAX_FRAMES_PER_SCAN = 15  # half a second of holding the code up
MAX_TRIES = 3  # a visitor whose code is not read holds it up again, a little differently
SCANNER_ANSWER_SECONDS = 10.0  # real time for the gate's reader to decide a line written to its pty
TICK_SECONDS = 1.0
WAIT_RETRY_SECONDS = 20.0
UNLOCK_GRACE_SECONDS = 1.5
PROPAGATION_TIMEOUT_SECONDS = 5.0  # a movement not at every reachable peer by then is noted, and the run fails
CONVERGE_TIMEOUT_SECONDS = 30.0  # after a cut heals or a gate restarts
RESTART_FAULTS = ("controller_restart", "restart_missed")


@dataclass
class GatePlace:
    """One gate of the site with what the world knows about it."""

    spec: object
    sim: SimGate
    timers: ManualTimers
    door: DoorPhysics
    unlocked_until: float = float("-inf")
    down: set[str] = field(default_factory=set)  # active faults that stop scanning here
    door_opened_at: float | None = None
    authorised_open: bool = True
    cable: NetCut | None = None  # between the gate and the broker, for partition faults
    disk: SmallDisk | None = None  # the gate's log on a filesystem of its own, for disk_full faults
    wall_offset: float = 0.0  # how far the gate's wall clock is off (clock_step faults)

    @property
    def controller_down(self) -> bool:
        return any(kind in self.down for kind in RESTART_FAULTS)


@dataclass
class Measured:
    frame_to_relay_ms: list[float] = field(default_factory=list)
    decided_at: dict[str, float] = field(default_factory=dict)  # event id -> wall time of the decision
    faults: list[dict] = field(default_factory=list)
    waited: int = 0
    rescans: int = 0  # codes not read at the first try
    notes: list[str] = field(default_factory=list)
    propagation_ms: list[float] = field(default_factory=list)  # a movement at one gate -> every reachable peer
    slow_propagations: int = 0
    convergences: list[dict] = field(default_factory=list)  # after each heal or restart
    exit_presses: int = 0  # presses of an exit button on a GPIO gate
    exit_opened: int = 0  # of them, those that energised the lock relay: everyone who pressed got out
    decided_perf: dict[str, float] = field(default_factory=dict)  # event id -> perf_counter of the decision
    lanes: dict[str, "LaneFigures"] = field(default_factory=dict)  # "camera" / "scanner" -> its figures
    scanner_lines: int = 0  # codes the scanner modules sent down their ptys


@dataclass
class LaneFigures:
    """One kind of lane: decisions, and from a visitor presenting a code to the decision and the relay."""

    decisions: int = 0
    never_read: int = 0
    present_to_decision_ms: list[float] = field(default_factory=list)
    present_to_relay_ms: list[float] = field(default_factory=list)  # grants on GPIO gates


class World:
    def __init__(self, scenario: Scenario, workdir: Path, broker, *, start: float, tz=None,
                 on_line: Callable[[str], None] = lambda line: None):
        self.scenario = scenario
        self.broker = broker
        self.rng = random.Random(scenario.seed)
        self.clock = SimClock(start, scenario.speed)
        self.tz = tz  # the site's time zone, for what people read
        self.on_line = on_line
        self.every_tick: Callable[[], None] = lambda: None
        self.truth = Truth(scenario.site.anti_passback, scenario.site.occupancy_cap)
        self.measured = Measured()
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self.office, trust_file = open_pass_office(workdir / "keys")
        trust_files = [trust_file]
        self.health = None
        if scenario.population.health_certificates:
            self.health = HealthAuthority(workdir, start)
            trust_files.append(str(self.health.trust_file))
        self.people = make_population(self.office, self.health, scenario.population, start, self.rng)
        self.gates: dict[str, GatePlace] = {}
        self.pseudonyms: dict[str, str] = {}  # the simulator's holder -> the gates' pseudonym of them
        policy = PolicyConfig(anti_passback=scenario.site.anti_passback, occupancy_cap=scenario.site.occupancy_cap,
                              identity=IdentityConfig(cccd=scenario.site.cccd), site_number=SITE_NUMBER)
        gate_ids = [spec.id for spec in scenario.gates]
        cut_off = {f.gate or gate_ids[0] for f in scenario.faults if f.kind == "partition"}
        full_disks = {f.gate or gate_ids[0] for f in scenario.faults if f.kind == "disk_full"}
        for spec in scenario.gates:
            disk = SmallDisk(workdir / spec.id) if spec.id in full_disks else None  # before the gate's log
            timers = ManualTimers(self.clock)
            cable = NetCut(broker.host, broker.port) if spec.id in cut_off else None
            host, port = (cable.host, cable.port) if cable else (broker.host, broker.port)
            sim = SimGate(workdir, host, port, trust_files=trust_files, clock=self.clock,
                          timers=timers, cameras=spec.cameras, difficulty=scenario.camera, site_id=scenario.site.id, gate_id=spec.id,
                          relay_seconds=scenario.relay_seconds, door_held_seconds=scenario.door_held_seconds,
                          backend=spec.backend, policy=policy, site_gates=gate_ids,
                          scanners=spec.scanners, seed=scenario.seed)
            place = GatePlace(spec, sim, timers, DoorPhysics(sim.set_door_contact), cable=cable, disk=disk)
            sim.app.controller.listeners.append(self._note_decision)
            self.gates[spec.id] = place
        self.shared = all(place.sim.shares_presence for place in self.gates.values()) and len(self.gates) > 1
        self.truth.shared = self.shared
        self.truth.gate_count = len(self.gates)
        self._enrol_cccd_holders(workdir, start)
        self.declarations = None
        if any(p.credential.startswith("declared") for p in self.people):
            from qrgate.pseudonym import load_or_create_secret

            from .declaring import DeclarationDesk

            # the gates' site secret: a day pass logs under the pseudonym its holder's card gives
            self.declarations = DeclarationDesk(workdir, self.office.key, load_or_create_secret(workdir / "site.secret"),
                                                "Asia/Ho_Chi_Minh")

    def _enrol_cccd_holders(self, workdir: Path, start: float) -> None:
        """The site's list goes to every gate; the simulator's account knows what each holder is owed."""
        holders = [p for p in self.people if p.credential.startswith("cccd")]
        if not holders:
            return
        from .vietnam import enrol

        listed = [p.citizen for p in holders if p.credential == "cccd_listed"]
        for place in self.gates.values():
            if place.sim.app.lists is not None:
                enrol(place.sim.app.lists, "site", listed, workdir / "lists.key", start)
        mode = self.scenario.site.cccd
        for p in holders:
            self.truth.identity[p.who] = {
                "deny": (False, "identity_not_accepted"), "register": (True, "granted_registered"),
                "listed": (True, "granted_listed") if p.credential == "cccd_listed" else (False, "not_on_list"),
            }[mode]

    # -- the event queue -----------------------------------------------------------------
    def at(self, t: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._events, (t, next(self._seq), fn))

    def run(self) -> None:
        for place in self.gates.values():
            place.sim.start(cameras=False)
        end = self.clock.start + self.scenario.duration_minutes * 60
        self._plan_arrivals()
        self._plan_faults()
        tick = self.clock.start
        while tick <= end:
            self.at(tick, self._tick)
            tick += TICK_SECONDS
        while self._events:
            t, _, fn = heapq.heappop(self._events)
            if t > end:  # people still inside at the end are counted, not walked out
                break
            self._advance(t)
            fn()
        if self.shared:
            self.converge("end of the run")

    def _advance(self, t: float) -> None:
        """Move the simulated clock to `t` and fire the gates' timers due by then (a relay's pulse)."""
        self.clock.advance(t)
        for place in self.gates.values():
            place.timers.run_due(t)

    def close(self) -> None:
        for place in self.gates.values():
            if not place.controller_down:
                place.sim.stop()
            else:  # the controller is gone already; its scanner modules' ptys are not
                for module in place.sim.scanners.values():
                    module.close()
            if place.cable is not None:
                place.cable.close()
            if place.disk is not None:
                place.disk.close()

    # -- shared presence --------------------------------------------------------------------
    def reachable(self, gate: str) -> set[str]:
        """The gates that learn a movement at `gate` at once: with shared presence, every running
        gate that is not cut off, if `gate` is not cut off itself; else `gate` alone."""
        if not self.shared or gate in self.truth.isolated:
            return {gate}
        return {gid for gid, place in self.gates.items()
                if not place.controller_down and gid not in self.truth.isolated}

    def _settle(self, gate: str, holder: str, direction: str, reach: set[str]) -> None:
        """Wait until every reachable peer has the movement (real time; the simulated clock stands)."""
        peers = [self.gates[g].sim.ledger for g in reach if g != gate]
        if not peers:
            return
        pseudonym, inside = self.pseudonyms[holder], direction == "entry"
        began = time.perf_counter()
        while any(ledger.is_inside(pseudonym) != inside for ledger in peers):
            if time.perf_counter() - began > PROPAGATION_TIMEOUT_SECONDS:
                self.measured.slow_propagations += 1
                self.measured.notes.append(f"a movement took more than {PROPAGATION_TIMEOUT_SECONDS:g} s "
                                           "to reach a peer")
                return
            time.sleep(0.0005)
        self.measured.propagation_ms.append((time.perf_counter() - began) * 1000)

    def converge(self, why: str) -> dict:
        """The running gates that reach each other must come to the same presence: wait for it."""
        group = {gid for gid, place in self.gates.items()
                 if not place.controller_down and gid not in self.truth.isolated}
        combined = self.truth.merge(group)
        expected = {self.pseudonyms[h]: movement[1] == "entry" for h, movement in combined.items()}
        began = time.monotonic()
        record = {"why": why, "gates": sorted(group), "holders": len(expected), "seconds": None}
        while time.monotonic() - began < CONVERGE_TIMEOUT_SECONDS:
            if all(self.gates[g].sim.ledger.is_inside(p) == inside for g in group for p, inside in expected.items()):
                record["seconds"] = round(time.monotonic() - began, 3)
                break
            time.sleep(0.02)
        else:
            self.measured.notes.append(f"the gates did not converge within {CONVERGE_TIMEOUT_SECONDS:g} s "
                                       f"({why})")
        self.measured.convergences.append(record)
        return record

    def _tick(self) -> None:
        now = self.clock.now
        for place in self.gates.values():
            if place.door.maybe_close(now):
                self._door_closed(place, now)
            if not place.controller_down:
                place.sim.app.tick(now + place.wall_offset, mono=now)  # monotonic time never steps
        self.every_tick()

    def _note_decision(self, outcome: Outcome) -> None:
        self.measured.decided_at[outcome.event.id] = time.time()
        self.measured.decided_perf[outcome.event.id] = time.perf_counter()

    # -- arrivals and behaviour ------------------------------------------------------------
    def _plan_arrivals(self) -> None:
        a, b = self.scenario.arrivals, self.scenario.behaviours
        minutes = arrival_minutes(self.scenario.duration_minutes, a.rate_per_minute, a.rush, self.rng)
        people = iter(self.people)
        gate_ids = list(self.gates)
        for minute in minutes:
            t = self.clock.start + minute * 60
            gate = self.rng.choice(gate_ids)
            roll = self.rng.random()
            if roll < b.expired_pass:
                self.at(t, lambda g=gate, t=t: self._bad_visitor(g, "expired"))
                continue
            if roll < b.expired_pass + b.forged_pass:
                self.at(t, lambda g=gate: self._bad_visitor(g, "forged"))
                continue
            if self.rng.random() < b.forces_door:
                self.at(t + 5, lambda g=gate: self._force_door(g))
            person = next(people, None)
            if person is None:
                break  # everyone has come
            stay = self.rng.expovariate(1 / max(a.stay_minutes, 0.1)) * 60 + 20
            self.at(t, lambda p=person, g=gate, s=stay: self._arrive(p, g, s))

    def _wait(self, again: Callable[[], None]) -> None:
        """The gate cannot answer now (a fault): the person waits and tries again."""
        self.measured.waited += 1
        self.at(self.clock.now + WAIT_RETRY_SECONDS, again)

    def _other_gate(self, gate: str) -> str:
        """Somewhere else to go: another gate of the site (the same one when there is no other)."""
        others = [g for g in self.gates if g != gate]
        return self.rng.choice(others) if others else gate

    def _instead(self, gate: str) -> str:
        """A gate that is down after missing events sends people to a working one; others they wait for."""
        if "restart_missed" in self.gates[gate].down:
            working = [g for g, place in self.gates.items() if not place.down]
            if working:
                return self.rng.choice(working)
        return gate

    def _arrive(self, person: Person, gate: str, stay: float) -> None:
        b = self.scenario.behaviours
        gate = self._instead(gate)
        if self.gates[gate].down:
            return self._wait(lambda: self._arrive(person, gate, stay))
        if person.credential.startswith("declared"):
            # at the door: the venue QR and the form on the phone, or the guard's desk
            person.payload = person.payload or self.declarations.declare(person, self.clock.now) or ""
            if not person.payload:
                return  # refused: told to see the guard, does not enter
        granted = self._present(gate, self._entry_direction(gate), person.who, person.who, person.payload, "valid")
        if not granted:
            return
        if person.credential.startswith("declared"):
            self.declarations.entered[person.credential] += 1
        now = self.clock.now
        holds = self.rng.random() < b.holds_door_open
        self._walk_through(gate, now, hold=holds)
        self.truth.came_in(person.who, person.who)
        tailgater = self.rng.random() < b.tailgates
        if tailgater:
            self.truth.tailgaters_inside += 1
        # at a one-camera gate a second scan from inside means leaving, so these two need two cameras
        two_cameras = self.gates[gate].spec.cameras == "separate"
        if two_cameras and self.rng.random() < b.re_entry_attempt:
            self.at(now + stay / 2, lambda: self._try_again(gate, person))  # while still inside
        elsewhere = self.rng.random() < b.leaves_by_other_gate  # the nearest way out, or the friend's way in
        if two_cameras and self.rng.random() < b.shares_screenshot:
            friend = f"{person.who}-friend"
            at = self._other_gate(gate) if elsewhere else gate
            if self.gates[at].spec.cameras == "separate":
                self.at(now + 90, lambda: self._friend_with_screenshot(friend, person, at, stay))
        forgets = self.rng.random() < b.forgets_scan_out
        out = self._other_gate(gate) if elsewhere else gate
        self.at(now + stay, lambda: self._leave(person.who, person.who, person.payload, out, forgets, tailgater))

    def _entry_direction(self, gate: str) -> str:
        return "auto" if self.gates[gate].spec.cameras == "shared" else "entry"

    def _exit_direction(self, gate: str) -> str:
        return "auto" if self.gates[gate].spec.cameras == "shared" else "exit"

    def _try_again(self, gate: str, person: Person) -> None:
        """Scanning in again while inside: anti-passback should refuse it."""
        if not self.gates[gate].down:
            self._present(gate, self._entry_direction(gate), person.who, person.who, person.payload, "valid")

    def _friend_with_screenshot(self, friend: str, person: Person, gate: str, stay: float) -> None:
        if self.gates[gate].down:
            return self._wait(lambda: self._friend_with_screenshot(friend, person, gate, stay))
        granted = self._present(gate, self._entry_direction(gate), friend, person.who, person.payload, "valid")
        if granted:  # the holder had left (or the gate could not know): a static code lets the friend in
            self._walk_through(gate, self.clock.now)
            self.truth.came_in(friend, person.who)
            self.at(self.clock.now + stay, lambda: self._leave(friend, person.who, person.payload, gate, False, False))

    def _leave(self, who: str, holder: str, payload: str, gate: str, forgets: bool, tailgater: bool) -> None:
        gate = self._instead(gate)
        place = self.gates[gate]
        if place.down:
            return self._wait(lambda: self._leave(who, holder, payload, gate, forgets, tailgater))
        now = self.clock.now
        if forgets:
            self._press_exit_button(place, now)
            self.truth.forgot_scan_out.add(holder)
        else:
            granted = self._present(gate, self._exit_direction(gate), who, holder, payload, "valid")
            if not granted:
                return
        self._walk_through(gate, self.clock.now)
        self.truth.physical.pop(who, None)
        if tailgater:
            self.truth.tailgaters_inside -= 1

    def _bad_visitor(self, gate: str, quality: str) -> None:
        if self.gates[gate].down:
            return  # turned away by a broken gate: nothing to check
        who = f"{quality}-{next(self._seq)}"
        payload = bad_pass(self.office, who, quality, self.clock.now)
        self._present(gate, self._entry_direction(gate), who, who, payload, quality)

    # -- the gate's edges: frames, door, buttons ------------------------------------------
    def _present(self, gate: str, direction: str, who: str, holder: str, payload: str, quality: str) -> bool:
        """Hold a code up to the lane's camera, or to its scanner module (that share of people), until
        the gate answers or the visitor gives up."""
        place = self.gates[gate]
        expected_granted, expected_reason, _ = self.truth.expect(gate, direction, holder, quality)
        also = self.truth.also_acceptable(gate, direction, holder, quality)
        share = place.sim.scanner_shares.get(direction)  # drawn only at a gate with a scanner in this lane
        kind = "scanner" if share is not None and self.rng.random() < share else "camera"
        read = self._read_by_scanner if kind == "scanner" else self._read_by_camera
        outcome = read(place, direction, payload)
        lane = self.measured.lanes.setdefault(kind, LaneFigures())
        if outcome is None:
            lane.never_read += 1
        got = (outcome.decision.granted, outcome.decision.reason) if outcome else None
        self.truth.check(who, (expected_granted, expected_reason), got, self.clock.now, also)
        granted = bool(outcome and outcome.decision.granted)
        if outcome:
            if outcome.event.holder:
                self.pseudonyms[holder] = outcome.event.holder
            direction = outcome.decision.direction.value
            reach = self.reachable(gate)
            self.truth.record(gate, direction, holder, granted, outcome.event.at, reach)
            if granted and quality == "valid" and self.shared:
                self._settle(gate, holder, direction, reach)
            self.on_line(self._line(place, who, outcome) + (" (scanner)" if kind == "scanner" else ""))
        if granted:
            place.unlocked_until = max(place.unlocked_until, self.clock.now + self.scenario.relay_seconds)
        return granted

    def _read_by_camera(self, place: GatePlace, direction: str, payload: str) -> Outcome | None:
        """Frames of the code held up, fed to the lane until one is read; up to three poses, each
        raised toward the camera over the scenario's approach_seconds, then held for half a second.
        The simulated clock moves with the frames, so the gate's timers run by the frame's time."""
        camera = place.sim.cameras[direction]
        lane = place.sim.lane(direction)
        approach = self.scenario.approach_seconds
        frames = int(round(approach / FRAME_SECONDS)) + MAX_FRAMES_PER_SCAN
        presented = self.clock.now
        outcome = None
        for attempt in range(MAX_TRIES):
            if attempt:
                self.measured.rescans += 1
            camera.show(payload, approach_seconds=approach)  # each try is a new pose of the phone or card
            start = self.clock.now
            for i in range(frames):
                self._advance(start + i * FRAME_SECONDS)
                frame = camera.frame()
                t0 = time.perf_counter()
                outcomes = lane.process_frame(frame, start + i * FRAME_SECONDS)
                if outcomes:
                    outcome = outcomes[0]
                    relay_on_at = getattr(place.sim.io, "relay_on_at", None)  # GPIO only: a board answers later
                    if outcome.decision.granted and relay_on_at:
                        self.measured.frame_to_relay_ms.append((relay_on_at - t0) * 1000)
                    self._measure("camera", place, start + i * FRAME_SECONDS - presented, t0, outcome)
                    break
            camera.show(None)
            # a code that left the view for longer than the debouncer's "gone" scans again
            self._advance(start + (i + 1) * FRAME_SECONDS + (0 if outcome else 0.5))
            if outcome:
                break
        return outcome

    def _read_by_scanner(self, place: GatePlace, direction: str, payload: str) -> Outcome | None:
        """The code held to the module's window: after its read time (simulated) the module writes
        the line to its pty, and the gate's own serial reader takes it from there (real time, the
        simulated clock standing, as for a movement reaching the peers)."""
        module = place.sim.scanners[direction]
        presented = self.clock.now
        read_seconds = module.read_time()
        self._advance(presented + read_seconds)  # the reader stamps the line with this time
        seen = len(place.sim.outcomes)
        t0 = time.perf_counter()
        module.send(module.line(payload))
        self.measured.scanner_lines += 1
        while time.perf_counter() - t0 < SCANNER_ANSWER_SECONDS:
            outcome = next((o for o in place.sim.outcomes[seen:] if o.scan.text == payload), None)
            if outcome is not None:
                self._measure("scanner", place, read_seconds, t0, outcome)
                return outcome
            time.sleep(0.0005)
        self.measured.notes.append(f"a line written to a scanner's pty was not decided within "
                                   f"{SCANNER_ANSWER_SECONDS:g} s")
        return None

    def _measure(self, kind: str, place: GatePlace, waited: float, t0: float, outcome: Outcome) -> None:
        """`waited`: simulated seconds from the code presented (at a camera: the visitor starting to raise
        it) to the frame or line the gate read;
        then the gate's real time from that frame or line (`t0`, perf_counter) to the decision and relay."""
        lane = self.measured.lanes.setdefault(kind, LaneFigures())
        lane.decisions += 1
        decided = self.measured.decided_perf.get(outcome.event.id)
        if decided is not None:
            lane.present_to_decision_ms.append((waited + decided - t0) * 1000)
        relay_on_at = getattr(place.sim.io, "relay_on_at", None)  # GPIO only: a board answers later
        if outcome.decision.granted and relay_on_at and relay_on_at >= t0:
            lane.present_to_relay_ms.append((waited + relay_on_at - t0) * 1000)

    def _walk_through(self, gate: str, now: float, hold: bool = False) -> None:
        place = self.gates[gate]
        seconds = self.scenario.door_held_seconds + 15 if hold else DoorPhysics.WALK_THROUGH_SECONDS
        self.at(now + DoorPhysics.REACH_DOOR_SECONDS, lambda: self._open_door(place, seconds))

    def _open_door(self, place: GatePlace, seconds: float) -> None:
        now = self.clock.now
        was_open = place.door.is_open
        until = place.door.hold_open(now, seconds)
        if not was_open:
            place.door_opened_at = now
            place.authorised_open = now <= place.unlocked_until + UNLOCK_GRACE_SECONDS
            if not place.authorised_open:
                self.truth.expected_alarms["door_forced"] += 1
        self.at(until, lambda: self._maybe_close(place))

    def _maybe_close(self, place: GatePlace) -> None:
        if place.door.maybe_close(self.clock.now):
            self._door_closed(place, self.clock.now)

    def _door_closed(self, place: GatePlace, now: float) -> None:
        open_for = now - (place.door_opened_at or now)
        held = self.scenario.door_held_seconds
        if open_for >= held + 2 * TICK_SECONDS:
            self.truth.expected_alarms["door_held_open"] += 1
        elif open_for >= held - TICK_SECONDS:
            self.truth.uncertain_alarms["door_held_open"] += 1

    def _press_exit_button(self, place: GatePlace, now: float) -> None:
        place.sim.press_exit_button()
        if place.sim.board is None:  # on GPIO the lock is the gate's own relay: released at the press
            self.measured.exit_presses += 1
            self.measured.exit_opened += bool(place.sim.relay_pin.state)
        place.unlocked_until = max(place.unlocked_until, now + place.sim.config.gate.exit_button_seconds)

    def _force_door(self, gate: str) -> None:
        place = self.gates[gate]
        now = self.clock.now
        if place.door.is_open or now <= place.unlocked_until + UNLOCK_GRACE_SECONDS + 1 or place.down:
            self.measured.notes.append("a forced-door incident was skipped: the door was in use")
            return
        self._open_door(place, 4.0)

    def _line(self, place: GatePlace, who: str, outcome: Outcome) -> str:
        d = outcome.decision
        io = place.sim.io
        return (f"  {self.stamp()} {place.spec.id:8} {d.direction.value:5} {who:16} "
                f"{'OPEN' if d.granted else 'DENY'} {d.reason:18} LED {place.sim.led_color:5} "
                f"relay {'ON ' if io.is_relay_on else 'off'} door {'open  ' if place.door.is_open else 'closed'} "
                f"inside {place.sim.ledger.occupancy()}")

    def stamp(self, fmt: str = "%H:%M:%S") -> str:
        return datetime.datetime.fromtimestamp(self.clock.now, self.tz).strftime(fmt)

    # -- faults ----------------------------------------------------------------------------
    def _plan_faults(self) -> None:
        from .faults import plan_faults

        plan_faults(self)
