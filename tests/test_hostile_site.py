"""Outside text on the public site is text: hostile titles, names and rule texts, built for real and opened in Chromium.

The texts are in ``tests/corpus/hostile/texts.txt``; each sets ``window.__pwned`` if it ever runs. They go into a
pull request's title (the notice list, its navigation, ``<title>`` and ``<meta>``), a claim's activity, a roster
name, the institution's name (the site's name in every page's header and ``<title>``), a category's name and
description (catalogue headings, search) and the notice's "how to object" text. The site must publish, show
every text exactly as written, run none of it, and load nothing from another host.
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path

import helpers
import pytest
import yaml
from test_notice import approve, open_pr

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TEXTS = (Path(__file__).parent / "corpus/hostile/texts.txt").read_text(encoding="utf-8").splitlines()
TITLE = " ".join(TEXTS[:5])  # a pull request's title is one line
ACTIVITY = "摄影" + " ".join(TEXTS)
NAME = TEXTS[3]  # <img src=x onerror="window.__pwned=4">
INSTITUTION = "东海<b>学院</b>[x](javascript:window.__pwned=6)"
CATEGORY = "社团" + TEXTS[2] + TEXTS[0]
DESCRIPTION = TEXTS[1] + " " + TEXTS[6] + " " + TEXTS[7]
HOW_TO_OBJECT = TEXTS[7] + " " + TEXTS[1] + " 请在合并请求下留言。"
NOW = "2026-10-13T09:00:00+08:00"
pytestmark = pytest.mark.slow


def _yaml_edit(path: Path, edit) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A school whose every outside text is hostile, built with a pull request on notice: (repo, build folder)."""
    tmp = tmp_path_factory.mktemp("hostile")
    roster = [row if row[0] != "2014010002" else (row[0], NAME, *row[2:]) for row in helpers.ROSTER]
    root = helpers.make_repo(tmp, roster, init_git=True)

    def school(d):
        d["institution"]["name"] = INSTITUTION
        d["notice"]["how_to_object"] = HOW_TO_OBJECT

    def clubs(d):
        d["categories"]["clubs"]["name"] = CATEGORY
        d["categories"]["clubs"]["description"] = DESCRIPTION

    _yaml_edit(root / "rules/school.yaml", school)
    for path in (root / "rules/credits").glob("*.yaml"):
        _yaml_edit(path, clubs)
    helpers.git(root, "commit", "-qam", "hostile rules")
    claim = helpers.claim_text("2014010002", activity=json.dumps(ACTIVITY, ensure_ascii=False))
    pr = approve(open_pr(root, "batch-7", {"records/claims/2014-2015/customs/club.yaml": claim}, 7))
    pr["title"] = TITLE
    (root / "prs.json").write_text(json.dumps([pr], ensure_ascii=False), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "dekt.cli", "build", "--prs", "prs.json", "--now", NOW],
                         cwd=root, capture_output=True, text=True, check=False)  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    return root, root / "_build"


# -- on disk -------------------------------------------------------------------------------------------------------


