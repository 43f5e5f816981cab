"""`qrgate doctor`: what a technician checks on day one, one finding per line, each with its fix.

Every check runs against the real part named in the config (the camera, the pins, the OSDP
board, the broker, the clock, the disk, the ledger, the site secret) and turns whatever goes
wrong into a Finding; a missing part is a failed check, never a crash. Nothing here writes:
the ledger is opened read-only, the site secret is never created, and the broker gets one
message: an answer on the gate's own result topic, which tests the ACL.
Run it with the gate's service stopped, or the camera and the pins are busy.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import stat
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from .clock_sync import kernel_clock_synced
from .config import Config
from .config.readers import CameraReaderConfig, HidReaderConfig, SerialReaderConfig
from .errors import QrgateError
from .gate.pins import DEFAULT_PINS

log = logging.getLogger(__name__)

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
CAMERA_SECONDS = 2.0  # frames are counted this long for the frame rate
OPEN_TIMEOUT = 15.0  # a camera or board that takes longer than this to answer has failed
DISK_FAIL_BYTES = 200 * 1024 * 1024
DISK_WARN_BYTES = 1024 * 1024 * 1024
STOP_SERVICE = "stop the gate first: sudo systemctl stop qrgate"


@dataclass(frozen=True)
class Finding:
    check: str
    status: str  # ok, warn, fail, or skip (not checked, with the reason in detail)
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status.upper():4} {self.check:12} {self.detail}"
        return f"{text}\n     fix: {self.fix}" if self.fix and self.status in (FAIL, WARN) else text


def _in_thread(work: Callable, timeout: float):
    """(result, error) of work() within timeout; a hung driver call is left behind, reported as a timeout."""
    box: dict = {}

    def run():
        try:
            box["result"] = work()
        except BaseException as exc:  # any failure of a driver is a finding, not a crash
            box["error"] = exc

    thread = threading.Thread(target=run, name="doctor-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return None, TimeoutError(f"no answer within {timeout:.0f} s")
    return box.get("result"), box.get("error")


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


# -- camera ------------------------------------------------------------------------------
CAMERA_FIX = {
    "picamera2": "check the ribbon cable and 'rpicam-hello --list-cameras'; picamera2 comes from "
                 "'sudo apt install python3-picamera2'; " + STOP_SERVICE + " (the camera has one user)",
    "opencv": "plug the camera in and check 'ls /dev/video*'; the gate's user needs the video group; "
              + STOP_SERVICE,
    "files": "the readers[].files paths must name readable images",
    "video": "readers[].files must name one readable video file",
}


def open_camera(camera: CameraReaderConfig, index: int = 0):
    from . import parts

    source = parts.open_camera(camera)
    return source if hasattr(source, "read") else source()


def measure_camera(source, seconds: float, clock: Callable[[], float] = time.monotonic) -> tuple[int, float, tuple]:
    """(frames, elapsed seconds, shape of the last frame) read from `source` for about `seconds`."""
    frames, shape, started = 0, (), clock()
    while clock() - started < seconds:
        frame = source.read()
        if frame is None:
            if not getattr(source, "is_live", True):
                break  # a replay has ended
            continue
        frames += 1
        shape = frame.shape
    return frames, clock() - started, shape


def check_camera(index: int, camera: CameraReaderConfig, *, seconds: float = CAMERA_SECONDS,
                 opener: Callable = open_camera) -> tuple[Finding, object | None]:
    """The camera opens and delivers frames: resolution and frame rate. Returns the open source."""
    name, fix = f"camera {index}", CAMERA_FIX.get(camera.source, "")
    where = camera.device if camera.source in ("opencv", "picamera2") else ", ".join(camera.files[:2])
    source, error = _in_thread(lambda: opener(camera, index), OPEN_TIMEOUT)
    if error is not None:
        return Finding(name, FAIL, f"{camera.source} {where}: not found or cannot be opened ({_reason(error)})",
                       fix), None
    measured, error = _in_thread(lambda: measure_camera(source, seconds), seconds + OPEN_TIMEOUT)
    if error is not None or not measured or measured[0] == 0:
        why = _reason(error) if error is not None else "no frame"
        return Finding(name, FAIL, f"{camera.source} {where}: opened but delivers no frames ({why})", fix), source
    frames, elapsed, shape = measured
    fps = frames / elapsed if elapsed > 0 else 0.0
    detail = f"{camera.source} {where}: {shape[1]}x{shape[0]} at {fps:.1f} fps ({frames} frames in {elapsed:.1f} s)"
    if getattr(source, "is_live", True) and fps < camera.fps / 2:
        return Finding(name, WARN, detail + f"; configured for {camera.fps} fps",
                       "more light shortens the exposure; or lower cameras[].width/height"), source
    return Finding(name, OK, detail), source


def wait_for_code(source, cfg: Config, trust, seconds: float, *, clock: Callable[[], float] = time.monotonic,
                  wall: Callable[[], float] = time.time) -> Finding:
    """Hold a QR code to the camera: it is read, and what the gate would make of it is shown
    by format and verdict only, never the code's text."""
    from .credentials import verify
    from .vision.decoder import Decoder

    decoder = Decoder(cfg.decoder)
    started = clock()
    while clock() - started < seconds:
        frame = source.read()
        if frame is None:
            if not getattr(source, "is_live", True):
                break
            continue
        codes = decoder.decode(frame)
        if codes:
            text = codes[0].text
            result = verify(text, trust, wall()) if trust is not None else None
            verdict = ("valid" if result.valid else f"refused: {result.reason}") if result else "not verified"
            kind = result.format if result else text.split(":", 1)[0][:4]
            return Finding("code", OK, f"read a {kind} code ({len(text)} characters) after "
                                       f"{clock() - started:.1f} s; {verdict}")
    return Finding("code", FAIL, f"no QR code read in {seconds:g} s",
                   "hold the code 15-40 cm from the camera, in focus and without glare; check the camera line above")


