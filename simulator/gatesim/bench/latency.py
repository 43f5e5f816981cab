"""Latency of the live path on synthetic 720p frames.

decode_ms and raw_zxing_ms time the same frames, interleaved so that neither gets a
warmer cache; frame_to_relay_ms runs the production lane (decode, verify, decide,
durable ledger commit) until the relay pin goes high.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import zxingcpp

from qrgate.credentials import TrustStore
from qrgate.credentials.keys import issuer_secret, new_key
from qrgate.policy.decide import Policy
from qrgate.gate.gpio import GpioGateIO
from qrgate.ledger import Ledger
from qrgate.model import Direction
from qrgate.pipeline import CameraLane, GateController
from qrgate.vision.debounce import Debouncer
from qrgate.vision.decoder import Decoder
from .stats import percentiles


def run(frames: int = 200) -> dict:
    from gpiozero.pins.mock import MockFactory
    from gatesim.camera import VirtualCamera
    from gatesim.visitors import PassOffice

    with tempfile.TemporaryDirectory(prefix="qrgate-bench-") as tmp:
        tmp = Path(tmp)
        keys = new_key(tmp / "keys")
        office = PassOffice(keys["private_key"], issuer_secret(keys["private_key"]))
        now = time.time()
        camera = VirtualCamera(1280, 720, module_px=4)
        shots = []
        for i in range(frames):  # a different visitor in every frame, so every frame is a new scan
            camera.show(office.issue(f"bench-{i}", now - 60, now + 3600))
            shots.append(camera.frame())

        decoder = Decoder()
        decode, raw = [], []
        for frame in shots:
            t0 = time.perf_counter()
            found = decoder.decode(frame)
            t1 = time.perf_counter()
            zxingcpp.read_barcodes(frame, formats=zxingcpp.BarcodeFormat.QRCode)
            t2 = time.perf_counter()
            decode.append((t1 - t0) * 1000)
            raw.append((t2 - t1) * 1000)
            if not found:
                raise RuntimeError("bench frame did not decode")

        io = GpioGateIO(pin_factory=MockFactory(), max_relay_seconds=1.0)
        ledger = Ledger(tmp / "ledger.sqlite3")
        controller = GateController(gate_id="bench", trust=TrustStore.from_files([keys["trust"]]),
                                    policy=Policy(anti_passback="hard"), ledger=ledger, io=io,
                                    site_secret=b"s" * 32, relay_seconds=0.05)
        lane = CameraLane(controller, Direction.ENTRY, decoder, Debouncer())
        to_relay = []
        for frame in shots:
            t0 = time.perf_counter()
            outcomes = lane.process_frame(frame, now)
            if not outcomes or not outcomes[0].decision.granted:
                raise RuntimeError("bench scan was not granted")
            to_relay.append((io.relay_on_at - t0) * 1000)
        io.close()
        ledger.close()

    d, r = percentiles(decode), percentiles(raw)
    return {
        "frame": "1280x720 gray, code at 4 px/module",
        "decode_ms": d,
        "raw_zxing_ms": r,
        "decode_vs_raw_p50": round(d["p50"] / r["p50"], 3),
        "frame_to_relay_ms": percentiles(to_relay),
    }
