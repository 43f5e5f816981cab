"""Printable sheets of pass cards for visitors without a smartphone (PNG or PDF, via Pillow).

A4 at 150 dpi, two columns of four cards; each card has the QR code (error correction M,
~5 cm), the pass kind, its validity in the site's local time, the pass id and an optional
label the office chooses. The holder's name or ID number is never printed or encoded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import segno
from PIL import Image, ImageDraw, ImageFont

from ..errors import QrgateError

DPI = 150
PAGE = (1240, 1754)  # A4 at 150 dpi
COLUMNS, ROWS = 2, 4
MARGIN = 40
QR_SCALE = 6
_FONT_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans.ttf")
KIND_TEXT = {"visitor": ("Khách", "Visitor"), "staff": ("Nhân viên", "Staff"),
             "contractor": ("Nhà thầu", "Contractor"), "health_declaration": ("Tờ khai y tế", "Health declaration")}


@dataclass(frozen=True)
class Card:
    payload: str
    pass_id: str
    kind: str
    valid_from: float
    valid_until: float
    label: str = ""


def _font(size: int):
    for name in _FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _local(ts: float, tz) -> str:
    return dt.datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M %z")


def _fitted(draw: ImageDraw.ImageDraw, text: str, size: int, width: int):
    """The largest font up to `size` in which `text` fits `width` pixels (long labels shrink)."""
    while size > 12 and draw.textlength(text, font=_font(size)) > width:
        size -= 2
    return _font(size)


def render_card(card: Card, size: tuple[int, int], tz=None) -> Image.Image:
    tz = tz or dt.timezone.utc
    width, height = size
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width - 1, height - 1), outline=160, width=2)  # cut line
    qr = segno.make(card.payload, error="m", micro=False, boost_error=False)
    dark = np.array([list(row) for row in qr.matrix_iter(scale=QR_SCALE, border=4)], dtype=bool)
    code = Image.fromarray(np.where(dark, 0, 255).astype(np.uint8))
    side = code.width
    img.paste(code, (10, (height - side) // 2))
    x = side + 20
    room = width - x - 10
    vi, en = KIND_TEXT.get(card.kind, (card.kind, card.kind))
    lines = [(vi, 28), (en, 20)]
    if card.label:
        lines.append((card.label, 26))
    lines += [("Hiệu lực / Valid", 18), (_local(card.valid_from, tz), 18),
              ("→ " + _local(card.valid_until, tz), 18), (f"#{card.pass_id}", 18)]
    y = 36
    for text, size in lines:
        font = _fitted(draw, text, size, room)
        draw.text((x, y), text, fill=0, font=font)
        y += font.size + 12
    return img


def render_sheets(cards: list[Card], tz=None) -> list[Image.Image]:
    if not cards:
        raise QrgateError("no cards to print")
    cell = ((PAGE[0] - 2 * MARGIN) // COLUMNS, (PAGE[1] - 2 * MARGIN) // ROWS)
    pages = []
    per_page = COLUMNS * ROWS
    for start in range(0, len(cards), per_page):
        page = Image.new("L", PAGE, 255)
        for i, card in enumerate(cards[start:start + per_page]):
            col, row = i % COLUMNS, i // COLUMNS
            page.paste(render_card(card, (cell[0] - 10, cell[1] - 10), tz),
                       (MARGIN + col * cell[0] + 5, MARGIN + row * cell[1] + 5))
        pages.append(page)
    return pages


def save_sheets(pages: list[Image.Image], path: str | Path) -> list[str]:
    """PDF: one file, a page per sheet. PNG: path itself, or path-2.png... for further sheets."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".pdf":
            pages[0].save(path, "PDF", resolution=DPI, save_all=True, append_images=pages[1:])
            return [str(path)]
        if path.suffix.lower() != ".png":
            raise QrgateError(f"{path}: the sheet must be a .pdf or a .png file")
        written = []
        for i, page in enumerate(pages):
            target = path if i == 0 else path.with_name(f"{path.stem}-{i + 1}{path.suffix}")
            page.save(target, dpi=(DPI, DPI))
            written.append(str(target))
        return written
    except OSError as exc:
        raise QrgateError(f"cannot write {path}: {exc.strerror or exc}") from None
