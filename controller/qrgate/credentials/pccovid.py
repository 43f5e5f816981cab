"""PC-Covid's unified personal QR code (Decision 1405/QĐ-BTTTT of 11 September 2021, v1.1):

    SoGiayTo | HoTen | NgaySinh | LoaiDinhDanh | QID | EXT

SoGiayTo: the CCCD (12 digits), CMND (9 digits) or passport number; shown by default with
its first six characters masked as `*`. HoTen: the name in upper case without diacritics,
one space between words. NgaySinh: YYYY-MM-DD; by default the day and month are masked
(`YYYY-**-**`). LoaiDinhDanh: 0 declared by the person, 1 declared on their behalf. QID: the
national QR platform's code for the person. EXT: extensions (the proxy's QID, sex, health
insurance number, phone, ...); their separator is not in the texts we could read, so EXT is
kept unparsed and never stored.

A masked code still names one person (by its QID) but cannot be matched to a site list,
which is keyed by the ID number. Unsigned: its worth is policy ([policy.identity]).
"""

from __future__ import annotations

import datetime as dt
import re

from ..model import Credential, Verification
from . import citizen_id as cid
from .trust import TrustStore

FORMAT = "pccovid"
FIELDS = 6
MASK = "*" * 6
MAX_NAME_CHARS = 100
MAX_QID_CHARS = 64

_DATE_SHAPE = re.compile(r"[0-9*]{4}-[0-9*]{2}-[0-9*]{2}\Z")
_NAME = re.compile(r"[A-Z]+( [A-Z]+)*\Z")
_PASSPORT = re.compile(r"[A-Z][0-9]{7}\Z")
_QID = re.compile(r"[\x21-\x7e]+\Z")  # printable ASCII, no spaces, no `|`

REASONS = {
    "fields": "pccovid_bad_fields",
    "number": "pccovid_bad_number",
    "province": "pccovid_bad_province",
    "century_sex": "pccovid_bad_century",
    "birth_year_digits": "pccovid_bad_birth_year",
    "name": "pccovid_bad_name",
    "birth_date": "pccovid_bad_birth_date",
    "id_type": "pccovid_bad_id_type",
    "qid": "pccovid_bad_qid",
}
CHECKS = tuple(REASONS)


def looks_like(text: str) -> bool:
    """The shape that routes an unprefixed text here: a date-shaped third field and a one-character
    fourth (five fields suffice, so a code missing one is refused as PC-Covid's, with its reason)."""
    fields = cid.strip_scanner_noise(text).split("|")
    return len(fields) >= FIELDS - 1 and bool(_DATE_SHAPE.match(fields[2])) and len(fields[3]) == 1


def _number_kind(number: str) -> tuple[str, bool] | None:
    """(kind, masked) of a SoGiayTo field, or None when it is none of the known shapes."""
    masked = number.startswith(MASK)
    full = ("0" * len(MASK) + number[len(MASK):]) if masked else number
    if full.isascii() and full.isdigit():
        kind = {12: "cccd", 9: "cmnd", 8: "passport" if masked else None}.get(len(full))
        return (kind, masked) if kind else None
    if not masked and _PASSPORT.match(number):
        return "passport", False
    return None


def _birth(text: str, now: float) -> tuple[bool, int | None, dt.date | None]:
    """(valid?, year, full date or None when masked)."""
    if not _DATE_SHAPE.match(text) or not text[:4].isdigit():
        return False, None, None
    year = int(text[:4])
    if text[5:] == "**-**":
        return 1900 <= year <= cid.today(now).year, year, None
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        return False, year, None
    return 1900 <= year and date <= cid.today(now), year, date


def verify(payload: str, trust: TrustStore, now: float) -> Verification:
    checks: dict[str, bool | None] = dict.fromkeys(CHECKS)
    fields = cid.strip_scanner_noise(payload).split("|")
    checks["fields"] = len(fields) >= FIELDS
    if not checks["fields"]:
        return Verification(FORMAT, False, REASONS["fields"], checks)
    number, name, birth_text, id_type, qid = fields[:5]
    birth_ok, year, birth = _birth(birth_text, now)
    kind = _number_kind(number)
    checks["number"] = kind is not None
    if kind == ("cccd", False):
        number_checks = cid.number_checks(number, year, None)
        checks.update({k: v for k, v in number_checks.items() if k != "number"})
    checks["name"] = len(name) <= MAX_NAME_CHARS and bool(_NAME.match(name))
    checks["birth_date"] = birth_ok
    checks["id_type"] = id_type in ("0", "1")
    checks["qid"] = len(qid) <= MAX_QID_CHARS and bool(_QID.match(qid))
    reason = cid.first_failure(checks, REASONS)
    if reason:
        return Verification(FORMAT, False, reason, checks)
    key = trust.pseudonym_key
    number_kind, masked = kind
    # a masked number names nobody we can match: the QID is then the person's stable handle
    holder = cid.id_holder(key, "qid", qid) if masked else cid.id_holder(key, number_kind, number)
    attributes = {"identity": True, "listable": not masked, "masked": masked, "by_proxy": id_type == "1",
                  "name_key": cid.name_key(key, name)}
    if birth is not None:
        attributes["birth_key"] = cid.birth_key(key, birth)
    return Verification(FORMAT, True, "ok", checks, Credential(format=FORMAT, holder=holder, attributes=attributes,
                                                               holder_scope=cid.ID_SCOPE))


def personal_fields(payload: str) -> dict[str, str | None]:
    """The name and birth date (ISO, None when masked) of a code verify() accepted: only for sealing
    to the staff key (qrgate.lists), never for a log or a message."""
    fields = cid.strip_scanner_noise(payload).split("|")
    return {"name": fields[1], "birth": None if "*" in fields[2] else fields[2]}
