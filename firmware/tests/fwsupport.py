"""Helpers shared by the firmware tests; plain Python that runs on CPython and MicroPython."""

import binascii

from gateio.cipher import BlockCipher
from gateio.config import Config
from gateio.crc import checksum, crc16
from gateio.device import GateDevice, GatePins
from gateio.sc import derive_session_keys


def unhex(text):
    return binascii.unhexlify(text.replace(" ", ""))


class SimPin:
    def __init__(self, level=0):
        self.level = level

    def value(self, level=None):
        if level is None:
            return self.level
        self.level = 1 if level else 0


def make_pins():
    # idle: door shut (0), exit released (pull-up 1), lid on (0)
    return GatePins(SimPin(), SimPin(), SimPin(), SimPin(), SimPin(), SimPin(0), SimPin(1), SimPin(0))


class CountingRandom:
    """Deterministic 'random' bytes so secure channel tests repeat exactly."""

    def __init__(self, start=0xA0):
        self.next = start

    def __call__(self, n):
        out = bytearray(n)
        for i in range(n):
            out[i] = self.next & 0xFF
            self.next += 1
        return bytes(out)


def make_device(now=0, **settings):
    pins = make_pins()
    settings.setdefault("address", 0x65)
    device = GateDevice(pins, Config(**settings), CountingRandom(), now=now)
    return device, pins


def packet(addr, seq, code, data=b"", crc=True, mark=True, scb=None, mac=None):
    """A CP->PD packet as a control panel would send it."""
    body = bytearray([0x53, addr, 0, 0, seq | (4 if crc else 0) | (8 if scb else 0)])
    if scb:
        body.extend(scb)
    body.append(code)
    body.extend(data)
    total = len(body) + (2 if crc else 1) + (4 if mac else 0)
    body[2] = total & 0xFF
    body[3] = total >> 8
    if mac:
        body.extend(mac(body))
    if crc:
        c = crc16(body)
        body.append(c & 0xFF)
        body.append(c >> 8)
    else:
        body.append(checksum(body))
    return (b"\xff" if mark else b"") + bytes(body)


def parse_reply(raw):
    """(addr, seq, scb bytes, code, data) of a PD reply; checks LEN and CRC/checksum."""
    raw = bytes(raw)
    if raw[0] == 0xFF:
        raw = raw[1:]
    assert raw[0] == 0x53, "no SOM"
    assert raw[2] | (raw[3] << 8) == len(raw), "LEN does not match"
    ctrl = raw[4]
    if ctrl & 4:
        end = len(raw) - 2
        assert crc16(raw, 0, end) == raw[end] | (raw[end + 1] << 8), "bad CRC"
    else:
        end = len(raw) - 1
        assert checksum(raw, 0, end) == raw[end], "bad checksum"
    pos = 5
    scb = b""
    if ctrl & 8:
        scb = raw[5 : 5 + raw[5]]
        pos += raw[5]
    return raw[1], ctrl & 3, scb, raw[pos], raw[pos + 1 : end]


class MiniCP:
    """The control-panel half of the secure channel, written separately from gateio.sc for tests."""

    def __init__(self, scbk, rnd_a=b"\xb0\xb1\xb2\xb3\xb4\xb5\xb6\xb7"):
        self.scbk = scbk
        self.rnd_a = rnd_a
        self.r_mac = None
        self.c_mac = None

    def keys(self, rnd_b):
        s_enc, s_mac1, s_mac2 = derive_session_keys(self.scbk, self.rnd_a)
        self.enc = BlockCipher(s_enc)
        self.mac1 = BlockCipher(s_mac1)
        self.mac2 = BlockCipher(s_mac2)
        self.rnd_b = rnd_b
        crypt = bytearray(16)
        self.enc.encrypt_block(bytes(rnd_b) + bytes(self.rnd_a), crypt)
        return crypt  # host cryptogram

    def expected_client_cryptogram(self):
        out = bytearray(16)
        self.enc.encrypt_block(bytes(self.rnd_a) + bytes(self.rnd_b), out)
        return out

    def _cbc_mac(self, data, iv):
        data = bytearray(data)
        if len(data) % 16:
            data.append(0x80)
            while len(data) % 16:
                data.append(0)
        chain = bytearray(iv)
        out = bytearray(16)
        for pos in range(0, len(data), 16):
            block = bytearray(16)
            for i in range(16):
                block[i] = data[pos + i] ^ chain[i]
            (self.mac2 if pos + 16 == len(data) else self.mac1).encrypt_block(block, out)
            chain = bytearray(out)
        return chain

    def command_mac(self, header_and_data):
        self.c_mac = self._cbc_mac(header_and_data, self.r_mac)
        return bytes(self.c_mac[0:4])

    def reply_mac_ok(self, raw):
        raw = bytes(raw)
        if raw[0] == 0xFF:
            raw = raw[1:]
        end = len(raw) - 2 - 4
        mac = self._cbc_mac(raw[0:end], self.c_mac)
        self.r_mac = mac
        return bytes(mac[0:4]) == raw[end : end + 4]

    def encrypt(self, plain):
        data = bytearray(plain)
        data.append(0x80)
        while len(data) % 16:
            data.append(0)
        chain = bytearray(16)
        for i in range(16):
            chain[i] = self.r_mac[i] ^ 0xFF
        out = bytearray()
        block = bytearray(16)
        enc = bytearray(16)
        for pos in range(0, len(data), 16):
            for i in range(16):
                block[i] = data[pos + i] ^ chain[i]
            self.enc.encrypt_block(block, enc)
            out.extend(enc)
            chain = bytearray(enc)
        return bytes(out)

    def decrypt_reply(self, cipher):
        chain = bytearray(16)
        for i in range(16):
            chain[i] = self.c_mac[i] ^ 0xFF
        out = bytearray()
        plain = bytearray(16)
        for pos in range(0, len(cipher), 16):
            block = bytes(cipher[pos : pos + 16])
            self.enc.decrypt_block(block, plain)
            for i in range(16):
                out.append(plain[i] ^ chain[i])
            chain = bytearray(block)
        end = len(out) - 1
        while out[end] == 0:
            end -= 1
        assert out[end] == 0x80, "bad padding"
        return bytes(out[0:end])
