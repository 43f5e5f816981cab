"""Is the system clock synchronised? The kernel knows: adjtimex() says TIME_ERROR until NTP
(or chrony, or a GPS) has disciplined it. A Pi has no battery clock, so after a power cut
it boots with a stale time until the network answers; time-bound passes must not pass then.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

TIME_ERROR = 5  # adjtimex(2): "clock not synchronized"
_TIMEX_BYTES = 512  # larger than struct timex on every Linux ABI; modes = 0 only reads


def kernel_clock_synced() -> bool:
    """True when the kernel considers the clock synchronised; True (with a warning) where it cannot tell."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        state = libc.adjtimex(ctypes.create_string_buffer(_TIMEX_BYTES))
    except (OSError, AttributeError):
        log.warning("cannot ask the kernel whether the clock is synchronised; assuming it is")
        return True
    return state != TIME_ERROR and state >= 0
