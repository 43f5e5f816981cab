"""`qrgate run` end to end on real parts: a replayed camera, the I/O board's firmware behind a pty
(OSDP), the real ledger. A pass shown to the camera energises the board's relay."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import segno

from gateio.host import start_on_pty
from qrgate.ledger import Ledger


def test_run_grants_a_pass_through_the_osdp_board(tmp_path, office, now):
    port, stop_board = start_on_pty(address=0)
    board = stop_board.board
    try:
        png = tmp_path / "pass.png"
        segno.make(office.issue("visitor-r", now - 3600, now + 3600), error="m", micro=False,
                   boost_error=False).save(str(png), scale=6, border=4)
        trust = next((tmp_path / "keys").glob("trust.json"))
        cfg = tmp_path / "gate.toml"
        files = ", ".join(f'"{png}"' for _ in range(8))
        cfg.write_text(f'[site]\nsecret_file = "{tmp_path}/site.secret"\n'
                       f'[gate]\nbackend = "osdp"\nosdp_port = "{port}"\nrelay_seconds = 1.0\n'
                       f'[trust]\nfiles = ["{trust}"]\n[ledger]\npath = "{tmp_path}/ledger.db"\n'
                       '[mqtt]\nenabled = false\n'
                       '[[readers]]\nkind = "camera"\ndirection = "entry"\n'
                       f'source = "files"\nfps = 1\nfiles = [{files}]\n')
        proc = subprocess.Popen([sys.executable, "-m", "qrgate", "run", "--json", "--config", str(cfg)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        relay_seen = False
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            relay_seen |= board.relay_on
            time.sleep(0.01)
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err.decode()[-2000:]
        lines = [json.loads(line) for line in err.decode().splitlines() if line.strip()]
        assert lines and all({"at", "level", "logger", "message"} <= set(line) for line in lines)
        assert "Traceback" not in err.decode()
        events = Ledger(tmp_path / "ledger.db").events()
        assert [e.type for e in events if e.type == "entry"] == ["entry"]  # then anti-passback holds
        assert any(e.reason == "already_inside" for e in events)
        assert relay_seen, "the board's relay never closed"
    finally:
        stop_board()


def test_run_on_mock_pins_says_no_hardware_is_driven(tmp_path, office, now):
    png = tmp_path / "pass.png"
    segno.make(office.issue("visitor-m", now - 3600, now + 3600), error="m", micro=False,
               boost_error=False).save(str(png), scale=6, border=4)
    trust = next((tmp_path / "keys").glob("trust.json"))
    cfg = tmp_path / "gate.toml"
    cfg.write_text(f'[site]\nsecret_file = "{tmp_path}/site.secret"\n[gate]\nbackend = "mock"\n'
                   f'[trust]\nfiles = ["{trust}"]\n[ledger]\npath = "{tmp_path}/ledger.db"\n[mqtt]\nenabled = false\n'
                   f'[[readers]]\nkind = "camera"\nsource = "files"\nfps = 4\nfiles = ["{png}", "{png}"]\n')
    proc = subprocess.run([sys.executable, "-m", "qrgate", "run", "--json", "--config", str(cfg)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [json.loads(line) for line in proc.stderr.splitlines() if line.strip()]
    assert lines[0]["level"] == "warning" and "no hardware is driven" in lines[0]["message"]
    assert [e.type for e in Ledger(tmp_path / "ledger.db").events()] == ["entry"]
