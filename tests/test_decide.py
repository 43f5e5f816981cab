"""decide() is pure: tables of (verification, direction, presence, policy, now, mode, clock) -> decision.

Every reason code in qrgate.policy.reasons is produced here by a real call with an injected clock:
policy reasons by decide() on hand-made verifications, credential reasons by verifying
real passes (signed, altered, revoked, rotating) and passing the result through decide().
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from qrgate import credentials
from qrgate.credentials import native, rotating
from qrgate.credentials.base45 import b45decode, b45encode
from qrgate.credentials.keys import issuer_secret, load_private_key, new_key
from qrgate.credentials.revocation import sign_list, verify_list
from qrgate.credentials.trust import TrustStore
from qrgate.policy.decide import ALARM_CLOCK, GateMode, GuardOverride, Policy, Presence, decide
from qrgate.model import Credential, Direction, Verification
from qrgate.policy.hours import OpeningHours, parse_spans
from qrgate.policy.reasons import GUARD_TEXT

# Tuesday 2027-01-12 10:00 in Ho Chi Minh City (UTC+7)
NOW = dt.datetime(2027, 1, 12, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))).timestamp()
HOUR = 3600
IN, OUT = Direction.ENTRY, Direction.EXIT
TZ = "Asia/Ho_Chi_Minh"
WEEKDAY_HOURS = OpeningHours(TZ, tuple(parse_spans(t) for t in ["07:00-18:00"] * 5 + ["closed"] * 2),
                             frozenset({"2027-02-10"}))


def valid(valid_from=NOW - 60, valid_until=NOW + 60, kind="visitor", **attributes):
    attrs = {"site": 0, "zones": 0, "entries_per_day": 0, "gates": 0} | attributes
    return Verification("qrgate-pass", True, "valid", {},
                        Credential("qrgate-pass", "holder-1", kind=kind, valid_from=valid_from,
                                   valid_until=valid_until, attributes=attrs))


def invalid(reason, credential=None):
    return Verification("qrgate-pass", False, reason, {}, credential)


def P(inside=False, occupancy=3, zone=0, today=0, last=None):
    return Presence(inside, occupancy, zone, today, last)


OUTSIDE, INSIDE = P(), P(inside=True)
CUT = Presence(False, 0, partitioned=True)
BOUND = Policy(site_number=7, gate_number=2, zone_number=3)
EXPIRED_CRED = valid(valid_until=NOW - 1).credential

CASES = [
    # id, verification, direction, presence, policy, kwargs, granted, reason
    ("plain entry", valid(), IN, OUTSIDE, Policy(), {}, True, "granted"),
    ("hard passback", valid(), IN, INSIDE, Policy(), {}, False, "already_inside"),
    ("off passback", valid(), IN, INSIDE, Policy(anti_passback="off"), {}, True, "granted_reentry"),
    ("soft passback", valid(), IN, INSIDE, Policy(anti_passback="soft"), {}, True, "passback_flagged"),
    ("soft, not inside", valid(), IN, OUTSIDE, Policy(anti_passback="soft"), {}, True, "granted"),
    ("timed too soon", valid(), IN, P(last=NOW - 60), Policy(anti_passback="timed", passback_seconds=600), {},
     False, "passback_too_soon"),
    ("timed clock back", valid(), IN, P(last=NOW + 60), Policy(anti_passback="timed", passback_seconds=600), {},
     False, "passback_too_soon"),
    ("timed later", valid(), IN, P(last=NOW - 601), Policy(anti_passback="timed", passback_seconds=600), {},
     True, "granted"),
    ("timed later inside", valid(), IN, P(inside=True, last=NOW - 601),
     Policy(anti_passback="timed", passback_seconds=600), {}, True, "granted_reentry"),
    ("exit", valid(), OUT, INSIDE, Policy(), {}, True, "granted"),
    # cut off from the site's other gates (qrgate.site): on_partition and the capacity shares
    ("cut off, deny_entry", valid(), IN, CUT, Policy(on_partition="deny_entry"), {}, False, "site_partitioned"),
    ("cut off, deny_entry, exit", valid(), OUT, CUT, Policy(on_partition="deny_entry"), {}, True,
     "granted_not_inside"),
    ("cut off, soft, inside", valid(), IN, Presence(True, 1, partitioned=True), Policy(on_partition="soft"), {},
     True, "passback_flagged"),
    ("cut off, hard, inside", valid(), IN, Presence(True, 1, partitioned=True), Policy(), {}, False,
     "already_inside"),
    ("connected, soft partition rule unused", valid(), IN, INSIDE, Policy(on_partition="soft"), {}, False,
     "already_inside"),
    ("share used up", valid(), IN, Presence(False, 3, cap_room=0), Policy(occupancy_cap=10), {}, False,
     "occupancy_full"),
    ("share left", valid(), IN, Presence(False, 3, cap_room=1), Policy(occupancy_cap=10), {}, True, "granted"),
    ("zone share used up", valid(), IN, Presence(False, 3, 1, zone_room=0), Policy(zone_cap=5), {}, False,
     "zone_full"),
    ("exit not inside", valid(), OUT, OUTSIDE, Policy(), {}, True, "granted_not_inside"),
    ("site full", valid(), IN, P(occupancy=3), Policy(occupancy_cap=3), {}, False, "occupancy_full"),
    ("site room", valid(), IN, P(occupancy=2), Policy(occupancy_cap=3), {}, True, "granted"),
    ("full site lets out", valid(), OUT, P(inside=True, occupancy=9), Policy(occupancy_cap=3), {}, True, "granted"),
    ("zone full", valid(), IN, P(zone=5), Policy(zone_cap=5), {}, False, "zone_full"),
    ("zone room", valid(), IN, P(zone=4), Policy(zone_cap=5), {}, True, "granted"),
    ("re-entry passes a full site", valid(), IN, P(inside=True, occupancy=3), Policy(anti_passback="off",
     occupancy_cap=3), {}, True, "granted_reentry"),
    ("expired at decide", valid(valid_until=NOW - 1), IN, OUTSIDE, Policy(), {}, False, "expired"),
    ("early at decide", valid(valid_from=NOW + 1), IN, OUTSIDE, Policy(), {}, False, "not_yet_valid"),
    ("expired exit", valid(valid_until=NOW - 1), OUT, INSIDE, Policy(), {}, False, "expired"),
    ("bad signature", invalid("bad_signature"), IN, OUTSIDE, Policy(), {}, False, "bad_signature"),
    ("bad exit", invalid("unknown_key"), OUT, INSIDE, Policy(), {}, False, "unknown_key"),
    ("wrong site", valid(site=8), IN, OUTSIDE, BOUND, {}, False, "wrong_site"),
    ("site bound, gate knows none", valid(site=8), IN, OUTSIDE, Policy(), {}, False, "wrong_site"),
    ("right site", valid(site=7), IN, OUTSIDE, BOUND, {}, True, "granted"),
    ("wrong gate", valid(gates=0b0101), IN, OUTSIDE, BOUND, {}, False, "wrong_gate"),
    ("right gate", valid(gates=0b0010), IN, OUTSIDE, BOUND, {}, True, "granted"),
    ("wrong zone", valid(zones=0b0011), IN, OUTSIDE, BOUND, {}, False, "wrong_zone"),
    ("right zone", valid(zones=0b0100), IN, OUTSIDE, BOUND, {}, True, "granted"),
    ("wrong site may still leave", valid(site=8), OUT, INSIDE, BOUND, {}, True, "granted"),
    ("declaration fresh", valid(valid_from=NOW - 23 * HOUR, valid_until=NOW + 48 * HOUR, kind="health_declaration"),
     IN, OUTSIDE, Policy(health_declaration_hours=24), {}, True, "granted"),
    ("declaration old", valid(valid_from=NOW - 25 * HOUR, valid_until=NOW + 48 * HOUR, kind="health_declaration"),
     IN, OUTSIDE, Policy(health_declaration_hours=24), {}, False, "declaration_too_old"),
    ("daily limit of pass", valid(entries_per_day=2), IN, P(today=2), Policy(), {}, False, "daily_limit_reached"),
    ("daily limit not reached", valid(entries_per_day=2), IN, P(today=1), Policy(), {}, True, "granted"),
    ("daily limit of site", valid(entries_per_day=5), IN, P(today=3), Policy(entries_per_day=3), {},
     False, "daily_limit_reached"),
    ("open hours", valid(), IN, OUTSIDE, Policy(hours=WEEKDAY_HOURS), {}, True, "granted"),
    ("closed at night", valid(valid_until=NOW + 11 * HOUR), IN, OUTSIDE, Policy(hours=WEEKDAY_HOURS), {"now": NOW + 10 * HOUR},
     False, "closed"),
    ("closed on sunday", valid(valid_until=NOW + 9 * 86400), IN, OUTSIDE, Policy(hours=WEEKDAY_HOURS),
     {"now": NOW + 5 * 86400}, False, "closed"),
    ("holiday", valid(valid_until=NOW + 30 * 86400), IN, OUTSIDE, Policy(hours=WEEKDAY_HOURS),
     {"now": NOW + 29 * 86400}, False, "holiday"),
    ("staff at night", valid(kind="staff", valid_until=NOW + 11 * HOUR), IN, OUTSIDE, Policy(hours=WEEKDAY_HOURS),
     {"now": NOW + 10 * HOUR}, True, "granted"),
    ("closed, may leave", valid(valid_until=NOW + 11 * HOUR), OUT, INSIDE, Policy(hours=WEEKDAY_HOURS),
     {"now": NOW + 10 * HOUR}, True, "granted"),
    ("lockdown entry", valid(), IN, OUTSIDE, Policy(), {"mode": GateMode.LOCKDOWN}, False, "lockdown"),
    ("lockdown exit", valid(), OUT, INSIDE, Policy(), {"mode": "lockdown"}, True, "granted"),
    ("lockdown forged", invalid("bad_signature"), IN, OUTSIDE, Policy(), {"mode": "lockdown"},
     False, "bad_signature"),
    ("free exit mode", invalid("bad_signature"), OUT, INSIDE, Policy(), {"mode": GateMode.FREE_EXIT},
     True, "free_exit"),
    ("free exit policy", invalid("empty"), OUT, OUTSIDE, Policy(free_exit=True), {}, True, "free_exit"),
    ("free exit is not free entry", invalid("empty"), IN, OUTSIDE, Policy(free_exit=True),
     {"mode": "free_exit"}, False, "empty"),
    ("override a denial", invalid("bad_signature"), IN, INSIDE, Policy(),
     {"override": GuardOverride("guard-7", "visitor's phone died")}, True, "guard_override"),
    ("override without scan", None, IN, OUTSIDE, Policy(),
     {"override": GuardOverride("guard-7", "delivery")}, True, "guard_override"),
    ("clock unsynced entry", valid(), IN, OUTSIDE, Policy(), {"clock_synced": False}, False, "clock_unsynced"),
    ("clock unsynced, looks expired", invalid("expired", EXPIRED_CRED), IN, OUTSIDE, Policy(),
     {"clock_synced": False}, False, "clock_unsynced"),
    ("clock unsynced exit", invalid("expired", EXPIRED_CRED), OUT, INSIDE, Policy(),
     {"clock_synced": False}, True, "granted"),
    ("clock unsynced forged", invalid("bad_signature"), IN, OUTSIDE, Policy(), {"clock_synced": False},
     False, "bad_signature"),
]


def run_case(verification, direction, presence, policy, kwargs):
    kwargs = dict(kwargs)
    now = kwargs.pop("now", NOW)
    return decide(verification, direction, presence, policy, now, **kwargs)


@pytest.mark.parametrize("verification, direction, presence, policy, kwargs, granted, reason",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decision_table(verification, direction, presence, policy, kwargs, granted, reason):
    decision = run_case(verification, direction, presence, policy, kwargs)
    assert (decision.granted, decision.reason) == (granted, reason)
    assert decision.reason in GUARD_TEXT


def test_flags_carry_the_alarm_the_override_and_the_passback():
    unsynced = decide(valid(), IN, OUTSIDE, Policy(), NOW, clock_synced=False)
    assert ALARM_CLOCK in unsynced.flags
    leaving = decide(valid(), OUT, INSIDE, Policy(), NOW, clock_synced=False)
    assert leaving.granted and ALARM_CLOCK in leaving.flags
    assert "override" in decide(None, IN, OUTSIDE, Policy(), NOW, override=GuardOverride("g", "why")).flags
    assert "passback" in decide(valid(), IN, INSIDE, Policy(anti_passback="soft"), NOW).flags
    assert decide(valid(), IN, OUTSIDE, Policy(), NOW).flags == ()


def test_override_needs_who_and_why():
    with pytest.raises(ValueError):
        GuardOverride("", "why")
    with pytest.raises(ValueError):
        GuardOverride("guard-1", " ")
    assert GuardOverride("guard-1", "lost phone").detail() == {"override_by": "guard-1",
                                                               "override_why": "lost phone"}


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        decide(valid(), IN, OUTSIDE, Policy(), NOW, mode="party")


# -- credential reasons, from real passes ----------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    keys = new_key(tmp_path_factory.mktemp("keys"))
    _kid, key = load_private_key(keys["private_key"])
    secret = issuer_secret(keys["private_key"])
    rotation_key = b"r" * 32
    trust = TrustStore.from_files([keys["trust"]])
    trust.rotation = rotating.RotationState(rotation_key)

    def make(kind="visitor", valid_from=NOW - HOUR, valid_until=NOW + HOUR, **extra):
        return native.issue(key, native.PassFields(kind, native.holder_pseudonym(secret, "v"),
                                                   int(valid_from), int(valid_until), **extra))
    return {"key": key, "trust": trust, "make": make, "rotation_key": rotation_key, "dir": keys}


def _resigned_body(payload, edit):
    raw = bytearray(b45decode(payload[4:]))
    edit(raw)
    return native.PREFIX + b45encode(bytes(raw))


def credential_cases(site):
    make = site["make"]
    good = make()
    revoked = make(pass_id=bytes.fromhex("aabbccddeeff"))
    rot = make(rotating=True)
    rot_id = native.pass_id_of(rot)
    kid = native.key_id(site["key"].public_key())
    secret = rotating.pass_secret(site["rotation_key"], kid, rot_id)
    live = rotating.present(rot, secret, NOW)
    stale = rotating.present(rot, secret, NOW - 3 * rotating.STEP_SECONDS)
    other_key = new_key(site["dir"]["private_key"].rsplit("/", 1)[0] + "-other")
    forger = load_private_key(other_key["private_key"])[1]
    untrusted = native.issue(forger, native.PassFields("visitor", b"x" * 8, int(NOW - HOUR), int(NOW + HOUR)))

    def bump_version(raw):
        raw[0] = 9
    revocations = sign_list(site["key"], 1, [native.pass_id_of(revoked)], int(NOW))
    return [
        # id, payload, trust override, expected reason
        ("valid", good, None, "granted"),
        ("empty", "", None, "empty"),
        ("too long", "QG1:" + "0" * 5000, None, "too_long"),
        ("unknown format", "https://example.com", None, "unknown_format"),
        ("bad encoding", good[:-1] + "a", None, "bad_encoding"),
        ("bad length", good[:-3], None, "bad_length"),
        ("bad version", _resigned_body(good, bump_version), None, "bad_version"),
        ("unknown key", untrusted, None, "unknown_key"),
        ("bad signature", good[:20] + ("1" if good[20] != "1" else "2") + good[21:], None, "bad_signature"),
        ("revoked", revoked, revocations, "revoked"),
        ("expired", make(valid_from=NOW - 2 * HOUR, valid_until=NOW - HOUR), None, "expired"),
        ("not yet valid", make(valid_from=NOW + HOUR, valid_until=NOW + 2 * HOUR), None, "not_yet_valid"),
        ("rotating pass printed", rot, None, "rotating_required"),
        ("rotating live", live, None, "granted"),
        ("rotating again", live, None, "code_reused"),
        ("rotating stale", stale, None, "bad_rotating_code"),
        ("no rotation key", live, "no-rotation", "no_rotation_key"),
    ]


def _verify(payload, trust, now):
    return credentials.verify(payload, trust, now)  # QG1 and QG2 alike, by prefix


def test_credential_reasons_from_real_passes(site):
    seen = []
    for name, payload, special, reason in credential_cases(site):
        trust = site["trust"]
        if special == "no-rotation":
            trust = TrustStore(pass_keys=trust.pass_keys)
        elif special is not None:
            trust = TrustStore(pass_keys=trust.pass_keys)
            trust.install_revocations(verify_list(json.loads(json.dumps(special)), trust.pass_keys))
        decision = decide(_verify(payload, trust, NOW), IN, OUTSIDE, Policy(), NOW)
        assert decision.reason == reason, name
        seen.append(reason)
    assert native.verify("XX1:" + "0" * 10, site["trust"], NOW).reason == "bad_prefix"
    seen.append("bad_prefix")
    decided = {c[-1] for c in CASES}
    # health-certificate codes are each produced by tests/test_dcc_verify.py and tests/test_dcc_rules.py,
    # identity-code ones by tests/test_identity_codes.py and tests/test_identity_policy.py
    from qrgate.policy.reasons import ACTION_TEXT, HEALTH_TEXT, IDENTITY_TEXT, SITE_TEXT

    # storage_fault: the pipeline's own refusal when the log fails (tests/test_storage_faults.py)
    # SITE_TEXT: ledger events of the site (tests/test_site_logic.py)
    missing = (set(GUARD_TEXT) - decided - set(seen) - set(HEALTH_TEXT) - set(ACTION_TEXT) - set(IDENTITY_TEXT)
               - set(SITE_TEXT)
               - {"storage_fault"})
    assert not missing, f"reason codes no test produces: {sorted(missing)}"