# -- GPIO --------------------------------------------------------------------------------
def check_gpio(cfg: Config, *, pin_factory=None) -> list[Finding]:
    if cfg.gate.backend != "gpio":
        return [Finding("gpio", SKIP, f"not used (gate.backend = {cfg.gate.backend!r})")]
    pins = cfg.gate.pins.model_dump()  # the config already refuses unknown names and shared pins
    findings = []
    moved = {k: v for k, v in pins.items() if DEFAULT_PINS.get(k) not in (None, v)}
    if moved:
        findings.append(Finding("pin map", WARN, "differs from hardware/pinmap.toml [pi]: " + ", ".join(
            f"{k} GPIO {v} (map: {DEFAULT_PINS[k]})" for k, v in sorted(moved.items())),
            "rewire to the pin map, or keep gate.pins and note the change in the cabinet"))
    else:
        findings.append(Finding("pin map", OK, "gate.pins agrees with hardware/pinmap.toml [pi]"))
    # GPIOZERO_PIN_FACTORY (gpiozero's own override, e.g. "mock") needs no GPIO device
    if pin_factory is None and not os.environ.get("GPIOZERO_PIN_FACTORY") and not any(Path("/dev").glob("gpiochip*")):
        findings.append(Finding("gpio", FAIL, "no GPIO on this machine (/dev/gpiochip* absent)",
                                "run on the Raspberry Pi; in a container pass /dev/gpiochip0 through"))
        return findings
    findings.append(_open_pins(pins, pin_factory))
    return findings


def _open_pins(pins: dict[str, int], pin_factory) -> Finding:
    """Open every pin as the gate does (relay off), then let go: a pin held elsewhere fails here."""
    from .gate.gpio import GpioGateIO

    io, error = _in_thread(lambda: GpioGateIO(pins=pins, pin_factory=pin_factory), OPEN_TIMEOUT)
    if error is not None:
        return Finding("gpio", FAIL, f"pins not free: {_reason(error)}",
                       STOP_SERVICE + "; free the pins from other programs; the gate's user needs the gpio group")
    try:
        inputs = f"door contact reads {'open' if io.is_door_open else 'closed'}"
    finally:
        io.close()
    return Finding("gpio", OK, f"{len(pins)} pins free and opened (relay off); {inputs}")


