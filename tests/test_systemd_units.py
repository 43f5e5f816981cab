"""deploy/systemd units pass `systemd-analyze verify`, and keep the settings the gate relies on.

verify refuses a unit whose ExecStart binary is missing, so each unit is checked as
install.sh installs it, with /opt/qrgate pointing at a temporary tree that holds the same
programs (this venv's qrgate and deploy/qrgate-kiosk).
"""

from __future__ import annotations

import configparser
import os
import shutil
import sys
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
UNITS = sorted((REPO / "deploy" / "systemd").glob("*.service"))
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if not os.access(SYSTEMD_ANALYZE, os.X_OK):
        pytest.fail("systemd-analyze is missing: these tests verify the units with it "
                    "(apt-get install systemd; 'make test' installs it)")
    root = tmp_path_factory.mktemp("units")
    prefix = root / "opt"
    (prefix / "venv" / "bin").mkdir(parents=True)
    (prefix / "bin").mkdir()
    qrgate = shutil.which("qrgate", path=str(Path(sys.executable).parent)) or shutil.which("qrgate")
    assert qrgate, "the qrgate command is not installed in this venv"
    (prefix / "venv" / "bin" / "qrgate").symlink_to(qrgate)
    shutil.copy2(REPO / "deploy" / "qrgate-kiosk", prefix / "bin" / "qrgate-kiosk")
    out = root / "system"
    out.mkdir()
    for unit in UNITS:
        (out / unit.name).write_text(unit.read_text().replace("/opt/qrgate", str(prefix)))
    return out


def test_there_are_the_gate_and_kiosk_units():
    assert [u.name for u in UNITS] == ["qrgate-kiosk.service", "qrgate.service"]


@pytest.mark.parametrize("unit", [u.name for u in UNITS])
def test_systemd_analyze_verify_passes_without_a_warning(installed, unit):
    run = subprocess.run([SYSTEMD_ANALYZE, "verify", str(installed / unit)], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"})
    said = (run.stdout + run.stderr).strip()
    assert run.returncode == 0 and not said, f"systemd-analyze verify {unit}: {said}"


def test_verify_does_catch_a_mistake(installed, tmp_path):
    bad = tmp_path / "qrgate.service"
    bad.write_text((installed / "qrgate.service").read_text().replace("WatchdogSec=", "WatchdogSecs="))
    run = subprocess.run([SYSTEMD_ANALYZE, "verify", str(bad)], capture_output=True, text=True, timeout=60)
    assert "Unknown key" in run.stdout + run.stderr


def settings(unit: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(_merge_repeats((REPO / "deploy" / "systemd" / unit).read_text()))
    return parser


def _merge_repeats(text: str) -> str:
    """systemd allows a key many times (DeviceAllow=); join repeats with a space for configparser."""
    lines, seen = [], {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, value = line.split("=", 1)
            if key in seen:
                lines[seen[key]] += " | " + value
                continue
            seen[key] = len(lines)
        elif line.startswith("["):
            seen = {}
        lines.append(line)
    return "\n".join(lines)


def test_the_gate_service_is_supervised_and_hardened():
    s = settings("qrgate.service")["Service"]
    assert s["Type"] == "notify" and s["Restart"] == "always" and int(s["WatchdogSec"]) > 0
    assert "--journal" in s["ExecStart"] and s["StandardOutput"] == "journal"
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ReadWritePaths": "/var/lib/qrgate",
                       "PrivateTmp": "yes", "ProtectHome": "yes", "DevicePolicy": "closed"}.items():
        assert s[key] == value, key
    # ProtectClock's seccomp filter would also deny the read-only adjtimex() of clock_sync.py
    assert "ProtectClock" not in s
    assert s["WorkingDirectory"] == s["ReadWritePaths"]  # lgpio writes its pipes in the working directory
    allowed = {entry.split()[0] for entry in s["DeviceAllow"].split(" | ")}
    assert allowed == {"char-video4linux", "char-media", "char-dma_heap", "char-gpiochip",
                       "char-ttyAMA", "char-ttyS", "char-ttyUSB", "char-ttyACM"}


def test_the_kiosk_opens_the_gate_screen_only_with_a_display():
    s = settings("qrgate-kiosk.service")["Service"]
    assert s["ExecStart"].endswith("http://127.0.0.1:8080/")
    assert "/sys/class/drm/" in s["ExecCondition"] and "connected" in s["ExecCondition"]
