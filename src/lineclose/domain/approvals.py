"""Who may approve a closure: four eyes always, and two approvers for a large refund."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ApprovalStep(StrEnum):
    APPROVE = "approve"  # this approval moves the request to approved
    RECORD_FIRST = "record_first"  # the first of two approvals: the request stays under review
    REFUSED_SAME_APPROVER = "refused_same_approver"  # the second approver must be someone else


@dataclass(frozen=True)
class ApprovalDecision:
    step: ApprovalStep
    first_approved_by: str | None = None


def needs_second_approver(refund_minor: int, threshold_minor: int) -> bool:
    """A refund strictly above the profile's threshold takes two different reviewers."""
    return refund_minor > threshold_minor


def decide_approval(
    approver: str, refund_minor: int, threshold_minor: int, earlier_approvers: list[str]
) -> ApprovalDecision:
    """One reviewer approves what is under review. Below the threshold the approval is final.
    Above it, the first approval is only recorded; a later one by someone else is final and
    names the first approver; the same person twice is refused."""
    if not needs_second_approver(refund_minor, threshold_minor):
        return ApprovalDecision(ApprovalStep.APPROVE)
    if not earlier_approvers:
        return ApprovalDecision(ApprovalStep.RECORD_FIRST)
    if approver in earlier_approvers:
        return ApprovalDecision(ApprovalStep.REFUSED_SAME_APPROVER)
    return ApprovalDecision(ApprovalStep.APPROVE, first_approved_by=earlier_approvers[0])
