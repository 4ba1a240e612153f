"""The public site's privacy check: no full student id, no private output, no request to another host.

Run by the build on the staged site before it replaces ``OUT/site`` (a leaking site is never published)
and by the test suite on the built demo.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

_URL = re.compile(r"""\b(?:https?:)?//([^/\s"'<>)\\]+)""")
# Namespace names are identifiers, not requests: SVG and XML namespaces, and the sitemap schema.
_NAMESPACES = ("www.w3.org", "www.sitemaps.org")
_TEXT = {".html", ".js", ".json", ".css", ".xml", ".txt", ".svg", ".md", ".csv", ".map"}


def _strings(value) -> list[str]:
    """Every string inside decoded JSON (the search index escapes Chinese as \\uXXXX)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def readable_text(path: Path, raw: bytes | None = None) -> str:
    """A file's text as a reader (or a search) would see it; decoded JSON strings are added."""
    raw = path.read_bytes() if raw is None else raw
    text = raw.decode("utf-8", errors="replace")
    if path.suffix == ".json":
        try:
            text += "\n" + "\n".join(_strings(json.loads(raw)))
        except ValueError:
            pass
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
    patterns = id_patterns(ids) if patterns is None else patterns
    return {m.group(1) for p in patterns for m in p.finditer(text) if m.group(1) in ids}


def external_hosts(html: str, allowed: set[str]) -> set[str]:
    """Hosts other than ``allowed`` that an HTML page names in a URL (namespaces aside)."""
    hosts = set()
    for match in _URL.finditer(html):
        host = match.group(1).split("@")[-1].split(":")[0].lower()
        if host and host not in allowed and host not in _NAMESPACES and "." in host:
            hosts.add(host)
    return hosts


def problems(site: Path, student_ids: set[str], *, private: Path | None = None, site_url: str | None = None) -> list[str]:
    """Everything on the built site that must not be there, one line each (empty: the site is clean)."""
    out: list[str] = []
    patterns = id_patterns(student_ids)
    allowed = {"127.0.0.1", "localhost"} | ({urlsplit(site_url).hostname} if site_url else set())
    files = sorted(p for p in site.rglob("*") if p.is_file())
    # A copy has the size of its original: only private files of a size some site file has are hashed
    # (thousands of transcripts are not read on every build).
    sizes = {p.stat().st_size for p in files}
    private_hashes = {}
    if private is not None and private.is_dir():
        for p in private.rglob("*"):
            if p.is_file() and p.stat().st_size > 64 and p.stat().st_size in sizes:
                private_hashes[hashlib.sha256(p.read_bytes()).hexdigest()] = p
    for path in files:
        rel = path.relative_to(site).as_posix()
        if path.suffix.lower() in (".pdf", ".csv"):
            out.append(f"{rel}: 公开站点不应有 {path.suffix} 文件 (no {path.suffix} file belongs on the public site)")
        raw = path.read_bytes()
        copied = private_hashes.get(hashlib.sha256(raw).hexdigest()) if private_hashes else None
        if copied:
            out.append(f"{rel}: 与私有输出 {copied.name} 相同 (a copy of a private output)")
        if path.suffix.lower() not in _TEXT:
            continue
        text = readable_text(path, raw)
        leaked = ids_in(text, student_ids, patterns)
        if leaked:
            sample = "、".join(sorted(leaked)[:3])
            out.append(f"{rel}: 含 {len(leaked)} 个完整学号，如 {sample} (full student ids)")
        if path.suffix == ".html":
            hosts = external_hosts(text, allowed)
            if hosts:
                out.append(f"{rel}: 引用了外部主机 {', '.join(sorted(hosts))} (names another host)")
    return out
