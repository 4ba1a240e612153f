"""A student who changes department keeps the claims already archived where they were reviewed.

Real Git repositories: the claim is archived (committed on main) in the customs folder; then the roster moves the
student to law. The archived file was reviewed by customs when the student was theirs, so it stays valid and counts;
a new claim must go to the department the student is in now (DK302 otherwise).
"""

from __future__ import annotations

import json
import subprocess
import sys

import helpers

DEKT = [sys.executable, "-m", "dekt.cli"]


def dekt(root, *args):
    return subprocess.run([*DEKT, *args, "--repo", str(root)], capture_output=True, text=True)


def moved_roster():
    rows = [list(r) for r in helpers.ROSTER]
    rows[0][2], rows[0][3] = "law", "法律2014级1班"  # 2014010001 张三: customs → law
    return rows


def test_archived_claim_survives_a_department_change(repo_factory):
    root = repo_factory(
        files={"records/claims/2014-2015/customs/club.yaml": helpers.claim_text("2014010001")}, init_git=True
    )
    helpers.write_files(root, {"records/students.csv": helpers.roster_csv(moved_roster())})
    helpers.git(root, "commit", "-qam", "名册：张三转入法律系")
    run = dekt(root, "validate", "--format", "json")
    assert run.returncode == 0, run.stdout
    assert "DK302" not in run.stdout
    ledger = json.loads(dekt(root, "ledger", "2014010001", "--format", "json").stdout)
    # The club leader claim (rules: clubs, role leader) still counts for the student now in law.
    assert any(item["file"].endswith("customs/club.yaml") and item["counted"] for item in ledger["items"]), ledger


def test_new_claim_goes_to_the_new_department(repo_factory):
    root = repo_factory(
        files={"records/claims/2014-2015/customs/club.yaml": helpers.claim_text("2014010001")}, init_git=True
    )
    helpers.write_files(root, {"records/students.csv": helpers.roster_csv(moved_roster())})
    helpers.git(root, "commit", "-qam", "名册：张三转入法律系")
    new = "records/claims/2014-2015/customs/club2.yaml"
    helpers.write_files(root, {new: helpers.claim_text("2014010001", activity="书法协会", evidence="证明 2")})
    run = dekt(root, "validate", "--format", "json")
    assert run.returncode == 1
    found = [d for d in json.loads(run.stdout) if d["code"] == "DK302"]
    assert [d["file"] for d in found] == [new]  # only the new file, not the archived one
    # An archived file edited in the work tree is no longer the archive's: it is checked like a new one.
    helpers.write_files(root, {new: ""})
    (root / new).unlink()
    path = root / "records/claims/2014-2015/customs/club.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("摄影协会", "摄影社"), encoding="utf-8")
    run = dekt(root, "validate", "--format", "json")
    assert [d["file"] for d in json.loads(run.stdout) if d["code"] == "DK302"] == [
        "records/claims/2014-2015/customs/club.yaml"
    ]
