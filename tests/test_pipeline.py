"""Frame in, relay out: the production lane on rendered frames and gpiozero's MockFactory."""

from __future__ import annotations

import time

import pytest
from gpiozero.pins.mock import MockFactory

from gatesim.camera import VirtualCamera
from gatesim.visitors import forge_extension
from qrgate.policy.decide import Policy
from qrgate.gate.gpio import GpioGateIO
from qrgate.gate.pins import DEFAULT_PINS
from qrgate.ledger import Ledger
from qrgate.model import Direction
from qrgate.pipeline import CameraLane, GateController
from qrgate.vision.debounce import Debouncer
from qrgate.vision.decoder import Decoder

HOUR = 3600


@pytest.fixture
def rig(tmp_path, trust):
    pins = MockFactory()
    io = GpioGateIO(pin_factory=pins)
    ledger = Ledger(tmp_path / "ledger.db")
    controller = GateController(gate_id="g1", trust=trust, policy=Policy(), ledger=ledger, io=io,
                                site_secret=b"k" * 32, relay_seconds=0.05)
    lanes = {d: CameraLane(controller, d, Decoder(), Debouncer(gone_after=0.3)) for d in Direction}
    yield lanes, pins.pin(DEFAULT_PINS["relay"]), ledger
    io.close()
    ledger.close()


def frame_with(payload: str | None):
    camera = VirtualCamera(1280, 720)
    camera.show(payload)
    return camera.frame()


def rises(pin) -> int:
    return sum(1 for s in pin.states if s.state)


def test_valid_pass_is_granted_and_the_relay_pulses(rig, office, now):
    lanes, relay, ledger = rig
    [outcome] = lanes[Direction.ENTRY].process_frame(frame_with(office.issue("v1", now - HOUR, now + HOUR)), now)
    assert outcome.decision.granted and outcome.decision.reason == "granted"
    assert relay.state is True and rises(relay) == 1
    assert ledger.counts(now)["total"]["entries"] == 1
    # the event row exists; the pseudonym in it is not the pass's own holder field
    [event] = ledger.events()
    assert event.holder and event.holder != outcome.verification.credential.holder


@pytest.mark.parametrize("make, reason", [
    (lambda o, now: forge_extension(o.issue("v", now - 2 * HOUR, now - HOUR)), "bad_signature"),
    (lambda o, now: o.issue("v", now - 2 * HOUR, now - HOUR), "expired"),
    (lambda o, now: o.issue("v", now + HOUR, now + 2 * HOUR), "not_yet_valid"),
])
def test_bad_passes_are_denied_and_the_relay_never_moves(rig, office, now, make, reason):
    lanes, relay, ledger = rig
    [outcome] = lanes[Direction.ENTRY].process_frame(frame_with(make(office, now)), now)
    assert not outcome.decision.granted and outcome.decision.reason == reason
    assert rises(relay) == 0
    assert ledger.counts(now)["total"]["denials"] == 1


def test_second_entry_is_denied_until_an_exit(rig, office, now):
    lanes, relay, _ledger = rig
    frame = frame_with(office.issue("v1", now - HOUR, now + HOUR))
    assert lanes[Direction.ENTRY].process_frame(frame, now)[0].decision.granted
    # the same code shown again after it left the view
    again = lanes[Direction.ENTRY].process_frame(frame, now + 5)[0]
    assert (again.decision.granted, again.decision.reason) == (False, "already_inside")
    time.sleep(0.1)  # let the 50 ms pulse end, so each grant is its own rising edge
    assert lanes[Direction.EXIT].process_frame(frame, now + 6)[0].decision.granted
    time.sleep(0.1)
    assert lanes[Direction.ENTRY].process_frame(frame, now + 12)[0].decision.granted
    assert rises(relay) == 3


def test_a_code_held_in_view_is_one_scan(rig, office, now):
    lanes, relay, ledger = rig
    frame = frame_with(office.issue("v1", now - HOUR, now + HOUR))
    results = [lanes[Direction.ENTRY].process_frame(frame, now + i / 30) for i in range(30)]
    assert sum(len(r) for r in results) == 1
    assert len(ledger.events()) == 1


