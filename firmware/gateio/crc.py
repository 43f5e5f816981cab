"""OSDP integrity checks: CRC-16 (poly 0x1021, init 0x1D0F) and the 8-bit two's-complement checksum."""

try:
    from micropython import const
except ImportError:
    from gateio.compat import const

_POLY = const(0x1021)
_INIT = const(0x1D0F)


def _make_table():
    # 256 entries of 16 bits, built once at import (512 bytes) so each byte costs one lookup
    import array

    table = array.array("H", [0] * 256)
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ _POLY) if crc & 0x8000 else (crc << 1)
        table[byte] = crc & 0xFFFF
    return table


_TABLE = _make_table()


def crc16(buf, start=0, end=None):
    """CRC-16 of buf[start:end] as OSDP computes it (stored little-endian on the wire)."""
    if end is None:
        end = len(buf)
    crc = _INIT
    table = _TABLE
    for i in range(start, end):
        crc = ((crc << 8) & 0xFFFF) ^ table[((crc >> 8) ^ buf[i]) & 0xFF]
    return crc


def checksum(buf, start=0, end=None):
    """8-bit two's-complement of the byte sum of buf[start:end]."""
    if end is None:
        end = len(buf)
    total = 0
    for i in range(start, end):
        total += buf[i]
    return (-total) & 0xFF