class _Elements(HTMLParser):
    """Every element of a page with its attributes, and the text of its inline scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.inline_scripts: list[str] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._script = dict(attrs) if tag == "script" else None

    def handle_data(self, data):
        script = self._script
        if script is not None and "src" not in script and script.get("type") != "application/json" and data.strip():
            self.inline_scripts.append(data)

    def handle_endtag(self, tag):
        self._script = None


def elements(page: Path) -> _Elements:
    parser = _Elements()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_the_site_publishes_and_no_page_has_an_element_the_texts_would_make(built):
    _, out = built
    pages = sorted((out / "site").rglob("*.html"))
    assert len(pages) >= 15
    for page in pages:
        found = elements(page)
        for tag, attrs in found.elements:
            assert not [a for a in attrs if a.startswith("on")], (page, tag, attrs)  # no event handler at all
            for name in ("href", "src", "action"):
                assert not (attrs.get(name) or "").strip().lower().startswith("javascript:"), (page, tag, attrs)
            assert not (tag == "img" and attrs.get("src") == "x"), page
            if tag == "script":  # the site's own files, or data that is not run
                src = attrs.get("src", "")
                assert attrs.get("type") == "application/json" or (src and not re.match(r"^(\w+:|//)", src)), (
                    page,
                    attrs,
                )
        assert found.inline_scripts == [], page


def test_the_batch_page_prints_each_text_escaped(built):
    _, out = built
    page = (out / "site/notice/7/index.html").read_text(encoding="utf-8")
    # In <title> and <meta> the theme prints the value as it is given: HTML-escaped by us (&lt; &gt; &quot;).
    esc = html.escape(TITLE, quote=True)
    assert f"<title>#7 {esc} - {html.escape(INSTITUTION)} 第二课堂成绩单</title>" in page
    assert f'<meta name="description" content="{esc}：公示名单">' in page
    # In the page body (Markdown), every character Markdown or HTML gives a meaning is a numeric reference:
    # < 60, > 62, _ 95, = 61, ( 40, ) 41, [ 91, ] 93, : 58, ! 33, { 123, } 125, " 34, * 42, ` 96, # 35, - 45.
    assert (
        "真实有效&#60;/title&#62;&#60;script&#62;window.&#95;&#95;pwned&#61;1;alert&#40;1&#41;&#60;/script&#62; "
        "&#91;点此&#93;&#40;javascript&#58;window.&#95;&#95;pwned&#61;2&#41; "
        "&#33;&#91;&#93;&#40;x&#41;&#123;&#58; onerror&#61;window.&#95;&#95;pwned&#61;3 &#125;"
    ) in page
    assert "&#60;img src&#61;x onerror&#61;&#34;window.&#95;&#95;pwned&#61;4&#34;&#62;" in page  # the roster name
    assert "&#45;&#45;8&#60;&#45;&#45; &#34;../../../etc/passwd&#34;" in page  # the snippet line, not an include
    assert "&#42;斜体&#42; &#95;&#95;粗&#95;&#95; &#96;代码&#96;" in page and "<em>斜体</em>" not in page
    # The navigation of every page names the batch, escaped.
    assert f"#7 {esc}" in (out / "site/verify/index.html").read_text(encoding="utf-8")


def test_a_web_address_in_a_title_is_text_and_the_privacy_check_passes(built):
    _, out = built
    assert "evil.example" in (out / "site/notice/7/index.html").read_text(encoding="utf-8")  # shown ...
    for page in (out / "site").rglob("*.html"):  # ... never linked or loaded
        for _tag, attrs in elements(page).elements:
            assert not [
                v
                for k, v in attrs.items()
                if k in ("href", "src", "srcset", "action", "data") and "evil.example" in (v or "")
            ]
    from dekt.site import privacy

    assert privacy.problems(out / "site", {r[0] for r in helpers.ROSTER}, private=out / "private") == []


# -- in a real browser ---------------------------------------------------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser_page(built):
    """A Chromium page on the hostile site, recording errors, dialogs, CSP violations and requests to other hosts."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(built[1] / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://localhost:{server.server_address[1]}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        problems: list[str] = []
        page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on(
            "request",
            lambda r: None if r.url.startswith((base, "data:", "blob:")) else problems.append(f"other host: {r.url}"),
        )
        page.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation',"
                             " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")  # fmt: skip

        def go(path):
            page.goto(base + path, wait_until="networkidle")
            assert page.evaluate("window.__pwned") is None, path
            assert page.evaluate("window.__csp") == [], path
            return page

        yield go, problems
        browser.close()
    server.shutdown()


def test_in_the_browser_every_text_is_shown_as_written_and_nothing_runs(browser_page):
    go, problems = browser_page
    pg = go("/notice/7/")
    assert pg.title() == f"#7 {TITLE} - {INSTITUTION} 第二课堂成绩单"
    assert pg.inner_text("article h1") == f"{TITLE} #7¶"  # ¶: the heading's permalink (toc extension)
    cell = pg.locator("td.dekt-activity").inner_text()
    assert cell.startswith(ACTIVITY)
    assert NAME in pg.inner_text("table.dekt-notice")
    assert HOW_TO_OBJECT in pg.inner_text("article")
    assert f"#7 {TITLE}" in pg.inner_text("nav.md-nav--primary")
    assert pg.locator("article img, article a[href^='javascript'], article script").count() == 0
    pg = go("/catalogue/2014-2015/")
    assert CATEGORY in pg.inner_text("article h3") or CATEGORY in pg.inner_text("article")
    assert DESCRIPTION in pg.inner_text("article")
    pg = go("/")
    assert INSTITUTION in pg.inner_text("header")
    assert problems == []


def test_the_verification_page_never_calls_an_unissued_code_genuine(browser_page):
    go, problems = browser_page
    pg = go("/verify/?code=DK-0000-0000-0000-0000")
    pg.locator("#dekt-result[data-state=unknown]").wait_for()
    assert "真实有效" not in pg.inner_text("#dekt-result") and "未找到" in pg.inner_text("#dekt-result")
    assert pg.locator(".ok").count() == 0
    assert pg.evaluate("window.__pwned") is None and problems == []


def test_search_shows_a_hostile_category_as_text(browser_page):
    go, problems = browser_page
    pg = go("/")
    pg.click(".md-search__input")
    pg.fill(".md-search__input", "社团")
    results = pg.locator(".md-search-result__item")
    for _ in range(30):  # until the search worker has loaded the index
        pg.keyboard.press("End")
        if results.count():
            break
        pg.wait_for_timeout(500)
    assert results.count()
    assert "pwned" in pg.inner_text(".md-search-result")  # the text, shown
    assert pg.locator(".md-search-result img, .md-search-result script").count() == 0
    assert pg.evaluate("window.__pwned") is None and pg.evaluate("window.__csp") == [] and problems == []
