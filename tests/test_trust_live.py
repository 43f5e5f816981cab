"""Revocations, trust updates and the site's mode reach running gates over a real Mosquitto.

Tried as a new user would: a pass revoked while the gate ran was still granted, because the
trust files were read only at start. Now the signed list, published retained on the site's
topic, is applied by every running gate at once, and an older or altered one is refused.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid

import paho.mqtt.client as paho
import pytest

from conftest import mock_gate_app
from gatesim.observer import MqttObserver
from gatesim.visitors import PassOffice
from qrgate.credentials import native
from qrgate.credentials.keys import issuer_secret, load_private_key, new_key, read_trust_doc
from qrgate.credentials.revocation import sign_list
from qrgate.credentials.trust_update import sign_update
from qrgate.model import Direction, Scan
from qrgate.pseudonym import load_or_create_secret

HOUR = 3600


def publish(port: int, topic: str, body, *, retain: bool = False) -> None:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"admin-{uuid.uuid4().hex[:6]}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    payload = body if isinstance(body, (bytes, str)) else json.dumps(body)
    client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


def scan(app, payload: str, direction: Direction = Direction.ENTRY):
    return app.controller.handle_scan(Scan(payload, app.cfg.gate.id, direction, time.time())).decision


def gate_folder(tmp_path, name):
    """A gate's own folder (ledger, kept lists) holding the one site secret all the site's gates share."""
    load_or_create_secret(tmp_path / "site.secret")
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy2(tmp_path / "site.secret", folder / "site.secret")
    return folder


def started(tmp_path, name, trust_file, site, port):
    folder = gate_folder(tmp_path, name)
    app, _pins = mock_gate_app(folder, trust_file, site=site, gate=name, mqtt_port=port)
    app.start(cameras=False)
    assert wait_until(lambda: app.reporter.is_connected), "the gate did not reach the broker"
    return app


@pytest.fixture
def site():
    return f"t{uuid.uuid4().hex[:8]}"


def test_a_pass_revoked_while_the_gate_runs_is_refused(tmp_path, keys, office, mosquitto, site):
    key = load_private_key(keys["private_key"])[1]
    now = time.time()
    lost = office.issue("lost-card", now - HOUR, now + HOUR)
    other = office.issue("other", now - HOUR, now + HOUR)
    app = started(tmp_path, "north", keys["trust"], site, mosquitto.port)
    late = None
    try:
        assert scan(app, lost).granted and scan(app, lost, Direction.EXIT).granted
        lists = app.topics.site_revocations
        published = time.monotonic()
        publish(mosquitto.port, lists, sign_list(key, 2, [native.pass_id_of(lost)], int(now)), retain=True)
        assert wait_until(lambda: app.trust.revocation_version == 2, timeout=5.0)
        applied_after = time.monotonic() - published
        print(f"revocation list applied {applied_after * 1000:.0f} ms after it was published")
        assert applied_after < 1.0, "a running gate applies a newer list within a second"
        assert scan(app, lost).reason == "revoked"
        assert scan(app, other).granted

        # an older list (an attacker replaying version 1 to un-revoke the pass) is refused
        publish(mosquitto.port, lists, sign_list(key, 1, [], int(now)))
        assert wait_until(lambda: any(e.type == "trust_refused" for e in app.ledger.events()))
        refused = [e for e in app.ledger.events() if e.type == "trust_refused"]
        assert [e.reason for e in refused] == ["older_version"]
        assert app.trust.revocation_version == 2 and scan(app, lost).reason == "revoked"

        # an altered list and one signed by a key the gate does not trust are refused too
        altered = sign_list(key, 3, [], int(now))
        altered["pass_ids"] = ["aaaaaaaaaaaa"]
        foreign = load_private_key(new_key(tmp_path / "foreign")["private_key"])[1]
        publish(mosquitto.port, lists, altered)
        publish(mosquitto.port, lists, sign_list(foreign, 4, [], int(now)))
        publish(mosquitto.port, lists, b"{not json")
        refusals = lambda: [e.reason for e in app.ledger.events() if e.type == "trust_refused"]  # noqa: E731
        assert wait_until(lambda: refusals()
                          == ["older_version", "not_verified", "not_verified"]), refusals()
        assert app.trust.revocation_version == 2 and scan(app, lost).reason == "revoked"
        changes = [e for e in app.ledger.events() if e.type == "trust"]
        assert [e.reason for e in changes] == ["received"]
        assert "version 2" in app.ledger.details(changes[0].id)["change"]

        # a gate that starts later gets the retained list when it connects
        late = started(tmp_path, "south", keys["trust"], site, mosquitto.port)
        assert wait_until(lambda: late.trust.revocation_version == 2)
        assert scan(late, lost).reason == "revoked"
    finally:
        app.stop()
        if late is not None:
            late.stop()
        publish(mosquitto.port, app.topics.site_revocations, b"", retain=True)

    # restarted with no broker at all, the gate keeps the list it received
    again, _pins = mock_gate_app(tmp_path / "north", keys["trust"], site=site, gate="north")
    try:
        assert again.trust.revocation_version == 2 and scan(again, lost).reason == "revoked"
    finally:
        again.stop()


def test_trust_updates_signed_by_a_trusted_key_add_pass_keys(tmp_path, keys, office, mosquitto, site):
    old_key = load_private_key(keys["private_key"])[1]
    made = new_key(tmp_path / "keys")  # rotated: a second key beside the first in the same trust.json
    new_office = PassOffice(made["private_key"], issuer_secret(made["private_key"]))
    new_key_ = load_private_key(made["private_key"])[1]
    now = time.time()
    newer_pass = new_office.issue("someone", now - HOUR, now + HOUR)
    first_trust = tmp_path / "gate-trust.json"
    doc = read_trust_doc(tmp_path / "keys" / "trust.json")
    first_trust.write_text(json.dumps({**doc, "keys": [k for k in doc["keys"] if k["kid"] != made["kid"]]}))
    app = started(tmp_path, "north", first_trust, site, mosquitto.port)
    try:
        assert scan(app, newer_pass).reason == "unknown_key"
        # signed by the new key itself: the gate cannot verify it yet
        publish(mosquitto.port, app.topics.site_trust, sign_update(new_key_, 1, doc, int(now)))
        assert wait_until(lambda: any(e.type == "trust_refused" for e in app.ledger.events()))
        assert scan(app, newer_pass).reason == "unknown_key"
        # signed by the key the gate already trusts: taken at once
        publish(mosquitto.port, app.topics.site_trust, sign_update(old_key, 1, doc, int(now)), retain=True)
        assert wait_until(lambda: made["kid"] in app.trust.pass_keys)
        assert scan(app, newer_pass).granted
        assert scan(app, office.issue("older", now - HOUR, now + HOUR)).granted
    finally:
        app.stop()
        publish(mosquitto.port, app.topics.site_trust, b"", retain=True)


def test_site_lockdown_and_free_exit_reach_every_gate(tmp_path, keys, office, mosquitto, site):
    gates = [started(tmp_path, name, keys["trust"], site, mosquitto.port) for name in ("north", "south")]
    obs = MqttObserver("127.0.0.1", mosquitto.port, f"qrgate/{site}/#", client_id=f"obs-{site}")
    topics = gates[0].topics
    now = time.time()
    try:
        publish(mosquitto.port, topics.site_command("lockdown"), {"request_id": "s-1", "by": "admin", "value": True})
        assert wait_until(lambda: all(g.gate_state.mode.value == "lockdown" for g in gates))
        for g in gates:
            assert scan(g, office.issue(f"v-{g.cfg.gate.id}", now - HOUR, now + HOUR)).reason == "lockdown"
        assert obs.wait_for(lambda o: sorted(
            (b["gate"], b["command"], b["ok"]) for g in gates for b in o.on_topic(g.topics.result)
            if b.get("request_id") == "s-1") == [("north", "site/lockdown", True), ("south", "site/lockdown", True)])
        # a site command is only the mode: no remote open of every door at once
        publish(mosquitto.port, topics.site_command("open"), {"request_id": "s-2", "by": "admin"})
        assert obs.wait_for(lambda o: [b["reason"] for b in o.on_topic(gates[0].topics.result)
                                       if b.get("request_id") == "s-2"] == ["not_allowed"])
        # a retained site command is never acted on: a gate connecting later would fire it again
        publish(mosquitto.port, topics.site_command("lockdown"), {"request_id": "s-3", "value": True}, retain=True)
        gates.append(started(tmp_path, "east", keys["trust"], site, mosquitto.port))
        assert obs.wait_for(lambda o: [b["reason"] for b in o.on_topic(gates[2].topics.result)
                                       if b.get("request_id") == "s-3"] == ["retained"])
        assert gates[2].gate_state.mode.value == "normal"
        publish(mosquitto.port, topics.site_command("lockdown"), b"", retain=True)
        publish(mosquitto.port, topics.site_command("lockdown"), {"request_id": "s-4", "value": False})
        publish(mosquitto.port, topics.site_command("free_exit"), {"request_id": "s-5", "value": True})
        assert wait_until(lambda: all(g.gate_state.mode.value == "free_exit" for g in gates))
        modes = [e for e in gates[1].ledger.events() if e.type == "mode"]
        # the retained s-3 reached the running gates as a live message (brokers clear the flag): lockdown again
        assert [e.reason for e in modes] == ["lockdown_on", "lockdown_on", "lockdown_off", "free_exit_on"]
        assert [e.reason for e in gates[2].ledger.events() if e.type == "mode"] == ["lockdown_off", "free_exit_on"]
    finally:
        obs.close()
        for g in gates:
            g.stop()


def test_cli_signs_a_trust_update_that_only_goes_up(tmp_path, keys, capsys):
    from qrgate.cli.main import main
    from qrgate.credentials.keeper import TrustKeeper
    from qrgate.credentials.revocation import read_doc
    from qrgate.errors import CredentialError

    made = new_key(tmp_path / "keys")  # a second key in the same trust.json
    out = tmp_path / "update.json"
    assert main(["keys", "sign-update", "--key", keys["private_key"], "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == 1
    first = read_doc(out)
    assert main(["keys", "sign-update", "--key", keys["private_key"], "--out", str(out)]) == 0
    assert read_doc(out)["version"] == 2
    only_first = tmp_path / "only-first.json"
    doc = read_trust_doc(tmp_path / "keys" / "trust.json")
    only_first.write_text(json.dumps({**doc, "keys": [k for k in doc["keys"] if k["kid"] != made["kid"]]}))
    keeper = TrustKeeper([str(only_first)], None, tmp_path / "kept", b"k" * 32)
    assert f"pass keys added: {made['kid']}" in keeper.receive(read_doc(out))
    assert keeper.receive(read_doc(out)) is None  # the retained copy again: nothing to do
    with pytest.raises(CredentialError, match="not newer"):
        keeper.receive(first)
    # a restarted gate keeps what it received; the files alone do not hold the new key
    assert made["kid"] in TrustKeeper([str(only_first)], None, tmp_path / "kept", b"k" * 32).store.pass_keys
    # an update that would leave the gate no key at all is refused
    everything_retired = {**doc, "keys": [{**k, "retired": True} for k in doc["keys"]]}
    key = load_private_key(keys["private_key"])[1]
    with pytest.raises(CredentialError, match="retires every key"):
        keeper.receive(sign_update(key, 9, everything_retired, 0))


def test_site_is_no_gate_id():
    from qrgate.config import GateConfig
    from qrgate.errors import ConfigError

    with pytest.raises((ConfigError, ValueError), match="names the site's own topics"):
        GateConfig(id="site")
