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


class PiCamera(FrameSource):
    def __init__(self, *, camera: int = 0, width: int = 1280, height: int = 720, fps: int = 30):
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
                controls={"FrameRate": float(self.fps)})
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
