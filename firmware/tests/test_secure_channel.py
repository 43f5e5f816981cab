"""Secure channel end to end against an independent CP-side implementation (MiniCP)."""

from fwsupport import MiniCP, make_device, packet, parse_reply
from gateio import codes as C

ADDR = 0x65
KEY = b"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"


def _handshake(device, cp, key_sel=1, now=0):
    raw = device.receive(packet(ADDR, 0, C.CMD_CHLNG, cp.rnd_a, scb=bytes([3, C.SCS_11, key_sel])), now)
    _, _, scb, code, data = parse_reply(raw)
    assert code == C.REPLY_CCRYPT, "expected CCRYPT, got %02x" % code
    assert bytes(scb) == bytes([3, C.SCS_12, key_sel])
    rnd_b = data[8:16]
    host = cp.keys(rnd_b)
    assert bytes(data[16:32]) == bytes(cp.expected_client_cryptogram())
    raw = device.receive(packet(ADDR, 1, C.CMD_SCRYPT, host, scb=bytes([3, C.SCS_13, key_sel])), now)
    _, _, scb, code, data = parse_reply(raw)
    assert code == C.REPLY_RMAC_I and bytes(scb) == bytes([3, C.SCS_14, key_sel])
    cp.r_mac = bytearray(data)
    assert device.pd.sc.active


def _secure(device, cp, seq, code, data=b"", now=0):
    if data:
        payload, scb = cp.encrypt(data), bytes([2, C.SCS_17])
    else:
        payload, scb = b"", bytes([2, C.SCS_15])
    raw = device.receive(packet(ADDR, seq, code, payload, scb=scb, mac=cp.command_mac), now)
    assert cp.reply_mac_ok(raw), "reply MAC does not verify"
    _, _, scb, rcode, rdata = parse_reply(raw)
    rdata = bytes(rdata)[:-4]  # strip MAC
    if scb[1] == C.SCS_18:
        rdata = cp.decrypt_reply(rdata)
    else:
        assert scb[1] == C.SCS_16
    return rcode, rdata


def test_handshake_then_secure_poll_out_and_istat():
    device, pins = make_device(scbk=KEY)
    cp = MiniCP(KEY)
    _handshake(device, cp)
    assert _secure(device, cp, 2, C.CMD_POLL) == (C.REPLY_ACK, b"")
    code, _ = _secure(device, cp, 3, C.CMD_OUT, b"\x00\x05\x14\x00")
    assert code == C.REPLY_ACK
    device.tick(1)
    assert pins.relay.level == 1
    code, data = _secure(device, cp, 1, C.CMD_ISTAT)
    assert code == C.REPLY_ISTATR and data == b"\x00\x00\x00"


def test_plain_control_command_refused_when_board_has_key():
    device, pins = make_device(scbk=KEY)
    raw = device.receive(packet(ADDR, 0, C.CMD_OUT, b"\x00\x02\x00\x00"), 0)
    _, _, _, code, data = parse_reply(raw)
    assert code == C.REPLY_NAK and bytes(data) == bytes([C.NAK_SC_CONDITION])
    device.tick(1)
    assert pins.relay.level == 0


def test_bad_mac_tears_channel_down():
    device, _ = make_device(scbk=KEY)
    cp = MiniCP(KEY)
    _handshake(device, cp)
    raw = device.receive(packet(ADDR, 2, C.CMD_POLL, scb=bytes([2, C.SCS_15]), mac=lambda b: b"\0\0\0\0"), 0)
    _, _, _, code, data = parse_reply(raw)
    assert code == C.REPLY_NAK and bytes(data) == bytes([C.NAK_SC_CONDITION])
    assert not device.pd.sc.active


def test_plaintext_while_secure_is_refused():
    device, _ = make_device(scbk=KEY)
    cp = MiniCP(KEY)
    _handshake(device, cp)
    _, _, _, code, data = parse_reply(device.receive(packet(ADDR, 2, C.CMD_POLL), 0))
    assert code == C.REPLY_NAK and bytes(data) == bytes([C.NAK_SC_CONDITION])


