"""The main job: check the whole repository, then compute every ledger and write the outputs.

The public site (``OUT/site``) and the transcripts come with later stages; the ledgers are private
outputs and go to ``OUT/private``, never under ``OUT/site``.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

from .check import Checked, check_repository
from .ledger_view import ledger_data
from .report import human
from .scoring import fmt


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def summary(checked: Checked) -> str:
    """A few lines a registrar reads: students, claims, credits per module, graduation status."""
    rules = checked.rules
    ledgers = checked.ledgers
    entries = sum(len(v) for v in checked.scored.values())
    modules: dict[str, Decimal] = Counter()
    names: dict[str, str] = {}
    for ledger in ledgers.values():
        for m in ledger.modules:
            modules[m.id] += m.credits
            names[m.id] = m.name
    met = sum(1 for l in ledgers.values() if l.graduation_met)
    capped = sum(1 for l in ledgers.values() if l.capped)
    yls = sum(1 for l in ledgers.values() for c in l.completions if c.complete)
    lines = [
        f"{rules.school.institution.name}：{len(checked.roster)} 名学生，{len(checked.records.files)} 个申报文件，{entries} 条申报",
        f"({len(checked.roster)} students, {len(checked.records.files)} claim files, {entries} claims)",
    ]
    for m, credits in modules.items():
        lines.append(f"  {names[m]}：共 {fmt(credits)} 学分 (total credits in {m})")
    lines += [
        f"  达到毕业要求 meeting graduation requirements: {met} / {len(checked.roster)}",
        f"  团校结业 completed Youth League school: {yls}",
        f"  有条目超出上限未计入 students with items over a cap: {capped}",
    ]
    return "\n".join(lines)


def build(root: Path, out: Path, *, use_cache: bool = True) -> int:
    """Check, and only when nothing is wrong write ``OUT/private/ledgers.json``; return the exit code."""
    checked = check_repository(root, use_cache=use_cache)
    if not checked.ok:
        print(human(checked.diagnostics, len(checked.records.files)), file=sys.stderr)
        print("有错误，未生成任何输出。 (errors found; nothing was written)", file=sys.stderr)
        return 1
    out = out if out.is_absolute() else root / out
    data = {sid: ledger_data(ledger, checked.rules) for sid, ledger in checked.ledgers.items()}
    _write_atomic(out / "private" / "ledgers.json", json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
    warnings = len(checked.diagnostics)
    print(summary(checked))
    if warnings:
        print(f"  警告 warnings: {warnings}（dekt validate 查看详情 / see dekt validate）")
    print(f"私有输出 private outputs → {out / 'private'}")
    return 0
