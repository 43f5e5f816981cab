"""qrgate export and purge: CSV of pseudonymous movements for health authorities; retention."""

from __future__ import annotations

import csv
import io

from qrgate.cli.main import main
from qrgate.ledger import Ledger


def fill(path, now):
    ledger = Ledger(path)
    for at, type, holder in ((now - 40 * 86400, "entry", "old"), (now - 3600, "entry", "p1"),
                             (now - 1800, "exit", "p1"), (now - 60, "entry", "p2")):
        ledger.record(at=at, gate_id="north", type=type, reason="granted", direction=type, holder=holder)
    ledger.record(at=now - 30, gate_id="north", type="denied", reason="expired", holder="p3")
    ledger.delivered([row[0] for row in ledger.pending()])
    ledger.close()


def test_export_window_to_stdout_and_file(tmp_path, capsys, now):
    db = tmp_path / "l.db"
    fill(db, now)
    assert main(["export", "--ledger", str(db), "--from=-2h", "--to", "now"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["movement"], r["pseudonym"]) for r in rows] == [("entry", "p1"), ("exit", "p1"), ("entry", "p2")]
    assert all(r["gate"] == "north" and r["time_utc"].endswith("Z") for r in rows)
    out = tmp_path / "export.csv"
    assert main(["export", "--ledger", str(db), "--from=-60d", "--out", str(out)]) == 0
    assert "4 movements" in capsys.readouterr().err
    assert len(out.read_text().splitlines()) == 5


def test_export_refuses_a_backwards_window_and_bad_times(tmp_path, capsys, now):
    db = tmp_path / "l.db"
    fill(db, now)
    assert main(["export", "--ledger", str(db), "--from", "now", "--to=-1h"]) == 2
    assert "--to must be after --from" in capsys.readouterr().err
    assert main(["export", "--ledger", str(db), "--from", "last tuesday"]) == 2
    assert "cannot read the time" in capsys.readouterr().err


def test_purge_by_retention_days(tmp_path, capsys, now):
    db = tmp_path / "l.db"
    fill(db, now)
    assert main(["purge", "--ledger", str(db), "--days", "30", "--json"]) == 0
    assert '"deleted": 1' in capsys.readouterr().out
    assert [e.holder for e in Ledger(db).events()] == ["p1", "p1", "p2", "p3"]
    assert main(["purge", "--ledger", str(db), "--days", "0"]) == 2


def test_export_from_a_config_file(tmp_path, capsys, now):
    db = tmp_path / "l.db"
    fill(db, now)
    cfg = tmp_path / "gate.toml"
    cfg.write_text(f'[ledger]\npath = "{db}"\n[[readers]]\nkind = "camera"\n')
    assert main(["export", "--config", str(cfg), "--from=-2h"]) == 0
    assert capsys.readouterr().out.count("\n") == 4
