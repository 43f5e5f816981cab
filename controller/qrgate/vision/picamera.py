"""The Raspberry Pi camera through picamera2 (the `pi` extra), imported only when chosen.

We ask for YUV420 and keep only the Y plane: that is the gray frame, with no
colour conversion at all.
"""

from __future__ import annotations

import importlib
import logging

import numpy as np

from ..errors import CameraError
from .sources import FrameSource

log = logging.getLogger(__name__)


def _picamera2_class():
    try:
        return importlib.import_module("picamera2").Picamera2
    except ImportError:
        raise CameraError("the Pi camera needs picamera2: on Raspberry Pi OS 'sudo apt install python3-picamera2' "
                          "(and a venv with --system-site-packages), or pip install 'qrgate[pi]'") from None


# libcamera's control enums, by value (picamera2 takes plain ints)
METERING = {"centre": 0, "spot": 1, "matrix": 2}
EXPOSURE_MODES = {"normal": 0, "short": 1, "long": 2}
CONSTRAINTS = {"normal": 0, "highlight": 1, "shadows": 2}


def pi_controls(*, fps: float, metering: str = "centre", exposure_mode: str = "short",
                constraint: str = "highlight", exposure_value: float = -0.5,
                exposure_time_us: int | None = None, analogue_gain: float | None = None) -> dict:
    """picamera2 controls for a gate that reads phone screens as well as paper; pure.

    Defaults keep auto exposure, but metered on the centre where codes are held, constrained
    so the brightest part (a lit screen) is not clipped, half a stop darker, and favouring
    short exposures over long ones (less motion blur). `exposure_time_us` and `analogue_gain`
    fix the exposure instead (auto exposure off); the frame duration caps the time.
    """
    for name, value, allowed in (("metering", metering, METERING), ("exposure_mode", exposure_mode, EXPOSURE_MODES),
                                 ("constraint", constraint, CONSTRAINTS)):
        if value not in allowed:
            raise CameraError(f"Pi camera: unknown {name} {value!r}; choose one of {', '.join(allowed)}")
    if not -8.0 <= exposure_value <= 8.0:
        raise CameraError(f"Pi camera: exposure_value {exposure_value} is outside -8..8 stops")
    controls: dict = {"FrameRate": float(fps)}
    if exposure_time_us is None and analogue_gain is None:
        controls.update(AeEnable=True, AeMeteringMode=METERING[metering], AeExposureMode=EXPOSURE_MODES[exposure_mode],
                        AeConstraintMode=CONSTRAINTS[constraint], ExposureValue=float(exposure_value))
        return controls
    frame_us = 1_000_000 / fps
    if exposure_time_us is None or not 0 < exposure_time_us <= frame_us:
        raise CameraError(f"Pi camera: a fixed exposure needs exposure_time_us between 1 and {frame_us:.0f} "
                          f"(one frame at {fps:g} fps), got {exposure_time_us}")
    if analogue_gain is None or not 1.0 <= analogue_gain <= 16.0:
        raise CameraError(f"Pi camera: a fixed exposure needs analogue_gain between 1 and 16, got {analogue_gain}")
    controls.update(AeEnable=False, ExposureTime=int(exposure_time_us), AnalogueGain=float(analogue_gain))
    return controls


class PiCamera(FrameSource):
    """The Pi camera; the exposure arguments are pi_controls()'s (screen-friendly by default)."""

    def __init__(self, *, camera: int = 0, width: int = 1280, height: int = 720, fps: int = 30,
                 metering: str = "centre", exposure_mode: str = "short", constraint: str = "highlight",
                 exposure_value: float = -0.5, exposure_time_us: int | None = None,
                 analogue_gain: float | None = None):
        self.controls = pi_controls(fps=fps, metering=metering, exposure_mode=exposure_mode, constraint=constraint,
                                    exposure_value=exposure_value, exposure_time_us=exposure_time_us,
                                    analogue_gain=analogue_gain)
        self._cls = _picamera2_class()
        self.camera, self.width, self.height, self.fps = camera, width, height, fps
        self._cam = None
        self._open()

    def _open(self) -> None:
        try:
            cam = self._cls(self.camera)
            config = cam.create_video_configuration(
                main={"size": (self.width, self.height), "format": "YUV420"},
                buffer_count=2,  # newest frame, not a queue
                controls=dict(self.controls))
            cam.configure(config)
            cam.start()
        except Exception as exc:  # libcamera raises plain RuntimeError/IndexError for a missing camera
            raise CameraError(f"Pi camera {self.camera} cannot be opened ({exc})") from None
        self._cam = cam

    def read(self) -> np.ndarray | None:
        if self._cam is None:
            return None
        try:
            yuv = self._cam.capture_array("main")
        except Exception as exc:
            log.warning("Pi camera read failed: %s", exc)
            return None
        return np.ascontiguousarray(yuv[: self.height, : self.width])  # the Y plane

    def reopen(self) -> None:
        self.close()
        self._open()

    def close(self) -> None:
        if self._cam is not None:
            try:
                self._cam.stop()
                self._cam.close()
            except Exception:  # closing a camera that already vanished
                log.debug("Pi camera close failed", exc_info=True)
            self._cam = None
