"""The register of every transcript ever issued: append-only, in the repository, certified like any claim.

Where it lives, and why there. CI keeps no state, so the register must be found by a fresh clone: it is a set of
JSON-lines files, ``records/register/<enrollment year>.jsonl``, one line per issued transcript, appended by
``dekt register`` (``register_update``) and committed with academic affairs' SSH signature, right after the
signed merge whose transcripts it records (the merge workflow, or an officer's ``dekt register --sign``).
Being under ``records/``, every register file falls under the chain of custody (``dekt.custody``): a line added
by an unsigned commit, or by a key not in ``rules/allowed_signers``, makes that file uncertified: ``dekt
validate`` and ``dekt build`` name the commit (DK720) and no entry of that file is ever sealed for the
verification page. So whoever can push cannot make a forged transcript verify; only academic affairs' key can
add to the register, as only it can certify a claim. ``dekt build`` reads the register and never writes it.

Why a second signed commit after the merge, not lines inside the merge commit: a transcript is made only from the
signed archive (``dekt.custody``), and its date is the merge's own; both exist only once the merge commit does. So
the merge step builds the merged commit and then appends and signs (``dekt build && dekt register --sign``); the
register commit touches nothing but ``records/register/``, so it changes no transcript. Why not the build itself:
CI holds no key, and a register written by a build would be as forgeable as the build's workflow.

What a line says (data, never trusted because a line says so — only because its file is certified):

    {"student": "2014010001", "record": {<the public record: code, issue_date, data_sha256, pdf_sha256, …>}}
    {"student": "2014010001", "revoke": "DK-…", "date": "2017-03-01", "reason": "…"}

Nothing is ever rewritten: "superseded on DATE" is derived when the register is read (the next transcript of the
same student, in the order of the file, was issued on DATE), so old lines stay byte for byte as signed. A
transcript's ``pdf_sha256`` is that of the unsigned PDF (the PAdES signature is an incremental update on top of
it, see ``dekt.transcript.sign``); the ``record`` is what the verification page shows once the code opens it.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..diagnostics import DektError
from ..files import write_atomic
from .canonical import canonical_json

REGISTER_DIR = "records/register"
BUILD_INFO = "build.json"  # OUT/private/build.json: the commit a build was made from


@dataclass(frozen=True)
class Entry:
    """One issued transcript as the register holds it, and where (file and line)."""

    student: str
    record: dict
    file: str
    line: int

    @property
    def code(self) -> str:
        return self.record["code"]


@dataclass(frozen=True)
class Revocation:
    """A transcript withdrawn by academic affairs (or because its student left the roster)."""

    student: str
    code: str
    date: str
    reason: str


@dataclass
class Register:
    """The certified entries and revocations, and what was left out and why (file, state or problem)."""

    entries: list[Entry] = field(default_factory=list)
    revocations: dict[str, Revocation] = field(default_factory=dict)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (file, why) — uncertified, pending, unreadable

    def history(self) -> dict[str, list[Entry]]:
        """Each student's transcripts in the order they were issued."""
        out: dict[str, list[Entry]] = {}
        for e in self.entries:
            out.setdefault(e.student, []).append(e)
        return out

    def latest(self) -> dict[str, str]:
        """Each student's last registered code (revoked or not)."""
        return {sid: entries[-1].code for sid, entries in self.history().items()}


def register_files(root: Path) -> list[Path]:
    """The register's files in the work tree, in name order."""
    folder = root / REGISTER_DIR
    return sorted(folder.glob("*.jsonl")) if folder.is_dir() else []


def _parse(rel: str, text: str, reg: Register) -> None:
    entries, revocations = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            sid = row["student"]
            if "record" in row:
                rec = row["record"]
                assert isinstance(rec, dict) and isinstance(rec["code"], str) and isinstance(rec["pdf_sha256"], str)
                assert isinstance(rec["issue_date"], str) and isinstance(rec["data_sha256"], str)
                entries.append(Entry(sid, rec, rel, n))
            else:
                revocations.append(Revocation(sid, row["revoke"], str(row["date"]), str(row.get("reason") or "")))
        except (ValueError, KeyError, TypeError, AssertionError):
            reg.ignored.append((f"{rel}:{n}", "无法读取的登记行 (an unreadable register line)"))
            return  # a file with a bad line is left out whole: what else in it would be trustworthy?
    reg.entries += entries
    reg.revocations.update({r.code: r for r in revocations})


