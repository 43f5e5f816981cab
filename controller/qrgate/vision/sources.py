"""Frame sources behind one interface; each backend's library is imported only when chosen."""

from __future__ import annotations

import abc
import importlib
import time
from pathlib import Path

import numpy as np

from ..errors import CameraError


class FrameSource(abc.ABC):
    """Gives 8-bit grayscale frames, one per read(), at the camera's own pace."""

    @abc.abstractmethod
    def read(self) -> np.ndarray | None:
        """The next frame; None when the source has ended (a finished file) or failed."""

    def close(self) -> None:
        """Free the device; calling it twice is harmless."""


def load_gray(path: str | Path) -> np.ndarray:
    """An image file as an 8-bit grayscale array, with a clear error for anything else."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("L"))
    except FileNotFoundError:
        raise CameraError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise CameraError(f"{path}: not an image ({exc})") from None


class ImageFiles(FrameSource):
    """Replays image files, optionally at a frame rate, for tests and incident replays."""

    def __init__(self, paths, *, fps: float | None = None):
        self._paths = list(paths)
        self._period = 1.0 / fps if fps else 0.0

    def read(self) -> np.ndarray | None:
        if not self._paths:
            return None
        if self._period:
            time.sleep(self._period)
        return load_gray(self._paths.pop(0))


class OpenCVCamera(FrameSource):
    """A V4L2/USB camera through OpenCV, converted to gray at capture."""

    def __init__(self, *, device: int | str = 0, width: int = 1280, height: int = 720, fps: int = 30):
        try:
            cv2 = importlib.import_module("cv2")
        except ImportError:
            raise CameraError("the OpenCV camera needs opencv-python-headless: pip install 'qrgate[camera]'") from None
        self._cv2 = cv2
        self._cap = cv2.VideoCapture(device)
        if not self._cap.isOpened():
            raise CameraError(f"camera {device!r} cannot be opened")
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._cap.set(cv2.CAP_PROP_FPS, fps)
        self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # we want the newest frame, not a queue

    def read(self) -> np.ndarray | None:
        ok, frame = self._cap.read()
        if not ok:
            return None
        return frame if frame.ndim == 2 else self._cv2.cvtColor(frame, self._cv2.COLOR_BGR2GRAY)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
