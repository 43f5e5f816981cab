"""`make ha-check`: a real Home Assistant (2024.3.3, headless, loopback) against a simulated site.

Starts Mosquitto on a free port, Home Assistant from .cache/ha-venv with a minimal config,
onboards it through the REST API, adds the MQTT integration through the config-flow REST
API, then starts a site of two gates (the production GateApp on gpiozero's MockFactory pins,
MQTT on). It checks that every entity the gates and the site announce exists, that every
button, switch and the lock act on a gate, that a refused command shows in Home Assistant,
that Home Assistant logged no error or warning about qrgate or MQTT, and that every
discovery payload passes Home Assistant's own platform schemas with unknown keys refused.
Prints a JSON summary (the entities, by device) and exits 0 when all is well, 1 otherwise.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from gatesim.broker import MosquittoBroker, free_port
from qrgate.app import GateApp
from qrgate.config import CameraReaderConfig, Config, GateConfig, LedgerConfig, MqttConfig, SiteConfig, TrustConfig
from qrgate.credentials.keys import new_key
from qrgate.gate.gpio import GpioGateIO
from qrgate.gate.pins import DEFAULT_PINS

REPO = Path(__file__).resolve().parents[2]
HA_VENV = REPO / ".cache" / "ha-venv"
SITE = "hacheck"
GATES = ("north", "south")
PREFIX = "homeassistant"


class Failed(Exception):
    pass


def wait(what: str, condition, seconds: float = 60.0, step: float = 0.5):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise Failed(f"timed out after {seconds:.0f} s waiting for {what}")


class HomeAssistant:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.config_dir = workdir / "ha"
        self.config_dir.mkdir()
        (self.config_dir / "configuration.yaml").write_text(
            "homeassistant:\n  name: Home\n  time_zone: UTC\n  unit_system: metric\n  country: VN\n"
            f"http:\n  server_host: 127.0.0.1\n  server_port: {self.port}\n"
            "api:\nconfig:\nonboarding:\nlogger:\n  default: warning\n")
        self.log = self.config_dir / "ha.log"
        self.token = ""
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        hass = HA_VENV / "bin" / "hass"
        if not hass.exists():
            raise Failed(f"{hass} is missing: run `make ha-check`, which installs Home Assistant 2024.3.3 there")
        self.process = subprocess.Popen([str(hass), "-c", str(self.config_dir), "--skip-pip", "--log-file",
                                         str(self.log)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait("Home Assistant's HTTP server", lambda: self._answers("/api/onboarding"), seconds=180)

    def _answers(self, path: str) -> bool:
        if self.process.poll() is not None:
            raise Failed(f"Home Assistant exited with {self.process.returncode}; see {self.log}")
        try:
            urllib.request.urlopen(self.base + path, timeout=2).read()
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    def request(self, method: str, path: str, body=None, form: dict | None = None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as exc:
            raise Failed(f"{method} {path}: HTTP {exc.code} {exc.read().decode()[:300]}") from None
        return json.loads(text) if text else None

    def onboard(self) -> None:
        client_id = self.base + "/"
        answer = self.request("POST", "/api/onboarding/users", {
            "client_id": client_id, "name": "qrgate check", "username": "check",
            "password": "check-password-not-secret", "language": "en"})
        tokens = self.request("POST", "/auth/token", form={"grant_type": "authorization_code",
                                                            "code": answer["auth_code"], "client_id": client_id})
        # the core-config step would add the default weather, radio and text-to-speech entries: not wanted here
        self.token = tokens["access_token"]

    def add_mqtt(self, broker_port: int) -> None:
        flow = self.request("POST", "/api/config/config_entries/flow", {"handler": "mqtt",
                                                                        "show_advanced_options": False})
        done = self.request("POST", f"/api/config/config_entries/flow/{flow['flow_id']}",
                            {"broker": "127.0.0.1", "port": broker_port})
        if done.get("type") != "create_entry":
            raise Failed(f"the MQTT config flow did not create an entry: {done}")

    def states(self) -> list[dict]:
        return self.request("GET", "/api/states")

    def call(self, domain: str, service: str, entity_id: str) -> None:
        self.request("POST", f"/api/services/{domain}/{service}", {"entity_id": entity_id})

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def complaints(self) -> list[str]:
        """Warning and error lines that mention qrgate or MQTT."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [line for line in text.splitlines()
                if (" ERROR " in line or " WARNING " in line) and ("qrgate" in line or "mqtt" in line.lower())]


