"""Frame sources behind one interface; each backend's library is imported only when chosen.

A *live* source (a camera) that returns no frame has a fault: the runner reports it and
calls reopen() with back-off. A finite source (image files, a video file) that returns
None has simply ended.
"""

from __future__ import annotations

import abc
import importlib
import logging
import time
from pathlib import Path

import numpy as np

from ..errors import CameraError

log = logging.getLogger(__name__)


class FrameSource(abc.ABC):
    """Gives 8-bit grayscale frames, one per read(), at the source's own pace."""

    is_live = True  # a camera: no frame means a fault, not the end

    @abc.abstractmethod
    def read(self) -> np.ndarray | None:
        """The next frame; None when the source has ended (a finished file) or failed."""

    def reopen(self) -> None:
        """Open the device again after a fault; raises CameraError while it is still gone."""
        raise CameraError(f"{type(self).__name__} cannot reconnect")

    def close(self) -> None:
        """Free the device; calling it twice is harmless."""


def need_cv2(what: str):
    try:
        cv2 = importlib.import_module("cv2")
    except ImportError:
        raise CameraError(f"{what} needs OpenCV: pip install 'qrgate[camera]'") from None
    try:  # OpenCV's own warnings would repeat on every reconnect attempt; we log our own
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    except AttributeError:
        pass
    return cv2


