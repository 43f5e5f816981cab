"""The `qrgate` command as a user runs it: JSON out, exit codes 0/1/2, never a traceback."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

QRGATE = [sys.executable, "-m", "qrgate"]


def qrgate(*args, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([*QRGATE, *args], input=stdin, capture_output=True, timeout=120)
    assert b"Traceback" not in proc.stderr + proc.stdout, proc.stderr.decode()
    return proc


def as_json(proc) -> dict:
    return json.loads(proc.stdout)


@pytest.fixture
def keydir(tmp_path):
    made = as_json(qrgate("keys", "new", "--dir", str(tmp_path / "k"), "--json"))
    return made


def test_keys_new(keydir):
    assert set(keydir) == {"kid", "private_key", "trust"}
    assert stat.S_IMODE(os.stat(keydir["private_key"]).st_mode) == 0o600
    assert json.loads(Path(keydir["trust"]).read_text())["keys"][0]["kid"] == keydir["kid"]


def test_issue_png_decode_verify(tmp_path, keydir):
    png = tmp_path / "pass.png"
    issued = qrgate("pass", "issue", "--key", keydir["private_key"], "--holder", "Guest 0912345678",
                    "--valid-until", "+2h", "--png", str(png), "--json")
    assert issued.returncode == 0
    out = as_json(issued)
    assert out["payload"].startswith("QG1:") and "0912345678" not in issued.stdout.decode()

    decoded = qrgate("decode", "--json", str(png))
    line = json.loads(decoded.stdout.decode().splitlines()[0])
    assert decoded.returncode == 0 and line["file"] == str(png)
    [code] = line["codes"]
    assert code["text"] == out["payload"] and len(code["corners"]) == 4 and line["ms"] >= 0

    ok = qrgate("verify", "--trust", keydir["trust"], "--json", out["payload"])
    assert ok.returncode == 0 and as_json(ok)["valid"] is True and as_json(ok)["format"] == "qrgate-pass"
    later = qrgate("verify", "--trust", keydir["trust"], "--at", "+3h", "--json", "-", stdin=out["payload"].encode())
    assert later.returncode == 1 and as_json(later)["reason"] == "expired"


@pytest.mark.parametrize("payload", ["", "QG1:", "HELLO", "QG1:" + "A" * 147])
def test_verify_refuses_junk_with_exit_1(keydir, payload):
    proc = qrgate("verify", "--trust", keydir["trust"], "--json", "-", stdin=payload.encode())
    assert proc.returncode == 1
    result = as_json(proc)
    assert result["valid"] is False and result["reason"]


def test_verify_binary_junk_and_a_megabyte(keydir):
    for junk in (os.urandom(4096), b"QG1:" + b"9" * 1_000_000):
        proc = qrgate("verify", "--trust", keydir["trust"], "--json", "-", stdin=junk)
        assert proc.returncode == 1 and as_json(proc)["valid"] is False


@pytest.mark.parametrize("args, message", [
    (["verify", "--trust", "/nonexistent/trust.json", "QG1:X"], b"cannot read trust file"),
    (["pass", "issue", "--key", "/nonexistent.key", "--holder", "x"], b"cannot read key file"),
    (["verify", "--at", "yesterday-ish", "QG1:X"], b"cannot read the time"),
    (["config", "check", "/nonexistent.toml"], b"no such config file"),
    (["frobnicate"], b"invalid choice"),
])
def test_usage_and_input_errors_exit_2_with_a_reason(args, message):
    proc = qrgate(*args)
    assert proc.returncode == 2 and message in proc.stderr


def test_decode_reports_unreadable_and_codeless_images(tmp_path):
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("L", (320, 240), 200).save(blank)
    notimage = tmp_path / "x.png"
    notimage.write_text("not an image")
    proc = qrgate("decode", "--json", str(blank), str(notimage))
    lines = [json.loads(s) for s in proc.stdout.decode().splitlines()]
    assert proc.returncode == 1
    assert lines[0]["codes"] == [] and "not an image" in lines[1]["error"]


def test_config_check_names_the_key_path(tmp_path):
    bad = tmp_path / "gate.toml"
    bad.write_text('[gate]\nrelay_secs = 2\n')
    proc = qrgate("config", "check", str(bad))
    assert proc.returncode == 2 and b"gate.relay_secs: unknown key; did you mean 'relay_seconds'?" in proc.stderr
    good = tmp_path / "ok.toml"
    good.write_text('[gate]\nid = "north"\n[[readers]]\nkind = "camera"\ndirection = "entry"\n')
    assert as_json(qrgate("config", "check", str(good), "--json"))["gate"] == "north"


def test_bench_prints_the_promised_keys():
    proc = qrgate("bench", "--json", "--frames", "20")
    result = as_json(proc)
    for key in ("decode_ms", "raw_zxing_ms", "frame_to_relay_ms"):
        assert result[key]["p50"] > 0 and result[key]["p99"] >= result[key]["p50"]


def test_run_without_gpio_hardware_says_so(tmp_path):
    cfg = tmp_path / "gate.toml"
    cfg.write_text(f'[site]\nsecret_file = "{tmp_path}/s"\n[ledger]\npath = "{tmp_path}/l.db"\n'
                   '[mqtt]\nenabled = false\n[[readers]]\nkind = "camera"\ndirection = "entry"\n')
    proc = qrgate("run", "--config", str(cfg))
    assert proc.returncode == 2 and b"cannot open the gate's GPIO pins" in proc.stderr
    assert b"Warning" not in proc.stderr
