"""Spreadsheet import speed: a 20,000-row sheet read, checked against the roster and rules, and planned as claim files.

Makes a synthetic school (``dekt demo-data``) in a temporary folder and a volunteering sheet of ``--rows`` rows (its
students, 200 activities, Excel serial dates, ids typed as numbers), then times, as the median of ``--runs``:

* reading the sheet with calamine (what the importer uses) beside openpyxl (the common alternative), and the ratio;
* the whole import check (``plan_import``: read, map the columns, check every cell, group, render and score the claim
  files, look for duplicates in the sheet and in the repository's claims) — the target is at most 2 s;
* ``dekt import-claims --check`` as a whole process, for what a secretary waits for.

Each figure is printed as wall seconds with CPU seconds beside it: on a shared, busy machine wall time stretches while
CPU time stays close to what the work costs.

    python benchmarks/import.py [--rows 20000] [--students 2000] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_sheet(root: Path, path: Path, rows: int) -> None:
    """A volunteering sheet: title row, header on row 3, every row a student of the roster at one of 200 activities."""
    from dekt.records import ROSTER_FILE
    from dekt.roster import load_roster
    from dekt.rules import load_rules_or_fail
    from openpyxl import Workbook

    rules = load_rules_or_fail(root)
    roster = load_roster(root / ROSTER_FILE, ROSTER_FILE, rules.department_keys())[0]
    # Students enrolled by 2014 and still within study in 2015-2016, so every row is a valid claim.
    ids = sorted(s.id for s in roster.values() if 2012 <= s.enrollment_year <= 2015)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("志愿时长汇总")
    sheet.append(["2015-2016学年第一学期志愿服务时长汇总表"])
    sheet.append([])
    sheet.append(["序号", "学号", "姓名", "活动名称", "日期", "服务时长", "登记日期"])
    names = {s.id: s.name for s in roster.values()}
    per = max(1, rows // 200)
    for i in range(rows):
        act = i // per
        sid = ids[(i * 7 + act) % len(ids)]
        # 2015-10-01 is Excel serial 42278; registered 2015-12-02 is inside 2015-2016-1's window
        sheet.append(
            [i + 1, int(sid), names[sid], f"志愿服务活动{act:03d}", 42278 + act % 60, (i % 12) + 1, "2015-12-02"]
        )
    book.save(path)


def _cpu() -> float:
    """CPU seconds of this process and its finished children: unlike wall time, not stretched by a busy machine."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def median(fn, runs: int) -> tuple[float, float]:
    """Median wall and median CPU seconds of ``runs`` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), _cpu()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--students", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", help="keep the school and the sheet in this folder")
    args = ap.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="dekt-import-"))
    root = base / "school"
    if not (root / "records").is_dir():
        cmd = [sys.executable, "-m", "dekt.cli", "demo-data", "--students", str(args.students), "--repo", str(ROOT)]
        subprocess.run([*cmd, str(root)], check=True, capture_output=True)
    sheet = base / "志愿时长汇总.xlsx"
    make_sheet(root, sheet, args.rows)

    from dekt.records import load_records
    from dekt.rules import load_rules_or_fail
    from dekt.sheets.importer import plan_import
    from dekt.sheets.read import read_grids
    from openpyxl import load_workbook

    def openpyxl_read():
        book = load_workbook(sheet, read_only=True, data_only=True)
        return [list(ws.iter_rows(values_only=True)) for ws in book.worksheets]

    rules = load_rules_or_fail(root)
    records = load_records(root)
    result = plan_import(root, rules, sheet, records=records)
    assert result.ok and result.claims == args.rows, [d.message for d in result.diagnostics[:5]]
    calamine = median(lambda: read_grids(sheet), args.runs)
    alternative = median(openpyxl_read, args.runs)
    check = median(lambda: plan_import(root, rules, sheet, records=load_records(root)), args.runs)
    process = median(
        lambda: subprocess.run(
            [sys.executable, "-m", "dekt.cli", "import-claims", str(sheet), "--check"],
            cwd=root,
            check=True,
            capture_output=True,
        ),
        args.runs,
    )
    print(
        f"sheet: {args.rows} rows, {len(result.files)} claim files, "
        f"{len(records.files)} claim files already in the school"
    )
    print("(wall seconds, CPU seconds in brackets; medians)")
    print(
        f"read   calamine {calamine[0]:6.2f} s ({calamine[1]:.2f})   openpyxl {alternative[0]:6.2f} s "
        f"({alternative[1]:.2f})   ratio {alternative[0] / calamine[0]:5.1f}x"
    )
    print(f"import check (plan_import, target ≤ 2 s)      {check[0]:6.2f} s ({check[1]:.2f})")
    print(f"dekt import-claims --check (whole process)     {process[0]:6.2f} s ({process[1]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
