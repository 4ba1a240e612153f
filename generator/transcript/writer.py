"""Write every student's transcript: fonts once per run, PDFs in parallel, only for students whose inputs changed.

Outputs (``OUT`` is the build folder):

* ``OUT/private/transcripts/<student id>.pdf`` — the transcripts (private);
* ``OUT/private/transcripts/manifest.json`` — per student: the code, the issue date, the PDF's SHA-256 and
  size, the public record, and the hash of everything the PDF was made from, so an unchanged student is not
  rendered again (it holds no build date: a build that changes no transcript leaves it byte for byte as it was);

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
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from ..diagnostics import DektError
from ..files import write_atomic
from ..output import link_or_copy
from . import canonical, fonts, render, sign

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
    signing: tuple[str, bytes] | None = None  # the PKCS#12 file and password to sign with (dekt.transcript.sign)


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
    current: dict[str, tuple[str, dict]] = field(default_factory=dict)  # student → (code, public record)


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
            "(WeasyPrint cannot load HarfBuzz-subset and would subset fonts slowly: "
            "on Debian, apt-get install libharfbuzz-subset0)"
        )
    for weight, spec in specs.items():
        if not spec.path.is_file():
            raise DektError(
                f"成绩单字体文件不存在：{spec.path}（rules/school.yaml transcript.font.{weight}）；"
                "Debian 上可安装 fonts-noto-cjk "
                "(the transcript font file is missing; on Debian install fonts-noto-cjk)"
            )
        try:
            spec.index()
        except Exception as exc:
            raise DektError(f"无法使用字体 {spec.path}：{exc} (cannot use the font)") from None


def prepare_jobs(
    transcripts: dict[str, dict], specs, cache: Path, folder: Path, url: str | None
) -> tuple[list[Job], int]:
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
_SIGNER = None


def render_job(job: Job) -> tuple[str, str, int]:
    """Render one PDF (signed when the job says so) and write it; return the student id, the SHA-256 of the
    unsigned PDF (what the register keeps) and the size of the file written."""
    global _FONT_CONFIG, _SIGNER
    from weasyprint.text.fonts import FontConfiguration

    if _FONT_CONFIG is None:  # one per process: fonts are registered once, not for every PDF
        _FONT_CONFIG = FontConfiguration()
    body, fetch, warnings = render.pdf(
        job.data, job.code, list(job.faces), font_config=_FONT_CONFIG, page_html=job.page
    )
    if fetch.refused or warnings:
        raise RuntimeError(f"{job.student}: refused {fetch.refused}; warnings {warnings}")
    sha = hashlib.sha256(body).hexdigest()
    if job.signing is not None:
        if _SIGNER is None or _SIGNER[0] != job.signing:  # one per process, like the fonts
            _SIGNER = (job.signing, sign.load_signer(job.signing))
        body = sign.sign_pdf(body, _SIGNER[1])
    write_atomic(job.target, body)
    return job.student, sha, len(body)


def _run(jobs: list[Job], workers: int, progress: bool):
    """Render ``jobs`` on ``workers`` processes, yielding results as they finish, with a progress bar."""
    from tqdm import tqdm

    bar = tqdm(
        total=len(jobs), desc="成绩单 transcripts", unit="份", disable=None if progress else True, file=sys.stderr
    )
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
        return manifest if manifest.get("format") == "dekt-transcripts/2" else {}
    except (OSError, ValueError):
        return {}


def _write_manifest(folder: Path, entries: dict) -> None:
    manifest = {"format": "dekt-transcripts/2", "transcripts": entries}
    write_atomic(
        folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8") + b"\n"
    )


def write_transcripts(
    rules, ledgers: dict[str, dict], out: Path, issued: date | dict[str, date], root: Path, *, jobs: int | None = None,
    progress: bool = True, previous: Path | None = None,
) -> Written:  # fmt: skip
    """Write the transcripts of every ledger (``ledger_data`` dicts) under ``out``; re-render only what changed.

    ``issued`` is each student's issue date (``canonical.record_date``), or one date for all. ``previous`` is the
    last build's transcripts folder when ``out`` is a fresh stage: its unchanged PDFs are linked into the stage
    instead of being rendered again, and it is never written.
    """
    start = time.perf_counter()
    specs = fonts.configured(rules, root)
    check_fonts(specs)
    cache = fonts.cache_dir(root)
    url = rules.school.institution.url
    folder = out / "private" / "transcripts"
    previous = previous or folder
    day = issued.get if isinstance(issued, dict) else (lambda _sid: issued)
    transcripts = {sid: canonical.transcript_data(ledger, rules, day(sid)) for sid, ledger in sorted(ledgers.items())}
    signing = sign.configured()
    signed_by = sign.signer_id(signing)  # a kept PDF must carry this build's signature (or none, as this one)
    key = render_key(specs, url)
    old = _load_manifest(previous / MANIFEST).get("transcripts", {})
    entries, changed = {}, {}
    for sid, data in transcripts.items():
        if not _SAFE_ID.match(sid):
            raise DektError(f"学号 {sid!r} 不能用作文件名 (student id {sid!r} cannot be a file name)")
        code = canonical.verification_code(data)
        inputs = hashlib.sha256(key.encode() + b"\0" + canonical.canonical_json(data)).hexdigest()
        entries[sid] = {"code": code, "inputs": inputs, "issue_date": data["issue_date"], "signed_by": signed_by}
        prev, kept = old.get(sid), previous / f"{sid}.pdf"
        same = prev and prev.get("inputs") == inputs and prev.get("signed_by", "") == signed_by
        if same and kept.is_file() and kept.stat().st_size == prev.get("size"):
            entries[sid].update(pdf_sha256=prev["pdf_sha256"], size=prev["size"])
            if previous != folder:
                link_or_copy(kept, folder / f"{sid}.pdf")
        else:
            changed[sid] = data
    todo, built = prepare_jobs(changed, specs, cache, folder, url)
    if signing is not None:
        todo = [Job(j.student, j.data, j.code, j.page, j.faces, j.target, signing) for j in todo]
    # Until the run ends, the manifest lists only the PDFs known to be right: an interrupted run re-renders the rest.
    _write_manifest(folder, {sid: e for sid, e in entries.items() if sid not in changed})
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
    for sid, e in entries.items():
        e["record"] = canonical.public_record(transcripts[sid], e["code"], e["pdf_sha256"])
    _write_manifest(folder, entries)
    records = tuple((e["code"], e["record"]) for e in entries.values())
    current = {sid: (e["code"], e["record"]) for sid, e in entries.items()}
    return Written(
        len(todo), len(entries) - len(todo), removed, built, time.perf_counter() - start, folder, records, current
    )


def write_one(rules, ledger: dict, issued: date, root: Path, target: Path, *, as_html: bool = False) -> str:
    """Write one student's transcript (PDF, or the HTML preview) to ``target``; return its code."""
    specs = fonts.configured(rules, root)
    check_fonts(specs)
    data = canonical.transcript_data(ledger, rules, issued)
    [job], _ = prepare_jobs(
        {data["student"]["id"]: data}, specs, fonts.cache_dir(root), target.parent, rules.school.institution.url
    )
    if as_html:
        write_atomic(target, job.page.encode("utf-8"))
    else:
        try:
            render_job(Job(job.student, job.data, job.code, job.page, job.faces, target, sign.configured()))
        except RuntimeError as exc:
            raise DektError(f"成绩单生成失败 (the transcript failed to render): {exc}") from exc
    return job.code
