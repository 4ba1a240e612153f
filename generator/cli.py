"""The ``dekt`` command: a thin layer that parses options, calls one core function and picks an exit code."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import __version__
from .diagnostics import DektError, Refused

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _repo(args: argparse.Namespace) -> Path:
    root = Path(args.repo).resolve()
    if not (root / "rules").is_dir() or not (root / "records").is_dir():
        raise DektError(
            f"{root} 不是 dekt 仓库（缺少 rules/ 或 records/）；请在仓库目录中运行，或用 --repo 指定。"
            f" ({root} is not a dekt repository: rules/ or records/ is missing; run inside one or pass --repo)"
        )
    return root


def cmd_validate(args: argparse.Namespace) -> int:
    """Check every file; print every problem in the format asked for."""
    from .check import check_repository
    from .report import as_json, github, human, summary_markdown

    root = _repo(args)
    checked = check_repository(root, use_cache=not args.no_cache, base=args.base)
    diagnostics = checked.diagnostics
    if checked.custody and not checked.custody.signed:  # said loudly, on every run: nothing here is signed
        from .custody import banner

        print(banner(checked.custody), file=sys.stderr)
    files = len(checked.records.files) + 4  # the claim files, three kinds of rules files and the roster
    if args.paths:
        rel = []
        for p in args.paths:
            path = Path(p).resolve()
            if not path.exists() or not path.is_relative_to(root):
                raise DektError(
                    f"路径 {p} 不存在或不在仓库 {root} 中 (path {p} does not exist or is outside the repository)"
                )
            rel.append(path.relative_to(root).as_posix())

        def inside(f: str) -> bool:
            return any(r == "." or f == r or f.startswith(r + "/") for r in rel)

        diagnostics = [d for d in diagnostics if inside(d.file)]
        files = sum(1 for f in checked.records.files if inside(f))
    if args.format == "json":
        print(as_json(diagnostics))
    elif args.format == "github":
        if diagnostics:
            print(github(diagnostics))
        table = summary_markdown(diagnostics, files)
        target = args.summary or os.environ.get("GITHUB_STEP_SUMMARY")
        if target:
            with open(target, "a", encoding="utf-8") as fh:
                fh.write(table)
        else:
            print(table)
    else:
        print(human(diagnostics, files))
    return EXIT_PROBLEMS if any(d.severity.value == "error" for d in diagnostics) else EXIT_OK


def cmd_ledger(args: argparse.Namespace) -> int:
    """Show one student's ledger."""
    from .check import check_repository
    from .ledger_view import ledger_json, ledger_text
    from .report import human

    checked = check_repository(_repo(args))
    if checked.rules is None:
        print(human(checked.diagnostics, 0), file=sys.stderr)
        return EXIT_PROBLEMS
    student = checked.roster.get(args.student)
    if student is None:
        raise DektError(f"学号 {args.student} 不在学生名册中 (student {args.student} is not in the roster)")
    ledger = checked.ledgers.get(student.id)
    if ledger is None:  # no rules version governs the student's cohort (DK605): no ledger, never another version's
        print(
            human([d for d in checked.diagnostics if d.code == "DK605" and d.line == student.row], 1), file=sys.stderr
        )
        return EXIT_PROBLEMS
    own = {e.file for e in checked.records.entries if e.student == student.id}
    problems = [d for d in checked.diagnostics if d.file in own and d.code != "DK405"]
    print(ledger_json(ledger, checked.rules) if args.format == "json" else ledger_text(ledger, checked.rules))
    if problems:
        print(
            "\n该生的申报中有以下问题，相关条目未计入"
            " (problems in this student's claim files; those items are left out):",
            file=sys.stderr,
        )
        print(human(problems, len(own)), file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    """The main job: check everything, then write the outputs and print a summary."""
    from .build import build

    prs = Path(args.prs).resolve() if args.prs else None
    root = _repo(args)
    return build(
        root, Path(args.out), use_cache=not args.no_cache, prs=prs, now=_now(args.now, root) if args.now else None
    )


def _demo_source(args: argparse.Namespace, scratch: Path) -> Path:
    """The repository to make the demo from: the one here, else the demo school shipped with dekt (its rules and
    site, and its records made as ``dekt demo-data --students 360 --seed 2014`` makes the shipped ones)."""
    import shutil

    from .defaults import folder
    from .demo import generate

    here = Path(args.repo).resolve()
    if (here / "rules").is_dir() and (here / "records").is_dir():
        return here
    shutil.copytree(folder("rules"), scratch / "rules")
    shutil.copytree(folder("site"), scratch / "site")
    generate(scratch, scratch, students=360, seed=2014)
    return scratch


def cmd_demo(args: argparse.Namespace) -> int:
    """Lay out the demo Git repository (merged batches, one on notice) and build it: site and transcripts."""
    import tempfile

    from .build import build
    from .demo_repo import STATE_DIR, lay_out
    from .output import check_out

    here = Path(args.repo).resolve()
    out = check_out(here, Path(args.out) if Path(args.out).is_absolute() else here / args.out)
    target = out / "demo-repo"
    if target.exists() and not (target / STATE_DIR).is_dir():
        raise Refused(
            f"{target} 已存在且不是 dekt 演示仓库；为免删除您的文件，已停止。请换一个 --out。"
            f" ({target} exists and is not a dekt demo repository: refusing to replace it; choose another --out)"
        )
    with tempfile.TemporaryDirectory(prefix="dekt-demo-") as scratch:
        demo = lay_out(_demo_source(args, Path(scratch)), target)
    print(f"演示仓库 demo repository → {demo.root}（{demo.now.isoformat(timespec='minutes')}）")
    if args.sign and not os.environ.get("DEKT_SIGN_PKCS12"):  # signed with a THROWAWAY certificate made just now
        from .rules import load_rules_or_fail
        from .transcript.sign import ENV_PASSWORD, ENV_PKCS12, throwaway_ca

        name = load_rules_or_fail(demo.root).school.institution.name
        root_pem, p12, password = throwaway_ca(demo.root / STATE_DIR / "signing", name)
        os.environ.update({ENV_PKCS12: str(p12), ENV_PASSWORD: password})
        print(f"演示用一次性证书（仅供演示，不具法律效力）DEMO-ONLY throwaway certificate: root {root_pem}")
    code = build(demo.root, out, prs=demo.prs, now=demo.now)
    from .custody import certified_files

    custody = certified_files(demo.root)
    if custody.signed and not custody.uncertified and not custody.deleted:
        print(
            f"签名归档 signed archive: main 的 {custody.commits} 个合并均已签名并核验"
            " (every merge on main signed and verified),"
            f" 信任根 trust root {custody.root_commit[:12]}; 演示用一次性密钥 THROWAWAY demo key → {demo.key}"
        )
    return code


def cmd_schema(args: argparse.Namespace) -> int:
    """Write JSON Schema files for claims and rules, for editors."""
    from .schema import write_schemas

    root = _repo(args)
    out = Path(args.out) if args.out else root / "rules" / "schema"
    for path in write_schemas(out):
        print(path)
    return EXIT_OK


def cmd_demo_data(args: argparse.Namespace) -> int:
    """Generate a synthetic school of any size."""
    from .demo import generate
    from .records import CLAIMS_DIR, ROSTER_FILE

    target = Path(args.out_dir)
    held = [p for p in (target / CLAIMS_DIR, target / ROSTER_FILE) if p.is_file() or (p.is_dir() and any(p.iterdir()))]
    if held and not args.force:
        raise Refused(
            f"{target} 中已有申报或名册（{held[0]}）；demo-data 会替换它们。确认要覆盖请加 --force。"
            f" ({target} already holds a repository's records ({held[0]}); demo-data would replace them:"
            " pass --force to overwrite)"
        )
    here = Path(args.repo).resolve()
    if (here / "rules").is_dir():
        source = _repo(args)
    else:  # outside a repository: the rules shipped with dekt
        from .defaults import folder

        source = folder("rules").parent
    stats = generate(source, target, students=args.students, seed=args.seed)
    print(json.dumps(stats, ensure_ascii=False))
    return EXIT_OK


def cmd_import_roster(args: argparse.Namespace) -> int:
    """Import a roster exported from an academic system into records/students.csv."""
    from .roster import parse_roster, write_roster
    from .rules import load_rules_or_fail

    root = _repo(args)
    rules = load_rules_or_fail(root)
    source = Path(args.export)
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise DektError(f"无法读取 {source}：{exc.strerror} (cannot read the export {source})") from exc
    text = None
    for encoding in ("utf-8-sig", "gb18030"):  # academic systems often export GBK
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    students, problems = parse_roster(text or "", str(source), rules.department_keys())
    if problems:
        from .report import human

        print(human(problems, 1), file=sys.stderr)
        return EXIT_PROBLEMS
    write_roster(list(students.values()), root / "records" / "students.csv")
    print(f"已导入 {len(students)} 名学生 (imported {len(students)} students) → records/students.csv")
    return EXIT_OK


def cmd_provenance(args: argparse.Namespace) -> int:
    """Show how archived claim files reached main: pull request, merger, reviewers."""
    from .provenance import provenance_index

    root = _repo(args)
    index = provenance_index(root, args.ref)
    rows, missing = [], []
    for arg in args.files or ["."]:
        rel = Path(arg).resolve().relative_to(root).as_posix()
        found = [index[f] for f in sorted(index) if rel == "." or f == rel or f.startswith(rel + "/")]
        rows += found
        missing += [] if found else [rel]
    if args.format == "json":
        print(json.dumps([p.as_dict() for p in rows], ensure_ascii=False, indent=2))
    else:
        for p in rows:
            pr = f"#{p.pr}" if p.pr else "（直接提交 direct commit）"
            reviewed, approved = ",".join(p.reviewers) or "—", ",".join(p.approvers) or "—"
            print(f"{p.file}\t{pr}\t{p.merged_at}\t{p.merged_by}\t初审 {reviewed}\t认定 {approved}")
    for f in missing:
        print(f"dekt: {f} 不在 {args.ref} 的归档历史中 (not in the archived history of {args.ref})", file=sys.stderr)
    return EXIT_PROBLEMS if missing else EXIT_OK


def cmd_review_state(args: argparse.Namespace) -> int:
    """Print a pull request's review stage and the reasons."""
    from .review import evaluate, state_text

    state = evaluate(_repo(args), args.pr, args.now)
    print(json.dumps(state.as_dict(), ensure_ascii=False, indent=2) if args.format == "json" else state_text(state))
    return EXIT_OK


def cmd_gate(args: argparse.Namespace) -> int:
    """The required status check: exit 0 only when the pull request may be merged."""
    from .review import evaluate, gate_text

    state = evaluate(_repo(args), args.pr, args.now)
    print(gate_text(state))
    if args.status:  # the commit status to post: the workflow compares it with the posted one
        from .review.report import status_json

        Path(args.status).write_text(status_json(state), encoding="utf-8")
    return EXIT_OK if state.mergeable else EXIT_PROBLEMS


def cmd_merge_message(args: argparse.Namespace) -> int:
    """The merge commit message with the review record as trailers; refuses a pull request that may not merge."""
    from .merge import review_message
    from .review import evaluate, gate_text

    root = _repo(args)
    state = evaluate(root, args.pr, args.now)
    if not state.mergeable:
        print(gate_text(state), file=sys.stderr)
        return EXIT_PROBLEMS
    print(review_message(root, args.pr, args.now, args.merged_by, args.certify)[2], end="")
    return EXIT_OK


def cmd_merge(args: argparse.Namespace) -> int:
    """Academic affairs' signed merge: gate, trailers, ``git merge --no-ff -S``; then the chain is checked."""
    from .custody import certified_files
    from .merge import signed_merge

    root = _repo(args)
    sha, message = signed_merge(
        root, args.pr, now=args.now, key=args.key, merged_by=args.merged_by, certify=args.certify
    )
    custody = certified_files(root, "HEAD")
    print(f"已签名合并 signed merge {sha[:12]}: {message.splitlines()[0]}")
    if custody.signed and not custody.uncertified and not custody.deleted:
        print(
            f"  签名链完整 the chain of custody holds: {custody.commits} 个提交 commits"
            f" since the trust root {custody.root_commit[:12]}"
        )
        return EXIT_OK
    print(
        "  ! 该合并未被 rules/allowed_signers 认可：密钥不在名单中，或仓库处于未签名模式 (the merge is not certified by"
        " rules/allowed_signers: the key is not listed, or the repository is in unsigned mode);"
        " 推送前请处理 fix before pushing",
        file=sys.stderr,
    )
    return EXIT_PROBLEMS


def cmd_content_ids(args: argparse.Namespace) -> int:
    """Complete a pull request's JSON: Git's file list, content ids (a rebase keeps approvals), the timeline."""
    from .review import load_pr
    from .review.adapter import complete_record

    timeline = None
    if args.timeline:
        try:
            timeline = Path(args.timeline).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DektError(f"无法读取时间线 {args.timeline}：{exc} (cannot read the timeline pages)") from exc
    pr = complete_record(_repo(args), load_pr(args.pr), args.base, timeline, args.timeline or "")
    from .review.advisors import research_advisors
    from .rules import load_rules_or_fail

    # Research claims name their advisor, whose approval the gate requires before the department's review counts.
    pr["researchAdvisors"] = research_advisors(_repo(args), pr, load_rules_or_fail(_repo(args)))
    text = json.dumps(pr, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return EXIT_OK


def cmd_codeowners(args: argparse.Namespace) -> int:
    """Write .github/CODEOWNERS from the rules."""
    from .codeowners import write_codeowners
    from .rules import load_rules

    root = _repo(args)
    rules, problems = load_rules(root)
    if rules is None:
        from .report import human

        print(human(problems, 1), file=sys.stderr)
        return EXIT_PROBLEMS
    print(write_codeowners(root, rules).relative_to(root))
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check the forge settings the review depends on, from saved ``gh api`` answers."""
    from .doctor import FILES, check_settings, load_json, report
    from .rules import load_rules

    given = {k: getattr(args, f"{k}_json") for k in FILES}
    if args.saved:
        given = {k: v or str(Path(args.saved) / FILES[k]) for k, v in given.items()}
        if not Path(given["pages"]).exists() and not args.pages_json:
            given["pages"] = None
    missing = [f"--{k}-json" for k, v in given.items() if v is None and k != "pages"]
    if missing:
        raise DektError(
            f"缺少 {', '.join(missing)}（或用 --from 目录）(missing {', '.join(missing)}, or pass --from DIR)"
        )
    data = {k: load_json(Path(v), k) if v else None for k, v in given.items()}
    rules, _ = load_rules(Path(args.repo))  # whose approval the environment needs, when run in a dekt repository
    aa = list(rules.school.academic_affairs.reviewers) if rules else None
    checks = check_settings(data["repo"] if isinstance(data["repo"], dict) else {}, data["rules"], data["protection"],
                            data["environments"], data["pages"], aa)  # fmt: skip
    print(report(checks))
    return EXIT_PROBLEMS if any(c.ok is False for c in checks) else EXIT_OK


def _now(text: str | None, root: Path):
    """``--now`` as an aware moment (a wall-clock time is read in the school's time zone)."""
    from .review.report import parse_now
    from .rules import load_rules_or_fail

    return parse_now(text, load_rules_or_fail(root).school.timezone)


def cmd_notice(args: argparse.Namespace) -> int:
    """List the claims now on public notice, read from each pull request's head commit."""
    from .notice import load_prs, notice_batches, notice_json, notice_text
    from .records import ROSTER_FILE
    from .review.report import parse_now
    from .roster import load_roster
    from .rules import load_rules_or_fail

    root = _repo(args)
    rules = load_rules_or_fail(root)
    prs = load_prs(Path(args.prs))
    roster, _ = load_roster(root / ROSTER_FILE, ROSTER_FILE, rules.department_keys())
    now = parse_now(args.now, rules.school.timezone)
    batches = notice_batches(root, prs, rules, roster, now)
    text = notice_json(batches, now) if args.format == "json" else notice_text(batches)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return EXIT_OK


def cmd_transcript(args: argparse.Namespace) -> int:
    """Write one student's transcript (PDF, or the HTML preview)."""
    from .transcript.command import transcript_for

    root = _repo(args)
    target = Path(args.output).resolve() if args.output else None
    path, code = transcript_for(root, args.student, target, _now(args.now, root) if args.now else None, args.html)
    print(f"{path}  验证码 code {code}")
    return EXIT_OK


def cmd_access_code(args: argparse.Namespace) -> int:
    """Print a student's personal access code for 我的第二课堂 (from DEKT_ACCESS_SECRET; the demo's own in the demo)."""
    from .access import SECRET_ENV, access_code, load_access, secret_for
    from .roster import load_roster
    from .rules import load_rules_or_fail

    root = _repo(args)
    rules = load_rules_or_fail(root)
    roster, _ = load_roster(root / "records/students.csv", "records/students.csv", rules.department_keys())
    if args.student not in roster:
        raise DektError(f"学号 {args.student} 不在学生名册中 (student {args.student} is not in the roster)")
    secret = secret_for(root)
    if secret is None:
        raise DektError(
            f"未设置访问码密钥 {SECRET_ENV}（应保存在仓库之外，如 CI 的机密变量）"
            f"(set {SECRET_ENV}, kept outside the repository)"
        )
    print(access_code(secret, args.student, load_access(root).rotations.get(args.student, 0)))
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    """Check a transcript PDF offline against its attachment, its code and the issue record."""
    from .transcript.verify import report, verify_pdf

    path = Path(args.pdf)
    if not path.is_file():
        raise DektError(f"找不到文件 {path} (no such file)")
    records = Path(args.records) if args.records else (Path(args.repo) / "_build")
    if args.records and not records.is_dir():
        raise DektError(f"签发记录目录不存在：{records} (no such records folder)")
    trust = Path(args.trust) if args.trust else None
    if trust is not None and not trust.is_file():
        raise DektError(f"找不到根证书 {trust} (no such root certificate)")
    result = verify_pdf(path, records if records.is_dir() else None, trust)
    print(report(result))
    if result.ok and result.record is None and trust is not None and "signature" in result.passed:
        return EXIT_OK  # the institution's signature, chained to its root, vouches for every byte
    if result.ok and result.record is None:
        print(
            "  ! 未核对签发记录，无法确认文件未被改动；请用 --records 指定构建目录或站点目录"
            " (not checked against an issue record, so changed bytes cannot be ruled out: pass --records)"
        )
        return EXIT_PROBLEMS
    return EXIT_OK if result.ok else EXIT_PROBLEMS


def cmd_register(args: argparse.Namespace) -> int:
    """Append the transcripts a build issued (or a revocation) to records/register/, optionally signed."""
    from .transcript.register_command import register

    return register(_repo(args), args)


def cmd_import_claims(args: argparse.Namespace) -> int:
    """Turn filled spreadsheets into claim files, or report every problem at its cell."""
    from .sheets.command import import_claims

    return import_claims(
        _repo(args), args.files, dept=args.dept, year=args.year, registered=args.registered, check=args.check,
        fmt=args.format, summary=args.summary, book=args.name,
    )  # fmt: skip


def cmd_template(args: argparse.Namespace) -> int:
    """Write the claims template workbook, generated from the rules."""
    from .sheets.command import template

    return template(_repo(args), Path(args.output), dept=args.dept, year=args.year)


def cmd_signin_sheet(args: argparse.Namespace) -> int:
    """Write a sign-in sheet whose columns are the template's."""
    from .sheets.command import signin_sheet

    return signin_sheet(
        _repo(args), Path(args.output), activity=args.activity, klass=args.klass, dept=args.dept, day=args.date
    )


_EXAMPLES = {
    "validate": "例 example: dekt validate records/claims/2014-2015/customs --format github",
    "ledger": "例 example: dekt ledger 2014010203 --format json",
    "build": "例 example: dekt build --out _build --prs prs.json --now 2016-07-20T10:00:00+08:00",
    "demo": "例 example: dekt demo   (演示仓库在 _build/demo-repo，站点在 _build/site)",
    "schema": "例 example: dekt schema   (写入 rules/schema/*.json)",
    "demo-data": "例 example: dekt demo-data --students 5000 --seed 7 /tmp/big-school",
    "import-roster": "例 example: dekt import-roster 教务系统导出.csv",
    "review-state": "例 example: dekt review-state --pr pr.json --now 2026-10-12T09:00:00+08:00 --format json",
    "gate": "例 example: dekt gate --pr pr.json   (退出码 0 才可合并 / exit 0 only when it may be merged)",
    "notice": "例 example: dekt notice --prs prs.json --format json -o _build/notice.json",
    "merge-message": "例 example: dekt merge-message --pr pr.json > message.txt",
    "merge": "例 example: dekt merge --pr pr.json --key ~/.ssh/jwc_signing   (然后 then: git push origin main)",
    "content-ids": "例 example: dekt content-ids --pr pr.json --timeline timeline.json --base origin/main -o pr.json",
    "codeowners": "例 example: dekt codeowners   (写入 .github/CODEOWNERS)",
    "provenance": "例 example: dekt provenance records/claims/2014-2015/customs --format json",
    "transcript": "例 example: dekt transcript 2014010203 -o 2014010203.pdf --now 2016-07-01",
    "access-code": "例 example: dekt access-code 2014010203"
    "   (密钥取自 DEKT_ACCESS_SECRET / the secret comes from DEKT_ACCESS_SECRET)",
    "verify": "例 example: dekt verify 2014010203.pdf --records _build   (或 or: --trust 学校根证书.pem)",
    "register": "例 example: dekt register --from _build --sign --key ~/.ssh/jwc_signing",
    "doctor": "例 example: dekt doctor --from gh-settings/   (gh api 保存的设置 / settings saved with gh api)",
    "import-claims": "例 example: dekt import-claims 签到表.xlsx --dept customs --registered 2015-06-02 --check",
    "template": "例 example: dekt template --dept customs --year 2015-2016 -o 第二课堂申报模板.xlsx",
    "signin-sheet": "例 example: dekt signin-sheet --activity 敬老院关爱行动 --class 海关管理2014级1班 -o 签到表.pdf",
}


def parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per job."""
    p = argparse.ArgumentParser(
        prog="dekt", description="第二课堂成绩单 — the second-classroom transcript, kept as code."
    )
    p.add_argument("--version", action="version", version=f"dekt {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, func, help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(
            name,
            help=help,
            description=help,
            epilog=_EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )  # raw: the example stays on one line, as typed
        sp.add_argument("--repo", default=".", help="仓库目录，默认当前目录 / repository folder (default: here)")
        sp.set_defaults(func=func)
        return sp

    sp = command(
        "validate", cmd_validate, "检查申报与规则，报告全部问题 / check claims and rules, report every problem"
    )
    sp.add_argument(
        "paths", nargs="*", metavar="PATH", help="只报告这些文件或目录中的问题 / report only for these paths"
    )
    sp.add_argument("--format", choices=["human", "github", "json"], default="human")
    sp.add_argument("--summary", help="github 格式下写入摘要表的文件 / file for the step summary (github format)")
    sp.add_argument("--no-cache", action="store_true", help="不使用缓存 / parse every file again")
    sp.add_argument(
        "--base", metavar="REF", help="已归档的基准，如 origin/main：其中的申报不得被修改或删除 / archived base ref"
    )

    sp = command("ledger", cmd_ledger, "显示一名学生的学分明细 / show one student's ledger")
    sp.add_argument("student", metavar="STUDENT_ID")
    sp.add_argument("--format", choices=["text", "json"], default="text")

    sp = command("build", cmd_build, "检查并生成全部输出 / check everything and build the outputs")
    sp.add_argument("--out", default="_build", help="输出目录（相对于仓库）/ output folder, relative to the repository")
    sp.add_argument("--no-cache", action="store_true", help="不使用缓存 / parse every file again")
    sp.add_argument(
        "--prs", metavar="PRS.json", help="开放的合并请求（公示名单用）/ open pull requests, for the notice list"
    )
    sp.add_argument(
        "--now", metavar="ISO-8601", help="判断公示的时间与签发日期 / the moment for the notice and the build date"
    )

    sp = command(
        "demo", cmd_demo, "生成演示仓库（已归档批次与一批公示中）并构建 / lay out the demo repository and build it"
    )
    sp.add_argument("--out", default="_build", help="输出目录（相对于当前目录）/ output folder, relative to here")
    sp.add_argument(
        "--sign",
        action="store_true",
        help="用当场生成的一次性演示证书签名 PDF / sign the PDFs with a throwaway demo certificate made now",
    )

    sp = command("schema", cmd_schema, "写出申报与规则的 JSON Schema / write JSON Schema for editors")
    sp.add_argument("--out", help="输出目录，默认 rules/schema / output folder")

    sp = command("demo-data", cmd_demo_data, "生成任意规模的合成学校 / generate a synthetic school")
    sp.add_argument("out_dir", metavar="OUT_DIR")
    sp.add_argument("--students", type=int, default=360)
    sp.add_argument("--seed", type=int, default=2014)
    sp.add_argument(
        "--force", action="store_true", help="覆盖目录中已有的申报与名册 / replace the records already there"
    )

    sp = command("notice", cmd_notice, "列出正在公示的申报 / list the claims now on public notice")
    sp.add_argument(
        "--prs", required=True, metavar="PRS.json", help="开放的合并请求（gh 的 JSON 列表）/ open pull requests"
    )
    sp.add_argument("--now", metavar="ISO-8601", help="当前时间，默认现在 / the time to decide at (default: now)")
    sp.add_argument("--format", choices=["text", "json"], default="text")
    sp.add_argument("-o", "--output", metavar="FILE", help="写入文件而非标准输出 / write to a file")

    def merge_options(sp: argparse.ArgumentParser) -> None:
        """What the merge message and the signed merge both take: the pull request, the moment, who merges."""
        sp.add_argument(
            "--pr", required=True, metavar="PR.json", help="gh pr view 的 JSON / the pull request as gh reports it"
        )
        sp.add_argument("--now", metavar="ISO-8601", help="当前时间，默认现在 / the time to decide at (default: now)")
        sp.add_argument(
            "--merged-by", metavar="LOGIN", help="合并人，默认认定人 / who merges (default: the final approver)"
        )
        sp.add_argument(
            "--certify",
            action="append",
            default=[],
            metavar="COMMIT",
            help="事后认定的提交 / a commit certified after the fact",
        )

    sp = command(
        "merge-message", cmd_merge_message, "生成带审核记录的合并提交说明 / the merge message with the review record"
    )
    merge_options(sp)

    sp = command(
        "merge", cmd_merge, "教务处签名合并（git merge --no-ff -S）/ academic affairs' signed merge of a pull request"
    )
    merge_options(sp)
    sp.add_argument(
        "--key",
        metavar="KEY",
        help="SSH 签名私钥，默认 $DEKT_SIGNING_KEY 或 git 的 user.signingkey / the SSH signing key",
    )

    sp = command(
        "content-ids", cmd_content_ids, "为合并请求补充内容标识（变基不使审核失效）/ add content ids to PR.json"
    )
    sp.add_argument(
        "--pr", required=True, metavar="PR.json", help="gh pr view 的 JSON / the pull request as gh reports it"
    )
    sp.add_argument("--base", default="origin/main", help="基准分支 / base ref (default: origin/main)")
    sp.add_argument(
        "--timeline",
        metavar="PAGES.json",
        help="gh api graphql --paginate 的时间线输出 / the timeline pages gh printed",
    )
    sp.add_argument("-o", "--output", metavar="FILE", help="写入文件而非标准输出 / write to a file")

    command("codeowners", cmd_codeowners, "根据规则生成 .github/CODEOWNERS / write .github/CODEOWNERS from the rules")

    sp = command("provenance", cmd_provenance, "从 Git 历史读取申报的来源 / where archived claims came from, from Git")
    sp.add_argument("files", nargs="*", metavar="FILE", help="只显示这些文件 / only these files")
    sp.add_argument("--ref", default="HEAD", help="归档分支，默认 HEAD / archive ref (default: HEAD)")
    sp.add_argument("--format", choices=["text", "json"], default="text")

    pr_help = "gh pr view --json 的输出，- 为标准输入 / the pull request as gh prints it, - for stdin"
    now_help = "判断时刻，默认现在；无时区则按学校时区 / the moment to decide at (default: now)"
    sp = command(
        "review-state", cmd_review_state, "显示合并请求的审核阶段及原因 / show a pull request's review stage and why"
    )
    sp.add_argument("--pr", required=True, metavar="PR.json", help=pr_help)
    sp.add_argument("--now", metavar="ISO-8601", help=now_help)
    sp.add_argument("--format", choices=["text", "json"], default="text")

    sp = command(
        "gate", cmd_gate, "审核关卡：仅在可以合并时退出码为 0 / the review gate: exit 0 only when it may be merged"
    )
    sp.add_argument("--pr", required=True, metavar="PR.json", help=pr_help)
    sp.add_argument("--now", metavar="ISO-8601", help=now_help)
    sp.add_argument(
        "--status", metavar="FILE", help="写出提交状态（state、description）/ write the commit status as JSON"
    )

    sp = command("transcript", cmd_transcript, "生成一名学生的成绩单 PDF / write one student's transcript PDF")
    sp.add_argument("student", metavar="STUDENT_ID")
    sp.add_argument(
        "-o", "--output", metavar="FILE", help="输出文件，默认 <学号>.pdf / output file (default: <id>.pdf)"
    )
    sp.add_argument(
        "--now", metavar="ISO-8601", help="签发日期，默认最后一次提交的日期 / the issue date (default: last commit's)"
    )
    sp.add_argument("--html", action="store_true", help="输出 HTML 预览而非 PDF / write the HTML preview instead")

    sp = command(
        "access-code", cmd_access_code, "显示学生“我的第二课堂”的个人访问码 / print a student's personal access code"
    )
    sp.add_argument("student", metavar="STUDENT_ID")

    sp = command("verify", cmd_verify, "离线核验成绩单 PDF / check a transcript PDF offline")
    sp.add_argument("pdf", metavar="FILE.pdf")
    sp.add_argument(
        "--records",
        metavar="DIR",
        help="构建目录、站点目录或其 verify/ 目录，默认 _build / the build, site or verify folder",
    )
    sp.add_argument(
        "--trust", metavar="ROOT.pem", help="学校的根证书，核验 PDF 的数字签名 / the institution's root certificate"
    )

    sp = command("register", cmd_register, "把构建签发的成绩单记入签发登记 / record the transcripts a build issued")
    sp.add_argument(
        "--from", dest="source", metavar="OUT", default="_build", help="当前提交的构建目录 / the build of HEAD"
    )
    sp.add_argument(
        "--sign", action="store_true", help="以教务处密钥签名提交 / commit, signed with academic affairs' key"
    )
    sp.add_argument("--key", help="SSH 签名私钥，默认 $DEKT_SIGNING_KEY / the SSH signing key")
    sp.add_argument(
        "--revoke", metavar="CODE", help="撤销这份成绩单 / revoke this transcript (with --student, --reason)"
    )
    sp.add_argument("--student", metavar="ID", help="被撤销成绩单的学号 / the student of the revoked transcript")
    sp.add_argument("--reason", help="撤销原因 / why it is revoked")
    sp.add_argument("--now", help="日期，默认今天 / the date (default: today)")

    sp = command("doctor", cmd_doctor, "检查仓库设置是否满足审核流程 / check the repository settings the review needs")
    for key, what in (("repo", "repos/O/R"), ("rules", "repos/O/R/rules/branches/main"),
                      ("protection", "repos/O/R/branches/main/protection"), ("environments", "repos/O/R/environments"),
                      ("pages", "repos/O/R/pages")):  # fmt: skip
        aliases = ["--rulesets-json"] if key == "rules" else []
        sp.add_argument(f"--{key}-json", *aliases, metavar="FILE", help=f"gh api {what} 的输出 / its saved answer")
    sp.add_argument(
        "--from", dest="saved", metavar="DIR", help="含 repo.json、rules.json 等的目录 / folder of the saved answers"
    )

    sp = command("import-roster", cmd_import_roster, "从教务系统导出的 CSV 导入学生名册 / import a roster CSV export")
    sp.add_argument("export", metavar="EXPORT_CSV")

    sp = command(
        "import-claims", cmd_import_claims, "把填好的表格转换为申报文件 / turn filled spreadsheets into claim files"
    )
    sp.add_argument("files", nargs="+", metavar="FILE", help=".xlsx、.xls、.ods 或 .csv（UTF-8 或 GBK）")
    sp.add_argument("--dept", help="系部（编号或名称），默认按名册 / department (id or name); default: each student's")
    sp.add_argument("--year", help="学年，如 2015-2016：日期须在其中 / academic year the dates must fall in")
    sp.add_argument(
        "--registered", metavar="DATE", help="登记日期（表中无“登记日期”列时），默认今天 / registration date"
    )
    sp.add_argument("--check", action="store_true", help="只检查，不写文件 / check only, write nothing")
    sp.add_argument("--format", choices=["human", "json"], default="human")
    sp.add_argument(
        "--summary", metavar="FILE.md", help="写入 Markdown 摘要（合并请求评论用）/ write a Markdown summary"
    )
    sp.add_argument("--name", help="报告中使用的文件名 / the file name to report with")

    sp = command("template", cmd_template, "根据规则生成申报表格模板 / write the claims template from the rules")
    sp.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")
    sp.add_argument("--dept", help="系部（编号或名称）/ department (id or name)")
    sp.add_argument("--year", help="学年，默认本学年 / academic year (default: the current one)")

    sp = command(
        "signin-sheet",
        cmd_signin_sheet,
        "打印签到表（列与模板一致）/ print a sign-in sheet with the template's columns",
    )
    sp.add_argument("--activity", required=True, help="活动名称 / activity name")
    who = sp.add_mutually_exclusive_group(required=True)
    who.add_argument("--class", dest="klass", help="班级（名册中的班级名）/ class, as the roster names it")
    who.add_argument("--dept", help="系部（编号或名称）/ department (id or name)")
    sp.add_argument("--date", help="活动日期 YYYY-MM-DD（可选）/ activity date, printed on the sheet")
    sp.add_argument("-o", "--output", required=True, metavar="FILE.pdf|FILE.xlsx")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dekt`` console script."""
    try:
        try:
            args = parser().parse_args(argv)
        except SystemExit as exc:
            sys.stdout.flush()
            return int(exc.code or 0) if exc.code in (0, None) else EXIT_USAGE
        try:
            code = args.func(args)
            sys.stdout.flush()  # a reader that went away shows here, not in Python's own flush at exit
            return code
        except DektError as exc:
            from .report import printable

            print(f"dekt: {printable(str(exc))}", file=sys.stderr)  # it may quote a path or a value from outside
            return exc.exit_code
        except KeyboardInterrupt:
            return 130
        except BrokenPipeError:
            raise
        except Exception:  # an internal error is exit 2, not a Python crash's 1, which means "problems found"
            import traceback

            traceback.print_exc()
            print("dekt: 内部错误，请报告此问题 (internal error; please report it)", file=sys.stderr)
            return EXIT_USAGE
    except BrokenPipeError:
        # `dekt validate | head -1`: what Python's documentation advises (the signal module's "Note on SIGPIPE"):
        # point stdout at devnull, so that the flush at exit cannot fail again, and leave without a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for any program a closed pipe ended


if __name__ == "__main__":
    sys.exit(main())
