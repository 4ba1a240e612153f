"""The review stage of a pull request (初审 → 公示 → 异议 → 认定), decided by a pure function.

Fetch, decide, act: the workflow's adapter fetches the pull request from the forge (``gh pr view N --json
number,author,createdAt,files,reviews,labels,comments,commits,headRefOid,state,changedFiles`` is the
reference shape), ``review_state(pr, rules, now)`` decides, and ``dekt review-state`` / ``dekt gate`` print
and pick the exit code. Nothing in this package reads the forge, Git or the clock. The rules it holds:

- Routing. A file ``records/claims/<academic year>/<department>/...`` needs that department's review; any
  other file (``rules/``, code, site, workflows) needs academic affairs. A claim file in a folder that is not a
  department of ``rules/school.yaml`` blocks the pull request: nobody may review it. gh lists at most 100
  files; when ``changedFiles`` says there are more (or it is absent and 100 are listed), the pull request is
  blocked rather than routed on a partial list (the adapter pages through the API for big batches).
- Approvals. Only ``APPROVED`` reviews count: ``COMMENTED`` is no approval, ``DISMISSED`` was withdrawn, the
  author's own approval never counts. A department's approval comes from a reviewer listed for that
  department; a pull request touching two departments needs both. An approval is current when given on the
  head commit, or when the optional extension ``contentIds: {oid: id}`` gives the approved commit the same id
  as the head. The adapter writes it: a hash of the paths and blob ids of every file the pull request
  changes at that commit (all files, not only claims, so that a push to ``rules/`` cannot ride on an earlier
  approval). A rebase or retitle that changes no file keeps approvals and the notice clock; a push that
  changes a file makes them stale. Without ``contentIds`` only approvals of the head commit count.
- Notice (公示). It starts when the last required department got its earliest current approval and covers
  the ``notice.working_days`` working days after that approval's date in ``school.timezone`` (holidays and
  make-up working days from the calendar): approved on a Friday, day 1 is the next working day. It ends at
  24:00 of the last day. Before day 1 the stage is ``department_approved``, during the days ``in_notice``,
  after them ``ready_for_final``. Objections never restart the clock: the notice runs its full course.
- Objections (异议). The ``notice.objection_label`` label blocks while it is on. A ``CHANGES_REQUESTED``
  review by a listed reviewer (any department, or academic affairs) blocks unless the same person approved
  later, or an academic-affairs reviewer other than the author later commented ``/resolve <reason>`` or
  ``/裁定 <reason>`` (first line). Rulings are recorded. A ruling does not remove the label: while the label
  is on, the pull request stays objected and the reasons say a ruling exists.
- Final approval (认定). A current approval by an academic-affairs reviewer (not the author) given after the
  notice ended, with no open objection. With no claim file (only ``rules/`` or code), that approval alone,
  with no notice. ``MERGED`` is ``archived``, ``CLOSED`` is ``closed``. Only ``finally_approved`` may merge.

Times in the record are ISO-8601 (``Z`` or an offset). ``now`` must be timezone-aware and is taken to be at
or after the record's latest event.
"""

from .decide import review_state
from .forge import GH_FIELDS, BadPullRequest, load_pr, read_pr
from .model import DepartmentReview, Objection, Reason, Resolution, ReviewState, Stage
from .report import evaluate, gate_text, state_text

__all__ = [
    "GH_FIELDS",
    "BadPullRequest",
    "DepartmentReview",
    "Objection",
    "Reason",
    "Resolution",
    "ReviewState",
    "Stage",
    "evaluate",
    "gate_text",
    "load_pr",
    "read_pr",
    "review_state",
    "state_text",
]
