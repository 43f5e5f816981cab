"""qrgate doctor against real parts: a replayed camera (files source), a real Mosquitto, real
ledger files (sound, damaged, empty), MockFactory pins, an OSDP peripheral over a pty."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gpiozero import OutputDevice
from gpiozero.pins.mock import MockFactory
from PIL import Image

from gatesim.broker import MosquittoBroker
from gatesim.camera import render_qr
from qrgate import config, doctor
from qrgate.config import validate
from qrgate.ledger import Ledger

REPO = Path(__file__).resolve().parents[1]


def gate_config(**tables) -> config.Config:
    """A validated config with one camera reader, plus the given tables."""
    return validate(config.Config, {"readers": [{"kind": "camera", "source": "opencv"}], **tables})


def write_png(path: Path, text: str | None) -> str:
    pixels = render_qr(text, module_px=5) if text else (render_qr("x", module_px=5) * 0 + 200)
    Image.fromarray(pixels).save(path)
    return str(path)


@pytest.fixture
def gate_dir(tmp_path, keys, office, mosquitto):
    """A gate whose every part is present: three camera frames (one with a pass), a ledger with events."""
    now = time.time()
    code = office.issue("Visitor 1", now - 60, now + 3600)
    frames = [write_png(tmp_path / f"f{i}.png", code if i == 1 else None) for i in range(3)]
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    for i in range(5):
        ledger.record(at=now, gate_id="gate1", type="entry", reason="granted", direction="entry", holder=f"h{i}")
    ledger.close()
    secret = tmp_path / "site.secret"
    secret.write_bytes(os.urandom(32))
    secret.chmod(0o600)
    cfg = tmp_path / "gate.toml"
    cfg.write_text(f"""
[site]
secret_file = "{secret}"
[gate]
clock_check = "off"
[[readers]]
kind = "camera"
source = "files"
files = {json.dumps(frames)}
fps = 30
[trust]
files = ["{keys['trust']}"]
[ledger]
path = "{tmp_path / 'ledger.sqlite3'}"
[mqtt]
host = "{mosquitto.host}"
port = {mosquitto.port}
""")
    return tmp_path, cfg


def doctor_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GPIOZERO_PIN_FACTORY": "mock"}
    return subprocess.run([sys.executable, "-m", "qrgate", "doctor", *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=REPO)


def by_check(out: str) -> dict[str, dict]:
    return {c["check"]: c for c in json.loads(out)["checks"]}


def test_a_sound_gate_passes_every_check(gate_dir):
    _, cfg = gate_dir
    run = doctor_cli("--config", str(cfg), "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    checks = by_check(run.stdout)
    assert checks["camera 0"]["status"] == "ok"
    assert "at " in checks["camera 0"]["detail"] and "fps" in checks["camera 0"]["detail"]
    assert checks["camera 0"]["detail"].startswith("files ") and "x" in checks["camera 0"]["detail"]
    assert checks["gpio"]["status"] == "ok" and checks["pin map"]["status"] == "ok"
    assert checks["broker"]["status"] == "ok" and "write and read qrgate/site1/gate1/result" in checks["broker"]["detail"]
    assert checks["ledger"]["status"] == "ok" and "5 events" in checks["ledger"]["detail"]
    assert checks["site secret"]["status"] == "ok"
    assert checks["secret peers"] == {"check": "secret peers", "status": "skip",
                                      "detail": "not checked: no site sync yet", "fix": ""}
    assert checks["clock"]["status"] in ("ok", "warn")  # off: an unsynchronised clock only warns
    assert checks["disk"]["status"] == "ok"


def test_text_output_is_one_line_per_check_with_the_fix(gate_dir):
    tmp, cfg = gate_dir
    (tmp / "ledger.sqlite3").write_bytes(b"")
    run = doctor_cli("--config", str(cfg))
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    failing = [i for i, line in enumerate(lines) if line.startswith("FAIL ledger")]
    assert failing and "empty file (0 bytes)" in lines[failing[0]]
    assert lines[failing[0] + 1].strip().startswith("fix: restore the last backup")
    assert lines[-1].startswith("1 check(s) failed")


def test_wait_for_code_reads_a_pass_and_shows_no_secret(gate_dir, office):
    _, cfg = gate_dir
    run = doctor_cli("--config", str(cfg), "--json", "--wait-for-code", "5")
    assert run.returncode == 0, run.stdout + run.stderr
    code = by_check(run.stdout)["code"]
    assert code["status"] == "ok" and "qrgate-pass code (151 characters)" in code["detail"]
    assert code["detail"].endswith("; valid")
    assert "QG1:" not in run.stdout  # the code's text itself is never printed


def test_a_damaged_ledger_fails_its_integrity_check(gate_dir):
    tmp, cfg = gate_dir
    path = tmp / "ledger.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    assert len(data) >= 3 * page_size
    data[page_size + 8:2 * page_size] = os.urandom(page_size - 8)  # a b-tree page of garbage
    path.write_bytes(bytes(data))
    run = doctor_cli("--config", str(cfg), "--json")
    assert run.returncode == 1
    ledger = by_check(run.stdout)["ledger"]
    assert ledger["status"] == "fail" and "restore the last backup" in ledger["fix"]
    assert "damaged" in ledger["detail"]


def test_camera_and_pins_absent_are_reported_not_crashed(tmp_path):
    cfg = tmp_path / "gate.toml"
    cfg.write_text(f"""
