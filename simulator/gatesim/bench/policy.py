"""Credential and policy timings: verify a pass (static and rotating), gather presence, decide."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from .stats import percentiles


def run(frames: int) -> dict:
    from qrgate.credentials import native, rotating
    from qrgate.credentials.keys import issuer_secret, load_private_key, new_key
    from qrgate.credentials.trust import TrustStore
    from qrgate.policy.decide import Policy, decide
    from qrgate.ledger import Ledger
    from qrgate.model import Direction
    from qrgate.policy.presence import gather_presence

    n = max(20, frames)
    with tempfile.TemporaryDirectory() as tmp:
        keys = new_key(Path(tmp) / "keys")
        _kid, key = load_private_key(keys["private_key"])
        secret = issuer_secret(keys["private_key"])
        trust = TrustStore.from_files([keys["trust"]])
        trust.rotation = rotating.RotationState(b"k" * 32)
        now = time.time()
        static = [native.issue(key, native.PassFields("visitor", native.holder_pseudonym(secret, f"v{i}"),
                                                      int(now - 60), int(now + 3600), rotating=i % 2 == 1))
                  for i in range(n)]
        ledger = Ledger(Path(tmp) / "l.db")
        for i in range(0, n, 3):
            ledger.record(at=now, gate_id="g", type="entry", reason="granted", holder=f"v{i}")
        policy = Policy(anti_passback="timed", passback_seconds=600, occupancy_cap=10_000)
        verify_ms, rotating_ms, gather_ms, decide_ms = [], [], [], []
        for i, payload in enumerate(static):
            if i % 2:
                kid, pid = native.ids_of(payload)
                text = rotating.present(payload, rotating.pass_secret(b"k" * 32, kid, pid), now)
                t0 = time.perf_counter()
                result = rotating.verify(text, trust, now)
                rotating_ms.append((time.perf_counter() - t0) * 1000)
            else:
                t0 = time.perf_counter()
                result = native.verify(payload, trust, now)
                verify_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            presence = gather_presence(ledger, f"v{i}", policy, now)
            gather_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            decide(result, Direction.ENTRY, presence, policy, now)
            decide_ms.append((time.perf_counter() - t0) * 1000)
        ledger.close()
    return {"pass_verify_ms": percentiles(verify_ms), "rotating_verify_ms": percentiles(rotating_ms),
            "presence_gather_ms": percentiles(gather_ms), "decide_ms": percentiles(decide_ms)}