# -- OSDP board --------------------------------------------------------------------------
def check_osdp(cfg: Config, *, wait: float = 8.0) -> list[Finding]:
    gate = cfg.gate
    if gate.backend != "osdp":
        return [Finding("osdp", SKIP, f"not used (gate.backend = {gate.backend!r})")]
    port_fix = f"check the RS-485 adapter and gate.osdp_port; the gate's user needs the dialout group; {STOP_SERVICE}"
    if not gate.osdp_port.startswith(("/dev/pts/",)) and not Path(gate.osdp_port).exists():
        return [Finding("serial", FAIL, f"{gate.osdp_port}: no such serial device", port_fix)]
    from .parts import open_io

    io, error = _in_thread(lambda: open_io(cfg), OPEN_TIMEOUT)
    if error is not None:
        return [Finding("osdp", FAIL, f"{gate.osdp_port}: {_reason(error)}", port_fix)]
    try:
        secure_wanted = gate.osdp_scbk is not None
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and not (io.is_online and (io.link_state.get("secure_channel")
                                                                      or not secure_wanted)):
            time.sleep(0.1)
        state = io.link_state
    finally:
        io.close()
    where = f"board at address {gate.osdp_address} on {gate.osdp_port}"
    if not state.get("online"):
        return [Finding("osdp", FAIL, f"{where}: no answer in {wait:g} s",
                        "check power, the A/B wires, gate.osdp_address and gate.osdp_baud"
                        + ("; a wrong gate.osdp_scbk also looks like this" if secure_wanted else ""))]
    if secure_wanted and not state.get("secure_channel"):
        return [Finding("osdp", FAIL, f"{where}: answers, but the secure channel did not open",
                        "gate.osdp_scbk must be the key the board was installed with (docs/io-board.md)")]
    return [Finding("osdp", OK, f"{where}: online, secure channel {'on' if state.get('secure_channel') else 'off'}")]


def check_serial_reader(index: int, reader: SerialReaderConfig) -> Finding:
    """A serial scanner module speaks only when it reads a code: the port must exist and open."""
    name = f"reader {index}"
    fix = f"check the scanner's cable and readers[{index}].port; the gate's user needs the dialout group"
    if not Path(reader.port).exists():
        return Finding(name, FAIL, f"serial {reader.port}: no such device", fix)
    import serial

    try:
        serial.Serial(reader.port, reader.baud, timeout=0.2).close()
    except (serial.SerialException, OSError) as exc:
        return Finding(name, FAIL, f"serial {reader.port}: cannot open ({exc})", fix + "; " + STOP_SERVICE)
    return Finding(name, OK, f"serial {reader.port} opens at {reader.baud} baud (a scanner speaks when it reads)")


def check_hid_reader(index: int, reader: HidReaderConfig) -> Finding:
    name = f"reader {index}"
    fix = f"plug the scanner in; readers[{index}].device from 'ls /dev/input/by-id/'; the gate's user needs the input group"
    try:
        os.close(os.open(reader.device, os.O_RDONLY | os.O_NONBLOCK))
    except OSError as exc:
        return Finding(name, FAIL, f"hid {reader.device}: cannot open ({exc.strerror})", fix)
    return Finding(name, OK, f"hid {reader.device} opens")


# -- broker ------------------------------------------------------------------------------
def check_broker(cfg: Config, *, timeout: float = 5.0) -> list[Finding]:
    m = cfg.mqtt
    if not m.enabled:
        return [Finding("broker", SKIP, "mqtt.enabled = false")]
    from .comms.client import make_client
    from .comms.topics import GateTopics

    where = f"{m.host}:{m.port}" + (f" as {m.username}" if m.username else " without a user name")
    try:
        client = make_client(f"qrgate-doctor-{cfg.gate.id}-{os.getpid()}", m)  # [mqtt] is a BrokerSettings
    except QrgateError as exc:
        return [Finding("broker", FAIL, str(exc), "fix the mqtt.* TLS paths")]
    connected, subscribed, echoed = threading.Event(), threading.Event(), threading.Event()
    result: dict = {}
    topic = GateTopics(m.topic_prefix, cfg.site.id, cfg.gate.id).result
    probe = json.dumps({"request_id": f"doctor-{os.urandom(6).hex()}", "command": "doctor", "ok": True,
                        "reason": "acl_check", "gate": cfg.gate.id, "at": round(time.time(), 3)})

    def on_connect(_c, _u, _flags, reason, _props):
        result["connect"] = reason
        connected.set()

    def on_subscribe(_c, _u, _mid, _reasons, _props):
        subscribed.set()

    def on_message(_c, _u, message):
        if message.payload.decode("utf-8", "replace") == probe:
            echoed.set()

    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    try:
        client.connect(m.host, m.port, keepalive=10)
    except (OSError, ValueError) as exc:
        return [Finding("broker", FAIL, f"{where}: cannot connect ({exc})",
                        "check mqtt.host and mqtt.port, that the broker runs, and the firewall")]
    client.loop_start()
    try:
        if not connected.wait(timeout):
            return [Finding("broker", FAIL, f"{where}: no answer to CONNECT in {timeout:g} s",
                            "check mqtt.port (TLS or plain?) and mqtt.ca_file")]
        reason = result["connect"]
        if reason.is_failure:
            return [Finding("broker", FAIL, f"{where}: refused ({reason})",
                            "check mqtt.username and mqtt.password against the broker's password file")]
        # Mosquitto grants any SUBACK and silently drops what the ACL denies, so the ACL is tested by
        # a round trip: one answer on the gate's own result topic (dashboards match answers by
        # request_id, so an unasked one is ignored), which the gate must be allowed to write and read
        client.subscribe(topic, qos=1)
        if not subscribed.wait(timeout):
            return [Finding("broker", FAIL, f"{where}: connected, but no SUBACK in {timeout:g} s", "")]
        client.publish(topic, probe, qos=1)
        if not echoed.wait(timeout):
            return [Finding("broker", FAIL, f"{where}: connected, but a message on {topic} did not come back: "
                                            "the ACL refuses this user writing or reading its own topics",
                            "give this gate's user its topics (a 'user <site>-<gate>' block in hardware/mosquitto/acl)")]
        return [Finding("broker", OK, f"{where}: connected{' over TLS' if m.ca_file or m.cert_file else ''}; "
                                      f"the ACL lets it write and read {topic}")]
    finally:
        client.disconnect()
        client.loop_stop()


