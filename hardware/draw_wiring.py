"""Draws hardware/wiring-pi.svg and hardware/wiring-ioboard.svg from hardware/pinmap.toml.

    python hardware/draw_wiring.py        # rewrites both SVGs

Pin numbers in the pictures come from pinmap.toml, so a pin change is one edit and a re-run.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent

SIGNAL = "#d9730d"
POWER = "#c62828"
GROUND = "#222222"
LOCK = "#6a1b9a"
BUS_A = "#1565c0"
BUS_B = "#2e7d32"


class Svg:
    def __init__(self, width: int, height: int, title: str) -> None:
        self.width, self.height = width, height
        self.parts = [
            f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
            self._text(width / 2, 34, title, size=22, weight="bold", anchor="middle"),
        ]

    @staticmethod
    def _text(x, y, s, size=13, weight="normal", anchor="start", color="#111111"):
        return (f'<text x="{x}" y="{y}" font-family="DejaVu Sans, Arial, sans-serif" font-size="{size}" '
                f'font-weight="{weight}" text-anchor="{anchor}" fill="{color}">{escape(s)}</text>')

    def text(self, x, y, s, **kw):
        self.parts.append(self._text(x, y, s, **kw))

    def box(self, x, y, w, h, title, fill="#f5f5f5", lines=(), lines_at=36):
        self.parts.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{fill}" stroke="#333" stroke-width="1.5"/>')
        self.text(x + w / 2, y + 18, title, size=13, weight="bold", anchor="middle")
        for i, line in enumerate(lines):
            self.text(x + w / 2, y + lines_at + 15 * i, line, size=11, anchor="middle", color="#333333")

    def wire(self, points, color=SIGNAL, width=2.2, dash=None):
        pts = " ".join(f"{x},{y}" for x, y in points)
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="{width}"{extra}/>')

    def dot(self, x, y, color=GROUND):
        self.parts.append(f'<circle cx="{x}" cy="{y}" r="3.5" fill="{color}"/>')

    def pin(self, x, y, label, anchor="start"):
        self.dot(x, y, "#555555")
        dx = 8 if anchor == "start" else -8
        self.text(x + dx, y - 5, label, size=11, anchor=anchor, color="#333333")

    def resistor(self, x, y, label):
        self.parts.append(f'<rect x="{x}" y="{y - 7}" width="46" height="14" fill="#fff8e1" stroke="#333" stroke-width="1.2"/>')
        self.text(x + 23, y - 11, label, size=10, anchor="middle", color="#333333")

    def switch(self, x, y, label):
        # two contacts and a lever: a normally-open switch drawn left to right
        self.dot(x, y, "#333333")
        self.dot(x + 40, y, "#333333")
        self.parts.append(f'<line x1="{x}" y1="{y}" x2="{x + 36}" y2="{y - 14}" stroke="#333" stroke-width="2"/>')
        self.text(x + 20, y + 18, label, size=10, anchor="middle", color="#333333")

    def ground(self, x, y):
        for i, half in enumerate((10, 6, 2)):
            yy = y + 4 * i
            self.parts.append(f'<line x1="{x - half}" y1="{yy}" x2="{x + half}" y2="{yy}" stroke="{GROUND}" stroke-width="2"/>')

    def legend(self, x, y):
        items = [(SIGNAL, "GPIO signal"), (POWER, "+5 V / +12 V"), (GROUND, "ground (0 V)"), (LOCK, "lock circuit (separate 12 V supply)")]
        for i, (color, label) in enumerate(items):
            self.wire([(x, y + 18 * i), (x + 30, y + 18 * i)], color=color, width=3)
            self.text(x + 38, y + 18 * i + 4, label, size=11)

    def save(self, path: Path) -> None:
        body = "\n  ".join(self.parts)
        path.write_text(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}">\n  {body}\n</svg>\n'
        )


def draw_peripherals(svg: Svg, pins: dict, prefix: str, x0: int, top: int) -> None:
    """Relay + lock, RGB LED, buzzer and the three switches, fed from pin column x0."""
    # every ground symbol is the board's GND (0 V of the logic side), not the lock supply

    # relay module and lock
    y = top + 20
    svg.wire([(x0, y), (x0 + 110, y)])
    svg.box(x0 + 110, y - 30, 190, 92, "Relay module", fill="#e3f2fd",
            lines=("IN  (high = energised)", "VCC 5 V   GND", "contacts: COM  NO  NC"))
    svg.text(x0 + 4, y - 6, f"{prefix}{pins['relay']}  relay", size=11, weight="bold")
    svg.wire([(x0 + 300, y + 50), (x0 + 330, y + 50), (x0 + 330, y + 66)], color=GROUND)
    svg.ground(x0 + 330, y + 66)
    svg.text(x0 + 336, y + 52, "GND", size=10)
    lx = x0 + 400
    svg.box(lx + 150, y - 62, 160, 52, "12 V lock supply", fill="#f3e5f5", lines=("separate from the Pi/board",))
    svg.box(lx + 150, y + 28, 160, 64, "Lock", fill="#f3e5f5", lines=("fail-secure strike: NO", "fail-safe maglock: NC"))
    svg.wire([(x0 + 300, y - 10), (lx + 20, y - 10), (lx + 20, y - 36), (lx + 150, y - 36)], color=LOCK)
    svg.text(x0 + 306, y - 14, "COM  <- +12 V", size=10, color=LOCK)
    svg.wire([(x0 + 300, y + 10), (lx + 60, y + 10), (lx + 60, y + 46), (lx + 150, y + 46)], color=LOCK)
    svg.text(x0 + 306, y + 24, "NO -> lock +", size=10, color=LOCK)
    svg.wire([(lx + 310, y + 74), (lx + 340, y + 74), (lx + 340, y - 26), (lx + 310, y - 26)], color=LOCK)
    svg.text(lx + 346, y + 24, "lock - to", size=10, color=LOCK)
    svg.text(lx + 346, y + 37, "supply -", size=10, color=LOCK)
    # flyback diode across the lock, cathode (band) to +
    dx, dy = lx + 110, y + 60
    svg.wire([(lx + 60, y + 46), (dx, y + 46)], color=LOCK)
    svg.wire([(dx, y + 46), (dx, y + 52)], color=LOCK)
    svg.parts.append(f'<polygon points="{dx - 8},{dy + 14} {dx + 8},{dy + 14} {dx},{dy}" fill="#333"/>')
    svg.parts.append(f'<line x1="{dx - 9}" y1="{dy - 1}" x2="{dx + 9}" y2="{dy - 1}" stroke="#333" stroke-width="3"/>')
    svg.wire([(dx, dy + 14), (dx, y + 100), (lx + 340, y + 100), (lx + 340, y + 74)], color=LOCK)
    svg.text(dx - 60, y + 118, "1N4007 flyback diode across the lock, band to +", size=10, color=LOCK)

    # RGB LED
    y = top + 170
    names = (("led_red", "R"), ("led_green", "G"), ("led_blue", "B"))
    for i, (name, short) in enumerate(names):
        yy = y + 34 * i
        svg.wire([(x0, yy), (x0 + 150, yy)])
        svg.text(x0 + 4, yy - 6, f"{prefix}{pins[name]}  {name}", size=11, weight="bold")
        svg.resistor(x0 + 150, yy, "330 \u03a9")
        svg.wire([(x0 + 196, yy), (x0 + 300, yy)])
        svg.text(x0 + 288, yy - 4, short, size=11, anchor="end")
    svg.box(x0 + 300, y - 22, 170, 100, "RGB LED", fill="#fffde7", lines=("common cathode", "amber = red + green"))
    svg.wire([(x0 + 470, y + 50), (x0 + 500, y + 50), (x0 + 500, y + 64)], color=GROUND)
    svg.ground(x0 + 500, y + 64)
    svg.text(x0 + 506, y + 46, "cathode to GND", size=10)

    # buzzer through an NPN transistor
    y = top + 320
    svg.wire([(x0, y), (x0 + 150, y)])
    svg.text(x0 + 4, y - 6, f"{prefix}{pins['buzzer']}  buzzer", size=11, weight="bold")
    svg.resistor(x0 + 150, y, "1 k\u03a9")
    svg.wire([(x0 + 196, y), (x0 + 300, y)])
    svg.box(x0 + 300, y - 28, 150, 70, "NPN 2N2222", fill="#e8f5e9", lines=("B: from 1 k\u03a9", "C: buzzer -   E: GND"))
    svg.wire([(x0 + 375, y + 42), (x0 + 375, y + 56)], color=GROUND)
    svg.ground(x0 + 375, y + 56)
    svg.box(x0 + 560, y - 28, 150, 56, "5 V active buzzer", fill="#e8f5e9", lines=("+ to 5 V, - to C",))
    svg.wire([(x0 + 450, y), (x0 + 560, y)])
    svg.wire([(x0 + 710, y - 10), (x0 + 760, y - 10)], color=POWER)
    svg.text(x0 + 766, y - 6, "+5 V", size=11, color=POWER)

    # switches to ground, inputs with internal pull-ups
    switches = (
        ("door_contact", "reed contact, closed while the door is shut"),
        ("exit_button", "exit button, normally open"),
        ("tamper", "tamper switch, closed while the lid is on"),
    )
    for i, (name, label) in enumerate(switches):
        yy = top + 420 + 60 * i
        svg.wire([(x0, yy), (x0 + 300, yy)])
        svg.text(x0 + 4, yy - 6, f"{prefix}{pins[name]}  {name} (pull-up)", size=11, weight="bold")
        svg.switch(x0 + 300, yy, "")
        svg.text(x0 + 500, yy + 4, label, size=11, color="#333333")
        svg.wire([(x0 + 340, yy), (x0 + 430, yy), (x0 + 430, yy + 10)], color=GROUND)
        svg.ground(x0 + 430, yy + 10)
        svg.text(x0 + 440, yy + 4, "GND", size=10)


def draw_pi(pinmap: dict) -> Svg:
    svg = Svg(1280, 860, "qrgate wiring, variant 1: Raspberry Pi only (BCM numbers)")
    pins = pinmap["pi"]
    top = 110
    svg.box(40, top - 40, 230, 700, "Raspberry Pi", fill="#fce4ec",
            lines=("BCM numbering", "3.3 V logic:", "no 5 V on GPIO"), lines_at=300)
    ys = {"relay": top + 20, "led_red": top + 170, "led_green": top + 204, "led_blue": top + 238,
          "buzzer": top + 320, "door_contact": top + 420, "exit_button": top + 480, "tamper": top + 540}
    for name, y in ys.items():
        svg.pin(270, y, f"GPIO{pins[name]}", anchor="end")
    svg.pin(270, top + 620, "GND (pin 6)", anchor="end")
    svg.wire([(270, top + 620), (310, top + 620), (310, top + 630)], color=GROUND, width=2.2)
    svg.ground(310, top + 630)
    svg.pin(270, top + 100, "5 V (pin 2)", anchor="end")
    svg.wire([(270, top + 100), (560, top + 100)], color=POWER)
    svg.text(566, top + 104, "+5 V to relay module VCC and buzzer +", size=11, color=POWER)
    draw_peripherals(svg, pins, "GPIO", 290, top)
    svg.legend(40, 800)
    svg.text(420, 806, "Inputs use the Pi's internal pull-ups; keep input cables shielded and under 30 m.", size=11)
    svg.text(420, 824, "The lock never shares the Pi's supply: only the relay contacts join the two circuits.", size=11)
    return svg


def draw_ioboard(pinmap: dict) -> Svg:
    svg = Svg(1280, 995, "qrgate wiring, variant 2: Pi + gate I/O board (Pico) over RS-485 / OSDP")
    pico = pinmap["pico"]
    rs = pinmap["pi_rs485"]
    # Pi and its RS-485 adapter
    svg.box(40, 60, 200, 110, "Raspberry Pi", fill="#fce4ec", lines=(f"GPIO{rs['uart_tx']} TXD, GPIO{rs['uart_rx']} RXD", f"{rs['device']}", "or a USB-RS485 adapter"))
    svg.box(300, 60, 200, 110, "RS-485 HAT / USB", fill="#e1f5fe", lines=("auto direction", "A, B, GND", "120 \u03a9 across A-B"))
    svg.wire([(240, 100), (300, 100)])
    svg.wire([(240, 130), (300, 130)])
    svg.wire([(500, 95), (760, 95)], color=BUS_A, width=3)
    svg.wire([(500, 115), (760, 115)], color=BUS_B, width=3)
    svg.wire([(500, 135), (760, 135)], color=GROUND, width=2, dash="6,4")
    svg.text(630, 88, "A", size=12, weight="bold", color=BUS_A)
    svg.text(630, 110, "B", size=12, weight="bold", color=BUS_B)
    svg.text(630, 152, "signal ground (dashed)", size=11, anchor="middle", color=GROUND)
    svg.text(630, 166, "A/B twisted pair, up to 1000 m", size=11, anchor="middle", color=GROUND)
    svg.box(760, 60, 200, 110, "MAX3485 (3.3 V)", fill="#e1f5fe", lines=("A, B  +  120 \u03a9 across A-B", f"RO -> GP{pico['uart_rx']}   DI <- GP{pico['uart_tx']}", f"DE + /RE <- GP{pico['rs485_de']}"))
    svg.box(1010, 60, 230, 110, "Power", fill="#ffebee", lines=("12 V lock supply", "-> 1 A buck -> 5 V:", "Pico VSYS, relay VCC, buzzer"))
    # Pico
    top = 260
    svg.box(40, top - 40, 230, 700, "Raspberry Pi Pico", fill="#fce4ec",
            lines=("MicroPython", "firmware/gateio", "3.3 V logic"), lines_at=300)
    ys = {"relay": top + 20, "led_red": top + 170, "led_green": top + 204, "led_blue": top + 238,
          "buzzer": top + 320, "door_contact": top + 420, "exit_button": top + 480, "tamper": top + 540}
    for name, y in ys.items():
        svg.pin(270, y, f"GP{pico[name]}", anchor="end")
    svg.pin(270, top + 100, "VSYS 5 V", anchor="end")
    svg.wire([(270, top + 100), (560, top + 100)], color=POWER)
    svg.text(566, top + 104, "+5 V to relay module VCC and buzzer +", size=11, color=POWER)
    svg.pin(270, top + 620, "GND", anchor="end")
    svg.wire([(270, top + 620), (310, top + 620), (310, top + 630)], color=GROUND, width=2.2)
    svg.ground(310, top + 630)
    svg.wire([(860, 170), (860, 200), (150, 200), (150, top - 40)], color=SIGNAL, dash="5,3")
    svg.text(500, 194, f"UART{pico['uart']}: GP{pico['uart_tx']}/GP{pico['uart_rx']}, DE GP{pico['rs485_de']}", size=11)
    draw_peripherals(svg, pico, "GP", 290, top)
    esp = pinmap["esp32"]
    svg.text(40, 950, "ESP32 DevKitC instead of the Pico: UART%d TX GPIO%d, RX GPIO%d, DE GPIO%d; relay GPIO%d; LED R/G/B GPIO%d/%d/%d; "
             "buzzer GPIO%d; door GPIO%d, exit GPIO%d, tamper GPIO%d." % (
                 esp["uart"], esp["uart_tx"], esp["uart_rx"], esp["rs485_de"], esp["relay"], esp["led_red"],
                 esp["led_green"], esp["led_blue"], esp["buzzer"], esp["door_contact"], esp["exit_button"], esp["tamper"]), size=11)
    svg.legend(820, 870)
    svg.text(40, 975, "The board drops the relay after 1 s without polls and opens locally on the exit button.", size=11)
    return svg


def main() -> None:
    pinmap = tomllib.loads((HERE / "pinmap.toml").read_text())
    draw_pi(pinmap).save(HERE / "wiring-pi.svg")
    draw_ioboard(pinmap).save(HERE / "wiring-ioboard.svg")


if __name__ == "__main__":
    main()
