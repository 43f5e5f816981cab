"""DCC payload JSON schemas: provisioned data, one folder per release (1.0.0 ... 1.3.x).

Releases up to 1.2.0 name their files DGC.*, later ones DCC.*. The self-contained
*.combined-schema.json is used when present, else the plain *.schema.json.
Which release a payload is checked against (`policy`):
  * "newest" (default): the newest provisioned release with the same major version as the
    payload's `ver`, and never older than `ver`. Later 1.x releases only widen what is
    allowed (e.g. partial dates of birth, allowed since 1.2.0), and issuers kept writing
    "ver": "1.0.0" on such payloads, as the Dutch test data does; checking them against
    1.0.0 would refuse real certificates.
  * "declared": the release named by `ver`, or the nearest release with the same
    major.minor (the higher one on a tie) when that exact release is not provisioned.
A `ver` with no release of the same major (or no `ver`) is refused: fail closed.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from pathlib import Path
from typing import Any

import jsonschema

log = logging.getLogger(__name__)

__all__ = ["POLICIES", "pick_release", "schema_errors", "available_releases"]

POLICIES = ("newest", "declared")

_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def _parse(version: str) -> tuple[int, int, int] | None:
    m = _SEMVER.match(version) if isinstance(version, str) else None
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


@functools.lru_cache(maxsize=16)
def available_releases(schema_dir: Path) -> tuple[str, ...]:
    try:
        names = [p.name for p in schema_dir.iterdir() if p.is_dir() and _parse(p.name)]
    except OSError:
        return ()
    return tuple(sorted(names, key=_parse))


def pick_release(schema_dir: Path, version: Any, policy: str = "newest") -> str | None:
    """The release folder to validate a payload of this `ver` against, or None if none fits."""
    if policy not in POLICIES:
        raise ValueError(f"unknown DCC schema policy {policy!r}; expected one of {POLICIES}")
    wanted = _parse(version)
    if wanted is None:
        return None
    releases = available_releases(schema_dir)
    if policy == "newest":
        same_major = [r for r in releases if _parse(r)[0] == wanted[0]]
        return same_major[-1] if same_major else None
    same_minor = [r for r in releases if _parse(r)[:2] == wanted[:2]]
    if not same_minor:
        return None
    return min(same_minor, key=lambda r: (abs(_parse(r)[2] - wanted[2]), -_parse(r)[2]))


@functools.lru_cache(maxsize=16)
def _validator(schema_dir: Path, release: str) -> Any:
    folder = schema_dir / release
    candidates = sorted(folder.glob("*.combined-schema.json")) or [
        p for p in sorted(folder.glob("*.schema.json")) if p.name.count(".") == 2]
    if not candidates:
        raise FileNotFoundError(f"no DCC schema file in {folder}")
    schema = json.loads(candidates[0].read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    # "format" stays an annotation (jsonschema's default): issuers write date-times in
    # "date" fields (PL test data), and asserting formats would refuse those certificates
    return cls(schema)


def schema_errors(schema_dir: Path, payload: Any, policy: str = "newest") -> list[str] | None:
    """Schema problems of a decoded payload ([] = valid), or None if no schema can be loaded."""
    version = payload.get("ver") if isinstance(payload, dict) else None
    release = pick_release(schema_dir, version, policy)
    if release is None:
        if not available_releases(schema_dir):
            return None
        return [f"no schema release for version {version!r}"]
    try:
        validator = _validator(schema_dir, release)
    except (OSError, ValueError) as exc:
        log.warning("DCC schema %s in %s cannot be loaded: %s", release, schema_dir, exc)
        return None
    # messages may quote personal data: the caller must not log them
    return [e.message for e in validator.iter_errors(payload)][:5]