def load(root: Path, custody=None) -> Register:
    """The register as the signed archive certifies it: files whose state (``custody.state``) is not certified —
    uncertified (from an untrusted commit) or pending (not archived, edited in the work tree) — are left out and
    listed in ``ignored``. Without custody, or in unsigned mode, every file counts (as every claim does)."""
    reg = Register()
    for path in register_files(root):
        rel = path.relative_to(root).as_posix()
        state = custody.state(rel) if custody is not None else "unsigned"
        if state not in ("certified", "unsigned"):
            why = "未经认定 not certified" if state == "uncertified" else "未归档 pending (not in the signed archive)"
            reg.ignored.append((rel, why))
            continue
        _parse(rel, path.read_text(encoding="utf-8"), reg)
    return reg


def sealed_records(reg: Register, current: dict[str, tuple[str, dict]]) -> list[tuple[str, dict]]:
    """(code, record) for every transcript to seal: the build's current ones (``current``: student → (code, public
    record)) and every certified register entry, each with its status: current, superseded on a date, or revoked.

    A superseded record also names the items on it that were revoked since (found struck through as revoked on
    the student's newest transcript)."""
    history = reg.history()
    out: dict[str, dict] = {}
    for sid in sorted(set(history) | set(current)):
        chain = [e.record for e in history.get(sid, [])]
        if sid in current:
            chain.append(current[sid][1])
        seen: dict[str, int] = {}
        for i, rec in enumerate(chain):  # the same code twice: the later place in the chain is the one that counts
            seen[rec["code"]] = i
        chain = [rec for i, rec in enumerate(chain) if seen[rec["code"]] == i]
        newest = chain[-1]
        revoked_now = {
            (it.get("date"), it.get("activity")) for it in newest.get("items", []) if it.get("amended") == "revokes"
        }
        for i, rec in enumerate(chain):
            status = {"status": "current"}
            if i + 1 < len(chain):
                status = {"status": "superseded", "superseded_on": chain[i + 1]["issue_date"]}
                gone = [
                    it["activity"]
                    for it in rec.get("items", [])
                    if (it.get("date"), it.get("activity")) in revoked_now and it.get("amended") != "revokes"
                ]
                if gone:
                    status["revoked_items"] = gone
            elif sid not in current:  # registered, but this build issues the student nothing (not on the roster)
                status = {"status": "withdrawn"}
            revocation = reg.revocations.get(rec["code"])
            if revocation is not None and revocation.student == sid:
                status.update(status="revoked", revoked_on=revocation.date, revoked_reason=revocation.reason)
            out[rec["code"]] = {**rec, **status}
    return sorted(out.items())


def unregistered(reg: Register, current: dict[str, tuple[str, dict]]) -> list[str]:
    """Students whose current transcript is not the last one the register holds for them."""
    latest = reg.latest()
    return sorted(sid for sid, (code, _rec) in current.items() if latest.get(sid) != code)


# ------------------------------------------------------------------------------------------ writing (dekt register)


def _git(root: Path, *args: str) -> str:
    r = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise DektError(f"git {' '.join(args[:2])} 失败 (failed): {r.stderr.strip()}")
    return r.stdout.strip()


