"""Transcript speed: the naive way beside the project's way, and whole builds, cold and after one claim changed.

1. One transcript, side by side in one run: WeasyPrint with the system Noto CJK font files (the naive way:
   WeasyPrint subsets the 20 MB collections for every PDF) and the project's way (the small fonts cut once
   and cached), each with WeasyPrint's two font subsetters: HarfBuzz-subset, when libharfbuzz-subset is
   installed, and fontTools otherwise (the slow case; dekt refuses to run without HarfBuzz-subset).
   Targets: a ratio of at least 30×, at most 0.25 s per one-page transcript.
2. ``dekt build`` of the demo school (site and transcripts) as a whole process: cold (empty output, empty
   font cache), then after one claim changed (only that student's transcript is rendered again).
3. The same for a generated school of 5,000 students (``--students``; ``--skip-big`` leaves it out).
4. CI after one merged batch (``--skip-batch`` leaves it out): the generated school as a Git repository, built once;
   then one merged batch of new claims for 50 students (``--batch``); then, as the publish workflow runs, a fresh
   clone built into an empty output folder with only the previous private outputs restored. It reports how many
   PDFs were rendered (it must be exactly the batch's students: every other transcript keeps its date, its code and
   its bytes) and the whole build's time (target: at most 30 s plus the renders). ``--keep DIR`` keeps the generated
   school and its first build, so a second run reuses them.

    python benchmarks/transcripts.py [--students 5000] [--batch 50] [--skip-one] [--skip-demo] [--skip-big]
                                     [--skip-batch] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTO = Path("/usr/share/fonts/opentype/noto")
NOW = "2016-07-20T10:00:00+08:00"


def dekt(*args, cwd: Path, env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "dekt.cli", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                         env={**os.environ, **(env or {})})  # fmt: skip
    seconds = time.perf_counter() - start
    if run.returncode:
        raise SystemExit(f"dekt {' '.join(map(str, args))} failed:\n{run.stderr[-3000:]}")
    return seconds, run


def rendered(stdout: str) -> str:
    m = re.search(r"成绩单 transcripts: (\d+) 份生成 rendered, (\d+) 份未变 unchanged", stdout)
    return f"{m.group(1)} rendered, {m.group(2)} unchanged" if m else "?"


def one_transcript(runs: int, cache: Path) -> None:
    """Part 1: the same transcript, the naive way and the project's way, in one process."""
    sys.path.insert(0, str(ROOT))
    from dekt.check import check_repository
    from dekt.ledger_view import ledger_data
    from dekt.transcript import canonical, fonts, render
    from dekt.transcript.writer import check_fonts, prepare_jobs
    from pypdf import PdfReader
    from weasyprint.text.fonts import FontConfiguration

    checked = check_repository(ROOT)
    rules = checked.rules
    # The student with the fewest items: the shortest transcript (the page count is printed).
    sid = min(checked.ledgers, key=lambda s: (len(checked.ledgers[s].items), s))
    data = canonical.transcript_data(ledger_data(checked.ledgers[sid], rules), rules, date(2016, 7, 20))
    code = canonical.verification_code(data)
    specs = fonts.configured(rules, ROOT)
    check_fonts(specs)

    start = time.perf_counter()
    [job], built = prepare_jobs({sid: data}, specs, cache, cache, rules.school.institution.url)
    font_seconds = time.perf_counter() - start
    system = [fonts.FontFace("Noto Serif CJK SC", "normal", NOTO / "NotoSerifCJK-Regular.ttc"),
              fonts.FontFace("Noto Serif CJK SC", "bold", NOTO / "NotoSerifCJK-Bold.ttc")]  # fmt: skip
    naive_html = render.html(data, code, system, rules.school.institution.url)

    def measure(faces, page, n):
        times, config = [], FontConfiguration()  # one per series, as each build worker keeps one
        for _ in range(n):
            t = time.perf_counter()
            body, _, _ = render.pdf(data, code, faces, font_config=config, page_html=page)
            times.append(time.perf_counter() - t)
        return statistics.median(times), len(PdfReader(io.BytesIO(body)).pages), len(body)

    import weasyprint.pdf.fonts as wp_fonts

    print(
        f"1. one transcript ({sid}, {len(data['items'])} items), the same HTML with two sets of fonts, in one process"
    )
    print(
        f"   fonts cut for this run: {built} in {font_seconds:.1f} s"
        " (once per font file and character set, then cached)"
    )
    hb = wp_fonts.harfbuzz_subset
    seen = {}
    for label, subsetter in (
        ("HarfBuzz-subset (libharfbuzz-subset0)", hb),
        ("fontTools (WeasyPrint without HarfBuzz-subset)", None),
    ):
        if label.startswith("HarfBuzz") and hb is None:
            print("   (libharfbuzz-subset is not installed here: WeasyPrint subsets with fontTools)")
            continue
        wp_fonts.harfbuzz_subset = subsetter
        n_naive = 3 if subsetter else 1
        naive, naive_pages, naive_size = measure(system, naive_html, n_naive)
        ours, pages, size = measure(list(job.faces), job.page, runs)
        print(f"   WeasyPrint subsetting with {label}:")
        print(
            f"     naive (system Noto CJK, {n_naive} run(s)): median {naive:7.3f} s   {naive_pages} page(s)"
            f"   PDF {naive_size / 1024:6.0f} KiB"
        )
        print(
            f"     dekt  (cached subsets, {runs} runs):    median {ours:7.3f} s   {pages} page(s)"
            f"   PDF {size / 1024:6.0f} KiB"
            f"   = {ours / pages:.3f} s per page"
        )
        print(f"     ratio naive / dekt: {naive / ours:.1f}×")
        seen[bool(subsetter)] = (naive, ours)
    wp_fonts.harfbuzz_subset = hb
    if len(seen) == 2:
        print(
            f"   the naive way as it runs without HarfBuzz-subset ({seen[False][0]:.2f} s) / the project's way, which"
            f" requires it ({seen[True][1]:.3f} s): {seen[False][0] / seen[True][1]:.0f}×"
            "   (target ≥ 30×, ≤ 0.25 s a page)"
        )


