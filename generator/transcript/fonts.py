"""Small fonts built for the job from the configured CJK font, and the check that it covers every character.

Embedding a system CJK font (tens of MB, 65,000 glyphs) makes WeasyPrint subset it for every PDF, which
is slow. Instead each transcript uses two small fonts cut from the configured one:

* the base font, a fixed character set (GB 2312 and ASCII, a few symbols): built once per font file and
  cached; it never changes, so a transcript's bytes do not depend on which other students are in the run;
* an extras font per distinct set of characters outside the base (rare name characters such as 𠮷, 堃,
  喆), cut from the full font and cached by that set; its glyph order follows the full font, so the same
  characters always give the same font bytes.

Both are subsets of one face, so the printed glyphs are the configured font's own. They are cut with
HarfBuzz's subsetter (uharfbuzz), which takes a twentieth of a second for the base font where fontTools
takes ten; fontTools reads the character map and finds the face in a collection.
"""

from __future__ import annotations

import hashlib
import os
from array import array
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..diagnostics import DektError
from ..files import write_atomic

BASE_VERSION = "2"  # bump when the base character set or the subsetting options change
WEIGHTS = ("regular", "bold")

# Symbols the transcript uses that GB 2312's table lacks or maps elsewhere.
_SYMBOLS = "·—–‘’“”…、。，：；！？（）《》【】〔〕「」『』￥×✓✗■□○●△▲①②③④⑤⑥⑦⑧⑨⑩"


@dataclass(frozen=True)
class FontSpec:
    """One configured face: the font file and, in a collection, the face's family name."""

    path: Path
    face: str

    def index(self) -> int:
        """The number of the face in the file (0 for a single font)."""
        return _face_index(str(self.path), self.path.stat().st_mtime_ns, self.face)


@dataclass(frozen=True)
class FontFace:
    """One @font-face rule of a transcript: a family name, a weight and a font file."""

    family: str
    weight: str  # "normal" or "bold"
    path: Path


def configured(rules, root: Path) -> dict[str, FontSpec]:
    """The regular and bold faces configured in ``rules/school.yaml`` (paths relative to the repository)."""
    font = rules.school.transcript.font
    return {w: FontSpec((root / getattr(font, w)).resolve(), font.face) for w in WEIGHTS}


def cache_dir(root: Path) -> Path:
    """Where built fonts are kept: ``$DEKT_FONT_CACHE``, else the user's cache (shared by every clone, since
    a built font depends only on the font file), else ``.dekt-cache/fonts`` in the repository."""
    if os.environ.get("DEKT_FONT_CACHE"):
        chosen = Path(os.environ["DEKT_FONT_CACHE"])
        try:
            chosen.mkdir(parents=True, exist_ok=True)
            writable = os.access(chosen, os.W_OK)
        except OSError as exc:
            writable, why = False, exc.strerror
        else:
            why = "不可写 not writable"
        if not writable:
            raise DektError(
                f"字体缓存目录 DEKT_FONT_CACHE={chosen} 无法使用：{why} (the font cache folder cannot be used: {why})"
            )
        return chosen
    try:
        user = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dekt" / "fonts"
        user.mkdir(parents=True, exist_ok=True)
        if os.access(user, os.W_OK):
            return user
    except (OSError, RuntimeError):  # no home folder, or a read-only one
        pass
    return root / ".dekt-cache" / "fonts"


@lru_cache(maxsize=16)
def _face_index(path: str, _mtime: int, face: str) -> int:
    from fontTools.ttLib import TTCollection, TTFont

    with open(path, "rb") as fh:
        collection = fh.read(4) == b"ttcf"
    if not collection:
        TTFont(path, lazy=True)  # fails clearly when the file is not a font
        return 0
    names = []
    for i, font in enumerate(TTCollection(path, lazy=True).fonts):
        family = font["name"].getDebugName(1)
        if family == face:
            return i
        names.append(family)
    raise ValueError(f"no face {face!r} in {path}; faces: {', '.join(names)}")


def base_charset() -> frozenset[str]:
    """The fixed character set of the base font: GB 2312, printable ASCII and the transcript's symbols."""
    chars = {chr(c) for c in range(0x20, 0x7F)} | set(_SYMBOLS)
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return frozenset(chars)


BASE = base_charset()


def cmap(spec: FontSpec, cache: Path | None = None) -> frozenset[int]:
    """The code points the face maps to a glyph, read once and kept in ``cache`` keyed by file, size and time."""
    st = spec.path.stat()
    return _cmap(str(spec.path), st.st_size, st.st_mtime_ns, spec.face, str(cache) if cache else None)


