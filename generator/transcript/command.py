"""The cores of ``dekt transcript`` and ``dekt verify``: one student's transcript, and a PDF's verdict."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ..diagnostics import DektError


def transcript_for(
    root: Path, student_id: str, target: Path | None, now: datetime | None = None, as_html: bool = False
) -> tuple[Path, str]:
    """Check the repository and write one student's transcript, byte for byte what ``dekt build`` writes."""
    from ..build import _issued, _provenance  # the build's own rules for the date and the provenance
    from ..check import check_repository
    from ..ledger_view import ledger_data
    from ..report import human
    from .writer import write_one

    checked = check_repository(root)
    if not checked.ok:
        print(human(checked.diagnostics, len(checked.records.files)), file=sys.stderr)
        raise DektError(
            "有错误，未生成成绩单；请先修正 (errors found; no transcript was made: fix them first)",
        )
    student = checked.roster.get(student_id)
    if student is None:
        raise DektError(f"学号 {student_id} 不在学生名册中 (student {student_id} is not in the roster)")
    rules = checked.rules
    ledger = checked.ledgers[student.id]  # every student on the roster has one, claims or not
    issued = _issued(root, now, ZoneInfo(rules.school.timezone))
    target = target or Path(f"{student.id}.{'html' if as_html else 'pdf'}")
    from ..custody import for_transcript, refuse_work_tree  # only what the signed archive certifies is issued

    if refuse_work_tree(checked):
        raise DektError("成绩单只从经签名归档的内容生成 (transcripts are made only from the signed archive)")
    from . import canonical
    from .register import roster_date

    provenance = _provenance(root)
    official = for_transcript(ledger_data(ledger, rules, provenance))
    tz = ZoneInfo(rules.school.timezone)  # dated as the build dates it: the last certified change to the record
    issued = canonical.record_date(official, provenance, tz, roster_date=roster_date(root, tz), fallback=issued)
    code = write_one(rules, official, issued, root, target, as_html=as_html)
    return target, code