def test_empty_frames_give_nothing(rig, now):
    lanes, relay, ledger = rig
    assert lanes[Direction.ENTRY].process_frame(frame_with(None), now) == []
    assert ledger.events() == [] and rises(relay) == 0


def test_one_camera_for_both_ways(rig, office, now):
    lanes, relay, ledger = rig
    lane = CameraLane(lanes[Direction.ENTRY].controller, Direction.AUTO, Decoder(), Debouncer(gone_after=0.3))
    frame = frame_with(office.issue("v1", now - HOUR, now + HOUR))
    first = lane.process_frame(frame, now)[0]
    second = lane.process_frame(frame, now + 5)[0]
    assert (first.decision.direction, second.decision.direction) == (Direction.ENTRY, Direction.EXIT)
    assert [e.type for e in ledger.events()] == ["entry", "exit"]


def test_guard_override_is_logged_with_who_and_why_before_the_relay(rig, now):
    from qrgate.policy.rules import GuardOverride

    lanes, relay, ledger = rig
    controller = lanes[Direction.ENTRY].controller
    outcome = controller.force(GuardOverride("guard-07", "visitor's phone died"), Direction.ENTRY, now)
    assert outcome.decision.granted and outcome.decision.reason == "guard_override"
    assert rises(relay) == 1
    [event] = ledger.events()
    assert event.type == "override" and ledger.details(event.id)["override_by"] == "guard-07"
    assert ledger.counts(now)["occupancy"] == 0


def test_unsynchronised_clock_fails_time_bound_passes_closed(rig, office, now):
    lanes, relay, _ledger = rig
    controller = lanes[Direction.ENTRY].controller
    controller.clock_synced = lambda: False
    [outcome] = lanes[Direction.ENTRY].process_frame(frame_with(office.issue("v1", now - HOUR, now + HOUR)), now)
    assert (outcome.decision.granted, outcome.decision.reason) == (False, "clock_unsynced")
    assert rises(relay) == 0


def test_health_certificates_are_checked_against_the_site_rules(tmp_path, now):
    """An EU DCC through the camera: a fresh PCR test admits, a stale one is refused with its own reason."""
    from qrgate.credentials import TrustStore
    from qrgate.credentials.dcc import issue as dcc_issue

    day = 86400
    signer = dcc_issue.make_test_signer(now - 365 * day, now + 365 * day)
    pem = tmp_path / "signers.pem"
    pem.write_bytes(signer.certificate_pem)
    trust = TrustStore.from_files([pem])
    trust.pseudonym_key = b"k" * 32
    pins = MockFactory()
    io = GpioGateIO(pin_factory=pins)
    ledger = Ledger(tmp_path / "l.db")
    controller = GateController(gate_id="g1", trust=trust, policy=Policy(), ledger=ledger, io=io,
                                site_secret=b"k" * 32, relay_seconds=0.05)
    lane = CameraLane(controller, Direction.ENTRY, Decoder(), Debouncer(gone_after=0.3))

    def test_certificate(hours_ago: float, who: str) -> str:
        sampled = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - hours_ago * 3600))
        name = {"fn": "Tester", "fnt": "TESTER", "gn": who, "gnt": who.upper()}
        return dcc_issue.issue_dcc(signer, dcc_issue.sample_payload("test", name=name, sc=sampled),
                                   now - day, now + 30 * day)

    fresh = lane.process_frame(frame_with(test_certificate(6, "Alpha")), now)[0]
    stale = lane.process_frame(frame_with(test_certificate(100, "Beta")), now + 5)[0]
    assert (fresh.decision.granted, fresh.decision.reason) == (True, "granted")
    assert (stale.decision.granted, stale.decision.reason) == (False, "test_too_old")
    assert all("ALPHA" not in (e.holder or "") for e in ledger.events())
    io.close()
    ledger.close()
