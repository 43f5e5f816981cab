"""deploy/: the config template is a valid config that keeps every file where the service may
write, and the shell scripts parse. (The install itself runs in `make pi-check`.)"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from qrgate import config

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"


def test_the_template_is_a_valid_config_for_a_pi():
    cfg = config.load(DEPLOY / "gate.toml")
    assert cfg.readers[0].kind == "camera" and cfg.readers[0].source == "picamera2"
    assert cfg.gate.clock_check == "kernel"  # no battery clock on a Pi


def test_the_kiosk_shows_the_page_the_template_serves():
    cfg = config.load(DEPLOY / "gate.toml")
    unit = (DEPLOY / "systemd" / "qrgate-kiosk.service").read_text()
    assert cfg.web.enabled
    assert f"http://{cfg.web.host}:{cfg.web.port}/" in re.search(r"^ExecStart=.*$", unit, re.M).group(0)


def test_everything_the_gate_writes_is_under_the_units_writable_path():
    unit = (DEPLOY / "systemd" / "qrgate.service").read_text()
    (writable,) = re.findall(r"^ReadWritePaths=(\S+)$", unit, re.M)
    cfg = config.load(DEPLOY / "gate.toml")
    for path in (cfg.ledger.path, cfg.site.secret_file, cfg.web.guards_file):
        assert Path(path).is_relative_to(writable), path
    assert "--config /etc/qrgate/gate.toml" in unit
    assert "/etc/qrgate/gate.toml" in (DEPLOY / "install.sh").read_text()


def test_the_scripts_parse_and_are_executable():
    sh = shutil.which("sh")
    for script in ("install.sh", "pi-check.sh", "qrgate-kiosk"):
        path = DEPLOY / script
        assert path.stat().st_mode & 0o111, f"{script} is not executable"
        run = subprocess.run([sh, "-n", str(path)], capture_output=True, text=True)
        assert run.returncode == 0, f"{script}: {run.stderr}"


def test_install_refuses_to_run_unprivileged_or_with_an_unknown_option():
    run = subprocess.run([str(DEPLOY / "install.sh"), "--frobnicate"], capture_output=True, text=True)
    assert run.returncode == 1 and "unknown option --frobnicate" in run.stderr
