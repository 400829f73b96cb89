"""PNG preview: front over back, at the requested resolution, photo where the PDF puts it."""

from io import BytesIO

from PIL import Image

from services.printing.domain.card import CardImages
from services.printing.rendering.card_layout import HEIGHT, PHOTO, WIDTH
from services.printing.rendering.card_preview import render_card_preview
from services.printing.synthetic import synthetic_card, synthetic_photo


def test_preview_is_a_png_of_both_sides_at_dpi():
    png = render_card_preview(synthetic_card(1), dpi=150)
    assert png.startswith(b"\x89PNG")
    image = Image.open(BytesIO(png))
    scale = 150 / 72
    assert image.width == round(WIDTH * scale)
    assert image.height > 2 * round(HEIGHT * scale)  # two sides and a gap


def test_photo_is_drawn_in_the_photo_box():
    image = Image.open(BytesIO(render_card_preview(synthetic_card(1), dpi=100))).convert("RGB")
    scale = 100 / 72
    x = round((PHOTO.x + 3) * scale)
    y = round((HEIGHT - PHOTO.y - PHOTO.height + 3) * scale)
    red, green, blue = image.getpixel((x, y))
    assert red > 150 and green < 80 and blue < 80  # the synthetic photo's red background


def test_preview_without_signature():
    card = synthetic_card(2, images=CardImages(photo=synthetic_photo(2)))
    assert Image.open(BytesIO(render_card_preview(card))).format == "PNG"
