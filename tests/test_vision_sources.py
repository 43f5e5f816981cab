"""Frame sources: camera buffers to gray, replays of images and videos, clear errors for the rest."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from gatesim.camera import VirtualCamera
from qrgate.errors import CameraError
from qrgate.vision.picamera import PiCamera
from qrgate.vision.sources import ImageFiles, OpenCVCamera, VideoFile, load_gray, to_gray


@pytest.fixture
def scene():
    camera = VirtualCamera(320, 240, module_px=3)
    camera.show("QG1:SOURCES")
    return camera.frame()


def test_an_mjpeg_buffer_is_decoded_straight_to_gray(scene):
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(scene, cv2.COLOR_GRAY2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    gray = to_gray(jpeg.reshape(1, -1), cv2)  # what V4L2 hands over with CONVERT_RGB off
    assert gray.shape == scene.shape and gray.dtype == np.uint8
    assert np.abs(gray.astype(int) - scene).mean() < 3


def test_a_corrupt_mjpeg_buffer_is_no_frame():
    assert to_gray(np.frombuffer(b"\xff\xd8 not really a jpeg", np.uint8).reshape(1, -1), cv2) is None


def test_yuyv_gives_its_y_plane_and_bgr_is_converted(scene):
    yuyv = np.stack([scene, np.full_like(scene, 128)], axis=2)
    assert np.array_equal(to_gray(yuyv, cv2), scene)
    bgr = cv2.cvtColor(scene, cv2.COLOR_GRAY2BGR)
    assert np.array_equal(to_gray(bgr, cv2), scene)
    assert to_gray(scene, cv2) is scene


def test_transparent_images_are_read_as_white_paper(tmp_path):
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[:5, :, 3] = 255  # top half: opaque black; bottom half: fully transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    gray = load_gray(tmp_path / "t.png")
    assert gray[0, 0] == 0 and gray[9, 9] == 255


def test_unreadable_inputs_get_clear_errors(tmp_path):
    (tmp_path / "notes.png").write_text("hello")
    with pytest.raises(CameraError, match="not an image"):
        load_gray(tmp_path / "notes.png")
    with pytest.raises(CameraError, match="no such file"):
        load_gray(tmp_path / "missing.png")
    with pytest.raises(CameraError, match="no such folder"):
        ImageFiles.folder(tmp_path / "nowhere")
    with pytest.raises(CameraError, match="cannot be opened"):
        OpenCVCamera(device="/dev/video-qrgate-none")
    with pytest.raises(CameraError, match="not a video"):
        VideoFile(tmp_path / "notes.png")
    (tmp_path / "notes.avi").write_text("hello")
    proc = subprocess.run([sys.executable, "-m", "qrgate.cli.main", "decode", str(tmp_path / "notes.avi")],
                          capture_output=True, timeout=60)
    assert proc.returncode == 1 and b"not a video" in proc.stdout and b"Traceback" not in proc.stderr


def test_a_missing_picamera2_is_a_clear_error():
    try:
        import picamera2  # noqa: F401
    except ImportError:
        with pytest.raises(CameraError, match="picamera2"):
            PiCamera()
    else:
        pytest.skip("picamera2 is installed here: the error path cannot be shown")


def test_an_image_folder_replays_in_name_order(tmp_path, scene):
    for name, value in (("b.png", 200), ("a.png", 100)):
        Image.fromarray(np.full((8, 8), value, np.uint8)).save(tmp_path / name)
    (tmp_path / "readme.txt").write_text("not a frame")
    source = ImageFiles.folder(tmp_path)
    assert not source.is_live
    assert [source.read()[0, 0], source.read()[0, 0], source.read()] == [100, 200, None]


def write_video(path, frames):
    h, w = frames[0].shape
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (w, h), isColor=False)
    assert writer.isOpened()
    for f in frames:
        writer.write(f)
    writer.release()


def test_qrgate_decode_reads_a_video_frame_by_frame(tmp_path):
    camera = VirtualCamera(640, 480, module_px=4, seed=2)
    frames = [camera.frame() for _ in range(3)]
    camera.show("QG1:IN-A-VIDEO")
    frames += [camera.frame() for _ in range(4)]
    camera.show(None)
    frames += [camera.frame() for _ in range(2)]
    write_video(tmp_path / "gate.avi", frames)
    video = VideoFile(tmp_path / "gate.avi")
    shapes = []
    while (frame := video.read()) is not None:
        shapes.append(frame.shape)
    assert shapes == [(480, 640)] * 9 and video.index == 8

    proc = subprocess.run([sys.executable, "-m", "qrgate.cli.main", "decode", "--json", str(tmp_path / "gate.avi")],
                          capture_output=True, timeout=60)
    lines = [json.loads(s) for s in proc.stdout.decode().splitlines()]
    assert proc.returncode == 0, proc.stderr.decode()
    per_frame, summary = lines[:-1], lines[-1]
    assert [r["frame"] for r in per_frame] == [3, 4, 5, 6]
    assert all(r["codes"][0]["text"] == "QG1:IN-A-VIDEO" for r in per_frame)
    assert summary["frames"] == 9 and summary["codes"] == [{"text": "QG1:IN-A-VIDEO"}]


def test_qrgate_decode_reports_a_video_without_codes(tmp_path):
    write_video(tmp_path / "empty.avi", [VirtualCamera(320, 240).frame() for _ in range(3)])
    proc = subprocess.run([sys.executable, "-m", "qrgate.cli.main", "decode", "--json", str(tmp_path)],
                          capture_output=True, timeout=60)
    [summary] = [json.loads(s) for s in proc.stdout.decode().splitlines()]
    assert proc.returncode == 1 and summary["frames"] == 3 and summary["codes"] == []


def test_v4l2_exposure_settings_for_screens():
    import cv2

    from qrgate.vision.sources import v4l2_exposure

    assert v4l2_exposure(cv2, auto_exposure=None, exposure=None, gain=None) == []  # the driver's own
    fixed = v4l2_exposure(cv2, auto_exposure=None, exposure=40, gain=2)
    assert fixed == [("auto_exposure", cv2.CAP_PROP_AUTO_EXPOSURE, 1), ("exposure", cv2.CAP_PROP_EXPOSURE, 40.0),
                     ("gain", cv2.CAP_PROP_GAIN, 2.0)]  # a fixed exposure turns auto off first
    assert v4l2_exposure(cv2, auto_exposure=True, exposure=None, gain=None)[0][2] == 3
    with pytest.raises(CameraError, match="needs an exposure"):
        v4l2_exposure(cv2, auto_exposure=False, exposure=None, gain=None)
    with pytest.raises(CameraError, match="exposure must be positive"):
        v4l2_exposure(cv2, auto_exposure=None, exposure=0, gain=None)
    with pytest.raises(CameraError, match="exposure must be positive"):  # checked before any device is touched
        OpenCVCamera(device="/dev/video-qrgate-none", exposure=-5)


def test_pi_camera_controls_for_screens():
    from qrgate.vision.picamera import pi_controls

    auto = pi_controls(fps=30)
    assert auto == {"FrameRate": 30.0, "AeEnable": True, "AeMeteringMode": 0, "AeExposureMode": 1,
                    "AeConstraintMode": 1, "ExposureValue": -0.5}
    assert pi_controls(fps=30, metering="spot")["AeMeteringMode"] == 1
    fixed = pi_controls(fps=30, exposure_time_us=4000, analogue_gain=2.0)
    assert fixed == {"FrameRate": 30.0, "AeEnable": False, "ExposureTime": 4000, "AnalogueGain": 2.0}
    with pytest.raises(CameraError, match="between 1 and 33333"):
        pi_controls(fps=30, exposure_time_us=50_000, analogue_gain=2.0)
    with pytest.raises(CameraError, match="analogue_gain"):
        pi_controls(fps=30, exposure_time_us=4000)
    with pytest.raises(CameraError, match="unknown metering"):
        pi_controls(fps=30, metering="evaluative")
    with pytest.raises(CameraError, match="outside"):
        PiCamera(exposure_value=-20)  # refused before picamera2 is even looked for
