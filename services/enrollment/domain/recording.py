"""Who captured what and who approved the exceptions: rules a supervisor enforces."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from .capture import BiometricException
from .status import RecordingStatus


class ApprovalRefused(ValueError):
    pass


class SubmissionBlocked(ValueError):
    pass


class RecordingState(BaseModel):
    status: RecordingStatus
    captured_by: str
    captured_at: AwareDatetime
    exceptions: list[BiometricException] = Field(default_factory=list)
    exceptions_approved_by: str | None = None
    exceptions_approved_at: AwareDatetime | None = None

    @property
    def awaiting_approval(self) -> bool:
        return bool(self.exceptions) and self.exceptions_approved_by is None


def approve_exceptions(
    state: RecordingState, *, supervisor: str, is_supervisor: bool, at: datetime
) -> RecordingState:
    if not state.exceptions:
        raise ApprovalRefused("this recording has no biometric exceptions to approve")
    if state.exceptions_approved_by is not None:
        raise ApprovalRefused("the exceptions were already approved")
    if not is_supervisor:
        raise ApprovalRefused("only a supervisor may approve biometric exceptions")
    if supervisor == state.captured_by:
        raise ApprovalRefused("the operator who captured the record cannot approve it")
    return state.model_copy(update={"exceptions_approved_by": supervisor,
                                    "exceptions_approved_at": at})


def check_submittable(state: RecordingState) -> None:
    if state.status is not RecordingStatus.CAPTURED:
        raise SubmissionBlocked(f"the recording is {state.status}, not captured")
    if state.awaiting_approval:
        raise SubmissionBlocked("biometric exceptions await a supervisor's approval")