def start_gate(workdir: Path, trust: str, gate: str, broker_port: int) -> tuple[GateApp, MockFactory]:
    folder = workdir / gate
    folder.mkdir()
    cfg = Config(site=SiteConfig(id=SITE, secret_file=str(workdir / "site.secret")),
                 gate=GateConfig(id=gate, relay_seconds=0.3), readers=[CameraReaderConfig()],
                 trust=TrustConfig(files=[trust]), ledger=LedgerConfig(path=str(folder / "ledger.db")),
                 mqtt=MqttConfig(host="127.0.0.1", port=broker_port, discovery_prefix=PREFIX,
                                 site_aggregator=gate == GATES[0]))
    pins = MockFactory()
    io = GpioGateIO(pin_factory=pins)
    pins.pin(DEFAULT_PINS["door_contact"]).drive_low()
    pins.pin(DEFAULT_PINS["tamper"]).drive_low()
    return GateApp(cfg, io=io).start(cameras=False), pins


def expected_by_domain(apps: list[GateApp]) -> Counter:
    counts: Counter = Counter()
    for app in apps:
        for topic, _payload in app.reporter.discovery():
            counts[topic.split("/")[1]] += 1
    return counts


def schema_check(apps: list[GateApp]) -> list[dict]:
    messages = [m for app in apps for m in app.reporter.discovery()]
    done = subprocess.run([str(HA_VENV / "bin" / "python"), str(Path(__file__).with_name("ha_schemas.py"))],
                          input=json.dumps(messages), capture_output=True, text=True)
    results = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if len(results) != len(messages):
        raise Failed(f"the schema check did not run: {done.stderr.strip()[-500:]}")
    return results


def by_unique_suffix(states: list[dict], gate: str, key: str) -> str:
    """The entity id HA gave the gate's entity `key` (matched by its friendly name's device part)."""
    wanted = f"qrgate {SITE}/{gate}"
    for state in states:
        name = state["attributes"].get("friendly_name", "")
        if name.startswith(wanted) and state["entity_id"].endswith("_" + key):
            return state["entity_id"]
    raise Failed(f"no entity for {gate}'s {key}")


def ours(states: list[dict]) -> list[dict]:
    """The entities of qrgate's devices (their names start with the device's name)."""
    devices = (f"qrgate site {SITE} ", f"qrgate {SITE}/")
    return [s for s in states if s["attributes"].get("friendly_name", "").startswith(devices)]


