"""Paper passes: a CSV of visitors becomes a printable sheet whose QR codes the gate's decoder reads."""

from __future__ import annotations

import json
import time
import re

import pytest
from PIL import Image

from qrgate import credentials
from qrgate.cli.main import main
from qrgate.credentials.trust import TrustStore
from qrgate.vision.decoder import Decoder
from qrgate.vision.sources import load_gray

CSV = """holder,kind,valid_from,hours,label,zones,entries_per_day
Nguyen Van A 079123456789,visitor,now,8,Khách 01,1,2
Tran Thi B 079987654321,health_declaration,now,24,Khách 02,,
Le Van C,contractor,now,12,Nhà thầu điện,"1,2",
"""


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "visitors.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_png_sheet_decodes_to_valid_passes_without_names(tmp_path, keys, roster, capsys, now):
    sheet = tmp_path / "sheet.png"
    assert main(["pass", "issue", "--key", keys["private_key"], "--from-csv", str(roster), "--sheet", str(sheet),
                 "--tz", "Asia/Ho_Chi_Minh", "--json"]) == 0
    out = capsys.readouterr().out
    issued = json.loads(out)
    assert "079123456789" not in out and "Nguyen" not in out
    assert [p["kind"] for p in issued["passes"]] == ["visitor", "health_declaration", "contractor"]
    image = Image.open(sheet)
    assert image.size == (1240, 1754)
    codes = Decoder().decode(load_gray(str(sheet)))
    trust = TrustStore.from_files([keys["trust"]])
    at = time.time()  # passes valid "now" start when they were issued, after the fixture's `now`
    results = {credentials.verify(c.text, trust, at).credential.pass_id: credentials.verify(c.text, trust, at)
               for c in codes}
    assert set(results) == {p["pass_id"] for p in issued["passes"]}
    assert all(r.valid for r in results.values())
    first = results[issued["passes"][0]["pass_id"]].credential
    assert first.attributes["zones"] == 0b1 and first.attributes["entries_per_day"] == 2
    assert first.valid_until - first.valid_from == 8 * 3600
    assert all(b"079123456789" not in c.text.encode() for c in codes)


def test_pdf_sheet_has_a_page_per_eight_cards(tmp_path, keys, capsys):
    roster = tmp_path / "many.csv"
    roster.write_text("holder\n" + "".join(f"guest {i}\n" for i in range(9)))
    pdf = tmp_path / "sheet.pdf"
    assert main(["pass", "issue", "--key", keys["private_key"], "--from-csv", str(roster), "--sheet", str(pdf)]) == 0
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and re.findall(rb"/Count (\d+)", data) == [b"2"]


@pytest.mark.parametrize("text, message", [
    ("name\nx\n", "holder is required"),
    ("holder,colour\nx,red\n", "unknown: colour"),
    ("holder,kind\nx,alien\n", "line 2: kind 'alien'"),
    ("holder,valid_from\nx,someday\n", "line 2: cannot read the time"),
    ("holder,zones\nx,9\n", "line 2: zones: '9' is not a number 1-8"),
    ("holder,hours\n,\n", "line 2: holder is empty"),
])
def test_bad_rows_name_the_line_and_write_nothing(tmp_path, keys, capsys, text, message):
    roster = tmp_path / "bad.csv"
    roster.write_text(text)
    sheet = tmp_path / "sheet.png"
    assert main(["pass", "issue", "--key", keys["private_key"], "--from-csv", str(roster), "--sheet", str(sheet)]) == 2
    assert message in capsys.readouterr().err and not sheet.exists()


def test_csv_needs_a_sheet_and_a_known_extension(tmp_path, keys, roster, capsys):
    assert main(["pass", "issue", "--key", keys["private_key"], "--from-csv", str(roster)]) == 2
    assert "--sheet" in capsys.readouterr().err
    assert main(["pass", "issue", "--key", keys["private_key"], "--from-csv", str(roster),
                 "--sheet", str(tmp_path / "x.gif")]) == 2
    assert ".pdf or a .png" in capsys.readouterr().err
