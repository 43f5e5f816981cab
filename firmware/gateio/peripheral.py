"""The OSDP peripheral (PD): checks a command packet, runs it against the gate, builds the reply.

Pure: no clocks, pins or UART here. process() takes one packet and `now`; the reply bytes are
left in self.tx. The last reply is kept so a command repeated with the same sequence number
(the CP's retry after a lost reply) gets the same answer without running it twice.
"""

import struct

from gateio import codes as C
from gateio.crc import checksum, crc16
from gateio.compat import ticks_since
from gateio.sc import SecureChannel

try:
    from micropython import const
except ImportError:
    from gateio.compat import const

_BUF = const(128)
_OUT_RECORD = const(4)
_LED_RECORD = const(14)
_BUZ_RECORD = const(5)


class PdIdentity:
    """What osdp_PDID reports; also the source of the secure channel client UID."""

    def __init__(self, vendor=b"\x00\x00\x00", model=1, version=1, serial=0, firmware=(0, 1, 0)):
        self.vendor = bytes(vendor)
        self.model = model
        self.version = version
        self.serial = serial
        self.firmware = firmware

    def client_uid(self):
        uid = bytearray(8)
        uid[0:2] = self.vendor[0:2]
        uid[2] = self.model
        uid[3] = self.version
        for i in range(4):
            uid[4 + i] = (self.serial >> (8 * i)) & 0xFF
        return uid


