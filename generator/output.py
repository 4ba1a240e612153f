"""The one writer of a build's output folder: it refuses a dangerous folder, locks it, stages, then swaps.

``OUT/site`` (public) and ``OUT/private`` (transcripts, ledgers, lists) always belong to the same build: a build
writes both into ``OUT/.stage/`` and only when everything is checked moves them into place. The two moves are
recorded first in ``OUT/.swap`` (a journal); a build that finds a journal left by a crash between the two moves
finishes them before anything else, so the private transcripts and the site's records never disagree for long.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import DektError, Refused

MARKER = ".dekt-build"  # says "this folder is dekt's to replace"; written by the first build
LOCK = ".dekt-build.lock"
STAGE = ".stage"
JOURNAL = ".swap"
PARTS = ("private", "site")  # swapped in this order: the private outputs first, then the public site
# Folders a dekt repository keeps its own files in; an output folder may never be, contain or sit inside one.
REPOSITORY_FOLDERS = ("records", "rules", "generator", "site", "tests", "benchmarks", ".github", ".git", ".ci", "inbox")


@dataclass(frozen=True)
class Stage:
    """A build's staging folder: write ``site`` and ``private`` here, then ``commit``."""

    out: Path
    folder: Path

    @property
    def site(self) -> Path:
        return self.folder / "site"

    @property
    def private(self) -> Path:
        return self.folder / "private"

    def current(self, part: str) -> Path:
        """The live ``OUT/<part>`` that this stage will replace (read it, never write it)."""
        return self.out / part


def _tracked_top(root: Path) -> set[str]:
    """The top-level names Git tracks in ``root`` (empty outside a Git work tree)."""
    result = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True)
    if result.returncode != 0:
        return set()
    return {p.split("/", 1)[0] for p in result.stdout.decode("utf-8", "replace").split("\0") if p}


def check_out(root: Path, out: Path) -> Path:
    """The output folder, resolved; refuse one that is, holds or sits in the repository's own folders."""
    root, out = root.resolve(), out.resolve()
    refuse = None
    if out == root or any(root.is_relative_to(out / part) for part in (*PARTS, STAGE)):
        refuse = (
            "是仓库本身，或会替换仓库所在的目录",
            "is the repository itself, or would replace the folder it is in",
        )
    elif out.is_relative_to(root):
        top = out.relative_to(root).parts[0]
        if top in REPOSITORY_FOLDERS or top in _tracked_top(root):
            refuse = (f"位于仓库自己的目录 {top}/ 中", f"lies in the repository's own folder {top}/")
    if refuse:
        raise Refused(
            f"拒绝使用输出目录 {out}：它{refuse[0]}，构建会替换其中的 site/ 与 private/。请换一个目录，如 _build。"
            f" (refusing output folder {out}: it {refuse[1]}, and a build replaces site/ and private/ in it;"
            " choose another folder such as _build)"
        )
    if out.exists() and not out.is_dir():
        raise DektError(f"输出目录 {out} 是一个文件 (the output folder {out} is a file)")
    if out.is_dir() and not (out / MARKER).exists():
        foreign = [p for p in PARTS if (out / p).exists()]
        if foreign:
            raise Refused(
                f"{out} 中已有 {'、'.join(foreign)}，但不是 dekt 生成的（缺少 {MARKER}）；"
                "为免覆盖您的文件，构建已停止。"
                f" ({out} already holds {', '.join(foreign)} that dekt did not make (no {MARKER}):"
                " refusing to overwrite)"
            )
    return out


@contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the output folder's lock for one build; a second build at the same time is refused at once."""
    out.mkdir(parents=True, exist_ok=True)
    handle = open(out / LOCK, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise Refused(
                    f"另一个构建正在写入 {out}，请等它结束后再运行。"
                    f" (another build is writing to {out}; run again when it has finished)"
                ) from None
            raise
        _recover(out)
        yield
    finally:
        handle.close()  # closing releases the lock


def _recover(out: Path) -> None:
    """Finish the swap an interrupted build had started (its journal names the parts still to move)."""
    journal = out / JOURNAL
    if not journal.exists():
        return
    staged = out / STAGE
    for part in journal.read_text(encoding="utf-8").split():
        if part in PARTS and (staged / part).exists():
            _replace(staged / part, out / part)
    journal.unlink()
    shutil.rmtree(staged, ignore_errors=True)


def begin(out: Path) -> Stage:
    """A fresh, empty staging folder inside ``out`` (on the same file system, so the swap is a rename)."""
    folder = out / STAGE
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Stage(out, folder)


def _replace(staged: Path, target: Path) -> None:
    """Put ``staged`` where ``target`` is; the old one is removed only after the new one is in place."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(staged, target)
    shutil.rmtree(old, ignore_errors=True)


def commit(stage: Stage) -> None:
    """Swap the staged ``private`` and ``site`` into place together (journalled), then drop the stage."""
    parts = [p for p in PARTS if (stage.folder / p).exists()]
    (stage.out / MARKER).write_text("dekt build output: site/ is public, private/ is not.\n", encoding="utf-8")
    journal = stage.out / JOURNAL
    journal.write_text("\n".join(parts) + "\n", encoding="utf-8")
    for part in parts:
        _replace(stage.folder / part, stage.out / part)
    journal.unlink()
    shutil.rmtree(stage.folder, ignore_errors=True)


def abandon(stage: Stage) -> None:
    """Throw the staged outputs away; the live ones are untouched."""
    shutil.rmtree(stage.folder, ignore_errors=True)


def link_or_copy(source: Path, target: Path) -> None:
    """Reuse an unchanged output in the stage: a hard link (free), else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
