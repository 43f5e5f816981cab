"""The images: the day pass QR a phone shows and saves, and the printable venue QR poster."""

from __future__ import annotations

import io
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from .texts import text

POSTER_DPI = 300
POSTER_CM = 21  # the sheet's least width; the symbol itself is at least 15 cm (Hanoi asks 15 x 15 cm)
QR_CM = 15
_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
          "DejaVuSans.ttf")


def pass_png(pass_text: str, scale: int = 8) -> bytes:
    """The pass as a PNG QR code (error correction M, quiet zone 4 modules)."""
    buf = io.BytesIO()
    segno.make(pass_text, error="m", micro=False).save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def _font(size: int):
    for name in _FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def cm_to_px(cm: float, dpi: int = POSTER_DPI) -> int:
    return round(cm / 2.54 * dpi)


def venue_poster(url: str, venue_name: str = "", dpi: int = POSTER_DPI) -> Image.Image:
    """A white sheet with the venue QR (QR_CM wide with its quiet zone) and the bilingual text."""
    qr = segno.make(url, error="q", micro=False)
    modules = qr.symbol_size(scale=1, border=4)[0]
    qr_px = cm_to_px(QR_CM, dpi)
    scale = -(-qr_px // (modules - 8))  # the symbol itself (without its quiet zone) is at least QR_CM
    side = modules * scale
    width = max(cm_to_px(POSTER_CM, dpi), side + 2 * cm_to_px(1, dpi))
    head, body = _font(cm_to_px(0.9, dpi)), _font(cm_to_px(0.55, dpi))
    lines = [(venue_name, head)] if venue_name else []
    lines += [(text("venue_scan", "vi"), head), (text("venue_scan", "en"), body), (url, body)]
    line_h = [cm_to_px(1.3, dpi) if f is head else cm_to_px(0.9, dpi) for _t, f in lines]
    height = side + sum(line_h) + 2 * cm_to_px(1, dpi)
    sheet = Image.new("L", (width, height), 255)
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=scale, border=4)
    sheet.paste(Image.open(buf).convert("L"), ((width - side) // 2, cm_to_px(1, dpi) // 2))
    draw = ImageDraw.Draw(sheet)
    y = side + cm_to_px(1, dpi)
    for (line, font), h in zip(lines, line_h):
        w = draw.textlength(line, font=font)
        draw.text(((width - w) / 2, y), line, fill=0, font=font)
        y += h
    return sheet


def save_venue_poster(path: str | Path, url: str, venue_name: str = "", dpi: int = POSTER_DPI) -> tuple[int, int]:
    sheet = venue_poster(url, venue_name, dpi)
    sheet.save(path, dpi=(dpi, dpi))
    return sheet.size
