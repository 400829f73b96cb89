"""KTP-el as a two-page PDF (front, back) at exact ID-1 size: the document sent to the printer."""

from __future__ import annotations

from io import BytesIO

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from ..domain.card import Card
from .pdf_options import binary_streams
from .card_layout import (
    BACKGROUND, BAND, BARCODE, HEIGHT, INK, PHOTO, SIGNATURE, WIDTH, Text, back_texts, front_texts,
)


def _background(canvas: Canvas) -> None:
    canvas.setFillColorRGB(*BACKGROUND)
    canvas.rect(0, 0, WIDTH, HEIGHT, stroke=0, fill=1)
    canvas.setFillColorRGB(*BAND)
    canvas.rect(0, HEIGHT - 24, WIDTH, 24, stroke=0, fill=1)
    canvas.setStrokeColorRGB(*BAND)
    canvas.setLineWidth(0.4)
    path = canvas.beginPath()
    for offset in range(0, 48, 8):
        path.moveTo(0, 8 + offset)
        path.curveTo(WIDTH / 3, 22 + offset, 2 * WIDTH / 3, -6 + offset, WIDTH, 8 + offset)
    canvas.drawPath(path, stroke=1, fill=0)


def _texts(canvas: Canvas, texts: list[Text]) -> None:
    canvas.setFillColorRGB(*INK)
    for item in texts:
        canvas.setFont(item.font, item.size)
        if item.align == "centre":
            canvas.drawCentredString(item.x, item.y, item.text)
        else:
            canvas.drawString(item.x, item.y, item.text)


def render_card_pdf(card: Card) -> bytes:
    """Front on page 1, back on page 2, each 85.60 x 53.98 mm."""
    with binary_streams():
        return _render(card)


def _render(card: Card) -> bytes:
    out = BytesIO()
    canvas = Canvas(out, pagesize=(WIDTH, HEIGHT), invariant=True, pageCompression=1)
    canvas.setTitle(f"KTP-el {card.issue.card_serial}")  # no personal data in metadata
    canvas.setAuthor("Jemput printing")

    _background(canvas)
    canvas.drawImage(ImageReader(BytesIO(card.images.photo)), PHOTO.x, PHOTO.y, PHOTO.width, PHOTO.height)
    if card.images.signature is not None:
        canvas.drawImage(ImageReader(BytesIO(card.images.signature)), SIGNATURE.x, SIGNATURE.y,
                         SIGNATURE.width, SIGNATURE.height, mask="auto", preserveAspectRatio=True)
    _texts(canvas, front_texts(card))
    canvas.showPage()

    _background(canvas)
    _texts(canvas, back_texts(card))
    barcode = Code128(card.issue.card_serial, barHeight=BARCODE.height, barWidth=0.6, quiet=False)
    barcode.drawOn(canvas, (WIDTH - barcode.width) / 2, BARCODE.y)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
