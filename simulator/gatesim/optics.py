"""A cheap camera's flaws, each one small function on a float32 frame (gray levels 0..255)."""

from __future__ import annotations

import math

import numpy as np


def need_cv2():
    """OpenCV, or a clear error: realistic scenes need it (pip install 'qrgate[camera]')."""
    try:
        import cv2
    except ImportError:
        raise RuntimeError("realistic virtual-camera scenes need OpenCV: pip install 'qrgate[camera]' "
                           "(or use difficulty='easy')") from None
    return cv2


def apply_lighting(frame: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """Light falling off across the frame from a random side, plus a little vignetting."""
    if strength <= 0:
        return frame
    import cv2

    h, w = frame.shape
    angle = rng.uniform(0, 2 * math.pi)
    gh, gw = max(2, h // 8), max(2, w // 8)  # smooth: compute coarse, then stretch
    ys, xs = np.linspace(-1, 1, gh, dtype=np.float32)[:, None], np.linspace(-1, 1, gw, dtype=np.float32)[None, :]
    ramp = (xs * math.cos(angle) + ys * math.sin(angle)) * 0.5  # -0.7..0.7
    gain = 1.0 - strength * (ramp + 0.5) - strength * (xs * xs + ys * ys) * 0.15
    return frame * cv2.resize(gain, (w, h), interpolation=cv2.INTER_LINEAR)


def add_glare(frame: np.ndarray, quad: np.ndarray, spots: int, strength: float,
              rng: np.random.Generator) -> np.ndarray:
    """Bright reflections of ceiling lights on the phone glass or glossy card."""
    h, w = frame.shape
    lo, hi = quad.min(axis=0), quad.max(axis=0)
    size = float(max(hi - lo))
    out = frame
    for _ in range(spots):
        cx, cy = rng.uniform(lo[0], hi[0]), rng.uniform(lo[1], hi[1])
        r = max(3.0, size * rng.uniform(0.06, 0.18))
        x0, x1 = int(max(0, cx - 3 * r)), int(min(w, cx + 3 * r))
        y0, y1 = int(max(0, cy - 3 * r)), int(min(h, cy + 3 * r))
        if x0 >= x1 or y0 >= y1:
            continue
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        blob = strength * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * r * r))
        if out is frame:
            out = frame.copy()
        out[y0:y1, x0:x1] += blob
    return out


def add_moire(frame: np.ndarray, cover: np.ndarray, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """A screen's pixel grid beating against the sensor's: fine stripes, only on the screen."""
    ys, xs = np.nonzero(cover > 0.5)
    if not len(xs):
        return frame
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    period = rng.uniform(2.1, 3.5)  # near the sensor's Nyquist limit: that is what beats
    angle = rng.uniform(0, math.pi)
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    phase = (xx * math.cos(angle) + yy * math.sin(angle)) * (2 * math.pi / period)
    out = frame.copy()
    out[y0:y1, x0:x1] += amplitude * np.sin(phase) * cover[y0:y1, x0:x1]
    return out


def add_glare_stripes(frame: np.ndarray, cover: np.ndarray, stripes: int, strength: float,
                      rng: np.random.Generator) -> np.ndarray:
    """A window or strip light mirrored in the glass: soft bright bands across the screen only."""
    ys, xs = np.nonzero(cover > 0.5)
    if not len(xs):
        return frame
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    size = float(max(x1 - x0, y1 - y0))
    out = frame.copy()
    for _ in range(stripes):
        angle = rng.uniform(0, math.pi)
        offset = rng.uniform(-0.3, 0.3) * size
        width = size * rng.uniform(0.06, 0.16)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        dist = (xx - cx) * math.cos(angle) + (yy - cy) * math.sin(angle) - offset
        band = strength * np.exp(-(dist * dist) / (2 * width * width))
        out[y0:y1, x0:x1] += band * cover[y0:y1, x0:x1]
    return out


def bloom(frame: np.ndarray, module_px: float) -> np.ndarray:
    """Light above the sensor's full scale spills into its neighbours (lens flare, charge
    overflow): a blown-out screen's bright modules swallow its dark ones."""
    import cv2

    excess = np.maximum(frame - 255.0, 0.0)
    if not excess.any():
        return frame
    return frame + cv2.GaussianBlur(excess, (0, 0), max(1.0, 0.6 * module_px))


def defocus(frame: np.ndarray, sigma: float) -> np.ndarray:
    if sigma < 0.3:
        return frame
    import cv2

    return cv2.GaussianBlur(frame, (0, 0), sigma)


def motion_blur(frame: np.ndarray, length: float, angle_deg: float) -> np.ndarray:
    """The smear of a hand still moving during the exposure: a line kernel."""
    if length < 1.0:
        return frame
    import cv2

    size = int(math.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    c = size // 2
    dx, dy = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    for t in np.linspace(-length / 2, length / 2, size * 3):
        kernel[int(round(c + t * dy)), int(round(c + t * dx))] = 1.0
    return cv2.filter2D(frame, -1, kernel / kernel.sum())


def add_noise(frame: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Read noise plus shot noise that grows with brightness (near-Gaussian: two uniform bytes summed)."""
    if sigma <= 0:
        return frame
    import cv2

    raw = np.frombuffer(rng.bytes(2 * frame.size), np.uint8).reshape(2, *frame.shape).astype(np.float32)
    unit = (raw[0] + raw[1] - 255.0) * (1 / 104.2)  # mean 0, deviation 1: 4x cheaper than standard_normal
    brightness = cv2.sqrt(cv2.max(frame, 0.0) * (1 / 255.0))
    return frame + unit * (brightness * (0.4 * sigma) + 0.6 * sigma)


def jpeg_roundtrip(gray: np.ndarray, quality: int | None) -> np.ndarray:
    """What an MJPEG camera delivers: the frame after lossy compression."""
    if not quality:
        return gray
    import cv2

    ok, buf = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE) if ok else gray
