"""Guards who may use the console: one name and one argon2 password hash each, in a JSON file.

The file is written by `qrgate guard add` and read at each login, so a guard added while the
gate runs can log in at once. It holds no password, only hashes, and is readable only by its owner.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..errors import WebError

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
MIN_PASSWORD = 8

_hasher = PasswordHasher()
# checked against when the name is unknown, so a wrong name takes as long as a wrong password
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise WebError(f"guard name {name!r}: 1-32 letters, digits, '.', '_' or '-', starting with a "
                       "letter or digit")
    return name


class GuardBook:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    def _read(self) -> dict[str, str]:
        try:
            doc = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise WebError(f"{self.path}: cannot read the guards file ({exc})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("guards"), dict):
            raise WebError(f"{self.path}: not a qrgate guards file")
        return {str(k): str(v) for k, v in doc["guards"].items()}

    def names(self) -> list[str]:
        return sorted(self._read())

    def add(self, name: str, password: str) -> bool:
        """Add a guard or set a new password; True when the guard is new."""
        check_name(name)
        if len(password) < MIN_PASSWORD:
            raise WebError(f"the password must have at least {MIN_PASSWORD} characters")
        guards = self._read()
        is_new = name not in guards
        guards[name] = _hasher.hash(password)
        self._write(guards)
        return is_new

    def _write(self, guards: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".guards-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump({"guards": guards}, fh, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise WebError(f"cannot write {self.path}: {exc.strerror or exc}") from None

    def check(self, name: str, password: str) -> bool:
        stored = self._read().get(name)
        try:
            return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
