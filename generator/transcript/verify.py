"""Check a transcript PDF offline: attachment, code, visible text, file name, and the issue record.

A genuine transcript carries its canonical data as a PDF attachment; the code printed on it is derived
from that data; the text on its pages agrees with the data; and its SHA-256 is the one the build
recorded (in the private manifest or the public record on the site). Any changed byte, a swapped
attachment, a recomputed code, or a genuine file renamed after another student fails one of these.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import canonical, sign
from .render import cn_date
from .writer import MANIFEST


@dataclass(frozen=True)
class Finding:
    """One failed check: a short id, and the message in Chinese with an English gloss."""

    check: str
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} ({self.en})"


@dataclass
class Verification:
    """The outcome: every failed check, the checks that passed, and what the PDF says it is."""

    path: Path
    problems: list[Finding] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    data: dict | None = None
    code: str | None = None
    record: str | None = None  # where the SHA-256 was checked against
    status: dict | None = None  # the issue record found there (status: current, superseded, revoked, withdrawn)
    signature: object | None = None  # dekt.transcript.sign.Signature, when the PDF is signed

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, check: str, zh: str, en: str) -> None:
        self.problems.append(Finding(check, zh, en))


def _compact(text: str) -> str:
    """Page text without any whitespace, so line breaks and spacing added by extraction do not matter."""
    return re.sub(r"\s+", "", text)


def _read(path: Path, v: Verification):
    """The attachment bytes and the pages' text, or None when the file is not a readable PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path), strict=False)
        attachments = reader.attachments
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        v.fail("pdf", f"无法读取 PDF：{exc}", f"cannot read the PDF: {exc}")
        return None
    blobs = attachments.get(canonical.ATTACHMENT_NAME) or []
    if len(blobs) != 1:
        v.fail("attachment", f"PDF 中没有（唯一的）附件 {canonical.ATTACHMENT_NAME}",
               f"the PDF has no single attachment {canonical.ATTACHMENT_NAME}")  # fmt: skip
        return None
    return blobs[0], text


def _records(records: Path, code: str, sid: str) -> tuple[dict | None, str | None]:
    """The issue record of ``code`` and where it was found: the site's sealed records (which also say whether a
    newer transcript has been issued since), else the build's manifest (this build's transcripts only)."""
    from ..site import sealed

    for folder in [records, records / "verify", records / "site" / "verify"]:
        record = sealed.find(folder, code) if (folder / "index.json").is_file() else None
        if record and record.get("code") == code:
            return record, f"{folder / 'index.json'} ({sealed.record_name(code)})"
    candidates = [records, records / "private" / "transcripts", records / "transcripts"]
    for folder in candidates:
        manifest = folder / MANIFEST
        if manifest.is_file():
            entry = json.loads(manifest.read_text(encoding="utf-8")).get("transcripts", {}).get(sid)
            if entry and entry.get("code") == code:
                return {**(entry.get("record") or {}), "pdf_sha256": entry.get("pdf_sha256"), "status": "current"}, str(
                    manifest
                )
    return None, None


def _names_another_student(stem: str, sid: str) -> bool:
    """True when a file name is shaped like a student id (the same length, digits and letters in the same places)
    but is not this student's: ``2014010002.pdf`` for 2014010001's transcript. Any other name is the holder's
    business (``transcript-2016.pdf``, ``2014010001_1.pdf``)."""
    if len(stem) != len(sid) or stem == sid:
        return False
    return all(a.isdigit() == b.isdigit() and a.isalpha() == b.isalpha() for a, b in zip(stem, sid))


