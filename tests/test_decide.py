"""decide() is pure: a table of (verification, direction, presence, policy, now) -> decision."""

from __future__ import annotations

import pytest

from qrgate.decide import Policy, Presence, decide
from qrgate.model import Credential, Direction, Verification

NOW = 1_800_000_000.0
IN, OUT = Direction.ENTRY, Direction.EXIT


def valid(valid_from=NOW - 60, valid_until=NOW + 60):
    return Verification("qrgate-pass", True, "valid", {},
                        Credential("qrgate-pass", "holder-1", valid_from=valid_from, valid_until=valid_until))


def invalid(reason):
    return Verification("qrgate-pass", False, reason, {})


OUTSIDE, INSIDE = Presence(False, 3), Presence(True, 3)
CASES = [
    # verification, direction, presence, policy, granted, reason
    (valid(), IN, OUTSIDE, Policy(), True, "granted"),
    (valid(), IN, INSIDE, Policy(), False, "already_inside"),
    (valid(), IN, INSIDE, Policy(anti_passback="off"), True, "granted"),
    (valid(), OUT, INSIDE, Policy(), True, "granted"),
    (valid(), OUT, OUTSIDE, Policy(), True, "granted_not_inside"),
    (valid(), IN, Presence(False, 3), Policy(occupancy_cap=3), False, "occupancy_full"),
    (valid(), IN, Presence(False, 2), Policy(occupancy_cap=3), True, "granted"),
    (valid(), OUT, Presence(True, 9), Policy(occupancy_cap=3), True, "granted"),  # a full site still lets people out
    (valid(valid_until=NOW - 1), IN, OUTSIDE, Policy(), False, "expired"),
    (valid(valid_from=NOW + 1), IN, OUTSIDE, Policy(), False, "not_yet_valid"),
    (invalid("bad_signature"), IN, OUTSIDE, Policy(), False, "bad_signature"),
    (invalid("unknown_key"), OUT, INSIDE, Policy(), False, "unknown_key"),
]


@pytest.mark.parametrize("verification, direction, presence, policy, granted, reason", CASES)
def test_decision_table(verification, direction, presence, policy, granted, reason):
    decision = decide(verification, direction, presence, policy, NOW)
    assert (decision.granted, decision.reason) == (granted, reason)


def test_every_reason_has_guard_text_in_both_languages():
    from qrgate.reasons import GUARD_TEXT

    for _v, _d, _p, _pol, _g, reason in CASES:
        assert reason in GUARD_TEXT
        vi, en = GUARD_TEXT[reason]
        assert vi and en and vi != en
