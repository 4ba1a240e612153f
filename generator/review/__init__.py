"""The review stage of a pull request (初审 → 公示 → 异议 → 认定), decided by a pure function.

Fetch, decide, act: the workflow's adapter (``.github/scripts/pr-record.sh``) fetches the pull request from the
forge (``gh pr view N --json`` with ``GH_FIELDS``), adds its timeline (``timelineItems``: the GraphQL nodes of
``LABELED_EVENT``, ``UNLABELED_EVENT`` and ``REVIEW_DISMISSED_EVENT``, paged to the end), the file list from
Git and the content ids (``dekt content-ids``); ``review_state(pr, rules, now)`` decides, and ``dekt
review-state`` / ``dekt gate`` print and pick the exit code. Nothing in this package reads the forge, Git or the
clock. The rules it holds:

- People. Logins compare case-insensitively, as GitHub's do, and are shown as the rules spell them. A deleted
  account (gh prints ``""``, GitHub ``ghost``) or an app (``app/…``) matches nobody.
- Routing. A file ``records/claims/<academic year>/<department>/...`` needs that department's review; any
  other file (``rules/``, code, site, workflows) needs academic affairs. A claim file in a folder that is not a
  department of ``rules/school.yaml`` blocks the pull request: nobody may review it. gh lists at most 100
  files; when ``changedFiles`` says there are more (or it is absent and 100 are listed), the pull request is
  blocked rather than routed on a partial list (the adapter replaces the list with Git's).
- Approvals. Only submitted ``APPROVED`` reviews count: ``COMMENTED`` is no approval, ``DISMISSED`` was
  withdrawn, a ``PENDING`` draft is ignored; neither the pull request's author nor the author of any of its
  commits can approve. A department's approval comes from a reviewer listed for that department; a pull
  request touching two departments needs both. An approval is current when given on the head commit, or when
  the optional extension ``contentIds: {oid: id}`` gives the approved commit the same id as the head. The
  adapter writes it: a hash of what the pull request changes at that commit against its merge base (paths,
  old and new blob ids of every file, claims or not), so a rebase that changes nothing keeps approvals and the
  notice clock, while a push that changes a file, or a rebase that now reverts other merged work, makes them
  stale. Without ``contentIds`` only approvals of the head commit count.
- Notice (公示). It starts when the last required department got its earliest current approval and covers
  the ``notice.working_days`` working days after that approval's date in ``school.timezone`` (holidays and
  make-up working days from the calendar): approved on a Friday, day 1 is the next working day. It ends at
  24:00 of the last day. Before day 1 the stage is ``department_approved``, during the days ``in_notice``,
  after them ``ready_for_final``. A notice that would cover a day of a year the calendar lists no holidays
  for is not counted: the batch waits in ``department_approved`` with a reason naming the year. Objections
  never restart the clock: the notice runs its full course.
- Objections (异议). An objection, once raised, stays open until an academic-affairs reviewer other than the
  author comments ``/裁定 <reason>`` (or ``/resolve <reason>``, first line) after it: a ``CHANGES_REQUESTED``
  review by a listed reviewer (also when the timeline shows it was dismissed), unless that reviewer approved
  later; and every time anyone added ``notice.objection_label`` (also when it was removed again). While the
  label is on, the pull request stays objected even after a ruling. Without ``timelineItems`` dismissed reviews
  and removed labels cannot be seen, so an open pull request never passes.
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
