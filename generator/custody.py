"""Chain of custody: what counts is what academic affairs' key signed on the default branch.

``rules/allowed_signers`` (OpenSSH's allowed-signers format, the file Git reads as
``gpg.ssh.allowedSignersFile``) lists the keys. Its first version on the first-parent history of the
archive is the trust root. Every later commit of that history must be signed (Git's SSH signing) by a key
trusted at its parent; a change to ``rules/allowed_signers`` counts only when its commit is trusted
(rotation, as in TUF's root rotation), so a key added by an unsigned commit signs nothing.

Each file under ``records/`` and ``rules/`` gets a state:

* ``certified`` — the archive holds it as the work tree does, and the commit that last set it was trusted
  (or came before the trust root, or a trusted commit certified it afterwards with a ``Certifies: <commit>``
  trailer);
* ``uncertified`` — its archived content came from an untrusted commit: it never counts (an error);
* ``pending`` — not archived yet (a pull request's own files, uncommitted edits): shown, never issued;
* ``unsigned`` — the archive has no ``rules/allowed_signers`` (or is no Git history): everything counts, and
  every command says loudly that nothing is signed.

One ``git log --first-parent`` gives every commit and the files it changed; only commits not seen before
are read (one ``git cat-file --batch``) and verified with ``ssh-keygen -Y verify`` against the allowed
signers as of their parent. Verdicts are cached per commit id and trusted-keys hash as JSON in the user's
cache folder (``$DEKT_CUSTODY_CACHE``, else ``~/.cache/dekt/custody``): a commit never changes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .diagnostics import DektError, Diagnostic, diag
from .files import write_atomic
from .provenance import git, trailers

ALLOWED_SIGNERS = "rules/allowed_signers"
WATCHED = ("records", "rules")  # what the ledgers are made of: claims, the roster and the rules
NAMESPACE = "git"  # the namespace Git signs commits in
CACHE_FORMAT = 1
_RS, _US = "\x1e", "\x1f"

CERTIFIED, UNCERTIFIED, PENDING, UNSIGNED = "certified", "uncertified", "pending", "unsigned"


@dataclass(frozen=True)
class Verdict:
    """Whether one commit is trusted, and why not (Chinese, English) or who signed it."""

    trusted: bool
    why: str = ""
    why_en: str = ""
    signer: str | None = None


@dataclass(frozen=True)
class Taint:
    """An untrusted commit that set (or deleted) a file's archived content."""

    commit: str
    subject: str
    verdict: Verdict

    @property
    def short(self) -> str:
        return self.commit[:12]


@dataclass(frozen=True)
class Custody:
    """The state of every file of the archive and the work tree under ``records/`` and ``rules/``."""

    mode: str  # "signed" or "unsigned"
    ref: str | None  # the archive: the default branch (or ``--base``)
    root_commit: str | None = None  # the commit that added the first rules/allowed_signers
    archived: frozenset[str] = frozenset()  # paths whose work-tree content is the archive's
    uncertified: dict[str, Taint] = field(default_factory=dict)  # archived content from an untrusted commit
    deleted: dict[str, Taint] = field(default_factory=dict)  # deleted by an untrusted commit, still missing
    elsewhere: dict[str, Taint] = field(default_factory=dict)  # other paths (code, site) set untrusted
    added_on: dict[str, str] = field(default_factory=dict)  # claim file → when the archive first got it (ISO date)
    commits: int = 0  # commits checked after the trust root
    verified: int = 0  # of which verified this run (not taken from the cache)
    why_unsigned: str = ""

    @property
    def signed(self) -> bool:
        return self.mode == "signed"

    def state(self, path: str) -> str:
        """``certified``, ``uncertified``, ``pending`` or ``unsigned`` for a repository-relative path."""
        if not self.signed:
            return UNSIGNED
        if path in self.uncertified:
            return UNCERTIFIED
        return CERTIFIED if path in self.archived else PENDING

    def counts(self, path: str) -> bool:
        """True when claims in ``path`` count on ledgers and transcripts."""
        return self.state(path) in (CERTIFIED, UNSIGNED)

    def pending_inputs(self, paths) -> list[str]:
        """Of ``paths`` (rules and roster files), those not archived as they are in the work tree."""
        return sorted(p for p in paths if self.state(p) == PENDING)


