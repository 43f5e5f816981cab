"""Debounced digital inputs (door contact, exit button, tamper). Sources are objects with .value()."""

from gateio.compat import ticks_since


class Input:
    """A switch read through .value(); is_active is the debounced, polarity-corrected state."""

    def __init__(self, source, active_level=1, debounce_ms=20):
        self.source = source
        self.active_level = active_level
        self.debounce_ms = debounce_ms
        self.is_active = source.value() == active_level
        self._candidate = self.is_active
        self._since = 0

    def update(self, now):
        """Sample once; returns True when the debounced state changed."""
        raw = self.source.value() == self.active_level
        if raw != self._candidate:
            self._candidate = raw
            self._since = now
            return False
        if raw != self.is_active and ticks_since(now, self._since) >= self.debounce_ms:
            self.is_active = raw
            return True
        return False


class InputBank:
    """The inputs in OSDP order; keeps the osdp_ISTATR bytes and a 'changed since reported' flag."""

    def __init__(self, inputs):
        self.inputs = inputs
        self.states = bytearray(len(inputs))
        self.changed = False
        for i in range(len(inputs)):
            self.states[i] = 1 if inputs[i].is_active else 0

    def update(self, now):
        """Sample all inputs; returns a bit mask of those that changed on this call."""
        mask = 0
        inputs = self.inputs
        for i in range(len(inputs)):  # range, not enumerate: no iterator object per call
            item = inputs[i]
            if item.update(now):
                self.states[i] = 1 if item.is_active else 0
                mask |= 1 << i
        if mask:
            self.changed = True
        return mask
