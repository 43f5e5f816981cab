"""Serial 2D scanner modules: lines checked, codes delivered, unplug and replug on a real pty."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from gatesim.scanner import VirtualScanner
from qrgate.readers.lines import Line, LineSplitter, check
from qrgate.readers.serial_reader import SerialReader


def test_cr_lf_and_crlf_each_end_one_line_even_split_across_reads():
    lines = LineSplitter()
    got = lines.feed(b"QG1:ONE\rQG1:TWO\nQG1:THR") + lines.feed(b"EE\r") + lines.feed(b"\nQG1:FOUR\r\n")
    assert got == [Line("QG1:ONE"), Line("QG1:TWO"), Line("QG1:THREE"), Line("QG1:FOUR")]


@pytest.mark.parametrize("raw, reason", [
    (b"\xff\xfe\x00code", "binary"),
    (b"QG1:\x1b[2Jcode", "garbage"),
    (b"   ", "blank"),
    (b"x" * 2049, "over-long"),
])
def test_bad_lines_are_refused_with_a_reason_that_never_holds_the_text(raw, reason):
    line = check(raw)
    assert line.text is None and line.reason.startswith(reason)
    assert "code" not in line.reason and "QG1" not in line.reason


def test_an_over_long_line_is_dropped_to_its_end_and_the_next_line_is_read():
    lines = LineSplitter(max_length=16)
    got = lines.feed(b"A" * 40) + lines.feed(b"B" * 40 + b"\r\nQG1:NEXT\r\n")
    assert [line.text for line in got] == [None, "QG1:NEXT"]
    assert got[0].reason == "over-long line (80 bytes, at most 16)"


def test_unicode_text_is_a_code():
    assert check("QG1:Đà Nẵng".encode()) == Line("QG1:Đà Nẵng")


class Listener:
    def __init__(self):
        self.codes, self.changes = [], []
        self.event = threading.Event()

    def on_code(self, text, now):
        self.codes.append((text, now))
        self.event.set()

    def when_changed(self, ok, reason):
        self.changes.append((ok, reason))
        self.event.set()

    def wait_for(self, predicate, timeout=5.0):
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, (self.codes, self.changes)
            self.event.wait(0.05)
            self.event.clear()


def test_a_scanner_on_a_pty_is_read_refuses_garbage_and_survives_unplug_and_replug(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    port = VirtualScanner(str(tmp_path / "ttyACM0"))
    heard = Listener()
    reader = SerialReader(port.link, name="north-scanner", on_code=heard.on_code, clock=lambda: 1234.5,
                          when_changed=heard.when_changed, backoff=(0.05, 0.2)).start()
    try:
        heard.wait_for(lambda: heard.changes)
        assert heard.changes == [(True, f"serial port {port.link} open")]
        port.send(b"QG1:FIRST\r\n\x00\x07SECRET-GARBAGE\r\n" + b"Z" * 5000 + b"\r\nQG1:SECOND\r")
        heard.wait_for(lambda: len(heard.codes) == 2)
        assert heard.codes == [("QG1:FIRST", 1234.5), ("QG1:SECOND", 1234.5)]
        assert reader.refused == {"garbage": 1, "over-long": 1}
        assert "SECRET-GARBAGE" not in caplog.text and "refused garbage line" in caplog.text

        port.send(b"QG1:HALF-A-LI")  # cut off by the unplug: never a code
        time.sleep(0.2)
        port.unplug()
        heard.wait_for(lambda: len(heard.changes) == 2)
        assert heard.changes[1][0] is False and port.link in heard.changes[1][1]
        time.sleep(0.5)  # several reopen attempts while it is gone: still one report
        assert len(heard.changes) == 2

        port.plug()
        heard.wait_for(lambda: len(heard.changes) == 3)
        assert heard.changes[2] == (True, f"serial port {port.link} open")
        port.send(b"NE\r\nQG1:THIRD\r\n")  # the rest of the cut line is a line of its own, not its end
        heard.wait_for(lambda: len(heard.codes) == 4)
        assert [c for c, _ in heard.codes] == ["QG1:FIRST", "QG1:SECOND", "NE", "QG1:THIRD"]
        assert reader.stats()["losses"] == 1 and reader.stats()["reconnects"] == 1
    finally:
        reader.stop()
        port.unplug()
    assert not reader.is_alive


def test_a_port_missing_at_start_is_reported_once_and_opened_when_it_appears(tmp_path):
    link = str(tmp_path / "ttyUSB0")
    heard = Listener()
    reader = SerialReader(link, name="late", on_code=heard.on_code, when_changed=heard.when_changed,
                          backoff=(0.05, 0.1)).start()
    port = None
    try:
        heard.wait_for(lambda: heard.changes)
        time.sleep(0.3)
        assert len(heard.changes) == 1 and heard.changes[0][0] is False
        assert "cannot be opened" in heard.changes[0][1]
        port = VirtualScanner(link)
        heard.wait_for(lambda: len(heard.changes) == 2)
        port.send(b"QG1:LATE\n")
        heard.wait_for(lambda: heard.codes)
        assert heard.codes[0][0] == "QG1:LATE"
    finally:
        reader.stop()
        if port:
            port.unplug()


def test_a_failing_listener_does_not_stop_the_reader(tmp_path):
    port = VirtualScanner(str(tmp_path / "ttyS9"))
    heard = Listener()

    def on_code(text, now):
        heard.on_code(text, now)
        raise RuntimeError("listener broke")

    reader = SerialReader(port.link, name="s", on_code=on_code, when_changed=heard.when_changed,
                          backoff=(0.05, 0.1)).start()
    try:
        heard.wait_for(lambda: heard.changes)  # pyserial empties the input when it opens the port
        port.send(b"ONE\rTWO\r")
        heard.wait_for(lambda: len(heard.codes) == 2)
        assert reader.is_alive
    finally:
        reader.stop()
        port.unplug()


def test_the_virtual_scanner_sends_a_shown_code_after_its_read_time(tmp_path):
    scanner = VirtualScanner(tmp_path / "ttyACM1", read_seconds=0.1, seed=1)
    heard = Listener()
    reader = SerialReader(scanner.link, name="sim", on_code=heard.on_code, clock=time.monotonic,
                          when_changed=heard.when_changed, backoff=(0.05, 0.1)).start()
    try:
        heard.wait_for(lambda: heard.changes)
        shown = time.monotonic()
        delay = scanner.show("QG1:SHOWN")
        heard.wait_for(lambda: heard.codes)
        assert heard.codes[0][0] == "QG1:SHOWN"
        assert heard.codes[0][1] - shown >= delay * 0.9
    finally:
        reader.stop()
        scanner.close()
