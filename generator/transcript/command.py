"""The cores of ``dekt transcript`` and ``dekt verify``: one student's transcript, and a PDF's verdict."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ..diagnostics import DektError


def transcript_for(root: Path, student_id: str, target: Path | None, now: datetime | None = None, as_html: bool = False) -> tuple[Path, str]:
    """Check the repository and write one student's transcript, byte for byte what ``dekt build`` writes."""
    from ..build import _issued, _provenance  # the build's own rules for the date and the provenance
    from ..check import check_repository
    from ..ledger_view import ledger_data
    from ..report import human
    from .writer import write_one

    checked = check_repository(root)
    if not checked.ok:
        print(human(checked.diagnostics, len(checked.records.files)), file=sys.stderr)
        raise DektError("有错误，未生成成绩单；请先修正 (errors found; no transcript was made: fix them first)", )
    student = checked.roster.get(student_id)
    if student is None:
        raise DektError(f"学号 {student_id} 不在学生名册中 (student {student_id} is not in the roster)")
    rules = checked.rules
    ledger = checked.ledgers[student.id]  # every student on the roster has one, claims or not
    issued = _issued(root, now, ZoneInfo(rules.school.timezone))
    target = target or Path(f"{student.id}.{'html' if as_html else 'pdf'}")
    code = write_one(rules, ledger_data(ledger, rules, _provenance(root)), issued, root, target, as_html=as_html)
    return target, code