def load_gray(path: str | Path) -> np.ndarray:
    """An image file as an 8-bit grayscale array; transparent parts count as white paper."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
                rgba = img.convert("RGBA")
                paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                paper.alpha_composite(rgba)
                img = paper
            return np.ascontiguousarray(np.asarray(img.convert("L")))
    except FileNotFoundError:
        raise CameraError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CameraError(f"{path}: is a folder, not an image") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise CameraError(f"{path}: not an image ({exc})") from None


def to_gray(frame: np.ndarray, cv2) -> np.ndarray | None:
    """Whatever a capture device handed over, as gray: an MJPEG buffer, YUYV, BGR or gray.

    An MJPEG buffer is decoded straight to its luma plane (no colour conversion at all);
    from YUYV the Y plane is every other byte. None: a corrupt JPEG (a USB glitch).
    """
    if frame is None or frame.size == 0:
        return None
    if frame.ndim == 1 or (frame.ndim == 2 and frame.shape[0] == 1):  # compressed bytes
        return cv2.imdecode(frame.reshape(-1), cv2.IMREAD_GRAYSCALE)
    if frame.ndim == 2:
        return frame
    if frame.shape[2] == 2:  # YUYV with RGB conversion off: Y, U/V interleaved
        return np.ascontiguousarray(frame[:, :, 0])
    if frame.shape[2] == 1:
        return np.ascontiguousarray(frame[:, :, 0])
    return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY if frame.shape[2] == 4 else cv2.COLOR_BGR2GRAY)


class ImageFiles(FrameSource):
    """Replays image files, optionally at a frame rate, for tests and incident replays."""

    is_live = False

    def __init__(self, paths, *, fps: float | None = None):
        self._paths = list(paths)
        self._period = 1.0 / fps if fps else 0.0

    def read(self) -> np.ndarray | None:
        if not self._paths:
            return None
        if self._period:
            time.sleep(self._period)
        return load_gray(self._paths.pop(0))

    @classmethod
    def folder(cls, folder: str | Path, *, fps: float | None = None) -> "ImageFiles":
        """Every PNG/JPEG/BMP in a folder, in name order."""
        folder = Path(folder)
        if not folder.is_dir():
            raise CameraError(f"{folder}: no such folder")
        return cls(sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), fps=fps)


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".mjpeg", ".mjpg", ".webm", ".m4v"}


class VideoFile(FrameSource):
    """A recorded video, frame by frame (as fast as decoded, or paced at `fps`)."""

    is_live = False

    def __init__(self, path: str | Path, *, fps: float | None = None):
        cv2 = need_cv2("reading video files")
        if not Path(path).is_file():
            raise CameraError(f"{path}: no such file")
        self._cv2 = cv2
        self._cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)  # not the image-sequence reader
        ok, first = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok:  # a readable container must give at least one frame
            self._cap.release()
            raise CameraError(f"{path}: not a video OpenCV can read")
        self._pending = first
        self.path = str(path)
        self.index = -1  # the number of the frame read last
        self._period = 1.0 / fps if fps else 0.0

    def read(self) -> np.ndarray | None:
        if self._cap is None:
            return None
        if self._pending is not None:
            ok, frame, self._pending = True, self._pending, None
        else:
            ok, frame = self._cap.read()
        if not ok:
            return None
        self.index += 1
        if self._period:
            time.sleep(self._period)
        return to_gray(frame, self._cv2)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


# V4L2's exposure_auto menu as OpenCV's V4L2 backend passes it through
V4L2_EXPOSURE_MANUAL, V4L2_EXPOSURE_APERTURE_PRIORITY = 1, 3


def v4l2_exposure(cv2, *, auto_exposure: bool | None, exposure: float | None,
                  gain: float | None) -> list[tuple[str, int, float]]:
    """The OpenCV properties to set, in order, as (name, property, value); pure.

    None leaves the driver's own setting. A fixed `exposure` (V4L2 exposure_time_absolute,
    in units of 100 µs: 40 = 4 ms) needs auto exposure off, so it turns it off unless told.
    """
    if auto_exposure is None and exposure is not None:
        auto_exposure = False
    if auto_exposure is False and exposure is None:
        raise CameraError("camera: auto_exposure off needs an exposure value (in 100 µs units, e.g. 40 = 4 ms)")
    props: list[tuple[str, int, float]] = []
    if auto_exposure is not None:
        props.append(("auto_exposure", cv2.CAP_PROP_AUTO_EXPOSURE,
                      V4L2_EXPOSURE_APERTURE_PRIORITY if auto_exposure else V4L2_EXPOSURE_MANUAL))
    if exposure is not None:
        if exposure <= 0:
            raise CameraError(f"camera: exposure must be positive, got {exposure}")
        props.append(("exposure", cv2.CAP_PROP_EXPOSURE, float(exposure)))
    if gain is not None:
        if gain < 0:
            raise CameraError(f"camera: gain must not be negative, got {gain}")
        props.append(("gain", cv2.CAP_PROP_GAIN, float(gain)))
    return props


class OpenCVCamera(FrameSource):
    """A V4L2/USB camera through OpenCV; MJPEG decoded straight to gray, no colour conversion.

    `auto_exposure`, `exposure` and `gain` (None: the driver's own) are for phone screens:
    a camera that meters a dim lobby blows a lit screen out (docs/vision.md, camera settings).
    """

    def __init__(self, *, device: int | str = 0, width: int = 1280, height: int = 720, fps: int = 30,
                 pixel_format: str = "MJPG", read_timeout_ms: int = 1000, auto_exposure: bool | None = None,
                 exposure: float | None = None, gain: float | None = None):
        self._cv2 = need_cv2("the OpenCV camera")
        self.device, self.width, self.height, self.fps = device, width, height, fps
        self.pixel_format, self.read_timeout_ms = pixel_format, read_timeout_ms
        self.exposure_settings = v4l2_exposure(self._cv2, auto_exposure=auto_exposure, exposure=exposure, gain=gain)
        self._cap = None
        self._open()

    def _open(self) -> None:
        cv2 = self._cv2
        backend = cv2.CAP_V4L2 if isinstance(self.device, int) or str(self.device).startswith("/dev/") else cv2.CAP_ANY
        cap = cv2.VideoCapture(self.device, backend)
        if not cap.isOpened():
            cap.release()
            raise CameraError(f"camera {self.device!r} cannot be opened")
        if self.pixel_format:
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*self.pixel_format))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_FPS, self.fps)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # we want the newest frame, not a queue
        cap.set(cv2.CAP_PROP_CONVERT_RGB, 0)  # MJPEG stays compressed, YUYV stays YUYV: we take luma only
        if hasattr(cv2, "CAP_PROP_READ_TIMEOUT_MSEC"):
            cap.set(cv2.CAP_PROP_READ_TIMEOUT_MSEC, self.read_timeout_ms)  # a hung device must not hang us
        for name, prop, value in self.exposure_settings:  # a camera without the control says no: log it, go on
            if not cap.set(prop, value):
                log.warning("camera %s does not take %s = %s", self.device, name, value)
            else:
                log.info("camera %s: %s = %s (reads back %s)", self.device, name, value, cap.get(prop))
        self._cap = cap
        log.info("camera %s open at %dx%d", self.device, int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                 int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))

    def read(self) -> np.ndarray | None:
        if self._cap is None:
            return None
        ok, frame = self._cap.read()
        return to_gray(frame, self._cv2) if ok else None

    def reopen(self) -> None:
        self.close()
        self._open()

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
