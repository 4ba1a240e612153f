"""The canonical transcript: the data a PDF shows and carries, its JSON bytes, and the code derived from them.

The canonical data is built from a ledger's plain data (``dekt.ledger_view.ledger_data``): it adds the
institution, the issue date and the rules version, and drops what is internal (file paths, line numbers,
the ids of correcting records). Its canonical JSON (sorted keys, no whitespace, UTF-8) is what the PDF
attaches; the verification code is a short, typable encoding of that JSON's SHA-256.

The issue date is not the build's date: it is the date of the last certified change to the student's record
(``record_date``), so a student whose record did not change gets the same data, the same code and the same PDF
from every later build, on any machine, and a transcript once handed out stays the current one until that
student's record changes.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, tzinfo

from ..roster import STATUSES, mask_id
from ..rules import Rules

FORMAT = "dekt-transcript/1"
ATTACHMENT_NAME = "transcript.json"

# Crockford's base-32 alphabet: no I, L, O or U, so a code read aloud or typed from paper survives.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
CODE_RE = re.compile(r"DK-[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}")


def _item(it: dict) -> dict:
    out = {
        "date": it["date"], "academic_year": it["academic_year"], "activity": it["activity"],
        "category": it["category"], "module": it["module"], "level": it["level"], "award": it["award"],
        "role": it["role"], "credits": it["credits"], "basis": it["rule"].rsplit(" → ", 1)[0],
        "counted": it["counted"], "excluded_why": it["excluded_why"],
        "amended": it.get("amended"), "amend_reason": it.get("amend_reason"),
    }  # fmt: skip
    if it.get("certified"):
        out["certified"] = it["certified"]
    return out


def _completion(c: dict, rules: Rules, since: str) -> dict:
    version = rules.version_for(since)
    rule = version.rules.completions.get(c["id"]) if version else None
    names = {k: v.name for k, v in rule.required.items()} if rule else {}
    return {
        "id": c["id"],
        "name": c["name"],
        "module": c["module"],
        "category": rule.category if rule else None,
        "complete": c["complete"],
        "required_done": len(c["required_done"]),
        "required_total": len(c["required_done"]) + len(c["required_missing"]),
        "required_missing": [names.get(k, k) for k in c["required_missing"]],
        "elective_points": c["elective_points"],
        "min_elective_points": c["min_elective_points"],
        "credits": c["credits"],
    }


def _day(moment: str, tz: tzinfo) -> date:
    return datetime.fromisoformat(moment).astimezone(tz).date()


def record_date(ledger: dict, provenance: dict, tz: tzinfo, *, roster_date: date | None, fallback: date) -> date:
    """The date of the last certified change to a student's record: the latest merge, in the school's zone, of
    the claim files behind the items on the transcript (counted or struck through) and of the records that
    corrected or revoked them. An item not archived yet (unsigned mode, a work tree) dates from ``fallback``
    (the build's date); a student with no items dates from the roster's last change, else ``fallback``."""
    days = []
    for it in ledger["items"]:
        merged = (it.get("certified") or {}).get("merged_at")
        days.append(_day(merged, tz) if merged else fallback)
        by = provenance.get(it["amended_by"]) if it.get("amended_by") else None
        if by is not None:
            days.append(_day(by.merged_at, tz))
    return max(days) if days else (roster_date or fallback)


def transcript_data(ledger: dict, rules: Rules, issued: date) -> dict:
    """The canonical transcript of one student from their ledger data, issued on ``issued``."""
    inst = rules.school.institution
    s = ledger["student"]
    return {
        "format": FORMAT,
        "institution": {"name": inst.name, "en": inst.en, "issuer": inst.issuer},
        "issue_date": issued.isoformat(),
        "rules_version": ledger["rules_since"],
        "student": {
            "id": s["id"], "name": s["name"], "department": s["department"], "department_name": s["department_name"],
            "class": s["class"], "enrollment_year": s["enrollment_year"], "status": s["status"],
            "status_name": STATUSES.get(s["status"], s["status"]),
        },
        "modules": [
            {"id": m["id"], "name": m["name"], "credits": m["credits"], "required": m["required"], "met": m["met"]}
            for m in ledger["modules"]
        ],
        "items": [_item(it) for it in ledger["items"]],
        "completions": [_completion(c, rules, ledger["rules_since"]) for c in ledger["completions"]],
        "total": ledger["total"],
        "total_required": ledger["total_required"],
        "graduation_met": ledger["graduation_met"],
        "note": rules.school.transcript.note,
    }  # fmt: skip


def canonical_json(data: dict) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same data always gives the same bytes."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def data_sha256(data: dict) -> str:
    """The SHA-256 of the canonical JSON, in hex."""
    return hashlib.sha256(canonical_json(data)).hexdigest()


def verification_code(data: dict) -> str:
    """``DK-XXXX-XXXX-XXXX-XXXX``: the first 80 bits of the canonical JSON's SHA-256 in Crockford base 32."""
    number = int.from_bytes(hashlib.sha256(canonical_json(data)).digest()[:10], "big")
    chars = "".join(_ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(16)))
    return "DK-" + "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def normalize_code(text: str) -> str | None:
    """A code as typed (any case, spaces, O for 0, I or L for 1) in its printed form, or None if it is not one."""
    raw = re.sub(r"[\s\-]", "", text.upper())
    raw = raw.removeprefix("DK")
    raw = raw.translate(_CONFUSABLE)
    if len(raw) != 16 or any(c not in _ALPHABET for c in raw):
        return None
    return "DK-" + "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def mask_name(name: str) -> str:
    """A name with its middle masked: 张三 → 张*, 卢𠮷桂 → 卢*桂, 欧阳娜娜 → 欧**娜."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def public_record(data: dict, code: str, pdf_sha256: str) -> dict:
    """What the public site publishes for one transcript: enough to confirm it, nothing to identify a stranger."""
    s = data["student"]
    return {
        "format": "dekt-verify/1",
        "code": code,
        "name": mask_name(s["name"]),
        "student_id": mask_id(s["id"]),
        "department": s["department_name"],
        "enrollment_year": s["enrollment_year"],
        "modules": [{"name": m["name"], "credits": m["credits"], "met": m["met"]} for m in data["modules"]],
        "total": data["total"],
        "graduation_met": data["graduation_met"],
        "items": [
            {
                "date": it["date"],
                "activity": it["activity"],
                "credits": it["credits"],
                "counted": it["counted"],
                "amended": it.get("amended"),
                "certified": {k: it["certified"][k] for k in ("pr", "merged_at") if k in it["certified"]}
                if it.get("certified")
                else None,
            }
            for it in data["items"]
        ],
        "issue_date": data["issue_date"],
        "issuer": data["institution"]["issuer"],
        "data_sha256": data_sha256(data),
        "pdf_sha256": pdf_sha256,
    }
