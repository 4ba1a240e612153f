"""Strict YAML: one document of plain data, every value traceable to its line and column.

The schema, not YAML, decides types. Every scalar comes out as the text that was written (or
None for an empty value, ``~`` or ``null``), so a student id ``0123`` stays ``"0123"``, ``no``
stays ``"no"`` and ``2014-05-01`` stays text until a model field asks for a date. The typed
fields in ``models`` then accept only unambiguous spellings (``true``/``false``, plain decimals,
ISO dates). Tabs, anchors, aliases, tags, duplicate keys and non-text keys are rejected, and so are
nesting deeper than ``MAX_DEPTH`` and control characters (``CONTROL``), written raw or as escapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from .diagnostics import Diagnostic, diag

try:  # libyaml is ~10x faster; PyYAML falls back to pure Python where it is missing
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

MAX_BYTES = 8 * 1024 * 1024
# No claim or rules file nests deeper than 5; the limit stops a file of a few hundred ``[[[[`` before anything
# recurses on it (libyaml itself stops at 1,000 levels, and Python's recursion at about that).
MAX_DEPTH = 32
# Characters no value may hold: C0 and C1 controls and DEL (a raw ESC in a CI log or a terminal is an attack),
# the bidirectional overrides and isolates that make text read other than it is stored ("Trojan Source"), and
# the Unicode line and paragraph separators. A value may hold a line break (a multi-line reason); a file's own
# line breaks and tabs are not values (tabs are DK103).
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MAX_CONTROL_REPORTS = 20  # per file: the first on each line, enough to find them all by hand
_NULLS = {"", "~", "null", "Null", "NULL"}
_CORE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}
Path = tuple[str | int, ...]


@dataclass
class Document:
    """A loaded YAML file: plain data plus the node tree that maps a path back to a position."""

    file: str
    data: Any
    root: yaml.Node

    def locate(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of the value at ``path``, or of the nearest enclosing node."""
        return locate(self.root, path, key=key)


def _walk(root: yaml.Node, path: Path, key: bool) -> tuple[yaml.Node, bool]:
    """Follow ``path`` down the node tree: the deepest node reached, and whether the whole path was."""
    node = root
    for i, step in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == step:
                    node = k if (last and key) else v
                    break
            else:
                return node, False
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
        else:
            return node, False
    return node, True


def position(node: yaml.Node) -> tuple[int, int]:
    """A node's line and column, 1-based."""
    return node.start_mark.line + 1, node.start_mark.column + 1


def locate(root: yaml.Node, path: Path, *, key: bool = False) -> tuple[int, int]:
    """Line and column of the value at ``path``, or of the deepest enclosing node that exists."""
    return position(_walk(root, path, key)[0])


def find(root: yaml.Node, path: Path) -> yaml.Node | None:
    """The node at ``path`` exactly, or None."""
    node, complete = _walk(root, path, False)
    return node if complete else None


