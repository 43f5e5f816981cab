"""A Hypothesis state machine: people enter and leave, the gate restarts, the clock steps.

After every step occupancy stays within [0, cap], equals entries minus exits in the log
(re-entries of someone already inside and exits of someone not inside move nobody), the
ledger agrees with an independent model, and anti-passback is sound for the drawn mode.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from qrgate.policy.decide import REENTRY_REASONS, Policy, decide
from qrgate.ledger import Ledger
from qrgate.model import Credential, Direction, Verification
from qrgate.policy.presence import gather_presence

PEOPLE = 6
PASSBACK_SECONDS = 300
EXAMPLES = 1000
_SHM = Path("/dev/shm")
RUNS = {"examples": 0, "steps": 0}


def pass_of(person: int) -> Verification:
    return Verification("qrgate-pass", True, "valid", {},
                        Credential("qrgate-pass", f"h{person}", valid_from=0.0, valid_until=2.0**32))


class GateMachine(RuleBasedStateMachine):
    @initialize(mode=st.sampled_from(("hard", "timed", "soft", "off")), cap=st.integers(1, 4))
    def setup(self, mode, cap):
        RUNS["examples"] += 1
        self.dir = Path(tempfile.mkdtemp(dir=_SHM if _SHM.is_dir() else None))
        self.ledger = Ledger(self.dir / "ledger.db")
        self.policy = Policy(anti_passback=mode, occupancy_cap=cap, passback_seconds=PASSBACK_SECONDS)
        self.now = 1_800_000_000.0
        self.inside: set[int] = set()

    def teardown(self):
        if hasattr(self, "ledger"):
            self.ledger.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def _scan(self, person: int, direction: Direction):
        RUNS["steps"] += 1
        holder = f"h{person}"
        presence = gather_presence(self.ledger, holder, self.policy, self.now)
        assert presence.holder_inside == (person in self.inside)
        decision = decide(pass_of(person), direction, presence, self.policy, self.now)
        self.ledger.record(at=self.now, gate_id="g", type=direction.value if decision.granted else "denied",
                           reason=decision.reason, direction=direction.value, holder=holder)
        return decision

    @rule(person=st.integers(0, PEOPLE - 1))
    def enter(self, person):
        was_full = len(self.inside) >= self.policy.occupancy_cap
        decision = self._scan(person, Direction.ENTRY)
        if decision.granted:
            assert not (was_full and person not in self.inside), "admitted past the cap"
            self.inside.add(person)
        elif self.policy.anti_passback in ("off", "soft"):
            assert decision.reason == "occupancy_full"

    @rule(person=st.integers(0, PEOPLE - 1))
    def leave(self, person):
        decision = self._scan(person, Direction.EXIT)
        assert decision.granted  # nobody is kept in
        self.inside.discard(person)

    @rule()
    def restart(self):
        self.ledger.close()
        self.ledger = Ledger(self.dir / "ledger.db")

    @rule(seconds=st.one_of(st.integers(1, 120), st.integers(200, 4000), st.integers(-600, -1)))
    def clock_step(self, seconds):
        self.now += seconds  # forward, far forward, and NTP stepping the clock back

    @invariant()
    def occupancy_is_entries_minus_exits_within_cap(self):
        occupancy = self.ledger.occupancy()
        events = self.ledger.events()
        entries = sum(e.type == "entry" and e.reason not in REENTRY_REASONS for e in events)
        exits = sum(e.type == "exit" and e.reason == "granted" for e in events)
        assert 0 <= occupancy <= self.policy.occupancy_cap
        assert occupancy == entries - exits == len(self.inside)

    @invariant()
    def anti_passback_is_sound(self):
        inside: set[str] = set()
        last_entry: dict[str, float] = {}
        for e in self.ledger.events():
            if e.type == "exit":
                inside.discard(e.holder)
            elif e.type == "entry":
                mode = self.policy.anti_passback
                if mode == "hard":
                    assert e.holder not in inside, "hard anti-passback let someone in twice"
                if mode == "timed" and e.holder in last_entry:
                    assert e.at - last_entry[e.holder] >= PASSBACK_SECONDS, "timed anti-passback broken"
                if mode == "soft":
                    assert (e.reason == "passback_flagged") == (e.holder in inside), "soft re-entry not flagged"
                inside.add(e.holder)
                last_entry[e.holder] = max(e.at, last_entry.get(e.holder, e.at))


def test_occupancy_and_anti_passback_hold_in_every_run():
    RUNS.update(examples=0, steps=0)
    run_state_machine_as_test(GateMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=12, deadline=None, suppress_health_check=[HealthCheck.too_slow]))
    assert RUNS["examples"] >= EXAMPLES, RUNS
    print(f"\noccupancy machine: {RUNS['examples']} examples, {RUNS['steps']} scans")