def school_build(label: str, repo: Path, out: Path, cache: Path, prs: Path | None, runs: int) -> None:
    """Parts 2 and 3: ``dekt build`` cold, unchanged, and after one claim changed."""
    extra = ["--prs", prs] if prs else []
    env = {"DEKT_FONT_CACHE": str(cache)}
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    cold, run = dekt("build", "--out", out, "--now", NOW, *extra, cwd=repo, env=env)
    students = len(list((out / "private/transcripts").glob("*.pdf")))
    pages = sum(1 for _ in (out / "site").rglob("index.html"))
    print(f"{label}: {students:,} students, {pages} site pages")
    print(
        f"   cold (no output, no font cache):  {cold:7.1f} s   {rendered(run.stdout)}"
        f"   = {cold / students:.3f} s per student"
    )
    same = [dekt("build", "--out", out, "--now", NOW, *extra, cwd=repo, env=env)[0] for _ in range(runs)]
    print(f"   nothing changed ({runs} runs):      median {statistics.median(same):7.1f} s")
    claims = sorted((repo / "records/claims").rglob("*.yaml"))
    target = next(p for p in claims if "student:" in p.read_text(encoding="utf-8"))
    original = target.read_text(encoding="utf-8")
    changed = []
    try:
        for i in range(runs):
            text = re.sub(r"^(activity: .*)$", rf"\g<1>（修订{i}）", original, count=1, flags=re.MULTILINE)
            target.write_text(text, encoding="utf-8")
            seconds, run = dekt("build", "--out", out, "--now", NOW, *extra, cwd=repo, env=env)
            changed.append(seconds)
        print(
            f"   one claim changed ({runs} runs):    median {statistics.median(changed):7.1f} s"
            f"   {rendered(run.stdout)}"
        )
    finally:
        target.write_text(original, encoding="utf-8")


def _git(root: Path, *args: str, day: str = "2016-07-01") -> str:
    moment = f"{day}T10:00:00+08:00"
    who = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "bench@example.invalid"}  # fmt: skip
    env = {**os.environ, **who, "GIT_AUTHOR_DATE": moment, "GIT_COMMITTER_DATE": moment}
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True).stdout


