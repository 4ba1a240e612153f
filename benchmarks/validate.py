"""Validation speed at the size of a university: cold, warm, and after one file changed.

Generates a synthetic school of about 100,000 claims in a temporary Git repository, then times
``dekt validate`` as a whole process: cold (no cache), warm (nothing changed), and after one claim
file changed; beside each, the alternative that parses every file every time (``--no-cache``).
Targets on a 2-core machine: cold at most 15 s, warm after one change at most 3 s.

``--baseline DIR`` times another checkout of dekt (its ``generator/``, e.g. a ``git worktree`` of an older
commit) on the same school, run for run in turn with this one, and prints the ratios: a change's cost is
measured side by side in one session, not against figures from another day. Each side has its own cache
folder (``$XDG_CACHE_HOME``), and "cold" removes both the user-folder cache and an old ``.dekt-cache/``.

    python benchmarks/validate.py [--claims 100000] [--runs 3] [--keep DIR] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLAIMS_PER_STUDENT = 24.3  # what the demo generator yields on average; the run reports the real count


def dekt(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dekt.cli", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )


class Side:
    """One dekt to time: this checkout, or a baseline's ``generator/`` put first on the import path."""

    def __init__(self, name: str, scratch: Path, generator: Path | None = None):
        self.name = name
        self.cache = scratch / f"cache-{name}"
        self.env = {**os.environ, "XDG_CACHE_HOME": str(self.cache)}
        if generator is not None:
            shim = scratch / f"path-{name}"
            shim.mkdir()
            (shim / "dekt").symlink_to(generator.resolve(), target_is_directory=True)
            self.env["PYTHONPATH"] = str(shim)
            probe = dekt("--help", cwd=scratch, env=self.env)  # the baseline must import from where it was asked to
            check = subprocess.run([sys.executable, "-c", "import dekt; print(dekt.__file__)"], env=self.env,
                                   capture_output=True, text=True, check=False)  # fmt: skip
            if probe.returncode or not check.stdout.startswith(str(shim)):
                raise SystemExit(f"cannot run the baseline from {generator}: {probe.stderr or check.stdout}")

    def drop_cache(self, work: Path) -> None:
        shutil.rmtree(self.cache, ignore_errors=True)
        shutil.rmtree(work / ".dekt-cache", ignore_errors=True)


def _cpu() -> float:
    """CPU seconds used so far by finished child processes (theirs and their own children's, such as git)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], cwd: Path, runs: int, sides: list[Side], before=None) -> dict[str, list[tuple]]:
    """``runs`` (wall, CPU) timings of ``dekt ARGS`` per side, the sides taking turns so that load hits both.

    CPU time is reported beside wall time because it hardly moves with the load of a shared machine.
    """
    times: dict[str, list[tuple]] = {side.name: [] for side in sides}
    for _ in range(runs):
        for side in sides:
            if before:
                before(side)
            start, cpu = time.perf_counter(), _cpu()
            result = dekt(*args, cwd=cwd, env=side.env)
            times[side.name].append((time.perf_counter() - start, _cpu() - cpu))
            if result.returncode not in (0, 1):
                raise SystemExit(f"{side.name}: dekt {' '.join(args)} failed:\n{result.stderr}")
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", help="generate into this folder and keep it")
    ap.add_argument("--baseline", type=Path, help="a checkout of dekt to time side by side with this one")
    args = ap.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="dekt-bench-"))
    scratch = Path(tempfile.mkdtemp(prefix="dekt-bench-env-"))
    try:
        sides = [Side("current", scratch)]
        if args.baseline:
            sides.insert(0, Side("baseline", scratch, args.baseline / "generator"))
        students = int(args.claims / CLAIMS_PER_STUDENT) + 1
        t0 = time.perf_counter()
        gen = dekt("demo-data", "--students", str(students), "--seed", "7", str(work), cwd=ROOT)
        if gen.returncode:
            raise SystemExit(gen.stderr)
        stats = json.loads(gen.stdout)
        print(
            f"generated {stats['claims']:,} claims in {stats['files']:,} files for {stats['students']:,} students "
            f"({time.perf_counter() - t0:.1f} s)"
        )
        subprocess.run(["git", "init", "-q"], cwd=work, check=True)
        subprocess.run(["git", "add", "-A"], cwd=work, check=True)
        subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@invalid", "commit", "-qm", "school"],
                       cwd=work, check=True)  # fmt: skip
        victim = sorted((work / "records" / "claims").rglob("*.yaml"))[len(stats) * 997 % stats["files"]]
        original = victim.read_text(encoding="utf-8")
        counter = iter(range(10**6))

        def touch_one(side: Side) -> None:  # a real edit: different bytes each time, still a valid claim
            victim.write_text(original + f"# edit {next(counter)}\n", encoding="utf-8")

        validate = ["validate", "--format", "json"]
        rows = [
            ("cold (no cache)", timed(validate, work, args.runs, sides, lambda side: side.drop_cache(work))),
            ("warm, nothing changed", timed(validate, work, args.runs, sides)),
            ("warm, one file changed", timed(validate, work, args.runs, sides, touch_one)),
            ("alternative: --no-cache", timed([*validate, "--no-cache"], work, args.runs, sides)),
        ]
        victim.write_text(original, encoding="utf-8")
        head = f"{'case':28} {'side':9} {'min':>7} {'median':>7} {'max':>7} {'CPU med':>8}"
        print(f"\n{head}   (seconds, {args.runs} runs)")
        wall = {name: {side: [w for w, _ in ts] for side, ts in by_side.items()} for name, by_side in rows}
        cpu = {name: {side: [c for _, c in ts] for side, ts in by_side.items()} for name, by_side in rows}
        for name, by_side in wall.items():
            for side, ts in by_side.items():
                cpu_med = statistics.median(cpu[name][side])
                print(f"{name:28} {side:9} {min(ts):7.2f} {statistics.median(ts):7.2f} {max(ts):7.2f} {cpu_med:8.2f}")
        med = {name: statistics.median(by_side["current"]) for name, by_side in wall.items()}
        if args.baseline:
            print("\ncurrent / baseline (above 1.00 is slower):   wall median   wall min   CPU median")
            for name in wall:
                w, c = wall[name], cpu[name]
                ratios = [statistics.median(w["current"]) / statistics.median(w["baseline"]),
                          min(w["current"]) / min(w["baseline"]),
                          statistics.median(c["current"]) / statistics.median(c["baseline"])]  # fmt: skip
                print(f"  {name:28} {ratios[0]:11.2f} {ratios[1]:10.2f} {ratios[2]:12.2f}")
        ratio = med["alternative: --no-cache"] / med["warm, one file changed"]
        print(f"\nwarm after one change vs parsing everything: {ratio:.1f}x faster")
        print(
            f"targets: cold <= 15 s: {'ok' if med['cold (no cache)'] <= 15 else 'MISSED'}; "
            f"warm after one change <= 3 s: {'ok' if med['warm, one file changed'] <= 3 else 'MISSED'}"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
