"""Transcripts: real PDFs rendered by WeasyPrint and read back (text, fonts, pages, attachment, bytes).

Fonts are built once per session into a shared cache (``DEKT_FONT_CACHE``, see conftest.py), as a user's cache would be.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import helpers
import pytest
from dekt.check import check_repository
from dekt.ledger_view import ledger_data
from dekt.rules import load_rules
from dekt.site import privacy, sealed
from dekt.transcript import canonical, fonts, render
from dekt.transcript.writer import write_transcripts
from pypdf import PdfReader

C = "records/claims/2014-2015/customs/"
NOW = "2016-07-01T09:00:00+08:00"
RARE = (  # names with characters outside GB 2312, as they are written
    ("2014010001", "卢𠮷桂"), ("2014010002", "万堃芳"), ("2014010003", "龚喆涵"),
    ("2013010001", "韩彧芳"), ("2012010001", "陶珺思"), ("2013020001", "袁龑超"),
)  # fmt: skip
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")


def rare_roster():
    names = dict(RARE)
    return tuple((r[0], names.get(r[0], r[1]), *r[2:]) for r in helpers.ROSTER)


def claims(students=("2014010001", "2014010002", "2014010003")) -> dict[str, str]:
    files = {}
    for sid in students:
        files[C + f"{sid}-club.yaml"] = helpers.claim_text(sid)
        files[C + f"{sid}-vol.yaml"] = helpers.claim_text(
            sid,
            activity="2014年国际进口博览会志愿服务",
            category="volunteering",
            role=None,
            hours="24",
            evidence=f"签到表 {sid}",
        )
    return files


def dekt(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dekt.cli", *map(str, args)], cwd=cwd, capture_output=True, text=True)


def pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def page_text(path: Path) -> str:
    """The pages' text in reading order (pypdf keeps a wrapped table cell together, pdftotext -layout does not)."""
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def pdffonts(path: Path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:]]


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A small school with rare-character names, built once with ``dekt build``."""
    root = helpers.make_repo(tmp_path_factory.mktemp("built"), rare_roster(), claims())
    run = dekt("build", "--now", NOW, cwd=root)
    assert run.returncode == 0, run.stderr
    return root


# -- canonical data and code ---------------------------------------------------------------------------------------


def test_canonical_json_is_sorted_compact_utf8_and_the_code_follows_every_byte():
    data = {"b": "卢𠮷桂", "a": [1, {"d": None, "c": "x"}]}
    assert canonical.canonical_json(data) == '{"a":[1,{"c":"x","d":null}],"b":"卢𠮷桂"}'.encode()
    code = canonical.verification_code(data)
    assert canonical.CODE_RE.fullmatch(code)
    assert canonical.verification_code({**data, "b": "卢吉桂"}) != code
    assert canonical.verification_code(dict(reversed(list(data.items())))) == code
    # Typed from paper: lower case, spaces, O for 0 and I or L for 1 all read back as the printed code.
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert canonical.normalize_code(typed) == code
    assert canonical.normalize_code("DK-1234") is None and canonical.normalize_code("DK-UUUU-0000-0000-0000") is None


def test_the_issue_date_is_the_last_certified_change_to_the_record():
    from zoneinfo import ZoneInfo

    from dekt.provenance import Provenance

    tz, build_day = ZoneInfo("Asia/Shanghai"), date(2099, 1, 1)
    fix = "records/claims/2014-2015/customs/fix.yaml"
    items = [
        {"certified": {"merged_at": "2015-01-12T10:00:00+08:00"}, "amended_by": None},
        # 20:00 on 30 June at UTC-4 is 08:00 on 1 July in the school's zone: the school's calendar day counts.
        {"certified": {"merged_at": "2015-06-30T20:00:00-04:00"}, "amended_by": None},
    ]
    assert canonical.record_date({"items": items}, {}, tz, roster_date=None, fallback=build_day) == date(2015, 7, 1)
    # A correction merged later (struck-through original, its correcting record's merge) moves the date to that merge.
    items[0]["amended_by"] = fix
    prov = {fix: Provenance(file=fix, commit="c" * 40, merged_at="2015-09-01T01:00:00+08:00", merged_by="jwc")}
    assert canonical.record_date({"items": items}, prov, tz, roster_date=None, fallback=build_day) == date(2015, 9, 1)
    # An item not archived yet (unsigned mode, the work tree) dates from the build; no items: the roster's change.
    assert (
        canonical.record_date({"items": [*items, {"certified": None}]}, prov, tz, roster_date=None, fallback=build_day)
        == build_day
    )
    assert canonical.record_date({"items": []}, {}, tz, roster_date=date(2014, 9, 1), fallback=build_day) == date(
        2014, 9, 1
    )
    assert canonical.record_date({"items": []}, {}, tz, roster_date=None, fallback=build_day) == build_day


def test_public_record_masks_the_name_and_the_id():
    assert [canonical.mask_name(n) for n in ("张三", "卢𠮷桂", "欧阳娜娜", "王")] == ["张*", "卢*桂", "欧**娜", "王"]


def test_the_build_writes_one_pdf_per_student_privately_and_masked_records_publicly(built):
    out = built / "_build"
    pdfs = sorted(p.stem for p in (out / "private" / "transcripts").glob("*.pdf"))
    assert pdfs == sorted(r[0] for r in helpers.ROSTER)
    manifest = json.loads((out / "private/transcripts/manifest.json").read_text(encoding="utf-8"))
    buckets = [json.loads(p.read_bytes()) for p in (out / "site" / "verify").glob("*.json") if p.name != "index.json"]
    assert sum(len(b["records"]) for b in buckets) == len(pdfs)
    site_text = "".join(privacy.readable_text(p) for p in (out / "site").rglob("*") if p.is_file())
    for sid, name in RARE:  # nothing private on the site: no full name, no full student id
        assert sid not in site_text and name not in site_text
        entry = manifest["transcripts"][sid]
        record = sealed.find(out / "site/verify", entry["code"])  # only the code opens its record
        assert record["code"] == entry["code"] and record["pdf_sha256"] == entry["pdf_sha256"]
        assert record["name"] == canonical.mask_name(name) and record["student_id"].startswith(sid[:4])
    assert not list(out.rglob("*.tmp"))


# -- the PDF read back ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sid,name", RARE)
def test_rare_characters_come_out_as_themselves(built, sid, name):
    pdf = built / "_build/private/transcripts" / f"{sid}.pdf"
    text = pdftotext(pdf)
    assert name in text and sid in text
    assert "\ufffd" not in text and "□" not in text
    # Every font is embedded, subset, with a Unicode map, and is one of ours (no system fallback font).
    rows = pdffonts(pdf)
    assert rows and all(r[-5:-2] == ["yes", "yes", "yes"] for r in rows), rows
    assert all(re.match(r"^[A-Z]{6}\+DK-(Base|Extra-[0-9a-f]{12})(-Bold)?$", r[0]) for r in rows), rows
    assert any("Extra" in r[0] for r in rows)  # the rare character came from the extras font


def test_the_pdf_carries_the_data_and_shows_it(built):
    sid, name = RARE[0]
    pdf = built / "_build/private/transcripts" / f"{sid}.pdf"
    reader = PdfReader(pdf)
    [blob] = reader.attachments[canonical.ATTACHMENT_NAME]
    data = json.loads(blob)
    assert blob == canonical.canonical_json(data)
    assert data["student"] == {**data["student"], "id": sid, "name": name}
    assert data["issue_date"] == "2016-07-01" and data["format"] == canonical.FORMAT
    assert not any(k in json.dumps(data) for k in ('"file"', '"line"'))  # internal positions stay out
    text = pdftotext(pdf)
    flat = compact(text)
    assert canonical.verification_code(data) in flat
    assert "第二课堂成绩单" in flat and data["institution"]["name"] in flat and "2016年7月1日" in flat
    for m in data["modules"]:
        assert compact(f"{m['name']}{m['credits']}{m['required']}") in flat
    assert f"合计{data['total']}{data['total_required']}" in flat
    pages = len(reader.pages)
    assert f"第1页共{pages}页" in flat and f"第{pages}页共{pages}页" in flat
    assert all(
        abs(float(p.mediabox.width) - 595.28) < 1 and abs(float(p.mediabox.height) - 841.89) < 1 for p in reader.pages
    )
    # PDF/A-3 with the data as an associated file, and fixed dates.
    catalog = reader.trailer["/Root"]
    assert b"pdfaid:part" in catalog["/Metadata"].get_object().get_data()
    assert [f.get_object()["/AFRelationship"] for f in catalog["/AF"]] == ["/Data"]
    assert reader.metadata["/CreationDate"].startswith("D:20160701")


def test_items_the_caps_excluded_are_shown_as_not_counted(tmp_path):
    # Research is the only capped module (10 credits over the study period, rules/credits): the corpus case gives
    # 2014010003 a 6-credit and a 4-credit result first, so a later 0.5-credit third prize does not fit and is shown,
    # struck through, with the reason (tests/corpus/claims/credits_over_research_cap*.yaml say the same).
    corpus = Path(__file__).parent / "corpus/claims"
    files = {C + p.name: p.read_text(encoding="utf-8") for p in sorted(corpus.glob("credits_over_research_cap*.yaml"))}
    root = helpers.make_repo(tmp_path, files=files)
    run = dekt("transcript", "2014010003", "-o", tmp_path / "t.pdf", "--now", NOW, cwd=root)
    assert run.returncode == 0, run.stderr
    flat = compact(page_text(tmp_path / "t.pdf"))
    data = json.loads(PdfReader(tmp_path / "t.pdf").attachments[canonical.ATTACHMENT_NAME][0])
    out = [it for it in data["items"] if not it["counted"]]
    assert [it["activity"] for it in out] == ["校学科竞赛"]
    for it in out:
        assert compact(f"{it['activity']}未计入：{it['excluded_why'].split(' (')[0]}") in flat


def test_pages_render_to_images(built, tmp_path):
    pdf = built / "_build/private/transcripts" / f"{RARE[0][0]}.pdf"
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == len(PdfReader(pdf).pages) and all(p.stat().st_size > 5000 for p in pages)


# -- reproducible and incremental ----------------------------------------------------------------------------------


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_inputs_give_the_same_bytes_and_one_transcript_equals_the_builds(built, tmp_path):
    assert dekt("build", "--now", NOW, "--out", tmp_path / "again", cwd=built).returncode == 0
    first, again = tree(built / "_build"), tree(tmp_path / "again")
    assert first == again
    sid = RARE[0][0]
    assert dekt("transcript", sid, "-o", tmp_path / "one.pdf", "--now", NOW, cwd=built).returncode == 0
    assert (tmp_path / "one.pdf").read_bytes() == first[f"private/transcripts/{sid}.pdf"]
    # A different issue date is a different document.
    assert dekt("transcript", sid, "-o", tmp_path / "later.pdf", "--now", "2016-07-02", cwd=built).returncode == 0
    assert (tmp_path / "later.pdf").read_bytes() != first[f"private/transcripts/{sid}.pdf"]


def test_a_transcript_does_not_depend_on_the_other_students(built, tmp_path):
    # Add a student with a new rare character: everyone else's PDF keeps its bytes.
    root = tmp_path / "repo"
    shutil.copytree(built, root, ignore=shutil.ignore_patterns("_build"))
    roster = (root / "records/students.csv").read_text(encoding="utf-8")
    (root / "records/students.csv").write_text(
        roster + "2014010009,贺赟雨,customs,海关管理2014级1班,2014,enrolled\n", encoding="utf-8"
    )
    assert dekt("build", "--now", NOW, cwd=root).returncode == 0
    before, after = tree(built / "_build/private/transcripts"), tree(root / "_build/private/transcripts")
    assert set(after) - set(before) == {"2014010009.pdf"}
    assert all(after[name] == body for name, body in before.items() if name.endswith(".pdf"))


def test_only_changed_students_are_rendered_again(tmp_path):
    root = helpers.make_repo(tmp_path, rare_roster(), claims())
    checked = check_repository(root)
    rules, out = checked.rules, tmp_path / "out"

    def run(checked):
        data = {sid: ledger_data(led, checked.rules) for sid, led in checked.ledgers.items()}
        return write_transcripts(rules, data, out, date(2016, 7, 1), root, progress=False)

    first = run(checked)
    assert (first.rendered, first.kept) == (len(helpers.ROSTER), 0)
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "private/transcripts").glob("*.pdf")}
    assert run(checked).rendered == 0
    (root / C / "2014010002-club.yaml").write_text(helpers.claim_text("2014010002", role="member"), encoding="utf-8")
    third = run(check_repository(root))
    assert (third.rendered, third.kept) == (1, len(helpers.ROSTER) - 1)
    now = {p.name: p.stat().st_mtime_ns for p in (out / "private/transcripts").glob("*.pdf")}
    assert [n for n in stamps if now[n] != stamps[n]] == ["2014010002.pdf"]
    # A student who leaves the roster takes their PDF and verification record along.
    (root / C / "2014010003-club.yaml").unlink()
    (root / C / "2014010003-vol.yaml").unlink()
    rows = [r for r in rare_roster() if r[0] != "2014010003"]
    (root / "records/students.csv").write_text(helpers.roster_csv(rows), encoding="utf-8")
    fourth = run(check_repository(root))
    assert fourth.removed == 1 and not (out / "private/transcripts/2014010003.pdf").exists()
    assert len(fourth.records) == len(rows) and "2014010003" not in json.dumps(fourth.records)


# -- safety --------------------------------------------------------------------------------------------------------

HOSTILE = '<img src="http://example.com/x.png"> <link rel="attachment" href="file:///etc/passwd"> file:///etc/passwd'


def test_hostile_claim_text_is_shown_escaped_and_nothing_is_fetched(tmp_path):
    files = {C + "evil.yaml": helpers.claim_text("2014010001", activity=f"'{HOSTILE}'")}
    root = helpers.make_repo(tmp_path, files=files)
    checked = check_repository(root)
    assert checked.ok, checked.diagnostics
    data = canonical.transcript_data(
        ledger_data(checked.ledgers["2014010001"], checked.rules), checked.rules, date(2016, 7, 1)
    )
    specs = fonts.configured(checked.rules, root)
    cache = fonts.cache_dir(root)
    fonts.prepare(specs, set(), cache)
    faces = fonts.faces(specs, frozenset(), cache)
    page = render.html(data, "DK-0000-0000-0000-0000", faces)
    assert HOSTILE not in page and "&lt;img src=&#34;http://example.com/x.png&#34;&gt;" in page
    body, fetch, warnings = render.pdf(data, "DK-0000-0000-0000-0000", faces, page_html=page)
    assert fetch.refused == [] and warnings == []
    assert all(url.startswith("file://") and url.endswith(".otf") for url in fetch.served)
    (tmp_path / "evil.pdf").write_bytes(body)
    assert HOSTILE.replace(" ", "") in compact(page_text(tmp_path / "evil.pdf"))
    assert list(PdfReader(tmp_path / "evil.pdf").attachments) == [canonical.ATTACHMENT_NAME]


def test_the_fetcher_serves_only_the_templates_and_the_fonts(tmp_path):
    font = tmp_path / "f.otf"
    font.write_bytes(b"font")
    fetch = render.fetcher([render.TEMPLATES, font])
    assert fetch.fetch(font.as_uri()).path is not None
    assert fetch.fetch((render.TEMPLATES / "transcript.css").as_uri()).status == 200
    outside = (render.TEMPLATES / ".." / "canonical.py").as_uri()
    for url in ("http://example.com/x.png", "https://example.com/", "file:///etc/passwd", "data:text/plain,hi",
                outside, "file://example.com/etc/passwd", "ftp://x/y"):  # fmt: skip
        with pytest.raises(ValueError):
            fetch.fetch(url)
    assert len(fetch.refused) == 7


def test_names_cannot_break_out_of_the_page_styles(tmp_path):
    rows = (("2014010001", '张"};</style><img src=x>', "customs", "海关管理2014级1班", "2014", "enrolled"),)
    root = helpers.make_repo(tmp_path, rows, {C + "a.yaml": helpers.claim_text("2014010001")})
    run = dekt("transcript", "2014010001", "-o", tmp_path / "t.html", "--html", "--now", NOW, cwd=root)
    if run.returncode != 0:  # the roster may refuse such a name outright, which is just as safe
        assert "DK6" in run.stderr or "DK7" in run.stderr, run.stderr
        return
    page = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert page.count("</style>") == 1 and "<img src=x>" not in page
    assert dekt("transcript", "2014010001", "-o", tmp_path / "t.pdf", "--now", NOW, cwd=root).returncode == 0
    assert '张"};</style><img src=x>' in pdftotext(tmp_path / "t.pdf")


# -- fonts ---------------------------------------------------------------------------------------------------------


def test_the_template_prints_only_characters_of_the_base_font():
    # The template's own text must never need the extras font or a fallback.
    data_text = "".join(chr(c) for c in range(0x20, 0x7F))
    specs = fonts.configured(load_rules(helpers.ROOT)[0], helpers.ROOT)
    covered = fonts.cmap(specs["regular"]) & fonts.cmap(specs["bold"])
    static = set((render.TEMPLATES / "transcript.html").read_text(encoding="utf-8")) | set(render.stylesheet())
    static |= set(render.cn_date("2016-07-01") + render._cn_ordinal(13) + data_text)
    lacking = {ch for ch in static - set("\n\t") if ch not in fonts.BASE or ord(ch) not in covered}
    assert lacking == set()


def test_a_character_the_font_lacks_is_reported_where_it_is_written_and_nothing_is_built(tmp_path):
    claim = helpers.claim_text("2014010001", activity="海关志愿服务😀")
    rows = (("2014010001", "张𓀀", "customs", "海关管理2014级1班", "2014", "enrolled"),)
    root = helpers.make_repo(tmp_path, rows, {C + "emoji.yaml": claim})
    run = dekt("validate", cwd=root)
    assert run.returncode == 1
    line = next(i for i, text in enumerate(claim.splitlines(), 1) if "😀" in text)
    col = claim.splitlines()[line - 1].index("😀") + 1
    assert f"{C}emoji.yaml:{line}:{col}: 错误 error DK701" in run.stdout and "U+1F600" in run.stdout
    assert (
        f"records/students.csv:2:{len('2014010001,张') + 1}: 错误 error DK701" in run.stdout and "U+13000" in run.stdout
    )
    build = dekt("build", "--now", NOW, cwd=root)
    assert build.returncode == 1 and not (root / "_build").exists()


def test_a_missing_font_file_is_a_clear_error(tmp_path):
    root = helpers.make_repo(tmp_path, files=claims(("2014010001",)))
    school = root / "rules/school.yaml"
    school.write_text(
        school.read_text(encoding="utf-8") + "transcript:\n  font:\n    regular: fonts/none.otf\n", encoding="utf-8"
    )
    run = dekt("validate", cwd=root)
    assert "DK702" in run.stdout and "none.otf" in run.stdout
    build = dekt("build", "--now", NOW, cwd=root)
    assert build.returncode == 2 and "none.otf" in build.stderr and "Traceback" not in build.stderr


def test_without_harfbuzz_subset_no_transcript_is_made_slowly(tmp_path, monkeypatch):
    # WeasyPrint falls back to fontTools without libharfbuzz-subset, several times slower: dekt says what to install.
    import weasyprint.text.ffi
    from dekt.diagnostics import DektError
    from dekt.transcript.writer import check_fonts

    root = helpers.make_repo(tmp_path, files=claims(("2014010001",)))
    specs = fonts.configured(load_rules(root)[0], root)
    check_fonts(specs)
    monkeypatch.setattr(weasyprint.text.ffi, "harfbuzz_subset", None)
    with pytest.raises(DektError, match="libharfbuzz-subset0"):
        check_fonts(specs)


def test_the_html_preview_is_the_same_page(built, tmp_path):
    sid, name = RARE[1]
    run = dekt("transcript", sid, "--html", "-o", tmp_path / "p.html", "--now", NOW, cwd=built)
    assert run.returncode == 0, run.stderr
    page = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert name in page and "第二课堂成绩单" in page and "@font-face" in page and "<svg" in page
