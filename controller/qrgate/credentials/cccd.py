"""The chip-based citizen ID card's QR (căn cước công dân, CCCD): plain text, `|`-separated.

    ID number (12 digits) | old CMND number (9 digits or empty) | full name | date of birth
    ddmmyyyy | sex (Nam / Nữ) | permanent address | issue date ddmmyyyy [| empty fields]

Cards issued recently append empty fields, so 7 or more fields are accepted when the extra
ones are empty; a byte-order mark in front is dropped. The code is not signed: anyone can
print one, so what it is worth at the gate is policy ([policy.identity], docs/vietnam.md).

verify() checks the structure and the card's validity. Its credential carries only keyed
hashes (holder, name and birth date keyed with the site secret), never the number, name,
birth date or address; reasons and checks name a field, never its value.
"""

from __future__ import annotations

import unicodedata

from ..model import Credential, Verification
from . import citizen_id as cid
from .trust import TrustStore

FORMAT = "cccd"
FIELDS = 7
MAX_FIELDS = 16
MAX_NAME_CHARS = 100
MAX_ADDRESS_CHARS = 300
SEXES = {"Nam": cid.SEX_MALE, "Nữ": cid.SEX_FEMALE}

#: check name -> the reason given when it is the first to fail, in the order checked
REASONS = {
    "fields": "cccd_bad_fields",
    "number": "cccd_bad_number",
    "province": "cccd_bad_province",
    "century_sex": "cccd_bad_century_sex",
    "birth_year_digits": "cccd_bad_birth_year",
    "old_number": "cccd_bad_old_number",
    "name": "cccd_bad_name",
    "birth_date": "cccd_bad_birth_date",
    "sex": "cccd_bad_sex",
    "address": "cccd_bad_address",
    "issue_date": "cccd_bad_issue_date",
    "issued_after_birth": "cccd_issued_before_birth",
    "issued_not_in_future": "cccd_issued_in_future",
    "not_expired": "cccd_expired",
}
CHECKS = tuple(REASONS)


def looks_like(text: str) -> bool:
    """The shape that routes an unprefixed text here: 9-13 digits, then `|`, and four or more `|` in all
    (so a card with a field missing is still refused as a card, with its own reason)."""
    text = cid.strip_scanner_noise(text)
    head, sep, _rest = text.partition("|")
    return bool(sep) and 9 <= len(head) <= 13 and head.isascii() and head.isdigit() and text.count("|") >= 4


def _name_ok(name: str) -> bool:
    name = unicodedata.normalize("NFC", name)
    if not name.strip() or len(name) > MAX_NAME_CHARS or name != name.strip():
        return False
    return all(c == " " or unicodedata.category(c)[0] in "LM" for c in name)


def _address_ok(address: str) -> bool:
    return bool(address.strip()) and len(address) <= MAX_ADDRESS_CHARS and address.isprintable()


def verify(payload: str, trust: TrustStore, now: float) -> Verification:
    checks: dict[str, bool | None] = dict.fromkeys(CHECKS)
    fields = cid.strip_scanner_noise(payload).split("|")
    checks["fields"] = FIELDS <= len(fields) <= MAX_FIELDS and not any(f.strip() for f in fields[FIELDS:])
    if not checks["fields"]:
        return Verification(FORMAT, False, REASONS["fields"], checks)
    number, old_number, name, birth_text, sex_text, address, issue_text = fields[:FIELDS]
    birth = cid.parse_ddmmyyyy(birth_text)
    issued = cid.parse_ddmmyyyy(issue_text)
    sex = SEXES.get(unicodedata.normalize("NFC", sex_text))
    checks.update(cid.number_checks(number, birth.year if birth else None, sex))
    checks["old_number"] = old_number == "" or (len(old_number) == 9 and old_number.isascii() and old_number.isdigit())
    checks["name"] = _name_ok(name)
    checks["birth_date"] = birth is not None and birth.year >= 1900
    checks["sex"] = sex is not None
    checks["address"] = _address_ok(address)
    checks["issue_date"] = issued is not None
    if birth is not None and issued is not None:
        today = cid.today(now)
        checks["issued_after_birth"] = issued > birth
        checks["issued_not_in_future"] = issued <= today
        expiry = cid.card_expiry(birth, issued)
        checks["not_expired"] = expiry is None or today <= expiry
    reason = cid.first_failure(checks, REASONS)
    if reason:
        return Verification(FORMAT, False, reason, checks)
    key = trust.pseudonym_key
    credential = Credential(
        format=FORMAT, holder=cid.id_holder(key, "cccd", number), kind="visitor", holder_scope=cid.ID_SCOPE,
        attributes={"identity": True, "listable": True,
                    "name_key": cid.name_key(key, name), "birth_key": cid.birth_key(key, birth)})
    return Verification(FORMAT, True, "ok", checks, credential)


def personal_fields(payload: str) -> dict[str, str | None]:
    """The name and birth date (ISO) of a code verify() accepted: only for sealing to the staff key
    (qrgate.lists), never for a log or a message."""
    fields = cid.strip_scanner_noise(payload).split("|")
    birth = cid.parse_ddmmyyyy(fields[3])
    return {"name": unicodedata.normalize("NFC", fields[2]), "birth": birth.isoformat() if birth else None}
