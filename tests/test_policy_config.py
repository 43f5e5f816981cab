"""The [policy] config: every setting validated with its key path; to_policy() gives one gate's Policy."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from qrgate.config import describe, validate
from qrgate.policy.decide import decide
from qrgate.errors import ConfigError
from qrgate.model import Credential, Direction, Verification
from qrgate.policy.rules import Presence
from qrgate.policy.config import PolicyConfig, to_policy

SITE = """
anti_passback = "timed"
passback_minutes = 15
occupancy_cap = 200
site_number = 7
timezone = "Asia/Ho_Chi_Minh"
holidays = ["2027-02-10"]
entries_per_day = 4
health_declaration_hours = 24
free_exit = true
[opening_hours]
mon = "07:00-12:00, 13:00-18:00"
sat = "08:00-12:00"
[zones.lab]
number = 2
cap = 12
[zones.hall]
number = 1
[gates.north]
number = 1
zone = "lab"
[gates.lab-back]
number = 3
zone = "lab"
[gates.south]
number = 2
zone = "hall"
"""


def load(text: str) -> PolicyConfig:
    return validate(PolicyConfig, tomllib.loads(text), "policy")


def test_a_full_site_policy_builds_each_gates_view():
    cfg = load(SITE)
    north = to_policy(cfg, "north")
    assert (north.anti_passback, north.passback_seconds, north.occupancy_cap) == ("timed", 900, 200)
    assert (north.site_number, north.gate_number, north.zone_number, north.zone_cap) == (7, 1, 2, 12)
    assert north.zone_gates == {"north", "lab-back"} and north.free_exit and north.entries_per_day == 4
    south = to_policy(cfg, "south")
    assert (south.gate_number, south.zone_number, south.zone_cap, south.zone_gates) == (2, 1, None, {"south"})
    unknown_gate = to_policy(cfg, "west")
    assert (unknown_gate.gate_number, unknown_gate.zone_number, unknown_gate.zone_gates) == (0, 0, frozenset())
    # the hours: Monday 12:30 local is the lunch break, 13:30 open, Sunday closed (not listed)
    hours = north.hours
    local = dt.timezone(dt.timedelta(hours=7))
    monday = dt.datetime(2027, 1, 11, tzinfo=local)
    assert hours.closed_reason((monday + dt.timedelta(hours=12.5)).timestamp()) == "closed"
    assert hours.closed_reason((monday + dt.timedelta(hours=13.5)).timestamp()) is None
    assert hours.closed_reason((monday + dt.timedelta(days=6, hours=10)).timestamp()) == "closed"
    assert hours.closed_reason(dt.datetime(2027, 2, 10, 10, tzinfo=local).timestamp()) == "holiday"


def test_the_policy_drives_decide():
    policy = to_policy(load(SITE), "north")
    local = dt.timezone(dt.timedelta(hours=7))
    now = dt.datetime(2027, 1, 11, 9, tzinfo=local).timestamp()  # a Monday morning
    cred = Credential("qrgate-pass", "h", valid_from=now - 60, valid_until=now + 3600,
                      attributes={"site": 7, "zones": 0b10, "gates": 0b1, "entries_per_day": 0})
    ok = Verification("qrgate-pass", True, "valid", {}, cred)
    assert decide(ok, Direction.ENTRY, Presence(False, 0), policy, now).reason == "granted"
    assert decide(ok, Direction.ENTRY, Presence(False, 0, zone_occupancy=12), policy, now).reason == "zone_full"
    assert decide(ok, Direction.ENTRY, Presence(False, 0), to_policy(load(SITE), "south"), now).reason == "wrong_gate"


def test_empty_policy_is_always_open_and_hard():
    policy = to_policy(PolicyConfig(), "gate1")
    assert policy.hours is None and policy.anti_passback == "hard" and policy.occupancy_cap is None


@pytest.mark.parametrize("text, message", [
    ('anti_passback = "strict"', "policy.anti_passback: 'strict' is not one of"),
    ('anti_passback = "timed"', "policy.passback_minutes: timed anti-passback needs"),
    ("occupancy_cap = -1", "policy.occupancy_cap: -1 is below the minimum 0"),
    ('occupancy_cap = "many"', "policy.occupancy_cap: expected int"),
    ("site_number = 70000", "policy.site_number: 70000 is above 65535"),
    ('timezone = "Mars/Olympus"', "policy.timezone: 'Mars/Olympus' is not a time zone"),
    ('opening_hours = { funday = "24h" }', "policy.opening_hours.funday: not a weekday"),
    ('opening_hours = { mon = "9-5" }', "policy.opening_hours.mon: '9-5' is not HH:MM-HH:MM"),
    ('opening_hours = { mon = "22:00-06:00" }', "policy.opening_hours.mon: '22:00-06:00' ends before it starts"),
    ('opening_hours = { mon = "07:00-25:00" }', "policy.opening_hours.mon: '07:00-25:00' is not a time of day"),
    ('holidays = ["2027-13-01"]', "policy.holidays[0]: '2027-13-01' is not a date"),
    ('hours_exempt_kinds = ["boss"]', "policy.hours_exempt_kinds[0]: 'boss' is not one of"),
    ("entries_per_day = 300", "policy.entries_per_day: 300 is above 255"),
    ("zones.lab.number = 9", "policy.zones.lab.number: 9 is above 8"),
    ("zones.a.number = 1\nzones.b.number = 1", "policy.zones.b.number: 1 is also zone 'a'"),
    ("zones.lab.colour = 1", "policy.zones.lab.colour: unknown key"),
    ('gates.north.zone = "lab"', "policy.gates.north.zone: no zone 'lab' under policy.zones"),
    ("gates.north.number = 9", "policy.gates.north.number: 9 is above 8"),
    ("gates.a.number = 2\ngates.b.number = 2", "policy.gates.b.number: 2 is also gate 'a'"),
    ("anti_pasback = 'off'", "policy.anti_pasback: unknown key; did you mean 'anti_passback'?"),
    ('anti_passback = "timed"\npassback_minutes = nan', "policy.passback_minutes: nan is not a finite number"),
    ("health_declaration_hours = inf", "policy.health_declaration_hours: inf is not a finite number"),
    ("health.max_test_age_hours = { LP6464-4 = -1.0 }",
     "policy.health.max_test_age_hours.LP6464-4: -1.0 is below the minimum 0"),
    ("health.min_days_after_last_dose = 30\nhealth.max_days_after_last_dose = 20",
     "policy.health.max_days_after_last_dose: 20 is below min_days_after_last_dose (30)"),
    ("health.accept_tests = false", "policy.health.accept_tests: unknown key; did you mean 'accept_test'?"),
])
def test_errors_name_the_key_path_and_the_fault(text, message):
    with pytest.raises(ConfigError) as err:
        load(text)
    assert message in str(err.value)


def test_every_setting_is_described():
    rows = describe(PolicyConfig, "policy.")
    keys = {k for k, _d, _doc in rows}
    assert {"policy.anti_passback", "policy.opening_hours", "policy.zones.<name>.cap", "policy.gates.<name>.number",
            "policy.health.max_test_age_hours"} <= keys
    assert all(doc for _k, _d, doc in rows)