def _batch_files(repo: Path, count: int) -> dict[Path, str]:
    """New claims for ``count`` students: each a copy of one of that student's own one-person claims, renamed as a
    second activity with its own evidence (so the same rules and windows accept it)."""
    chosen: dict[str, tuple[Path, str]] = {}
    for path in sorted((repo / "records/claims").rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        m = re.search(r"^student: (\S+)$", text, flags=re.MULTILINE)
        if m and m.group(1) not in chosen and re.search(r"^activity: ", text, flags=re.MULTILINE):
            chosen[m.group(1)] = (path, text)
        if len(chosen) == count:
            break
    out = {}
    for path, text in chosen.values():
        text = re.sub(
            r"^activity: (.*)$", lambda m: f"activity: {m.group(1)}（第二期）", text, count=1, flags=re.MULTILINE
        )
        text = re.sub(
            r"^evidence: (.*)$", lambda m: f"evidence: {m.group(1)} 第二期", text, count=1, flags=re.MULTILINE
        )
        out[path.with_name(path.stem + "-batch.yaml")] = text
    return out


def after_one_batch(work: Path, students: int, batch: int) -> None:
    """Part 4: a fresh clone, previous private outputs restored, one merged batch: what is rendered, how long."""
    big, origin, first = work / "big", work / "batch-origin", work / "batch-first"
    cache = work / "fonts-batch"
    env = {"DEKT_FONT_CACHE": str(cache)}
    if not (origin / ".git").is_dir():
        if not (big / "records/students.csv").is_file():
            dekt("demo-data", "--students", students, "--seed", 2026, big, cwd=ROOT)
        shutil.rmtree(origin, ignore_errors=True)
        shutil.copytree(big, origin, ignore=shutil.ignore_patterns("_build*", ".dekt*"))
        _git(origin, "init", "-q", "-b", "main")
        _git(origin, "add", "-A")
        _git(origin, "commit", "-q", "-m", "the school's archive so far")
    if not (first / "private/transcripts/manifest.json").is_file():
        seconds, run = dekt("build", "--out", first, "--now", NOW, cwd=origin, env=env)
        print(
            f"4. after one merged batch: first build of {students:,} students {seconds:.0f} s ({rendered(run.stdout)})"
        )
    # The batch: a branch of new claims for `batch` students, merged with --no-ff a year later (an unsigned demo
    # archive: the signature check is benchmarks/provenance.py's business).
    head = _git(origin, "rev-parse", "HEAD").strip()
    files = _batch_files(origin, batch)
    try:
        _git(origin, "checkout", "-q", "-b", "batch", day="2017-03-01")
        for path, text in files.items():
            path.write_text(text, encoding="utf-8")
        _git(origin, "add", "-A")
        _git(origin, "commit", "-q", "-m", "一批申报", day="2017-03-01")
        _git(origin, "checkout", "-q", "main")
        _git(origin, "merge", "--no-ff", "-q", "-m", "合并 (#1)", "batch", day="2017-03-10")
        clone, out = work / "batch-clone", work / "batch-out"
        shutil.rmtree(clone, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
        out.mkdir()
        shutil.copytree(first / "private", out / "private")  # what actions/cache restores
        shutil.copy(first / ".dekt-build", out / ".dekt-build")
        seconds, run = dekt("build", "--out", out, "--now", "2017-03-10T12:00:00+08:00", cwd=clone, env=env)
        m = re.search(
            r"成绩单 transcripts: (\d+) 份生成 rendered, (\d+) 份未变 unchanged, \d+ 份删除 removed（([\d.]+) s）",
            run.stdout,
        )
        count, kept, render_s = int(m.group(1)), int(m.group(2)), float(m.group(3))
        changed = {p.stem.split("-")[0] for p in files}  # file names start with the student id
        per = render_s / max(count, 1)
        print(
            f"   one batch of {len(files)} new claims for {len(changed)} students,"
            " fresh clone, previous outputs restored:"
        )
        print(
            f"     PDFs rendered: {count} ({'exactly' if count == len(changed) else 'NOT'} the batch's students),"
            f" kept {kept:,}"
        )
        print(
            f"     whole build: {seconds:.1f} s, of which transcripts {render_s:.1f} s (renders and kept-file checks)"
        )
        print(
            f"     target: ≤ 30 s plus the renders (≈ {count} × {per:.2f} s):"
            f" {'met' if seconds <= 30 + render_s else 'NOT met'}"
        )
    finally:
        # Put the benchmark's own scratch repository back as it was, so that a rerun starts again.
        _git(origin, "checkout", "-q", "-f", "--detach", head)
        _git(origin, "branch", "-q", "-f", "main", head)
        _git(origin, "checkout", "-q", "main")
        _git(origin, "branch", "-q", "-D", "batch")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=5000)
    ap.add_argument("--skip-one", action="store_true", help="leave out the one-transcript comparison")
    ap.add_argument("--skip-demo", action="store_true", help="leave out the demo school")
    ap.add_argument("--skip-big", action="store_true", help="leave out the generated school")
    ap.add_argument("--skip-batch", action="store_true", help="leave out the build after one merged batch")
    ap.add_argument("--batch", type=int, default=50, help="students in the merged batch (default 50)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", help="work in this folder and keep it")
    args = ap.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="dekt-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cores; work folder {work}")
    try:
        if not args.skip_one:
            one_transcript(args.runs, work / "fonts-one")
        if not args.skip_demo:  # the repository `dekt demo` lays out, with its batch on notice
            dekt("demo", "--out", work / "demo", cwd=ROOT, env={"DEKT_FONT_CACHE": str(work / "fonts-demo")})
            repo = work / "demo" / "demo-repo"
            school_build(
                "2. demo school", repo, work / "demo-out", work / "fonts-demo", repo / ".dekt-demo/prs.json", args.runs
            )
        if not args.skip_big:
            big = work / "big"
            t0 = time.perf_counter()
            _, gen = dekt("demo-data", "--students", args.students, "--seed", 2026, big, cwd=ROOT)
            stats = json.loads(gen.stdout)
            print(
                f"   (generated {stats['students']:,} students, {stats['claims']:,} claims"
                f" in {time.perf_counter() - t0:.0f} s)"
            )
            school_build("3. generated school", big, work / "big-out", work / "fonts-big", None, max(1, args.runs // 2))
        if not args.skip_batch:
            after_one_batch(work, args.students, args.batch)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
