"""Synthetic Vietnamese identity codes: CCCD card QRs, PC-Covid codes and site-list CSVs.

Fake people only: names are drawn from common Vietnamese name parts, addresses name streets
that do not exist ("Đường Giả Lập"), and the ID numbers are random within the structure the
gate checks (a real province code, the century/sex digit, the birth-year digits). Nothing
here is a real person's data.
"""

from __future__ import annotations

import csv
import hashlib
import datetime as dt
import io
import random
from dataclasses import dataclass, replace

from qrgate.credentials import citizen_id as cid

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ")
MIDDLE = {"male": ("Văn", "Hữu", "Đức", "Minh", "Quang"), "female": ("Thị", "Ngọc", "Thu", "Thanh", "Mai")}
GIVEN = {"male": ("An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Khoa", "Long", "Tuấn"),
         "female": ("Anh", "Chi", "Dung", "Hà", "Hạnh", "Lan", "Linh", "Nga", "Phương", "Yến")}
SEX_FIELD = {"male": "Nam", "female": "Nữ"}


@dataclass(frozen=True)
class FakeCitizen:
    number: str
    old_number: str
    name: str
    birth: dt.date
    sex: str  # "male" | "female"
    address: str
    issued: dt.date
    phone: str


def fake_citizen(rng: random.Random, today: dt.date, *, age: int | None = None, sex: str | None = None) -> FakeCitizen:
    """A made-up adult with a CCCD card that is valid on `today` (issued within the last two years)."""
    sex = sex or rng.choice(("male", "female"))
    age = age if age is not None else rng.randint(18, 80)
    birth = today.replace(year=today.year - age, day=1) - dt.timedelta(days=rng.randint(1, 330))
    province = rng.choice(sorted(cid.PROVINCES))
    century_digit = 2 * ((birth.year - 1900) // 100) + (1 if sex == "female" else 0)
    number = f"{province}{century_digit}{birth.year % 100:02d}{rng.randrange(10 ** 6):06d}"
    issued = max(today - dt.timedelta(days=rng.randint(30, 700)), cid.birthday(birth, 14))
    return FakeCitizen(
        number=number, old_number=f"{rng.randrange(10 ** 9):09d}" if rng.random() < 0.6 else "",
        name=f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}", birth=birth, sex=sex,
        address=f"Số {rng.randint(1, 300)}, Đường Giả Lập, Phường Mẫu {rng.randint(1, 9)}, "
                f"{cid.PROVINCES[province]}",
        issued=issued, phone=f"09{rng.randrange(10 ** 8):08d}")


def cccd_text(person: FakeCitizen, *, empty_fields: int = 0, bom: bool = False) -> str:
    """What the card's QR holds: 7 fields, then `empty_fields` empty ones as newer cards append."""
    fields = [person.number, person.old_number, person.name, person.birth.strftime("%d%m%Y"),
              SEX_FIELD[person.sex], person.address, person.issued.strftime("%d%m%Y")] + [""] * empty_fields
    return ("\ufeff" if bom else "") + "|".join(fields)


def pccovid_text(person: FakeCitizen, *, masked: bool = True, by_proxy: bool = False, qid: str | None = None) -> str:
    """PC-Covid's personal QR (Decision 1405/QĐ-BTTTT); masked: the app's default display."""
    number = "*" * 6 + person.number[6:] if masked else person.number
    birth = f"{person.birth.year}-**-**" if masked else person.birth.isoformat()
    qid = qid or "SIM" + hashlib.sha256(person.number.encode()).hexdigest()[:12].upper()
    return "|".join([number, cid.normalise_name(person.name), birth, "1" if by_proxy else "0", qid, ""])


def expired_card(person: FakeCitizen, today: dt.date) -> FakeCitizen:
    """The same person holding a card issued before their last renewal age, never renewed."""
    for age in reversed(cid.RENEWAL_AGES):
        due = cid.birthday(person.birth, age)
        if due < today:
            return replace(person, issued=cid.birthday(person.birth, age - 5))
    raise ValueError("nobody under 25 has an expired card")


LIST_HEADERS = {"vi": ("Họ và tên", "Ngày sinh", "Số điện thoại", "Số CCCD"),
                "en": ("Name", "Date of birth", "Phone", "CCCD number")}


def list_csv(people: list[FakeCitizen], language: str = "vi") -> str:
    """A site list as a facility keeps it: name, birth date (dd/mm/yyyy), phone, CCCD number."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(LIST_HEADERS[language])
    for p in people:
        writer.writerow([p.name, p.birth.strftime("%d/%m/%Y"), p.phone, p.number])
    return out.getvalue()


def enrol(store, list_name: str, people: list[FakeCitizen], key_path, at: float) -> int:
    """Put made-up people on a gate's site list (qrgate.lists.SiteLists), as `qrgate list import` does."""
    from qrgate.lists import seal
    from qrgate.lists.csvfile import ListRow

    if store.public_key is None:
        key = seal.load_key(key_path) if key_path.exists() else seal.create_key(key_path)
        store.set_public_key(seal.public_bytes(key))
    rows = [ListRow(i + 2, p.number, "cccd", p.name, p.birth, p.phone) for i, p in enumerate(people)]
    return store.replace(list_name, rows, at)
