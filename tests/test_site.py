"""The public site: built from the demo school with ``dekt demo``, checked on disk and driven in headless Chromium.

Chromium is Debian's (``/usr/bin/chromium``), driven through Playwright's driver; the site is served on
localhost by a plain static file server, as GitHub Pages would serve it. Screenshots of every page go to
``$DEKT_SCREENSHOTS`` when it is set (look at them), else to the test's temporary folder.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

import helpers
import pytest
from dekt.check import check_repository
from dekt.site import pages, privacy, sealed
from dekt.transcript import canonical
from test_notice_mask import check_shown

MAIN = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.slow
NOW = "2016-07-20T10:00:00+08:00"


def dekt(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dekt.cli", *map(str, args)], cwd=cwd, capture_output=True, text=True)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo built as the README's first command builds it: ``dekt demo`` (site, transcripts, private lists)."""
    out = tmp_path_factory.mktemp("demo") / "_build"
    run = dekt("demo", "--out", out, cwd=MAIN)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "公开站点 public site" in run.stdout
    return out


@pytest.fixture(scope="module")
def roster(demo):
    with open(demo / "demo-repo/records/students.csv", encoding="utf-8") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def ledgers(demo):
    return json.loads((demo / "private/ledgers.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def batches(demo):
    prs = demo / "demo-repo/.dekt-demo/prs.json"
    run = dekt("notice", "--prs", prs, "--now", NOW, "--format", "json", "--repo", demo / "demo-repo", cwd=MAIN)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)["batches"]


# -- on disk -------------------------------------------------------------------------------------------------------


def test_the_site_has_every_section_and_nothing_private(demo, roster, batches):
    site = demo / "site"
    for page in (
        "index.html",
        "catalogue/index.html",
        "notice/index.html",
        "stats/index.html",
        "verify/index.html",
        "guide/student/index.html",
        "guide/secretary/index.html",
        "guide/employer/index.html",
        "search/search_index.json",
    ):
        assert (site / page).is_file(), page
    assert privacy.problems(site, set(roster), private=demo / "private") == []
    # Independently of the build's own check: no full id anywhere; a full name (of three or more characters) only
    # where a notice needs it, on the page of a batch on notice that lists that student; no private file.
    files = {p: privacy.readable_text(p) for p in site.rglob("*") if p.is_file()}
    assert not [sid for sid in roster if any(sid in text for text in files.values())]
    on_notice = {f"notice/{b['pr']}/index.html": {e["name"] for e in b["entries"]} for b in batches}
    on_notice["notice.json"] = {e["name"] for b in batches for e in b["entries"]}  # the notice list as data
    for path, text in files.items():
        named = {r["name"] for r in roster.values() if len(r["name"]) >= 3 and r["name"] in text}
        assert named <= on_notice.get(path.relative_to(site).as_posix(), set()), path
    assert not [
        p for p in site.rglob("*") if p.suffix in (".pdf", ".csv") or p.name in ("ledgers.json", "manifest.json")
    ]
    assert not (demo / ".site-work").exists()
    # The private lists exist, privately.
    assert sorted(p.name for p in (demo / "private/at-risk").glob("*.csv"))
    assert sorted(p.name for p in (demo / "private/ranking").glob("*.csv"))


def test_the_site_names_no_other_host(demo):
    for page in (demo / "site").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"fonts\.(googleapis|gstatic)\.com|cdn\.|unpkg|jsdelivr", html), page
        assert privacy.external_hosts(html, {"localhost", "127.0.0.1"}) == set(), page


CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')


def test_every_page_sends_a_content_security_policy_and_has_no_inline_script(demo):
    for page in (demo / "site").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        policy = CSP.search(html)
        assert policy, page
        directives = dict(d.strip().split(" ", 1) for d in policy.group(1).split(";"))
        assert directives["script-src"] == "'self'" and directives["default-src"] == "'self'", page
        assert directives["object-src"] == "'none'" and directives["base-uri"] == "'self'", page
        assert directives["connect-src"] == "'self'", page  # the verification page fetches its records from here
        # The policy covers what follows it: it comes before every script and style sheet.
        assert policy.start() < min(m.start() for m in re.finditer(r"<script|<link rel=\"stylesheet\"", html)), page
        # Every <script> loads a file of the site or is data (Material's __config JSON), never inline code.
        for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.DOTALL):
            assert "src=" in attrs and not body.strip() or 'type="application/json"' in attrs, (page, attrs, body[:80])


