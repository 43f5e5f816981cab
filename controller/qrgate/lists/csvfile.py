"""A site list as a facility keeps it: a CSV with name, birth date, phone and CCCD number.

Headers may be Vietnamese or English ("Họ và tên" / "Name", "Ngày sinh" / "Date of birth",
"Số điện thoại" / "Phone", "Số CCCD" / "CCCD number"), in any order, with or without
diacritics; the file may come from Excel (UTF-8 with BOM, `,` or `;`). A row with a problem
is reported by its line number and column, never by its content, and left out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from ..credentials import citizen_id as cid
from ..errors import ListError

COLUMNS = {
    "name": ("HO VA TEN", "HO TEN", "TEN", "NAME", "FULL NAME"),
    "birth": ("NGAY SINH", "NGAY THANG NAM SINH", "DATE OF BIRTH", "BIRTH DATE", "BIRTHDATE", "DOB"),
    "phone": ("SO DIEN THOAI", "DIEN THOAI", "SDT", "PHONE", "PHONE NUMBER", "MOBILE"),
    "number": ("SO CCCD", "CCCD", "SO DINH DANH", "SO DINH DANH CA NHAN", "SO CAN CUOC", "CCCD NUMBER",
               "ID NUMBER", "CITIZEN ID", "CITIZEN ID NUMBER"),
}
COLUMN_LABELS = {"name": "name", "birth": "birth date", "phone": "phone", "number": "CCCD number"}
MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ListRow:
    line: int
    number: str
    kind: str  # "cccd" (12 digits) or "cmnd" (9 digits)
    name: str
    birth: dt.date | None
    phone: str


@dataclass
class ReadResult:
    rows: list[ListRow]
    problems: list[str]  # "line 7: CCCD number is not 12 digits"
    restored_zeros: int = 0  # numbers a spreadsheet had stripped of their leading zeros


def _header_key(text: str) -> str:
    cleaned = "".join(c if c.isalnum() else " " for c in cid.normalise_name(text))
    return " ".join(cleaned.split())


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        key = _header_key(title)
        for column, aliases in COLUMNS.items():
            if key in aliases and column not in found:
                found[column] = index
    missing = [COLUMN_LABELS[c] for c in ("name", "number") if c not in found]
    if missing:
        raise ListError(f"the header names no {' and no '.join(missing)} column (Vietnamese or English "
                        "headers: 'Họ và tên' / 'Name', 'Số CCCD' / 'CCCD number', ...)")
    return found


def parse_date(text: str) -> dt.date | None:
    text = text.strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d%m%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _number(text: str) -> tuple[str | None, str, bool]:
    """(number, kind, leading zeros restored) or (None, problem, False)."""
    digits = "".join(text.split())
    if not (digits.isascii() and digits.isdigit()):
        return None, "CCCD number is not all digits", False
    if len(digits) in (10, 11):  # every province code starts with 0: a spreadsheet dropped it
        return digits.zfill(12), "cccd", True
    if len(digits) == 12:
        return digits, "cccd", False
    if len(digits) == 9:
        return digits, "cmnd", False
    return None, "CCCD number is not 12 digits (nor a 9-digit CMND number)", False


def read_list(path: str | Path) -> ReadResult:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ListError(f"{path}: no such file") from None
    except OSError as exc:
        raise ListError(f"{path}: cannot read ({exc.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise ListError(f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MB; not a site list")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ListError(f"{path}: not UTF-8 text; save it as 'CSV UTF-8'") from None
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ListError(f"{path}: the file is empty") from None
    except csv.Error as exc:
        raise ListError(f"{path}: not a CSV file ({exc})") from None
    columns = _columns(header)
    result = ReadResult([], [])
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            _row(row, line, columns, result)
    except csv.Error as exc:
        raise ListError(f"{path}: line {reader.line_num}: not valid CSV ({exc})") from None
    return result


def _row(row: list[str], line: int, columns: dict[str, int], result: ReadResult) -> None:
    cell = lambda column: row[columns[column]].strip() if column in columns and columns[column] < len(row) else ""
    number, kind, restored = _number(cell("number"))
    if number is None:
        result.problems.append(f"line {line}: {kind}")
        return
    name = " ".join(cell("name").split())
    if not name:
        result.problems.append(f"line {line}: the name is empty")
        return
    birth = None
    if cell("birth"):
        birth = parse_date(cell("birth"))
        if birth is None:
            result.problems.append(f"line {line}: the birth date is not a date (dd/mm/yyyy)")
            return
    if kind == "cccd":
        checks = cid.number_checks(number, birth.year if birth else None, None)
        failed = [c for c, ok in checks.items() if ok is False]
        if failed:
            what = {"province": "has no such province code", "century_sex": "disagrees with the birth year "
                    "(century digit)", "birth_year_digits": "disagrees with the birth year"}[failed[0]]
            result.problems.append(f"line {line}: the CCCD number {what}")
            return
    result.restored_zeros += restored
    result.rows.append(ListRow(line, number, kind, name, birth, cell("phone")))