def head_commit(root: Path) -> str | None:
    """The commit checked out in ``root``, or None outside Git."""
    r = subprocess.run(
        ["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=root, capture_output=True, text=True, check=False
    )
    return r.stdout.strip() if r.returncode == 0 else None


def roster_date(root: Path, tz) -> date | None:
    """When the roster last changed in the history (the issue date of a transcript with no items)."""
    r = subprocess.run(
        ["git", "log", "-1", "--format=%cI", "--", "records/students.csv"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0 or not r.stdout.strip():
        return None
    from datetime import datetime

    return datetime.fromisoformat(r.stdout.strip()).astimezone(tz).date()


def _manifest(out: Path) -> dict:
    path = out / "private" / "transcripts" / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        assert manifest.get("format") == "dekt-transcripts/2"
        return manifest["transcripts"]
    except (OSError, ValueError, AssertionError, KeyError):
        raise DektError(
            f"{path} 不是 dekt build 写出的成绩单清单 (not the transcripts manifest of a dekt build)"
        ) from None


def register_update(root: Path, out: Path, today: date, *, custody=None) -> tuple[int, int, list[str]]:
    """Append to ``records/register/`` every transcript the build in ``out`` issued that the register lacks, and a
    revocation for each registered student the build no longer issues; return (added, revoked, files changed).

    The build must be of the commit checked out (``OUT/private/build.json``), so that what is registered is what
    that commit certifies; the result is committed (signed) by the caller, or by ``commit_register``."""
    info_path = out / "private" / BUILD_INFO
    try:
        built_from = json.loads(info_path.read_text(encoding="utf-8"))["commit"]
    except (OSError, ValueError, KeyError):
        raise DektError(
            f"{info_path} 缺失：请先用 dekt build 构建 (no build information: run dekt build first)"
        ) from None
    if built_from != head_commit(root):
        raise DektError(f"{out} 是提交 {str(built_from)[:12]} 的构建，不是当前的 HEAD；请重新构建"
                        f" (the build in {out} is of another commit than HEAD: build again)")  # fmt: skip
    reg = load(root, custody)
    if reg.ignored:
        raise DektError("签发登记中有未经认定或无法读取的内容，不能追加："
                        + "；".join(f"{f}（{why}）" for f, why in reg.ignored)
                        + " (the register holds uncertified or unreadable content: revert it first)")  # fmt: skip
    manifest = _manifest(out)
    latest = reg.latest()
    lines: dict[str, list[str]] = {}
    added = revoked = 0
    for sid, entry in sorted(manifest.items()):
        if latest.get(sid) == entry["code"]:
            continue
        year = entry["record"].get("enrollment_year") or "other"
        lines.setdefault(f"{year}.jsonl", []).append(
            canonical_json({"student": sid, "record": entry["record"]}).decode("utf-8")
        )
        added += 1
    by_student = reg.history()
    for sid, code in sorted(latest.items()):
        if sid not in manifest and code not in reg.revocations:
            year = by_student[sid][-1].record.get("enrollment_year") or "other"
            row = {"student": sid, "revoke": code, "date": today.isoformat(),
                   "reason": "学生已不在名册中 (the student is no longer on the roster)"}  # fmt: skip
            lines.setdefault(f"{year}.jsonl", []).append(canonical_json(row).decode("utf-8"))
            revoked += 1
    changed = []
    for name, rows in sorted(lines.items()):
        path = root / REGISTER_DIR / name
        before = path.read_bytes() if path.exists() else b""
        if before and not before.endswith(b"\n"):
            before += b"\n"
        write_atomic(path, before + ("\n".join(rows) + "\n").encode("utf-8"))
        changed.append(path.relative_to(root).as_posix())
    return added, revoked, changed


def revoke(root: Path, code: str, student: str, today: date, reason: str) -> str:
    """Append the revocation of transcript ``code`` (of ``student``); return the file changed."""
    reg = load(root)
    match = [e for e in reg.entries if e.code == code and e.student == student]
    if not match:
        raise DektError(f"签发登记中没有学生 {student} 的成绩单 {code} (no such transcript in the register)")
    path = root / match[-1].file
    row = canonical_json(
        {"student": student, "revoke": code, "date": today.isoformat(), "reason": " ".join(reason.split())}
    )
    before = path.read_bytes()
    write_atomic(path, before + (b"" if before.endswith(b"\n") else b"\n") + row + b"\n")
    return path.relative_to(root).as_posix()


def commit_register(root: Path, files: list[str], message: str, key: str | None) -> str:
    """Commit ``files`` with academic affairs' SSH signature (``dekt.merge.signing_key``); return the commit."""
    from ..merge import signing_key

    ssh = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={signing_key(key)}"]
    _git(root, "add", "--", *files)
    _git(root, *ssh, "commit", "-S", "-q", "-m", message, "--", *files)
    return _git(root, "rev-parse", "HEAD")
