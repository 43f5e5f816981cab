"""The declaration form's checks: pure, no clock, no storage.

validate() turns the submitted fields into a Declaration or a map of field -> error code;
refusals() applies the site's rules to a valid one. Error codes and refusal reasons are
texts' keys (texts.py), never the submitted value.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ...credentials import citizen_id as cid
from .settings import Question

LANGS = ("vi", "en")
MAX_NAME_CHARS = 100
#: the mobile prefixes of Vietnam's networks since the 2018 renumbering (0 + 2 digits)
MOBILE_PREFIXES = frozenset(
    [f"03{d}" for d in "23456789"] + ["052", "055", "056", "058", "059", "070", "076", "077", "078", "079"]
    + [f"08{d}" for d in "123456789"] + [f"09{d}" for d in "0123456789"])
_PHONE_NOISE = re.compile(r"[ .\-()]")


@dataclass(frozen=True)
class Declaration:
    name: str
    birth: dt.date
    phone: str  # normalised: 10 digits starting with 0
    cccd: str
    answers: dict[str, bool] = field(default_factory=dict)
    lang: str = "vi"

    def contact(self) -> dict[str, str]:
        """The contact details kept (encrypted) for the health authority."""
        return {"name": self.name, "birth": self.birth.isoformat(), "phone": self.phone, "cccd": self.cccd}


def lang_of(value: str | None) -> str:
    return value if value in LANGS else "vi"


def normalise_phone(text: str) -> str | None:
    """A Vietnamese mobile number as 0xxxxxxxxx, or None. Accepts +84 / 84 / 0 and spaces, dots, dashes."""
    digits = _PHONE_NOISE.sub("", text.strip())
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()) or digits[:3] not in MOBILE_PREFIXES:
        return None
    return digits


def parse_date(text: str) -> dt.date | None:
    """YYYY-MM-DD (a date input) or DD/MM/YYYY (typed); None unless it is a real calendar date."""
    text = text.strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text) or None
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if not m:
            return None
        d, mo, y = (int(g) for g in m.groups())
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None


def normalise_name(text: str) -> str | None:
    name = " ".join(unicodedata.normalize("NFC", text).split())
    if not name or len(name) > MAX_NAME_CHARS:
        return None
    if not all(c == " " or unicodedata.category(c)[0] in "LM" for c in name):
        return None
    return name


def _answer(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get((value or "").strip().lower())


def validate(fields: Mapping[str, str], questions: Sequence[Question], today: dt.date
             ) -> tuple[Declaration | None, dict[str, str]]:
    """(the declaration, {}) or (None, {field: error code}). `today` is the site's local date."""
    errors: dict[str, str] = {}
    name = normalise_name(fields.get("name", ""))
    if name is None:
        errors["name"] = "name_missing" if not fields.get("name", "").strip() else "name_bad"
    birth = parse_date(fields.get("birth", ""))
    if birth is None:
        errors["birth"] = "birth_missing" if not fields.get("birth", "").strip() else "birth_bad"
    elif not dt.date(1900, 1, 1) <= birth <= today:
        errors["birth"] = "birth_range"
    phone = normalise_phone(fields.get("phone", ""))
    if phone is None:
        errors["phone"] = "phone_missing" if not fields.get("phone", "").strip() else "phone_bad"
    cccd = fields.get("cccd", "").strip().replace(" ", "")
    if not cccd:
        errors["cccd"] = "cccd_missing"
    else:
        checks = cid.number_checks(cccd, birth.year if birth and "birth" not in errors else None, None)
        if not checks["number"]:
            errors["cccd"] = "cccd_digits"
        elif not checks["province"]:
            errors["cccd"] = "cccd_province"
        elif checks["century_sex"] is False or checks["birth_year_digits"] is False:
            errors["cccd"] = "cccd_birth"
    answers: dict[str, bool] = {}
    for q in questions:
        answer = _answer(fields.get(f"q_{q.id}"))
        if answer is None:
            errors[f"q_{q.id}"] = "answer_missing"
        else:
            answers[q.id] = answer
    if fields.get("consent", "").strip().lower() not in ("yes", "on", "true", "1"):
        errors["consent"] = "consent_missing"
    if errors:
        return None, errors
    return Declaration(name, birth, phone, cccd, answers, lang_of(fields.get("lang"))), {}


def refusals(declaration: Declaration, questions: Sequence[Question]) -> list[str]:
    """The ids of the questions whose answer refuses this declaration, in the form's order."""
    return [q.id for q in questions if q.refuse_if_yes and declaration.answers.get(q.id)]
