"""Board settings file (JSON on the board's flash): address, key, install mode, limits.

The SCBK is stored as hex. A KEYSET from the controller rewrites the key and ends install mode.
"""

import json
import binascii

from gateio.config import Config

DEFAULT_PATH = "gateio.json"
_INT_KEYS = ("address", "max_relay_ms", "exit_open_ms", "offline_ms", "debounce_ms", "serial")


def load(path=DEFAULT_PATH, **extra):
    """Config from the file (missing file: defaults); bad values raise ValueError naming the key."""
    try:
        with open(path) as f:
            raw = json.load(f)
    except OSError:
        raw = {}
    settings = {}
    for key in _INT_KEYS:
        if key in raw:
            if not isinstance(raw[key], int):
                raise ValueError("%s: %s must be an integer" % (path, key))
            settings[key] = raw[key]
    if raw.get("scbk"):
        key = binascii.unhexlify(raw["scbk"])
        if len(key) != 16:
            raise ValueError("%s: scbk must be 32 hex digits" % path)
        settings["scbk"] = key
    if "install_mode" in raw:
        settings["install_mode"] = bool(raw["install_mode"])
    if "exit_opens_locally" in raw:
        settings["exit_opens_locally"] = bool(raw["exit_opens_locally"])
    settings.update(extra)
    return Config(**settings)


def save_key(key, path=DEFAULT_PATH):
    """Persist a new SCBK (from osdp_KEYSET) and leave install mode."""
    try:
        with open(path) as f:
            raw = json.load(f)
    except OSError:
        raw = {}
    raw["scbk"] = binascii.hexlify(key).decode()
    raw["install_mode"] = False
    with open(path, "w") as f:
        json.dump(raw, f)
