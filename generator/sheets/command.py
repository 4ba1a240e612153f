"""The sheet commands behind the CLI: import-claims, template and signin-sheet, each a function of plain options."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from ..diagnostics import DektError
from ..rules import Rules, load_rules_or_fail


def department(rules: Rules, text: str | None) -> str | None:
    """A department given by id or Chinese name, as its id; a user-facing error when it is not one."""
    if text is None:
        return None
    found = rules.department_keys().get(text.strip())
    if found is None:
        known = "、".join(f"{k}（{d.name}）" for k, d in rules.school.departments.items())
        raise DektError(f"未知系部 {text}；可选：{known} (unknown department {text})")
    return found


def academic_year(text: str | None) -> str | None:
    """``--year 2014-2015`` checked for shape."""
    if text is None:
        return None
    parts = text.split("-")
    if len(parts) != 2 or not all(p.isdigit() and len(p) == 4 for p in parts) or int(parts[1]) != int(parts[0]) + 1:
        raise DektError(f"学年应写成 2014-2015，而不是 {text} (an academic year reads 2014-2015)")
    return text


def parse_day(text: str | None) -> date | None:
    """``--registered 2015-06-02``."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise DektError(f"日期应写成 YYYY-MM-DD：{text} (a date reads YYYY-MM-DD)") from exc


def import_claims(root: Path, files: list[str], *, dept=None, year=None, registered=None, check=False, fmt="human",
                  summary: str | None = None, book: str | None = None) -> int:  # fmt: skip
    """Import every file; write only when none has an error; exit 0 clean, 1 with errors."""
    from ..records import load_records
    from . import report
    from .importer import plan_import, write_import

    rules = load_rules_or_fail(root)
    dept, year, registered = department(rules, dept), academic_year(year), parse_day(registered)
    records = load_records(root)
    results = []
    for f in files:
        path = Path(f)
        if not path.is_file():
            raise DektError(f"找不到文件 {f} (no such file)")
        name = book if book and len(files) == 1 else path.name
        results.append(
            plan_import(root, rules, path, book=name, dept=dept, year=year, registered=registered, records=records)
        )
    ok = all(r.ok for r in results)
    # Two files in one run must not claim the same thing twice either: re-plan with the first file's claims in view
    # would be exact; two sheets naming one student's activity is rare, and validation after writing catches it.
    if ok and not check:
        written = [p for r in results for p in write_import(root, r)]
        results = _validate_written(root, results, written)
        ok = all(r.ok for r in results)
        for p in written if ok else []:
            print(p, file=sys.stderr)
    if fmt == "json":
        print("[" + ",\n".join(report.as_json(r) for r in results) + "]")
    else:
        print("\n".join(report.human(r) for r in results))
    if summary:
        Path(summary).write_text(report.markdown(results), encoding="utf-8")
    return 0 if ok else 1


def _validate_written(root: Path, results: list, written: list[str]) -> list:
    """Check the repository with the new files as `dekt validate` will; on an error in them, take them back out and
    report the error at the sheet cell behind it, so that what the importer leaves always validates."""
    import dataclasses

    from ..check import check_repository
    from ..diagnostics import Diagnostic, Severity

    if not written:
        return results
    new = set(written)
    found = [d for d in check_repository(root).diagnostics if d.file in new and d.severity is Severity.ERROR]
    if not found:
        return results
    for rel in written:
        (root / rel).unlink(missing_ok=True)
    out = []
    for r in results:
        plans = {p.path: p for p in r.files}
        mine = [d for d in found if d.file in plans]
        cells = [Diagnostic(*plans[d.file].cell_for(d.line), d.code, d.severity, d.message) for d in mine]
        out.append(dataclasses.replace(r, diagnostics=tuple(sorted(set(r.diagnostics) | set(cells)))))
    return out


def template(root: Path, out: Path, *, dept=None, year=None) -> int:
    """Write the template workbook for ``year`` (default: the current academic year)."""
    from .template import write_template

    rules = load_rules_or_fail(root)
    dept, year = department(rules, dept), academic_year(year) or rules.academic_year(date.today())
    if out.suffix.lower() != ".xlsx":
        raise DektError(f"模板须为 .xlsx 文件：{out} (the template is an .xlsx file)")
    if rules.version_for(year) is None:
        raise DektError(f"{year} 学年没有生效的学分规则 (no credit rules in force for {year})")
    print(write_template(rules, year, out, dept))
    return 0


def signin_sheet(root: Path, out: Path, *, activity: str, klass=None, dept=None, day=None) -> int:
    """Write a sign-in sheet (.xlsx or .pdf) for the enrolled students of a class or a department."""
    from ..records import ROSTER_FILE
    from ..roster import load_roster
    from . import signin

    rules = load_rules_or_fail(root)
    roster, problems = load_roster(root / ROSTER_FILE, ROSTER_FILE, rules.department_keys())
    if problems:
        raise DektError(f"学生名册有 {len(problems)} 个问题，请先运行 dekt validate (the roster has problems)")
    dept = department(rules, dept)
    chosen = [
        s
        for s in roster.values()
        if s.status == "enrolled" and (s.class_name == klass if klass else s.department == dept)
    ]
    if not chosen:
        raise DektError(f"名册中没有在读学生属于 {klass or dept} (no enrolled student in {klass or dept})")
    who = klass or rules.school.departments[dept].name
    heading = signin.title(rules.school.institution.name, activity, who)
    table = signin.rows(chosen, activity, parse_day(day))
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        signin.write_xlsx(out, heading, table)
    elif suffix == ".pdf":
        signin.write_pdf(out, heading, table)
    else:
        raise DektError(f"签到表须为 .pdf 或 .xlsx：{out} (a sign-in sheet is .pdf or .xlsx)")
    print(f"{out}（{len(table)} 名学生 students）")
    return 0
