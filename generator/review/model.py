"""The review state as frozen data: the stage, the reasons, who approved, the notice, the objections."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum


class Stage(StrEnum):
    """Where a pull request stands; the value is a stable code, ``label`` the words."""

    SUBMITTED = "submitted"
    DEPARTMENT_APPROVED = "department_approved"
    IN_NOTICE = "in_notice"
    OBJECTED = "objected"
    READY = "ready_for_final"
    FINALLY_APPROVED = "finally_approved"
    ARCHIVED = "archived"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """The stage in Chinese with an English gloss."""
        return _LABELS[self]


_LABELS = {
    Stage.SUBMITTED: "已提交 (submitted)",
    Stage.DEPARTMENT_APPROVED: "初审通过 (approved by the department)",
    Stage.IN_NOTICE: "公示中 (in public notice)",
    Stage.OBJECTED: "有异议 (objected)",
    Stage.READY: "待教务处认定 (ready for final approval)",
    Stage.FINALLY_APPROVED: "已认定 (finally approved)",
    Stage.ARCHIVED: "已归档 (archived)",
    Stage.CLOSED: "已关闭 (closed)",
}


@dataclass(frozen=True)
class Reason:
    """One reason in words ("中文 (English)") with a stable code; ``blocking`` ones are why the merge waits."""

    code: str
    text: str
    blocking: bool = False

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Resolution:
    """An academic-affairs ruling on objections, from a ``/resolve`` or ``/裁定`` comment."""

    by: str
    at: datetime
    text: str


@dataclass(frozen=True)
class Objection:
    """An objection: the label, or a reviewer's changes-requested review; ``resolution`` is None while open."""

    kind: str  # "label" or "review"
    by: str | None
    at: datetime | None
    resolution: Resolution | None = None


@dataclass(frozen=True)
class DepartmentReview:
    """One department's part of a pull request: its files, who approved (current approvals), when the first did."""

    department: str
    name: str
    files: int
    approvers: tuple[str, ...]
    approved_at: datetime | None


@dataclass(frozen=True)
class ReviewState:
    """The decided review state of one pull request at one moment."""

    number: int
    stage: Stage
    reasons: tuple[Reason, ...]
    departments: tuple[DepartmentReview, ...] = ()
    notice_start: date | None = None
    notice_end: date | None = None
    notice_days: int = 0
    objections: tuple[Objection, ...] = ()
    resolutions: tuple[Resolution, ...] = ()
    final_approver: str | None = None
    final_approved_at: datetime | None = None
    now: datetime | None = field(default=None, compare=False)

    @property
    def mergeable(self) -> bool:
        """True only when the pull request may be merged: finally approved."""
        return self.stage is Stage.FINALLY_APPROVED

    @property
    def open_objections(self) -> tuple[Objection, ...]:
        """The objections that still block."""
        return tuple(o for o in self.objections if o.resolution is None)

    def as_dict(self) -> dict:
        """Plain data for ``--format json`` (times in UTC, dates as YYYY-MM-DD)."""
        notice = None
        if self.notice_start is not None:
            notice = {
                "start": self.notice_start.isoformat(),
                "end": self.notice_end.isoformat(),
                "working_days": self.notice_days,
            }
        final = None if self.final_approver is None else {"by": self.final_approver, "at": iso(self.final_approved_at)}
        return {
            "number": self.number,
            "stage": self.stage.value,
            "stage_label": self.stage.label,
            "mergeable": self.mergeable,
            "departments": {
                d.department: {
                    "name": d.name,
                    "files": d.files,
                    "approvers": list(d.approvers),
                    "approved_at": iso(d.approved_at),
                }
                for d in self.departments
            },
            "notice": notice,
            "objections": [
                {"kind": o.kind, "by": o.by, "at": iso(o.at), "resolved_by": o.resolution.by if o.resolution else None}
                for o in self.objections
            ],
            "resolutions": [{"by": r.by, "at": iso(r.at), "text": r.text} for r in self.resolutions],
            "final_approval": final,
            "reasons": [{"code": r.code, "blocking": r.blocking, "text": r.text} for r in self.reasons],
            "now": iso(self.now),
        }


def iso(moment: datetime | None) -> str | None:
    """A moment as ISO-8601 in UTC with ``Z`` (None stays None)."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
