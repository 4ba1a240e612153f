"""Provenance of every archived claim: one pass over Git's history against GitPython asked per file.

Builds (with ``git fast-import``) a repository of the generated school's claim files, at least
10,000, brought onto ``main`` by at least 1,000 commits: each batch a branch commit by the
secretary and a merge commit with review trailers. Then times ``provenance_index`` (one
``git log`` plus parsing, the project's way) against GitPython's ``iter_commits(paths=…)`` per file,
the naive way, on a sample of files (extrapolated to all, since asking for every file takes minutes),
and checks that both agree on the sample.

Then the chain of custody's signature check (``dekt.custody.certified_files``): a repository whose first commit
lists a key in rules/allowed_signers and whose ``main`` has ``--merges`` signed merges (signed as ``dekt demo``
signs, with ``ssh-keygen -Y sign``), timed cold (an empty verdict cache: every merge verified) and warm after one
new signed merge (the cache holds the rest), side by side with Git's own ways: ``git verify-commit`` per commit
and one ``git log --first-parent --show-signature`` (Git keeps no cache, so its warm run is its cold run).

    python benchmarks/provenance.py [--students 1700] [--batches 540] [--sample 100] [--merges 1000]
    python benchmarks/provenance.py --part signatures
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import git
from dekt.custody import certified_files
from dekt.demo_repo import sign_history
from dekt.provenance import merge_message, provenance_index

ROOT = Path(__file__).resolve().parent.parent


def fast_import_stream(root: Path, files: list[str], batches: int) -> bytes:
    """A fast-import stream: per batch, a branch commit adding its files and a merge into main with trailers."""
    out: list[bytes] = []
    mark = 0
    blob_marks: dict[str, int] = {}
    for rel in files:
        mark += 1
        blob_marks[rel] = mark
        data = (root / rel).read_bytes()
        out += [b"blob\n", b"mark :%d\n" % mark, b"data %d\n" % len(data), data, b"\n"]
    when = 1_420_000_000
    mark += 1
    readme = b"demo archive\n"
    out += [
        b"commit refs/heads/main\n",
        b"mark :%d\n" % mark,
        b"committer jwc-wang <jwc@example.invalid> %d +0800\n" % when,
        b"data 4\ninit\n",
        b"M 100644 inline README\n",
        b"data %d\n" % len(readme),
        readme,
        b"\n",
    ]
    main = mark
    size = -(-len(files) // batches)
    for n in range(batches):
        chunk = files[n * size : (n + 1) * size]
        if not chunk:
            break
        when += 3600
        changes = b"".join(b"M 100644 :%d %s\n" % (blob_marks[f], f.encode()) for f in chunk)
        mark += 1
        msg = f"第 {n + 1} 批申报".encode()
        out += [
            b"commit refs/heads/batch\n",
            b"mark :%d\n" % mark,
            b"committer hg-mishu <mishu@example.invalid> %d +0800\n" % when,
            b"data %d\n" % len(msg),
            msg,
            b"\n",
            b"from :%d\n" % main,
            changes,
            b"\n",
        ]
        branch = mark
        mark += 1
        msg = merge_message(
            f"第 {n + 1} 批申报", n + 1, "hg-mishu", ["hg-chen"], ["jwc-wang"], "2015-05-18..2015-05-22"
        ).encode()
        out += [
            b"commit refs/heads/main\n",
            b"mark :%d\n" % mark,
            b"committer jwc-wang <jwc@example.invalid> %d +0800\n" % (when + 60),
            b"data %d\n" % len(msg),
            msg,
            b"\n",
            b"from :%d\n" % main,
            b"merge :%d\n" % branch,
            changes,
            b"\n",
        ]
        main = mark
    return b"".join(out)


def signed_stream(signers: bytes, merges: int) -> bytes:
    """A fast-import stream: the trust root (rules/allowed_signers), then ``merges`` batches of one claim file each."""
    when = 1_420_000_000
    out = [
        b"commit refs/heads/main\nmark :1\ncommitter jwc-wang <jwc@example.invalid> %d +0800\n" % when,
        b"data 10\ntrust root\n",
        b"M 100644 inline rules/allowed_signers\n",
        b"data %d\n" % len(signers),
        signers,
        b"\n\n",
    ]
    main, mark = 1, 1
    for n in range(merges):
        when += 3600
        body = f"student: '2014{n:06d}'\nactivity: 第 {n + 1} 项\n".encode()
        path = f"records/claims/2014-2015/customs/{n:05d}.yaml".encode()
        msg = f"第 {n + 1} 批申报".encode()
        out += [
            b"commit refs/heads/batch\nmark :%d\n" % (mark + 1),
            b"committer hg-mishu <mishu@example.invalid> %d +0800\n" % when,
            b"data %d\n" % len(msg),
            msg,
            b"\n",
            b"from :%d\n" % main,
            b"M 100644 inline %s\n" % path,
            b"data %d\n" % len(body),
            body,
            b"\n",
        ]
        msg = merge_message(
            f"第 {n + 1} 批申报", n + 1, "hg-mishu", ["hg-chen"], ["jwc-wang"], "2015-05-18..2015-05-22"
        ).encode()
        out += [
            b"commit refs/heads/main\nmark :%d\n" % (mark + 2),
            b"committer jwc-wang <jwc@example.invalid> %d +0800\n" % (when + 60),
            b"data %d\n" % len(msg),
            msg,
            b"\n",
            b"from :%d\n" % main,
            b"merge :%d\n" % (mark + 1),
            b"M 100644 inline %s\n" % path,
            b"data %d\n" % len(body),
            body,
            b"\n",
        ]
        mark += 2
        main = mark
    return b"".join(out)


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def signatures(work: Path, merges: int, runs: int) -> None:
    """Time the signature check, cold and warm after one new merge, beside git verify-commit and git log."""
    repo_dir, key = work / "signed", work / "jwc"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "benchmark", "-f", str(key)], check=True)
    signers = f"jwc-wang@example.invalid {key.with_suffix('.pub').read_text().strip()}\n".encode()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo_dir)], check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo_dir, input=signed_stream(signers, merges), check=True)
    made, _ = _timed(lambda: sign_history(repo_dir, ["refs/heads/main"], key))
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=repo_dir, check=True)
    first_parent = subprocess.run(
        ["git", "rev-list", "--first-parent", "main"], cwd=repo_dir, capture_output=True, text=True, check=True
    ).stdout.split()
    print(f"\n{len(first_parent) - 1:,} signed merges after the trust root (signed in {made:.1f} s)")

    cold = []
    for i in range(runs):
        os.environ["DEKT_CUSTODY_CACHE"] = str(work / f"cache-cold-{i}")  # empty: every merge verified
        seconds, custody = _timed(lambda: certified_files(repo_dir))
        assert custody.signed and custody.verified == merges and not custody.uncertified, custody
        cold.append(seconds)
    # One more batch, merged signed as `dekt merge` does; the cache of the last cold run holds every other verdict.
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.invalid",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.invalid",
    }
    git_ = lambda *a: subprocess.run(["git", *a], cwd=repo_dir, env=env, check=True, capture_output=True)  # noqa: E731
    git_("checkout", "-q", "-b", "one-more")
    (repo_dir / "records/claims/2014-2015/customs/new.yaml").write_text("student: '2014999999'\n", encoding="utf-8")
    git_("add", "-A")
    git_("commit", "-q", "-m", "one more batch")
    git_("checkout", "-q", "main")
    git_(
        "-c", "gpg.format=ssh", "-c", f"user.signingkey={key}", "merge", "--no-ff", "-S", "-q", "-m", "合并", "one-more"
    )
    warm = []
    for _ in range(runs):
        seconds, custody = _timed(lambda: certified_files(repo_dir))
        assert custody.signed and custody.commits == merges + 1 and not custody.uncertified, custody
        warm.append(seconds)
        # the first warm run verifies the new merge alone; the later ones nothing
    commits = first_parent[:-1]  # after the trust root (rev-list lists newest first)
    allowed = ["-c", "gpg.ssh.allowedSignersFile=rules/allowed_signers"]
    sample = commits[:: max(1, len(commits) // 200)]
    per_commit = []
    for sha in sample:
        seconds, r = _timed(
            lambda sha=sha: subprocess.run(["git", *allowed, "verify-commit", sha], cwd=repo_dir, capture_output=True)
        )
        assert r.returncode == 0, r.stderr
        per_commit.append(seconds)
    log_runs = []
    for _ in range(max(1, runs // 2)):
        seconds, r = _timed(
            lambda: subprocess.run(
                ["git", *allowed, "log", "--first-parent", "--format=%H %G?", "main"],
                cwd=repo_dir,
                capture_output=True,
                text=True,
                check=True,
            )
        )
        assert r.stdout.count(" G\n") == merges + 2, "every first-parent commit verifies with Git too"
        log_runs.append(seconds)
    c, w = statistics.median(cold), statistics.median(warm)
    each, log = statistics.median(per_commit), statistics.median(log_runs)
    verdict = "ok" if c / merges <= 0.015 else "MISSED"
    print(
        f"dekt custody, cold (empty cache): median {c:.2f} s = {c / merges * 1000:.1f} ms a merge "
        f"(min {min(cold):.2f}, max {max(cold):.2f}, {runs} runs); target ≤ 15 ms: {verdict}"
    )
    print(
        f"dekt custody, warm after one new merge: median {w:.3f} s for the whole history "
        f"(first {warm[0]:.3f} s, which verified it); target < 1 s: {'ok' if max(warm) < 1 else 'MISSED'}"
    )
    print(
        f"git verify-commit per commit: median {each * 1000:.1f} ms on {len(sample)} commits "
        f"→ {each * merges:.1f} s for {merges:,}, every run (no cache); cold ratio {each * merges / c:.1f}x, "
        f"warm ratio {each * merges / w:.0f}x"
    )
    print(
        f"git log --first-parent --show-signature (%G?), whole history: median {log:.2f} s every run "
        f"(min {min(log_runs):.2f}, {len(log_runs)} runs); cold ratio {log / c:.1f}x, warm ratio {log / w:.0f}x"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=1700)
    ap.add_argument("--batches", type=int, default=540)
    ap.add_argument("--sample", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--merges", type=int, default=1000, help="signed merges for the signature check")
    ap.add_argument("--part", choices=("all", "provenance", "signatures"), default="all")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dekt-prov-"))
    try:
        if args.part in ("all", "provenance"):
            provenance(work, args)
        if args.part in ("all", "signatures"):
            signatures(work, args.merges, args.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def provenance(work: Path, args: argparse.Namespace) -> None:
    """Time the one-pass provenance index beside GitPython asked per file."""
    src, repo_dir = work / "school", work / "repo"
    gen = subprocess.run(
        [sys.executable, "-m", "dekt.cli", "demo-data", "--students", str(args.students), "--seed", "3", str(src)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    files = sorted(p.relative_to(src).as_posix() for p in (src / "records" / "claims").rglob("*.yaml"))
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo_dir)], check=True)
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=repo_dir, input=fast_import_stream(src, files, args.batches), check=True
    )
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=repo_dir, check=True)
    commits = int(
        subprocess.run(["git", "rev-list", "--count", "main"], cwd=repo_dir, capture_output=True, text=True).stdout
    )
    print(f"{json.loads(gen.stdout)['claims']:,} claims in {len(files):,} claim files, {commits:,} commits on main")

    one_pass = []
    for _ in range(args.runs):
        start = time.perf_counter()
        index = provenance_index(repo_dir, "main")
        one_pass.append(time.perf_counter() - start)
    assert len(index) == len(files), (len(index), len(files))

    repo = git.Repo(repo_dir)
    sample = files[:: max(1, len(files) // args.sample)][: args.sample]
    per_file = []
    for f in sample:
        start = time.perf_counter()
        commits_for_file = list(repo.iter_commits("main", paths=f, first_parent=True))
        per_file.append(time.perf_counter() - start)
        assert commits_for_file[-1].hexsha == index[f].commit, f  # both ways agree on who added the file
    one = statistics.median(one_pass)
    each = statistics.median(per_file)
    print(
        f"one pass (git log + parse), all {len(files):,} files: median {one:.3f} s "
        f"(min {min(one_pass):.3f}, max {max(one_pass):.3f}, {args.runs} runs)"
    )
    print(
        f"GitPython iter_commits per file: median {each * 1000:.1f} ms a file on {len(sample)} files "
        f"→ {each * len(files):.0f} s for all {len(files):,}"
    )
    print(f"ratio: {each * len(files) / one:.0f}x; target: whole index under 1 s: {'ok' if one < 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
