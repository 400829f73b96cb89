"""A recording's way through the central registry: captured -> submitted -> answer."""

from __future__ import annotations

from enum import StrEnum


class RecordingStatus(StrEnum):
    CAPTURED = "captured"
    SUBMITTED = "submitted"
    PRINT_READY = "print_ready"
    DUPLICATE = "duplicate"
    FAILED = "failed"

    @property
    def answered(self) -> bool:
        return self in {RecordingStatus.PRINT_READY, RecordingStatus.DUPLICATE,
                        RecordingStatus.FAILED}


_ALLOWED: dict[RecordingStatus, frozenset[RecordingStatus]] = {
    RecordingStatus.CAPTURED: frozenset({RecordingStatus.SUBMITTED}),
    RecordingStatus.SUBMITTED: frozenset({RecordingStatus.PRINT_READY, RecordingStatus.DUPLICATE,
                                          RecordingStatus.FAILED}),
    RecordingStatus.FAILED: frozenset({RecordingStatus.CAPTURED}),  # captured again
    RecordingStatus.PRINT_READY: frozenset(),
    RecordingStatus.DUPLICATE: frozenset(),
}


class InvalidTransition(ValueError):
    pass


def can_move(current: RecordingStatus | None, new: RecordingStatus) -> bool:
    if current is None:
        return new is RecordingStatus.CAPTURED
    return new in _ALLOWED[current]


def move(current: RecordingStatus | None, new: RecordingStatus) -> RecordingStatus:
    if not can_move(current, new):
        raise InvalidTransition(f"a recording cannot go from {current or 'nothing'} to {new}")
    return new
