"""AES-128 block cipher in plain Python, for a MicroPython build without cryptolib (e.g. the WebAssembly port).

Same interface as MicroPython's cryptolib.aes in ECB mode (mode 1): encrypt()/decrypt() of
whole 16-byte blocks. Slow but small; a board with cryptolib never loads this module.
"""

try:
    from micropython import const
except ImportError:
    from gateio.compat import const

_ROUNDS = const(10)


def _xtime(a):
    a <<= 1
    if a & 0x100:
        a ^= 0x11B
    return a


def _rotl8(x, n):
    return ((x << n) | (x >> (8 - n))) & 0xFF


def _make_sboxes():
    # Walk the multiplicative group with generator 3: p runs over 3**i, q over its inverse,
    # so sbox[p] = affine(p**-1) without a table of inverses.
    sbox = bytearray(256)
    inv = bytearray(256)
    p = q = 1
    while True:
        p = p ^ _xtime(p)
        p &= 0xFF
        q ^= q << 1
        q ^= q << 2
        q ^= q << 4
        q &= 0xFF
        if q & 0x80:
            q ^= 0x09
        s = q ^ _rotl8(q, 1) ^ _rotl8(q, 2) ^ _rotl8(q, 3) ^ _rotl8(q, 4) ^ 0x63
        sbox[p] = s
        inv[s] = p
        if p == 1:
            break
    sbox[0] = 0x63
    inv[0x63] = 0
    return sbox, inv


_SBOX, _INV_SBOX = _make_sboxes()


def _mul(a, b):
    result = 0
    while b:
        if b & 1:
            result ^= a
        a = _xtime(a) & 0xFF
        b >>= 1
    return result


def _expand_key(key):
    out = bytearray(16 * (_ROUNDS + 1))
    out[0:16] = key
    rcon = 1
    for i in range(16, len(out), 4):
        t0, t1, t2, t3 = out[i - 4], out[i - 3], out[i - 2], out[i - 1]
        if i % 16 == 0:
            t0, t1, t2, t3 = _SBOX[t1] ^ rcon, _SBOX[t2], _SBOX[t3], _SBOX[t0]
            rcon = _xtime(rcon) & 0xFF
        out[i] = out[i - 16] ^ t0
        out[i + 1] = out[i - 15] ^ t1
        out[i + 2] = out[i - 14] ^ t2
        out[i + 3] = out[i - 13] ^ t3
    return out


class aes:  # noqa: N801 - named like cryptolib.aes on purpose
    """aes(key, 1): AES-128 in ECB mode; buffers are processed 16 bytes at a time."""

    def __init__(self, key, mode, iv=None):
        if len(key) != 16 or mode != 1:
            raise ValueError("aes_pure supports AES-128 in ECB mode only")
        self._keys = _expand_key(key)
        self._state = bytearray(16)
        self._tmp = bytearray(16)

    def encrypt(self, in_buf, out_buf=None):
        return self._run(in_buf, out_buf, self._encrypt_block)

    def decrypt(self, in_buf, out_buf=None):
        return self._run(in_buf, out_buf, self._decrypt_block)

    def _run(self, in_buf, out_buf, block_fn):
        n = len(in_buf)
        if n % 16:
            raise ValueError("length must be a multiple of 16")
        out = out_buf if out_buf is not None else bytearray(n)
        s = self._state
        for off in range(0, n, 16):
            for i in range(16):
                s[i] = in_buf[off + i]
            block_fn(s)
            for i in range(16):
                out[off + i] = s[i]
        return None if out_buf is not None else bytes(out)

    def _add_key(self, s, rnd):
        k = self._keys
        base = rnd * 16
        for i in range(16):
            s[i] ^= k[base + i]

    def _encrypt_block(self, s):
        t = self._tmp
        self._add_key(s, 0)
        for rnd in range(1, _ROUNDS + 1):
            # SubBytes + ShiftRows: byte (row r, column c) sits at 4*c + r
            for c in range(4):
                for r in range(4):
                    t[4 * c + r] = _SBOX[s[4 * ((c + r) % 4) + r]]
            if rnd != _ROUNDS:
                for c in range(4):
                    a0, a1, a2, a3 = t[4 * c], t[4 * c + 1], t[4 * c + 2], t[4 * c + 3]
                    x = a0 ^ a1 ^ a2 ^ a3
                    s[4 * c] = a0 ^ x ^ (_xtime(a0 ^ a1) & 0xFF)
                    s[4 * c + 1] = a1 ^ x ^ (_xtime(a1 ^ a2) & 0xFF)
                    s[4 * c + 2] = a2 ^ x ^ (_xtime(a2 ^ a3) & 0xFF)
                    s[4 * c + 3] = a3 ^ x ^ (_xtime(a3 ^ a0) & 0xFF)
            else:
                for i in range(16):
                    s[i] = t[i]
            self._add_key(s, rnd)

    def _decrypt_block(self, s):
        t = self._tmp
        self._add_key(s, _ROUNDS)
        for rnd in range(_ROUNDS - 1, -1, -1):
            # inverse ShiftRows + inverse SubBytes
            for c in range(4):
                for r in range(4):
                    t[4 * ((c + r) % 4) + r] = _INV_SBOX[s[4 * c + r]]
            for i in range(16):
                s[i] = t[i]
            self._add_key(s, rnd)
            if rnd:
                for c in range(4):
                    a0, a1, a2, a3 = s[4 * c], s[4 * c + 1], s[4 * c + 2], s[4 * c + 3]
                    s[4 * c] = _mul(a0, 14) ^ _mul(a1, 11) ^ _mul(a2, 13) ^ _mul(a3, 9)
                    s[4 * c + 1] = _mul(a0, 9) ^ _mul(a1, 14) ^ _mul(a2, 11) ^ _mul(a3, 13)
                    s[4 * c + 2] = _mul(a0, 13) ^ _mul(a1, 9) ^ _mul(a2, 14) ^ _mul(a3, 11)
                    s[4 * c + 3] = _mul(a0, 11) ^ _mul(a1, 13) ^ _mul(a2, 9) ^ _mul(a3, 14)
