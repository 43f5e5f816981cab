"""Gate I/O backends behind one interface, chosen by name and imported only when used."""

from __future__ import annotations

import importlib

from ..errors import GateIOError
from .base import BeepPattern, GateIO, LedPattern

__all__ = ["BeepPattern", "GateIO", "LedPattern", "open_gate_io", "BACKENDS"]

# name -> "module:class"; a backend's own dependencies load only when it is chosen
BACKENDS = {
    "gpio": "qrgate.gate.gpio:GpioGateIO",
    "osdp": "qrgate.gate.osdp:OsdpGateIO",
}


def open_gate_io(backend: str, **options) -> GateIO:
    """Open the named backend with its own options (see each backend's constructor)."""
    try:
        target = BACKENDS[backend]
    except KeyError:
        raise GateIOError(f"unknown gate backend {backend!r}; choose one of {sorted(BACKENDS)}") from None
    module_name, class_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise GateIOError(f"gate backend {backend!r} needs a package that is missing: {exc}") from None
    return getattr(module, class_name)(**options)
