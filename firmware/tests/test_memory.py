"""Rule 10: the steady-state loop allocates little. Measured under MicroPython (gc.mem_alloc)."""

import gc

from fwsupport import make_device, packet

_POLLS = 60


def _gross_bytes_per_call(work):
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        for i in range(_POLLS):
            work(i)
        return (gc.mem_alloc() - before) / _POLLS
    finally:
        gc.enable()


def test_poll_and_tick_allocate_little():
    if not hasattr(gc, "mem_alloc"):
        return  # CPython has no allocation counter; the MicroPython run checks this
    device, _ = make_device()
    polls = [packet(0x65, seq, 0x60) for seq in (1, 2, 3)]
    device.receive(packet(0x65, 0, 0x60), 0)

    def poll(i):
        device.receive(polls[i % 3], 10 + i)
        device.tick(10 + i)

    per_poll = _gross_bytes_per_call(poll)
    assert per_poll < 384, "a POLL round allocates %d bytes" % per_poll
    per_tick = _gross_bytes_per_call(lambda i: device.tick(100 + i))
    print("allocated per POLL round %d bytes, per tick %d bytes" % (per_poll, per_tick))
    assert per_tick < 32, "a tick allocates %d bytes" % per_tick
