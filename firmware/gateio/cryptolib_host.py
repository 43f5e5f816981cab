"""cryptolib.aes for CPython: the board's AES API (ECB mode 1, CBC mode 2) over the `cryptography` package."""

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MODE_ECB = 1
MODE_CBC = 2


class aes:  # noqa: N801 - same name as MicroPython's cryptolib.aes
    def __init__(self, key, mode, IV=None):  # noqa: N803 - cryptolib's keyword
        if mode == MODE_ECB:
            chosen = modes.ECB()
        elif mode == MODE_CBC:
            chosen = modes.CBC(bytes(IV or bytes(16)))
        else:
            raise ValueError("unsupported AES mode %r" % (mode,))
        self._cipher = Cipher(algorithms.AES(bytes(key)), chosen)
        self._enc = None
        self._dec = None

    def encrypt(self, in_buf, out_buf=None):
        if self._enc is None:
            self._enc = self._cipher.encryptor()
        return self._emit(self._enc.update(bytes(in_buf)), out_buf)

    def decrypt(self, in_buf, out_buf=None):
        if self._dec is None:
            self._dec = self._cipher.decryptor()
        return self._emit(self._dec.update(bytes(in_buf)), out_buf)

    @staticmethod
    def _emit(result, out_buf):
        if len(result) % 16:
            raise ValueError("length must be a multiple of 16")
        if out_buf is None:
            return result
        out_buf[: len(result)] = result
        return None
