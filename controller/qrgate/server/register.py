"""The pass office's register: which holder got which pass id, with a name and a phone, sealed.

A JSON-lines file. Its first line holds the site's X25519 public key
({"qrgate_register": 1, "public_key": HEX}); `qrgate site register-init` writes it and keeps the
private key on the server. Each later line is one pass: {"pass_id", "format", "holder" (the
pass's keyed holder hash, in every event's pseudonym through the site secret), "issued_at",
"box"}: the box is the name and phone sealed to the site's key (lists/seal.py: X25519, HKDF,
AES-GCM), so the pass office can add rows but only the server's key opens them, and the server
opens them only for a tracer, through the API, with the read logged (audit.py).
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ListError
from ..lists import seal
from ..pseudonym import pseudonym
from . import ServerError

HEADER_KEY = "qrgate_register"


def init_register(path: str | Path, key_file: str | Path) -> str:
    """Make the site's register key (never overwritten) and an empty register; its public key hex."""
    try:
        key = seal.create_key(key_file)
    except ListError as exc:
        raise ServerError(str(exc)) from None
    public = seal.public_bytes(key).hex()
    path = Path(path)
    if path.exists():
        raise ServerError(f"{path} exists already; it is not replaced")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({HEADER_KEY: 1, "public_key": public}) + "\n")
    return public


def _public_key(path: Path) -> bytes:
    try:
        with path.open(encoding="utf-8") as fh:
            head = json.loads(fh.readline())
        return bytes.fromhex(head["public_key"])
    except FileNotFoundError:
        raise ServerError(f"no register at {path} (made by 'qrgate site register-init')") from None
    except OSError as exc:
        raise ServerError(f"cannot read the register {path}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError):
        raise ServerError(f"{path} is not a qrgate register (its first line must hold the public key)") from None


def add_entry(path: str | Path, *, pass_id: str, fmt: str, holder_hex: str, name: str, phone: str,
              issued_at: float) -> None:
    """Append one sealed row; the name and phone are never written in the clear."""
    path = Path(path)
    box = seal.seal(_public_key(path), json.dumps({"name": name, "phone": phone}).encode())
    row = {"pass_id": pass_id, "format": fmt, "holder": holder_hex, "issued_at": issued_at,
           "box": base64.b64encode(box).decode()}
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise ServerError(f"cannot write the register {path}: {exc.strerror}") from None


@dataclass(frozen=True)
class Entry:
    pass_id: str
    pseudonym: str
    box: bytes


def read_entries(path: str | Path, site_secret: bytes) -> list[Entry]:
    """Every row of the register with the pseudonym its holder has at this site (nothing opened)."""
    path = Path(path)
    _public_key(path)
    out = []
    with path.open(encoding="utf-8") as fh:
        next(fh)
        for number, line in enumerate(fh, start=2):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                out.append(Entry(row["pass_id"], pseudonym(site_secret, row["format"], row["holder"]),
                                 base64.b64decode(row["box"])))
            except (ValueError, KeyError, TypeError):
                raise ServerError(f"{path} line {number}: not a register row") from None
    return out


def pseudonym_of_pass(path: str | Path, site_secret: bytes, pass_id: str) -> str | None:
    return next((e.pseudonym for e in read_entries(path, site_secret) if e.pass_id == pass_id), None)


def open_entries(path: str | Path, key_file: str | Path, site_secret: bytes,
                 pseudonyms: set[str]) -> dict[str, list[dict]]:
    """pseudonym -> [{pass_id, name, phone}] for the holders asked about (tracer only, logged by the caller)."""
    try:
        key = seal.load_key(key_file)
    except ListError as exc:
        raise ServerError(str(exc)) from None
    found: dict[str, list[dict]] = {}
    for entry in read_entries(path, site_secret):
        if entry.pseudonym in pseudonyms:
            try:
                holder = json.loads(seal.open_sealed(key, entry.box))
            except ListError as exc:
                raise ServerError(f"register row of pass {entry.pass_id}: {exc}") from None
            found.setdefault(entry.pseudonym, []).append(
                {"pass_id": entry.pass_id, "name": holder.get("name", ""), "phone": holder.get("phone", "")})
    return found
