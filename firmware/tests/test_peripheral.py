"""OSDP peripheral behaviour: replies, NAK codes, sequence numbers and retries, status reports."""

from fwsupport import make_device, packet, parse_reply
from gateio import codes as C

ADDR = 0x65


def _ask(device, seq, code, data=b"", now=0, **kw):
    reply = device.receive(packet(ADDR, seq, code, data, **kw), now)
    assert reply is not None, "no reply"
    return parse_reply(reply)


def test_poll_ack_and_reply_address_has_bit7():
    device, _ = make_device()
    addr, seq, _, code, data = _ask(device, 0, C.CMD_POLL)
    assert addr == ADDR | 0x80 and seq == 0 and code == C.REPLY_ACK and data == b""


def test_checksum_mode_is_mirrored():
    device, _ = make_device()
    raw = device.receive(packet(ADDR, 0, C.CMD_POLL, crc=False), 0)
    assert not (bytes(raw)[5] & 4)  # ctrl byte (after mark) has no CRC flag
    assert parse_reply(raw)[3] == C.REPLY_ACK


def test_reply_without_mark_when_cp_sends_none():
    device, _ = make_device()
    raw = bytes(device.receive(packet(ADDR, 0, C.CMD_POLL, mark=False), 0))
    assert raw[0] == 0x53


def test_other_address_is_ignored_and_broadcast_answered():
    device, _ = make_device()
    assert device.receive(packet(0x10, 0, C.CMD_POLL), 0) is None
    addr, _, _, code, _ = parse_reply(device.receive(packet(0x7F, 0, C.CMD_POLL), 0))
    assert addr == ADDR | 0x80 and code == C.REPLY_ACK


def test_bad_crc_gets_nak_message_check():
    device, _ = make_device()
    raw = bytearray(packet(ADDR, 0, C.CMD_POLL))
    raw[-1] ^= 0xFF
    _, _, _, code, data = parse_reply(device.receive(bytes(raw), 0))
    assert code == C.REPLY_NAK and bytes(data) == bytes([C.NAK_MSG_CHECK])


def test_unknown_command_and_bad_length():
    device, _ = make_device()
    _, _, _, code, data = _ask(device, 0, C.CMD_TEXT, b"\x00\x01\x00\x00\x00\x01A")
    assert code == C.REPLY_NAK and bytes(data) == bytes([C.NAK_UNKNOWN_CMD])
    _, _, _, code, data = _ask(device, 1, C.CMD_OUT, b"\x00\x05\x0a")
    assert code == C.REPLY_NAK and bytes(data) == bytes([C.NAK_CMD_LENGTH])
    _, _, _, code, data = _ask(device, 2, C.CMD_POLL, b"\x00")
    assert code == C.REPLY_NAK and bytes(data) == bytes([C.NAK_CMD_LENGTH])


def test_repeated_sequence_gets_same_reply_without_running_twice():
    device, pins = make_device()
    _ask(device, 0, C.CMD_POLL, now=0)
    first = bytes(device.receive(packet(ADDR, 1, C.CMD_OUT, b"\x00\x05\x0a\x00"), 10))
    device.tick(10)
    assert pins.relay.level == 1
    device.inputs.changed = True  # a fresh POLL would now answer ISTATR, a repeat must not
    again = bytes(device.receive(packet(ADDR, 1, C.CMD_OUT, b"\x00\x05\x0a\x00"), 20))
    assert again == first
    assert device.pd.counts["repeat"] == 1


def test_pdid_and_pdcap_contents():
    device, _ = make_device(vendor=b"ABC", serial=0x01020304)
    _, _, _, code, data = _ask(device, 0, C.CMD_ID, b"\x00")
    assert code == C.REPLY_PDID and len(data) == 12
    assert data[0:3] == b"ABC" and data[5:9] == b"\x04\x03\x02\x01"
    _, _, _, code, data = _ask(device, 1, C.CMD_CAP, b"\x00")
    assert code == C.REPLY_PDCAP and len(data) % 3 == 0
    caps = {}
    for i in range(0, len(data), 3):
        caps[data[i]] = (data[i + 1], data[i + 2])
    assert caps[C.CAP_CONTACT_STATUS][1] == 3
    assert caps[C.CAP_OUTPUT_CONTROL][1] == 1
    assert caps[C.CAP_CHECK_CHARACTER][0] == 1
    assert caps[C.CAP_COMM_SECURITY][0] == 0  # no key, not in install mode


