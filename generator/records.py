"""Claim files on disk → entries, one per student and activity; parsed once per content, then cached."""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pydantic

from .diagnostics import Diagnostic
from .files import write_atomic
from .models import to_model
from .models.claims import PERSONAL_FIELDS, ClaimFile, Revocation
from .yamlload import Document, find, load, parse, position

CLAIMS_DIR = "records/claims"
ROSTER_FILE = "records/students.csv"
CACHE_DIR = ".dekt-cache"
# Bump when parsing or the Entry shape changes, so old caches are ignored rather than misread.
CACHE_FORMAT = f"claims-4-pydantic{pydantic.VERSION}"


class Entry(NamedTuple):
    """One student's claim to one activity: a claim file's fields with the participant's own on top."""

    file: str
    index: int | None  # position in ``participants``; None for a one-person file
    line: int
    col: int
    student: str
    category: str
    activity: str
    date: date
    registered: date
    level: str | None
    award: str | None
    role: str | None
    rank: int | None
    hours: Decimal | None
    course: str | None
    credits: Decimal | None
    evidence: str | None
    shared_evidence: bool  # the evidence is the file's, shared by all its participants

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def path(self, field: str | None = None) -> tuple:
        """The YAML path of this entry, or of one of its fields, for locating diagnostics."""
        base: tuple = () if self.index is None else ("participants", self.index)
        return base if field is None else base + (field,)


class Amendment(NamedTuple):
    """A correction or revocation record's claim on an archived file."""

    kind: str  # "corrects" or "revokes"
    target: str  # repository-relative path of the archived claim file
    reason: str
    line: int
    col: int


@dataclass(frozen=True)
class FileResult:
    """What one claim file yields: its entries, or the diagnostics that kept it from yielding any."""

    entries: tuple[Entry, ...]
    problems: tuple[Diagnostic, ...]
    amends: Amendment | None = None


def entries_from(claim: ClaimFile, file: str, doc) -> tuple[Entry, ...]:
    """Flatten a claim file into entries; a participant's own fields override the file's."""
    common = dict(
        file=file, student=None, category=claim.category, activity=claim.activity, date=claim.date,
        registered=claim.registered, level=claim.level,
        **{f: getattr(claim, f) for f in PERSONAL_FIELDS},
    )  # fmt: skip
    if claim.participants is None:
        line, col = doc.locate(("student",))
        return (Entry(**{**common, "student": claim.student}, index=None, line=line, col=col, shared_evidence=False),)
    out = []
    for i, p in enumerate(claim.participants):
        own = {f: getattr(p, f) for f in PERSONAL_FIELDS if getattr(p, f) is not None}
        line, col = doc.locate(("participants", i))
        shared = "evidence" not in own and claim.evidence is not None
        out.append(Entry(**{**common, **own, "student": p.student}, index=i, line=line, col=col, shared_evidence=shared))
    return tuple(out)


def parse_claim_file(raw: bytes, file: str) -> FileResult:
    """Parse one claim file's bytes into entries, or into the reasons it cannot be read."""
    doc, problems = parse(raw, file)
    if doc is None:
        return FileResult((), tuple(problems))
    if "revokes" in doc.data:
        record, problems = to_model(doc, Revocation)
        if record is None:
            return FileResult((), tuple(problems))
        return FileResult((), (), Amendment("revokes", record.revokes, record.reason, *doc.locate(("revokes",))))
    claim, problems = to_model(doc, ClaimFile)
    if claim is None:
        return FileResult((), tuple(problems))
    amends = None
    if claim.corrects is not None:
        amends = Amendment("corrects", claim.corrects, claim.reason, *doc.locate(("corrects",)))
    return FileResult(entries_from(claim, file, doc), (), amends)


def blob_id(raw: bytes) -> str:
    """Git's object id for a blob with these bytes, so the cache can reuse Git's own ids."""
    return hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest()