def verify_pdf(path: Path, records: Path | None = None, trust: Path | None = None) -> Verification:
    """Run every check on the PDF at ``path``; ``records`` is a build folder, its site or its manifest folder;
    ``trust`` the institution's root certificate (PEM) that a signed PDF's signature must chain to."""
    v = Verification(path)
    # Read once: the bytes whose signature is checked are the bytes whose SHA-256 is compared below.
    is_file = path.is_file()
    body = path.read_bytes() if is_file else b""
    signature = sign.check(body, trust) if is_file else None
    if trust is not None and signature is None:
        v.fail("signature", "PDF 没有数字签名", "the PDF carries no digital signature")
    read = _read(path, v)
    if read is None:
        return v
    blob, text = read
    try:
        data = json.loads(blob.decode("utf-8"))
        assert isinstance(data, dict) and data.get("format") == canonical.FORMAT
        student = data["student"]
    except (ValueError, AssertionError, KeyError, UnicodeDecodeError):
        v.fail("attachment", "附件不是成绩单数据", "the attachment is not transcript data")
        return v
    v.data = data
    if canonical.canonical_json(data) != blob:
        v.fail("canonical", "附件不是规范 JSON（已被改写）", "the attachment is not canonical JSON (it was rewritten)")
    code = v.code = canonical.verification_code(data)
    page = _compact(text)
    printed = set(canonical.CODE_RE.findall(page))
    if printed != {code}:
        shown = "、".join(sorted(printed)) or "无 none"
        v.fail("code", f"页面上的验证码（{shown}）与附件数据计算出的 {code} 不符",
               f"the code on the page ({shown}) is not {code}, the code of the attached data")  # fmt: skip
    else:
        v.passed.append("code")
    wanted = {
        "姓名 name": student["name"],
        "学号 student id": student["id"],
        "系部 department": student["department_name"],
        "签发日期 issue date": cn_date(data["issue_date"]),
        "总学分 total": f"合计{data['total']}{data['total_required']}",
    }
    wanted.update({f"{m['name']} credits": f"{m['name']}{m['credits']}{m['required']}" for m in data["modules"]})
    for label, value in wanted.items():
        if _compact(value) not in page:
            v.fail("text", f"页面文字与附件不符：找不到 {label}“{value}”",
                   f"the page text does not match the attachment: {label} '{value}' is not on it")  # fmt: skip
    if not any(p.check == "text" for p in v.problems):
        v.passed.append("text")
    if _names_another_student(path.stem, str(student["id"])):
        v.fail("filename", f"文件名 {path.name} 是另一学号，而成绩单属于 {student['id']}",
               f"the file name {path.name} names another student; the transcript is {student['id']}'s")  # fmt: skip
    if signature is not None:
        v.signature = signature
        if not signature.intact:
            v.fail("signature", f"数字签名无效：{signature.zh}", f"the digital signature does not hold: {signature.en}")
        elif signature.trusted is False:
            v.fail(
                "signature",
                f"签名证书不受所给根证书信任：{signature.zh}",
                f"the signer is not trusted by the given root: {signature.en}",
            )
        else:
            v.passed.append("signature")
    if records is not None:
        record, where = _records(records, code, student["id"])
        v.record, v.status = where, record
        recorded = record.get("pdf_sha256") if record else None
        sha = hashlib.sha256(body).hexdigest()
        if signature is not None and signature.intact:  # a signed file: its unsigned first revision is what was issued
            sha = next(
                (h for h in (hashlib.sha256(c).hexdigest() for c in sign.unsigned_candidates(body)) if h == recorded),
                hashlib.sha256(sign.unsigned_revision(body) or body).hexdigest(),
            )
        if record is None:
            v.fail("record", f"在 {records} 中找不到验证码 {code} 的签发记录",
                   f"no issue record for code {code} under {records}")  # fmt: skip
        elif recorded != sha:
            v.fail(
                "sha256",
                f"文件已被改动：SHA-256 为 {sha[:16]}…，签发记录为 {str(recorded)[:16]}…",
                f"the file was changed: its SHA-256 is {sha[:16]}…, the record says {str(recorded)[:16]}…",
            )
        else:
            v.passed.append("sha256")
            if record.get("status") == "revoked":
                v.fail(
                    "revoked",
                    f"本校签发的真实成绩单，但已于 {record.get('revoked_on')} 撤销：{record.get('revoked_reason')}",
                    f"a genuine transcript of the school, but revoked on {record.get('revoked_on')}",
                )
    return v


def _status_lines(record: dict) -> list[str]:
    """What the issue record says of this transcript now: current, superseded, withdrawn (never "forged")."""
    status = record.get("status", "current")
    if status == "superseded":
        out = [
            (
                f"  ✓ 真实有效：本校于 {record.get('issue_date')} 签发；"
                f"该生此后于 {record.get('superseded_on')} 签发了更新的成绩单"
                f" (genuine, issued on {record.get('issue_date')};"
                f" a newer one was issued on {record.get('superseded_on')})"
            )
        ]
        if record.get("revoked_items"):
            out.append(
                f"  ! 其中以下条目此后已被撤销 (items on it revoked since): {'、'.join(record['revoked_items'])}"
            )
        return out
    if status == "withdrawn":
        return ["  ! 该生已不在名册中，本校不再为其签发成绩单 (the student is no longer on the roster)"]
    return ["  ✓ 这是该生目前最新的成绩单 (this is the student's current transcript)"]


def report(v: Verification) -> str:
    """The verdict for people, Chinese first."""
    lines = [f"{v.path}"]
    if v.data:
        s = v.data["student"]
        lines.append(
            f"  {s['name']}（{s['id']}）· {s['department_name']}"
            f" · 签发 issued {v.data['issue_date']} · 验证码 code {v.code}"
        )
    if v.record:
        lines.append(f"  签发记录 record: {v.record}")
    sig = v.signature
    if sig is not None:
        trust = {
            True: "，可链接到所给根证书 (chains to the given root)",
            False: "，不受所给根证书信任 (NOT trusted by the given root)",
            None: "（未给根证书，未核验签名者 / no root given: the signer is not checked）",
        }[sig.trusted]
        lines.append(f"  数字签名 signature: {sig.signer}；签名时间 {sig.signed_at or '?'}{trust}")
    for p in v.problems:
        lines.append(f"  ✗ {p}")
    if v.ok and v.record:
        lines.append(
            "  ✓ 真实有效：附件、验证码、页面文字与签发记录一致 (genuine: attachment, code, page text and record agree)"
        )
        lines += _status_lines(v.status or {})
    elif v.ok and sig is not None and sig.trusted:
        lines.append(
            "  ✓ 真实有效：学校的数字签名覆盖文件的每个字节，附件、验证码与页面文字一致"
            " (genuine: the institution's signature covers every byte; attachment, code and page text agree)"
        )
    elif v.ok:
        lines.append("  ✓ 附件、验证码与页面文字一致 (attachment, code and page text agree)")
    else:
        lines.append(f"  ✗ 未通过核验：{len(v.problems)} 项不符 (NOT verified: {len(v.problems)} problem(s))")
    return "\n".join(lines)
