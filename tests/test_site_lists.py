"""Site lists: CSV import in Vietnamese or English, only keyed hashes and sealed rows on disk,
reconciliation against the ID codes seen (terminal only); DCC trust import and the guard's line."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import random
import sqlite3
import time

import pytest

from gatesim.vietnam import cccd_text, fake_citizen, list_csv, pccovid_text
from qrgate import credentials
from qrgate.cli.main import main
from qrgate.credentials import TrustStore
from qrgate.credentials import citizen_id as cid
from qrgate.credentials.dcc import issue as dcc_issue
from qrgate.credentials.summary import summary
from qrgate.errors import ListError
from qrgate.lists import SiteLists, lists_path, reconcile, seal
from qrgate.lists.csvfile import read_list

TODAY = dt.date.today()


@pytest.fixture
def site(tmp_path):
    """A gate's config file and its state folder."""
    state = tmp_path / "state"
    config = tmp_path / "gate.toml"
    config.write_text(f'[site]\nsecret_file = "{tmp_path / "site.secret"}"\n[ledger]\npath = "{state / "ledger.sqlite3"}"\n'
                      '[[readers]]\nkind = "camera"\n')
    return config, state, tmp_path / "site.secret"


def people(n, seed=1):
    rng = random.Random(seed)
    return [fake_citizen(rng, TODAY) for _ in range(n)]


@pytest.mark.parametrize("language, delimiter", [("vi", ","), ("en", ";")])
def test_a_list_in_either_language_imports(tmp_path, language, delimiter):
    group = people(4)
    path = tmp_path / "list.csv"
    path.write_bytes(("\ufeff" + list_csv(group, language).replace(",", delimiter)).encode())
    result = read_list(path)
    assert [r.number for r in result.rows] == [p.number for p in group] and not result.problems
    assert [r.birth for r in result.rows] == [p.birth for p in group]


def test_bad_rows_are_named_by_line_and_column_never_by_content(tmp_path):
    good, second = people(2, seed=2)
    wrong_year = second.number[:4] + f"{(second.birth.year + 1) % 100:02d}" + second.number[6:]
    rows = [
        "Họ và tên,Ngày sinh,Số điện thoại,Số CCCD",
        f"{good.name},{good.birth:%d/%m/%Y},{good.phone},{good.number.lstrip('0')}",  # a spreadsheet ate the zeros
        f"{second.name},{second.birth:%d/%m/%Y},{second.phone},{wrong_year}",
        f"{second.name},31/02/1990,{second.phone},{second.number}",
        f",{second.birth:%d/%m/%Y},{second.phone},{second.number}",
        f"{second.name},{second.birth:%d/%m/%Y},{second.phone},12345",
        f"{second.name},{second.birth:%d/%m/%Y},{second.phone},003{second.number[3:]}",
    ]
    path = tmp_path / "list.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = read_list(path)
    assert [r.number for r in result.rows] == [good.number] and result.restored_zeros == 1
    assert result.problems == [
        "line 3: the CCCD number disagrees with the birth year",
        "line 4: the birth date is not a date (dd/mm/yyyy)",
        "line 5: the name is empty",
        "line 6: CCCD number is not 12 digits (nor a 9-digit CMND number)",
        "line 7: the CCCD number has no such province code",
    ]


