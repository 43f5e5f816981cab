"""What a gate camera sees: a code on a phone screen or a paper card, posed and degraded.

A `Shot` is one visitor's pose and the camera's flaws; `render()` turns it into an
8-bit gray frame over a cluttered background. Everything random comes from the
caller's numpy Generator, so a seed gives the same frames every run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .optics import (add_glare, add_glare_stripes, add_moire, add_noise, apply_lighting, bloom, defocus,
                     jpeg_roundtrip, motion_blur, need_cv2)
from .qrimage import qr_modules

DIFFICULTIES = ("easy", "normal", "hard")
# phone screens at their worst, each a scene of its own (the virtual camera takes them as a difficulty)
SCREEN_SCENES = ("moire", "glare_stripes", "dark_mode", "bright_screen")
SCENES = DIFFICULTIES + SCREEN_SCENES


@dataclass(frozen=True)
class Shot:
    """One code in front of the camera, and everything that degrades it."""

    module_px: float = 4.0  # pixels per module at the code's centre
    carrier: str = "phone"  # "phone" or "paper"
    centre: tuple[float, float] = (0.5, 0.5)  # in frame fractions
    roll_deg: float = 0.0  # rotation in the image plane
    tilt_deg: tuple[float, float] = (0.0, 0.0)  # about the x and y axes: perspective
    defocus_sigma: float = 0.0
    motion_px: float = 0.0
    motion_deg: float = 0.0
    noise: float = 6.0
    glare: int = 0  # bright reflections on the carrier
    glare_strength: float = 0.0
    gradient: float = 0.0  # lighting fall-off across the frame, 0..1
    jpeg_quality: int | None = None
    moire: float = 0.0  # screen-pattern amplitude (phones), in grey levels
    brightness: float = 1.0  # screen brightness / paper albedo
    inverted: bool = False  # dark mode: light modules on a dark screen
    stripes: int = 0  # glare stripes: a window or a strip light reflected across the glass
    stripe_strength: float = 0.0
    screen_gain: float = 1.0  # the screen's light over what the exposure was set for (>1: blown out)
    ambient: float = 1.0  # the scene's light: 0.3 is a dim lobby
    damage: float = 0.0  # a scratch or sticker over the code, as a fraction of its side
    damage_at: tuple[float, float] = (0.5, 0.5)  # its centre, in fractions of the code


def sample_shot(rng: np.random.Generator, difficulty: str, module_px: float | None = None) -> Shot:
    """A random visitor's pose for a difficulty: "easy", "normal" or "hard"."""
    if difficulty not in SCENES:
        raise ValueError(f"unknown scene difficulty {difficulty!r}; choose one of {', '.join(SCENES)}")
    if difficulty in SCREEN_SCENES:
        return screen_shot(rng, difficulty, module_px)
    if difficulty == "easy":
        return Shot(module_px=module_px or 4.0)
    hard = difficulty == "hard"
    u = rng.uniform
    carrier = "phone" if rng.random() < 0.6 else "paper"
    return Shot(
        module_px=module_px or (u(2.0, 4.0) if hard else u(3.0, 8.0)),
        carrier=carrier,
        centre=(u(0.35, 0.65), u(0.35, 0.65)),
        roll_deg=u(-45, 45) if hard else u(-15, 15),
        tilt_deg=(u(-35, 35), u(-35, 35)) if hard else (u(-20, 20), u(-20, 20)),
        defocus_sigma=u(0.4, 1.1) if hard else u(0.0, 0.8),
        motion_px=u(1.0, 3.5) if hard else u(0.0, 2.0),
        motion_deg=u(0, 180),
        noise=u(6, 12) if hard else u(2, 7),
        glare=int(rng.integers(1, 3)) if hard else int(rng.random() < 0.3),
        glare_strength=u(60, 140) if hard else u(30, 80),
        gradient=u(0.3, 0.6) if hard else u(0.0, 0.3),
        jpeg_quality=int(u(40, 75)) if hard else int(u(70, 95)),
        moire=(u(6, 16) if hard else u(0, 6)) if carrier == "phone" else 0.0,
        brightness=u(0.6, 0.9) if hard else u(0.75, 1.0),
    )


def screen_shot(rng: np.random.Generator, scene: str, module_px: float | None = None) -> Shot:
    """A phone screen, posed as a "normal" visitor holds it, with one screen trouble made strong."""
    base = replace(sample_shot(rng, "normal", module_px), carrier="phone", glare=0, moire=0.0)
    u = rng.uniform
    if scene == "moire":  # the screen's pixel grid beating against the sensor's
        return replace(base, moire=u(14, 30), defocus_sigma=u(0.0, 0.5))
    if scene == "glare_stripes":
        return replace(base, stripes=int(rng.integers(1, 3)), stripe_strength=u(60, 140))
    if scene == "dark_mode":
        return replace(base, inverted=True, brightness=u(0.6, 0.9), moire=u(0, 8))
    # full brightness against a dim lobby: an exposure set for the room blows the screen out
    return replace(base, screen_gain=u(2.0, 3.5), ambient=u(0.2, 0.4), moire=u(0, 6))


