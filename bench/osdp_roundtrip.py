"""OSDP command -> reply latency over a pty against the firmware running on the host. Prints JSON.

    python bench/osdp_roundtrip.py [--polls 500] [--commands 40]

raw_poll: a minimal CP here writes osdp_POLL and waits for the reply (firmware + pty cost).
libosdp_out_*: libosdp's ControlPanel submits osdp_OUT and waits for its completion event
(adds libosdp's own refresh period), plain and in secure channel.
"""

from __future__ import annotations

import argparse
import json
import queue
import select
import statistics
import sys
import time

from gateio.crc import crc16
from gateio.host import start_on_pty

ADDR = 1
KEY = bytes(range(16))


def _poll_packet(seq: int) -> bytes:
    body = bytearray([0x53, ADDR, 8, 0, seq | 4, 0x60])
    crc = crc16(body)
    return b"\xff" + bytes(body) + bytes([crc & 0xFF, crc >> 8])


def _percentiles(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered), 3), "p99_ms": round(p99, 3),
            "max_ms": round(ordered[-1], 3)}


def raw_poll(count: int) -> dict:
    import serial

    path, stop = start_on_pty(address=ADDR)
    port = serial.Serial(path, 115200, timeout=0)
    samples = []
    try:
        seq = 0
        for _ in range(count):
            started = time.perf_counter()
            port.write(_poll_packet(seq))
            reply = b""
            while len(reply) < 9:
                select.select([port.fileno()], [], [], 0.5)
                chunk = port.read(64)
                if not chunk and time.perf_counter() - started > 0.5:
                    raise RuntimeError("no reply to POLL")
                reply += chunk
            samples.append((time.perf_counter() - started) * 1000)
            if reply[5] & 3 != seq or reply[6] != 0x40:
                raise RuntimeError("unexpected reply %s to POLL seq %d" % (reply.hex(), seq))
            seq = seq % 3 + 1
    finally:
        port.close()
        stop()
    return _percentiles(samples)


def libosdp_out(count: int, secure: bool) -> dict:
    import osdp
    from qrgate.gate.osdp_channel import SerialChannel

    path, stop = start_on_pty(address=ADDR, scbk=KEY if secure else None)
    events: queue.Queue = queue.Queue()
    channel = SerialChannel(path)
    flags = [osdp.LibFlag.EnableNotification] + ([osdp.LibFlag.EnforceSecure] if secure else [])
    cp = osdp.ControlPanel([osdp.PDInfo(ADDR, channel, scbk=KEY if secure else None, flags=flags)],
                           log_level=osdp.LogLevel.Emergency, event_handler=lambda pd, e: (events.put(e), 0)[1])
    cp.start()
    samples = []
    try:
        deadline = time.monotonic() + 5
        while not (cp.is_online(ADDR) and (cp.is_sc_active(ADDR) or not secure)):
            if time.monotonic() > deadline:
                raise RuntimeError("board did not come online")
            time.sleep(0.02)
        for i in range(count):
            while not events.empty():
                events.get_nowait()
            started = time.perf_counter()
            cp.submit_command(ADDR, {"command": osdp.Command.Output, "output_no": 0, "control_code": 5, "timer_count": 1})
            while True:
                event = events.get(timeout=2)
                if event["event"] == osdp.Event.Notification and event["type"] == 0 and event["arg0"] == osdp.Command.Output:
                    break
            samples.append((time.perf_counter() - started) * 1000)
            time.sleep(0.01 * (i % 3))  # do not always land on the same phase of libosdp's refresh
    finally:
        cp.teardown()
        channel.close()
        stop()
    return _percentiles(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=500)
    parser.add_argument("--commands", type=int, default=40)
    args = parser.parse_args()
    result = {
        "benchmark": "osdp_roundtrip",
        "python": sys.version.split()[0],
        "raw_poll": raw_poll(args.polls),
        "libosdp_out_plain": libosdp_out(args.commands, secure=False),
        "libosdp_out_secure": libosdp_out(args.commands, secure=True),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
