"""[[readers]]: what reads the codes at this gate, each for entries, exits or both ways.

A tagged list: `kind` picks the table's shape. A camera is today's frame source; a serial
reader is a 2D scanner module sending one code per line on a UART or USB-CDC port; a hid
reader is a USB scanner that types each code as a keyboard would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import Field, field_validator, model_validator

from .base import ConfigModel, fail

MAX_CODE_CHARS = 4296  # the most a QR code can hold

Direction = Literal["entry", "exit", "auto"]
_DIRECTION = ("Codes read here are entries, exits, or auto: one reader for both ways, where a holder "
              "inside is leaving")


_KIND = ("What reads codes: camera (frames from a camera or a replay), serial (a 2D scanner module on a "
         "UART or USB-CDC port, one code per line) or hid (a USB scanner that types like a keyboard)")


def _direction():
    return Field("entry", description=_DIRECTION)


class CameraReaderConfig(ConfigModel):
    kind: Literal["camera"] = Field("camera", description=_KIND)
    direction: Direction = _direction()
    source: Literal["opencv", "picamera2", "files", "video"] = Field(
        "opencv", description="Where frames come from: a V4L2/USB camera, the Pi camera, or a replay of image "
                              "files or a video file")
    device: str = Field("0", description="OpenCV device index or path (opencv source); the Pi camera's number "
                                         "(picamera2 source)")
    width: int = Field(1280, ge=160, le=8192, description="Capture width in pixels")
    height: int = Field(720, ge=120, le=8192, description="Capture height in pixels")
    fps: int = Field(30, ge=1, le=240, description="Capture frame rate")
    files: list[str] = Field(default_factory=list, description="Image files to replay (files source), or one "
                                                               "video file (video source)")
    lost_after: float = Field(1.0, ge=0.1, description="Seconds without a frame before the camera counts as lost")
    # exposure for phone screens (docs/vision.md): V4L2 cameras through OpenCV
    auto_exposure: bool | None = Field(None, description="opencv source: the driver's auto exposure on or off; "
                                                         "none: leave the driver's own setting")
    exposure: float | None = Field(None, gt=0, description="opencv source: a fixed exposure in 100 µs units "
                                                           "(40 = 4 ms); switches auto exposure off")
    gain: float | None = Field(None, ge=0, description="opencv source: a fixed gain, in the driver's units")
    # the Pi camera (picamera2): meter and limit so that a lit phone screen does not clip
    metering: Literal["centre", "spot", "matrix"] = Field(
        "centre", description="picamera2 source: where auto exposure measures")
    exposure_mode: Literal["normal", "short", "long"] = Field(
        "short", description="picamera2 source: short prefers gain over long exposures (less motion blur)")
    constraint: Literal["normal", "highlight", "shadows"] = Field(
        "highlight", description="picamera2 source: highlight keeps the brightest part (a screen) from clipping")
    exposure_value: float = Field(-0.5, ge=-8, le=8, description="picamera2 source: exposure compensation in stops")
    exposure_time_us: int | None = Field(None, ge=1, description="picamera2 source: a fixed exposure time; needs "
                                                                 "analogue_gain too")
    analogue_gain: float | None = Field(None, ge=1, le=16, description="picamera2 source: a fixed gain; needs "
                                                                       "exposure_time_us too")

    @field_validator("device", mode="before")
    @classmethod
    def _device_number(cls, value):
        # `device = 0` reads naturally in TOML; the source takes the text
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _fixed_exposure_in_pairs(self) -> "CameraReaderConfig":
        if (self.exposure_time_us is None) != (self.analogue_gain is None):
            missing = "analogue_gain" if self.analogue_gain is None else "exposure_time_us"
            fail("a fixed Pi-camera exposure needs both exposure_time_us and analogue_gain", missing)
        return self

    @model_validator(mode="after")
    def _replay_files_exist(self) -> "CameraReaderConfig":
        if self.source in ("files", "video") and not self.files:
            fail(f"a {self.source} source needs its files", "files")
        if self.source == "video" and len(self.files) > 1:
            fail(f"a video source plays one file, {len(self.files)} are listed", "files")
        if self.source in ("files", "video"):
            for i, name in enumerate(self.files):
                if not Path(name).is_file():
                    fail(f"no such file {name}", f"files[{i}]")
        if self.source == "picamera2" and not self.device.isdigit():
            fail(f"{self.device!r} is not a camera number (the picamera2 source counts cameras from 0)", "device")
        return self


class SerialReaderConfig(ConfigModel):
    kind: Literal["serial"] = Field("serial", description=_KIND)
    direction: Direction = _direction()
    port: str = Field("/dev/ttyACM0", min_length=1,
                      description="Serial device of the scanner module (UART or USB-CDC)")
    baud: int = Field(9600, ge=1200, le=4_000_000, description="Serial speed the scanner module is set to")
    max_line_bytes: int = Field(MAX_CODE_CHARS, ge=16, le=65536,
                                description="Longest line (one code) taken; longer ones are refused")


class HidReaderConfig(ConfigModel):
    kind: Literal["hid"] = Field("hid", description=_KIND)
    direction: Direction = _direction()
    device: str = Field("", description="Input device of the USB scanner, e.g. "
                                        "/dev/input/by-id/usb-...-event-kbd")

    @model_validator(mode="after")
    def _device_named(self) -> "HidReaderConfig":
        if not self.device:  # checked here, not on the field: the empty default must be refused too
            fail("a hid reader needs its input device (e.g. /dev/input/by-id/usb-...-event-kbd)", "device")
        return self


ReaderConfig = Annotated[Union[CameraReaderConfig, SerialReaderConfig, HidReaderConfig],
                         Field(discriminator="kind")]