class Peripheral:
    def __init__(self, gate, address=0, scbk=None, install_mode=False, identity=None, random_bytes=None, on_keyset=None):
        if not 0 <= address < C.BROADCAST:
            raise ValueError("OSDP address must be 0..126")
        if scbk is not None and len(scbk) != 16:
            raise ValueError("SCBK must be 16 bytes")
        self.gate = gate
        self.address = address
        self.scbk = bytes(scbk) if scbk is not None else None
        self.install_mode = install_mode
        self.identity = identity or PdIdentity()
        self._random = random_bytes
        self._on_keyset = on_keyset
        self.sc = SecureChannel()
        self.tx = bytearray(_BUF)
        self._payload = bytearray(_BUF)
        self._last = bytearray(_BUF)
        self._tx_view = memoryview(self.tx)  # views: copying between buffers allocates nothing big
        self._last_view = memoryview(self._last)
        self._last_len = 0
        self._last_seq = -1
        self._seq = 0
        self._crc = True
        self._mark = True
        self._reply_scb = 0
        self._key_sel = 1
        self.last_valid_ms = None  # ticks of the last command answered without NAK
        self.counts = {"rx": 0, "nak": 0, "repeat": 0}

    @property
    def sc_capable(self):
        return self.scbk is not None or self.install_mode

    def is_online(self, now, timeout_ms):
        return self.last_valid_ms is not None and ticks_since(now, self.last_valid_ms) <= timeout_ms

    # ---- packet in, reply out -------------------------------------------------------------

    def process(self, pkt, length, has_mark, now):
        """Handle one packet (pkt[0] == SOM); return the reply length in self.tx (0: stay silent)."""
        addr = pkt[1]
        if addr & C.REPLY_BIT:
            return 0  # another PD's reply on a shared bus
        if addr != self.address and addr != C.BROADCAST:
            return 0
        ctrl = pkt[4]
        self._crc = bool(ctrl & C.CTRL_CRC)
        self._mark = has_mark
        self._seq = ctrl & C.CTRL_SEQ
        self._reply_scb = 0
        self.counts["rx"] += 1
        if self._crc:
            end = length - 2
            ok = end > 5 and crc16(pkt, 0, end) == pkt[end] | (pkt[end + 1] << 8)
        else:
            end = length - 1
            ok = end > 5 and checksum(pkt, 0, end) == pkt[end]
        if not ok:
            return self._nak(C.NAK_MSG_CHECK, remember=False)
        if self._seq == 0:
            # the CP (re)starts the conversation: no repeat, no secure session survives
            self._last_seq = -1
            self.sc.reset()
        elif self._seq == self._last_seq and self._last_len:
            self.counts["repeat"] += 1
            self._tx_view[0 : self._last_len] = self._last_view[0 : self._last_len]
            return self._last_len
        n = self._run(pkt, end, now)
        size = self._finish(n)
        self._last_view[0:size] = self._tx_view[0:size]
        self._last_len = size
        self._last_seq = self._seq
        if self._payload[0] != C.REPLY_NAK:
            self.last_valid_ms = now
        return size

    def _run(self, pkt, end, now):
        pos = 5
        scb_type = 0
        if pkt[4] & C.CTRL_SCB:
            scb_len = pkt[5]
            if scb_len < 2 or pos + scb_len >= end:
                return self._nak_payload(C.NAK_CMD_LENGTH)
            if not self.sc_capable:
                return self._nak_payload(C.NAK_SC_UNSUPPORTED)
            scb_type = pkt[6]
            if scb_type < C.SCS_11 or scb_type > C.SCS_18:
                return self._nak_payload(C.NAK_SC_CONDITION)
            self._key_sel = pkt[7] if scb_len >= 3 else 1
            pos += scb_len
        code = pkt[pos]
        start = pos + 1
        stop = end
        if scb_type >= C.SCS_15:
            if not self.sc.active:
                return self._nak_payload(C.NAK_SC_CONDITION)
            stop = end - 4
            if stop < start:
                return self._nak_payload(C.NAK_CMD_LENGTH)
            if not self.sc.check_command_mac(pkt, 0, stop, stop):
                self.sc.reset()
                return self._nak_payload(C.NAK_SC_CONDITION)
            if scb_type == C.SCS_17:
                plain = self.sc.decrypt_command(pkt, start, stop - start)
                if plain < 0:
                    self.sc.reset()
                    return self._nak_payload(C.NAK_SC_CONDITION)
                stop = start + plain
        elif self.sc.active:
            if code in (C.CMD_CHLNG, C.CMD_SCRYPT):
                self.sc.reset()  # the CP starts a new handshake
            else:
                self.sc.reset()
                return self._nak_payload(C.NAK_SC_CONDITION)
        return self._dispatch(code, pkt, start, stop - start, scb_type, now)

    # ---- commands -------------------------------------------------------------------------

    def _dispatch(self, code, pkt, start, size, scb_type, now):
        gate = self.gate
        p = self._payload
        if code == C.CMD_POLL:
            if size:
                return self._nak_payload(C.NAK_CMD_LENGTH)
            return self._poll_reply()
        if code in (C.CMD_ID, C.CMD_CAP):
            if size != 1:
                return self._nak_payload(C.NAK_CMD_LENGTH)
            if code == C.CMD_ID:
                return self._pdid()
            # a CP reads capabilities when a session starts: report inputs and outputs
            # on the next polls so it learns the current state without asking
            gate.inputs.changed = True
            gate.outputs_changed = True
            return self._pdcap()
        if code in (C.CMD_LSTAT, C.CMD_ISTAT, C.CMD_OSTAT):
            if size:
                return self._nak_payload(C.NAK_CMD_LENGTH)
            if code == C.CMD_LSTAT:
                return self._lstatr()
            if code == C.CMD_ISTAT:
                return self._istatr()
            return self._ostatr()
        if code == C.CMD_CHLNG:
            return self._challenge(pkt, start, size, scb_type)
        if code == C.CMD_SCRYPT:
            return self._scrypt(pkt, start, size, scb_type)
        if code == C.CMD_KEYSET and not self.sc.active:
            # a key is only ever taken inside a secure channel (in install mode: the one opened
            # with SCBK-D), never in plain text, whatever the board's state
            return self._nak_payload(C.NAK_SC_CONDITION if self.sc_capable else C.NAK_SC_UNSUPPORTED)
        if code in (C.CMD_OUT, C.CMD_LED, C.CMD_BUZ, C.CMD_KEYSET):
            if self.scbk is not None and not self.sc.active:
                # a board with a key obeys no plaintext control command
                return self._nak_payload(C.NAK_SC_CONDITION)
            if code == C.CMD_OUT:
                return self._out(pkt, start, size, now)
            if code == C.CMD_LED:
                return self._led(pkt, start, size, now)
            if code == C.CMD_BUZ:
                return self._buz(pkt, start, size, now)
            return self._keyset(pkt, start, size)
        p[0] = C.REPLY_NAK
        p[1] = C.NAK_UNKNOWN_CMD
        return 2

    def _poll_reply(self):
        gate = self.gate
        if gate.inputs.changed:
            gate.inputs.changed = False
            return self._istatr()
        if gate.outputs_changed:
            gate.outputs_changed = False
            return self._ostatr()
        if gate.local_changed:
            gate.local_changed = False
            return self._lstatr()
        self._payload[0] = C.REPLY_ACK
        return 1

    def _pdid(self):
        p = self._payload
        ident = self.identity
        p[0] = C.REPLY_PDID
        p[1:4] = ident.vendor[0:3]
        p[4] = ident.model
        p[5] = ident.version
        struct.pack_into("<I", p, 6, ident.serial & 0xFFFFFFFF)
        p[10] = ident.firmware[0]
        p[11] = ident.firmware[1]
        p[12] = ident.firmware[2]
        return 13

    def _pdcap(self):
        gate = self.gate
        sc_level = 1 if self.sc_capable else 0
        entries = (
            (C.CAP_CONTACT_STATUS, 1, len(gate.inputs.states)),
            (C.CAP_OUTPUT_CONTROL, 1, len(gate.outputs)),
            (C.CAP_LED_CONTROL, 4, len(gate.leds)),
            (C.CAP_AUDIBLE_OUTPUT, 2, len(gate.buzzers)),
            (C.CAP_CHECK_CHARACTER, 1, 0),
            (C.CAP_COMM_SECURITY, sc_level, sc_level),
            (C.CAP_RECEIVE_BUFFER, _BUF & 0xFF, _BUF >> 8),
            (C.CAP_COMBINED_MESSAGE, _BUF & 0xFF, _BUF >> 8),
        )
        p = self._payload
        p[0] = C.REPLY_PDCAP
        n = 1
        for code, level, items in entries:
            p[n] = code
            p[n + 1] = level
            p[n + 2] = items
            n += 3
        return n

    def _lstatr(self):
        p = self._payload
        p[0] = C.REPLY_LSTATR
        p[1] = 1 if self.gate.tamper_active() else 0
        p[2] = 0  # power: normal (no supply monitor on this board)
        return 3

    def _istatr(self):
        states = self.gate.inputs.states
        p = self._payload
        p[0] = C.REPLY_ISTATR
        p[1 : 1 + len(states)] = states
        return 1 + len(states)

    def _ostatr(self):
        p = self._payload
        p[0] = C.REPLY_OSTATR
        levels = self.gate.output_levels
        p[1 : 1 + len(levels)] = levels
        return 1 + len(levels)

    def _out(self, pkt, start, size, now):
        outputs = self.gate.outputs
        if size == 0 or size % _OUT_RECORD:
            return self._nak_payload(C.NAK_CMD_LENGTH)
        for pos in range(start, start + size, _OUT_RECORD):
            if pkt[pos] >= len(outputs):
                return self._nak_payload(C.NAK_UNABLE)
        for pos in range(start, start + size, _OUT_RECORD):
            timer = pkt[pos + 2] | (pkt[pos + 3] << 8)
            if not outputs[pkt[pos]].command(pkt[pos + 1], timer, now):
                return self._nak_payload(C.NAK_UNABLE)
        return self._ack()

    def _led(self, pkt, start, size, now):
        leds = self.gate.leds
        if size == 0 or size % _LED_RECORD:
            return self._nak_payload(C.NAK_CMD_LENGTH)
        for pos in range(start, start + size, _LED_RECORD):
            if pkt[pos] != 0 or pkt[pos + 1] >= len(leds):
                return self._nak_payload(C.NAK_UNABLE)
        for pos in range(start, start + size, _LED_RECORD):
            led = leds[pkt[pos + 1]]
            timer = pkt[pos + 7] | (pkt[pos + 8] << 8)
            ok = led.set_temporary(pkt[pos + 2], pkt[pos + 3], pkt[pos + 4], pkt[pos + 5], pkt[pos + 6], timer, now)
            ok = led.set_permanent(pkt[pos + 9], pkt[pos + 10], pkt[pos + 11], pkt[pos + 12], pkt[pos + 13], now) and ok
            if not ok:
                return self._nak_payload(C.NAK_UNABLE)
        return self._ack()

    def _buz(self, pkt, start, size, now):
        buzzers = self.gate.buzzers
        if size == 0 or size % _BUZ_RECORD:
            return self._nak_payload(C.NAK_CMD_LENGTH)
        for pos in range(start, start + size, _BUZ_RECORD):
            if pkt[pos] >= len(buzzers):
                return self._nak_payload(C.NAK_UNABLE)
            if not buzzers[pkt[pos]].command(pkt[pos + 1], pkt[pos + 2], pkt[pos + 3], pkt[pos + 4], now):
                return self._nak_payload(C.NAK_UNABLE)
        return self._ack()

    def _keyset(self, pkt, start, size):
        if size != 18 or pkt[start] != 1 or pkt[start + 1] != 16:
            return self._nak_payload(C.NAK_CMD_LENGTH)
        self.scbk = bytes(pkt[start + 2 : start + 18])
        self.install_mode = False  # commissioning is over once the real key is in
        if self._on_keyset is not None:
            self._on_keyset(self.scbk)
        return self._ack()

    # ---- secure channel handshake ---------------------------------------------------------

    def _challenge(self, pkt, start, size, scb_type):
        if scb_type != C.SCS_11 or size != 8:
            return self._nak_payload(C.NAK_SC_CONDITION if scb_type != C.SCS_11 else C.NAK_CMD_LENGTH)
        if self._key_sel == 0:
            if not self.install_mode:
                return self._nak_payload(C.NAK_SC_CONDITION)
            key = C.SCBK_DEFAULT
        else:
            if self.scbk is None:
                return self._nak_payload(C.NAK_SC_CONDITION)
            key = self.scbk
        rnd_b = self._random(8)
        cryptogram = self.sc.challenge(key, pkt[start : start + 8], rnd_b, self._key_sel == 0)
        p = self._payload
        p[0] = C.REPLY_CCRYPT
        p[1:9] = self.identity.client_uid()
        p[9:17] = rnd_b
        p[17:33] = cryptogram
        self._reply_scb = C.SCS_12
        return 33

    def _scrypt(self, pkt, start, size, scb_type):
        if scb_type != C.SCS_13 or size != 16:
            return self._nak_payload(C.NAK_SC_CONDITION if scb_type != C.SCS_13 else C.NAK_CMD_LENGTH)
        rmac = self.sc.confirm(pkt[start : start + 16])
        if rmac is None:
            return self._nak_payload(C.NAK_SC_CONDITION)
        p = self._payload
        p[0] = C.REPLY_RMAC_I
        p[1:17] = rmac
        self._reply_scb = C.SCS_14
        return 17

    # ---- reply building -------------------------------------------------------------------

    def _ack(self):
        self._payload[0] = C.REPLY_ACK
        return 1

    def _nak_payload(self, reason):
        self._payload[0] = C.REPLY_NAK
        self._payload[1] = reason
        self._reply_scb = 0
        return 2

    def _nak(self, reason, remember=True):
        size = self._finish(self._nak_payload(reason))
        if remember:
            self._last_view[0:size] = self._tx_view[0:size]
            self._last_len = size
        return size

    def _finish(self, n):
        """Frame payload[0:n] into self.tx: header, security block, (encrypted) data, MAC, check."""
        if self._payload[0] == C.REPLY_NAK:
            self.counts["nak"] += 1
        tx = self.tx
        start = 0
        if self._mark:
            tx[0] = C.MARK
            start = 1
        tx[start] = C.SOM
        tx[start + 1] = self.address | C.REPLY_BIT
        ctrl = self._seq | (C.CTRL_CRC if self._crc else 0)
        q = start + 5
        secure = False
        if self._reply_scb:
            ctrl |= C.CTRL_SCB
            tx[q] = 3
            tx[q + 1] = self._reply_scb
            tx[q + 2] = 0 if self.sc.used_default_key else 1
            q += 3
        elif self.sc.active:
            ctrl |= C.CTRL_SCB
            secure = True
            tx[q] = 2
            tx[q + 1] = C.SCS_18 if n > 1 else C.SCS_16
            q += 2
        tx[start + 4] = ctrl
        self._tx_view[q : q + n] = memoryview(self._payload)[0:n]
        if secure and n > 1:
            q += 1 + self.sc.encrypt_reply(tx, q + 1, n - 1)
        else:
            q += n
        total = q - start + (4 if secure else 0) + (2 if self._crc else 1)
        struct.pack_into("<H", tx, start + 2, total)
        if secure:
            self.sc.sign_reply(tx, start, q)
            q += 4
        if self._crc:
            struct.pack_into("<H", tx, q, crc16(tx, start, q))
            q += 2
        else:
            tx[q] = checksum(tx, start, q)
            q += 1
        return q
