"""Claim files on disk → entries, one per student and activity; parsed once per content, then cached."""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, get_args, get_type_hints

import pydantic

from . import parsecache
from .diagnostics import Diagnostic, Severity, diag
from .models import to_model
from .models.claims import PERSONAL_FIELDS, ClaimFile, Revocation
from .yamlload import Document, find, load, parse, position

CLAIMS_DIR = "records/claims"
ROSTER_FILE = "records/students.csv"
CACHE_DIR = ".dekt-cache"  # where dekt once kept its cache in the work tree: never read, an error if tracked
CLAIM_SUFFIXES = (".yaml", ".yml")
# Bump when parsing or the Entry shape changes, so old caches are ignored rather than misread.
CACHE_FORMAT = f"claims-5-pydantic{pydantic.VERSION}"


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
    advisor: str | None = None  # the research advisor (指导教师) the file names
    credit_class: str | None = None  # the credit-bearing class (学分制教学班) the file names

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
        registered=claim.registered, level=claim.level, advisor=claim.advisor, credit_class=claim.credit_class,
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
        out.append(
            Entry(**{**common, **own, "student": p.student}, index=i, line=line, col=col, shared_evidence=shared)
        )
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


def scan_records(root: Path) -> tuple[list[str], list[Diagnostic]]:
    """The claim files dekt reads (sorted), and a diagnostic for every path under records/ it refuses.

    Symbolic links are refused, never followed (a link can lead out of the repository); so is any file under
    records/claims/ that is not ``*.yaml``/``*.yml``, which would otherwise be skipped without a word.
    """
    files: list[str] = []
    problems: list[Diagnostic] = []
    prefix = os.path.join(root, "")
    stack = [os.path.join(root, "records")]
    while stack:
        folder = stack.pop()
        rel_folder = folder[len(prefix) :].replace(os.sep, "/")
        if os.path.islink(folder):
            problems.append(diag("DK116", rel_folder))
            continue
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # no records/ at all, or not a folder: the roster and rules checks say what is missing
        for entry in entries:
            rel = f"{rel_folder}/{entry.name}"
            if entry.is_symlink():
                if rel != ROSTER_FILE:  # the roster's own loader refuses it, in its own words
                    problems.append(diag("DK116", rel))
            elif entry.is_dir():
                stack.append(entry.path)
            elif rel.startswith(CLAIMS_DIR + "/"):
                if entry.name.endswith(CLAIM_SUFFIXES):
                    files.append(rel)
                else:
                    problems.append(diag("DK115", rel))
    return sorted(files), sorted(problems)


def claim_files(root: Path) -> list[str]:
    """Every ``*.yaml``/``*.yml`` file under records/claims that is not a link, as sorted relative paths."""
    return scan_records(root)[0]


