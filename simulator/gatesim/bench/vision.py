"""Camera to scan on the virtual camera's realistic frames.

vision_decode_ms: the gate's decoder against plain zxing-cpp (every retry on, as a
caller gets it by default) on the same frames at 480p, 720p and 1080p, interleaved.
vision_detection: share of frames read with the right text, by scene (difficulties and phone-screen scenes) and by
pixels per module, as a still (both passes) and as a stream (the live cadence).
vision_cpu_share_30fps: CPU time over wall time while a 30 fps stream runs through the
production LaneRunner (capture and decode threads), for our decoder and for raw zxing.
vision_time_to_read_ms: a visitor raising a code over a second: how long until it is read.
"""

from __future__ import annotations

import time

import numpy as np
import zxingcpp

from qrgate.config.decoder import DecoderConfig
from qrgate.vision.debounce import Debouncer
from qrgate.vision.decoder import Decoder
from qrgate.vision.sources import FrameSource
from .stats import percentiles

RESOLUTIONS = {"480p": (640, 480), "720p": (1280, 720), "1080p": (1920, 1080)}
PIXELS_PER_MODULE = (2, 3, 4, 5, 6, 8)


def raw_zxing(frame: np.ndarray) -> list:
    return zxingcpp.read_barcodes(frame, formats=zxingcpp.BarcodeFormat.QRCode)


def decode_times(count: int) -> dict:
    from gatesim.sceneset import labelled_frames

    out = {}
    for name, (w, h) in RESOLUTIONS.items():
        frames = list(labelled_frames(count, difficulty="normal", width=w, height=h, seed=1))
        decoder = Decoder()
        ours, raw = [], []
        for frame, _text, _shot in frames:
            t0 = time.perf_counter()
            decoder.decode(frame)
            t1 = time.perf_counter()
            raw_zxing(frame)
            t2 = time.perf_counter()
            ours.append((t1 - t0) * 1000)
            raw.append((t2 - t1) * 1000)
        d, r = percentiles(ours), percentiles(raw)
        out[name] = {"decoder": d, "raw_zxing": r, "p50_vs_raw": round(d["p50"] / r["p50"], 3)}
    return out


def _rates(frames: list) -> dict:
    still = stream = 0
    streaming = Decoder()
    for frame, text, _shot in frames:
        still += text in [c.text for c in Decoder().decode(frame, still=True)]
        stream += text in [c.text for c in streaming.decode(frame)]
    return {"still": round(still / len(frames), 3), "stream": round(stream / len(frames), 3), "frames": len(frames)}


def detection(count: int) -> dict:
    from gatesim.scenes import SCENES
    from gatesim.sceneset import labelled_frames

    by_difficulty = {d: _rates(list(labelled_frames(count, difficulty=d, seed=2)))
                     for d in SCENES}  # the phone-screen scenes beside easy, normal and hard
    by_ppm = {str(p): _rates(list(labelled_frames(count, difficulty="normal", module_px=p, seed=3)))
              for p in PIXELS_PER_MODULE}
    return {"by_difficulty": by_difficulty, "by_pixels_per_module": by_ppm}


def time_to_read(visitors: int, fps: float = 30.0) -> dict:
    """Each visitor raises a code over 1 s and holds it 1 s (720p, "normal"): ms until it is read.

    Counted from the visitor's first frame in view to the end of the decode that read it.
    """
    from gatesim.camera import VirtualCamera
    from gatesim.sceneset import pass_like_text

    waits: dict[str, list[float]] = {"decoder": [], "raw_zxing": []}
    never = dict.fromkeys(waits, 0)
    for i in range(visitors):
        camera = VirtualCamera(1280, 720, seed=200 + i, difficulty="normal", fps=fps)
        text = pass_like_text(np.random.default_rng(200 + i))
        camera.show(text, approach_seconds=1.0)
        frames = [camera.frame() for _ in range(int(2 * fps))]
        ours = Decoder()
        readers = {"decoder": lambda f: [c.text for c in ours.decode(f)],
                   "raw_zxing": lambda f: [r.text for r in raw_zxing(f)]}
        for name, read in readers.items():
            for n, frame in enumerate(frames):
                t0 = time.perf_counter()
                found = text in read(frame)
                if found:
                    waits[name].append(n * 1000 / fps + (time.perf_counter() - t0) * 1000)
                    break
            else:
                never[name] += 1
    return {name: {**percentiles(w), "never_read": never[name]} for name, w in waits.items()}


class _Replay(FrameSource):
    """Pre-rendered frames at a fixed rate, like a live camera (rendering is not what we measure)."""

    is_live = False  # it ends: the runner stops instead of reconnecting

    def __init__(self, frames: list[np.ndarray], fps: float):
        self._frames, self._period = frames, 1.0 / fps
        self._i, self._next = 0, time.monotonic()

    def read(self) -> np.ndarray | None:
        if self._i >= len(self._frames):
            return None
        delay = self._next - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._next += self._period
        self._i += 1
        return self._frames[self._i - 1]


class _DecodeOnlyLane:
    """The camera lane up to the scan: decode and debounce (verification is not vision)."""

    def __init__(self, decode):
        self.decode, self.debouncer, self.scans = decode, Debouncer(), 0

    def process_frame(self, frame: np.ndarray, now: float) -> list:
        for text in self.decode(frame):
            self.scans += self.debouncer.accept(text, now)
        return []


def replay_cpu_share(frames: list[np.ndarray], fps: float, decoders: dict) -> dict:
    """Each decoder (name -> frame -> texts) behind a real LaneRunner on the same replayed frames:
    CPU seconds per wall second, scans, frames captured and skipped."""
    from qrgate.runner import LaneRunner

    out = {}
    for name, decode in decoders.items():
        lane = _DecodeOnlyLane(decode)
        runner = LaneRunner(_Replay(frames, fps), lane, name=f"bench-{name}", loss_after=5.0)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        runner.start()
        while runner.is_alive:  # a replay ends by itself
            time.sleep(0.05)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        runner.stop()
        out[name] = {"cpu_share": round(cpu / wall, 3), "scans": lane.scans, "frames": runner.captured,
                     "skipped": runner.slot.skipped}
    return out


def cpu_share(count: int, fps: float = 30.0) -> dict:
    """Visitors come and go (1 s with a code, 1 s without) at 720p; CPU seconds per wall second."""
    from gatesim.camera import VirtualCamera
    from gatesim.sceneset import pass_like_text

    camera = VirtualCamera(1280, 720, seed=9, difficulty="normal")
    rng = np.random.default_rng(9)
    frames = []
    for i in range(count):
        if i % int(2 * fps) == 0:
            camera.show(pass_like_text(rng), approach_seconds=0.3)
        elif i % int(2 * fps) == int(fps):
            camera.show(None)
        frames.append(camera.frame())
    ours = Decoder()
    out = replay_cpu_share(frames, fps, {"decoder": lambda f: [c.text for c in ours.decode(f)],
                                         "raw_zxing": lambda f: [r.text for r in raw_zxing(f)]})
    out["stream"] = f"{count} frames 1280x720 at {fps:g} fps, visitors 1 s on / 1 s off"
    return out


def run(frames: int = 200) -> dict:
    timing_n = max(20, min(frames, 100))
    detect_n = max(20, frames // 5)
    return {
        "vision_decoder_settings": DecoderConfig().model_dump(),
        "vision_decode_ms": decode_times(timing_n),
        "vision_detection": detection(detect_n),
        "vision_time_to_read_ms": time_to_read(max(4, frames // 25)),
        "vision_cpu_share_30fps": cpu_share(max(90, min(frames, 180))),
    }