def banner(custody: Custody) -> str:
    """The loud line every validate and build prints in unsigned mode (empty when signed)."""
    if custody.signed:
        return ""
    return (
        f"!!! 未签名模式：{custody.why_unsigned or '没有 ' + ALLOWED_SIGNERS}——任何申报都未经签名核验，"
        "成绩单上的“审核认定”无从证明。"
        " (UNSIGNED MODE: nothing is signed; no claim's certification is checked."
        f" Add {ALLOWED_SIGNERS} to sign the archive.)"
    )


def problems(custody: Custody) -> list[Diagnostic]:
    """DK720 for each file whose archived content came from an untrusted commit, DK721 for each such deletion,
    DK722 (a warning) for other files set by one."""
    out = []
    for code, table in (("DK720", custody.uncertified), ("DK721", custody.deleted), ("DK722", custody.elsewhere)):
        for path, t in sorted(table.items()):
            v = t.verdict
            out.append(diag(code, path, commit=t.short, subject=t.subject, reason=v.why, reason_en=v.why_en))
    return out


# ------------------------------------------------------------------------------------------ Git plumbing


def _git(root: Path, *args: str, input: bytes | None = None) -> bytes:
    return git(root, "-c", "core.quotePath=off", *args, input=input)


def _ok(root: Path, *args: str) -> str | None:
    """Standard output of a git command that may fail (None when it does)."""
    r = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return r.stdout.strip() if r.returncode == 0 else None


def archive_ref(root: Path, base: str | None = None) -> str | None:
    """The archive: ``base``; else the default branch (origin's HEAD, else ``init.defaultBranch``, else main),
    local if it exists, else origin's; else HEAD. None outside Git or before the first commit."""
    if base:
        return base
    if _ok(root, "rev-parse", "--verify", "-q", "HEAD") is None:
        return None
    name = (_ok(root, "symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD") or "").removeprefix("origin/")
    name = name or _ok(root, "config", "init.defaultBranch") or "main"
    for ref in (f"refs/heads/{name}", f"refs/remotes/origin/{name}"):
        if _ok(root, "rev-parse", "--verify", "-q", ref) is not None:
            return ref
    return "HEAD"


@dataclass
class _Commit:
    sha: str
    day: str  # the committer date, YYYY-MM-DD in the committer's zone
    subject: str
    certifies: tuple[str, ...]
    changes: list[tuple[str, str]]  # (status, path)


def _history(root: Path, ref: str) -> list[_Commit]:
    """The first-parent history of ``ref``, oldest first, with the files each commit changed (one git log).

    Paths are relative to ``root``, which may be a folder inside a larger repository (others are left out)."""
    prefix = _git(root, "rev-parse", "--show-prefix").decode().strip()
    out = _git(
        root,
        "log",
        "--first-parent",
        "--diff-merges=first-parent",
        "--no-renames",
        "--name-status",
        "-z",
        f"--format={_RS}%H{_US}%cI{_US}%B{_US}",
        ref,
    ).decode("utf-8", errors="replace")
    commits = []
    for record in out.split(_RS)[1:]:
        sha, when, body, files = record.split(_US, 3)
        fields = [f for f in files.strip("\n\0").split("\0")]
        changes = [
            (fields[i].strip(), fields[i + 1][len(prefix) :])
            for i in range(0, len(fields) - 1, 2)
            if fields[i].strip() and fields[i + 1].startswith(prefix)
        ]
        certifies = tuple(v.lower() for v in trailers(body).get("certifies", []))
        commits.append(_Commit(sha, when[:10], body.strip().split("\n", 1)[0][:80], certifies, changes))
    commits.reverse()
    return commits


def _objects(root: Path, names: list[str]) -> dict[str, bytes | None]:
    """The raw objects ``names`` (commits, or ``<commit>:<path>``) in one ``git cat-file --batch``."""
    if not names:
        return {}
    out = _git(root, "cat-file", "--batch", input="".join(n + "\n" for n in names).encode())
    result: dict[str, bytes | None] = {}
    pos = 0
    for name in names:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) == 3 and header[1] != b"missing":
            size = int(header[2])
            result[name] = out[pos : pos + size]
            pos += size + 1
        else:
            result[name] = None
    return result


# ------------------------------------------------------------------------------------------ signatures


def split_signature(raw: bytes) -> tuple[bytes, bytes | None, int]:
    """A commit object → (the signed payload, the armored signature or None, the committer's Unix time)."""
    header, sep, body = raw.partition(b"\n\n")
    kept, sig, when = [], [], 0
    inside = False
    for line in header.split(b"\n"):
        if line.startswith(b"gpgsig "):
            inside = True
            sig.append(line[7:])
            continue
        if inside and line.startswith(b" "):
            sig.append(line[1:])
            continue
        inside = False
        kept.append(line)
        if line.startswith(b"committer "):
            parts = line.rsplit(b" ", 2)
            when = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 0
    return b"\n".join(kept) + sep + body, (b"\n".join(sig) + b"\n") if sig else None, when


