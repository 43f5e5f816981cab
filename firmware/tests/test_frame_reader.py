"""Cutting packets out of a byte stream: split reads, garbage, several packets at once, stale halves."""

from fwsupport import packet
from gateio.frame import FrameReader

POLL = packet(0x65, 1, 0x60)
ID = packet(0x65, 2, 0x61, b"\x00", mark=False)


def _pop_all(reader):
    out = bytearray(256)
    found = []
    while True:
        n = reader.pop(out)
        if not n:
            return found
        found.append((bytes(out[0:n]), reader.had_mark))


def test_byte_by_byte():
    reader = FrameReader()
    for i in range(len(POLL) - 1):
        reader.feed(POLL[i : i + 1], 0)
        assert _pop_all(reader) == []
    reader.feed(POLL[-1:], 0)
    assert _pop_all(reader) == [(POLL[1:], True)]


def test_two_packets_and_garbage():
    reader = FrameReader()
    reader.feed(b"\x00\x12" + POLL + b"\x99" + ID, 0)
    assert _pop_all(reader) == [(POLL[1:], True), (ID, False)]


def test_false_som_with_impossible_length_is_skipped():
    reader = FrameReader()
    reader.feed(b"\x53\x00\x02\x00\x00" + ID, 0)
    assert _pop_all(reader) == [(ID, False)]


def test_stale_partial_packet_is_dropped():
    reader = FrameReader(gap_ms=50)
    reader.feed(POLL[0:4], 0)
    reader.feed(ID, 100)
    assert _pop_all(reader) == [(ID, False)]
    assert reader.dropped >= 3


def test_overflow_resets_instead_of_growing():
    reader = FrameReader(size=32)
    reader.feed(bytes(40), 0)
    reader.feed(ID, 1)
    assert _pop_all(reader) == [(ID, False)]
