"""The Vietnamese personal identification number (số định danh cá nhân), as the CCCD card
and PC-Covid's QR carry it, and the dates those codes use.

12 digits: the province (or country) of birth registration (3), century and sex (1), the
last two digits of the birth year (2), a random part (6) — Decree 137/2015/NĐ-CP art. 13,
Circular 07/2016/TT-BCA art. 7 and its annex of province codes (kept by Circular
59/2021/TT-BCA art. 4). The 3-digit country codes for people registered abroad are not
in the public texts we could read, so a number starting with one is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

#: the 63 province codes (annex 1 of Circular 07/2016/TT-BCA); the map keeps the name for docs
PROVINCES = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn", "008": "Tuyên Quang",
    "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu", "014": "Sơn La", "015": "Yên Bái",
    "017": "Hòa Bình", "019": "Thái Nguyên", "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang",
    "025": "Phú Thọ", "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định", "037": "Ninh Bình",
    "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh", "044": "Quảng Bình", "045": "Quảng Trị",
    "046": "Thừa Thiên Huế", "048": "Đà Nẵng", "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định",
    "054": "Phú Yên", "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng", "070": "Bình Phước",
    "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai", "077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh",
    "080": "Long An", "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long",
    "087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}
assert len(PROVINCES) == 63

#: the 4th digit: (first year of the century, sex) — 0/1 for 1900-1999, 2/3 for 2000-2099, ...
SEX_MALE, SEX_FEMALE = "male", "female"

#: renewal ages of the CCCD card (Law on Citizen Identification 2014, art. 21)
RENEWAL_AGES = (25, 40, 60)
#: a card issued this many years before a renewal age stays valid until the next one
RENEWAL_GRACE_YEARS = 2

#: dates on the card are Vietnam's (UTC+7 all year, no daylight saving)
VIETNAM = dt.timezone(dt.timedelta(hours=7))

#: the namespace of holder pseudonyms made from an ID number: a CCCD scan, a PC-Covid code
#: and a site list entry of one person share it, so they match
ID_SCOPE = "vn-id"


def century_sex(digit: str) -> tuple[int, str]:
    """(first year of the century, sex) the 4th digit stands for."""
    n = int(digit)
    return 1900 + 100 * (n // 2), SEX_FEMALE if n % 2 else SEX_MALE


def today(now: float) -> dt.date:
    return dt.datetime.fromtimestamp(now, VIETNAM).date()


def birthday(birth: dt.date, age: int) -> dt.date:
    """The day one turns `age`; 29 February falls on 28 February in a common year."""
    try:
        return birth.replace(year=birth.year + age)
    except ValueError:
        return birth.replace(year=birth.year + age, day=28)


def card_expiry(birth: dt.date, issued: dt.date) -> dt.date | None:
    """The last day a CCCD card is valid; None: for life.

    It must be renewed on turning 25, 40 and 60; one issued within two years before such an
    age stays valid until the next age (so one issued at 58 or later never expires).
    """
    for age in RENEWAL_AGES:
        due = birthday(birth, age)
        if issued >= due:
            continue
        if issued >= birthday(birth, age - RENEWAL_GRACE_YEARS):
            continue  # issued within two years before this age: valid until the next one
        return due
    return None


def number_checks(number: str, birth_year: int | None, sex: str | None) -> dict[str, bool | None]:
    """The checks a 12-digit number allows; None where the other value is unknown."""
    checks: dict[str, bool | None] = {"number": len(number) == 12 and number.isascii() and number.isdigit()}
    if not checks["number"]:
        return {**checks, "province": None, "century_sex": None, "birth_year_digits": None}
    checks["province"] = number[:3] in PROVINCES
    century, coded_sex = century_sex(number[3])
    if birth_year is None:
        checks["century_sex"] = None
        checks["birth_year_digits"] = None
    else:
        checks["century_sex"] = century <= birth_year < century + 100 and (sex is None or sex == coded_sex)
        checks["birth_year_digits"] = number[4:6] == f"{birth_year % 100:02d}"
    return checks


def id_holder(key: bytes, kind: str, number: str) -> str:
    """The keyed pseudonym of an identity document number (HMAC-SHA256 with the site secret).

    A CCCD scan, a PC-Covid code with the full number and a site list entry of the same person
    give the same value; without the site secret it cannot be joined to the number.
    """
    return hmac.new(key, f"{ID_SCOPE}\x1f{kind}\x1f{number}".encode(), hashlib.sha256).hexdigest()


def parse_ddmmyyyy(text: str) -> dt.date | None:
    if len(text) != 8 or not (text.isascii() and text.isdigit()):
        return None
    try:
        return dt.date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        return None


def normalise_name(name: str) -> str:
    """A name as compared across sources: no diacritics (đ/Đ become D), upper case, single spaces.

    "Nguyễn  Văn Đức", "NGUYEN VAN DUC" and "nguyen van duc" are one name.
    """
    import unicodedata

    text = name.replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(text.upper().split())


def name_key(key: bytes, name: str) -> str:
    """Keyed hash of a normalised name: lets `qrgate list check` compare without keeping the name."""
    return hmac.new(key, f"vn-name\x1f{normalise_name(name)}".encode(), hashlib.sha256).hexdigest()


def birth_key(key: bytes, birth: dt.date) -> str:
    return hmac.new(key, f"vn-birth\x1f{birth.isoformat()}".encode(), hashlib.sha256).hexdigest()


def strip_scanner_noise(payload: str) -> str:
    """A byte-order mark some scanners put in front, and the line end a serial scanner appends."""
    return payload.removeprefix("\ufeff").rstrip("\r\n")


def first_failure(checks: dict[str, bool | None], reasons: dict[str, str]) -> str | None:
    """The reason of the first failed check, in the order the checks are listed."""
    for name, passed in checks.items():
        if passed is False:
            return reasons[name]
    return None
