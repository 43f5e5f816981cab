"""OSDP secure channel, PD side: session keys, cryptograms, MAC chaining and data encryption.

Pure: the caller hands in the random numbers. MAC chain: a command's MAC is computed with
the last reply MAC (R-MAC) as IV and becomes the C-MAC; a reply's MAC uses the C-MAC as IV
and becomes the next R-MAC. Data blocks are AES-CBC under S-ENC with the inverted last MAC
of the other side as IV, padded with 0x80 then zeros.
"""

from gateio.cipher import BlockCipher, ecb_encrypt

try:
    from micropython import const
except ImportError:
    from gateio.compat import const

_EOM = const(0x80)


def derive_session_keys(scbk, rnd_a):
    """(S-ENC, S-MAC1, S-MAC2) from the base key and the CP's random number."""
    keys = []
    for tag in (0x82, 0x01, 0x02):
        block = bytearray(16)
        block[0] = 0x01
        block[1] = tag
        block[2:8] = rnd_a[0:6]
        keys.append(bytes(ecb_encrypt(scbk, block)))
    return keys[0], keys[1], keys[2]


class SecureChannel:
    def __init__(self):
        self.active = False
        self.used_default_key = False
        self._enc = None
        self._mac1 = None
        self._mac2 = None
        self._rnd_a = bytearray(8)
        self._rnd_b = bytearray(8)
        self.c_mac = bytearray(16)
        self.r_mac = bytearray(16)
        self._block = bytearray(16)
        self._out = bytearray(16)
        self._iv = bytearray(16)
        self._pending = False

    def reset(self):
        self.active = False
        self._pending = False

    def challenge(self, scbk, rnd_a, rnd_b, default_key=False):
        """Answer osdp_CHLNG: derive keys, return the PD (client) cryptogram."""
        s_enc, s_mac1, s_mac2 = derive_session_keys(scbk, rnd_a)
        self._enc = BlockCipher(s_enc)
        self._mac1 = BlockCipher(s_mac1)
        self._mac2 = BlockCipher(s_mac2)
        self._rnd_a[:] = rnd_a[0:8]
        self._rnd_b[:] = rnd_b[0:8]
        self.active = False
        self._pending = True
        self.used_default_key = default_key
        block = self._block
        block[0:8] = self._rnd_a
        block[8:16] = self._rnd_b
        out = bytearray(16)
        self._enc.encrypt_block(block, out)
        return out

    def confirm(self, host_cryptogram):
        """Check osdp_SCRYPT's host cryptogram; on success activate and return the initial R-MAC."""
        if not self._pending:
            return None
        block = self._block
        block[0:8] = self._rnd_b
        block[8:16] = self._rnd_a
        expected = bytearray(16)
        self._enc.encrypt_block(block, expected)
        if not _equal(expected, host_cryptogram, 16):
            self._pending = False
            return None
        first = bytearray(16)
        self._mac1.encrypt_block(expected, first)
        self._mac2.encrypt_block(first, self.r_mac)
        self._pending = False
        self.active = True
        return self.r_mac

    def _mac(self, buf, start, end, iv, dest):
        """CBC-MAC of buf[start:end]: S-MAC1 for all blocks but the last, S-MAC2 for the last."""
        length = end - start
        padded = length if length % 16 == 0 else (length + 16) & ~15
        block = self._block
        chain = self._out
        chain[:] = iv
        pos = 0
        while pos < padded:
            for i in range(16):
                k = pos + i
                if k < length:
                    b = buf[start + k]
                elif k == length:
                    b = _EOM
                else:
                    b = 0
                block[i] = b ^ chain[i]
            if pos + 16 < padded:
                self._mac1.encrypt_block(block, chain)
            else:
                self._mac2.encrypt_block(block, dest)
            pos += 16

    def check_command_mac(self, buf, start, end, mac_at):
        """Verify the 4 MAC bytes of a command; updates the C-MAC."""
        self._mac(buf, start, end, self.r_mac, self.c_mac)
        return _equal(self.c_mac, buf[mac_at : mac_at + 4], 4)

    def sign_reply(self, buf, start, end):
        """Write the 4 MAC bytes of a reply at buf[end:]; updates the R-MAC."""
        self._mac(buf, start, end, self.c_mac, self.r_mac)
        buf[end : end + 4] = self.r_mac[0:4]

    def decrypt_command(self, buf, start, length):
        """Decrypt buf[start:start+length] in place; return the plain length or -1 on bad padding."""
        if length == 0 or length % 16:
            return -1
        iv = self._iv
        for i in range(16):
            iv[i] = self.r_mac[i] ^ 0xFF
        block = self._block
        out = self._out
        for pos in range(start, start + length, 16):
            block[:] = buf[pos : pos + 16]
            self._enc.decrypt_block(block, out)
            for i in range(16):
                buf[pos + i] = out[i] ^ iv[i]
            iv[:] = block
        end = start + length - 1
        while end > start and buf[end] == 0:
            end -= 1
        if buf[end] != _EOM:
            return -1
        return end - start

    def encrypt_reply(self, buf, start, length):
        """Pad and encrypt buf[start:start+length] in place; return the padded length."""
        padded = (length + 16) & ~15
        buf[start + length] = _EOM
        for i in range(start + length + 1, start + padded):
            buf[i] = 0
        chain = self._iv
        for i in range(16):
            chain[i] = self.c_mac[i] ^ 0xFF
        block = self._block
        for pos in range(start, start + padded, 16):
            for i in range(16):
                block[i] = buf[pos + i] ^ chain[i]
            self._enc.encrypt_block(block, chain)
            buf[pos : pos + 16] = chain
        return padded


def _equal(a, b, n):
    # constant time: a MAC comparison must not leak how many bytes matched
    diff = 0
    for i in range(n):
        diff |= a[i] ^ b[i]
    return diff == 0