def test_a_header_without_an_id_column_is_refused(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Name,Phone\nA,1\n")
    with pytest.raises(ListError, match="no CCCD number column"):
        read_list(path)


def test_import_check_and_what_the_files_hold(site, capsys):
    config, state, secret_file = site
    same, other_birth, other_name, unseen, stranger = people(5, seed=3)
    csv_path = state.parent / "patients.csv"
    csv_path.write_text(list_csv([same, other_birth, other_name, unseen], "en"), encoding="utf-8")
    assert main(["list", "import", "patients", str(csv_path), "--config", str(config)]) == 0
    assert "4 rows imported" in capsys.readouterr().out
    key_file = state / "lists.key"
    assert key_file.stat().st_mode & 0o777 == 0o600

    # what the gates saw: the same person (PC-Covid, upper case without diacritics), a different
    # birth date, a different name, and someone on no list
    trust = TrustStore()
    trust.pseudonym_key = secret_file.read_bytes()
    now = time.time()
    seen = [pccovid_text(same, masked=False),
            cccd_text(dataclasses.replace(other_birth, birth=other_birth.birth + dt.timedelta(days=1))),
            cccd_text(dataclasses.replace(other_name, name="Trần Văn Khác")), cccd_text(stranger)]
    store = SiteLists(lists_path(state), trust.pseudonym_key)
    for text in seen:
        result = credentials.verify(text, trust, now)
        assert result.valid, result.reason
        store.saw(result.credential, now, text)
        assert store.is_listed(result.credential.holder) == (text != seen[-1])
    store.close()

    assert main(["list", "check", "patients", "--config", str(config)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "list patients: 4 rows, 3 seen at the gates, 2 difference(s)"
    said_birth = other_birth.birth + dt.timedelta(days=1)
    assert out[1].startswith(f"  line 3 ({other_birth.name}, {other_birth.birth:%d/%m/%Y}): the birth date differs "
                             "from the CCCD card seen ")
    assert out[1].endswith(f": {other_birth.name}, {said_birth:%d/%m/%Y}")
    assert out[2].startswith(f"  line 4 ({other_name.name}, {other_name.birth:%d/%m/%Y}): the name differs")
    assert out[2].endswith(f": Trần Văn Khác, {other_name.birth:%d/%m/%Y}")
    assert out[3] == "1 person(s) seen with an ID code that is on no list"

    # on disk: keyed hashes and sealed rows, nothing in clear
    raw = lists_path(state).read_bytes() + b"".join(p.read_bytes() for p in state.glob("lists.sqlite3-*"))
    for p in (same, other_birth, other_name, unseen, stranger):
        for value in (p.number, p.name, cid.normalise_name(p.name), p.birth.isoformat(), p.phone):
            assert value.encode() not in raw
    with sqlite3.connect(lists_path(state)) as db:
        assert db.execute("SELECT COUNT(*) FROM entries WHERE list = 'patients'").fetchone()[0] == 4

    assert main(["list", "show", "--json", "--config", str(config)]) == 0
    assert json.loads(capsys.readouterr().out)["lists"][0]["rows"] == 4


def test_another_key_cannot_open_the_rows(site, tmp_path):
    config, state, _ = site
    csv_path = tmp_path / "l.csv"
    csv_path.write_text(list_csv(people(1, seed=4)), encoding="utf-8")
    assert main(["list", "import", "staff", str(csv_path), "--config", str(config)]) == 0
    store = SiteLists(lists_path(state), (tmp_path / "site.secret").read_bytes())
    [(_line, _holder, _name, _birth, sealed)] = store.entries("staff")
    store.close()
    stranger = seal.create_key(tmp_path / "other.key")
    with pytest.raises(ListError, match="does not open with this key"):
        seal.open_sealed(stranger, sealed)
    assert json.loads(seal.open_sealed(seal.load_key(state / "lists.key"), sealed))["name"]


def test_an_unknown_list_and_a_missing_file_are_one_clear_line(site, capsys):
    config, _state, _ = site
    assert main(["list", "check", "nobody", "--config", str(config)]) == 2
    assert "no list named 'nobody'" in capsys.readouterr().err
    assert main(["list", "import", "x", "/nonexistent.csv", "--config", str(config)]) == 2
    assert capsys.readouterr().err.strip() == "qrgate: /nonexistent.csv: no such file"


# -- vaccine passports in practice ------------------------------------------------------------

def _signers(now):
    return [dcc_issue.make_test_signer(now - 86400, now + 365 * 86400, country=c) for c in ("VN", "DE")]


def test_trust_import_from_a_json_list_and_a_folder(tmp_path, capsys):
    now = time.time()
    vn, de = _signers(now)
    listing = [{"kid": base64.b64encode(s.kid).decode(), "country": c, "certificateType": "DSC",
                "rawData": base64.b64encode(s.certificate_der).decode()} for s, c in ((vn, "VN"), (de, "DE"))]
    listing.append({"kid": "AAAA", "country": "VN", "certificateType": "CSCA", "rawData": "AAAA"})  # not a signer
    source = tmp_path / "dsc.json"
    source.write_text(json.dumps(listing))
    out = tmp_path / "trust-vn.json"
    assert main(["trust", "import", str(source), "--out", str(out), "--country", "vn"]) == 0
    assert "1 signer(s) from VN" in capsys.readouterr().out
    payload = dcc_issue.sample_payload("vaccination", dn=3, sd=3, dt="2022-01-10")
    hc1_vn = dcc_issue.issue_dcc(vn, payload, now - 3600, now + 86400)
    hc1_de = dcc_issue.issue_dcc(de, payload, now - 3600, now + 86400)
    trust = TrustStore.from_files([out])
    trust.pseudonym_key = b"k" * 32
    result = credentials.verify(hc1_vn, trust, now)
    assert result.valid and credentials.verify(hc1_de, trust, now).reason == "unknown_key"
    assert summary(result.credential) == "vaccinated, dose 3 of 3, last dose 2022-01-10"
    assert summary(result.credential, "vi") == "đã tiêm, mũi 3/3, mũi cuối 2022-01-10"

    folder = tmp_path / "pem"
    folder.mkdir()
    (folder / "vn.pem").write_bytes(vn.certificate_pem)
    (folder / "de.der").write_bytes(de.certificate_der)
    (folder / "README.txt").write_text("not a certificate")
    out2 = tmp_path / "trust-all.json"
    assert main(["trust", "import", str(folder), "--out", str(out2), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["countries"] == ["DE", "VN"]
    trust2 = TrustStore.from_files([out2])
    assert credentials.verify(hc1_de, trust2, now).valid


def test_qrgate_verify_shows_the_summary_without_a_name(tmp_path, capsys):
    now = time.time()
    vn, _ = _signers(now)
    (tmp_path / "vn.pem").write_bytes(vn.certificate_pem)
    payload = dcc_issue.sample_payload("vaccination", name={"fn": "Giả", "fnt": "GIA", "gn": "Lập", "gnt": "LAP"},
                                       dn=3, sd=3, dt="2022-01-10")
    hc1 = dcc_issue.issue_dcc(vn, payload, now - 3600, now + 86400)
    assert main(["verify", "--json", "--trust", str(tmp_path / "vn.pem"), hc1]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["summary"] == "vaccinated, dose 3 of 3, last dose 2022-01-10"
    assert "GIA" not in out and "Giả" not in out and "1990-01-01" not in out


def test_trust_import_refuses_a_list_with_nothing_usable(tmp_path, capsys):
    source = tmp_path / "bad.json"
    source.write_text(json.dumps([{"kid": "x", "rawData": "not base64!"}]))
    assert main(["trust", "import", str(source), "--out", str(tmp_path / "o.json")]) == 2
    err = capsys.readouterr().err
    assert "entry 0: no base64 certificate" in err and "no signer certificate to import" in err
