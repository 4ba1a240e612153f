"""Students' personal access codes and the sealed self-view records they open (我的第二课堂, ``me/``).

The pilot report (its section on internal management) puts students' second-classroom results where they can
look them up themselves. Here each student gets a personal code, printed on a slip the counsellor hands out;
the site's page ``me/`` opens the student's own ledger with it, decrypted in the browser exactly like the
verification records (``dekt.site.sealed``: the file name is a hash of the code, the content AES-GCM under a
key derived from it, the nonce derived from the content, so a rebuild with no change gives the same bytes).

    code = "ME-" + Crockford-base32(HMAC-SHA256(secret, "dekt-access/1\\0" + id + "\\0" + rotation)[:10])

80 bits from a keyed hash: nobody without the secret can compute a code, not even from the id and birthday,
and the same secret gives the same codes on every build. The secret lives outside the repository: the
environment variable ``DEKT_ACCESS_SECRET`` (a CI secret). The demo repository (``dekt demo``) uses a
throwaway secret written in this file — never use it for real students. A lost slip is handled by raising the
student's rotation counter in ``rules/access.yaml``, a one-line change reviewed like any rule.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pydantic import Field

from .diagnostics import DektError
from .ledger import Ledger
from .ledger_view import ledger_data
from .models import to_model
from .models.types import Int, Strict, StudentId
from .rules import Rules
from .scoring import fmt
from .site import sealed
from .yamlload import load

ACCESS_FILE = "rules/access.yaml"
SECRET_ENV = "DEKT_ACCESS_SECRET"
# A throwaway secret for the synthetic demo school only (its repository carries .dekt-demo/): public, so the demo's
# codes are public too. A real school sets DEKT_ACCESS_SECRET, and dekt refuses to use this one anywhere else.
DEMO_SECRET = "dekt-demo-only/throwaway-secret/not-for-real-students"
DEMO_MARKER = ".dekt-demo"
FOLDER = "me"  # the site folder of the sealed self-view records and of the page that opens them
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32, as the verification codes
_DOMAIN = b"dekt-access/1"
MIN_SECRET = 16


class AccessRules(Strict):
    """rules/access.yaml: per-student rotation counters; raising one replaces that student's code."""

    rotations: dict[StudentId, Int] = Field(
        default_factory=dict, description="学号 → 轮换次数（补发访问码时加一）/ student id → rotation counter"
    )


def load_access(root: Path) -> AccessRules:
    """The rotation counters of ``rules/access.yaml`` (none when the file is absent); a DektError if it is bad."""
    path = root / ACCESS_FILE
    if not path.is_file():
        return AccessRules()
    doc, problems = load(path, ACCESS_FILE)
    value, more = to_model(doc, AccessRules) if doc is not None else (None, [])
    problems = problems + more
    if value is None or problems:
        where = "；".join(f"{d.file}:{d.line}:{d.col} {d.message}" for d in problems[:5])
        raise DektError(f"{ACCESS_FILE} 有问题 (is not valid): {where}")
    return value


def secret_for(root: Path, environ=os.environ) -> str | None:
    """The access secret: ``DEKT_ACCESS_SECRET``; in the demo repository only, the demo's throwaway one; else None."""
    given = environ.get(SECRET_ENV, "")
    if given:
        if len(given) < MIN_SECRET:
            raise DektError(
                f"{SECRET_ENV} 太短（至少 {MIN_SECRET} 个字符）"
                f"({SECRET_ENV} is too short: at least {MIN_SECRET} characters)"
            )
        if given == DEMO_SECRET and not (root / DEMO_MARKER).is_dir():
            raise DektError(
                f"{SECRET_ENV} 是演示用的公开密钥，不能用于真实数据 "
                "(the demo's public secret cannot be used for real data)"
            )
        return given
    return DEMO_SECRET if (root / DEMO_MARKER).is_dir() else None


def access_code(secret: str, student_id: str, rotation: int = 0) -> str:
    """The personal access code of a student: ``ME-XXXX-XXXX-XXXX-XXXX`` (80 bits, from the secret)."""
    digest = hmac.new(
        secret.encode(), _DOMAIN + b"\0" + student_id.encode() + b"\0" + str(rotation).encode(), hashlib.sha256
    ).digest()
    n = int.from_bytes(digest[:10], "big")
    chars = "".join(_ALPHABET[(n >> (5 * i)) & 31] for i in reversed(range(16)))
    return "ME-" + "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def codes(rules: Rules, roster: dict, access: AccessRules, secret: str) -> dict[str, str]:
    """Every student's current code: student id → code."""
    return {sid: access_code(secret, sid, access.rotations.get(sid, 0)) for sid in sorted(roster)}