def test_the_verification_records_open_only_with_their_code(demo):
    manifest = json.loads((demo / "private/transcripts/manifest.json").read_text(encoding="utf-8"))["transcripts"]
    verify = demo / "site/verify"
    buckets = [json.loads(p.read_bytes()) for p in verify.glob("*.json") if p.name != "index.json"]
    assert sum(len(b["records"]) for b in buckets) == len(manifest)
    sid, entry = sorted(manifest.items())[7]
    record = sealed.find(verify, entry["code"])
    assert record["pdf_sha256"] == entry["pdf_sha256"] and record["student_id"].startswith(sid[:4])
    assert sid not in json.dumps(record)
    forged = entry["code"][:-1] + ("0" if entry["code"][-1] != "0" else "1")
    assert sealed.find(verify, forged) is None
    # A record moved under another name does not open: the name is bound in as associated data.
    name = sealed.record_name(entry["code"])
    other = sealed.record_name(forged)
    assert sealed.unseal(forged, sealed.seal(entry["code"], record)[1]) is None and name != other


def test_the_number_of_pages_does_not_grow_with_the_students(demo):
    checked = check_repository(demo / "demo-repo")
    from datetime import date

    few = dict(sorted(checked.ledgers.items())[:40])
    kwargs = {"issued": date(2016, 7, 20), "now": None, "transcripts": 0}
    all_pages = [p.path for p in pages.generate(checked.rules, checked.ledgers, [], **kwargs)[0]]
    few_pages = [p.path for p in pages.generate(checked.rules, few, [], **kwargs)[0]]
    assert all_pages == few_pages and len(all_pages) < 20


def test_a_site_that_would_leak_is_not_published(tmp_path):
    # A hand-written page that quotes a student id: the build fails and the old site stays.
    repo = helpers.make_repo(
        tmp_path, files={"records/claims/2014-2015/customs/a.yaml": helpers.claim_text("2014010001")}
    )
    assert dekt("build", "--now", NOW, cwd=repo).returncode == 0
    before = (repo / "_build/site/index.html").read_bytes()
    shutil.copytree(MAIN / "site", repo / "site")
    (repo / "site/docs/guide/faq.md").write_text(
        "# 常见问题\n\n学号 2014010001 的同学请联系教务处。\n", encoding="utf-8"
    )
    run = dekt("build", "--now", NOW, cwd=repo)
    assert run.returncode != 0
    assert "隐私检查" in run.stderr and "2014010001" in run.stderr
    assert (repo / "_build/site/index.html").read_bytes() == before


