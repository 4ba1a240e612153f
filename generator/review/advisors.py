"""The adapter's research step: which advisor (指导教师) each research claim of a pull request names.

The decision (``decide.py``) reads only the forge's record, which lists paths, not contents. This step reads
each claim file of the pull request at its head commit from the local clone and adds ``researchAdvisors``
(path → the ``advisor`` login) for the claims that count in the innovation module, so that the gate can
require that advisor's approval before the department's review counts. A file that does not parse, or a
claim whose rules cannot be found, is left out: ``dekt validate`` reports it, and the gate never passes a
batch that does not validate.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..records import CLAIMS_DIR, parse_claim_file
from ..rules import Rules


def _blob(root: Path, oid: str, path: str) -> bytes | None:
    result = subprocess.run(["git", "show", f"{oid}:{path}"], cwd=root, capture_output=True, check=False)
    return result.stdout if result.returncode == 0 else None


def research_advisors(root: Path, pr: dict, rules: Rules) -> dict[str, str]:
    """Path → advisor login for every research claim file of ``pr`` at its head, read from the clone at ``root``."""
    head = pr.get("headRefOid")
    out: dict[str, str] = {}
    for f in pr.get("files") or []:
        path = f.get("path") if isinstance(f, dict) else None
        if not isinstance(path, str) or not path.startswith(CLAIMS_DIR + "/") or not isinstance(head, str):
            continue
        raw = _blob(root, head, path)
        result = parse_claim_file(raw, path) if raw is not None else None
        for e in result.entries if result else ():
            version = rules.version_for(rules.academic_year(e.date))
            cat = version.rules.categories.get(e.category) if version else None
            if cat is not None and cat.module == version.rules.innovation and e.advisor:
                out[path] = e.advisor
    return dict(sorted(out.items()))
