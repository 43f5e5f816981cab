"""The one QR decoder of the gate: `qrgate decode`, the live pipeline and the bench share it.

Two passes, chosen by measurement (docs/vision.md): a fast global-histogram pass on
every frame, and the slower local-average pass only when the fast one found nothing
and either saw a damaged candidate or it is every `fallback_every`-th frame. A still
image (the first frame of a stream) always gets both passes. Rotation, inversion and
downscale retries are off: a gate camera looks at upright, dark-on-light codes at a
known distance, and each retry only costs time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import zxingcpp

from ..config.decoder import DecoderConfig
from ..errors import CameraError

BINARIZERS = {  # the names the [decoder] config offers (a test keeps them equal)
    "global_histogram": zxingcpp.Binarizer.GlobalHistogram,
    "local_average": zxingcpp.Binarizer.LocalAverage,
    "fixed_threshold": zxingcpp.Binarizer.FixedThreshold,
}


# zxing-cpp 3 made QRCode a family (Micro QR, rMQR, Model 1); a pass is a plain Model 2 QR code
QR_ONLY = getattr(zxingcpp.BarcodeFormat, "QRCodeModel2", zxingcpp.BarcodeFormat.QRCode)


@dataclass(frozen=True)
class DecodedCode:
    text: str
    corners: tuple[tuple[int, int], ...]  # top-left, top-right, bottom-right, bottom-left


@dataclass
class DecoderStats:
    frames: int = 0
    candidates: int = 0  # frames with a code-like pattern the fast pass could not read
    fallbacks: int = 0  # frames that paid for the second pass
    fallback_finds: int = 0  # codes only the second pass found


class Decoder:
    """Not thread-safe: one decoder per camera lane (it counts that lane's frames)."""

    def __init__(self, settings: DecoderConfig = DecoderConfig()):
        """`settings` is the [decoder] table of the config (its defaults are the measured ones)."""
        self.settings = settings
        self.stats = DecoderStats()
        common = dict(formats=QR_ONLY, try_rotate=settings.try_rotate,
                      try_invert=settings.try_invert, try_downscale=settings.try_downscale,
                      text_mode=zxingcpp.TextMode.Plain)  # the exact text, not a display form
        self._first = dict(common, binarizer=BINARIZERS[settings.binarizer],
                           return_errors=settings.fallback_binarizer is not None)
        self._second = (dict(common, binarizer=BINARIZERS[settings.fallback_binarizer])
                        if settings.fallback_binarizer else None)
        self._since_fallback = 0

    def decode(self, gray: np.ndarray, *, still: bool = False) -> list[DecodedCode]:
        """Every QR code in a grayscale (H×W uint8) frame; [] when there is none.

        `still=True` treats the frame as a stream of its own (a photo, a replayed file):
        the fallback pass runs whenever the first pass found nothing.
        """
        if not isinstance(gray, np.ndarray) or gray.ndim != 2 or gray.dtype != np.uint8:
            got = f"{getattr(gray, 'dtype', type(gray).__name__)} {getattr(gray, 'shape', '')}"
            raise CameraError(f"decoder needs an 8-bit grayscale frame, got {got}")
        self.stats.frames += 1
        results = zxingcpp.read_barcodes(gray, **self._first)
        found = [r for r in results if r.valid]
        if found or self._second is None:
            return _codes(found)
        candidate = bool(results)  # the fast pass saw finder patterns but could not read them
        self.stats.candidates += candidate
        self._since_fallback += 1
        if not (still or candidate or self._since_fallback >= self.settings.fallback_every):
            return []
        self._since_fallback = 0
        self.stats.fallbacks += 1
        found = [r for r in zxingcpp.read_barcodes(gray, **self._second) if r.valid]
        self.stats.fallback_finds += len(found)
        return _codes(found)


def _codes(results) -> list[DecodedCode]:
    return [DecodedCode(r.text, _corners(r.position)) for r in results]


def _corners(position) -> tuple[tuple[int, int], ...]:
    return tuple((p.x, p.y) for p in (position.top_left, position.top_right,
                                      position.bottom_right, position.bottom_left))
