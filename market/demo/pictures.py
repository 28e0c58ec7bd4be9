"""Simple illustrative pictures for the demo, drawn with Pillow (nothing is downloaded).

Each picture is a small landscape in the home's colours with a motif for the kind: a path
with walkers for tours, a farmhouse for homestays, field rows for produce, stacked sheets and
a basket for crafts.
"""

import io
import math
import random

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 800, 600

PALETTES = {
    # sky top, sky bottom, far hills, near hills, ground, accent
    "plain": ((140, 185, 225), (236, 228, 205), (170, 160, 120), (196, 170, 96), (214, 190, 120),
              (178, 34, 34)),
    "misty": ((170, 196, 206), (232, 238, 236), (120, 150, 140), (70, 112, 96), (150, 170, 140),
              (40, 40, 40)),
    "terraces": ((120, 180, 230), (222, 240, 230), (96, 150, 96), (60, 128, 70), (120, 170, 80),
                 (190, 120, 30)),
}


def _lerp(a, b, t):
    return tuple(int(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _hills(draw, rng, base_y, amplitude, colour):
    phase, period = rng.uniform(0, 6.28), rng.uniform(180, 320)
    points = [(0, HEIGHT)]
    for x in range(0, WIDTH + 20, 20):
        y = base_y - amplitude * (0.6 * math.sin(x / period + phase) + 0.4 * math.sin(x / 77 + phase * 2))
        points.append((x, y))
    points.append((WIDTH, HEIGHT))
    draw.polygon(points, fill=colour)


def _walkers(draw, rng, accent):
    draw.polygon([(360, HEIGHT), (440, HEIGHT), (420, 420), (400, 390), (392, 420)], fill=(226, 212, 176))
    for i in range(3):
        x, y = 330 + i * 60 + rng.randint(-8, 8), 470 - i * 18
        draw.ellipse([x - 10, y - 52, x + 10, y - 32], fill=(60, 50, 40))
        draw.rectangle([x - 12, y - 32, x + 12, y + 8], fill=accent if i == 0 else (70, 90, 130))
        draw.rectangle([x - 10, y + 8, x + 10, y + 34], fill=(50, 50, 60))


def _house(draw, rng, accent):
    x, y = 260 + rng.randint(-40, 40), 330
    draw.rectangle([x, y, x + 280, y + 170], fill=(236, 230, 218), outline=(90, 80, 70), width=3)
    draw.polygon([(x - 30, y + 6), (x + 140, y - 90), (x + 310, y + 6)], fill=(70, 70, 80))
    draw.rectangle([x + 115, y + 70, x + 165, y + 170], fill=accent)
    for wx in (x + 30, x + 200):
        draw.rectangle([wx, y + 50, wx + 50, y + 100], fill=(250, 220, 140), outline=(90, 80, 70), width=3)
    draw.rectangle([x + 200, y - 70, x + 222, y - 20], fill=(120, 110, 100))


def _fields(draw, rng, ground):
    rows = rng.randint(7, 10)
    for i in range(rows):
        top = 380 + i * (220 / rows)
        shade = _lerp(ground, (250, 240, 200) if i % 2 else (60, 110, 50), 0.35)
        draw.polygon([(0, top), (WIDTH, top - 30), (WIDTH, top - 30 + 220 / rows), (0, top + 220 / rows)],
                     fill=shade)


def _crafts(draw, rng, accent):
    for i in range(6):
        off = i * 7
        draw.rectangle([180 + off, 470 - i * 14, 440 + off, 500 - i * 14], fill=(250, 248, 240),
                       outline=(180, 170, 150), width=2)
    draw.rectangle([470, 400, 640, 500], fill=(176, 130, 70), outline=(110, 80, 40), width=3)
    for k in range(478, 640, 16):
        draw.line([(k, 400), (k, 500)], fill=(130, 95, 50), width=3)
    draw.arc([470, 330, 640, 470], 180, 360, fill=(110, 80, 40), width=8)
    draw.ellipse([220, 380, 260, 420], fill=accent)


def picture(palette: str, kind: str | None, seed: int) -> bytes:
    """A PNG picture for a home (kind None) or a listing of the given kind."""
    rng = random.Random(seed)
    sky_top, sky_bottom, far, near, ground, accent = PALETTES[palette]
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    for y in range(HEIGHT):
        draw.line([(0, y), (WIDTH, y)], fill=_lerp(sky_top, sky_bottom, y / HEIGHT))
    sun_x, sun_y = rng.randint(80, WIDTH - 80), rng.randint(60, 150)
    draw.ellipse([sun_x - 40, sun_y - 40, sun_x + 40, sun_y + 40], fill=(250, 214, 120))
    _hills(draw, rng, 300, 60, far)
    _hills(draw, rng, 380, 40, near)
    draw.rectangle([0, 440, WIDTH, HEIGHT], fill=ground)
    if kind == "tour":
        _walkers(draw, rng, accent)
    elif kind == "homestay":
        _house(draw, rng, accent)
    elif kind == "produce":
        _fields(draw, rng, ground)
    elif kind == "craft":
        _crafts(draw, rng, accent)
    else:
        _house(draw, rng, accent)
        _walkers(draw, rng, accent)
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)  # fast: store_image re-encodes it anyway
    return out.getvalue()
