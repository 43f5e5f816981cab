"""[policy.identity] at work: decide() for each mode, the pending confirmation, and each mode at a
simulated gate (the production GateApp on MockFactory pins, a real broker, a real lists file)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from gatesim.rig import SimGate
from gatesim.vietnam import cccd_text, fake_citizen, list_csv, pccovid_text
from qrgate import credentials
from qrgate.cli.main import main
from qrgate.policy.config import IdentityConfig, PolicyConfig
from qrgate.credentials import TrustStore
from qrgate.credentials import citizen_id as cid
from qrgate.errors import PendingError
from qrgate.model import Direction
from qrgate.pending import PendingConfirmations
from qrgate.policy.decide import Policy, Presence, decide
from qrgate.policy.identity import IdentityRules
from qrgate.policy.reasons import IDENTITY_TEXT
from qrgate.state.mode import GateMode

NOW = dt.datetime(2027, 1, 12, 10, 0, tzinfo=cid.VIETNAM).timestamp()
TODAY = cid.today(NOW)
OUTSIDE, INSIDE = Presence(False, 3), Presence(True, 3)
IN = Direction.ENTRY


def _verified(text: str):
    store = TrustStore()
    store.pseudonym_key = b"k" * 32
    return credentials.verify(text, store, NOW)


PERSON = fake_citizen(random.Random(3), TODAY, age=40)
CARD = _verified(cccd_text(PERSON))
MASKED = _verified(pccovid_text(PERSON))
FULL = _verified(pccovid_text(PERSON, masked=False))


def policy(cccd="deny", pccovid="deny", **kw):
    return Policy(identity=IdentityRules(cccd=cccd, pccovid=pccovid), **kw)


CASES = [
    # id, verification, presence, policy, kwargs, granted, pending, reason
    ("deny by default", CARD, OUTSIDE, Policy(), {}, False, False, "identity_not_accepted"),
    ("listed, on the list", CARD, OUTSIDE, policy("listed"), {"listed": True}, True, False, "granted_listed"),
    ("listed, not on it", CARD, OUTSIDE, policy("listed"), {"listed": False}, False, False, "not_on_list"),
    ("listed, no lists", CARD, OUTSIDE, policy("listed"), {}, False, False, "not_on_list"),
    ("masked PC-Covid", MASKED, OUTSIDE, policy(pccovid="listed"), {"listed": True}, False, False,
     "masked_not_listable"),
    ("full PC-Covid listed", FULL, OUTSIDE, policy(pccovid="listed"), {"listed": True}, True, False, "granted_listed"),
    ("register", CARD, OUTSIDE, policy("register"), {}, True, False, "granted_registered"),
    ("register, masked", MASKED, OUTSIDE, policy(pccovid="register"), {}, True, False, "granted_registered"),
    ("guard_confirm waits", CARD, OUTSIDE, policy("guard_confirm"), {}, False, True, "awaiting_guard"),
    ("guard confirmed", CARD, OUTSIDE, policy("guard_confirm"), {"confirmed": True}, True, False, "guard_confirmed"),
    ("lockdown before the guard", CARD, OUTSIDE, policy("guard_confirm"), {"mode": GateMode.LOCKDOWN}, False, False,
     "lockdown"),
    ("passback before the guard", CARD, INSIDE, policy("guard_confirm"), {}, False, False, "already_inside"),
    ("full before the guard", CARD, Presence(False, 5), policy("guard_confirm", occupancy_cap=5), {}, False, False,
     "occupancy_full"),
    ("re-entry keeps its reason", CARD, INSIDE, policy("register", anti_passback="off"), {}, True, False,
     "granted_reentry"),
    ("cccd mode does not govern PC-Covid", FULL, OUTSIDE, policy("register"), {}, False, False,
     "identity_not_accepted"),
]


@pytest.mark.parametrize("verification, presence, pol, kwargs, granted, pending, reason",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_identity_modes(verification, presence, pol, kwargs, granted, pending, reason):
    decision = decide(verification, IN, presence, pol, NOW, **kwargs)
    assert (decision.granted, decision.pending, decision.reason) == (granted, pending, reason)


def test_an_identity_code_always_lets_people_out():
    decision = decide(CARD, Direction.EXIT, INSIDE, Policy(), NOW)
    assert decision.granted and decision.reason == "granted"


def test_pending_confirmations_answer_once_and_expire():
    pending = PendingConfirmations(30)
    scan = __import__("qrgate.model", fromlist=["Scan"]).Scan("secret text", "g1", IN, NOW)
    a = pending.add(scan, CARD, IN, "h1", None, NOW)
    b = pending.add(scan, CARD, IN, "h2", None, NOW + 10)
    assert a.scan.text == "" and a.deadline == NOW + 30  # the code's text is not kept
    assert pending.take(a.id, NOW + 5) is a and pending.take(a.id, NOW + 5) is None
    assert pending.expired(NOW + 35) == [] and [p.id for p in pending.waiting()] == [b.id]
    assert pending.take(b.id, NOW + 41) is None  # past its deadline: only expiry may refuse it
    assert pending.expired(NOW + 41) == [b] and pending.waiting() == []


def test_each_identity_reason_has_text_and_is_produced():
    produced = {c[-1] for c in CASES} | {"guard_refused", "guard_timeout"}  # the last two: the gate test below
    from qrgate.credentials import cccd, pccovid

    produced |= set(cccd.REASONS.values()) | set(pccovid.REASONS.values())  # tests/test_identity_codes.py
    assert set(IDENTITY_TEXT) <= produced


# -- at a simulated gate ------------------------------------------------------------------------------

class Clock:
    def __init__(self, t: float):
        self.t = t

    def __call__(self) -> float:
        return self.t


def _gate(tmp_path: Path, mosquitto, clock, **identity) -> SimGate:
    pol = PolicyConfig(timezone="Asia/Ho_Chi_Minh", identity=IdentityConfig(confirm_seconds=20, **identity))
    gate = SimGate(tmp_path / "site", mosquitto.host, mosquitto.port, trust_files=[], clock=clock, policy=pol,
                   relay_seconds=0.3)
    return gate.start(cameras=False)


def _config_toml(gate: SimGate, tmp_path: Path) -> Path:
    cfg = gate.config
    path = tmp_path / "gate.toml"
    path.write_text(f'[site]\nsecret_file = "{cfg.site.secret_file}"\n[ledger]\npath = "{cfg.ledger.path}"\n'
                    '[[readers]]\nkind = "camera"\n')
    return path


def _scan(gate: SimGate, text: str, at: float):
    camera = gate.cameras["entry"]
    camera.show(text)
    outcomes = gate.lane("entry").process_frame(camera.frame(), at)
    camera.show(None)
    gate.lane("entry").process_frame(camera.frame(), at + 1)  # the code leaves the view
    assert len(outcomes) == 1, "the code was not read"
    return outcomes[0]


def _rises(gate: SimGate) -> int:
    return sum(1 for s in gate.relay_pin.states if s.state)


def _people(n: int, seed: int):
    rng = random.Random(seed)
    return [fake_citizen(rng, dt.date.today()) for _ in range(n)]


def test_listed_admits_only_the_site_list(tmp_path, mosquitto, capsys):
    clock = Clock(NOW)
    listed, stranger = _people(2, seed=11)
    gate = _gate(tmp_path, mosquitto, clock, cccd="listed", pccovid="listed")
    try:
        csv_path = tmp_path / "staff.csv"
        csv_path.write_text(list_csv([listed], "vi"), encoding="utf-8")
        assert main(["list", "import", "staff", str(csv_path), "--config", str(_config_toml(gate, tmp_path))]) == 0
        now = dt.datetime.now().timestamp()
        yes = _scan(gate, cccd_text(listed), now)
        assert (yes.decision.granted, yes.decision.reason) == (True, "granted_listed") and _rises(gate) == 1
        no = _scan(gate, cccd_text(stranger), now + 5)
        assert (no.decision.granted, no.decision.reason) == (False, "not_on_list") and _rises(gate) == 1
        masked = _scan(gate, pccovid_text(listed), now + 10)
        assert masked.decision.reason == "masked_not_listable"
        # the ledger knows the card and the full PC-Covid code as one person: a scan out by PC-Covid
        camera = gate.cameras["exit"]
        camera.show(pccovid_text(listed, masked=False))
        [out] = gate.lane("exit").process_frame(camera.frame(), now + 20)
        assert out.decision.reason == "granted" and gate.ledger.occupancy() == 0
        _assert_ledger_has_no_personal_data(gate, [listed, stranger])
        # the gate noted both ID codes for reconciliation: the listed one agrees with its row
        capsys.readouterr()
        assert main(["list", "check", "staff", "--config", str(_config_toml(gate, tmp_path))]) == 0
        assert capsys.readouterr().out.splitlines() == [
            "list staff: 1 rows, 1 seen at the gates, 0 difference(s)",
            "1 person(s) seen with an ID code that is on no list"]
    finally:
        gate.stop()


def test_register_admits_and_keeps_the_pseudonym_for_tracing(tmp_path, mosquitto):
    clock = Clock(NOW)
    [person] = _people(1, seed=12)
    gate = _gate(tmp_path, mosquitto, clock, cccd="register")
    try:
        now = dt.datetime.now().timestamp()
        outcome = _scan(gate, cccd_text(person), now)
        assert (outcome.decision.granted, outcome.decision.reason) == (True, "granted_registered")
        [event] = gate.ledger.events()
        assert event.type == "entry" and event.holder and event.format == "cccd"
        _assert_ledger_has_no_personal_data(gate, [person])
    finally:
        gate.stop()


def test_deny_refuses_with_the_red_light(tmp_path, mosquitto):
    clock = Clock(NOW)
    [person] = _people(1, seed=13)
    gate = _gate(tmp_path, mosquitto, clock)
    try:
        outcome = _scan(gate, cccd_text(person), dt.datetime.now().timestamp())
        assert outcome.decision.reason == "identity_not_accepted" and gate.led_color == "red" and _rises(gate) == 0
    finally:
        gate.stop()


def test_guard_confirm_turns_amber_and_waits_for_the_guard(tmp_path, mosquitto):
    now = dt.datetime.now().timestamp()
    clock = Clock(now)
    a, b, c = _people(3, seed=14)
    gate = _gate(tmp_path, mosquitto, clock, cccd="guard_confirm")
    try:
        first = _scan(gate, cccd_text(a), now)
        assert first.decision.pending and first.pending_id and gate.led_color == "amber" and _rises(gate) == 0
        assert [e.type for e in gate.ledger.events()] == ["pending"]
        confirmed = gate.app.confirm(first.pending_id, by="guard-7", allow=True, at=now + 4)
        assert (confirmed.decision.granted, confirmed.decision.reason) == (True, "guard_confirmed")
        assert _rises(gate) == 1 and gate.ledger.is_inside(confirmed.event.holder)
        assert gate.ledger.details(confirmed.event.id) == {"confirmed_by": "guard-7"}
        with pytest.raises(PendingError):  # answered once only
            gate.app.confirm(first.pending_id, by="guard-7", allow=True, at=now + 5)

        second = _scan(gate, cccd_text(b), now + 10)
        refused = gate.app.confirm(second.pending_id, by="guard-7", allow=False, at=now + 12)
        assert refused.decision.reason == "guard_refused" and gate.led_color == "red" and _rises(gate) == 1

        third = _scan(gate, cccd_text(c), now + 20)
        clock.t = now + 20 + 19
        gate.app.tick()
        assert gate.ledger.events()[-1].type == "pending"  # still within its 20 s
        clock.t = now + 20 + 21
        gate.app.tick()
        last = gate.ledger.events()[-1]
        assert (last.type, last.reason) == ("denied", "guard_timeout") and _rises(gate) == 1
        with pytest.raises(PendingError):
            gate.app.confirm(third.pending_id, by="guard-7", allow=True, at=now + 45)
        assert gate.ledger.counts(now)["today"] == {"entries": 1, "exits": 0, "denials": 2}
        _assert_ledger_has_no_personal_data(gate, [a, b, c])
    finally:
        gate.stop()


def _assert_ledger_has_no_personal_data(gate: SimGate, people) -> None:
    """Neither the event log file nor the lists file holds a number, name or birth date in clear."""
    state = Path(gate.config.ledger.path).parent
    for path in state.iterdir():
        raw = path.read_bytes()
        for p in people:
            for value in (p.number, p.name, cid.normalise_name(p.name), p.birth.isoformat(),
                          p.birth.strftime("%d%m%Y"), p.birth.strftime("%d/%m/%Y"), p.phone):
                assert value.encode() not in raw, f"personal data in {path.name}"


def test_the_identity_table_is_read_and_checked_with_its_key_path():
    from qrgate.config import validate
    from qrgate.errors import ConfigError
    from qrgate.policy.config import to_policy

    cfg = validate(PolicyConfig, {"identity": {"cccd": "listed", "pccovid": "guard_confirm", "lists": ["staff"],
                                               "confirm_seconds": 45}}, "policy")
    rules = to_policy(cfg, "gate1").identity
    assert (rules.mode("cccd"), rules.mode("pccovid"), rules.lists, rules.confirm_seconds) == \
        ("listed", "guard_confirm", ("staff",), 45.0)
    assert rules.mode("dcc") is None
    with pytest.raises(ConfigError, match="policy.identity.cccd: 'allow' is not one of"):
        validate(PolicyConfig, {"identity": {"cccd": "allow"}}, "policy")
    with pytest.raises(ConfigError, match="policy.identity.confirm_seconds: 0.* is below the minimum 1"):
        validate(PolicyConfig, {"identity": {"confirm_seconds": 0}}, "policy")
