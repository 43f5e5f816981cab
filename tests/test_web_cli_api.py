"""`qrgate guard add` and `qrgate gate ...` against a running simulated gate, and the paper day pass."""

from __future__ import annotations

import getpass
import io
import json
import os
import stat
import subprocess
import sys
import urllib.error
import urllib.request

import numpy as np
import zxingcpp
from PIL import Image

from web_fixtures import GUARD, PASSWORD, add_guard, scan, web_gate  # noqa: F401

HOUR = 3600


def qrgate(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qrgate", *args], input=stdin, text=True, capture_output=True,
                          timeout=60)


def test_guard_add_keeps_only_an_argon2_hash(tmp_path):
    done = add_guard(tmp_path, "binh", "a long enough secret")
    assert done.returncode == 0, done.stderr
    path = tmp_path / "guards.json"
    text = path.read_text()
    assert "a long enough secret" not in text and "$argon2id$" in json.loads(text)["guards"]["binh"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    short = add_guard(tmp_path, "chi", "short")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr and "Traceback" not in short.stderr
    bad = add_guard(tmp_path, "<b>", "a long enough secret")
    assert bad.returncode == 2 and "guard name" in bad.stderr


def test_the_cli_acts_through_the_running_gate(web_gate):
    state = str(web_gate.state_dir)
    api_file = web_gate.state_dir / "gate-api.json"
    assert stat.S_IMODE(api_file.stat().st_mode) == 0o600
    refused = qrgate("gate", "--state-dir", state, "override")
    assert refused.returncode == 2 and "--why" in refused.stderr
    done = qrgate("gate", "--state-dir", state, "--json", "override", "--why", "fire drill")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["ok"] and answer["event_id"]
    detail = web_gate.ledger.details(answer["event_id"])
    assert detail["by"] == f"cli:{getpass.getuser()}" and detail["why"] == "fire drill" and detail["source"] == "cli"
    lockdown = qrgate("gate", "--state-dir", state, "lockdown", "on", "--why", "intruder")
    assert lockdown.returncode == 0, lockdown.stderr
    assert web_gate.app.state()["mode"] == "lockdown"
    opened = qrgate("gate", "--state-dir", state, "open")
    assert opened.returncode == 1 and "refused: lockdown" in opened.stdout  # the gate's own rule, one path
    status = qrgate("gate", "--state-dir", state, "--json", "status")
    assert status.returncode == 0 and json.loads(status.stdout)["state"]["mode"] == "lockdown"


def test_the_local_api_needs_its_token(web_gate):
    api = json.loads((web_gate.state_dir / "gate-api.json").read_text())
    body = json.dumps({"name": "override", "why": "x", "user": "mallory"}).encode()
    for token in ("", "not-the-token"):
        request = urllib.request.Request(api["url"] + "/api/action", data=body, method="POST", headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=5)
            raise AssertionError("the API acted without its token")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
    assert not [e for e in web_gate.ledger.events() if e.type == "override"]


def test_the_cli_names_a_gate_that_is_not_running(tmp_path):
    result = qrgate("gate", "--state-dir", str(tmp_path), "lockdown", "on")
    assert result.returncode == 2
    assert "gate-api.json does not exist" in result.stderr and "Traceback" not in result.stderr


def _session(url: str):
    """A guard's login over plain HTTP, as the console's script does it."""
    jar = urllib.request.HTTPCookieProcessor()
    opener = urllib.request.build_opener(jar)
    token = json.loads(opener.open(url + "/console/login-token").read())["csrf"]
    login = urllib.request.Request(url + "/console/login", method="POST", data=json.dumps(
        {"name": GUARD, "password": PASSWORD}).encode(), headers={"Content-Type": "application/json",
                                                                  "X-CSRF-Token": token})
    return opener, json.loads(opener.open(login).read())["csrf"]


def test_a_paper_day_pass_opens_the_gate_and_the_screen_names_it(web_gate):
    opener, csrf = _session(web_gate.url)
    request = urllib.request.Request(web_gate.url + "/console/api/paper", method="POST", data=json.dumps(
        {"holder": "Tran Thi Example 079123456789", "label": "Meeting room 3", "kind": "visitor"}).encode(),
        headers={"Content-Type": "application/json", "X-CSRF-Token": csrf})
    answer = json.loads(opener.open(request).read())
    assert answer["ok"], answer
    png = opener.open(web_gate.url + answer["sheet"]).read()
    sheet = np.array(Image.open(io.BytesIO(png)).convert("L"))
    codes = zxingcpp.read_barcodes(sheet)
    assert len(codes) == 1 and codes[0].text.startswith("QG1:")
    outcome = scan(web_gate, codes[0].text)
    assert outcome.decision.granted and outcome.verification.credential.pass_id == answer["pass_id"]
    assert "079123456789" not in (web_gate.state_dir / "paper-passes.json").read_text()
    from qrgate.web.views import credential_text

    assert credential_text(outcome.verification, web_gate.app.web.paper.pass_ids())["en"] == "Paper pass: visitor"


def test_a_gate_without_a_signing_key_says_so(tmp_path):
    from qrgate.web.paper_desk import PaperDesk

    desk = PaperDesk(None, 12, tmp_path)
    assert not desk.available and "no signing key" in desk.problem
    missing = PaperDesk(str(tmp_path / "nope.key"), 12, tmp_path)
    assert not missing.available and "nope.key" in missing.problem
    assert os.listdir(tmp_path) == []



def test_a_page_rebound_to_loopback_under_another_name_is_refused(web_gate):
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(web_gate.url)
    for host, expected in (("evil.example", 400), (f"evil.example:{where.port}", 400),
                           (f"127.0.0.1:{where.port}", 200), (f"localhost:{where.port}", 200)):
        connection = http.client.HTTPConnection(where.hostname, where.port, timeout=5)
        connection.request("GET", "/console/login-token", headers={"Host": host})
        response = connection.getresponse()
        assert response.status == expected, host
        if expected == 400:
            assert b"127.0.0.1 only" in response.read()
        connection.close()
