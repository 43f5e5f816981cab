"""The board's JSON settings file: defaults, key parsing, KEYSET persistence."""

import json

from gateio import settings

PATH = "/tmp/gateio-test-settings.json"  # /tmp exists on CPython hosts and in the WebAssembly port


def _write(data):
    with open(PATH, "w") as f:
        json.dump(data, f)


def _cleanup():
    try:
        import os

        os.remove(PATH)
    except OSError:
        pass


def test_missing_file_gives_defaults():
    _cleanup()
    config = settings.load(PATH)
    assert config.address == 0 and config.scbk is None and not config.install_mode


def test_values_and_key_are_read():
    _write({"address": 5, "scbk": "000102030405060708090a0b0c0d0e0f", "max_relay_ms": 4000})
    try:
        config = settings.load(PATH)
        assert config.address == 5 and config.scbk == bytes(range(16)) and config.max_relay_ms == 4000
    finally:
        _cleanup()


def test_bad_values_name_the_key():
    _write({"address": "one"})
    try:
        settings.load(PATH)
        raise AssertionError("a bad address was accepted")
    except ValueError as exc:
        assert "address" in str(exc)
    finally:
        _cleanup()


def test_save_key_ends_install_mode():
    _write({"address": 3, "install_mode": True})
    try:
        settings.save_key(bytes(range(16)), PATH)
        config = settings.load(PATH)
        assert config.scbk == bytes(range(16)) and not config.install_mode and config.address == 3
    finally:
        _cleanup()
