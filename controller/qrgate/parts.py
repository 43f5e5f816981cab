"""Each part of a gate, built from its config: the I/O (GPIO, mock pins or an OSDP board),
the cameras, the scanner modules, and what dashboards show about the hardware.

Kept apart from the gate's lifecycle (app.py) so `qrgate doctor` can open one part alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .comms.discovery import DeviceInfo
from .config import Config
from .config.readers import CameraReaderConfig, ReaderConfig
from .gate import GateIO, open_gate_io
from .readers.base import DeviceReader
from .readers.serial_reader import SerialReader
from .vision.sources import FrameSource, ImageFiles, OpenCVCamera, VideoFile


def open_io(cfg: Config) -> GateIO:
    gate = cfg.gate
    if gate.backend in ("gpio", "mock"):
        factory = None
        if gate.backend == "mock":  # gpiozero's mock pins: a whole gate on a PC (the CLI says nothing is driven)
            from gpiozero.pins.mock import MockFactory

            factory = MockFactory()
        io = open_gate_io("gpio", pins=gate.pins.model_dump(), max_relay_seconds=gate.max_relay_seconds,
                          pin_factory=factory)
        if factory is not None:  # a closed door and lid, as on a gate at rest (the pull-ups read open)
            for switch in (gate.pins.door_contact, gate.pins.tamper):
                factory.pin(switch).drive_low()
        return io
    return open_gate_io("osdp", port=gate.osdp_port, address=gate.osdp_address, scbk=gate.osdp_scbk,
                        baud=gate.osdp_baud, relay_output=gate.osdp_relay_output,
                        door_input=gate.osdp_door_input, exit_input=gate.osdp_exit_input,
                        tamper_input=gate.osdp_tamper_input, max_relay_seconds=gate.max_relay_seconds)


def open_camera(camera: CameraReaderConfig) -> FrameSource | Callable[[], FrameSource]:
    """The frame source of a camera reader. A replay is opened now; a camera is opened by its
    runner, so a missing one is a fault that heals."""
    if camera.source == "files":
        return ImageFiles(camera.files, fps=camera.fps)
    if camera.source == "video":
        return VideoFile(camera.files[0], fps=camera.fps)
    if camera.source == "picamera2":
        from .vision.picamera import PiCamera

        return lambda: PiCamera(camera=int(camera.device), width=camera.width, height=camera.height, fps=camera.fps,
                                metering=camera.metering, exposure_mode=camera.exposure_mode,
                                constraint=camera.constraint, exposure_value=camera.exposure_value,
                                exposure_time_us=camera.exposure_time_us, analogue_gain=camera.analogue_gain)
    device = int(camera.device) if camera.device.isdigit() else camera.device
    return lambda: OpenCVCamera(device=device, width=camera.width, height=camera.height, fps=camera.fps,
                                auto_exposure=camera.auto_exposure, exposure=camera.exposure, gain=camera.gain)


def open_scanner(reader: ReaderConfig, *, name: str, on_code, clock: Callable[[], float],
                 when_changed: Callable[[bool, str], None]) -> DeviceReader:
    """A scanner module's reader (not started): serial over pyserial, a keyboard wedge over evdev."""
    if reader.kind == "serial":
        return SerialReader(reader.port, baud=reader.baud, max_length=reader.max_line_bytes, name=name,
                            on_code=on_code, clock=clock, when_changed=when_changed)
    from .readers.hid import HidReader  # evdev only where a keyboard-wedge scanner is configured

    return HidReader(reader.device, name=name, on_code=on_code, clock=clock, when_changed=when_changed)


def device_info(cfg: Config) -> DeviceInfo:
    """What dashboards show about this gate's hardware."""
    hardware = {"gpio": "Raspberry Pi GPIO", "osdp": "OSDP I/O board"}.get(cfg.gate.backend, cfg.gate.backend)
    return DeviceInfo(hw_version=hardware, serial_number=board_serial(),
                      readers=tuple(f"{r.kind} {r.direction}" for r in cfg.readers),
                      site_sync=cfg.site.sync.enabled)


def board_serial() -> str | None:
    """The Pi's own serial number (device tree), or None on other machines."""
    try:
        return Path("/proc/device-tree/serial-number").read_text().strip("\x00\n ") or None
    except OSError:
        return None
