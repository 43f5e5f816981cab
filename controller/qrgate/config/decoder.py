"""[decoder]: how frames become codes; the live pipeline and `qrgate decode` take this model as it is."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import ConfigModel

Binarizer = Literal["global_histogram", "local_average", "fixed_threshold"]


class DecoderConfig(ConfigModel):
    try_rotate: bool = Field(False, description="Also search for codes turned 90/270 degrees (slower)")
    try_invert: bool = Field(False, description="Also search for light-on-dark codes (slower)")
    try_downscale: bool = Field(False, description="Also search downscaled copies of the frame (slower)")
    binarizer: Binarizer = Field("global_histogram",
                                 description="First pass, on every frame (docs/vision.md has the measurement)")
    fallback_binarizer: Binarizer | None = Field(
        "local_average", description="Second pass when the first reads nothing; none: one pass only")
    fallback_every: int = Field(3, ge=1, description="In a stream, the second pass runs on every n-th frame "
                                                     "without a code (and on any frame where the first pass saw "
                                                     "a code it could not read)")
    fast_invert: bool = Field(True, description="The fast pass also reads light-on-dark codes (dark-mode "
                                                "phones) on every frame")
    deep_every: int = Field(10, ge=1, description="In a stream, every n-th budgeted escalation also runs the deep "
                                                  "passes (downscale and rotation)")
    upscale_below: int = Field(0, ge=0, description="A still image whose longer side is at most this many "
                                                    "pixels is tried again at twice its size (600 reads two more "
                                                    "corpus codes, at twice plain zxing-cpp's time on small "
                                                    "stills); 0: never")
    gone_after: float = Field(0.5, ge=0.0, description="Seconds unseen after which a code has left the view")
    repeat_after: float = Field(10.0, ge=0.0, description="Seconds after which a code held in view scans again")
