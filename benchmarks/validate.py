"""Validation speed at the size of a university: cold, warm, and after one file changed.

Generates a synthetic school of about 100,000 claims in a temporary Git repository, then times
``dekt validate`` as a whole process: cold (no cache), warm (nothing changed), and after one claim
file changed; beside each, the alternative that parses every file every time (``--no-cache``).
Targets on a 2-core machine: cold at most 15 s, warm after one change at most 3 s.

    python benchmarks/validate.py [--claims 100000] [--runs 3] [--keep DIR]
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

ROOT = Path(__file__).resolve().parent.parent
CLAIMS_PER_STUDENT = 24.3  # what the demo generator yields on average; the run reports the real count


def dekt(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dekt.cli", *args], cwd=cwd, capture_output=True, text=True)


def timed(args: list[str], cwd: Path, runs: int, before=None) -> list[float]:
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        result = dekt(*args, cwd=cwd)
        times.append(time.perf_counter() - start)
        if result.returncode not in (0, 1):
            raise SystemExit(f"dekt {' '.join(args)} failed:\n{result.stderr}")
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", help="generate into this folder and keep it")
    args = ap.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="dekt-bench-"))
    try:
        students = int(args.claims / CLAIMS_PER_STUDENT) + 1
        t0 = time.perf_counter()
        gen = dekt("demo-data", "--students", str(students), "--seed", "7", str(work), cwd=ROOT)
        if gen.returncode:
            raise SystemExit(gen.stderr)
        stats = json.loads(gen.stdout)
        print(f"generated {stats['claims']:,} claims in {stats['files']:,} files for {stats['students']:,} students "
              f"({time.perf_counter() - t0:.1f} s)")
        subprocess.run(["git", "init", "-q"], cwd=work, check=True)
        subprocess.run(["git", "add", "-A"], cwd=work, check=True)
        subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@invalid", "commit", "-qm", "school"],
                       cwd=work, check=True)  # fmt: skip
        cache = work / ".dekt-cache"
        victim = sorted((work / "records" / "claims").rglob("*.yaml"))[len(stats) * 997 % stats["files"]]
        original = victim.read_text(encoding="utf-8")
        counter = iter(range(10**6))

        def drop_cache() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        def touch_one() -> None:  # a real edit: different bytes each time, still a valid claim
            victim.write_text(original + f"# edit {next(counter)}\n", encoding="utf-8")

        rows = [
            ("cold (no cache)", timed(["validate", "--format", "json"], work, args.runs, drop_cache)),
            ("warm, nothing changed", timed(["validate", "--format", "json"], work, args.runs)),
            ("warm, one file changed", timed(["validate", "--format", "json"], work, args.runs, touch_one)),
            ("alternative: --no-cache", timed(["validate", "--format", "json", "--no-cache"], work, args.runs)),
        ]
        victim.write_text(original, encoding="utf-8")
        print(f"\n{'case':28} {'min':>7} {'median':>7} {'max':>7}   (seconds, {args.runs} runs each)")
        for name, ts in rows:
            print(f"{name:28} {min(ts):7.2f} {statistics.median(ts):7.2f} {max(ts):7.2f}")
        med = {name: statistics.median(ts) for name, ts in rows}
        ratio = med["alternative: --no-cache"] / med["warm, one file changed"]
        print(f"\nwarm after one change vs parsing everything: {ratio:.1f}x faster")
        print(f"targets: cold <= 15 s: {'ok' if med['cold (no cache)'] <= 15 else 'MISSED'}; "
              f"warm after one change <= 3 s: {'ok' if med['warm, one file changed'] <= 3 else 'MISSED'}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