# -- in a real browser ---------------------------------------------------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(demo):
    handler = functools.partial(_Quiet, directory=str(demo / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],  # fmt: skip
        )
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = (
        Path(os.environ["DEKT_SCREENSHOTS"]) if os.environ.get("DEKT_SCREENSHOTS") else tmp_path_factory.mktemp("shots")
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Page:
    """A browser page that records console errors, failed requests and any request to another host."""

    def __init__(self, browser, base: str):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.base = base
        self.errors: list[str] = []
        self.page.on(
            "console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))
        self.page.on(
            "request",
            lambda r: (
                None if r.url.startswith((base, "data:", "blob:")) else self.errors.append(f"other host: {r.url}")
            ),
        )
        self.page.on("response", lambda r: self.errors.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
        # Content-Security-Policy violations, reported by the page itself (Chromium also logs them as errors).
        self.page.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation',"
                                  " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")  # fmt: skip

    def go(self, path: str):
        self.page.goto(self.base + path, wait_until="networkidle")
        self.errors += [f"CSP: {v}" for v in self.page.evaluate("window.__csp")]
        return self.page

    def close(self):
        self.page.close()


@pytest.fixture
def page(browser, served):
    p = Page(browser, served)
    yield p
    p.close()
    assert p.errors == []


def test_every_page_loads_with_no_error_and_no_other_host(demo, page, shots):
    site = demo / "site"
    paths = sorted("/" + p.parent.relative_to(site).as_posix() + "/" for p in site.rglob("index.html"))
    paths = [p.replace("/./", "/") for p in paths]
    assert len(paths) >= 15
    for path in paths:
        pg = page.go(path)
        assert pg.locator("h1").count() >= 1, path
        name = path.strip("/").replace("/", "-") or "home"
        pg.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_the_notice_pages_show_the_batches_on_notice(page, batches, roster):
    assert batches, "the demo has a batch on notice"
    pg = page.go("/notice/")
    text = pg.inner_text("article")
    entries = sum(len(b["entries"]) for b in batches)
    assert f"目前有 {len(batches)} 批申报正在公示，共 {entries} 条" in text
    for b in batches:
        assert f"#{b['pr']}" in text and b["notice_start"] in text and b["notice_end"] in text
        pg = page.go(f"/notice/{b['pr']}/")
        rows = pg.locator("table.dekt-notice tbody tr")
        assert rows.count() == len(b["entries"])
        body = pg.inner_text("article")
        for e in b["entries"][:25]:
            assert e["student"] in body
        # No masked id singles a student out of the class it is listed with (see test_notice_mask).
        shown = [(e["student"], e["department"], e["class_name"]) for e in b["entries"]]
        assert check_shown(shown, roster) == len(b["entries"])
        assert "异议截止" in body


def test_the_statistics_page_shows_the_right_numbers(page, ledgers):
    pg = page.go("/stats/")
    kpis = {span: strong for strong, span in (
        (k.locator("strong").inner_text(), k.locator("span").inner_text()) for k in pg.locator(".dekt-kpis > div").all()
    )}  # fmt: skip
    total = sum(Decimal(l["total"]) for l in ledgers.values())
    met = sum(1 for l in ledgers.values() if l["graduation_met"])
    counted = sum(1 for l in ledgers.values() for it in l["items"] if it["counted"])
    assert kpis["名学生"] == str(len(ledgers))
    assert Decimal(kpis["学分"]) == total
    assert kpis["条申报计入学分"] == str(counted)
    assert kpis["达到毕业要求"] == f"{Decimal(100 * met) / len(ledgers):.1f}%"
    assert pg.locator("svg").count() >= 1 and pg.locator("table.dekt-table").count() >= 1
    pg = page.go("/stats/awards/")
    assert pg.locator("svg").count() >= 1
    assert "国家级" in pg.inner_text("article")


def test_the_catalogue_lists_every_rules_version(page):
    pg = page.go("/catalogue/")
    text = pg.inner_text("article")
    assert "2012-2013" in text and "2014-2015" in text
    pg = page.go("/catalogue/2014-2015/")
    text = pg.inner_text("article")
    for word in ("综合素质", "科研创新", "专业体验", "挑战杯", "国家级", "团校"):
        assert word in text, word


def test_the_verification_page_accepts_a_real_code_and_rejects_a_forged_one(demo, page, shots, tmp_path):
    manifest = json.loads((demo / "private/transcripts/manifest.json").read_text(encoding="utf-8"))["transcripts"]
    sid, entry = sorted(manifest.items())[3]
    pdf = demo / "private/transcripts" / f"{sid}.pdf"
    data = json.loads(
        subprocess.run(
            [
                sys.executable,
                "-c",
                (
                    "import sys; from pypdf import PdfReader; "
                    "sys.stdout.buffer.write(PdfReader(sys.argv[1]).attachments['transcript.json'][0])"
                ),
                str(pdf),
            ],
            capture_output=True,
            check=True,
        ).stdout
    )
    pg = page.go("/verify/")
    # Typed as from paper: lower case, spaces instead of dashes.
    pg.fill("#dekt-code", entry["code"].lower().replace("-", " "))
    pg.click("#dekt-verify button")
    result = pg.locator("#dekt-result[data-state=genuine]")
    result.wait_for()
    text = result.inner_text()
    assert "真实有效" in text and canonical.mask_name(data["student"]["name"]) in text and data["total"] in text
    assert sid not in text and data["student"]["name"] not in text
    pg.screenshot(path=str(shots / "verify-genuine.png"), full_page=True)
    # The PDF itself, checked in the browser against the record's SHA-256; then a changed copy.
    pg.set_input_files("#dekt-pdf", str(pdf))
    pg.locator("#dekt-pdf-result[data-state=genuine]").wait_for()
    changed = tmp_path / f"{sid}.pdf"
    body = bytearray(pdf.read_bytes())
    body[len(body) // 2] ^= 1
    changed.write_bytes(bytes(body))
    pg.set_input_files("#dekt-pdf", str(changed))
    pg.locator("#dekt-pdf-result[data-state=invalid]").wait_for()
    # A forged code: the right shape, no record.
    forged = entry["code"][:-4] + ("ZZZZ" if not entry["code"].endswith("ZZZZ") else "0000")
    pg.fill("#dekt-code", forged)
    pg.click("#dekt-verify button")
    pg.locator("#dekt-result[data-state=unknown]").wait_for()
    assert "未找到" in pg.inner_text("#dekt-result")
    pg.screenshot(path=str(shots / "verify-forged.png"), full_page=True)
    # Not a code at all.
    pg.fill("#dekt-code", "DK-1234")
    pg.click("#dekt-verify button")
    pg.locator("#dekt-result[data-state=invalid]").wait_for()


def test_arriving_by_the_qr_code_verifies_at_once(demo, page):
    manifest = json.loads((demo / "private/transcripts/manifest.json").read_text(encoding="utf-8"))["transcripts"]
    sid, entry = sorted(manifest.items())[-1]
    pg = page.go(f"/verify/?code={entry['code']}")
    pg.locator("#dekt-result[data-state=genuine]").wait_for()
    assert entry["pdf_sha256"] in pg.inner_text("#dekt-result")
    assert hashlib.sha256((demo / "private/transcripts" / f"{sid}.pdf").read_bytes()).hexdigest() == entry["pdf_sha256"]


@pytest.mark.parametrize("word,where", [("异议", "notice"), ("志愿", "catalogue"), ("验证码", "verify")])
def test_search_finds_a_chinese_word_inside_chinese_text(page, word, where):
    pg = page.go("/")
    pg.click(".md-search__input")
    # Chinese arrives through an input method, which ends with a key release: Material searches on keyup.
    pg.fill(".md-search__input", word)
    results = pg.locator(".md-search-result__item")
    for _ in range(30):  # until the search worker has loaded the index
        pg.keyboard.press("End")
        if results.count():
            break
        pg.wait_for_timeout(500)
    links = [a.get_attribute("href") or "" for a in pg.locator(".md-search-result__link").all()]
    assert any(f"{where}/" in link for link in links), links
    marks = [m.inner_text() for m in pg.locator(".md-search-result mark").all()]
    assert marks and all(m in word for m in marks), marks  # the words highlighted are (parts of) the word searched


def read_list(path: Path) -> list[dict]:
    """A private list as a program reads it: the ids written with a leading tab (Excel keeps them text), stripped."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert all(r["学号"].startswith("\t") and r["学号"][1:].isdigit() for r in rows), path
    return [{**r, "学号": r["学号"].strip()} for r in rows]


def test_the_private_lists_are_right(demo, ledgers, roster):
    # Ranking (评优): one file per department and cohort, by total credits, equal totals by innovation credits
    # (the pilot report: innovation credits weigh in awards when all else is equal), full ties sharing a rank.
    for path in sorted((demo / "private/ranking").glob("*.csv")):
        dept, cohort = path.stem.rsplit("-", 1)
        rows = read_list(path)
        expected = {sid for sid, r in roster.items() if r["department"] == dept and r["enrollment_year"] == cohort}
        assert {r["学号"] for r in rows} == expected and rows
        totals = [Decimal(r["总学分"]) for r in rows]
        assert totals == sorted(totals, reverse=True)
        for r, prev in zip(rows[1:], rows):
            key, before = (r["总学分"], r["创新学分（同分时比较）"]), (prev["总学分"], prev["创新学分（同分时比较）"])
            assert (r["名次"] == prev["名次"]) == (key == before)
            if r["总学分"] == prev["总学分"]:
                assert Decimal(r["创新学分（同分时比较）"]) <= Decimal(prev["创新学分（同分时比较）"])
        assert all(Decimal(r["总学分"]) == Decimal(ledgers[r["学号"]]["total"]) for r in rows)
    # At risk (for counsellors): only students still studying who do not meet the requirements yet.
    listed = set()
    for path in (demo / "private/at-risk").glob("*.csv"):
        for r in read_list(path):
            listed.add(r["学号"])
            assert roster[r["学号"]]["department"] == path.stem
    assert listed
    for sid in listed:
        assert not ledgers[sid]["graduation_met"] and roster[sid]["status"] in ("enrolled", "suspended")
