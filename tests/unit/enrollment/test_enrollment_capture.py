import pytest

from enrollment_images import b64, capture_payload, jpeg, png
from services.enrollment.domain.capture import (
    CapturePayload,
    CaptureRejected,
    CaptureThresholds,
    validate_capture,
)

LIMITS = CaptureThresholds()


def problems(**over):
    payload = CapturePayload.model_validate(capture_payload(**over))
    with pytest.raises(CaptureRejected) as caught:
        validate_capture(payload, LIMITS)
    return [(p.field, p.reason) for p in caught.value.problems]


def test_a_complete_capture_passes():
    validate_capture(CapturePayload.model_validate(capture_payload()), LIMITS)


def test_photo_must_be_a_large_enough_portrait_jpeg():
    assert problems(face_photo=b64(png(600, 800))) == [("face_photo", "is not a JPEG image")]
    assert problems(face_photo=b64(jpeg(300, 400))) == [
        ("face_photo", "is 300x400 pixels, at least 480x640")]
    assert problems(face_photo=b64(jpeg(800, 700))) == [
        ("face_photo", "is landscape (800x700); a portrait photo is needed")]
    assert problems(face_photo=b64(b"not an image")) == [("face_photo", "is not a JPEG image")]


def test_photo_size_limit_is_a_setting():
    data = jpeg(480, 640, quality=95)
    payload = CapturePayload.model_validate(capture_payload(face_photo=b64(data)))
    with pytest.raises(CaptureRejected, match=f"face_photo: is {len(data)} bytes, at most 1000"):
        validate_capture(payload, CaptureThresholds(photo_max_bytes=1000))


def test_low_quality_fingerprints_and_irises_are_refused_with_the_threshold():
    payload = capture_payload()
    payload["fingerprints"][1]["quality"] = 25
    payload["irises"][0]["quality"] = 49
    assert problems(fingerprints=payload["fingerprints"], irises=payload["irises"]) == [
        ("fingerprint:right_index", "quality 25 is below 40; capture again or record an exception"),
        ("iris:right", "quality 49 is below 50; capture again or record an exception"),
    ]


def test_missing_biometrics_need_an_exception():
    payload = capture_payload()
    fingers = [f for f in payload["fingerprints"] if f["position"] != "left_little"]
    assert problems(fingerprints=fingers, irises=payload["irises"][:1], signature=None) == [
        ("fingerprint:left_little", "is missing; capture it or record an exception"),
        ("iris:left", "is missing; capture it or record an exception"),
        ("signature", "is missing; capture it or record an exception"),
    ]


def test_an_exception_replaces_a_missing_biometric():
    payload = capture_payload()
    fingers = [f for f in payload["fingerprints"] if f["position"] != "left_little"]
    ok = CapturePayload.model_validate(capture_payload(
        fingerprints=fingers, signature=None,
        exceptions=[{"modality": "fingerprint:left_little", "reason": "amputation"},
                    {"modality": "signature", "reason": "disability", "note": "cannot hold a pen"}]))
    validate_capture(ok, LIMITS)


def test_impossible_exceptions_and_duplicates_are_named():
    payload = capture_payload()
    payload["fingerprints"].append(dict(payload["fingerprints"][0]))
    payload["fingerprints"].append({"position": "sixth", "template": b64(b"x"), "quality": 90})
    assert problems(
        fingerprints=payload["fingerprints"],
        exceptions=[{"modality": "face_photo", "reason": "other"},
                    {"modality": "nose", "reason": "other"},
                    {"modality": "iris:left", "reason": "injury"},
                    {"modality": "iris:left", "reason": "injury"}],
    ) == [
        ("exceptions.face_photo", "the face photo cannot be excepted"),
        ("exceptions.nose", "unknown modality; use fingerprint:<finger>, iris:<eye> or signature"),
        ("exceptions.iris:left", "recorded twice"),
        ("fingerprint:right_thumb", "captured twice"),
        ("fingerprint:sixth", "unknown finger"),
        ("iris:left", "both captured and recorded as an exception"),
    ]


def test_signature_must_be_an_image_of_usable_size():
    assert problems(signature=b64(png(100, 30))) == [
        ("signature", "is 100x30 pixels, at least 200x60")]
    assert problems(signature=b64(b"GIF89a")) == [("signature", "is not a PNG or JPEG image")]