# -- clock, disk, ledger, secrets --------------------------------------------------------
def check_clock(cfg: Config, *, synced: Callable[[], bool] = kernel_clock_synced) -> list[Finding]:
    if synced():
        return [Finding("clock", OK, "synchronised (the kernel says so)")]
    status = FAIL if cfg.gate.clock_check == "kernel" else WARN
    return [Finding("clock", status, "not synchronised: time-bound passes " +
                    ("are refused until it is" if status == FAIL else "are checked against a clock that may be wrong"),
                    "'timedatectl' should say 'System clock synchronized: yes'; the gate needs a network with "
                    "NTP (sudo systemctl enable --now systemd-timesyncd)")]


def check_disk(cfg: Config) -> list[Finding]:
    folder = Path(cfg.ledger.path).parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    usage = shutil.disk_usage(folder)
    free = f"{usage.free / 2**30:.1f} GiB free of {usage.total / 2**30:.1f} GiB on {folder}"
    if usage.free < DISK_FAIL_BYTES:
        return [Finding("disk", FAIL, free, "free space: old logs (journalctl --vacuum-size=100M), or a larger card")]
    if usage.free < DISK_WARN_BYTES:
        return [Finding("disk", WARN, free, "lower ledger.retention_days or use a larger card")]
    return [Finding("disk", OK, free)]


def check_ledger(cfg: Config) -> list[Finding]:
    path = Path(cfg.ledger.path)
    if not path.exists():
        return [Finding("ledger", OK, f"{path}: not created yet (the gate makes it on first start)")]
    if path.stat().st_size == 0:
        return [Finding("ledger", FAIL, f"{path}: empty file (0 bytes); a log that had events has lost them",
                        "restore the last backup (docs/deploy-pi.md, 'Backups'); on a new gate, delete the file")]
    restore = ("stop the gate, move the file aside, restore the last backup (docs/deploy-pi.md); "
               "the card may be failing: replace it")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        return [Finding("ledger", FAIL, f"{path}: cannot open ({exc})", "the gate's user must own /var/lib/qrgate")]
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
        if problems != ["ok"]:
            return [Finding("ledger", FAIL, f"{path}: damaged: {'; '.join(problems)[:300]}", restore)]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"events", "outbox"} <= tables:
            return [Finding("ledger", FAIL, f"{path}: not a qrgate event log", "point ledger.path at the gate's log")]
        events = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        waiting = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    except sqlite3.Error as exc:
        return [Finding("ledger", FAIL, f"{path}: damaged or unreadable ({exc})", restore)]
    finally:
        conn.close()
    return [Finding("ledger", OK, f"{path}: integrity ok, {events} events, {waiting} not yet sent to the broker")]


def check_secret(cfg: Config) -> list[Finding]:
    return [_secret_here(Path(cfg.site.secret_file)), Finding("secret peers", SKIP, "not checked: no site sync yet")]