def _decode(raw: bytes, file: str) -> tuple[str | None, list[Diagnostic]]:
    if len(raw) > MAX_BYTES:
        return None, [diag("DK100", file, detail=f"超过 {MAX_BYTES // 1024 // 1024} MB / larger than the limit")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [diag("DK109", file, line)]
    tabs = [diag("DK103", file, n + 1, ln.index("\t") + 1) for n, ln in enumerate(text.split("\n")) if "\t" in ln]
    problems = tabs + _raw_controls(text, file)
    return (None, sorted(problems)) if problems else (text, [])


def codepoint(ch: str) -> str:
    """A character as its code point, the way a diagnostic names a character it must not print: ``U+001B``."""
    return f"U+{ord(ch):04X}"


def _raw_controls(text: str, file: str) -> list[Diagnostic]:
    """Control characters written as they are, the first on each line (libyaml would only say "special")."""
    out: list[Diagnostic] = []
    last_line = 0
    for m in _RAW_CONTROL.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        if line != last_line:
            col = m.start() - text.rfind("\n", 0, m.start())
            out.append(diag("DK114", file, line, col, char=codepoint(m.group())))
            last_line = line
            if len(out) == _MAX_CONTROL_REPORTS:
                break
    return out


def parse(raw: bytes, file: str) -> tuple[Document | None, list[Diagnostic]]:
    """Parse one file's bytes; return the document or the reasons it cannot be read."""
    text, problems = _decode(raw, file)
    if text is None:
        return None, problems
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if "expected a single document" in str(exc):
            return None, [diag("DK112", file, line, col)]
        if "exceeded maximum nesting depth" in str(exc):  # libyaml's own limit, 1,000 levels
            return None, [diag("DK113", file, line, col, limit=MAX_DEPTH)]
        detail = " ".join(filter(None, [exc.context, exc.problem]))
        return None, [diag("DK101", file, line, col, detail=detail)]
    except yaml.YAMLError as exc:
        return None, [diag("DK101", file, detail=str(exc))]
    if not isinstance(root, yaml.MappingNode):
        line, col = (root.start_mark.line + 1, root.start_mark.column + 1) if root else (1, 1)
        return None, [diag("DK110", file, line, col)]
    converter = _Converter(file, text)
    data = converter.convert(root)
    problems = _anchors(text, file) if ("&" in text or "*" in text) else []
    if converter.problems or problems:
        return None, sorted(problems + converter.problems)
    return Document(file, data, root), []


def _anchors(text: str, file: str) -> list[Diagnostic]:
    """Every anchor and alias, each at its own position (the composed tree no longer says where aliases were)."""
    out = []
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            out.append(diag("DK104", file, event.start_mark.line + 1, event.start_mark.column + 1))
    return out


def load(path, file: str) -> tuple[Document | None, list[Diagnostic]]:
    """Read and parse the file at ``path``, reported under the name ``file``."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        return None, [diag("DK100", file, detail=exc.strerror or str(exc))]
    return parse(raw, file)


class _Converter:
    """Turn a node tree into dicts, lists and text, collecting every structural problem."""

    def __init__(self, file: str, text: str):
        self.file = file
        self.text = text
        self.seen: set[int] = set()
        self.problems: list[Diagnostic] = []

    def _at(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def _check_node(self, node: yaml.Node) -> bool:
        if id(node) in self.seen:  # the C composer shares the node an alias points to; reported by _anchors
            return False
        self.seen.add(id(node))
        if node.tag not in _CORE_TAGS:
            self.problems.append(diag("DK111", self.file, *self._at(node), tag=node.tag))
            return False
        return True

    def _check_text(self, node: yaml.ScalarNode) -> None:
        # Only a double-quoted scalar can spell a control character as an escape ("\e", "\x1b", "\u202e");
        # raw ones were refused with the file's text.
        if node.style == '"' and (m := CONTROL.search(node.value)):
            self.problems.append(diag("DK114", self.file, *self._at(node), char=codepoint(m.group())))

    def convert(self, node: yaml.Node, depth: int = 1) -> Any:
        if not self._check_node(node):
            return None
        if isinstance(node, yaml.ScalarNode):
            self._check_text(node)
            if not node.style and node.value in _NULLS:  # libyaml gives a plain scalar an empty style
                return None
            return node.value
        if depth > MAX_DEPTH:
            self.problems.append(diag("DK113", self.file, *self._at(node), limit=MAX_DEPTH))
            return None
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, depth + 1) for item in node.value]
        result: dict[str, Any] = {}
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<" and not key_node.style:
                self.problems.append(diag("DK104", self.file, *self._at(key_node)))  # a merge key
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _CORE_TAGS:
                self.problems.append(diag("DK105", self.file, *self._at(key_node)))
                continue
            key = key_node.value
            self._check_text(key_node)
            if key in first:
                self.problems.append(diag("DK102", self.file, *self._at(key_node), key=key, first=first[key]))
                continue
            first[key] = key_node.start_mark.line + 1
            result[key] = self.convert(value_node, depth + 1)
        return result
