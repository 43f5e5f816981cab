"""The one QR decoder of the gate: `qrgate decode`, the live pipeline and the bench share it.

A cascade of zxing-cpp passes, cheapest first, chosen by measurement (docs/vision.md):

- fast: GlobalHistogram, light-on-dark included, on every frame;
- escalate: LocalAverage (uneven light), light-on-dark included, on a frame where the fast
  pass saw a code it could not read, and on every `fallback_every`-th code-less frame;
- deep: LocalAverage with downscaled copies and 90° turns, on a
  candidate frame the escalation could not read either, and on every `deep_every`-th
  escalation (a code nothing cheaper sees is still tried about once a second);
- a still image (`qrgate decode`, the first frame of a replay) runs the whole cascade, and
  a small one (`upscale_below`, 600 pixels) is then tried again at twice its size.

The first pass that reads a code ends the cascade, so a frame costs only what it needs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class Pass:
    """One zxing-cpp call: a binarizer and the retries zxing makes inside it."""

    name: str
    binarizer: str
    invert: bool = False
    downscale: bool = False
    rotate: bool = False
    upscale: bool = False  # the frame at twice its size (stills only)

    def options(self) -> dict:
        return dict(formats=QR_ONLY, binarizer=BINARIZERS[self.binarizer], try_invert=self.invert,
                    try_downscale=self.downscale, try_rotate=self.rotate,
                    text_mode=zxingcpp.TextMode.Plain)  # the exact text, not a display form


@dataclass
class DecoderStats:
    frames: int = 0
    candidates: int = 0  # frames with a code-like pattern the fast pass could not read
    fallbacks: int = 0  # frames that paid for the escalation
    fallback_finds: int = 0  # codes only a later pass found
    deep: int = 0  # frames that paid for the deep passes
    read_by: Counter = field(default_factory=Counter)  # pass name -> frames it read


class Decoder:
    """Not thread-safe: one decoder per camera lane (it counts that lane's frames)."""

    def __init__(self, settings: DecoderConfig = DecoderConfig()):
        """`settings` is the [decoder] table of the config (its defaults are the measured ones)."""
        self.settings = settings
        self.stats = DecoderStats()
        s = settings
        self.fast = Pass("fast", s.binarizer, invert=s.try_invert or s.fast_invert,
                         downscale=s.try_downscale, rotate=s.try_rotate)
        self.escalation: tuple[Pass, ...] = ()
        self.deep: tuple[Pass, ...] = ()
        self.upscaled: tuple[Pass, ...] = ()
        if s.fallback_binarizer is not None:
            self.escalation = (Pass("escalate", s.fallback_binarizer, invert=True),)
            # (the same with the fast binarizer was measured too: it read no code this one missed)
            self.deep = (Pass("deep", s.fallback_binarizer, invert=True, downscale=True, rotate=True),)
            # measured: the global threshold reads more codes blown up than the local one
            self.upscaled = (Pass("upscaled", s.binarizer, invert=True, downscale=True, rotate=True, upscale=True),)
        self._fast_options = dict(self.fast.options(), return_errors=bool(self.escalation))
        self._since_fallback = 0
        self._escalations = 0

    def decode(self, gray: np.ndarray, *, still: bool = False) -> list[DecodedCode]:
        """Every QR code in a grayscale (H×W uint8) frame; [] when there is none.

        `still=True` treats the frame as a stream of its own (a photo, a replayed file):
        every pass of the cascade runs until one reads a code.
        """
        if not isinstance(gray, np.ndarray) or gray.ndim != 2 or gray.dtype != np.uint8:
            got = f"{getattr(gray, 'dtype', type(gray).__name__)} {getattr(gray, 'shape', '')}"
            raise CameraError(f"decoder needs an 8-bit grayscale frame, got {got}")
        self.stats.frames += 1
        results = zxingcpp.read_barcodes(gray, **self._fast_options)
        found = [r for r in results if r.valid]
        if found or not self.escalation:
            return self._read("fast", found)
        candidate = bool(results)  # the fast pass saw finder patterns but could not read them
        self.stats.candidates += candidate
        self._since_fallback += 1
        if not (still or candidate or self._since_fallback >= self.settings.fallback_every):
            return []
        budgeted = not (still or candidate)
        self._since_fallback = 0
        self.stats.fallbacks += 1
        passes = [] if still else list(self.escalation)  # a still goes deep at once: deep repeats it
        if budgeted:
            self._escalations += 1
        if still or candidate or self._escalations % self.settings.deep_every == 0:
            passes += self.deep
            self.stats.deep += 1
        if still and max(gray.shape) <= self.settings.upscale_below:
            passes += self.upscaled
        for step in passes:
            image = _twice(gray) if step.upscale else gray
            found = [r for r in zxingcpp.read_barcodes(image, **step.options()) if r.valid]
            if found:
                self.stats.fallback_finds += len(found)
                return self._read(step.name, found, halve=step.upscale)
        return []

    def _read(self, name: str, found: list, *, halve: bool = False) -> list[DecodedCode]:
        if found:
            self.stats.read_by[name] += 1
        return [DecodedCode(r.text, _corners(r.position, 2 if halve else 1)) for r in found]


def _twice(gray: np.ndarray) -> np.ndarray:
    """The frame at twice its size, each pixel copied: a tiny code's modules get enough pixels
    (measured: as good as bicubic on the corpus, and ten times cheaper than PIL's resize)."""
    return np.repeat(np.repeat(gray, 2, axis=0), 2, axis=1)


def _corners(position, scale: int = 1) -> tuple[tuple[int, int], ...]:
    return tuple((p.x // scale, p.y // scale) for p in (position.top_left, position.top_right,
                                                        position.bottom_right, position.bottom_left))