def check(workdir: Path) -> dict:
    summary: dict = {"checks": []}
    broker = MosquittoBroker()
    ha = HomeAssistant(workdir)
    apps: list[tuple[GateApp, MockFactory]] = []
    try:
        ha.start()
        ha.onboard()
        ha.add_mqtt(broker.port)
        trust = new_key(workdir / "keys")["trust"]
        apps = [start_gate(workdir, trust, gate, broker.port) for gate in GATES]
        gates = [app for app, _ in apps]
        expected = expected_by_domain(gates)
        seen = lambda: Counter(s["entity_id"].split(".")[0] for s in ours(ha.states()))  # noqa: E731
        try:
            wait("every announced entity in Home Assistant", lambda: seen() == expected, 90)
        except Failed:
            raise Failed(f"entities by domain: announced {dict(expected)}, in Home Assistant {dict(seen())}") from None
        # an entity acts only once its gate's availability has reached Home Assistant
        wait("every entity available", lambda: not [x for x in ours(ha.states()) if x["state"] == "unavailable"], 30)
        states = ours(ha.states())
        summary["entities"] = {device: sorted(s["entity_id"] for s in states
                                              if s["attributes"].get("friendly_name", "").startswith(device))
                               for device in [f"qrgate site {SITE}"] + [f"qrgate {SITE}/{g}" for g in GATES]}
        summary["checks"].append(f"{sum(expected.values())} entities announced, {len(states)} in Home Assistant")

        north, pins = apps[0]
        relay = pins.pin(DEFAULT_PINS["relay"])
        rises = lambda: sum(1 for s in relay.states if s.state)  # noqa: E731
        types = lambda: [e.type for e in north.ledger.events()]  # noqa: E731

        ha.call("button", "press", by_unique_suffix(states, "north", "open_gate"))
        try:
            wait("the open button to pulse the relay", lambda: rises() == 1, 20)
        except Failed:
            raise Failed(f"open button: relay rises {rises()}, gate events {types()}") from None
        ha.call("lock", "open", by_unique_suffix(states, "north", "door_lock"))
        wait("the lock's open to pulse the relay", lambda: rises() == 2, 20)
        ha.call("switch", "turn_on", by_unique_suffix(states, "north", "lockdown"))
        wait("lockdown on", lambda: north.state()["mode"] == "lockdown", 20)
        ha.call("button", "press", by_unique_suffix(states, "north", "open_gate"))
        result_entity = by_unique_suffix(states, "north", "command_result")
        refused = wait("the refused open to show in Home Assistant", lambda: next(
            (s for s in ha.states() if s["entity_id"] == result_entity
             and s["attributes"].get("event_type") == "refused" and s["attributes"].get("reason") == "lockdown"),
            None), 20)
        summary["checks"].append(f"refused open shown: {refused['attributes'].get('reason_text')}")
        ha.call("switch", "turn_off", by_unique_suffix(states, "north", "lockdown"))
        wait("lockdown off", lambda: north.state()["mode"] == "normal", 20)
        ha.call("switch", "turn_on", by_unique_suffix(states, "north", "free_exit"))
        wait("free exit on", lambda: north.state()["free_exit"], 20)
        ha.call("switch", "turn_off", by_unique_suffix(states, "north", "free_exit"))
        wait("free exit off", lambda: not north.state()["free_exit"], 20)
        pins.pin(DEFAULT_PINS["tamper"]).drive_high()
        pins.pin(DEFAULT_PINS["tamper"]).drive_low()
        ha.call("button", "press", by_unique_suffix(states, "north", "acknowledge_alarms"))
        wait("the alarm acknowledged", lambda: "alarm_ack" in types(), 20)
        ha.call("button", "press", by_unique_suffix(states, "north", "reset_today_s_counts"))
        wait("counts reset", lambda: "counts_reset" in types(), 20)
        summary["checks"].append("open button, lock open, lockdown and free-exit switches, acknowledge and "
                                 "reset buttons all acted on the gate")

        schemas = schema_check(gates)
        bad = [r for r in schemas if not r["ok"]]
        summary["checks"].append(f"{len(schemas) - len(bad)} of {len(schemas)} payloads pass HA's platform schemas")
        if bad:
            raise Failed(f"payloads HA's schemas refuse: {bad}")
        complaints = ha.complaints()
        if complaints:
            raise Failed("Home Assistant complained about qrgate or MQTT:\n" + "\n".join(complaints[:20]))
        summary["checks"].append("Home Assistant logged no warning or error about qrgate or MQTT")
        summary["ok"] = True
        return summary
    finally:
        for app, _pins in apps:
            app.stop()
        ha.stop()
        broker.close()


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="qrgate-ha-"))
    try:
        summary = check(workdir)
    except Failed as exc:
        print(json.dumps({"ok": False, "error": str(exc)}, indent=2))
        print(f"Home Assistant's log: {workdir / 'ha' / 'ha.log'}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2))
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
