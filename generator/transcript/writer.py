"""Write every student's transcript: fonts once per run, PDFs in parallel, only for students whose inputs changed.

Outputs (``OUT`` is the build folder):

* ``OUT/private/transcripts/<student id>.pdf`` — the transcripts (private);
* ``OUT/private/transcripts/manifest.json`` — per student: the code, the PDF's SHA-256 and size, and the
  hash of everything the PDF was made from, so an unchanged student is not rendered again;

and, for the site, each transcript's public record (masked name, totals, items, issue date, the PDF's
SHA-256) with its code; the site seals each record under its code (``dekt.site.sealed``), so the
records cannot be listed or read without one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from ..diagnostics import DektError
from ..files import write_atomic
from ..output import link_or_copy
from . import canonical, fonts, render

MANIFEST = "manifest.json"
_SAFE_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$")
_WHITESPACE = set("\n\r\t")


@dataclass(frozen=True)
class Job:
    """One transcript to render: its data, code, page and fonts, and where the PDF goes."""

    student: str
    data: dict
    code: str
    page: str
    faces: tuple[fonts.FontFace, ...]
    target: Path


@dataclass(frozen=True)
class Written:
    """What a run did: how many PDFs it rendered, kept and removed, fonts built, and how long it took."""

    rendered: int
    kept: int
    removed: int
    fonts_built: int
    seconds: float
    folder: Path
    records: tuple[tuple[str, dict], ...] = ()  # (code, public record) of every transcript, for the site


@lru_cache(maxsize=1)
def _template_digest() -> str:
    h = hashlib.sha256()
    for path in sorted(render.TEMPLATES.iterdir()):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def render_key(specs: dict[str, fonts.FontSpec], url: str | None) -> str:
    """Everything besides a student's data that a PDF depends on: templates, fonts, versions, the site URL."""
    from importlib.metadata import version

    from .. import __version__

    parts = [_template_digest(), *(fonts.font_key(s) for s in specs.values()), __version__, url or "",
             *(version(p) for p in ("weasyprint", "pydyf", "segno", "uharfbuzz"))]  # fmt: skip
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def check_fonts(specs: dict[str, fonts.FontSpec]) -> None:
    """Stop with a clear message when a configured font file is missing or lacks the configured face, or when
    WeasyPrint would subset fonts with fontTools (seven times slower, measured by benchmarks/transcripts.py)."""
    from weasyprint.text.ffi import harfbuzz_subset

    if harfbuzz_subset is None:
        raise DektError(
            "WeasyPrint 找不到 HarfBuzz 的字体子集库，生成成绩单会慢数倍；Debian 上请安装 libharfbuzz-subset0 "
            "(WeasyPrint cannot load HarfBuzz-subset and would subset fonts slowly: on Debian, apt-get install libharfbuzz-subset0)"
        )
    for weight, spec in specs.items():
        if not spec.path.is_file():
            raise DektError(
                f"成绩单字体文件不存在：{spec.path}（rules/school.yaml transcript.font.{weight}）；"
                f"Debian 上可安装 fonts-noto-cjk (the transcript font file is missing; on Debian install fonts-noto-cjk)"
            )
        try:
            spec.index()
        except Exception as exc:
            raise DektError(f"无法使用字体 {spec.path}：{exc} (cannot use the font)") from None


def prepare_jobs(transcripts: dict[str, dict], specs, cache: Path, folder: Path, url: str | None) -> tuple[list[Job], int]:
    """Each student's code, HTML and fonts; builds the fonts the run needs. Returns the jobs and fonts built."""
    base = fonts.faces(specs, frozenset(), cache)
    pending = []
    for sid, data in transcripts.items():
        code = canonical.verification_code(data)
        page = render.html(data, code, base, url)
        extras = frozenset(set(page) - fonts.BASE - _WHITESPACE)
        pending.append((sid, data, code, page, extras))
    built = fonts.prepare(specs, {p[4] for p in pending}, cache, jobs=os.cpu_count() or 1)
    jobs = []
    for sid, data, code, page, extras in pending:
        faces = tuple(fonts.faces(specs, extras, cache))
        if extras:  # the page names the extras fonts too
            page = render.html(data, code, list(faces), url)
        jobs.append(Job(sid, data, code, page, faces, folder / f"{sid}.pdf"))
    return jobs, built


_FONT_CONFIG = None


def render_job(job: Job) -> tuple[str, str, int]:
    """Render one PDF and write it; return the student id, the PDF's SHA-256 and its size."""
    global _FONT_CONFIG
    from weasyprint.text.fonts import FontConfiguration

    if _FONT_CONFIG is None:  # one per process: fonts are registered once, not for every PDF
        _FONT_CONFIG = FontConfiguration()
    body, fetch, warnings = render.pdf(job.data, job.code, list(job.faces), font_config=_FONT_CONFIG, page_html=job.page)
    if fetch.refused or warnings:
        raise RuntimeError(f"{job.student}: refused {fetch.refused}; warnings {warnings}")
    write_atomic(job.target, body)
    return job.student, hashlib.sha256(body).hexdigest(), len(body)


