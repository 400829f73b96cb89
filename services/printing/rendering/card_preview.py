"""PNG preview of the KTP-el (front above back), drawn from the same layout as the PDF."""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ..domain.card import Card
from .card_layout import (
    BACKGROUND, BAND, BARCODE, BOLD, HEIGHT, INK, PHOTO, SIGNATURE, WIDTH, Box, Text, back_texts, front_texts,
)

DEFAULT_DPI = 200
GAP_MM = 4
_FONT_FILES = {
    "Helvetica": ("DejaVuSansCondensed.ttf", "DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf"),
    "Helvetica-Bold": ("DejaVuSansCondensed-Bold.ttf", "DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "Arial Bold.ttf"),
}
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"))


def _rgb(colour: tuple[float, float, float]) -> tuple[int, int, int]:
    r, g, b = colour
    return round(r * 255), round(g * 255), round(b * 255)


@lru_cache(maxsize=256)
def _font(name: str, pixels: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for directory in _FONT_DIRS:
        for filename in _FONT_FILES.get(name, ()):
            if (directory / filename).exists():
                return ImageFont.truetype(str(directory / filename), pixels)
    return ImageFont.load_default(pixels)  # Pillow's bundled font (needs FreeType)


class _Page:
    def __init__(self, image: Image.Image, top: int, scale: float) -> None:
        self.image, self.draw, self.top, self.scale = image, ImageDraw.Draw(image), top, scale

    def xy(self, x: float, y: float) -> tuple[int, int]:
        """PDF points (origin bottom-left) to pixels (origin top-left) on this page."""
        return round(x * self.scale), self.top + round((HEIGHT - y) * self.scale)

    def box(self, box: Box) -> tuple[int, int, int, int]:
        left, bottom = self.xy(box.x, box.y)
        right, top = self.xy(box.x + box.width, box.y + box.height)
        return left, top, right, bottom

    def background(self) -> None:
        self.draw.rectangle((*self.xy(0, HEIGHT), *self.xy(WIDTH, 0)), fill=_rgb(BACKGROUND))
        self.draw.rectangle((*self.xy(0, HEIGHT), *self.xy(WIDTH, HEIGHT - 24)), fill=_rgb(BAND))

    def texts(self, texts: list[Text]) -> None:
        for item in texts:
            font = _font(item.font, max(6, round(item.size * self.scale)))
            x, y = self.xy(item.x, item.y)
            anchor = "ms" if item.align == "centre" else "ls"
            self.draw.text((x, y), item.text, font=font, fill=_rgb(INK), anchor=anchor)

    def paste(self, data: bytes, box: Box, keep_aspect: bool) -> None:
        left, top, right, bottom = self.box(box)
        with Image.open(BytesIO(data)) as source:
            picture = source.convert("RGBA")
        if keep_aspect:
            picture.thumbnail((right - left, bottom - top))
        else:
            picture = picture.resize((right - left, bottom - top))
        self.image.paste(picture, (left, top), picture)


def render_card_preview(card: Card, dpi: int = DEFAULT_DPI) -> bytes:
    """PNG bytes: the front, a small gap, the back; `dpi` pixels per inch of card."""
    scale = dpi / 72
    page_h = round(HEIGHT * scale)
    gap = round(GAP_MM / 25.4 * dpi)
    image = Image.new("RGB", (round(WIDTH * scale), 2 * page_h + gap), (255, 255, 255))

    front = _Page(image, 0, scale)
    front.background()
    front.paste(card.images.photo, PHOTO, keep_aspect=False)
    if card.images.signature is not None:
        front.paste(card.images.signature, SIGNATURE, keep_aspect=True)
    front.texts(front_texts(card))

    back = _Page(image, page_h + gap, scale)
    back.background()
    back.texts(back_texts(card))
    left, top, right, bottom = back.box(BARCODE)
    back.draw.rectangle((left, top, right, bottom), outline=_rgb(INK))
    back.draw.text(((left + right) // 2, (top + bottom) // 2), card.issue.card_serial,
                   font=_font(BOLD, max(6, round(6 * scale))), fill=_rgb(INK), anchor="mm")

    out = BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
