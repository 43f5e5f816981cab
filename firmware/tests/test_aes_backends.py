"""The plain-Python AES used where the board has no cryptolib agrees with the selected backend."""

from fwsupport import unhex
from gateio.aes_pure import aes as pure_aes
from gateio.cipher import BlockCipher


def test_pure_aes_fips197_encrypt_and_decrypt():
    key = bytes(range(16))
    plain = unhex("00112233445566778899AABBCCDDEEFF")
    cipher = unhex("69C4E0D86A7B0430D8CDB78070B4C55A")
    assert pure_aes(key, 1).encrypt(plain) == cipher
    assert pure_aes(key, 1).decrypt(cipher) == plain


def test_pure_aes_matches_selected_backend_on_many_blocks():
    key = unhex("2B7E151628AED2A6ABF7158809CF4F3C")
    block = bytearray(16)
    ours = bytearray(16)
    theirs = bytearray(16)
    reference = BlockCipher(key)
    engine = pure_aes(key, 1)
    for round_no in range(8):
        for i in range(16):
            block[i] = (i * 37 + round_no * 11) & 0xFF
        engine.encrypt(block, ours)
        reference.encrypt_block(block, theirs)
        assert ours == theirs
        back = bytearray(16)
        reference.decrypt_block(theirs, back)
        assert back == block
