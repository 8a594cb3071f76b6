"""Draws the household app's icons (pwa/icons/*.png) with Pillow.

Run once after changing the design: ``python scripts/make_icons.py``. The PNGs are committed,
so the app needs no build step. The maskable icon keeps its drawing inside the central 80 %
"safe zone" because Android crops it to a circle or a squircle.
"""

from pathlib import Path

from PIL import Image, ImageDraw

GREEN = (11, 93, 59, 255)
WHITE = (255, 255, 255, 255)
GOLD = (245, 183, 0, 255)
OUT = Path(__file__).resolve().parent.parent / "pwa" / "icons"


def draw(size: int, *, maskable: bool) -> Image.Image:
    """Returns a shield with a house inside, on green (full bleed when maskable)."""
    scale = 4  # draw large, then downsample for smooth edges
    s = size * scale
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:
        d.rectangle((0, 0, s, s), fill=GREEN)
        inner = 0.62  # the shield's height as a share of the icon, within the safe zone
    else:
        d.rounded_rectangle((0, 0, s - 1, s - 1), radius=int(s * 0.22), fill=GREEN)
        inner = 0.74
    h = s * inner
    w = h * 0.82
    cx, top = s / 2, (s - h) / 2
    shield = [
        (cx - w / 2, top + h * 0.12),
        (cx, top),
        (cx + w / 2, top + h * 0.12),
        (cx + w / 2, top + h * 0.5),
        (cx, top + h),
        (cx - w / 2, top + h * 0.5),
    ]
    d.polygon(shield, fill=WHITE)
    # A house: roof and body, in green, inside the shield.
    hw = w * 0.52
    roof_top, eaves = top + h * 0.22, top + h * 0.45
    d.polygon([(cx - hw / 2 - w * 0.06, eaves), (cx, roof_top), (cx + hw / 2 + w * 0.06, eaves)], fill=GREEN)
    d.rectangle((cx - hw / 2, eaves, cx + hw / 2, top + h * 0.72), fill=GREEN)
    door = hw * 0.28
    d.rectangle((cx - door / 2, top + h * 0.55, cx + door / 2, top + h * 0.72), fill=GOLD)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Writes the three icon files the manifest names."""
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192, maskable=False).save(OUT / "icon-192.png", optimize=True)
    draw(512, maskable=False).save(OUT / "icon-512.png", optimize=True)
    draw(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
