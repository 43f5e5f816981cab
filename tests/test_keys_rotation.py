"""Several trusted keys at once, `qrgate keys rotate`, retired key ids refused as unknown_key."""

from __future__ import annotations

import json

from qrgate import credentials
from qrgate.cli.main import main
from qrgate.credentials import native
from qrgate.credentials.keys import issuer_secret, list_keys, load_private_key
from qrgate.credentials.trust import TrustStore

HOUR = 3600


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def issue(key_path, now):
    _kid, key = load_private_key(key_path)
    holder = native.holder_pseudonym(issuer_secret(key_path), "staff-17")
    return native.issue(key, native.PassFields("staff", holder, int(now - HOUR), int(now + HOUR)))


def test_rotate_keeps_old_passes_until_the_old_key_is_retired(tmp_path, capsys, now):
    d = str(tmp_path / "keys")
    code, out, _ = run(capsys, "keys", "new", "--dir", d, "--json")
    first = json.loads(out)
    old_pass = issue(first["private_key"], now)
    code, out, _ = run(capsys, "keys", "rotate", "--dir", d, "--json")
    second = json.loads(out)
    assert code == 0 and second["kid"] != first["kid"] and second["still_trusted"] == [first["kid"]]
    new_pass = issue(second["private_key"], now)
    both = TrustStore.from_files([second["trust"]])
    assert set(both.pass_keys) == {first["kid"], second["kid"]}
    assert credentials.verify(old_pass, both, now).valid and credentials.verify(new_pass, both, now).valid
    # the same holder keeps one pseudonym across keys: issuer.secret is shared
    assert credentials.verify(old_pass, both, now).credential.holder == \
        credentials.verify(new_pass, both, now).credential.holder

    code, out, _ = run(capsys, "keys", "retire", "--dir", d, first["kid"])
    assert code == 0
    after = TrustStore.from_files([second["trust"]])
    assert credentials.verify(old_pass, after, now).reason == "unknown_key"
    assert credentials.verify(new_pass, after, now).valid
    assert {k["kid"]: k["retired"] for k in list_keys(d)} == {first["kid"]: True, second["kid"]: False}


def test_rotate_with_retire_old_and_the_last_key_cannot_be_retired(tmp_path, capsys, now):
    d = str(tmp_path / "keys")
    first = json.loads(run(capsys, "keys", "new", "--dir", d, "--json")[1])
    code, out, _ = run(capsys, "keys", "rotate", "--dir", d, "--retire-old", "--json")
    second = json.loads(out)
    assert second["retired"] == [first["kid"]]
    store = TrustStore.from_files([second["trust"]])
    assert first["kid"] in store.retired and first["kid"] not in store.pass_keys
    assert credentials.verify(issue(first["private_key"], now), store, now).reason == "unknown_key"
    code, _out, err = run(capsys, "keys", "retire", "--dir", d, second["kid"])
    assert code == 2 and "last active key" in err
    code, _out, err = run(capsys, "keys", "retire", "--dir", d, "deadbeef")
    assert code == 2 and "no key 'deadbeef'" in err


def test_a_retired_id_stays_refused_whichever_trust_file_comes_first(tmp_path, keys, office, now):
    doc = json.loads(open(keys["trust"]).read())
    doc["keys"][0]["retired"] = True
    retired = tmp_path / "retired.json"
    retired.write_text(json.dumps(doc))
    payload = office.issue("v", now - HOUR, now + HOUR)
    for order in ([keys["trust"], retired], [retired, keys["trust"]]):
        assert credentials.verify(payload, TrustStore.from_files(order), now).reason == "unknown_key"


def test_gate_trust_file_holds_no_private_key(tmp_path, capsys):
    d = str(tmp_path / "keys")
    made = json.loads(run(capsys, "keys", "new", "--dir", d, "--json")[1])
    text = open(made["trust"]).read()
    assert "PRIVATE" not in text and set(json.loads(text)["keys"][0]) == {"kid", "alg", "public_key"}
