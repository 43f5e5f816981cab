"""Picks an AES-128 ECB implementation: the board's cryptolib, the host shim, or plain Python."""

try:
    from cryptolib import aes as _aes
except ImportError:
    try:
        from ucryptolib import aes as _aes
    except ImportError:
        try:
            from gateio.cryptolib_host import aes as _aes
        except ImportError:  # MicroPython without cryptolib (WebAssembly port)
            from gateio.aes_pure import aes as _aes

BACKEND = _aes.__module__ if hasattr(_aes, "__module__") else "cryptolib"


class BlockCipher:
    """AES-128 ECB with separate encrypt and decrypt objects (cryptolib allows one direction each)."""

    def __init__(self, key):
        self._key = bytes(key)
        self._enc = _aes(self._key, 1)
        self._dec = None

    def encrypt_block(self, src, dst):
        self._enc.encrypt(src, dst)

    def decrypt_block(self, src, dst):
        if self._dec is None:
            self._dec = _aes(self._key, 1)
        self._dec.decrypt(src, dst)


def ecb_encrypt(key, block):
    """One-shot AES-ECB of a 16-byte block; used for key derivation."""
    out = bytearray(16)
    _aes(bytes(key), 1).encrypt(bytes(block), out)
    return out
