"""Structured records reach a journald-style datagram socket as native-protocol fields."""

from __future__ import annotations

import logging
import socket
import struct

from qrgate.journal import JournalHandler


def parse(datagram: bytes) -> dict[str, str]:
    fields, rest = {}, datagram
    while rest:
        line, sep, after = rest.partition(b"\n")
        if b"=" in line:
            key, value = line.split(b"=", 1)
            fields[key.decode()] = value.decode()
            rest = after
        else:  # binary form: KEY \n length(u64 le) value \n
            (size,) = struct.unpack("<Q", after[:8])
            fields[line.decode()] = after[8:8 + size].decode()
            assert after[8 + size:9 + size] == b"\n"
            rest = after[9 + size:]
    return fields


def test_a_record_arrives_with_priority_logger_and_code_fields(tmp_path):
    path = str(tmp_path / "journal")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2)
    logger = logging.getLogger("qrgate.test_journal")
    handler = JournalHandler(socket_path=path)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("camera %d lost", 0)
        fields = parse(sock.recv(65536))
        assert fields["MESSAGE"] == "camera 0 lost"
        assert fields["PRIORITY"] == "4"
        assert fields["SYSLOG_IDENTIFIER"] == "qrgate"
        assert fields["LOGGER"] == "qrgate.test_journal"
        assert fields["CODE_FUNC"] == "test_a_record_arrives_with_priority_logger_and_code_fields"
        try:
            raise ValueError("bad frame")
        except ValueError:
            logger.exception("frame processing failed")
        fields = parse(sock.recv(65536))
        assert fields["PRIORITY"] == "3"
        assert fields["MESSAGE"].startswith("frame processing failed\nTraceback")
        assert "ValueError: bad frame" in fields["MESSAGE"]
    finally:
        logger.removeHandler(handler)
        handler.close()
        sock.close()
