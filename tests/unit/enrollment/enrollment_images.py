"""Synthetic images for capture tests (solid colours, no faces)."""

import base64
import io

from PIL import Image


def jpeg(width: int = 480, height: int = 640, quality: int = 80) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 180, 160)).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def png(width: int = 300, height: int = 100) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, "PNG")
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def capture_payload(**over):
    from services.enrollment.domain.capture import EYES, FINGERS

    payload = {
        "face_photo": b64(jpeg()),
        "fingerprints": [{"position": f, "template": b64(b"minutiae-" + f.encode()),
                          "quality": 80} for f in FINGERS],
        "irises": [{"eye": e, "template": b64(b"iris-" + e.encode()), "quality": 90}
                   for e in EYES],
        "signature": b64(png()),
        "exceptions": [],
    }
    payload.update(over)
    return payload