def _string(blob: bytes, pos: int) -> tuple[bytes, int]:
    (n,) = struct.unpack(">I", blob[pos : pos + 4])
    return blob[pos + 4 : pos + 4 + n], pos + 4 + n


def signature_key(armored: bytes) -> tuple[str, str] | None:
    """The public key (type, base64) inside an SSH signature (the SSHSIG format), or None if it is not one."""
    lines = armored.decode("ascii", errors="replace").strip().splitlines()
    if len(lines) < 3 or lines[0] != "-----BEGIN SSH SIGNATURE-----" or lines[-1] != "-----END SSH SIGNATURE-----":
        return None
    try:
        blob = base64.b64decode("".join(lines[1:-1]), validate=True)
        if blob[:6] != b"SSHSIG":
            return None
        key, _ = _string(blob, 10)  # after the magic and the version
        kind, _ = _string(key, 0)
        return kind.decode("ascii"), base64.b64encode(key).decode("ascii")
    except (ValueError, struct.error, UnicodeDecodeError):
        return None


def fingerprint(key_b64: str) -> str:
    """OpenSSH's SHA256 fingerprint of a public key blob."""
    digest = hashlib.sha256(base64.b64decode(key_b64)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def signers(text: str) -> dict[str, str]:
    """The allowed-signers file as key blob (base64) → the principal to verify as (its first)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        tokens = line.strip().split()
        if not tokens or tokens[0].startswith("#"):
            continue
        for i, tok in enumerate(tokens[1:], 1):  # options may come between the principals and the key
            if (tok.startswith(("ssh-", "ecdsa-", "sk-")) and i + 1 < len(tokens)) and "=" not in tok:
                out.setdefault(tokens[i + 1], tokens[0].split(",")[0])
                break
    return out


def plain_keys(text: str) -> set[str]:
    """Keys (base64) listed without options (no ``valid-after``, ``namespaces``, ``cert-authority``…): for these the
    allowed-signers file says nothing but "this key may sign", so a signature can be checked without ssh-keygen."""
    out = set()
    for line in text.splitlines():
        tokens = line.strip().split()
        if len(tokens) >= 3 and not tokens[0].startswith("#") and tokens[1].startswith(("ssh-", "ecdsa-", "sk-")):
            out.add(tokens[2])
    return out


def _ed25519_verdict(payload: bytes, armored: bytes) -> bool | None:
    """Check an SSH signature (the SSHSIG format of OpenSSH's PROTOCOL.sshsig) made by an Ed25519 key in-process, as
    ``ssh-keygen -Y verify -n git`` does; None when it is not one this can check (then ssh-keygen does)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    lines = armored.decode("ascii", errors="replace").strip().splitlines()
    try:
        blob = base64.b64decode("".join(lines[1:-1]), validate=True)
        if blob[:6] != b"SSHSIG" or struct.unpack(">I", blob[6:10])[0] != 1:
            return None
        key, pos = _string(blob, 10)
        namespace, pos = _string(blob, pos)
        reserved, pos = _string(blob, pos)
        hash_alg, pos = _string(blob, pos)
        sig, _ = _string(blob, pos)
        kind, at = _string(key, 0)
        raw_key, _ = _string(key, at)
        sig_kind, at = _string(sig, 0)
        raw_sig, _ = _string(sig, at)
    except (ValueError, struct.error):
        return None
    if kind != b"ssh-ed25519" or sig_kind != b"ssh-ed25519" or hash_alg not in (b"sha256", b"sha512"):
        return None
    if namespace != NAMESPACE.encode():
        return False
    digest = hashlib.new(hash_alg.decode(), payload).digest()
    signed = b"SSHSIG" + b"".join(struct.pack(">I", len(f)) + f for f in (namespace, reserved, hash_alg, digest))
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(raw_sig, signed)
    except (InvalidSignature, ValueError):
        return False
    return True


def _verify(
    payload: bytes,
    armored: bytes | None,
    when: int,
    keys: dict[str, str],
    keys_file: Path,
    tmp: Path,
    name: str,
    plain: frozenset[str] | set[str] = frozenset(),
) -> Verdict:
    if armored is None:
        return Verdict(False, "提交未签名", "the commit is not signed")
    key = signature_key(armored)
    if key is None:
        return Verdict(False, "不是 SSH 签名", "not an SSH signature")
    principal = keys.get(key[1])
    if principal is None:
        fp = fingerprint(key[1])
        return Verdict(
            False,
            f"签名密钥 {fp} 不在其父提交的 {ALLOWED_SIGNERS} 中",
            f"signed by {fp}, a key not in {ALLOWED_SIGNERS} at its parent",
        )
    # A key listed without options, an Ed25519 signature: checked in-process (no ssh-keygen to start per commit).
    fast = _ed25519_verdict(payload, armored) if key[1] in plain and key[0] == "ssh-ed25519" else None
    if fast is True:
        return Verdict(True, signer=principal)
    if fast is False:
        return Verdict(False, f"签名无效（{principal}）", f"bad signature ({principal})")
    sig = tmp / f"{name}.sig"
    sig.write_bytes(armored)
    stamp = datetime.fromtimestamp(when, UTC).strftime("%Y%m%d%H%M%S")
    cmd = [
        "ssh-keygen",
        "-Y",
        "verify",
        "-f",
        str(keys_file),
        "-I",
        principal,
        "-n",
        NAMESPACE,
        "-s",
        str(sig),
        f"-Overify-time={stamp}",
    ]
    try:
        r = subprocess.run(cmd, input=payload, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise DektError("找不到 ssh-keygen（OpenSSH），无法核验签名 (ssh-keygen is not installed)") from exc
    if r.returncode == 0:
        return Verdict(True, signer=principal)
    detail = r.stderr.decode(errors="replace").strip().splitlines()
    return Verdict(False, f"签名无效（{principal}）", f"bad signature ({principal}): {detail[-1] if detail else ''}")


def cache_path() -> Path:
    """The verdict cache: ``$DEKT_CUSTODY_CACHE``, else the user's cache folder (never the work tree)."""
    if os.environ.get("DEKT_CUSTODY_CACHE"):
        return Path(os.environ["DEKT_CUSTODY_CACHE"]) / "verdicts.json"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dekt" / "custody" / "verdicts.json"


def _load_cache(path: Path) -> dict[str, list]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("format") == CACHE_FORMAT and isinstance(data.get("verdicts"), dict):
            return data["verdicts"]
    except (OSError, ValueError):
        pass
    return {}


def _save_cache(path: Path, verdicts: dict[str, list]) -> None:
    try:
        write_atomic(path, json.dumps({"format": CACHE_FORMAT, "verdicts": verdicts}, separators=(",", ":")))
    except OSError:  # a read-only home: verify again next time rather than fail
        pass


# ------------------------------------------------------------------------------------------ the walk


def _walk(root: Path, history: list[_Commit], start: int) -> tuple[dict[str, Verdict], int]:
    """Verify every commit after ``history[start]`` (the trust root) against the keys trusted at its parent."""
    cache_file = cache_path()
    cache = _load_cache(cache_file)
    fresh = 0
    verdicts: dict[str, Verdict] = {}
    root_sha = history[start].sha
    keys_text = (_objects(root, [f"{root_sha}:./{ALLOWED_SIGNERS}"])[f"{root_sha}:./{ALLOWED_SIGNERS}"] or b"").decode(
        "utf-8", "replace"
    )
    with tempfile.TemporaryDirectory(prefix="dekt-custody-") as tmpdir, ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        tmp = Path(tmpdir)
        i = start + 1
        while i < len(history):
            # A run of commits verified with the same keys: up to and including the next one that changes them.
            j = i
            while j < len(history) and not any(p == ALLOWED_SIGNERS for _, p in history[j].changes):
                j += 1
            run = history[i : min(j + 1, len(history))]
            keyhash = hashlib.sha256(keys_text.encode()).hexdigest()[:16]
            todo = [c.sha for c in run if f"{c.sha}:{keyhash}" not in cache]
            if todo:
                keys, plain = signers(keys_text), plain_keys(keys_text)
                keys_file = tmp / f"{keyhash}.allowed"
                keys_file.write_text(keys_text, encoding="utf-8")
                raw = _objects(root, todo)

                def check(sha: str, raw=raw, keys=keys, keys_file=keys_file, plain=plain) -> tuple[str, Verdict]:
                    payload, armored, when = split_signature(raw[sha] or b"")
                    return sha, _verify(payload, armored, when, keys, keys_file, tmp, sha, plain)

                for sha, v in pool.map(check, todo):
                    cache[f"{sha}:{keyhash}"] = [v.trusted, v.why, v.why_en, v.signer]
                fresh += len(todo)
            for c in run:
                v = cache[f"{c.sha}:{keyhash}"]
                verdicts[c.sha] = Verdict(bool(v[0]), v[1], v[2], v[3])
            last = run[-1]
            if j < len(history) and verdicts[last.sha].trusted:  # a trusted change of the keys: rotation
                blob = _objects(root, [f"{last.sha}:./{ALLOWED_SIGNERS}"])[f"{last.sha}:./{ALLOWED_SIGNERS}"]
                keys_text = (blob or b"").decode("utf-8", "replace")
            i += len(run)
    if fresh:
        _save_cache(cache_file, cache)
    return verdicts, fresh


def _tree(root: Path, ref: str) -> list[str]:
    """The watched paths (records, rules) in ``ref``'s tree."""
    tree = _git(root, "ls-tree", "-r", "--name-only", "-z", ref, "--", *WATCHED).decode().split("\0")
    return [p for p in tree if p]


def _archived(root: Path, ref: str) -> frozenset[str]:
    """The watched paths whose work-tree content is ``ref``'s (in the archive and not changed since)."""
    changed = (
        _git(root, "diff", "--name-only", "--relative", "--no-renames", "-z", ref, "--", *WATCHED).decode().split("\0")
    )
    return frozenset(set(_tree(root, ref)) - set(changed))


def certified_files(root: Path, base: str | None = None) -> Custody:
    """The chain of custody of ``root``'s archive (``base``, else the default branch) and its work tree."""
    ref = archive_ref(root, base)
    if ref is None:
        return Custody("unsigned", None, why_unsigned="不是 Git 仓库或还没有提交 (no Git history)")
    history = _history(root, ref)
    added_on = {p: c.day for c in history for status, p in c.changes if status == "A" and p.startswith("records/")}
    start = next((i for i, c in enumerate(history) if ("A", ALLOWED_SIGNERS) in c.changes), None)
    archived = _archived(root, ref)
    if start is None:
        why = f"{ref} 的历史中没有 {ALLOWED_SIGNERS} (no {ALLOWED_SIGNERS} in the history of {ref})"
        return Custody("unsigned", ref, archived=archived, added_on=added_on, why_unsigned=why)
    verdicts, fresh = _walk(root, history, start)
    certified_later = {p for c in history[start + 1 :] if verdicts[c.sha].trusted for p in c.certifies}
    taints: dict[str, tuple[str, Taint | None]] = {}  # path → (its last status, the taint of that change)
    for c in reversed(history[start + 1 :]):
        v = verdicts[c.sha]
        bad = not v.trusted and not any(c.sha.startswith(p) and len(p) >= 7 for p in certified_later)
        for status, path in c.changes:
            taints.setdefault(path, (status, Taint(c.sha, c.subject, v) if bad else None))
    tree = set(_tree(root, ref))
    uncertified, deleted, elsewhere = {}, {}, {}
    for path, (status, taint) in taints.items():
        if taint is None:
            continue
        watched = path.split("/", 1)[0] in WATCHED
        if status == "D":
            if watched and not (root / path).exists():
                deleted[path] = taint
        elif watched:
            if path in tree:
                uncertified[path] = taint
        elif status in ("A", "M", "T"):
            elsewhere[path] = taint
    return Custody(
        "signed",
        ref,
        history[start].sha,
        archived,
        uncertified,
        deleted,
        elsewhere,
        added_on,
        commits=len(history) - start - 1,
        verified=fresh,
    )


def for_transcript(ledger: dict) -> dict:
    """A ledger's data (``ledger_data``) without what the signed archive does not certify: a pending or
    uncertified item never reaches a transcript or its verification record."""
    items = [{k: v for k, v in it.items() if k != "custody"} for it in ledger["items"] if not it.get("custody")]
    return {**ledger, "items": items}


def refuse_work_tree(checked) -> bool:
    """Print why and return True when the rules or the roster differ from the signed archive: transcripts made
    from them would be official-looking documents made from the work tree."""
    custody = checked.custody
    if custody is None or not custody.signed:
        return False
    inputs = [
        p.relative_to(checked.root).as_posix() for p in sorted((checked.root / "rules").rglob("*")) if p.is_file()
    ]
    pending = custody.pending_inputs(inputs + ["records/students.csv"])
    pending = [p for p in pending if not p.startswith("rules/schema/")]
    if not pending:
        return False
    print(
        f"规则或名册有未归档的改动，不生成成绩单：{'、'.join(pending)}（成绩单只从经签名归档的内容生成）"
        f" (the rules or roster differ from the signed archive; transcripts are made only from it)",
        file=sys.stderr,
    )
    return True
