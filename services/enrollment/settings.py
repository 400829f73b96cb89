"""Settings of the enrollment service (environment variables, as in compose)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from shared.settings import ServiceSettings

from .domain.capture import CaptureThresholds
from .domain.eligibility import AgePolicy


class EnrollmentSettings(ServiceSettings):
    registry_url: str = Field("http://localhost:8090", alias="JEMPUT_REGISTRY_URL")
    registry_timeout_s: float = Field(10.0, alias="JEMPUT_REGISTRY_TIMEOUT_S", gt=0)
    registry_attempts: int = Field(3, alias="JEMPUT_REGISTRY_ATTEMPTS", ge=1)
    registry_backoff_base_s: float = Field(0.5, alias="JEMPUT_REGISTRY_BACKOFF_BASE_S", ge=0)
    registry_backoff_max_s: float = Field(60.0, alias="JEMPUT_REGISTRY_BACKOFF_MAX_S", ge=0)
    submit_concurrency: int = Field(8, alias="JEMPUT_SUBMIT_CONCURRENCY", ge=1, le=100)
    submit_gather_s: float = Field(
        0.05, alias="JEMPUT_SUBMIT_GATHER_S", ge=0, le=5,
        description="a woken submission pass waits this long, so that captures a moment apart are claimed together")
    submit_sweep_s: float = Field(2.0, alias="JEMPUT_SUBMIT_SWEEP_S", gt=0)
    print_sweep_s: float = Field(60.0, alias="JEMPUT_PRINT_SWEEP_S", gt=0)

    home_area_code: str | None = Field("3603", alias="JEMPUT_HOME_AREA_CODE")
    issue_place: str = Field("KAB. TANGERANG", alias="JEMPUT_ISSUE_PLACE")
    recording_age: int = Field(16, alias="JEMPUT_RECORDING_AGE", ge=1)
    printing_age: int = Field(17, alias="JEMPUT_PRINTING_AGE", ge=1)
    adult_age: int = Field(18, alias="JEMPUT_ADULT_AGE", ge=1)
    today: dt.date | None = Field(
        None, alias="JEMPUT_TODAY", description="fixed 'today' for demos and tests; unset in use")

    biometric_keys: str = Field(
        "", alias="JEMPUT_BIOMETRIC_KEYS", description="key_id:base64(32 bytes),... (AES-256-GCM)")
    biometric_key_id: str = Field("", alias="JEMPUT_BIOMETRIC_KEY_ID")
    biometric_retention_days: float = Field(
        3.0, alias="JEMPUT_BIOMETRIC_RETENTION_DAYS", ge=0, le=365,
        description="days biometric data is kept after the central registry confirmed the record "
                    "(templates) or the card was requested (photo, signature); 0: at the next sweep")
    retention_sweep_s: float = Field(600.0, alias="JEMPUT_RETENTION_SWEEP_S", gt=0)
    student_id_key: str = Field(
        "jemput-development-only", alias="JEMPUT_STUDENT_ID_KEY",
        description="HMAC key turning a NIK into the pseudonymous student_id")

    photo_min_width: int = Field(480, alias="JEMPUT_PHOTO_MIN_WIDTH")
    photo_min_height: int = Field(640, alias="JEMPUT_PHOTO_MIN_HEIGHT")
    photo_max_bytes: int = Field(1_000_000, alias="JEMPUT_PHOTO_MAX_BYTES")
    fingerprint_min_quality: int = Field(40, alias="JEMPUT_FINGERPRINT_MIN_QUALITY")
    iris_min_quality: int = Field(50, alias="JEMPUT_IRIS_MIN_QUALITY")

    supervisors: str = Field("", alias="JEMPUT_SUPERVISORS",
                             description="operator ids allowed to approve biometric exceptions")

    import_batch: int = Field(500, alias="JEMPUT_IMPORT_BATCH", ge=1, le=5000)

    def policy(self) -> AgePolicy:
        return AgePolicy(recording_age=self.recording_age, printing_age=self.printing_age,
                         adult_age=self.adult_age)

    def thresholds(self) -> CaptureThresholds:
        return CaptureThresholds(
            photo_min_width=self.photo_min_width, photo_min_height=self.photo_min_height,
            photo_max_bytes=self.photo_max_bytes,
            fingerprint_min_quality=self.fingerprint_min_quality,
            iris_min_quality=self.iris_min_quality)

    def supervisor_ids(self) -> set[str]:
        return {s.strip() for s in self.supervisors.split(",") if s.strip()}

    def current_date(self) -> dt.date:
        return self.today or dt.datetime.now(dt.UTC).date()


def enrollment_settings(settings: ServiceSettings) -> EnrollmentSettings:
    """The service's settings, also when started with the platform's plain settings."""
    if isinstance(settings, EnrollmentSettings):
        return settings
    return EnrollmentSettings(**settings.model_dump(by_alias=True))
