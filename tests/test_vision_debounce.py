"""A code held in view is one scan; it scans again after leaving the view or after repeat_after."""

from __future__ import annotations

from qrgate.vision.debounce import Debouncer

FPS = 30


def frames(debouncer: Debouncer, text: str, start: float, seconds: float, every: int = 1) -> int:
    """Show `text` on every `every`-th frame for `seconds`; the number of scans accepted."""
    n = int(seconds * FPS)
    return sum(debouncer.accept(text, start + i / FPS) for i in range(0, n, every))


def test_a_held_code_is_one_scan():
    d = Debouncer(gone_after=0.5, repeat_after=10)
    assert frames(d, "A", 0.0, 3.0) == 1


def test_missed_frames_do_not_make_a_second_scan():
    d = Debouncer(gone_after=0.5, repeat_after=10)
    # read only on every 3rd frame (the decoder's fallback cadence) and with a 0.4 s dropout
    assert frames(d, "A", 0.0, 1.0, every=3) == 1
    assert frames(d, "A", 1.4, 1.0, every=3) == 0


def test_the_code_scans_again_after_it_left_the_view():
    d = Debouncer(gone_after=0.5, repeat_after=10)
    assert frames(d, "A", 0.0, 1.0) == 1
    assert frames(d, "A", 1.0 + 0.6, 1.0) == 1  # away for 0.6 s > gone_after


def test_a_code_held_past_repeat_after_scans_again():
    d = Debouncer(gone_after=0.5, repeat_after=2.0)
    assert frames(d, "A", 0.0, 5.0) == 3  # at 0, 2 and 4 s


def test_two_codes_in_view_are_two_scans_each_debounced():
    d = Debouncer(gone_after=0.5, repeat_after=10)
    accepted = [(t, i) for i in range(60) for t in ("A", "B") if d.accept(t, i / FPS)]
    assert accepted == [("A", 0), ("B", 0)]


def test_forgotten_codes_do_not_pile_up():
    d = Debouncer(gone_after=0.5, repeat_after=10)
    for i in range(1000):
        d.accept(f"visitor-{i}", i * 1.0)
    assert len(d._seen) <= 2
