"""Provenance of every archived claim: one pass over Git's history against GitPython asked per file.

Builds (with ``git fast-import``) a repository of the generated school's claim files, at least
10,000, brought onto ``main`` by at least 1,000 commits: each batch a branch commit by the
secretary and a merge commit with review trailers. Then times ``provenance_index`` (one
``git log`` plus parsing, the project's way) against GitPython's ``iter_commits(paths=…)`` per file,
the naive way, on a sample of files (extrapolated to all, since asking for every file takes minutes),
and checks that both agree on the sample.

    python benchmarks/provenance.py [--students 1700] [--batches 540] [--sample 100]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import git

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
    out += [b"commit refs/heads/main\n", b"mark :%d\n" % mark, b"committer jwc-wang <jwc@example.invalid> %d +0800\n" % when,
            b"data 4\ninit\n", b"M 100644 inline README\n", b"data %d\n" % len(readme), readme, b"\n"]  # fmt: skip
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
        out += [b"commit refs/heads/batch\n", b"mark :%d\n" % mark,
                b"committer hg-mishu <mishu@example.invalid> %d +0800\n" % when,
                b"data %d\n" % len(msg), msg, b"\n", b"from :%d\n" % main, changes, b"\n"]  # fmt: skip
        branch = mark
        mark += 1
        msg = merge_message(f"第 {n + 1} 批申报", n + 1, "hg-mishu", ["hg-chen"], ["jwc-wang"], "2015-05-18..2015-05-22").encode()
        out += [b"commit refs/heads/main\n", b"mark :%d\n" % mark,
                b"committer jwc-wang <jwc@example.invalid> %d +0800\n" % (when + 60),
                b"data %d\n" % len(msg), msg, b"\n", b"from :%d\n" % main, b"merge :%d\n" % branch, changes, b"\n"]  # fmt: skip
        main = mark
    return b"".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=1700)
    ap.add_argument("--batches", type=int, default=540)
    ap.add_argument("--sample", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dekt-prov-"))
    try:
        src, repo_dir = work / "school", work / "repo"
        gen = subprocess.run([sys.executable, "-m", "dekt.cli", "demo-data", "--students", str(args.students), "--seed", "3", str(src)],
                             cwd=ROOT, capture_output=True, text=True, check=True)  # fmt: skip
        files = sorted(p.relative_to(src).as_posix() for p in (src / "records" / "claims").rglob("*.yaml"))
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo_dir)], check=True)
        subprocess.run(["git", "fast-import", "--quiet"], cwd=repo_dir, input=fast_import_stream(src, files, args.batches), check=True)
        subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=repo_dir, check=True)
        commits = int(subprocess.run(["git", "rev-list", "--count", "main"], cwd=repo_dir, capture_output=True, text=True).stdout)
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
        print(f"one pass (git log + parse), all {len(files):,} files: median {one:.3f} s "
              f"(min {min(one_pass):.3f}, max {max(one_pass):.3f}, {args.runs} runs)")
        print(f"GitPython iter_commits per file: median {each * 1000:.1f} ms a file on {len(sample)} files "
              f"→ {each * len(files):.0f} s for all {len(files):,}")
        print(f"ratio: {each * len(files) / one:.0f}x; target: whole index under 1 s: {'ok' if one < 1 else 'MISSED'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
