"""Signed transcripts: a PAdES signature (pyHanko) over the unsigned PDF/A, checked offline with the root certificate.

The certificates are throwaway ones made for the test (``sign.throwaway_ca``, as the demo makes its own): a root CA
and the institution's signing certificate, and a second, unrelated CA standing for a forger's.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import helpers
import pytest
from dekt.site import sealed
from dekt.transcript import canonical, sign
from pypdf import PdfReader

C = "records/claims/2014-2015/customs/"
NOW = "2016-07-01T09:00:00+08:00"
SID = "2014010001"


def dekt(*args, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dekt.cli", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """A small school built twice: unsigned, and signed with the institution's (throwaway) certificate."""
    base = tmp_path_factory.mktemp("signing")
    files = {C + f"{sid}.yaml": helpers.claim_text(sid) for sid in (SID, "2014010002")}
    root = helpers.make_repo(base, files=files)
    ca_pem, p12, password = sign.throwaway_ca(base / "ca", "示例学院")
    other_pem, other_p12, other_password = sign.throwaway_ca(base / "forger", "示例学院")
    env = {sign.ENV_PKCS12: str(p12), sign.ENV_PASSWORD: password}
    plain = dekt("build", "--now", NOW, "--out", base / "plain", cwd=root)
    assert plain.returncode == 0, plain.stderr
    run = dekt("build", "--now", NOW, "--out", base / "signed", cwd=root, env=env)
    assert run.returncode == 0, run.stderr
    forger = (str(other_p12), other_password.encode())
    return {"root": root, "base": base, "env": env, "ca": ca_pem, "other": other_pem, "other_p12": forger,
            "plain": base / "plain", "out": base / "signed"}  # fmt: skip


def pdf_of(out: Path, sid: str = SID) -> Path:
    return out / "private/transcripts" / f"{sid}.pdf"


def test_the_unsigned_revision_is_the_unsigned_pdf_byte_for_byte_and_its_hash_is_recorded(signed):
    body, plain = pdf_of(signed["out"]).read_bytes(), pdf_of(signed["plain"]).read_bytes()
    assert body != plain and body.startswith(plain)  # an incremental update: the unsigned PDF is the first revision
    entry = json.loads((signed["out"] / "private/transcripts/manifest.json").read_text())["transcripts"][SID]
    assert entry["pdf_sha256"] == hashlib.sha256(plain).hexdigest()
    assert entry["size"] == len(body)
    assert sealed.find(signed["out"] / "site/verify", entry["code"])["pdf_sha256"] == hashlib.sha256(plain).hexdigest()
    assert plain in sign.unsigned_candidates(body)


def test_pdfa_identification_and_the_attachment_survive_signing(signed):
    reader = PdfReader(pdf_of(signed["out"]))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert re.search(rb"pdfaid:part[^0-9]{1,3}3", xmp) and re.search(rb"pdfaid:conformance[^A-Z]{1,3}B", xmp)
    [blob] = reader.attachments[canonical.ATTACHMENT_NAME]
    assert blob == PdfReader(pdf_of(signed["plain"])).attachments[canonical.ATTACHMENT_NAME][0]
    assert [f.get_object()["/AFRelationship"] for f in reader.trailer["/Root"]["/AF"]] == ["/Data"]
    sig_fields = [f.get_object() for f in reader.trailer["/Root"]["/AcroForm"]["/Fields"]]
    assert [f["/FT"] for f in sig_fields] == ["/Sig"] and sig_fields[0]["/V"][
        "/SubFilter"
    ] == "/ETSI.CAdES.detached"  # PAdES


def test_a_signed_pdf_verifies_with_the_root_certificate_alone(signed, tmp_path):
    pdf = tmp_path / "transcript-2016.pdf"  # a name the holder chose: not another student's id, so no objection
    pdf.write_bytes(pdf_of(signed["out"]).read_bytes())
    run = dekt("verify", pdf, "--trust", signed["ca"], cwd=tmp_path)
    assert run.returncode == 0, run.stdout
    assert "数字签名" in run.stdout and "chains to the given root" in run.stdout and "真实有效" in run.stdout
    # Against the public records too: the record's hash is the unsigned revision's.
    run = dekt("verify", pdf, "--records", signed["out"] / "site", cwd=tmp_path)
    assert run.returncode == 0 and "真实有效" in run.stdout, run.stdout


