"""Reason codes are one enumeration, built from the one table of guard texts."""

from qrgate.policy.reasons import GUARD_TEXT, HEALTH_TEXT, Reason


def test_every_code_is_a_member_and_equal_to_its_string():
    assert {member.value for member in Reason} == set(GUARD_TEXT)
    assert Reason.ALREADY_INSIDE == "already_inside" and Reason("lockdown") is Reason.LOCKDOWN


def test_a_health_code_the_core_list_names_keeps_the_core_text():
    shared = set(HEALTH_TEXT) & {"unknown_key", "expired"}
    assert shared and all(GUARD_TEXT[c] != HEALTH_TEXT[c] for c in shared)
    assert GUARD_TEXT["test_positive"] == HEALTH_TEXT["test_positive"]