def test_wrong_key_fails_handshake():
    device, _ = make_device(scbk=KEY)
    cp = MiniCP(bytes(16))
    raw = device.receive(packet(ADDR, 0, C.CMD_CHLNG, cp.rnd_a, scb=bytes([3, C.SCS_11, 1])), 0)
    _, _, _, code, data = parse_reply(raw)
    host = cp.keys(data[8:16])
    raw = device.receive(packet(ADDR, 1, C.CMD_SCRYPT, host, scb=bytes([3, C.SCS_13, 1])), 0)
    _, _, _, code, data = parse_reply(raw)
    assert code == C.REPLY_NAK and bytes(data) == bytes([C.NAK_SC_CONDITION])
    assert not device.pd.sc.active


def test_default_key_only_in_install_mode():
    device, _ = make_device(scbk=KEY)
    raw = device.receive(packet(ADDR, 0, C.CMD_CHLNG, b"12345678", scb=bytes([3, C.SCS_11, 0])), 0)
    assert parse_reply(raw)[3] == C.REPLY_NAK


def test_install_mode_keyset_commissions_new_key():
    saved = []
    device, _ = make_device(install_mode=True)
    device.pd._on_keyset = saved.append
    cp = MiniCP(C.SCBK_DEFAULT)
    _handshake(device, cp, key_sel=0)
    code, _ = _secure(device, cp, 2, C.CMD_KEYSET, b"\x01\x10" + KEY)
    assert code == C.REPLY_ACK
    assert saved == [KEY] and not device.pd.install_mode
    # the next handshake must use the new key; SCBK-D is no longer accepted
    cp2 = MiniCP(KEY)
    _handshake(device, cp2, key_sel=1)
    raw = device.receive(packet(ADDR, 0, C.CMD_CHLNG, b"12345678", scb=bytes([3, C.SCS_11, 0])), 0)
    assert parse_reply(raw)[3] == C.REPLY_NAK


def test_keyset_in_plaintext_is_refused_by_every_board():
    # keyless, install mode and keyed boards alike: a key only ever comes inside a secure channel
    for settings, nak in (({}, C.NAK_SC_UNSUPPORTED), ({"install_mode": True}, C.NAK_SC_CONDITION),
                          ({"scbk": KEY}, C.NAK_SC_CONDITION)):
        saved = []
        device, _ = make_device(**settings)
        device.pd._on_keyset = saved.append
        before = device.pd.scbk
        raw = device.receive(packet(ADDR, 1, C.CMD_KEYSET, b"\x01\x10" + bytes(16)), 0)
        _, _, _, code, data = parse_reply(raw)
        assert code == C.REPLY_NAK and bytes(data) == bytes([nak]), settings
        assert device.pd.scbk == before and saved == []
        assert device.pd.install_mode == bool(settings.get("install_mode"))


def test_a_keyless_board_still_obeys_plaintext_out_after_a_refused_keyset():
    # the controller is not locked out: the board's key did not change under it
    device, pins = make_device()
    device.receive(packet(ADDR, 1, C.CMD_KEYSET, b"\x01\x10" + bytes(16)), 0)
    _, _, _, code, _ = parse_reply(device.receive(packet(ADDR, 2, C.CMD_OUT, b"\x00\x02\x00\x00"), 1))
    assert code == C.REPLY_ACK
    device.tick(2)
    assert pins.relay.level == 1


def test_secure_reply_repeat_on_same_sequence():
    device, _ = make_device(scbk=KEY)
    cp = MiniCP(KEY)
    _handshake(device, cp)
    saved_r_mac = bytearray(cp.r_mac)
    raw = bytes(device.receive(packet(ADDR, 2, C.CMD_POLL, scb=bytes([2, C.SCS_15]), mac=cp.command_mac), 0))
    cp.r_mac = saved_r_mac  # the CP "lost" the reply and sends the same packet again
    again = bytes(device.receive(packet(ADDR, 2, C.CMD_POLL, scb=bytes([2, C.SCS_15]), mac=cp.command_mac), 5))
    assert again == raw
    assert cp.reply_mac_ok(again)
