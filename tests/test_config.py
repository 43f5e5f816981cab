"""The config tree: defaults, clear errors with key paths, every setting described."""

from __future__ import annotations

import pytest

from qrgate import config
from qrgate.errors import ConfigError


def load_text(tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text)
    return config.load(path)


def test_defaults_and_overrides(tmp_path):
    cfg = load_text(tmp_path, '[policy]\noccupancy_cap = 40\n[[cameras]]\ndirection = "exit"\nfps = 15\n')
    assert cfg.policy.occupancy_cap == 40 and cfg.policy.anti_passback == "hard"
    assert cfg.cameras[0].direction == "exit" and cfg.cameras[0].fps == 15
    assert cfg.gate.pins["relay"] == 17


@pytest.mark.parametrize("text, message", [
    ("[gate]\nbackend = 'usb'\n", "gate.backend: 'usb' is not one of 'gpio', 'osdp'"),
    ("[mqtt]\nport = 'x'\n", "mqtt.port: expected int, got str"),
    ("[[cameras]]\nfps = 0\n", "cameras[0].fps: 0 is below the minimum 1"),
    ("[sight]\nid = 'a'\n", "sight: unknown key; did you mean 'site'?"),
    ("[gate]\nrelay_seconds = 20.0\n", "gate.relay_seconds: longer than gate.max_relay_seconds"),
    ("[gate\n", "not valid TOML"),
])
def test_errors_name_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=None) as err:
        load_text(tmp_path, text)
    assert message in str(err.value)


def test_every_setting_is_described():
    rows = config.describe()
    assert len(rows) > 20
    assert all(doc for _key, _default, doc in rows)
