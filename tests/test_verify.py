"""``dekt verify``: a genuine transcript passes; every kind of tampering is caught, offline."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import helpers
import pytest
from dekt.transcript import canonical
from dekt.transcript.verify import verify_pdf
from pypdf import PdfReader, PdfWriter

C = "records/claims/2014-2015/customs/"
NOW = "2016-07-01T09:00:00+08:00"


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """A built school of two students with claims; returns the build folder."""
    if not os.environ.get("DEKT_FONT_CACHE"):
        os.environ["DEKT_FONT_CACHE"] = str(tmp_path_factory.mktemp("fonts"))
    files = {C + f"{sid}.yaml": helpers.claim_text(sid) for sid in ("2014010001", "2014010002")}
    rows = (("2014010001", "卢𠮷桂", *helpers.ROSTER[0][2:]), helpers.ROSTER[1])
    root = helpers.make_repo(tmp_path_factory.mktemp("verify"), rows, files)
    run = dekt("build", "--now", NOW, cwd=root)
    assert run.returncode == 0, run.stderr
    return root / "_build"


def dekt(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dekt.cli", *map(str, args)], cwd=cwd, capture_output=True, text=True)


def copy(build: Path, tmp_path: Path, sid: str = "2014010001", name: str | None = None) -> Path:
    target = tmp_path / (name or f"{sid}.pdf")
    shutil.copy(build / "private/transcripts" / f"{sid}.pdf", target)
    return target


def checks(v) -> set[str]:
    return {p.check for p in v.problems}


def test_a_genuine_transcript_passes_against_the_manifest_and_the_public_record(build, tmp_path):
    pdf = copy(build, tmp_path)
    for records in (build, build / "site", build / "site/verify", build / "private/transcripts"):
        v = verify_pdf(pdf, records)
        assert v.ok and v.record and {"code", "text", "sha256"} <= set(v.passed), (records, v.problems)
    run = dekt("verify", pdf, "--records", build / "site", cwd=tmp_path)
    assert run.returncode == 0 and "真实有效" in run.stdout and "卢𠮷桂" in run.stdout


def test_without_a_record_the_content_is_checked_but_not_called_genuine(build, tmp_path):
    pdf = copy(build, tmp_path)
    run = dekt("verify", pdf, cwd=tmp_path)
    assert run.returncode == 1 and "--records" in run.stdout and "真实有效" not in run.stdout
    assert dekt("verify", pdf, "--records", tmp_path / "nowhere", cwd=tmp_path).returncode == 2


def test_any_changed_byte_is_caught(build, tmp_path):
    pdf = copy(build, tmp_path)
    genuine = pdf.read_bytes()
    assert genuine[9:14] == b"%\xf0\x9f\x96\xa4"  # the binary marker comment: a byte no reader shows
    pdf.write_bytes(genuine[:12] + bytes([genuine[12] ^ 1]) + genuine[13:])
    v = verify_pdf(pdf, build)
    assert checks(v) == {"sha256"}  # everything else still agrees: only the record catches it
    run = dekt("verify", pdf, "--records", build, cwd=tmp_path)
    assert run.returncode == 1 and "文件已被改动" in run.stdout and "the file was changed" in run.stdout
    for at in (len(genuine) // 3, len(genuine) // 2, len(genuine) - 20):  # anywhere else, too
        pdf.write_bytes(genuine[:at] + bytes([genuine[at] ^ 0x20]) + genuine[at + 1 :])
        assert not verify_pdf(pdf, build).ok


def test_a_genuine_transcript_under_another_students_file_name_is_caught(build, tmp_path):
    pdf = copy(build, tmp_path, name="2014010002.pdf")
    v = verify_pdf(pdf, build)
    assert checks(v) == {"filename"}
    assert "2014010001" in str(v.problems[0])


def rewrite_attachment(pdf: Path, change) -> None:
    """Replace the attached data with ``change(data)``, re-encoded canonically: what a forger would do."""
    reader = PdfReader(pdf)
    data = json.loads(reader.attachments[canonical.ATTACHMENT_NAME][0])
    writer = PdfWriter(clone_from=reader)
    names = writer.root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    spec = names[1].get_object()
    stream = spec["/EF"]["/F"].get_object()
    stream.set_data(canonical.canonical_json(change(data)))
    buf = io.BytesIO()
    writer.write(buf)
    pdf.write_bytes(buf.getvalue())


def test_changed_data_in_the_attachment_is_caught(build, tmp_path):
    pdf = copy(build, tmp_path)
    rewrite_attachment(pdf, lambda d: {**d, "total": "99.0"})
    v = verify_pdf(pdf, build)
    # The code of the new data is not the one printed, the page does not show 99.0, and no record knows it.
    assert {"code", "text", "record"} <= checks(v)


def test_another_students_data_passed_off_as_this_one_is_caught(build, tmp_path):
    # A forger puts student 2's name into student 1's genuine transcript data and recomputes everything.
    pdf = copy(build, tmp_path)
    rewrite_attachment(pdf, lambda d: {**d, "student": {**d["student"], "name": "李四", "id": "2014010002"}})
    v = verify_pdf(pdf, build)
    assert {"code", "text"} <= checks(v)
    assert any("李四" in str(p) or "2014010002" in str(p) for p in v.problems)


def test_not_a_pdf_or_no_attachment_is_a_clear_failure(build, tmp_path):
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf at all")
    assert checks(verify_pdf(junk, build)) <= {"pdf", "attachment"} and not verify_pdf(junk, build).ok
    plain = tmp_path / "plain.pdf"
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    with open(plain, "wb") as fh:
        writer.write(fh)
    v = verify_pdf(plain, build)
    assert checks(v) == {"attachment"}
    run = dekt("verify", plain, "--records", build, cwd=tmp_path)
    assert run.returncode == 1 and "附件" in run.stdout and "attachment" in run.stdout
