"""The one QR decoder of the gate: `qrgate decode`, the live pipeline and the bench share it.

A cascade of zxing-cpp passes, cheapest first, chosen by measurement (docs/vision.md):

- fast: GlobalHistogram, light-on-dark included, on every frame;
- escalate: LocalAverage (uneven light), light-on-dark included, on a frame where the fast
  pass saw a code it could not read, and on every `fallback_every`-th code-less frame;
- deep: LocalAverage with downscaled copies and 90° turns, on a
  candidate frame the escalation could not read either, and on every `deep_every`-th
  escalation (a code nothing cheaper sees is still tried about once a second);
- a still image (`qrgate decode`, the first frame of a replay) runs what plain zxing-cpp's
  own call does, split so that the cheapest likely read comes first: a larger one the fast
  pass without light-on-dark, then the deep pass; a small one (`LOCAL_FIRST_PIXELS`)
  LocalAverage on the image, the fast pass, LocalAverage on its negative. Only when
  `upscale_below` is set, a small still is then tried at twice its size.

The first pass that reads a code ends the cascade, so a frame costs only what it needs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

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

# A still of at most this many pixels (300 x 300) goes to LocalAverage first. On such an image
# decoding, not binarizing, is most of the cost: LocalAverage on one polarity costs 1.3x the
# fast pass, 0.85x plain zxing-cpp (whose own call tries the negative even after a read), and
# reads what uneven light hides from the fast pass (docs/vision.md, "Against plain zxing-cpp").
LOCAL_FIRST_PIXELS = 300 * 300


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
    negative: bool = False  # the frame's negative: light-on-dark without zxing's second try
    candidates: bool = False  # also return what zxing found but could not read

    @cached_property
    def options(self) -> dict:
        """Built once, not per call (1-2 us each time, on passes of 0.1 ms on small stills)."""
        return dict(formats=QR_ONLY, binarizer=BINARIZERS[self.binarizer], try_invert=self.invert,
                    try_downscale=self.downscale, try_rotate=self.rotate, return_errors=self.candidates,
                    text_mode=zxingcpp.TextMode.Plain)  # the exact text, not a display form

    def read(self, gray: np.ndarray) -> list:
        image = _twice(gray) if self.upscale else np.invert(gray) if self.negative else gray
        return zxingcpp.read_barcodes(image, **self.options)


@dataclass
class DecoderStats:
    frames: int = 0
    candidates: int = 0  # stream frames with a code-like pattern the fast pass could not read
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
        retries = dict(downscale=s.try_downscale, rotate=s.try_rotate)
        fallback = s.fallback_binarizer is not None
        self.fast = Pass("fast", s.binarizer, invert=s.try_invert or s.fast_invert, candidates=fallback, **retries)
        # a still goes on to the deep pass whatever the fast one saw, and the deep pass reads
        # light-on-dark codes too: without its own inverted try, the fast pass fails at half the cost
        self.still_fast = Pass("fast", s.binarizer, invert=s.try_invert, **retries) if fallback else self.fast
        self.escalation: tuple[Pass, ...] = ()
        self.deep: tuple[Pass, ...] = ()
        self.upscaled: tuple[Pass, ...] = ()
        self.small_still: tuple[Pass, ...] = (self.still_fast,)
        if fallback:
            self.escalation = (Pass("escalate", s.fallback_binarizer, invert=True),)
            # (the same with the fast binarizer was measured too: it read no code this one missed)
            self.deep = (Pass("deep", s.fallback_binarizer, invert=True, downscale=True, rotate=True),)
            # measured: the global threshold reads more codes blown up than the local one
            self.upscaled = (Pass("upscaled", s.binarizer, invert=True, downscale=True, rotate=True, upscale=True),)
            # the deep pass in three (zxing downscales no image this small), cheapest likely read first
            self.small_still = (Pass("local", s.fallback_binarizer), self.still_fast,
                                Pass("negative", s.fallback_binarizer, negative=True))
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
        if still:
            return self._still(gray)
        results = self.fast.read(gray)
        found = [r for r in results if r.valid]
        if found or not self.escalation:
            return self._read("fast", found)
        candidate = bool(results)  # the fast pass saw finder patterns but could not read them
        self.stats.candidates += candidate
        self._since_fallback += 1
        if not (candidate or self._since_fallback >= self.settings.fallback_every):
            return []
        self._since_fallback = 0
        self.stats.fallbacks += 1
        passes = list(self.escalation)
        if not candidate:
            self._escalations += 1  # a budgeted escalation
        if candidate or self._escalations % self.settings.deep_every == 0:
            passes += self.deep
            self.stats.deep += 1
        return self._escalate(gray, passes)

    def _still(self, gray: np.ndarray) -> list[DecodedCode]:
        """Plain zxing-cpp's own call in cheaper pieces (module docstring), then upscaled."""
        first, *rest = self.small_still if gray.size <= LOCAL_FIRST_PIXELS else (self.still_fast, *self.deep)
        found = first.read(gray)
        if found or not self.escalation:
            return self._read(first.name, found)
        self.stats.fallbacks += 1
        self.stats.deep += 1
        if max(gray.shape) <= self.settings.upscale_below:
            rest += self.upscaled
        return self._escalate(gray, rest)

    def _escalate(self, gray: np.ndarray, passes) -> list[DecodedCode]:
        for step in passes:
            found = [r for r in step.read(gray) if r.valid]
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
