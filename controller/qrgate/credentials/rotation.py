"""The site rotation key and the time-step codes of rotating passes (RFC 6238, HMAC-SHA-256).

A gate holds the site rotation key (rotation.json) and remembers, per pass, the newest step
it accepted, so that each step's code is accepted once ("code_reused"). At a site, the steps
other gates used reach this gate's ledger (qrgate.site) and `used_elsewhere` reads them, so
a step accepted at any gate is refused at every other once they have heard of it. qrgate.credentials.rotating
is the QG2 payload that carries a code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import struct
import threading
from pathlib import Path
from typing import Callable

from ..errors import KeyFileError
from .filetypes import ROTATION_TYPE

STEP_SECONDS = 20
DIGITS = 8
WINDOW_STEPS = 1
ROTATION_FILE_NAME = "rotation.json"
CODE = struct.Struct(">I")
_LABEL = b"qrgate-rotating-v1"


def pass_secret(rotation_key: bytes, kid_hex: str, pass_id_hex: str) -> bytes:
    """The per-pass secret the holder's phone gets: useless for any other pass."""
    return hmac.new(rotation_key, _LABEL + bytes.fromhex(kid_hex) + bytes.fromhex(pass_id_hex),
                    hashlib.sha256).digest()


def totp(secret: bytes, step: int) -> int:
    """RFC 4226 HOTP of the step counter (RFC 6238 TOTP), HMAC-SHA-256, DIGITS digits."""
    mac = hmac.new(secret, struct.pack(">Q", step), hashlib.sha256).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return value % 10**DIGITS


def step_of(now: float) -> int:
    return int(now // STEP_SECONDS)


class RotationState:
    """The site rotation key and, per pass, the newest step accepted (in memory)."""

    def __init__(self, key: bytes, *, window: int = WINDOW_STEPS, memory: int = 100_000):
        if len(key) < 16:
            raise KeyFileError("the rotation key needs at least 16 bytes")
        self.key = key
        self.window = window
        self.memory = memory
        self._last_step: dict[str, int] = {}
        self._lock = threading.Lock()
        #: pass id -> the newest step any other gate of the site used (the ledger's shared events)
        self.used_elsewhere: Callable[[str], int | None] = lambda pass_id: None

    @classmethod
    def from_doc(cls, doc: dict, path: Path) -> "RotationState":
        try:
            return cls(base64.b64decode(doc["key"], validate=True))
        except (KeyError, TypeError, ValueError) as exc:
            raise KeyFileError(f"rotation file {path} is malformed ({exc})") from None

    def check(self, kid_hex: str, pass_id_hex: str, code: int, now: float) -> str | None:
        """None and the step marked used when the code is good now; else the reason."""
        secret = pass_secret(self.key, kid_hex, pass_id_hex)
        current = step_of(now)
        matched = [s for s in range(current - self.window, current + self.window + 1)
                   if hmac.compare_digest(CODE.pack(totp(secret, s)), CODE.pack(code))]
        if not matched:
            return "bad_rotating_code"
        step = matched[-1]
        elsewhere = self.used_elsewhere(pass_id_hex)
        with self._lock:
            if max(self._last_step.get(pass_id_hex, -1), -1 if elsewhere is None else elsewhere) >= step:
                return "code_reused"
            if len(self._last_step) >= self.memory:
                self._forget_before(current - self.window)
            self._last_step[pass_id_hex] = step
        return None

    def accepted_step(self, pass_id_hex: str) -> int | None:
        """The newest step this gate accepted for the pass (the one just checked, after a good check)."""
        with self._lock:
            return self._last_step.get(pass_id_hex)

    def _forget_before(self, step: int) -> None:
        # steps this old can no longer match any code, so forgetting them admits no replay
        for pass_id in [p for p, s in self._last_step.items() if s < step]:
            del self._last_step[pass_id]


def new_rotation_file(directory: str | Path) -> Path:
    """rotation.json with a fresh 32-byte key, mode 0600 (secret: issuer and gates only)."""
    path = Path(directory) / ROTATION_FILE_NAME
    doc = '{"type": "%s", "key": "%s"}\n' % (ROTATION_TYPE, base64.b64encode(os.urandom(32)).decode())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as fh:
        fh.write(doc)
    return path


def load_rotation_key(path: str | Path) -> bytes:
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"cannot read rotation file {path}: {exc}") from None
    if not isinstance(doc, dict) or doc.get("type") != ROTATION_TYPE:
        raise KeyFileError(f"{path} is not a qrgate rotation file")
    return RotationState.from_doc(doc, path).key