def _secret_here(path: Path) -> Finding:
    if not path.exists():
        return Finding("site secret", WARN, f"{path}: absent; the gate makes a new one on first start",
                       "on a site with other gates, copy theirs here first (mode 0600, owner qrgate), "
                       "or this gate's pseudonyms will not match theirs")
    try:
        size = len(path.read_bytes())
    except OSError as exc:
        return Finding("site secret", FAIL, f"{path}: cannot read ({exc.strerror})",
                       "run doctor as the gate's user: sudo -u qrgate qrgate doctor")
    if size < 16:
        return Finding("site secret", FAIL, f"{path}: {size} bytes, at least 16 needed",
                       "restore the site's secret from a backup or another gate")
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return Finding("site secret", FAIL, f"{path}: readable by others (mode {mode & 0o777:o})", f"chmod 600 {path}")
    return Finding("site secret", OK, f"{path}: present ({size} bytes, mode {mode & 0o777:o})")


def check_trust(cfg: Config):
    """The trust files load; returns the store too, for --wait-for-code."""
    from .credentials import TrustStore

    if not cfg.trust.files:
        return [Finding("trust", WARN, "no trust files: every pass will be refused",
                        "copy the issuer's trust.json to /etc/qrgate and list it in trust.files")], None
    try:
        store = TrustStore.from_files(cfg.trust.files, cfg.trust.dcc_schema_dir)
    except QrgateError as exc:
        return [Finding("trust", FAIL, str(exc), "fix trust.files")], None
    return [Finding("trust", OK, f"{len(cfg.trust.files)} trust file(s) loaded")], store


# -- all of it ----------------------------------------------------------------------------
def check_readers(cfg: Config, *, wait_seconds: float | None, camera_seconds: float, trust) -> list[Finding]:
    """Each reader in turn; with wait_seconds, the first camera also waits for a code."""
    findings: list[Finding] = []
    waited = wait_seconds is None
    for i, reader in enumerate(cfg.readers):
        if isinstance(reader, SerialReaderConfig):
            findings.append(check_serial_reader(i, reader))
            continue
        if isinstance(reader, HidReaderConfig):
            findings.append(check_hid_reader(i, reader))
            continue
        finding, source = check_camera(i, reader, seconds=camera_seconds)
        findings.append(finding)
        try:
            if not waited:
                waited = True
                findings.append(_wait(i, reader, finding, source, cfg, trust, wait_seconds))
        finally:
            if source is not None:
                _in_thread(source.close, 5.0)
    if not waited:
        findings.append(Finding("code", SKIP, "not tried: no camera reader"))
    return findings


def _wait(index: int, reader, finding: Finding, source, cfg: Config, trust, seconds: float) -> Finding:
    if finding.status == FAIL or source is None:
        return Finding("code", SKIP, f"not tried: camera {index} delivers no frames")
    if not getattr(source, "is_live", True):  # a replay starts again from its first frame
        _in_thread(source.close, 5.0)
        source = open_camera(reader, index)
    print(f"hold a QR code to camera {index} (waiting up to {seconds:g} s)", file=sys.stderr, flush=True)
    try:
        return wait_for_code(source, cfg, trust, seconds)
    finally:
        _in_thread(source.close, 5.0)


def run_checks(cfg: Config, *, wait_seconds: float | None = None, pin_factory=None,
               camera_seconds: float = CAMERA_SECONDS) -> list[Finding]:
    trust_findings, trust = check_trust(cfg)
    findings = check_readers(cfg, wait_seconds=wait_seconds, camera_seconds=camera_seconds, trust=trust)
    for check in (lambda: check_gpio(cfg, pin_factory=pin_factory), lambda: check_osdp(cfg),
                  lambda: check_broker(cfg), lambda: check_clock(cfg),
                  lambda: check_disk(cfg), lambda: check_ledger(cfg), lambda: check_secret(cfg)):
        try:
            findings.extend(check())
        except Exception as exc:  # one broken check must not hide the others
            log.debug("check failed", exc_info=True)
            findings.append(Finding("doctor", FAIL, f"a check stopped: {type(exc).__name__}: {exc}",
                                    "run with -v and report it"))
    findings.extend(trust_findings)
    return findings


def report(findings: list[Finding]) -> dict:
    return {"ok": all(f.status != FAIL for f in findings), "checks": [asdict(f) for f in findings]}
