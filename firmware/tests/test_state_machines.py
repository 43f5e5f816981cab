"""Output, LED, buzzer and input state machines: pure, driven by explicit time."""

from fwsupport import SimPin
from gateio.compat import TICKS_MASK
from gateio.indicators import Buzzer, Led
from gateio.inputs import Input, InputBank
from gateio import outputs as O


def test_output_permanent_and_timed():
    out = O.Output()
    assert out.level(0) is False
    assert out.command(O.OUT_ON_ABORT_TIMED, 0, 0)
    assert out.level(1)
    assert out.command(O.OUT_TIMED_OFF, 5, 10)  # 500 ms off, then back to permanent on
    assert not out.level(100)
    assert out.level(510)
    assert out.command(O.OUT_OFF_ABORT_TIMED, 0, 600)
    assert not out.level(601)


def test_output_keep_timed_variants():
    out = O.Output()
    out.command(O.OUT_TIMED_ON, 10, 0)
    out.command(O.OUT_OFF_KEEP_TIMED, 0, 100)  # permanent off, but the timed pulse goes on
    assert out.level(500)
    assert not out.level(1000)
    out.command(O.OUT_TIMED_ON, 10, 2000)
    out.command(O.OUT_ON_ABORT_TIMED, 0, 2100)
    assert out.level(5000)


def test_output_unknown_code_rejected():
    assert not O.Output().command(9, 0, 0)


def test_relay_never_on_longer_than_cap():
    out = O.Output(max_on_ms=3000)
    out.command(O.OUT_ON_ABORT_TIMED, 0, 0)
    assert out.level(0)
    assert out.level(2999)
    assert not out.level(3000)
    assert out.tripped
    assert not out.level(10000)  # stays off: the permanent state was cleared
    out.command(O.OUT_TIMED_ON, 600, 20000)  # 60 s requested
    assert out.level(20001)
    assert not out.level(23001)


def test_timers_survive_tick_wraparound():
    out = O.Output()
    start = TICKS_MASK - 100
    out.command(O.OUT_TIMED_ON, 3, start)  # 300 ms across the wrap
    assert out.level(start + 50)
    assert out.level((start + 250) & TICKS_MASK)
    assert not out.level((start + 300) & TICKS_MASK)


def test_led_permanent_blink_and_temporary_override():
    led = Led()
    led.set_permanent(1, 2, 3, 2, 0, 0)  # green 200 ms on, 300 ms off
    assert led.color(0) == 2 and led.color(250) == 0 and led.color(510) == 2
    led.set_temporary(2, 1, 0, 1, 0, 10, 1000)  # steady red for 1 s
    assert led.color(1500) == 1
    assert led.color(2001) in (0, 2)  # back to the permanent pattern
    led.set_temporary(2, 1, 0, 1, 0, 10, 3000)
    led.set_temporary(1, 0, 0, 0, 0, 0, 3100)  # cancel
    assert led.color(3200) != 1


def test_led_override_wins():
    led = Led()
    led.set_permanent(1, 1, 0, 2, 0, 0)
    led.override = (200, 800, 3, 0)
    assert led.color(100) == 3 and led.color(500) == 0
    led.override = None
    assert led.color(500) == 2


def test_buzzer_count_and_cap():
    buz = Buzzer(max_on_ms=5000)
    buz.command(2, 1, 1, 3, 0)  # 3 beeps of 100 ms
    assert buz.level(50) and not buz.level(150) and buz.level(250)
    assert not buz.level(600)
    buz.command(2, 1, 0, 0, 1000)  # forever -> capped
    assert buz.level(5999) is True
    assert not buz.level(6000)
    buz.command(2, 1, 1, 0, 7000)
    buz.command(1, 0, 0, 0, 7010)  # tone off
    assert not buz.level(7020)


def test_input_debounce():
    pin = SimPin(0)
    inp = Input(pin, active_level=1, debounce_ms=20)
    pin.level = 1
    assert not inp.update(0)
    pin.level = 0  # bounce
    assert not inp.update(5)
    pin.level = 1
    assert not inp.update(10)
    assert not inp.update(25)
    assert inp.update(31) and inp.is_active


def test_input_bank_mask_and_changed_flag():
    door, exit_button = SimPin(0), SimPin(1)
    bank = InputBank([Input(door, 1, 0), Input(exit_button, 0, 0)])
    assert bytes(bank.states) == b"\x00\x00" and not bank.changed
    exit_button.level = 0
    bank.update(0)
    assert bank.update(1) == 2
    assert bank.changed and bytes(bank.states) == b"\x00\x01"
