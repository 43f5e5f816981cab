"""One validated config tree, read from TOML (pydantic models; docs/config.md).

Every field has a default and a description (`qrgate config describe` lists them); unknown
keys, wrong types, values out of range and files that cannot be read are refused with one
line naming the key path, e.g. `gate.osdp_address: 500 is above 126`.

The tree (qrgate.config.tree) is imported on first use: the [policy] table's models live in
qrgate.policy.config and are built on qrgate.config.base, so either package may be imported first.
"""

from __future__ import annotations

from typing import Any

from .base import ConfigModel, fail
from .describe import describe as _describe_model
from .messages import validate

_TREE_NAMES = {
    "Config": "tree", "load": "tree", "read_toml": "tree",
    "SiteConfig": "site", "GateConfig": "gate", "PinsConfig": "gate", "LedgerConfig": "ledger",
    "DecoderConfig": "decoder", "TrustConfig": "trust", "MqttConfig": "mqtt", "BrokerConfig": "mqtt",
    "ReaderConfig": "readers", "CameraReaderConfig": "readers", "SerialReaderConfig": "readers",
    "HidReaderConfig": "readers",
}

__all__ = ["ConfigModel", "fail", "validate", "describe", *_TREE_NAMES]


def describe(cls: Any = None, prefix: str = "") -> list[tuple[str, str, str]]:
    """(key path, default, description) of every setting of `cls` (default: the whole gate config)."""
    if cls is None:
        from .tree import Config

        cls = Config
    return _describe_model(cls, prefix)


def __getattr__(name: str) -> Any:
    if name in _TREE_NAMES:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_TREE_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