@lru_cache(maxsize=8)
def _cmap(path: str, size: int, mtime: int, face: str, cache: str | None) -> frozenset[int]:
    key = hashlib.sha256(f"{path}\0{size}\0{mtime}\0{face}".encode()).hexdigest()[:24]
    stored = Path(cache) / f"cmap-{key}.bin" if cache else None
    if stored and stored.exists():
        codes = array("I")
        codes.frombytes(stored.read_bytes())
        return frozenset(codes)
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=_face_index(path, mtime, face), lazy=True)
    codes = array("I", sorted(font["cmap"].getBestCmap()))
    if stored:
        write_atomic(stored, codes.tobytes())
    return frozenset(codes)


def missing(text: str, covered: frozenset[int]) -> list[str]:
    """The characters of ``text`` the font does not cover, in order of first appearance, without repeats."""
    out: dict[str, None] = {}
    for ch in text:
        if ord(ch) not in covered and ch not in "\n\r\t" and ch not in out:
            out[ch] = None
    return list(out)


@lru_cache(maxsize=4)
def _file_digest(path: str, size: int, mtime: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def font_key(spec: FontSpec) -> str:
    """What a built font depends on: the font file's content, the face, the subsetter's version and ours."""
    import uharfbuzz

    st = spec.path.stat()
    digest = _file_digest(str(spec.path), st.st_size, st.st_mtime_ns)
    return hashlib.sha256(f"{digest}\0{spec.face}\0{uharfbuzz.__version__}\0{BASE_VERSION}".encode()).hexdigest()[:16]


# Tables a transcript does not need: CJK text is set without layout features, horizontally.
_DROPPED = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "VORG", "vhea", "vmtx", "DSIG")


def subset(spec: FontSpec, chars: set[str] | frozenset[str], out: Path) -> Path:
    """Cut the face down to ``chars`` (no layout tables, no hinting) and save it, atomically."""
    import uharfbuzz as hb

    face = hb.Face(hb.Blob.from_file_path(str(spec.path)), spec.index())
    request = hb.SubsetInput()
    for ch in sorted(chars):
        request.unicode_set.add(ord(ch))
    for tag in _DROPPED:
        request.drop_table_tag_set.add(int.from_bytes(tag.encode("ascii"), "big"))
    request.flags = (hb.SubsetFlags.NO_HINTING | hb.SubsetFlags.DESUBROUTINIZE | hb.SubsetFlags.NOTDEF_OUTLINE
                     | hb.SubsetFlags.NO_LAYOUT_CLOSURE)  # fmt: skip
    built = hb.subset(face, request)
    if built is None:
        raise ValueError(f"HarfBuzz could not subset {spec.path}")
    write_atomic(out, built.blob.data)
    return out


def base_path(spec: FontSpec, weight: str, cache: Path) -> Path:
    """Where the base font of this face is cached."""
    return cache / f"base-{font_key(spec)}-{weight}.otf"


def extras_path(spec: FontSpec, weight: str, chars: frozenset[str], cache: Path) -> Path:
    """Where the extras font for ``chars`` of this face is cached."""
    return cache / f"extra-{font_key(spec)}-{extras_id(chars)}-{weight}.otf"


def extras_id(chars: frozenset[str]) -> str:
    """A short id of a set of characters (it names the extras font's family too)."""
    return hashlib.sha256("".join(sorted(chars)).encode("utf-8")).hexdigest()[:12]


def _build(job: tuple[FontSpec, frozenset[str], Path]) -> Path:
    spec, chars, out = job
    return subset(spec, chars, out)


def prepare(specs: dict[str, FontSpec], extras: set[frozenset[str]], cache: Path, jobs: int = 1) -> int:
    """Build every base and extras font not yet in ``cache`` (in parallel); return how many were built."""
    todo = []
    for weight, spec in specs.items():
        todo.append((spec, BASE, base_path(spec, weight, cache)))
        todo += [(spec, chars, extras_path(spec, weight, chars, cache)) for chars in extras if chars]
    todo = [job for job in todo if not job[2].exists()]
    if len(todo) > 1 and jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(min(jobs, len(todo))) as pool:
            list(pool.map(_build, todo))
    else:
        for job in todo:
            _build(job)
    return len(todo)


def faces(specs: dict[str, FontSpec], extras: frozenset[str], cache: Path) -> list[FontFace]:
    """The @font-face rules of one transcript: the base faces, then the extras faces when needed."""
    out = [FontFace("DK Base", "bold" if w == "bold" else "normal", base_path(s, w, cache)) for w, s in specs.items()]
    if extras:
        family = f"DK Extra {extras_id(extras)}"
        out += [
            FontFace(family, "bold" if w == "bold" else "normal", extras_path(s, w, extras, cache))
            for w, s in specs.items()
        ]
    return out
