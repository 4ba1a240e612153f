"""Build the public site: generated pages + the hand-written MkDocs project → ``OUT/site``.

The work happens in ``OUT/.site-work``: the project's ``docs/`` is copied there, the generated pages and
snippets are written beside it, a config that inherits ``site/mkdocs.yml`` names the navigation, and MkDocs
builds into the work folder. The sealed verification records are added, the result passes the privacy
check, and only then does it replace ``OUT/site`` in one step. A failed build leaves the old site as it was.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path

import yaml

from ..check import Checked
from ..diagnostics import DektError, Refused
from . import pages as page_gen
from . import privacy, sealed

WORK = ".site-work"
SECTIONS = ("catalogue/", "notice/", "stats/")


@dataclass(frozen=True)
class SiteBuilt:
    """What a site build did: pages, verification records, the time it took and where the site is."""

    pages: int
    records: int
    seconds: float
    folder: Path


def site_project(root: Path) -> Path:
    """The MkDocs project: the repository's ``site/``, else the one shipped with dekt."""
    from ..defaults import folder

    return root / "site" if (root / "site" / "mkdocs.yml").is_file() else folder("site")


def _nav(project_nav: list, generated: list[page_gen.Page]) -> list:
    """The project's navigation with each section folder (``catalogue/``) replaced by its generated pages.

    The theme prints navigation titles as HTML, unescaped: a generated page's title (a batch's title comes from
    its pull request) goes in HTML-escaped.
    """
    out = []
    for entry in project_nav:
        if isinstance(entry, dict):
            ((title, target),) = entry.items()
            if isinstance(target, str) and target in SECTIONS:
                section = [p for p in generated if p.path.startswith(target)]
                target = [
                    p.path if p.path.endswith("/index.md") else {page_gen.theme_text(p.title): p.path} for p in section
                ]
            elif isinstance(target, list):
                target = _nav(target, generated)
            out.append({title: target})
        else:
            out.append(entry)
    return out


class _NavLoader(yaml.SafeLoader):
    """Reads the project config's navigation; MkDocs' own tags (``!relative``, ``!!python/name``) are left to MkDocs."""


_NavLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


class _Collect(logging.Handler):
    """MkDocs reports problems through logging: keep the warnings and errors to show them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_mkdocs(config_file: Path, build_date: date) -> None:
    """``mkdocs build --strict`` on ``config_file``, the build date pinned (sitemap, gzip) for the same bytes."""
    import jieba
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter on every build
    collect = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collect)
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(datetime.combine(build_date, clock(), UTC).timestamp()))
    try:
        config = load_config(str(config_file))
        build(config)
    except (MkDocsException, SystemExit) as exc:
        detail = "；".join(collect.messages[:10]) or str(exc)
        raise DektError(f"站点构建失败 (the site failed to build): {detail}") from None
    finally:
        logger.removeHandler(collect)
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def build_site(checked: Checked, batches: list[dict], records: list[tuple[str, dict]], *, issued: date,
               now: datetime | None, stage: Path, extra: dict[str, bytes] | None = None) -> SiteBuilt:  # fmt: skip
    """Build the public site into ``stage/site`` and check it against the staged ``stage/private``.

    ``batches`` are the batches on notice (``dekt.notice.notice_batches``), ``records`` the verification
    records as (code, public record) pairs, ``issued`` the build date and ``now`` the moment the notice
    list was decided at (None: the build read no pull requests, and the notice page says so). ``extra`` are
    further files for the site (path → bytes, e.g. ``notice.json``): they pass the privacy check with the rest.
    The caller swaps the stage into place (``dekt.output``); nothing outside ``stage`` is written.
    """
    start = time.perf_counter()
    rules = checked.rules
    project = site_project(checked.root)
    work = stage / WORK
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(project / "docs", work / "docs")
    generated, snippets = page_gen.generate(
        rules, checked.ledgers, batches, issued=issued, now=now, transcripts=len(records)
    )
    for page in generated:
        target = work / "docs" / page.path
        if target.exists():
            raise DektError(
                f"站点页面 {page.path} 与 site/docs 中的手写页面重名 (a generated page clashes with site/docs)"
            )
        _write(target, page.text)
    for name, text in snippets.items():
        _write(work / "snippets" / name, text)
    base = yaml.load((project / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_NavLoader)
    inst = rules.school.institution
    config = {
        "INHERIT": str((project / "mkdocs.yml").resolve()),
        # The theme prints these as HTML without escaping them: the rules' texts go in escaped.
        "site_name": page_gen.theme_text(f"{inst.name} 第二课堂成绩单"),
        "docs_dir": "docs",
        "site_dir": "site",
        "theme": {"custom_dir": str((project / base.get("theme", {}).get("custom_dir", "overrides")).resolve())},
        "copyright": page_gen.theme_text(f"{inst.issuer} · 数据截至 {issued.isoformat()}"),
        "extra": {"dekt": {"issued": issued.isoformat(), "institution": page_gen.theme_text(inst.name)}},
        "nav": _nav(base.get("nav", []), generated),
    }
    if inst.url:
        config["site_url"] = inst.url.rstrip("/") + "/"
    _write(work / "mkdocs.yml", yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    run_mkdocs(work / "mkdocs.yml", issued)
    site = work / "site"
    for name, body in sealed.seal_all(records).items():
        target = site / "verify" / name
        if target.exists():
            raise DektError(f"site/docs/verify/{name} 与验证记录重名 (clashes with a verification record)")
        target.write_bytes(body)
    for name, body in (extra or {}).items():
        target = site / name
        if target.exists():
            raise DektError(f"站点文件 {name} 已存在 (the site already has {name})")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    found = privacy.problems(site, set(checked.roster), private=stage / "private", site_url=inst.url)
    if found:
        raise Refused("公开站点未通过隐私检查，未发布 (the public site failed the privacy check; not published):\n  "
                        + "\n  ".join(found[:20]))  # fmt: skip
    count = sum(1 for _ in site.rglob("index.html"))
    os.replace(site, stage / "site")
    shutil.rmtree(work)
    return SiteBuilt(count, len(records), time.perf_counter() - start, stage / "site")
