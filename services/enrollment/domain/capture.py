"""The capture payload: face photo, ten fingerprints, two irises, signature, and the
exceptions (amputation, disability) a supervisor must approve."""

from __future__ import annotations

import io
from enum import StrEnum

from PIL import Image, UnidentifiedImageError
from pydantic import Base64Bytes, BaseModel, ConfigDict, Field

FINGERS = (
    "right_thumb", "right_index", "right_middle", "right_ring", "right_little",
    "left_thumb", "left_index", "left_middle", "left_ring", "left_little",
)
EYES = ("right", "left")


class CaptureThresholds(BaseModel):
    """Per-modality quality thresholds and image limits (settings)."""

    photo_min_width: int = 480
    photo_min_height: int = 640
    photo_max_bytes: int = 1_000_000
    fingerprint_min_quality: int = Field(40, ge=0, le=100)
    iris_min_quality: int = Field(50, ge=0, le=100)
    signature_min_width: int = 200
    signature_min_height: int = 60
    signature_max_bytes: int = 300_000


class ExceptionReason(StrEnum):
    AMPUTATION = "amputation"
    DISABILITY = "disability"
    INJURY = "injury"
    OTHER = "other"


class Fingerprint(BaseModel):
    position: str
    template: Base64Bytes
    quality: int = Field(ge=0, le=100)


class Iris(BaseModel):
    eye: str
    template: Base64Bytes
    quality: int = Field(ge=0, le=100)


class BiometricException(BaseModel):
    """A missing or unusable biometric, e.g. `fingerprint:left_index`, `iris:left`,
    `signature`."""

    model_config = ConfigDict(frozen=True)

    modality: str
    reason: ExceptionReason
    note: str | None = Field(None, max_length=200)


class CapturePayload(BaseModel):
    face_photo: Base64Bytes
    fingerprints: list[Fingerprint] = Field(default_factory=list)
    irises: list[Iris] = Field(default_factory=list)
    signature: Base64Bytes | None = None
    exceptions: list[BiometricException] = Field(default_factory=list)


class CaptureProblem(BaseModel):
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class CaptureRejected(ValueError):
    def __init__(self, problems: list[CaptureProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def image_info(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) of an encoded image, None when it is not one."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            return image.format or "", image.width, image.height
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None


def validate_capture(payload: CapturePayload, limits: CaptureThresholds) -> None:
    """Raise CaptureRejected listing every problem; return quietly when usable."""
    problems: list[CaptureProblem] = []

    def problem(field: str, reason: str) -> None:
        problems.append(CaptureProblem(field=field, reason=reason))

    _check_photo(payload.face_photo, limits, problem)
    excepted: dict[str, BiometricException] = {}
    for exc in payload.exceptions:
        if exc.modality in excepted:
            problem(f"exceptions.{exc.modality}", "recorded twice")
        excepted[exc.modality] = exc
        if exc.modality == "face_photo":
            problem("exceptions.face_photo", "the face photo cannot be excepted")
        elif exc.modality not in _EXCEPTABLE:
            problem(f"exceptions.{exc.modality}",
                    "unknown modality; use fingerprint:<finger>, iris:<eye> or signature")
    _check_samples(
        "fingerprint", FINGERS, [(f.position, f.quality) for f in payload.fingerprints],
        limits.fingerprint_min_quality, excepted, problem)
    _check_samples(
        "iris", EYES, [(i.eye, i.quality) for i in payload.irises],
        limits.iris_min_quality, excepted, problem)
    if payload.signature is None:
        if "signature" not in excepted:
            problem("signature", "is missing; capture it or record an exception")
    else:
        if "signature" in excepted:
            problem("signature", "both captured and recorded as an exception")
        _check_signature(payload.signature, limits, problem)
    if problems:
        raise CaptureRejected(problems)


_EXCEPTABLE = {f"fingerprint:{f}" for f in FINGERS} | {f"iris:{e}" for e in EYES} | {"signature"}


def _check_photo(data: bytes, limits: CaptureThresholds, problem) -> None:  # type: ignore[no-untyped-def]
    if len(data) > limits.photo_max_bytes:
        problem("face_photo", f"is {len(data)} bytes, at most {limits.photo_max_bytes}")
    info = image_info(data)
    if info is None or info[0] != "JPEG":
        problem("face_photo", "is not a JPEG image")
        return
    _, width, height = info
    if width < limits.photo_min_width or height < limits.photo_min_height:
        problem("face_photo", f"is {width}x{height} pixels, at least "
                              f"{limits.photo_min_width}x{limits.photo_min_height}")
    if width > height:
        problem("face_photo", f"is landscape ({width}x{height}); a portrait photo is needed")


def _check_samples(kind, names, samples, minimum, excepted, problem) -> None:  # type: ignore[no-untyped-def]
    seen: set[str] = set()
    for name, quality in samples:
        field = f"{kind}:{name}"
        if name not in names:
            problem(field, f"unknown {'finger' if kind == 'fingerprint' else 'eye'}")
            continue
        if name in seen:
            problem(field, "captured twice")
        seen.add(name)
        if field in excepted:
            problem(field, "both captured and recorded as an exception")
        elif quality < minimum:
            problem(field, f"quality {quality} is below {minimum}; capture again or record "
                           "an exception")
    for name in names:
        field = f"{kind}:{name}"
        if name not in seen and field not in excepted:
            problem(field, "is missing; capture it or record an exception")


def _check_signature(data: bytes, limits: CaptureThresholds, problem) -> None:  # type: ignore[no-untyped-def]
    if len(data) > limits.signature_max_bytes:
        problem("signature", f"is {len(data)} bytes, at most {limits.signature_max_bytes}")
    info = image_info(data)
    if info is None or info[0] not in {"PNG", "JPEG"}:
        problem("signature", "is not a PNG or JPEG image")
        return
    _, width, height = info
    if width < limits.signature_min_width or height < limits.signature_min_height:
        problem("signature", f"is {width}x{height} pixels, at least "
                             f"{limits.signature_min_width}x{limits.signature_min_height}")
