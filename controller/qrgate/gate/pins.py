"""Default BCM pin numbers of the Pi-only gate; hardware/pinmap.toml is the source, a test keeps them equal."""

DEFAULT_PINS = {
    "relay": 17,
    "led_red": 22,
    "led_green": 27,
    "led_blue": 24,
    "buzzer": 18,
    "door_contact": 5,
    "exit_button": 6,
    "tamper": 13,
}
