"""The virtual camera looks like a real one: posed, degraded, seeded, and silent without a code."""

from __future__ import annotations

import numpy as np
import pytest
import zxingcpp

from gatesim.camera import VirtualCamera, render_qr
from gatesim.sceneset import code_free_frames, labelled_frames, pass_like_text
from qrgate.vision.decoder import QR_ONLY, Decoder


def test_no_code_is_ever_read_from_2000_code_free_frames():
    """Clutter, text, stripes, checkerboards, and on every other frame a real code with a third
    of its data ruined (the detector finds it, error correction must refuse it).

    480x360 keeps the test quick; the decoder's false-positive risk is per pattern, not per pixel.
    """
    decoder = Decoder()
    read, candidates = [], 0
    for i, frame in enumerate(code_free_frames(2000, width=480, height=360, seed=20261122)):
        codes = decoder.decode(frame, still=True)  # every pass on every frame: the strictest case
        if codes:
            read.append((i, codes[0].text))
        candidates += bool(zxingcpp.read_barcodes(frame, formats=QR_ONLY, return_errors=True))
    assert decoder.stats.frames == 2000 and decoder.stats.fallbacks == 2000
    assert candidates >= 500  # the look-alikes really did look like codes to zxing
    assert read == []


def test_realistic_frames_read_right_and_never_wrong():
    decoder = Decoder()
    frames = list(labelled_frames(16, difficulty="normal", width=960, height=540, seed=3))
    right = wrong = 0
    for frame, text, _shot in frames:
        texts = [c.text for c in decoder.decode(frame, still=True)]
        right += text in texts
        wrong += bool(texts) and text not in texts
    assert wrong == 0
    assert right >= 14  # "normal" means a visitor who is read at once, nearly always


def test_frames_are_a_function_of_the_seed():
    def frames(seed):
        camera = VirtualCamera(320, 240, seed=seed, difficulty="hard")
        camera.show("QG1:SEEDED")
        return [camera.frame() for _ in range(3)]

    a, b, c = frames(5), frames(5), frames(6)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[0], a[1])  # sensor noise and a shaking hand: no two frames alike


def test_a_visitor_approaching_is_read_once_close_enough():
    camera = VirtualCamera(1280, 720, seed=4, difficulty="normal")
    text = pass_like_text(np.random.default_rng(4))
    camera.show(text, approach_seconds=1.0)
    decoder = Decoder()
    read_at = [i for i in range(45) if text in [c.text for c in decoder.decode(camera.frame(), still=True)]]
    assert read_at, "never read"
    assert read_at[0] > 0  # the first frame is an arm's length away and blurred
    assert read_at[0] <= 30  # read at the latest once the hand has stopped (1 s at 30 fps)
    assert read_at[-1] == 44  # and it stays readable while held


def test_easy_scene_is_the_code_pasted_on_a_plain_background():
    camera = VirtualCamera(320, 240, module_px=3)
    camera.show("QG1:EASY")
    frame = camera.frame()
    code = render_qr("QG1:EASY", 3)
    h, w = code.shape
    y, x = (240 - h) // 2, (320 - w) // 2
    assert np.array_equal(frame[y:y + h, x:x + w], code)
    camera.show(None)
    assert Decoder().decode(camera.frame(), still=True) == []


def test_unknown_difficulty_is_refused():
    with pytest.raises(ValueError, match="unknown scene difficulty"):
        VirtualCamera(320, 240, difficulty="nightmare")


@pytest.mark.parametrize("scene", ["moire", "glare_stripes", "dark_mode"])
def test_phone_screen_scenes_are_read_and_never_misread(scene):
    right = wrong = 0
    for frame, text, shot in labelled_frames(8, difficulty=scene, width=640, height=480, seed=5):
        assert shot.carrier == "phone"
        texts = [c.text for c in Decoder().decode(frame, still=True)]
        right += text in texts
        wrong += bool(texts) and text not in texts
    assert wrong == 0 and right >= 7


def test_a_screen_blown_out_by_a_dim_lobby_exposure_is_read_once_metered_on_the_screen():
    from dataclasses import replace

    from gatesim.clutter import cluttered_background
    from gatesim.scenes import render, sample_shot

    rng = np.random.default_rng(8)
    background = cluttered_background(640, 480, rng)
    blown = metered = 0
    for i in range(8):
        shot = sample_shot(rng, "bright_screen")
        assert shot.screen_gain > 1.5 and shot.ambient < 0.5
        text = pass_like_text(rng)
        for gain, count in ((shot.screen_gain, "blown"), (1.0, "metered")):
            frame = render(text, replace(shot, screen_gain=gain), background, np.random.default_rng(i))
            read = text in [c.text for c in Decoder().decode(frame, still=True)]
            blown, metered = (blown + read, metered) if count == "blown" else (blown, metered + read)
    assert metered == 8 and blown <= 4, (blown, metered)