[site]
secret_file = "{tmp_path / 's'}"
[[readers]]
kind = "camera"
source = "opencv"
device = "/dev/video-none"
[ledger]
path = "{tmp_path / 'l.db'}"
[mqtt]
enabled = false
""")
    env = {k: v for k, v in os.environ.items() if k != "GPIOZERO_PIN_FACTORY"}
    run = subprocess.run([sys.executable, "-m", "qrgate", "doctor", "--config", str(cfg), "--json"],
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    checks = by_check(run.stdout)
    assert checks["camera 0"]["status"] == "fail" and "/dev/video-none" in checks["camera 0"]["detail"]
    assert checks["camera 0"]["fix"]
    assert checks["gpio"]["status"] == "fail" and checks["gpio"]["fix"]
    assert checks["ledger"]["detail"].endswith("not created yet (the gate makes it on first start)")
    assert checks["site secret"]["status"] == "warn" and not (tmp_path / "s").exists()  # never created


def test_usage_errors_exit_2(tmp_path):
    assert doctor_cli("--config", str(tmp_path / "none.toml")).returncode == 2
    assert doctor_cli("--wait-for-code", "-1").returncode == 2
    assert doctor_cli("--no-such-flag").returncode == 2


def test_pins_held_by_another_program_are_not_free(tmp_path):
    cfg = gate_config()
    factory = MockFactory()
    holder = OutputDevice(17, pin_factory=factory)  # something else drives the relay pin
    try:
        findings = {f.check: f for f in doctor.check_gpio(cfg, pin_factory=factory)}
    finally:
        holder.close()
    assert findings["gpio"].status == "fail" and "not free" in findings["gpio"].detail
    assert "systemctl stop qrgate" in findings["gpio"].fix
    moved = gate_config(gate={"pins": {"relay": 23}})
    findings = {f.check: f for f in doctor.check_gpio(moved, pin_factory=MockFactory())}
    assert findings["pin map"].status == "warn" and "relay GPIO 23 (map: 17)" in findings["pin map"].detail
    assert findings["gpio"].status == "ok"


def test_broker_refusing_the_credentials_is_a_failed_check(tmp_path):
    broker = MosquittoBroker(anonymous=False)
    try:
        cfg = gate_config(mqtt={"host": broker.host, "port": broker.port, "username": "site1-gate1",
                                "password": "wrong"})
        (finding,) = doctor.check_broker(cfg)
    finally:
        broker.close()
    assert finding.status == "fail" and "refused" in finding.detail and "mqtt.password" in finding.fix
    (finding,) = doctor.check_broker(gate_config(mqtt={"port": broker.port}))
    assert finding.status == "fail" and "cannot connect" in finding.detail


def test_osdp_board_answers_in_the_secure_channel():
    from test_osdp_backend import ADDR, KEY, libosdp_pd

    with libosdp_pd(key=KEY) as (_pd, path, _commands):
        cfg = gate_config(gate={"backend": "osdp", "osdp_port": path, "osdp_address": ADDR,
                                "osdp_scbk": KEY.hex()})
        (finding,) = doctor.check_osdp(cfg, wait=8)
    assert finding.status == "ok" and "secure channel on" in finding.detail, finding


def test_a_silent_osdp_line_fails_with_the_fix():
    from test_osdp_interop import raw_pty

    master, slave, path = raw_pty()
    try:
        cfg = gate_config(gate={"backend": "osdp", "osdp_port": path})
        (finding,) = doctor.check_osdp(cfg, wait=1.5)
    finally:
        os.close(master)
        os.close(slave)
    assert finding.status == "fail" and "no answer" in finding.detail and "A/B wires" in finding.fix
    (finding,) = doctor.check_osdp(gate_config(gate={"backend": "osdp", "osdp_port": "/dev/ttyNONE"}))
    assert finding.status == "fail" and "no such serial device" in finding.detail


def test_broker_acl_refusing_the_gates_topics_is_a_failed_check(tmp_path):
    import shutil

    tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    pwfile = tmp_path / "passwd"
    subprocess.run([tool, "-b", "-c", str(pwfile), "site2-gate1", "pw"], check=True, capture_output=True)
    acl = REPO / "hardware" / "mosquitto" / "acl"
    broker = MosquittoBroker(anonymous=False, extra_conf=f"password_file {pwfile}\nacl_file {acl}\n")
    try:
        own = gate_config(site={"id": "site2"}, mqtt={"host": broker.host, "port": broker.port,
                                                       "username": "site2-gate1", "password": "pw"})
        (finding,) = doctor.check_broker(own)
        assert finding.status == "ok", finding
        # the same user configured as a gate of site1: the ACL does not let it read site1's commands
        other = gate_config(mqtt=own.mqtt.model_dump())
        (finding,) = doctor.check_broker(other)
    finally:
        broker.close()
    assert finding.status == "fail" and "a message on qrgate/site1/gate1/result did not come back" in finding.detail, finding


def test_serial_and_hid_readers_are_opened_or_named_missing():
    from test_osdp_interop import raw_pty

    master, slave, path = raw_pty()
    try:
        cfg = validate(config.Config, {"readers": [
            {"kind": "serial", "port": path}, {"kind": "serial", "port": "/dev/ttyNONE"},
            {"kind": "hid", "device": "/dev/input/by-id/none-event-kbd"}]})
        findings = doctor.check_readers(cfg, wait_seconds=3, camera_seconds=0.1, trust=None)
    finally:
        os.close(master)
        os.close(slave)
    assert [(f.check, f.status) for f in findings] == [
        ("reader 0", "ok"), ("reader 1", "fail"), ("reader 2", "fail"), ("code", "skip")]
    assert "opens at 9600 baud" in findings[0].detail
    assert "no such device" in findings[1].detail and "dialout" in findings[1].fix
    assert "cannot open" in findings[2].detail and "input group" in findings[2].fix
