"""The gate's decoder: QR only, exact text, a fast pass on every frame and a measured fallback."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
import segno

from gatesim.camera import render_qr
from qrgate.errors import CameraError
from qrgate.config.decoder import DecoderConfig
from qrgate.vision.decoder import LOCAL_FIRST_PIXELS, Decoder


def side_lit(text: str) -> np.ndarray:
    """A code lit from one side: its shaded light modules are darker than its lit dark ones,
    so no single global threshold reads it, while a local one does."""
    modules = np.pad(render_qr(text, module_px=4) < 128, 16)
    light = np.linspace(0.2, 1.0, modules.shape[1])[None, :]
    return (np.where(modules, 0.4, 1.0) * 250 * light).astype(np.uint8)


@pytest.fixture
def hard_lit():
    frame = side_lit("QG1:SIDE-LIT-TEST")
    # the premise of the fallback tests: only the local binarizer reads this frame
    assert not Decoder(DecoderConfig(fallback_binarizer=None)).decode(frame)
    assert Decoder(DecoderConfig(binarizer="local_average", fallback_binarizer=None)).decode(frame)
    return frame


def test_reads_the_exact_text_including_control_characters():
    text = "\x01\x10AD:SUB:;;"  # zxing's human-readable mode would show <SOH><DLE>
    frame = render_qr(text, module_px=4)
    [code] = Decoder().decode(frame, still=True)
    assert code.text == text
    assert len(code.corners) == 4


def test_only_qr_codes_are_read():
    other = segno.make("12345", micro=True)  # a Micro QR is a different symbology
    modules = np.pad(np.array(other.matrix, dtype=bool), 4)
    frame = np.kron(np.where(modules, 20, 235).astype(np.uint8), np.ones((6, 6), np.uint8))
    assert Decoder().decode(frame, still=True) == []


def test_wrong_frames_get_a_clear_error():
    with pytest.raises(CameraError, match="8-bit grayscale"):
        Decoder().decode(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(CameraError, match="8-bit grayscale"):
        Decoder().decode(np.zeros((10, 10), np.float32))


def test_unknown_settings_are_refused():
    with pytest.raises(ValidationError, match="binarizer"):
        DecoderConfig(binarizer="otsu")
    with pytest.raises(ValidationError, match="fallback_every"):
        DecoderConfig(fallback_every=0)


def test_fallback_runs_on_every_nth_codeless_frame_in_a_stream(hard_lit):
    decoder = Decoder(DecoderConfig(fallback_every=3))
    results = [bool(decoder.decode(hard_lit)) for _ in range(9)]
    assert results == [False, False, True] * 3
    assert decoder.stats.fallbacks == 3 and decoder.stats.fallback_finds == 3


def test_a_still_always_gets_the_fallback(hard_lit):
    decoder = Decoder(DecoderConfig(fallback_every=100))
    assert decoder.decode(hard_lit, still=True)
    assert not decoder.decode(hard_lit)  # the same frame, as frame 2 of a stream


def test_empty_frames_rarely_pay_for_the_fallback():
    decoder = Decoder(DecoderConfig(fallback_every=4))
    empty = np.random.default_rng(1).integers(100, 140, (240, 320), dtype=np.uint8)
    for _ in range(40):
        assert decoder.decode(empty) == []
    assert decoder.stats.fallbacks == 10


def test_the_decoder_takes_the_config_section_as_it_is(tmp_path):
    from qrgate import config

    path = tmp_path / "gate.toml"
    path.write_text('[decoder]\ntry_rotate = true\nfallback_binarizer = "none"\n[[readers]]\nkind = "camera"\n')
    decoder = Decoder(config.load(path).decoder)
    assert decoder.settings.try_rotate is True and decoder.settings.fallback_binarizer is None
    assert decoder.settings.binarizer == DecoderConfig().binarizer


def dark_mode(text: str, module_px: int = 4) -> np.ndarray:
    """A phone in dark mode: light modules on a dark screen, in a grey room."""
    code = 255 - render_qr(text, module_px=module_px)
    return np.pad(code, 40, constant_values=120)


def test_light_on_dark_codes_are_read_on_every_frame_of_a_stream():
    decoder = Decoder()
    frame = dark_mode("QG1:DARK-MODE")
    assert [[c.text for c in decoder.decode(frame)] for _ in range(3)] == [["QG1:DARK-MODE"]] * 3
    assert decoder.stats.fallbacks == 0  # the fast pass itself reads them
    assert [c.text for c in Decoder().decode(frame, still=True)] == ["QG1:DARK-MODE"]


def test_a_still_splits_plain_zxings_call_cheapest_likely_read_first(hard_lit):
    """A still goes on whatever the first pass saw, so no pass repeats another's work: a large
    still's fast pass leaves light-on-dark to the deep pass; a small still (decoding, not
    binarizing, is its cost) starts with LocalAverage and tries the negative last."""
    small = dark_mode("QG1:DARK-MODE")
    large = np.pad(small, 150, constant_values=120)
    assert small.size <= LOCAL_FIRST_PIXELS < large.size
    for frame, by in ((small, "negative"), (large, "deep")):
        decoder = Decoder()
        assert [c.text for c in decoder.decode(frame, still=True)] == ["QG1:DARK-MODE"]
        assert decoder.stats.read_by == {by: 1}
    decoder = Decoder()
    assert decoder.decode(hard_lit, still=True) and decoder.stats.read_by == {"local": 1}
    decoder = Decoder(DecoderConfig(fallback_binarizer=None))  # no later pass: the fast one inverts
    assert [c.text for c in decoder.decode(small, still=True)] == ["QG1:DARK-MODE"]
    assert decoder.stats.read_by == {"fast": 1}


def test_without_fast_invert_a_dark_code_waits_for_the_escalation():
    decoder = Decoder(DecoderConfig(fast_invert=False, fallback_every=3))
    frame = dark_mode("QG1:DARK-MODE")
    results = [bool(decoder.decode(frame)) for _ in range(3)]
    assert results[-1] and decoder.stats.read_by["escalate"] >= 1


def test_a_negative_upscale_size_is_refused():
    with pytest.raises(ValidationError, match="upscale_below"):
        DecoderConfig(upscale_below=-1)
