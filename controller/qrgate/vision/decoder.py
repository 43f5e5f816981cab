"""The one QR decoder of the gate: `qrgate decode`, the live pipeline and the bench share it.

Settings are chosen by measurement (bench/): a gate camera looks at upright codes, so
90° rotation search, inverted-code search and downscaled retries only cost time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import zxingcpp

from ..errors import CameraError


@dataclass(frozen=True)
class DecodedCode:
    text: str
    corners: tuple[tuple[int, int], ...]  # top-left, top-right, bottom-right, bottom-left


@dataclass(frozen=True)
class DecoderSettings:
    try_rotate: bool = False
    try_invert: bool = False
    try_downscale: bool = False


class Decoder:
    def __init__(self, settings: DecoderSettings = DecoderSettings()):
        self.settings = settings

    def decode(self, gray: np.ndarray) -> list[DecodedCode]:
        """Every QR code in a grayscale (H×W uint8) frame; [] when there is none."""
        if gray.ndim != 2 or gray.dtype != np.uint8:
            raise CameraError(f"decoder needs an 8-bit grayscale frame, got {gray.dtype} {gray.shape}")
        results = zxingcpp.read_barcodes(
            gray, formats=zxingcpp.BarcodeFormat.QRCode, try_rotate=self.settings.try_rotate,
            try_invert=self.settings.try_invert, try_downscale=self.settings.try_downscale)
        return [DecodedCode(r.text, _corners(r.position)) for r in results if r.valid]


def _corners(position) -> tuple[tuple[int, int], ...]:
    return tuple((p.x, p.y) for p in (position.top_left, position.top_right,
                                      position.bottom_right, position.bottom_left))
