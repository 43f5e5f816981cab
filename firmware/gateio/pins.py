"""Board pin numbers. hardware/pinmap.toml is the source; tests/test_pinmap.py keeps these equal to it."""

# Raspberry Pi Pico (RP2040), GPIO numbers
PICO = {
    "uart": 0,
    "uart_tx": 0,
    "uart_rx": 1,
    "rs485_de": 2,
    "relay": 16,
    "led_red": 17,
    "led_green": 18,
    "led_blue": 19,
    "buzzer": 20,
    "door_contact": 10,
    "exit_button": 11,
    "tamper": 12,
}

# ESP32 DevKitC (WROOM-32), GPIO numbers; no strapping or input-only pins used
ESP32 = {
    "uart": 2,
    "uart_tx": 17,
    "uart_rx": 16,
    "rs485_de": 4,
    "relay": 26,
    "led_red": 25,
    "led_green": 33,
    "led_blue": 32,
    "buzzer": 27,
    "door_contact": 18,
    "exit_button": 19,
    "tamper": 21,
}

BY_PLATFORM = {"rp2": PICO, "esp32": ESP32}