def tracked_cache(root: Path) -> list[Diagnostic]:
    """A committed ``.dekt-cache/``: dekt never reads it, but nothing of the kind belongs in a pull request."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--", CACHE_DIR], cwd=root, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return [diag("DK117", name) for name in sorted(os.fsdecode(n) for n in out.split(b"\0") if n)]


# ---------------------------------------------------------------- the parse cache's entries, as plain JSON

# An entry is stored as its head (index, line, col, student) and the index of its "rest" (every other field),
# kept once per file: the participants of a group file share all of it but a few personal fields.
_HEAD = ("file", "index", "line", "col", "student")
assert Entry._fields[: len(_HEAD)] == _HEAD, "the cache's layout assumes these first fields"
_REST = Entry._fields[len(_HEAD) :]
_FORMAT = f"{CACHE_FORMAT}/json-1/" + ",".join(Entry._fields)
_day = lru_cache(maxsize=None)(date.fromordinal)
_number = lru_cache(maxsize=None)(Decimal)


def _codec(kind: object) -> tuple:
    """How one field of Entry goes to JSON and back: dates as day numbers, decimals as their text."""
    if kind is date:
        return (lambda v: v.toordinal()), _day
    if Decimal in (kind, *get_args(kind)):
        return (lambda v: None if v is None else str(v)), (lambda v: None if v is None else _number(v))
    return None, None


_CODECS = [_codec(get_type_hints(Entry)[f]) for f in _REST]
_REST_TO = [to for to, _ in _CODECS]
_REST_FROM = [back for _, back in _CODECS]


def _encode_result(result: FileResult) -> list:
    rests: dict[tuple, int] = {}
    flat: list = []
    for e in result.entries:
        rest = tuple(to(v) if to else v for to, v in zip(_REST_TO, e[len(_HEAD) :]))
        flat += [e.index, e.line, e.col, e.student, rests.setdefault(rest, len(rests))]
    problems = [[d.file, d.line, d.col, d.code, d.severity.value, d.message] for d in result.problems]
    return [[list(r) for r in rests], flat, problems, None if result.amends is None else list(result.amends)]


def _decode_result(file: str, payload: list) -> FileResult:
    """Rebuild a file's result; raises (TypeError, ValueError, …) on anything that is not what was stored."""
    rest_lists, flat, problems, amends = payload
    rests = []
    for r in rest_lists:
        if len(r) != len(_REST):
            raise ValueError("a cached entry of another shape")
        rests.append(tuple(back(v) if back else v for back, v in zip(_REST_FROM, r)))
    if len(flat) % 5:
        raise ValueError("a cached entry of another shape")
    it = iter(flat)
    make = tuple.__new__  # what Entry._make does, without a Python call per entry
    entries = tuple(make(Entry, (file, i, ln, c, s) + rests[k]) for i, ln, c, s, k in zip(it, it, it, it, it))
    diags = tuple(Diagnostic(f, ln, c, code, Severity(sev), m) for f, ln, c, code, sev, m in problems)
    return FileResult(entries, diags, None if amends is None else Amendment(*amends))


class ClaimCache:
    """Per-file parse results keyed by Git blob id, in the user's cache folder (see ``parsecache``)."""

    def __init__(self, root: Path, enabled: bool = True):
        self.path = parsecache.cache_file(root) if enabled else None
        self.enabled = self.path is not None
        self.old = parsecache.read_table(self.path, _FORMAT) if self.path else {}
        self.new: dict[str, list] = {}
        self.dirty = False

    def get(self, file: str, oid: str) -> FileResult | None:
        payload = parsecache.lookup(self.old, file, oid)
        if payload is None:
            return None
        try:
            result = _decode_result(file, payload)
        except (TypeError, ValueError, KeyError, IndexError, ArithmeticError, OverflowError):
            return None  # an entry that does not decode is parsed again, and replaced
        self.new[file] = [oid, payload]
        return result

    def put(self, file: str, oid: str, result: FileResult) -> None:
        self.new[file] = [oid, _encode_result(result)]
        self.dirty = True

    def save(self) -> None:
        # Every entry kept was taken unchanged from the old table, so same size and no new entry means no change.
        if self.path and (self.dirty or len(self.new) != len(self.old)):
            parsecache.write_table(self.path, _FORMAT, self.new)


@dataclass(frozen=True)
class Records:
    """Every claim file's result, in path order."""

    files: dict[str, FileResult]
    parsed: int  # how many files were parsed this run rather than taken from the cache
    refused: tuple[Diagnostic, ...] = ()  # paths under records/ that are not read (links, other file types…)

    @property
    def entries(self) -> list[Entry]:
        return [e for r in self.files.values() for e in r.entries]

    @property
    def problems(self) -> list[Diagnostic]:
        return [d for r in self.files.values() for d in r.problems] + list(self.refused)


def load_records(root: Path, *, use_cache: bool = True, only: set[str] | None = None) -> Records:
    """Load every claim file (or those in ``only``), parsing only what changed since the cache was written."""
    files, refused = scan_records(root)
    if only is not None:
        files = [f for f in files if f in only]
        refused = [d for d in refused if d.file in only]
    else:
        refused += tracked_cache(root)
    with parsecache.gc_paused():
        return _load(root, files, refused, use_cache and only is None)


def _load(root: Path, files: list[str], refused: list[Diagnostic], use_cache: bool) -> Records:
    cache = ClaimCache(root, enabled=use_cache)
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
    return Records(results, parsed, tuple(refused))


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
