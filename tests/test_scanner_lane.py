"""A gate with a serial scanner module as its entry reader: the production GateApp on
MockFactory pins, the reader on a real pty (gatesim's virtual scanner), a real ledger."""

from __future__ import annotations

import time

from gpiozero.pins.mock import MockFactory

from gatesim.scanner import VirtualScanner
from qrgate.app import GateApp
from qrgate.config import (Config, GateConfig, LedgerConfig, MqttConfig, SerialReaderConfig, SiteConfig,
                           TrustConfig)
from qrgate.gate.gpio import GpioGateIO
from qrgate.gate.pins import DEFAULT_PINS
from waiting import wait_until as wait_for

HOUR = 3600


def test_a_scanner_module_opens_the_gate_and_its_loss_is_an_alarm(tmp_path, keys, office):
    link = tmp_path / "scanner"
    scanner = VirtualScanner(link, read_seconds=0.05)
    cfg = Config(site=SiteConfig(secret_file=str(tmp_path / "site.secret")), gate=GateConfig(relay_seconds=0.2),
                 readers=[SerialReaderConfig(port=str(link), direction="entry")],
                 trust=TrustConfig(files=[keys["trust"]]), ledger=LedgerConfig(path=str(tmp_path / "l.db")),
                 mqtt=MqttConfig(enabled=False))
    pins = MockFactory()
    io = GpioGateIO(pin_factory=pins)
    pins.pin(DEFAULT_PINS["door_contact"]).drive_low()
    pins.pin(DEFAULT_PINS["tamper"]).drive_low()
    app = GateApp(cfg, io=io).start()
    try:
        assert wait_for(lambda: app.scanners and app.scanners[0].connected)
        now = time.time()
        scanner.show(office.issue("v1", now - HOUR, now + HOUR))
        assert wait_for(lambda: [e.type for e in app.ledger.events()] == ["entry"])
        assert any(s.state for s in pins.pin(DEFAULT_PINS["relay"]).states)
        scanner.send(b"\x00\x01garbage\xff\r\n")  # refused by the reader, never a scan
        scanner.unplug()
        assert wait_for(lambda: "reader_fault" in app.state()["alarms"])
        assert app.state()["readers"] == [{"kind": "serial", "direction": "entry", "ok": False}]
        scanner.plug()
        assert wait_for(lambda: "reader_fault" not in app.state()["alarms"], 10)
        assert [e.type for e in app.ledger.events()].count("entry") == 1
    finally:
        app.stop()
        scanner.close()
