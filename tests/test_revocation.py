"""Signed, versioned revocation lists: revoked passes are refused; an older list is refused."""

from __future__ import annotations

import json

import pytest

from qrgate import credentials
from qrgate.cli.main import main
from qrgate.credentials import native
from qrgate.credentials.keys import load_private_key, new_key
from qrgate.credentials.revocation import read_doc, revoke, sign_list, verify_list
from qrgate.credentials.revocation_store import RevocationStore
from qrgate.credentials.trust import TrustStore
from qrgate.errors import CredentialError, KeyFileError

HOUR = 3600


@pytest.fixture
def key(keys):
    return load_private_key(keys["private_key"])[1]


def test_revoked_pass_is_refused_and_others_are_not(tmp_path, keys, key, office, now):
    bad, good = office.issue("lost card", now - HOUR, now + HOUR), office.issue("v", now - HOUR, now + HOUR)
    listed = tmp_path / "revoked.json"
    revoke(key, listed, [native.pass_id_of(bad)], int(now))
    store = TrustStore.from_files([keys["trust"], listed])
    assert store.revocation_version == 1
    result = credentials.verify(bad, store, now)
    assert result.reason == "revoked" and result.checks["signature"] is True and result.checks["revocation"] is False
    assert credentials.verify(good, store, now).valid
    # the list may come before the trust file that holds its key
    assert credentials.verify(bad, TrustStore.from_files([listed, keys["trust"]]), now).reason == "revoked"


def test_versions_go_up_and_an_older_list_is_refused(tmp_path, keys, key, office, now):
    store = RevocationStore(tmp_path / "gate-copy.json")
    trust = TrustStore.from_files([keys["trust"]])
    v1 = sign_list(key, 1, ["aaaaaaaaaaaa"], int(now))
    v2 = sign_list(key, 2, ["aaaaaaaaaaaa", "bbbbbbbbbbbb"], int(now))
    store.install(v2, trust)
    with pytest.raises(CredentialError, match="older than the list in use"):
        store.install(v1, trust)
    assert read_doc(store.path)["version"] == 2  # nothing was written
    fresh = TrustStore.from_files([keys["trust"]])
    store.load_into(fresh)  # a restarted gate keeps the newest list
    assert fresh.revoked == {"aaaaaaaaaaaa", "bbbbbbbbbbbb"}
    with pytest.raises(CredentialError):
        fresh.install_revocations(verify_list(v1, fresh.pass_keys))
    # both lists given as trust files: whichever order, the gate ends up refusing the old one
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(v1))
    b.write_text(json.dumps(v2))
    assert TrustStore.from_files([keys["trust"], a, b]).revocation_version == 2
    with pytest.raises(CredentialError):
        TrustStore.from_files([keys["trust"], b, a])


@pytest.mark.parametrize("tamper", ["add_id", "version", "signature", "kid"])
def test_altered_or_foreign_lists_are_refused(tmp_path, keys, key, now, tamper):
    trust = TrustStore.from_files([keys["trust"]])
    doc = sign_list(key, 3, ["aaaaaaaaaaaa"], int(now))
    if tamper == "add_id":
        doc["pass_ids"].append("cccccccccccc")
    elif tamper == "version":
        doc["version"] = 99
    elif tamper == "signature":
        doc["signature"] = doc["signature"][:-4] + "AAA="
    else:
        other = load_private_key(new_key(tmp_path / "other")["private_key"])[1]
        doc = sign_list(other, 3, ["aaaaaaaaaaaa"], int(now))
    with pytest.raises(KeyFileError):
        verify_list(doc, trust.pass_keys)


def test_an_unverifiable_list_in_the_trust_files_is_an_error(tmp_path, now):
    other = load_private_key(new_key(tmp_path / "other")["private_key"])[1]
    path = tmp_path / "list.json"
    path.write_text(json.dumps(sign_list(other, 1, ["aaaaaaaaaaaa"], int(now))))
    with pytest.raises(KeyFileError, match="no trust file lists"):
        TrustStore.from_files([path])


def test_cli_revoke_install_and_verify(tmp_path, keys, office, now, capsys):
    payload = office.issue("v", now - HOUR, now + HOUR)
    listed, gate_copy = str(tmp_path / "revoked.json"), str(tmp_path / "gate.json")
    assert main(["pass", "revoke", "--key", keys["private_key"], "--list", listed,
                 native.pass_id_of(payload), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == 1
    assert main(["pass", "revoke", "--key", keys["private_key"], "--list", listed, "123456abcdef"]) == 0
    assert read_doc(listed)["version"] == 2 and len(read_doc(listed)["pass_ids"]) == 2
    capsys.readouterr()
    assert main(["verify", "--trust", keys["trust"], "--trust", listed, "--json", payload]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "revoked"
    assert main(["pass", "install-revocations", "--trust", keys["trust"], "--store", gate_copy, listed]) == 0
    capsys.readouterr()
    older = tmp_path / "older.json"
    older.write_text(json.dumps(sign_list(load_private_key(keys["private_key"])[1], 1, [], int(now))))
    assert main(["pass", "install-revocations", "--trust", keys["trust"], "--store", gate_copy, str(older)]) == 2
    assert "older than the list in use" in capsys.readouterr().err
    assert main(["pass", "revoke", "--key", keys["private_key"], "--list", listed, "nothex"]) == 2
    assert "not a pass id" in capsys.readouterr().err


@pytest.mark.parametrize("kid", [[], {}, 7, None])
def test_a_list_whose_kid_is_not_a_string_is_a_clear_refusal(tmp_path, keys, key, now, kid):
    doc = sign_list(key, 1, ["aaaaaaaaaaaa"], int(now))
    doc["kid"] = kid
    listed = tmp_path / "revoked.json"
    listed.write_text(json.dumps(doc))
    with pytest.raises(KeyFileError, match="not a qrgate revocation list .*kid.* malformed"):
        TrustStore.from_files([keys["trust"], listed])