def test_any_changed_byte_fails_the_signature(signed, tmp_path):
    body = pdf_of(signed["out"]).read_bytes()
    plain_len = len(pdf_of(signed["plain"]).read_bytes())
    pdf = tmp_path / f"{SID}.pdf"
    # A byte in the unsigned revision's binary comment, one in the page content, one inside the signature's update.
    for at in (12, plain_len // 2, plain_len + 40):
        pdf.write_bytes(body[:at] + bytes([body[at] ^ 0x01]) + body[at + 1 :])
        run = dekt("verify", pdf, "--trust", signed["ca"], cwd=tmp_path)
        assert run.returncode == 1, (at, run.stdout)
        assert "✗" in run.stdout and "真实有效" not in run.stdout, run.stdout


def test_a_signature_that_does_not_chain_to_the_root_fails(signed, tmp_path):
    pdf = tmp_path / f"{SID}.pdf"
    pdf.write_bytes(pdf_of(signed["out"]).read_bytes())
    run = dekt("verify", pdf, "--trust", signed["other"], cwd=tmp_path)
    assert run.returncode == 1 and "不能链接到所给的根证书" in run.stdout, run.stdout
    # An unsigned transcript offers no signature to trust.
    run = dekt("verify", pdf_of(signed["plain"]), "--trust", signed["ca"], cwd=tmp_path)
    assert run.returncode == 1 and "没有数字签名" in run.stdout


def test_a_forger_who_changes_the_genuine_pdf_and_signs_it_is_caught(signed, tmp_path):
    # The genuine unsigned PDF, with a later revision that changes the catalog, signed with the forger's certificate:
    # its first revision still hashes to the record, but the document is no longer the one issued.
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    plain = pdf_of(signed["plain"]).read_bytes()
    writer = IncrementalPdfFileWriter(io.BytesIO(plain), strict=False)
    writer.root["/Lang"] = generic.pdf_string("en")
    writer.update_root()
    changed = io.BytesIO()
    writer.write(changed)
    forged = sign.sign_pdf(changed.getvalue(), sign.load_signer(signed["other_p12"]))
    pdf = tmp_path / f"{SID}.pdf"
    pdf.write_bytes(forged)
    run = dekt("verify", pdf, "--records", signed["out"] / "site", cwd=tmp_path)
    assert run.returncode == 1 and "签名之外还改动了文档内容" in run.stdout, run.stdout


def test_a_file_name_is_judged_only_when_it_is_another_students_id(signed, tmp_path):
    body = pdf_of(signed["plain"]).read_bytes()
    for name, objection in (("2014010001_1.pdf", False), ("transcript-2016.pdf", False), ("2014010002.pdf", True)):
        pdf = tmp_path / name
        pdf.write_bytes(body)
        run = dekt("verify", pdf, "--records", signed["plain"], cwd=tmp_path)
        assert (run.returncode == 1 and "另一学号" in run.stdout) == objection, (name, run.stdout)


def test_kept_pdfs_stay_signed_and_a_new_certificate_signs_them_again(signed):
    run = dekt("build", "--now", NOW, "--out", signed["out"], cwd=signed["root"], env=signed["env"])
    assert run.returncode == 0 and re.search(r"成绩单 transcripts: 0 份生成 rendered", run.stdout), run.stdout
    assert sign.check(pdf_of(signed["out"]).read_bytes(), signed["ca"]).trusted
    # Signing switched off: the kept PDFs carry a signature this build does not make, so they are made again.
    run = dekt("build", "--now", NOW, "--out", signed["out"], cwd=signed["root"])
    students = len(helpers.ROSTER)
    assert re.search(rf"成绩单 transcripts: {students} 份生成 rendered", run.stdout), run.stdout
    assert pdf_of(signed["out"]).read_bytes() == pdf_of(signed["plain"]).read_bytes()
