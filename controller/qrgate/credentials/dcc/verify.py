"""EU Digital COVID Certificate (`HC1:`), the format of Vietnam's vaccine passport.

HC1: text -> base45 -> zlib -> COSE_Sign1 (ES256 / PS256) -> CWT (iss, iat, exp) ->
hcert payload (claim -260, key 1). Every step is recorded in `checks`; steps that do not
depend on a failed one still run (expiry and schema are judged even when the signature is
bad) so that a guard and the conformance tests see every problem, but `valid` is True
only when every check passed.

The payload holds a name and a date of birth. verify() never returns them: its credential
carries a keyed pseudonym and only the fields that entry rules need. inspect() keeps the
decoded payload for the conformance tests; it is never logged.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import logging
import math
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cbor2

from ...model import Credential, Verification
from . import schema as dcc_schema
from ..base45 import Base45Error, b45decode
from .cose import CoseError, CoseSign1, parse_sign1, signature_ok
from ..trust import TrustStore
from .trust import DccTrust, SignerCertificate, add_trust

log = logging.getLogger(__name__)

__all__ = ["PREFIX", "FORMAT", "CHECKS", "verify", "inspect", "as_json", "add_trust", "holder_pseudonym",
           "Inspection", "DccTrust", "REASONS"]

PREFIX = "HC1:"
FORMAT = "dcc"
CHECKS = ("prefix", "base45", "zlib", "cose", "signature", "cbor", "expiry", "schema", "key_usage")
# every reason code verify() can give (besides "ok")
REASONS = ("bad_prefix", "bad_base45", "bad_zlib", "bad_cose", "unknown_key", "bad_signature",
           "bad_cbor", "bad_cwt_times", "expired", "not_yet_valid", "schema_invalid", "dob_in_future",
           "key_usage", "cert_expired", "incomplete", "internal_error")
MAX_INFLATED_BYTES = 64 * 1024  # a QR holds < 3 kB compressed; more than this is a zip bomb

CLAIM_ISS, CLAIM_EXP, CLAIM_IAT, CLAIM_HCERT = 1, 4, 6, -260
HCERT_EU_DCC = 1
KIND_BY_KEY = {"v": "vaccination", "t": "test", "r": "recovery"}
# only what entry rules need; never nam, dob, ci (an ID) or the issuer's name
RULE_FIELDS = {
    "vaccination": ("tg", "mp", "dn", "sd", "dt"),
    "recovery": ("tg", "df", "du"),
    "test": ("tg", "tt", "sc", "tr"),
}


@dataclass
class Inspection:
    """Everything learned from one HC1 text. `hcert` holds personal data: never log it."""

    checks: dict[str, bool | None] = field(default_factory=lambda: dict.fromkeys(CHECKS))
    reasons: dict[str, str] = field(default_factory=dict)  # check name -> reason code of its failure
    kid: bytes | None = None
    signer: SignerCertificate | None = None
    claims: dict[Any, Any] = field(default_factory=dict)
    hcert: Any = None
    kinds: set[str] = field(default_factory=set)
    crashed: bool = False  # an unexpected error stopped the checks: never valid

    def fail(self, check: str, reason: str) -> None:
        self.checks[check] = False
        self.reasons.setdefault(check, reason)

    @property
    def reason(self) -> str:
        for check in CHECKS:
            if self.checks[check] is False:
                return self.reasons[check]
        if any(self.checks[c] is None for c in CHECKS if c != "schema"):
            return "incomplete"
        return "ok"

    @property
    def valid(self) -> bool:
        # schema None means the site provisioned no schemas; that is the site's choice
        return (not self.crashed and all(self.checks[c] is True for c in CHECKS if c != "schema")
                and self.checks["schema"] is not False)


def inspect(payload: Any, trust: DccTrust | None, now: float, schema_dir: Path | None,
            schema_policy: str = "newest") -> Inspection:
    """Run every check that can run; never raises for bad input.

    schema_policy picks the schema release (see dcc_schema): "newest" or "declared".
    """
    result = Inspection()
    try:
        _inspect(payload, trust, now, schema_dir, schema_policy, result)
    except Exception:  # a gate must never crash on a scanned text; log the type, not the data
        log.exception("unexpected error while checking a health certificate")
        result.crashed = True
        unfinished = [c for c in CHECKS if result.checks[c] is None]
        result.fail(unfinished[0] if unfinished else CHECKS[-1], "internal_error")
    return result


def _inspect(payload: Any, trust: DccTrust | None, now: float, schema_dir: Path | None,
             schema_policy: str, result: Inspection) -> None:
    if not isinstance(payload, str) or not payload.startswith(PREFIX):
        result.fail("prefix", "bad_prefix")
        return
    result.checks["prefix"] = True

    try:
        compressed = b45decode(payload[len(PREFIX):])
    except Base45Error:
        result.fail("base45", "bad_base45")
        return
    result.checks["base45"] = True

    cose_bytes = _inflate(compressed)
    if cose_bytes is None:
        result.fail("zlib", "bad_zlib")
        return
    result.checks["zlib"] = True

    try:
        message = parse_sign1(cose_bytes)
    except CoseError:
        result.fail("cose", "bad_cose")
        return
    result.checks["cose"] = True
    result.kid = message.kid

    _check_signature(message, trust, result)
    _check_cwt(message.payload, result)
    if result.checks["cbor"]:  # judged even after a bad signature, so every problem shows
        _check_expiry(result, now)
        _check_schema(result, schema_dir, schema_policy, now)
        _check_key_usage(result, now)


def _inflate(data: bytes) -> bytes | None:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_INFLATED_BYTES)
    except zlib.error:
        return None
    if inflater.unconsumed_tail or not inflater.eof:
        return None  # larger than any real certificate, or cut short
    return out


def _check_signature(message: CoseSign1, trust: DccTrust | None, result: Inspection) -> None:
    candidates = trust.candidates(message.kid) if trust is not None else []
    if not candidates:
        result.fail("signature", "unknown_key")
        return
    for cert in candidates:  # several certificates may share a key id: try each
        if signature_ok(message, cert.public_key):
            result.signer = cert
            result.checks["signature"] = True
            return
    result.fail("signature", "bad_signature")


def _check_cwt(cwt_bytes: bytes, result: Inspection) -> None:
    try:
        claims = cbor2.loads(cwt_bytes)
    except Exception:
        result.fail("cbor", "bad_cbor")
        return
    hcert = claims.get(CLAIM_HCERT) if isinstance(claims, dict) else None
    dcc = hcert.get(HCERT_EU_DCC) if isinstance(hcert, dict) else None
    if not isinstance(dcc, dict):
        result.fail("cbor", "bad_cbor")
        return
    result.claims = claims
    result.hcert = dcc
    result.kinds = {kind for key, kind in KIND_BY_KEY.items() if dcc.get(key)}
    result.checks["cbor"] = True


def _is_time(value: Any) -> bool:
    # NaN would pass every comparison below, so only finite numbers count
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_expiry(result: Inspection, now: float) -> None:
    iat, exp = result.claims.get(CLAIM_IAT), result.claims.get(CLAIM_EXP)
    if not (_is_time(iat) and _is_time(exp)):
        result.fail("expiry", "bad_cwt_times")
    elif now < iat:
        result.fail("expiry", "not_yet_valid")
    elif now > exp:
        result.fail("expiry", "expired")
    else:
        result.checks["expiry"] = True


def _check_schema(result: Inspection, schema_dir: Path | None, policy: str, now: float) -> None:
    """The JSON schema, plus two content rules checked even when no schemas are provisioned:
    a DCC holds exactly one statement (release 1.0.0's schema does not say so), and nobody
    is born after the moment of checking."""
    document = as_json(result.hcert)
    groups = [document[k] for k in KIND_BY_KEY if document.get(k) is not None] if document else []
    one_statement = (len(groups) == 1 and isinstance(groups[0], list) and len(groups[0]) == 1
                     and isinstance(groups[0][0], dict))
    if not one_statement:
        result.fail("schema", "schema_invalid")
        return
    if _born_after(document.get("dob"), now):
        result.fail("schema", "dob_in_future")
        return
    errors = dcc_schema.schema_errors(schema_dir, document, policy) if schema_dir else None
    if errors is None:
        return  # no schemas provisioned: the JSON schema is not checked
    if errors:
        result.fail("schema", "schema_invalid")
    else:
        result.checks["schema"] = True


def _born_after(dob: Any, now: float) -> bool:
    """True if even the earliest day a (possibly partial) date of birth allows is after now."""
    if not isinstance(dob, str) or len(dob) < 4 or not dob[:4].isdigit():
        return False  # the schema judges the form; only a readable date can be in the future
    parts = dob[:10].split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 and parts[1] not in ("", "00", "XX") else 1
        day = int(parts[2]) if len(parts) > 2 and parts[2] not in ("", "00", "XX") else 1
        earliest = _dt.datetime(year, month, day, tzinfo=_dt.timezone.utc)
    except ValueError:
        return False
    return earliest.timestamp() > now


def _check_key_usage(result: Inspection, now: float) -> None:
    """May the signer's certificate sign this certificate type, and sign it now?"""
    if result.signer is None or not result.kinds:
        return  # judged only for a certificate that verified, and a statement of some type
    if not result.signer.valid_at(now):
        result.fail("key_usage", "cert_expired")
    elif not result.signer.allows(result.kinds):
        result.fail("key_usage", "key_usage")
    else:
        result.checks["key_usage"] = True


def as_json(value: Any) -> Any:
    """The payload as plain JSON values, or None if it holds something JSON cannot."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            converted = as_json(item)
            if not isinstance(key, str) or (converted is None and item is not None):
                return None
            out[key] = converted
        return out
    if isinstance(value, list):
        items = [as_json(item) for item in value]
        return None if any(c is None and i is not None for c, i in zip(items, value)) else items
    if isinstance(value, _dt.datetime):  # tag 0 timestamps: validators must read them too
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, _dt.date):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return None


def holder_pseudonym(fnt: str, gnt: str, dob: str, key: bytes) -> str:
    """A keyed, stable pseudonym of one person: HMAC-SHA256 over the standardised name and DOB."""
    message = "\x1f".join((fnt or "", gnt or "", dob or "")).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def _credential(result: Inspection, pseudonym_key: bytes) -> Credential | None:
    dcc = result.hcert
    if len(result.kinds) != 1:
        return None
    kind = next(iter(result.kinds))
    key = next(k for k, v in KIND_BY_KEY.items() if v == kind)
    entry = dcc[key][0] if isinstance(dcc[key], list) and isinstance(dcc[key][0], dict) else None
    if entry is None:
        return None
    name = dcc.get("nam") if isinstance(dcc.get("nam"), dict) else {}
    attributes = {f: entry[f] for f in RULE_FIELDS[kind] if f in entry}
    attributes["iss"] = result.claims.get(CLAIM_ISS)
    return Credential(
        format=FORMAT,
        holder=holder_pseudonym(str(name.get("fnt", "")), str(name.get("gnt", "")),
                                str(dcc.get("dob", "")), pseudonym_key),
        kind=kind,
        pass_id=None,
        key_id=result.kid.hex() if result.kid else None,
        valid_from=float(result.claims[CLAIM_IAT]),
        valid_until=float(result.claims[CLAIM_EXP]),
        attributes=attributes,
    )


_warned_no_key = False


def verify(payload: str, trust: TrustStore, now: float, pseudonym_key: bytes = b"",
           schema_policy: str = "newest") -> Verification:
    """Check an HC1 text completely; never raises for bad input.

    pseudonym_key: the site's secret for holder pseudonyms (holder_pseudonym); when not
    given, the trust store's is used.
    """
    global _warned_no_key
    pseudonym_key = pseudonym_key or trust.pseudonym_key
    if not pseudonym_key and not _warned_no_key:
        _warned_no_key = True
        log.warning("no pseudonym key set: health-certificate holder pseudonyms are unkeyed hashes")
    result = inspect(payload, trust.dcc, now, trust.dcc_schema_dir, schema_policy)
    checks, reason, credential = dict(result.checks), result.reason, None
    if result.valid:
        try:
            credential = _credential(result, pseudonym_key)
        except Exception:  # never crash the gate on an odd payload; say which step refused it
            log.exception("unexpected error while reading a verified health certificate")
        if credential is None:  # not exactly one readable statement, even if no schema was checked
            checks["schema"], reason = False, "schema_invalid"
    valid = credential is not None
    log.debug("health certificate: valid=%s reason=%s kid=%s", valid, reason,
              result.kid.hex() if result.kid else None)
    return Verification(FORMAT, valid, reason, checks, credential)
