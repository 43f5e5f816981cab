"""The byte vectors of shared/corpora/osdp/VECTORS.md (libosdp unit tests, SIA OSDP Annex E)."""

from fwsupport import make_device, unhex, CountingRandom
from gateio.cipher import ecb_encrypt
from gateio.crc import checksum, crc16
from gateio.sc import SecureChannel, derive_session_keys
from gateio import codes as C


def _check_crc_packet(hex_with_mark):
    raw = unhex(hex_with_mark)[1:]  # drop the 0xFF mark
    assert raw[2] | (raw[3] << 8) == len(raw)
    return crc16(raw, 0, len(raw) - 2) == raw[-2] | (raw[-1] << 8)


def test_plain_frames_crc_and_checksum():
    assert _check_crc_packet("FF 53 65 08 00 04 60 60 90")  # P1 POLL
    assert _check_crc_packet("FF 53 65 09 00 04 61 00 D9 7A")  # P2 ID
    p3 = unhex("53 E5 07 00 01 40 80")  # P3 ACK, checksum
    assert checksum(p3, 0, 6) == 0x80
    assert _check_crc_packet("FF 53 E5 09 00 05 41 01 0E 8F")  # P4 NAK


def test_annex_e_crc_and_checksum():
    assert crc16(unhex("53 7F 0D 00 04 6E 00 80 25 00 00")) == 0x386E
    assert crc16(unhex("53 00 09 00 04 61 00")) == 0x66C0
    assert checksum(unhex("53 7F 0C 00 00 6E 00 80 25 00 00")) == 0x0F
    assert checksum(unhex("53 00 08 00 00 61 00")) == 0x44


def test_annex_e_key_derivation():
    scbk_d = unhex("303132333435363738393A3B3C3D3E3F")
    assert scbk_d == C.SCBK_DEFAULT
    rnd_a = unhex("B0B1B2B3B4B5B6B7")
    s_enc, s_mac1, s_mac2 = derive_session_keys(scbk_d, rnd_a)
    assert s_enc == unhex("BF8DC2A8329ACB8C67C6D0CD9A451682")
    assert s_mac1 == unhex("5E86C676603BDEE2D8BEAFE178637332")
    assert s_mac2 == unhex("6FDA86E857777E81132035758239172E")


def test_annex_e_cryptograms_and_initial_rmac():
    rnd_a = unhex("B0B1B2B3B4B5B6B7")
    rnd_b = unhex("A0A1A2A3A4A5A6A7")
    sc = SecureChannel()
    client = sc.challenge(C.SCBK_DEFAULT, rnd_a, rnd_b, default_key=True)
    assert bytes(client) == unhex("FDE5D2F428EC16312471EA3C02BD7796")
    host = unhex("26D3356E07762D262801FC8E6665A891")
    rmac = sc.confirm(host)
    assert rmac is not None and sc.active
    assert bytes(rmac) == unhex("B2A30057EB98BA2229EC1F875662B524")


def test_wrong_host_cryptogram_is_refused():
    sc = SecureChannel()
    sc.challenge(C.SCBK_DEFAULT, unhex("B0B1B2B3B4B5B6B7"), unhex("A0A1A2A3A4A5A6A7"))
    assert sc.confirm(bytes(16)) is None
    assert not sc.active


def test_fips197_block():
    out = ecb_encrypt(bytes(range(16)), unhex("00112233445566778899AABBCCDDEEFF"))
    assert bytes(out) == unhex("69C4E0D86A7B0430D8CDB78070B4C55A")


def test_board_answers_p1_poll_with_ack():
    device, _ = make_device()
    reply = bytes(device.receive(unhex("FF 53 65 08 00 04 60 60 90"), 0))
    # ACK, seq 0, CRC, address 0xE5, mark kept because the CP sent one
    assert reply[0:7] == unhex("FF 53 E5 08 00 04 40")
    assert crc16(reply, 1, 7) == reply[7] | (reply[8] << 8)


def test_board_answers_p2_id_with_pdid():
    device, _ = make_device()
    reply = bytes(device.receive(unhex("FF 53 65 09 00 04 61 00 D9 7A"), 0))
    assert reply[1:3] == unhex("53 E5") and reply[6] == C.REPLY_PDID
    assert reply[3] == len(reply) - 1


def test_board_naks_s3_style_bad_scb_type():
    # S3's SCB type 0x19 sent towards the PD: a PD with secure channel answers NAK "SC condition"
    device, _ = make_device(scbk=bytes(16))
    from fwsupport import packet, parse_reply

    raw = packet(0x65, 1, C.CMD_POLL, scb=b"\x02\x19")
    _, _, _, code, data = parse_reply(device.receive(raw, 0))
    assert code == C.REPLY_NAK and bytes(data) == b"\x06"


def test_board_naks_s4_style_mac_without_session():
    device, _ = make_device(scbk=bytes(16))
    from fwsupport import packet, parse_reply

    raw = packet(0x65, 1, C.CMD_POLL, scb=b"\x02\x15", mac=lambda body: b"\x00\x00\x00\x00")
    _, _, _, code, data = parse_reply(device.receive(raw, 0))
    assert code == C.REPLY_NAK and bytes(data) == b"\x06"
