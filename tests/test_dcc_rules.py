"""Entry rules for health certificates: one row per outcome, the clock injected."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from qrgate.policy.reasons import GUARD_TEXT
from qrgate.policy.health import NAAT, RAT, RULE_CODES, HealthRules, evaluate
from qrgate.model import Credential


def at(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc).timestamp()


def cred(kind: str, **attributes) -> Credential:
    return Credential(format="dcc", holder="p" * 32, kind=kind, attributes={"iss": "VN", **attributes})


VACC = dict(tg="840539006", mp="EU/1/20/1528", dn=2, sd=2, dt="2025-06-01")
REC = dict(tg="840539006", df="2025-06-01", du="2025-11-30")
PCR = dict(tg="840539006", tt=NAAT, sc="2025-06-10T08:00:00Z", tr="260415000")

DEFAULT = HealthRules()
STRICT = HealthRules(min_days_after_last_dose=14, max_days_after_last_dose=270)

ROWS = [
    # (id, credential, rules, now, expected)
    ("vacc_ok", cred("vaccination", **VACC), DEFAULT, at("2025-06-15T00:00:00"), None),
    ("vacc_ok_booster", cred("vaccination", **{**VACC, "dn": 3}), DEFAULT, at("2025-07-01T00:00:00"), None),
    ("vacc_not_accepted", cred("vaccination", **VACC), HealthRules(accept_vaccination=False),
     at("2025-07-01T00:00:00"), "vaccination_not_accepted"),
    ("vacc_incomplete", cred("vaccination", **{**VACC, "dn": 1}), DEFAULT, at("2025-07-01T00:00:00"),
     "vaccination_incomplete"),
    ("vacc_incomplete_allowed", cred("vaccination", **{**VACC, "dn": 1}),
     HealthRules(require_complete_series=False), at("2025-07-01T00:00:00"), None),
    ("vacc_day_13", cred("vaccination", **VACC), DEFAULT, at("2025-06-14T23:59:59"), "vaccination_too_recent"),
    ("vacc_day_14", cred("vaccination", **VACC), DEFAULT, at("2025-06-15T00:00:00"), None),
    ("vacc_day_270", cred("vaccination", **VACC), STRICT, at("2026-02-26T12:00:00"), None),
    ("vacc_day_271", cred("vaccination", **VACC), STRICT, at("2026-02-27T00:00:00"), "vaccination_too_old"),
    ("vacc_no_max", cred("vaccination", **VACC), DEFAULT, at("2030-01-01T00:00:00"), None),
    ("vacc_unreadable_date", cred("vaccination", **{**VACC, "dt": "June"}), DEFAULT,
     at("2025-07-01T00:00:00"), "certificate_data_invalid"),
    ("rec_ok", cred("recovery", **REC), DEFAULT, at("2025-06-01T00:00:00"), None),
    ("rec_last_day", cred("recovery", **REC), DEFAULT, at("2025-11-30T23:59:59"), None),
    ("rec_not_accepted", cred("recovery", **REC), HealthRules(accept_recovery=False),
     at("2025-07-01T00:00:00"), "recovery_not_accepted"),
    ("rec_not_yet_valid", cred("recovery", **REC), DEFAULT, at("2025-05-31T23:59:59"), "recovery_not_yet_valid"),
    ("rec_expired", cred("recovery", **REC), DEFAULT, at("2025-12-01T00:00:00"), "recovery_expired"),
    ("test_ok", cred("test", **PCR), DEFAULT, at("2025-06-11T08:00:00"), None),
    ("test_not_accepted", cred("test", **PCR), HealthRules(accept_test=False),
     at("2025-06-11T08:00:00"), "test_not_accepted"),
    ("test_type_not_accepted", cred("test", **{**PCR, "tt": RAT}), HealthRules(accepted_test_types=(NAAT,)),
     at("2025-06-11T08:00:00"), "test_type_not_accepted"),
    ("test_type_without_max_age", cred("test", **{**PCR, "tt": RAT}),
     HealthRules(max_test_age_hours={NAAT: 72.0}), at("2025-06-11T08:00:00"), "test_type_not_accepted"),
    ("test_unknown_type", cred("test", **{**PCR, "tt": "LP0000-0"}), DEFAULT,
     at("2025-06-11T08:00:00"), "test_type_not_accepted"),
    ("test_positive", cred("test", **{**PCR, "tr": "260373001"}), DEFAULT, at("2025-06-11T08:00:00"),
     "test_positive"),
    ("test_result_unknown", cred("test", **{**PCR, "tr": ""}), DEFAULT, at("2025-06-11T08:00:00"),
     "test_positive"),
    ("test_sample_in_future", cred("test", **PCR), DEFAULT, at("2025-06-10T07:59:59"), "test_sample_in_future"),
    ("pcr_72h", cred("test", **PCR), DEFAULT, at("2025-06-13T08:00:00"), None),
    ("pcr_72h_plus_1s", cred("test", **PCR), DEFAULT, at("2025-06-13T08:00:01"), "test_too_old"),
    ("rat_48h_plus_1s", cred("test", **{**PCR, "tt": RAT}), DEFAULT, at("2025-06-12T08:00:01"), "test_too_old"),
    ("rat_offset_time", cred("test", **{**PCR, "tt": RAT, "sc": "2025-06-10T10:00:00+02:00"}), DEFAULT,
     at("2025-06-12T08:00:00"), None),
    ("test_unreadable_time", cred("test", **{**PCR, "sc": "yesterday"}), DEFAULT, at("2025-06-11T08:00:00"),
     "certificate_data_invalid"),
    ("unknown_kind", cred("visitor"), DEFAULT, at("2025-06-11T08:00:00"), "certificate_data_invalid"),
]


@pytest.mark.parametrize("credential,rules,now,expected", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_evaluate(credential, rules, now, expected):
    assert evaluate(credential, rules, now) == expected


def test_every_rule_code_is_reachable_by_a_row():
    reached = {row[-1] for row in ROWS} - {None}
    assert reached == set(RULE_CODES)


def test_every_code_has_short_guard_text_in_both_languages():
    for code in RULE_CODES:
        vi, en = GUARD_TEXT[code]
        assert vi and en and vi != en
        assert len(vi) <= 40 and len(en) <= 40  # read at a glance


def test_every_field_has_a_default_and_a_description():
    for f in dataclasses.fields(HealthRules):
        assert f.metadata.get("description"), f.name
        assert f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING, f.name


def test_evaluate_is_pure():
    credential, rules = cred("test", **PCR), HealthRules()
    before = (dict(credential.attributes), dict(rules.max_test_age_hours))
    results = {evaluate(credential, rules, at("2025-06-11T08:00:00")) for _ in range(3)}
    assert results == {None}
    assert (dict(credential.attributes), dict(rules.max_test_age_hours)) == before


def test_every_verification_reason_has_guard_text():
    from qrgate.credentials.dcc import verify as dcc

    missing = [code for code in dcc.REASONS if code not in GUARD_TEXT]
    assert missing == []
