"""Waiting in a test for what another thread or process does: poll until true or out of time.

No test waits for something *not* to happen, so a generous default costs time only when a
test is failing anyway, and spares tests on a loaded machine.
"""

import time


def wait_until(predicate, timeout: float = 30.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())
