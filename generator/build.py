"""The main job: check the whole repository, then compute every ledger and write the outputs.

Public: ``OUT/site`` — the MkDocs site (catalogue, notice list, statistics, sealed verification records).
Private: ``OUT/private`` — ``ledgers.json``, ``transcripts/<student id>.pdf`` with their manifest, and the
lists that name students (``at-risk/``, ``ranking/``). Nothing private is ever written under ``OUT/site``,
and the site passes the privacy check before it replaces the previous one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from . import output
from .access import FOLDER as ACCESS_FOLDER
from .access import access_records, notice_items
from .check import Checked, check_repository
from .custody import banner, for_transcript, refuse_work_tree
from .files import write_atomic
from .ledger_view import ledger_data
from .notice import load_prs, notice_batches, notice_json
from .output import check_out
from .provenance import provenance_index
from .report import human
from .scoring import fmt
from .site.private import private_lists, write_private
from .site.publish import build_site
from .transcript import canonical, register
from .transcript.writer import write_transcripts


def _ledgers_json(data: dict[str, dict]) -> str:
    """Every ledger as one JSON object, one student a line (greppable by id; three times faster than indenting)."""
    compact = {"ensure_ascii": False, "sort_keys": True, "separators": (",", ":")}
    rows = (f"{json.dumps(sid)}:{json.dumps(data[sid], **compact)}" for sid in sorted(data))
    return "{\n" + ",\n".join(rows) + "\n}\n"


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
        f"{rules.school.institution.name}：{len(checked.roster)} 名学生，"
        f"{len(checked.records.files)} 个申报文件，{entries} 条申报",
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


def _issued(root: Path, now: datetime | None, tz: ZoneInfo) -> date:
    """The build's date: the ``--now`` given, else the last commit's date, else today (reproducible in CI)."""
    if now is not None:
        return now.astimezone(tz).date()
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():  # the reproducible-builds convention
        return datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), tz).date()
    result = subprocess.run(["git", "log", "-1", "--format=%cI"], cwd=root, capture_output=True, text=True)
    if result.returncode == 0 and result.stdout.strip():
        return datetime.fromisoformat(result.stdout.strip()).astimezone(tz).date()
    return datetime.now(tz).date()


def _provenance(root: Path) -> dict:
    """Provenance of every archived claim when ``root`` is a Git work tree with history, else nothing."""
    inside = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=root, capture_output=True)
    return provenance_index(root) if inside.returncode == 0 else {}


def build(
    root: Path, out: Path, *, use_cache: bool = True, prs: Path | None = None, now: datetime | None = None
) -> int:
    """Check everything; only when nothing is wrong, compute and write the outputs. Return the exit code.

    ``prs`` is the open pull requests as the forge reports them (for the notice list); ``now`` the moment
    to decide the notice at and the build's date (default: now, and the last commit's date). Everything is
    written into a stage and swapped into ``out`` only when all of it is made and checked (``dekt.output``):
    exit 0 means a whole output, and any failure leaves ``out`` as it was.
    """
    out = check_out(root, out if out.is_absolute() else root / out)
    checked = check_repository(root, use_cache=use_cache, now=now.date() if now else None)
    if checked.custody and not checked.custody.signed:
        print(banner(checked.custody), file=sys.stderr)
    if not checked.ok:
        print(human(checked.diagnostics, len(checked.records.files)), file=sys.stderr)
        print("有错误，未生成任何输出。 (errors found; nothing was written)", file=sys.stderr)
        return 1
    rules = checked.rules
    tz = ZoneInfo(rules.school.timezone)
    issued = _issued(root, now, tz)
    decided_at = now or datetime.now(tz)
    provenance = _provenance(root)
    pulls = load_prs(prs) if prs else []
    batches = notice_batches(root, pulls, rules, checked.roster, decided_at) if prs else []
    data = {sid: ledger_data(ledger, rules, provenance) for sid, ledger in checked.ledgers.items()}
    if refuse_work_tree(checked):  # transcripts are made from the signed archive, never from the work tree
        return 1
    official = {sid: for_transcript(d) for sid, d in data.items()}  # no pending or uncertified item is issued
    # Each transcript is dated by the last certified change to its student's record, not by this build.
    roster_day = register.roster_date(root, tz)
    dates = {
        sid: canonical.record_date(d, provenance, tz, roster_date=roster_day, fallback=issued)
        for sid, d in official.items()
    }
    issued_before = register.load(root, checked.custody)  # read, never written, by the build
    with output.locked(out):
        stage = output.begin(out)
        try:
            write_atomic(stage.private / "ledgers.json", _ledgers_json(data))
            written = write_transcripts(
                rules, official, stage.folder, dates, root, previous=stage.current("private") / "transcripts"
            )
            write_atomic(stage.private / register.BUILD_INFO, json.dumps({"commit": register.head_commit(root)}) + "\n")
            sealed = register.sealed_records(issued_before, written.current)
            lists = private_lists(rules, checked.ledgers, issued)
            write_private(stage.private, lists)
            extra = {"notice.json": notice_json(batches, decided_at).encode("utf-8")} if prs else {}
            # 我的第二课堂: each student's record sealed under their access code; the codes go to private lists only.
            on_notice = notice_items(root, pulls, batches, rules) if prs else {}
            access = access_records(root, rules, checked.roster, checked.ledgers, on_notice)
            if access is not None:
                write_private(stage.private, access.private, folders=("access",))
                extra.update({f"{ACCESS_FOLDER}/{name}": body for name, body in access.site.items()})
            site = build_site(checked, batches, sealed, issued=issued, now=decided_at if prs else None,
                              stage=stage.folder, extra=extra)  # fmt: skip
        except BaseException:
            output.abandon(stage)
            raise
        output.commit(stage)
    warnings = len(checked.diagnostics)
    print(summary(checked))
    if warnings:
        print(f"  警告 warnings: {warnings}（dekt validate 查看详情 / see dekt validate）")
    on_notice = sum(len(b["entries"]) for b in batches)
    print(
        f"  公示中 on notice: {len(batches)} 批 batches, {on_notice} 条 claims"
        f" (as of {decided_at.isoformat(timespec='minutes')})"
    )
    print(f"  签发日期 build date: {issued}; 已归档申报的来源 provenance of archived claims: {len(provenance)} files")
    print(
        f"  成绩单 transcripts: {written.rendered} 份生成 rendered, {written.kept} 份未变 unchanged, "
        f"{written.removed} 份删除 removed（{written.seconds:.1f} s）→ {out / 'private' / 'transcripts'}"
    )
    waiting = register.unregistered(issued_before, written.current)
    print(
        f"  签发登记 register: {len(issued_before.entries)} 份已登记 registered; "
        f"本次有 {len(waiting)} 份尚未登记 not yet registered（dekt register --from {out}）"
    )
    for file, why in issued_before.ignored:
        print(f"  ! 签发登记 {file} 未采用 (left out of the register): {why}")
    print(f"  名单 lists (at-risk, ranking): {len(lists)} 个 CSV files → {out / 'private'}")
    if access is None:
        print("  我的第二课堂 self-view: 未设置 DEKT_ACCESS_SECRET，未生成 (no access secret set; not built)")
    else:
        print(
            f"  我的第二课堂 self-view: {access.students} 条加密记录 sealed records, "
            f"访问码名单 code lists → {out / 'private' / 'access'}"
        )
    print(
        f"公开站点 public site: {site.pages} 页 pages, {site.records} 条验证记录 sealed records"
        f"（{site.seconds:.1f} s）→ {out / 'site'}"
    )
    print(f"私有输出 private outputs → {out / 'private'}")
    return 0