def approach(shot: Shot, progress: float) -> Shot:
    """The same visitor further away and moving: progress 0 = arm's length away, 1 = holding still."""
    p = min(1.0, max(0.0, progress))
    far = 0.35  # the code starts at about a third of its final size
    scale = far + (1 - far) * p
    moving = (1 - p) * 6.0  # the hand moves fastest while it comes up
    return replace(shot, module_px=shot.module_px * scale,
                   defocus_sigma=shot.defocus_sigma + (1 - p) * 1.2,
                   motion_px=shot.motion_px + moving,
                   centre=(shot.centre[0], shot.centre[1] + 0.25 * (1 - p)))


def quad_for(shot: Shot, modules: int, width: int, height: int) -> np.ndarray:
    """Where the code's four outer corners land in the frame (a tilted square, projected)."""
    side = modules * shot.module_px
    half = side / 2
    ax, ay = (math.radians(a) for a in shot.tilt_deg)
    rz = math.radians(shot.roll_deg)
    rot_x = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    rot_y = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    rot_z = np.array([[math.cos(rz), -math.sin(rz), 0], [math.sin(rz), math.cos(rz), 0], [0, 0, 1]])
    corners = np.array([[-half, -half, 0], [half, -half, 0], [half, half, 0], [-half, half, 0]])
    pts = corners @ (rot_z @ rot_y @ rot_x).T
    focal = 1.2 * max(width, height)
    cx, cy = shot.centre[0] * width, shot.centre[1] * height
    z = focal + pts[:, 2]
    return np.stack([cx + focal * pts[:, 0] / z, cy + focal * pts[:, 1] / z], axis=1).astype(np.float32)


def carrier_image(content: str | np.ndarray, shot: Shot) -> tuple[np.ndarray, np.ndarray, int]:
    """The phone or card face, straight on: (image, code-only corners in it, code side in modules).

    `content` is the code's text, or a module matrix (True = dark) such as a decoy.
    """
    modules = qr_modules(content) if isinstance(content, str) else content
    n = modules.shape[0]
    px = max(2, int(math.ceil(shot.module_px)))  # draw near the final size: no aliasing when warped
    light = 235 * shot.brightness
    dark = 25 if shot.carrier == "phone" else 40
    if shot.inverted:  # dark mode: the app draws its code light on the dark background
        light, dark = 22.0, 215 * shot.brightness
    code = np.where(np.kron(modules, np.ones((px, px), dtype=bool)), dark, light).astype(np.float32)
    if shot.damage > 0:  # a sticker: flat, halfway between the code's two tones
        side, half = code.shape[0], int(code.shape[0] * shot.damage / 2)
        cy, cx = (int(f * side) for f in reversed(shot.damage_at))
        code[max(0, cy - half):cy + half, max(0, cx - half):cx + half] = (light + dark) / 2
    quiet = 4 * px if shot.carrier == "phone" else 6 * px
    face = np.pad(code, quiet, constant_values=light)
    if shot.carrier == "phone":
        bezel = max(3, 2 * px)
        face = np.pad(face, ((bezel * 3, bezel * 4), (bezel, bezel)), constant_values=15)  # dark frame, chin
        top, left = bezel * 3 + quiet, bezel + quiet
    else:
        face[:, :] *= np.linspace(1.0, 0.92, face.shape[1], dtype=np.float32)[None, :]  # card curls a little
        top = left = quiet
    side = n * px
    inner = np.array([[left, top], [left + side, top], [left + side, top + side], [left, top + side]], np.float32)
    return face, inner, n


def render(content: str | np.ndarray | None, shot: Shot, background: np.ndarray,
           rng: np.random.Generator) -> np.ndarray:
    """One camera frame: `background` (float32 H×W) with the code (text or module matrix)
    composited, then the camera's flaws."""
    cv2 = need_cv2()
    height, width = background.shape
    frame = background * shot.ambient if shot.ambient != 1.0 else background.copy()
    if content is not None and len(content):
        face, inner, n = carrier_image(content, shot)
        if shot.screen_gain != 1.0:  # a self-lit screen: its light does not follow the room's
            face = face * shot.screen_gain
        dst = quad_for(shot, n, width, height)
        warp = cv2.getPerspectiveTransform(inner, dst)
        fh, fw = face.shape
        mask = np.ones((fh, fw), np.float32)
        warped = cv2.warpPerspective(face, warp, (width, height), flags=cv2.INTER_LINEAR)
        cover = cv2.warpPerspective(mask, warp, (width, height), flags=cv2.INTER_LINEAR)
        frame = frame * (1 - cover) + warped * cover
        if shot.carrier == "phone" and shot.moire:
            frame = add_moire(frame, cover, shot.moire, rng)
        if shot.glare:
            frame = add_glare(frame, dst, shot.glare, shot.glare_strength, rng)
        if shot.stripes:
            frame = add_glare_stripes(frame, cover, shot.stripes, shot.stripe_strength, rng)
        if shot.screen_gain > 1.0:
            frame = bloom(frame, shot.module_px)
    frame = apply_lighting(frame, shot.gradient, rng)
    frame = defocus(frame, shot.defocus_sigma)
    frame = motion_blur(frame, shot.motion_px, shot.motion_deg)
    frame = add_noise(frame, shot.noise, rng)
    gray = np.clip(frame, 0, 255).astype(np.uint8)
    return jpeg_roundtrip(gray, shot.jpeg_quality)
