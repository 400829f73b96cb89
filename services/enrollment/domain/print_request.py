"""When a print-ready student's card is requested: now, or on the 17th birthday."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from .eligibility import AgePolicy
from .status import RecordingStatus


class PrintDecision(BaseModel):
    request_now: bool
    due_on: date  # the day the request is (or was) due
    reason: str


class NotPrintReady(ValueError):
    pass


def decide_print(
    status: RecordingStatus, birth: date, *, ever_married: bool, today: date, policy: AgePolicy
) -> PrintDecision:
    """Only a print-ready record may be printed; at printing age (or married) at once,
    younger students on the day they reach printing age."""
    if status is not RecordingStatus.PRINT_READY:
        raise NotPrintReady(f"only a print-ready record may be printed, this one is {status}")
    if ever_married:
        return PrintDecision(request_now=True, due_on=today, reason="married: eligible now")
    if policy.may_print(birth, today, ever_married=False):
        return PrintDecision(request_now=True, due_on=today,
                             reason=f"at least {policy.printing_age}")
    due = policy.printable_from(birth, ever_married=False)
    assert due is not None
    return PrintDecision(request_now=False, due_on=due,
                         reason=f"deferred to the {policy.printing_age}th birthday")
