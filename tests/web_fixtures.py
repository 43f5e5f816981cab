"""A simulated gate serving its screen and console, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the browser fixture fails with the fix, never skips
    expect = sync_playwright = None

from gatesim.rig import SimGate
from qrgate.credentials.keys import new_key
from qrgate.web.config import WebConfig

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SCREEN_SIZE = {"width": 800, "height": 480}  # a 7-inch kiosk display
GUARD, PASSWORD = "an", "correct horse battery"
#: QRGATE_SCREENSHOTS=1 writes the docs' screenshots (docs/img/); otherwise they go to a temp folder
SHOTS_TO_DOCS = os.environ.get("QRGATE_SCREENSHOTS") == "1"


def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"these tests need Debian's chromium at {CHROMIUM}: run 'make test', which installs it, "
                    "or 'apt-get install chromium'")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


#: one chromium for the whole run: each test module that imports `browser` gets a fixture of its own,
#: and Playwright's sync API allows one instance per thread, so they share this one
_SHARED: dict = {"users": 0}


@pytest.fixture(scope="session")
def browser():
    if sync_playwright is None:
        pytest.fail("these tests need Playwright from PyPI: pip install -e '.[test]' (make test does it)")
    if not _SHARED["users"]:
        _SHARED["playwright"] = sync_playwright().start()
        try:
            _SHARED["chromium"] = launch_chromium(_SHARED["playwright"])
        except BaseException:
            _SHARED.pop("playwright").stop()
            raise
    _SHARED["users"] += 1
    yield _SHARED["chromium"]
    _SHARED["users"] -= 1
    if not _SHARED["users"]:
        _SHARED.pop("chromium").close()
        _SHARED.pop("playwright").stop()


def add_guard(state_dir: Path, name: str = GUARD, password: str = PASSWORD) -> subprocess.CompletedProcess:
    """The real command a site admin runs."""
    return subprocess.run([sys.executable, "-m", "qrgate", "guard", "add", "--state-dir", str(state_dir),
                           "--name", name], input=password + "\n", text=True, capture_output=True, timeout=60)


@pytest.fixture
def shots(tmp_path):
    folder = REPO / "docs" / "img" if SHOTS_TO_DOCS else tmp_path / "img"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def web_gate(tmp_path, mosquitto):
    """A SimGate with its cameras running and the web pages on a free loopback port."""
    gate = start_web_gate(tmp_path, mosquitto, new_key(tmp_path / "keys"))
    yield gate
    gate.stop()


def start_web_gate(tmp_path, mosquitto, keys, **web_options):
    """A started SimGate whose [web] has a guard, the site's pass key and `web_options`."""
    from gatesim.visitors import PassOffice
    from qrgate.credentials.keys import issuer_secret

    state = tmp_path / "state"
    assert add_guard(state).returncode == 0
    web = WebConfig(enabled=True, port=0, guards_file=str(state / "guards.json"), show_seconds=1.5,
                    pass_key=keys["private_key"], timezone="Asia/Ho_Chi_Minh", **web_options)
    gate = SimGate(tmp_path, mosquitto.host, mosquitto.port, trust_files=[keys["trust"]], fps=15, web=web)
    gate.office = PassOffice(keys["private_key"], issuer_secret(keys["private_key"]))
    gate.state_dir = state
    gate.start()
    gate.url = gate.app.web.url
    return gate


def scan(gate, payload: str, camera: str = "entry", timeout: float = 5.0):
    """Hold a code up to a camera until the gate decided on it; then take it away."""
    seen = len(gate.outcomes)
    gate.cameras[camera].show(payload)
    deadline = time.monotonic() + timeout
    while len(gate.outcomes) == seen and time.monotonic() < deadline:
        time.sleep(0.01)
    gate.cameras[camera].show(None)
    assert len(gate.outcomes) > seen, "the gate decided nothing within 5 s"
    return gate.outcomes[-1]
