"""Board settings with safe defaults. Plain class (no dataclasses: MicroPython has none)."""


class Config:
    address = 0  # OSDP address 0..126
    scbk = None  # 16-byte secure channel base key; None: no secure channel unless install_mode
    install_mode = False  # accept SCBK-D once, for commissioning; a KEYSET ends it
    max_relay_ms = 10000  # the relay is never held on longer than this
    exit_open_ms = 5000  # exit button: local pulse, works with the controller offline
    exit_opens_locally = True
    offline_ms = 1000  # no valid command for this long: outputs off, offline pattern
    debounce_ms = 20
    buzzer_max_ms = 30000
    vendor = b"QRG"  # 3-byte IEEE OUI-like vendor code reported in osdp_PDID
    model = 1
    version = 1
    serial = 0
    # (on_ms, off_ms, on_color, off_color): amber flash while the controller is away
    offline_pattern = (200, 800, 3, 0)

    def __init__(self, **overrides):
        for key, value in overrides.items():
            if not hasattr(Config, key):
                raise ValueError("unknown board setting: %s" % key)
            setattr(self, key, value)
        if not 0 <= self.address <= 126:
            raise ValueError("address must be 0..126")
        if self.scbk is not None and len(self.scbk) != 16:
            raise ValueError("scbk must be 16 bytes")