def test_out_timed_then_ostat_reports_on_then_off():
    device, pins = make_device()
    _ask(device, 0, C.CMD_POLL, now=0)
    _, _, _, code, _ = _ask(device, 1, C.CMD_OUT, b"\x00\x05\x0a\x00", now=0)  # 10 x 100 ms
    assert code == C.REPLY_ACK
    device.tick(5)
    _, _, _, code, data = _ask(device, 2, C.CMD_OSTAT, now=5)
    assert code == C.REPLY_OSTATR and bytes(data) == b"\x01" and pins.relay.level == 1
    device.tick(999)
    assert pins.relay.level == 1
    device.tick(1000)
    assert pins.relay.level == 0
    _, _, _, code, data = _ask(device, 3, C.CMD_OSTAT, now=1001)
    assert bytes(data) == b"\x00"


def test_out_to_missing_output_is_refused():
    device, _ = make_device()
    _, _, _, code, data = _ask(device, 0, C.CMD_OUT, b"\x03\x02\x00\x00")
    assert code == C.REPLY_NAK and bytes(data) == bytes([C.NAK_UNABLE])


def test_led_and_buz_commands_drive_pins():
    device, pins = make_device()
    led = bytes([0, 0, 2, 5, 5, C.COLOR_AMBER, C.COLOR_BLACK, 30, 0, 1, 1, 0, C.COLOR_BLUE, C.COLOR_BLACK])
    assert _ask(device, 0, C.CMD_LED, led, now=0)[3] == C.REPLY_ACK
    assert _ask(device, 1, C.CMD_BUZ, bytes([0, 2, 2, 1, 2]), now=0)[3] == C.REPLY_ACK
    device.tick(100)
    assert (pins.led_red.level, pins.led_green.level, pins.led_blue.level) == (1, 1, 0)  # amber
    assert pins.buzzer.level == 1
    device.tick(700)  # temporary: 500 ms on, 500 ms off
    assert (pins.led_red.level, pins.led_green.level) == (0, 0)
    assert pins.buzzer.level == 0  # 2 beeps of 300 ms period are over
    _ask(device, 2, C.CMD_POLL, now=3000)  # keep the link alive (1 s offline rule)
    device.tick(3100)  # temporary timer (3 s) over: permanent blue
    assert (pins.led_red.level, pins.led_green.level, pins.led_blue.level) == (0, 0, 1)


def test_input_change_is_reported_on_next_poll_then_ack():
    device, pins = make_device()
    _ask(device, 0, C.CMD_POLL, now=0)
    pins.door_contact.level = 1  # door opens
    device.tick(10)
    device.tick(40)  # past the 20 ms debounce
    _, _, _, code, data = _ask(device, 1, C.CMD_POLL, now=41)
    assert code == C.REPLY_ISTATR and bytes(data) == b"\x01\x00\x00"
    assert _ask(device, 2, C.CMD_POLL, now=50)[3] == C.REPLY_ACK
    _, _, _, code, data = _ask(device, 3, C.CMD_ISTAT, now=60)
    assert code == C.REPLY_ISTATR and bytes(data) == b"\x01\x00\x00"


def test_lstat_reports_tamper():
    device, pins = make_device()
    pins.tamper.level = 1
    device.tick(0)
    device.tick(30)
    _, _, _, code, data = _ask(device, 0, C.CMD_LSTAT, now=31)
    assert code == C.REPLY_LSTATR and bytes(data) == b"\x01\x00"


def test_state_reported_once_after_capabilities_are_read():
    device, pins = make_device()
    pins.door_contact.level = 1
    device.tick(0)
    device.tick(30)
    device.inputs.changed = False
    assert _ask(device, 0, C.CMD_CAP, b"\x00")[3] == C.REPLY_PDCAP
    _, _, _, code, data = _ask(device, 1, C.CMD_POLL)
    assert code == C.REPLY_ISTATR and bytes(data) == b"\x01\x00\x00"
    _, _, _, code, data = _ask(device, 2, C.CMD_POLL)
    assert code == C.REPLY_OSTATR and bytes(data) == b"\x00"
    assert _ask(device, 3, C.CMD_POLL)[3] == C.REPLY_ACK