def _shortfall(ledger: Ledger) -> dict:
    """What is still missing for graduation (per module and in total) and for each completion such as 团校."""
    return {
        "modules": [
            {"id": m.id, "name": m.name, "missing": fmt(m.required - m.credits)} for m in ledger.modules if not m.met
        ],
        "total": fmt(max(ledger.total_required - ledger.total, Decimal(0))),
        "completions": [
            {"id": c.id, "name": c.name, "required_missing": list(c.required_missing),
             "elective_points_missing": fmt(max(c.min_elective_points - c.elective_points, Decimal(0)))}
            for c in ledger.completions if not c.complete
        ],
    }  # fmt: skip


def self_view_record(ledger: Ledger, rules: Rules, on_notice: list[dict]) -> dict:
    """What the student's own page shows: ``dekt ledger --format json`` exactly, plus what is missing, what is on
    notice now and how to object or ask for a correction."""
    return {
        "format": "dekt-me/1",
        "institution": rules.school.institution.name,
        "ledger": ledger_data(ledger, rules),
        "shortfall": _shortfall(ledger),
        "on_notice": on_notice,
        "how_to_object": rules.school.notice.how_to_object,
    }


def notice_items(root: Path, prs: list[dict], batches: list[dict], rules: Rules) -> dict[str, list[dict]]:
    """The claims now on notice, per student id: the batches ``dekt.notice`` found on notice, read from Git."""
    if not batches:
        return {}
    import git

    from .notice import _claim_blobs
    from .records import parse_claim_file
    from .scoring import Score, score

    on = {b["pr"]: b for b in batches}
    repo = git.Repo(root)
    out: dict[str, list[dict]] = {}
    for pr in prs:
        batch = on.get(pr.get("number"))
        if batch is None:
            continue
        for path, raw in _claim_blobs(repo, pr):
            for e in parse_claim_file(raw, path).entries:
                version = rules.version_for(rules.academic_year(e.date))
                result = score(e, version.rules) if version else None
                cat = version.rules.categories.get(e.category) if version else None
                out.setdefault(e.student, []).append({
                    "pr": batch["pr"], "title": batch["title"], "notice_start": batch["notice_start"],
                    "notice_end": batch["notice_end"], "activity": e.activity, "date": e.date.isoformat(),
                    "category": cat.name if cat else e.category,
                    "credits": fmt(result.credits) if isinstance(result, Score) else None,
                    "rule": result.rule if isinstance(result, Score) else "未通过校验 (does not pass validation)",
                })  # fmt: skip
    return out


@dataclass(frozen=True)
class AccessOutputs:
    """The self-view: sealed site files (``me/…``) and the counsellors' private lists (``access/…``)."""

    site: dict[str, bytes]
    private: dict[str, bytes]
    students: int


def access_records(root: Path, rules: Rules, roster: dict, ledgers: dict[str, Ledger],
                   on_notice: dict[str, list[dict]] | None = None) -> AccessOutputs | None:  # fmt: skip
    """Sealed self-view records and per-class code lists, or None when no access secret is set (nothing written)."""
    secret = secret_for(root)
    if secret is None:
        return None
    access = load_access(root)
    unknown = sorted(set(access.rotations) - set(roster))
    if unknown:
        raise DektError(f"{ACCESS_FILE}：学号 {'、'.join(unknown[:5])} 不在名册中 (ids not in the roster)")
    all_codes = codes(rules, roster, access, secret)
    notice = on_notice or {}
    records = [(all_codes[sid], self_view_record(ledgers[sid], rules, notice.get(sid, []))) for sid in sorted(ledgers)]
    lists = code_lists(rules, roster, all_codes, rules.school.institution.url)
    return AccessOutputs(sealed.seal_all(records), lists, len(records))


def _safe(name: str) -> str:
    """A class name as part of a file name: no path separators or characters Windows refuses."""
    return "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in name).strip(". ") or "_"


def code_lists(rules: Rules, roster: dict, all_codes: dict[str, str], site_url: str | None) -> dict[str, bytes]:
    """One CSV per department and class for its counsellor: id, name, class, code and the link a QR would carry."""
    from .site.private import _csv  # the private lists' writer: UTF-8 with BOM, cells safe from spreadsheet formulas

    base = (site_url.rstrip("/") + "/") if site_url else ""
    groups: dict[tuple[str, str], list] = {}
    for sid in sorted(all_codes):
        s = roster[sid]
        groups.setdefault((s.department, s.class_name), []).append(s)
    out = {}
    for (dept, klass), people in sorted(groups.items()):
        rows = [["学号", "姓名", "班级", "访问码", "链接"]]
        rows += [
            [s.id, s.name, s.class_name, all_codes[s.id], f"{base}{FOLDER}/?code={all_codes[s.id]}"] for s in people
        ]
        out[f"access/{dept}-{_safe(klass)}.csv"] = _csv(rows)
    return out
