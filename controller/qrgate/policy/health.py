"""Entry rules for verified health certificates: pure, the clock is an argument.

evaluate() takes a Credential from qrgate.credentials.dcc.verify (only valid ones) and
returns None to admit, or a reason code. Dates without a time (dt, df, du) are read as
UTC calendar days; a recovery certificate is valid from the start of df to the end of du.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from ..model import Credential

__all__ = ["HealthRules", "evaluate", "RULE_CODES", "TEST_RESULT_NOT_DETECTED",
           "NAAT", "RAT"]

NAAT = "LP6464-4"  # nucleic acid amplification test (PCR)
RAT = "LP217198-3"  # rapid antigen test
TEST_RESULT_NOT_DETECTED = "260415000"
DAY = 86400.0


def _describe(text: str) -> dict[str, str]:
    return {"description": text}


@dataclass(frozen=True)
class HealthRules:
    accept_vaccination: bool = field(
        default=True, metadata=_describe("admit holders of a vaccination certificate"))
    require_complete_series: bool = field(
        default=True, metadata=_describe("the dose number (dn) must reach the series' total (sd)"))
    min_days_after_last_dose: int = field(
        default=14, metadata=_describe("whole days that must have passed since the last dose (dt)"))
    max_days_after_last_dose: int | None = field(
        default=None, metadata=_describe("most whole days since the last dose; None = no limit"))
    accept_recovery: bool = field(
        default=True, metadata=_describe("admit holders of a recovery certificate within df..du"))
    accept_test: bool = field(
        default=True, metadata=_describe("admit holders of a negative test certificate"))
    accepted_test_types: tuple[str, ...] = field(
        default=(NAAT, RAT),
        metadata=_describe("test types (tt) admitted: LP6464-4 NAAT/PCR, LP217198-3 rapid antigen"))
    max_test_age_hours: dict[str, float] = field(
        default_factory=lambda: {NAAT: 72.0, RAT: 48.0},
        metadata=_describe("per test type, most hours since the sample (sc); "
                           "an accepted type without an entry is refused"))


RULE_CODES = (
    "vaccination_not_accepted", "vaccination_incomplete", "vaccination_too_recent",
    "vaccination_too_old", "recovery_not_accepted", "recovery_not_yet_valid", "recovery_expired",
    "test_not_accepted", "test_type_not_accepted", "test_positive", "test_sample_in_future",
    "test_too_old", "certificate_data_invalid",
)

def _day_start(text: Any) -> float | None:
    """Start (UTC) of the calendar day a date or date-time text names, or None if unreadable."""
    if not isinstance(text, str) or len(text) < 10:
        return None
    try:
        day = _dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
    return _dt.datetime(day.year, day.month, day.day, tzinfo=_dt.timezone.utc).timestamp()


def _instant(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.timestamp()


def _vaccination(a: dict, rules: HealthRules, now: float) -> str | None:
    if not rules.accept_vaccination:
        return "vaccination_not_accepted"
    dn, sd, last_dose = a.get("dn"), a.get("sd"), _day_start(a.get("dt"))
    if not (isinstance(dn, int) and isinstance(sd, int)) or last_dose is None:
        return "certificate_data_invalid"
    if rules.require_complete_series and dn < sd:
        return "vaccination_incomplete"
    days = int((now - last_dose) // DAY)
    if days < rules.min_days_after_last_dose:
        return "vaccination_too_recent"
    if rules.max_days_after_last_dose is not None and days > rules.max_days_after_last_dose:
        return "vaccination_too_old"
    return None


def _recovery(a: dict, rules: HealthRules, now: float) -> str | None:
    if not rules.accept_recovery:
        return "recovery_not_accepted"
    valid_from, valid_until = _day_start(a.get("df")), _day_start(a.get("du"))
    if valid_from is None or valid_until is None:
        return "certificate_data_invalid"
    if now < valid_from:
        return "recovery_not_yet_valid"
    if now >= valid_until + DAY:  # du is the last valid day
        return "recovery_expired"
    return None


def _test(a: dict, rules: HealthRules, now: float) -> str | None:
    if not rules.accept_test:
        return "test_not_accepted"
    test_type = a.get("tt")
    if test_type not in rules.accepted_test_types or test_type not in rules.max_test_age_hours:
        return "test_type_not_accepted"
    if a.get("tr") != TEST_RESULT_NOT_DETECTED:
        return "test_positive"  # "detected", or anything unknown: fail closed
    sampled = _instant(a.get("sc"))
    if sampled is None:
        return "certificate_data_invalid"
    if sampled > now:
        return "test_sample_in_future"
    if now - sampled > rules.max_test_age_hours[test_type] * 3600.0:
        return "test_too_old"
    return None


_BY_KIND = {"vaccination": _vaccination, "recovery": _recovery, "test": _test}


def evaluate(credential: Credential, rules: HealthRules, now: float) -> str | None:
    """None to admit the holder of this verified health certificate, else the reason code."""
    check = _BY_KIND.get(credential.kind)
    if check is None or not isinstance(credential.attributes, dict):
        return "certificate_data_invalid"
    return check(credential.attributes, rules, now)