def _git_ids(root: Path, rel_dir: str) -> dict[str, str] | None:
    """Blob ids of the clean tracked files under ``rel_dir``, from Git's index; None outside Git."""
    try:
        staged = subprocess.run(
            ["git", "ls-files", "--stage", "-z", "--", rel_dir], cwd=root, capture_output=True, check=True
        ).stdout
        # Paths relative to ``root`` even when it is a folder inside a larger repository (status would not be).
        dirty = subprocess.run(
            ["git", "ls-files", "--modified", "-z", "--", rel_dir], cwd=root, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    ids = {}
    for rec in staged.split(b"\0"):
        if rec:
            meta, _, name = rec.partition(b"\t")
            ids[name.decode()] = meta.split()[1].decode()
    for rec in dirty.split(b"\0"):
        if rec:
            ids.pop(rec.decode(), None)
    return ids


def claim_files(root: Path) -> list[str]:
    """Every ``*.yaml``/``*.yml`` file under records/claims, as sorted repository-relative paths."""
    base = root / CLAIMS_DIR
    out = []
    for dirpath, _, names in os.walk(base):
        rel = Path(dirpath).relative_to(root).as_posix()
        out.extend(f"{rel}/{n}" for n in names if n.endswith((".yaml", ".yml")))
    return sorted(out)


class ClaimCache:
    """Per-file parse results keyed by blob id, kept in ``.dekt-cache/`` (never committed)."""

    def __init__(self, root: Path, enabled: bool = True):
        self.path = root / CACHE_DIR / "claims.pickle"
        self.enabled = enabled
        self.old: dict[str, tuple[str, FileResult]] = {}
        self.new: dict[str, tuple[str, FileResult]] = {}
        if enabled:
            try:
                with open(self.path, "rb") as fh:
                    fmt, table = pickle.load(fh)
                if fmt == CACHE_FORMAT:
                    self.old = table
            except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
                self.old = {}

    def get(self, file: str, oid: str) -> FileResult | None:
        hit = self.old.get(file)
        if hit and hit[0] == oid:
            self.new[file] = hit
            return hit[1]
        return None

    def put(self, file: str, oid: str, result: FileResult) -> None:
        self.new[file] = (oid, result)

    def save(self) -> None:
        if not self.enabled or self.new == self.old:
            return
        self.path.parent.mkdir(exist_ok=True)
        (self.path.parent / ".gitignore").write_text("*\n")
        write_atomic(self.path, pickle.dumps((CACHE_FORMAT, self.new), protocol=pickle.HIGHEST_PROTOCOL))


@dataclass(frozen=True)
class Records:
    """Every claim file's result, in path order."""

    files: dict[str, FileResult]
    parsed: int  # how many files were parsed this run rather than taken from the cache

    @property
    def entries(self) -> list[Entry]:
        return [e for r in self.files.values() for e in r.entries]

    @property
    def problems(self) -> list[Diagnostic]:
        return [d for r in self.files.values() for d in r.problems]


def load_records(root: Path, *, use_cache: bool = True, only: set[str] | None = None) -> Records:
    """Load every claim file (or those in ``only``), parsing only what changed since the cache was written."""
    files = claim_files(root)
    if only is not None:
        files = [f for f in files if f in only]
    cache = ClaimCache(root, enabled=use_cache and only is None)
    ids = _git_ids(root, CLAIMS_DIR) if cache.enabled else None
    results: dict[str, FileResult] = {}
    parsed = 0
    for rel in files:
        oid = ids.get(rel) if ids else None
        if oid is not None and (hit := cache.get(rel, oid)) is not None:
            results[rel] = hit
            continue
        try:
            raw = (root / rel).read_bytes()
        except OSError:
            results[rel] = FileResult((), tuple(load(root / rel, rel)[1]))
            continue
        oid = blob_id(raw)
        hit = cache.get(rel, oid)
        if hit is None:
            hit = parse_claim_file(raw, rel)
            cache.put(rel, oid, hit)
            parsed += 1
        results[rel] = hit
    cache.save()
    return Records(results, parsed)


class Locator:
    """Find the line and column of a field of an entry, re-reading the file only when asked."""

    def __init__(self, root: Path):
        self.root = root
        self._docs: dict[str, Document | None] = {}

    def at(self, entry: Entry, field: str | None = None) -> tuple[int, int]:
        """Where ``field`` of ``entry`` is written: the participant's own value first, then the file's."""
        if field is None:
            return entry.line, entry.col
        if entry.file not in self._docs:
            self._docs[entry.file] = load(self.root / entry.file, entry.file)[0]
        doc = self._docs[entry.file]
        if doc is None:
            return entry.line, entry.col
        node = find(doc.root, entry.path(field)) if entry.index is not None else None
        node = node or find(doc.root, (field,))
        return position(node) if node is not None else (entry.line, entry.col)