def _run(jobs: list[Job], workers: int, progress: bool):
    """Render ``jobs`` on ``workers`` processes, yielding results as they finish, with a progress bar."""
    from tqdm import tqdm

    bar = tqdm(total=len(jobs), desc="成绩单 transcripts", unit="份", disable=None if progress else True, file=sys.stderr)
    try:
        if workers <= 1 or len(jobs) <= 2:
            for job in jobs:
                yield render_job(job)
                bar.update()
            return
        import multiprocessing

        # fork: the workers start at once with everything loaded; none of them has touched Pango yet.
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for result in pool.imap_unordered(render_job, jobs, chunksize=max(1, min(16, len(jobs) // (workers * 8)))):
                yield result
                bar.update()
    finally:
        bar.close()


def _load_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        return manifest if manifest.get("format") == "dekt-transcripts/1" else {}
    except (OSError, ValueError):
        return {}


def _write_manifest(folder: Path, issued: date, entries: dict) -> None:
    manifest = {"format": "dekt-transcripts/1", "issue_date": issued.isoformat(), "transcripts": entries}
    write_atomic(folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8") + b"\n")


def write_transcripts(
    rules, ledgers: dict[str, dict], out: Path, issued: date, root: Path, *, jobs: int | None = None,
    progress: bool = True, previous: Path | None = None,
) -> Written:  # fmt: skip
    """Write the transcripts of every ledger (``ledger_data`` dicts) under ``out``; re-render only what changed.

    ``previous`` is the last build's transcripts folder when ``out`` is a fresh stage: its unchanged PDFs are
    linked into the stage instead of being rendered again, and it is never written.
    """
    start = time.perf_counter()
    specs = fonts.configured(rules, root)
    check_fonts(specs)
    cache = fonts.cache_dir(root)
    url = rules.school.institution.url
    folder = out / "private" / "transcripts"
    previous = previous or folder
    transcripts = {sid: canonical.transcript_data(ledger, rules, issued) for sid, ledger in sorted(ledgers.items())}
    key = render_key(specs, url)
    old = _load_manifest(previous / MANIFEST).get("transcripts", {})
    entries, changed = {}, {}
    for sid, data in transcripts.items():
        if not _SAFE_ID.match(sid):
            raise DektError(f"学号 {sid!r} 不能用作文件名 (student id {sid!r} cannot be a file name)")
        code = canonical.verification_code(data)
        inputs = hashlib.sha256(key.encode() + b"\0" + canonical.canonical_json(data)).hexdigest()
        entries[sid] = {"code": code, "inputs": inputs}
        prev, kept = old.get(sid), previous / f"{sid}.pdf"
        if prev and prev.get("inputs") == inputs and kept.is_file() and kept.stat().st_size == prev.get("size"):
            entries[sid].update(pdf_sha256=prev["pdf_sha256"], size=prev["size"])
            if previous != folder:
                link_or_copy(kept, folder / f"{sid}.pdf")
        else:
            changed[sid] = data
    todo, built = prepare_jobs(changed, specs, cache, folder, url)
    # Until the run ends, the manifest lists only the PDFs known to be right: an interrupted run re-renders the rest.
    _write_manifest(folder, issued, {sid: e for sid, e in entries.items() if sid not in changed})
    try:
        for sid, sha, size in _run(todo, jobs or os.cpu_count() or 1, progress):
            entries[sid].update(pdf_sha256=sha, size=size)
    except RuntimeError as exc:
        raise DektError(f"成绩单生成失败 (a transcript failed to render): {exc}") from exc
    removed = 0
    for sid in old:  # students gone since the last run: their transcripts go too
        if sid not in entries:
            removed += 1
            if previous == folder:
                (folder / f"{sid}.pdf").unlink(missing_ok=True)
    _write_manifest(folder, issued, entries)
    records = tuple((e["code"], canonical.public_record(transcripts[sid], e["code"], e["pdf_sha256"])) for sid, e in entries.items())
    return Written(len(todo), len(entries) - len(todo), removed, built, time.perf_counter() - start, folder, records)


def write_one(rules, ledger: dict, issued: date, root: Path, target: Path, *, as_html: bool = False) -> str:
    """Write one student's transcript (PDF, or the HTML preview) to ``target``; return its code."""
    specs = fonts.configured(rules, root)
    check_fonts(specs)
    data = canonical.transcript_data(ledger, rules, issued)
    [job], _ = prepare_jobs({data["student"]["id"]: data}, specs, fonts.cache_dir(root), target.parent, rules.school.institution.url)
    if as_html:
        write_atomic(target, job.page.encode("utf-8"))
    else:
        try:
            render_job(Job(job.student, job.data, job.code, job.page, job.faces, target))
        except RuntimeError as exc:
            raise DektError(f"成绩单生成失败 (the transcript failed to render): {exc}") from exc
    return job.code
