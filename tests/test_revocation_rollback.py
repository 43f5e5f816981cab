"""Revocation cannot be rolled back: an older list put back in the trust files is ignored after a restart."""

from __future__ import annotations

import json
import shutil

import pytest
from gpiozero.pins.mock import MockFactory

from qrgate import credentials
from qrgate.app import GateApp
from qrgate.config import CameraReaderConfig, Config, LedgerConfig, MqttConfig, SiteConfig, TrustConfig
from qrgate.credentials import native
from qrgate.credentials.keys import load_private_key, new_key
from qrgate.credentials.revocation import revoke
from qrgate.credentials.revocation_store import FILE_NAME
from qrgate.errors import CredentialError
from qrgate.gate.gpio import GpioGateIO

HOUR = 3600


def start_gate(tmp_path, trust_files):
    cfg = Config(site=SiteConfig(secret_file=str(tmp_path / "site.secret")),
                 readers=[CameraReaderConfig()], trust=TrustConfig(files=[str(p) for p in trust_files]),
                 ledger=LedgerConfig(path=str(tmp_path / "state" / "ledger.db")), mqtt=MqttConfig(enabled=False))
    return GateApp(cfg, io=GpioGateIO(pin_factory=MockFactory()))


def test_an_old_list_put_back_does_not_unrevoke_after_a_restart(tmp_path, keys, office, now):
    key = load_private_key(keys["private_key"])[1]
    lost = office.issue("lost card", now - HOUR, now + HOUR)
    listed = tmp_path / "revoked.json"
    revoke(key, listed, ["aaaaaaaaaaaa"], int(now))  # version 1: the lost card is not on it yet
    old = tmp_path / "revoked-v1.json"
    shutil.copy(listed, old)
    revoke(key, listed, [native.pass_id_of(lost)], int(now))  # version 2

    app = start_gate(tmp_path, [keys["trust"], listed])
    assert credentials.verify(lost, app.trust, now).reason == "revoked"
    app.stop()
    saved = tmp_path / "state" / FILE_NAME
    assert json.loads(saved.read_text())["version"] == 2  # kept next to the ledger

    shutil.copy(old, listed)  # someone puts the old file back and restarts the gate
    app = start_gate(tmp_path, [keys["trust"], listed])
    try:
        assert app.trust.revocation_version == 2
        assert credentials.verify(lost, app.trust, now).reason == "revoked"
    finally:
        app.stop()


def test_a_newer_list_replaces_the_saved_copy(tmp_path, keys, office, now):
    key = load_private_key(keys["private_key"])[1]
    listed = tmp_path / "revoked.json"
    revoke(key, listed, ["aaaaaaaaaaaa"], int(now))
    start_gate(tmp_path, [keys["trust"], listed]).stop()
    revoke(key, listed, ["bbbbbbbbbbbb"], int(now))
    app = start_gate(tmp_path, [keys["trust"], listed])
    app.stop()
    assert json.loads((tmp_path / "state" / FILE_NAME).read_text())["version"] == 2
    assert app.trust.revoked == {"aaaaaaaaaaaa", "bbbbbbbbbbbb"}


def test_a_saved_copy_no_key_verifies_still_refuses_an_older_list(tmp_path, keys, now):
    key = load_private_key(keys["private_key"])[1]
    other = load_private_key(new_key(tmp_path / "other")["private_key"])[1]
    foreign = tmp_path / "foreign.json"
    for _ in range(3):
        revoke(other, foreign, ["cccccccccccc"], int(now))  # version 3, by a key this gate does not trust
    (tmp_path / "state").mkdir()
    shutil.copy(foreign, tmp_path / "state" / FILE_NAME)
    listed = tmp_path / "revoked.json"
    revoke(key, listed, ["aaaaaaaaaaaa"], int(now))  # version 1
    with pytest.raises(CredentialError, match="older than version 3"):
        start_gate(tmp_path, [keys["trust"], listed])
