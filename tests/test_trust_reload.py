"""`qrgate run` re-reads its trust files on SIGHUP: a key added to trust.json is taken without a
restart, with a log line saying what changed; a broken file keeps the trust in use, with a
clear error, and the gate goes on deciding."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import segno
from PIL import Image

from gatesim.visitors import PassOffice
from qrgate.credentials.keys import add_to_trust_file, issuer_secret, load_private_key, new_key
from qrgate.ledger import Ledger

HOUR = 3600


def show(frame: Path, payload: str | None) -> None:
    """What the replayed camera sees next: a pass, or an empty scene (replaced atomically)."""
    tmp = frame.with_name("next.png")
    if payload is None:
        Image.fromarray(np.full((240, 320), 255, np.uint8)).save(tmp)
    else:
        segno.make(payload, error="m", micro=False).save(str(tmp), scale=4, border=4)
    os.replace(tmp, frame)


class Logs:
    def __init__(self, proc: subprocess.Popen):
        self.lines: list[dict] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc) -> None:
        for raw in proc.stderr:
            text = raw.decode("utf-8", "replace").strip()
            if text:
                self.lines.append(json.loads(text) if text.startswith("{") else {"message": text, "level": "RAW"})

    def wait_for(self, fragment: str, timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if fragment in line["message"]:
                    return line
            time.sleep(0.05)
        raise AssertionError(f"no log line with {fragment!r}; got {[line['message'] for line in self.lines]}")


def wait_for_event(ledger_path: Path, match, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ledger = Ledger(ledger_path)
        try:
            found = [e for e in ledger.events() if match(e)]
        finally:
            ledger.close()
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError("the gate never logged the expected event")


def test_sighup_reloads_trust_files_and_a_bad_file_keeps_the_old_trust(tmp_path, keys, office):
    gate_trust = tmp_path / "gate-trust.json"
    gate_trust.write_text(Path(keys["trust"]).read_text())
    made = new_key(tmp_path / "newer")  # a key the gate does not trust yet
    newer = PassOffice(made["private_key"], issuer_secret(made["private_key"]))
    frame = tmp_path / "frame.png"
    show(frame, None)
    cfg = tmp_path / "gate.toml"
    files = ", ".join(f'"{frame}"' for _ in range(2400))  # 10 minutes at 4 frames a second
    ledger_path = tmp_path / "ledger.db"
    cfg.write_text(f'[site]\nsecret_file = "{tmp_path}/site.secret"\n'
                   f'[trust]\nfiles = ["{gate_trust}"]\n[ledger]\npath = "{ledger_path}"\n'
                   '[gate]\nbackend = "mock"\n[mqtt]\nenabled = false\n'
                   f'[[readers]]\nkind = "camera"\ndirection = "entry"\nsource = "files"\nfps = 4\n'
                   f'files = [{files}]\n')
    proc = subprocess.Popen([sys.executable, "-m", "qrgate", "run", "--json", "--config", str(cfg)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    logs = Logs(proc)
    try:
        logs.wait_for("running with 1 camera")
        now = time.time()
        show(frame, newer.issue("first", now - HOUR, now + HOUR))
        assert wait_for_event(ledger_path, lambda e: e.type == "denied").reason == "unknown_key"
        show(frame, None)

        add_to_trust_file(gate_trust, made["kid"], load_private_key(made["private_key"])[1].public_key())
        proc.send_signal(signal.SIGHUP)
        line = logs.wait_for("trust reloaded")
        assert line["level"] == "info" and f"pass keys added: {made['kid']}" in line["message"]
        show(frame, newer.issue("second", now - HOUR, now + HOUR))
        assert wait_for_event(ledger_path, lambda e: e.type == "entry").reason == "granted"
        show(frame, None)

        gate_trust.write_text('{"type": "qrgate-trust", "keys": [{"kid": "broken"}]}')
        proc.send_signal(signal.SIGHUP)
        line = logs.wait_for("trust files not reloaded")
        assert line["level"] == "error" and str(gate_trust) in line["message"]
        assert proc.poll() is None, "a bad trust file must not stop the gate"
        show(frame, newer.issue("third", now - HOUR, now + HOUR))  # the key taken before still counts
        first_entry = wait_for_event(ledger_path, lambda e: e.type == "entry")
        assert wait_for_event(ledger_path, lambda e: e.type == "entry" and e.seq > first_entry.seq).reason == "granted"
        ledger = Ledger(ledger_path)
        events = ledger.events()
        ledger.close()
        assert [(e.type, e.reason) for e in events if e.type in ("entry", "denied", "trust")] == [
            ("denied", "unknown_key"), ("trust", "reloaded"), ("entry", "granted"), ("entry", "granted")]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert not [line for line in logs.lines if "Traceback" in line["message"] or line["level"] == "RAW"]
