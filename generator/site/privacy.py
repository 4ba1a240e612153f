"""The public site's privacy check: no full student id, no private output, no request to another host.

Run by the build on the staged site before it is published (a leaking site is never published) and by the
test suite on the built demo. It cannot be walked around by a file type: every text type the site may
publish is read (gzip'd ones decompressed), any other file is refused unless its type is on the allow-list
of binary files the theme ships (fonts, images), and a copy of a private output is found by its hash
whatever its name. Other hosts are looked for only where a page *loads* something — ``src``, a ``<link>``'s
``href``, CSS ``url()`` and ``@import``, ``fetch(`` and the like in scripts — never in visible text, so a
web address in a pull request's title is text, not a reason to refuse the whole site.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

# Files read as text: pages, data, styles, scripts, feeds, maps, sitemaps.
TEXT_TYPES = frozenset({".html", ".htm", ".xhtml", ".js", ".mjs", ".json", ".webmanifest", ".css", ".xml", ".txt",
                        ".svg", ".md", ".map", ".yaml", ".yml", ".csv", ".tsv"})  # fmt: skip
# Binary files a static site ships and that cannot hold a list of students in a form a reader would see:
# the theme's fonts and images. Everything else (.pdf, .xlsx, .docx, archives, unknown binaries) is refused.
ALLOWED_BINARY = frozenset({".woff", ".woff2", ".ttf", ".otf", ".eot", ".png", ".jpg", ".jpeg", ".gif", ".webp",
                            ".avif", ".ico"})  # fmt: skip
# Private outputs by nature: never on the public site whatever their content.
REFUSED = frozenset({".pdf", ".csv", ".tsv"})
_MARKUP = {".html", ".htm", ".xhtml", ".xml", ".svg"}

# Attributes through which an element loads (or sends to) an address; <a href> is a link a reader follows, not a load.
_LOAD_ATTRS = {"src", "srcset", "poster", "data", "action", "formaction", "background", "manifest", "ping", "codebase"}
_HREF_LOADS = {"link", "base", "image", "use", "feimage", "script"}  # <link href>, SVG <image>/<use href>
_CSS_URL = re.compile(
    r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE
)
_SCRIPT_CALL = re.compile(
    r"\b(?:fetch|import|importScripts|EventSource|WebSocket|sendBeacon|open|Worker|SharedWorker)"
    r"\s*\(([^()]{0,400})\)"
)
_STRING = re.compile(r"""["'`]([^"'`]*)["'`]""")
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\";\s]+)", re.IGNORECASE)


def _strings(value) -> list[str]:
    """Every string inside decoded JSON (the search index escapes Chinese as \\uXXXX)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _decoded(path: Path, raw: bytes) -> tuple[str, bytes]:
    """A gzip'd file's real type and content (``sitemap.xml.gz`` is XML); other files as they are."""
    if path.suffix.lower() == ".gz" or raw[:2] == b"\x1f\x8b":
        try:
            return Path(path.stem).suffix.lower(), gzip.decompress(raw)
        except (OSError, EOFError):
            return path.suffix.lower(), raw
    return path.suffix.lower(), raw


def readable_text(path: Path, raw: bytes | None = None) -> str:
    """A file's text as a reader (or a search) would see it: JSON strings decoded, character references resolved."""
    raw = path.read_bytes() if raw is None else raw
    kind, raw = _decoded(path, raw)
    text = raw.decode("utf-8", errors="replace")
    if kind in (".json", ".map", ".webmanifest"):
        try:
            text += "\n" + "\n".join(_strings(json.loads(raw)))
        except ValueError:
            pass
    if kind in _MARKUP and "&" in text:
        text += "\n" + html.unescape(text)  # 2014&#48;10001 shows as a full id
    return text


def id_patterns(ids: set[str]) -> list[re.Pattern]:
    """One pattern per id length, matching every window of text of that length made of the characters ids use."""
    chars = "".join(re.escape(c) for c in sorted(set("".join(ids))))
    return [re.compile(f"(?=([{chars}]{{{n}}}))") for n in sorted({len(i) for i in ids})]


def ids_in(text: str, ids: set[str], patterns: list[re.Pattern] | None = None) -> set[str]:
    """The ids of ``ids`` that occur in ``text``, also inside longer runs of letters and digits.

    The regular expression engine proposes every window that could be an id (a run of id characters of an
    id's length, overlapping); only those are looked up, so long base-64 or hex text costs little.
    """
    if not ids:
        return set()
    patterns = id_patterns(ids) if patterns is None else patterns
    return {m.group(1) for p in patterns for m in p.finditer(text) if m.group(1) in ids}


def css_loads(css: str) -> list[str]:
    """The addresses a style sheet loads: ``url(…)`` and ``@import``."""
    return [next(g for g in m.groups() if g is not None) for m in _CSS_URL.finditer(css)]


def script_loads(js: str) -> list[str]:
    """The literal addresses a script hands to ``fetch(``, ``import(``, ``new Worker(``, ``xhr.open(`` and the like."""
    return [lit for m in _SCRIPT_CALL.finditer(js) for lit in _STRING.findall(m.group(1))]


class _Loads(HTMLParser):
    """Collects the addresses an HTML or SVG document loads (attributes, inline styles, inline scripts)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        tag = tag.lower()
        for name, value in attrs:
            name = name.lower()
            if value is None:
                continue
            if name in _LOAD_ATTRS or (name in ("href", "xlink:href") and tag in _HREF_LOADS):
                if name == "srcset":
                    self.urls += [part.split()[0] for part in value.split(",") if part.split()]
                else:
                    self.urls.append(value)
            elif name == "style":
                self.urls += css_loads(value)
            elif name == "content" and tag == "meta" and dict(attrs).get("http-equiv", "").lower() == "refresh":
                self.urls += _REFRESH_URL.findall(value)
        self._in = tag if tag in ("style", "script") else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "style":
            self.urls += css_loads(data)
        elif self._in == "script":
            self.urls += script_loads(data)


def page_loads(markup: str) -> list[str]:
    """The addresses an HTML page or SVG image loads."""
    parser = _Loads()
    parser.feed(markup)
    parser.close()
    return parser.urls


def _host(url: str) -> str | None:
    """The host an address names (``//host/…``, ``https://host/…``), None for one on the same site."""
    url = url.strip()
    if not url.startswith("//") and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url):
        return None  # relative
    parts = urlsplit(url)
    if parts.scheme.lower() in ("data", "blob", "about", "javascript", "mailto", "tel"):
        return None
    return (parts.hostname or parts.scheme or "?").lower()


def external_hosts(text: str, allowed: set[str], kind: str = ".html") -> set[str]:
    """Hosts other than ``allowed`` that a file of type ``kind`` loads from (HTML, SVG, CSS or script)."""
    if kind in _MARKUP:
        urls = page_loads(text)
    elif kind == ".css":
        urls = css_loads(text)
    elif kind in (".js", ".mjs"):
        urls = script_loads(text)
    else:
        return set()
    return {h for h in map(_host, urls) if h is not None and h not in allowed}


def problems(site: Path, student_ids: set[str], *, private: Path | None = None, site_url: str | None = None,
             allowed_binary: frozenset[str] = ALLOWED_BINARY) -> list[str]:  # fmt: skip
    """Everything on the built site that must not be there, one line each (empty: the site is clean)."""
    out: list[str] = []
    patterns = id_patterns(student_ids) if student_ids else []
    allowed = {"127.0.0.1", "localhost"} | ({urlsplit(site_url).hostname} if site_url else set())
    files = sorted(p for p in site.rglob("*") if p.is_file() or p.is_symlink())
    # A copy has the size of its original: only private files of a size some site file has are hashed
    # (thousands of transcripts are not read on every build).
    sizes = {p.lstat().st_size for p in files}
    private_hashes = {}
    if private is not None and private.is_dir():
        for p in private.rglob("*"):
            if p.is_file() and p.stat().st_size > 64 and p.stat().st_size in sizes:
                private_hashes[hashlib.sha256(p.read_bytes()).hexdigest()] = p
    for path in files:
        rel = path.relative_to(site).as_posix()
        if path.is_symlink():
            out.append(f"{rel}: 公开站点不应有符号链接 (no symbolic link belongs on the public site)")
            continue
        raw = path.read_bytes()
        copied = private_hashes.get(hashlib.sha256(raw).hexdigest()) if private_hashes else None
        if copied:
            out.append(f"{rel}: 与私有输出 {copied.name} 相同 (a copy of a private output)")
        kind, _ = _decoded(path, raw)
        if kind in REFUSED:
            out.append(f"{rel}: 公开站点不应有 {kind} 文件 (no {kind} file belongs on the public site)")
            continue
        if kind not in TEXT_TYPES:
            if kind not in allowed_binary:
                out.append(f"{rel}: 无法检查的文件类型 {kind or '（无扩展名）'}，不予发布 "
                           f"(a file type the check cannot read; not published)")  # fmt: skip
            continue
        text = readable_text(path, raw)
        leaked = ids_in(text, student_ids, patterns)
        if leaked:
            sample = "、".join(sorted(leaked)[:3])
            out.append(f"{rel}: 含 {len(leaked)} 个完整学号，如 {sample} (full student ids)")
        # What the file loads, from its own text (not the references resolved for the id check above:
        # "&lt;img src=…&gt;" in a title is visible text).
        hosts = external_hosts(_decoded(path, raw)[1].decode("utf-8", errors="replace"), allowed, kind)
        if hosts:
            out.append(f"{rel}: 从外部主机加载内容 {', '.join(sorted(hosts))} (loads from another host)")
    return out
