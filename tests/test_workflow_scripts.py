"""The workflows' shell, run for real: .github/scripts/ against real Git clones and a stand-in `gh` on PATH.

The stand-in (tests/workflow/gh) answers from recorded files shaped as gh prints them and can fail its n-th call,
as the API does now and then; a step that hits such a failure must fail, never publish or decide on less.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from helpers import GIT_ENV, ROSTER, claim_text, git

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / ".github" / "scripts"
FAKE = ROOT / "tests" / "workflow"
BIN = Path(sys.executable).parent
REPO = "donghai-college/dekt"


def page(nodes, more=False):
    return {
        "data": {
            "repository": {
                "pullRequest": {
                    "timelineItems": {"pageInfo": {"hasNextPage": more, "endCursor": "Y3Vyc29yOjE="}, "nodes": nodes}
                }
            }
        }
    }


def view(number, head, path, reviews, labels=()):
    """What `gh pr view N --json …` prints (cli/cli api/export_pr.go): logins, ISO times, commits with authors."""
    return {
        "number": number, "title": f"第二课堂申报 #{number}", "state": "OPEN", "headRefOid": head,
        "baseRefName": "main",
        "author": {"id": "MDQ6VXNlcjE=", "is_bot": False, "login": "hg-mishu", "name": "海关管理系秘书"},
        "createdAt": "2026-09-28T01:12:44Z", "changedFiles": 1,
        "files": [{"path": path, "additions": 8, "deletions": 0}],
        "labels": [{"id": "LA_1", "name": name, "description": "", "color": "d93f0b"} for name in labels],
        "comments": [],
        "commits": [{"oid": head, "authoredDate": "2026-09-28T01:10:05Z", "committedDate": "2026-09-28T01:10:05Z",
                     "messageHeadline": "申报", "messageBody": "",
                     "authors": [{"email": "hg-mishu@donghai.edu.cn", "id": "MDQ6VXNlcjE=", "login": "hg-mishu",
                                  "name": "秘书"}]}],
        "reviews": [{"id": f"PRR_{i}", "author": {"login": who}, "authorAssociation": "MEMBER", "body": "",
                     "submittedAt": at, "includesCreatedEdit": False, "reactionGroups": [], "state": "APPROVED",
                     "commit": {"oid": head}}
                    for i, (who, at) in enumerate(reviews)],
    }  # fmt: skip


@pytest.fixture
def forge(repo_factory, tmp_path):
    """A bare origin with two open pull requests (refs/pull/N/head), a CI clone of it, and gh's recorded answers.

    The archive is signed: its first commit lists academic affairs' key (``jwc``, beside ``home``) in
    rules/allowed_signers, the key merge.sh signs with."""
    key = tmp_path / "jwc"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "jwc", "-f", str(key)], check=True)
    signers = f"jwc-wang@donghai.edu.cn {key.with_suffix('.pub').read_text().strip()}\n"
    seed = repo_factory(files={"rules/allowed_signers": signers}, init_git=True)
    heads = {}
    for number, dept, student in ((7, "customs", "2014010001"), (8, "law", "2014020001")):
        git(seed, "switch", "-q", "-c", f"batch-{number}", "main")
        path = f"records/claims/2014-2015/{dept}/club-{number}.yaml"
        (seed / path).parent.mkdir(parents=True, exist_ok=True)
        (seed / path).write_text(claim_text(student), encoding="utf-8")
        git(seed, "add", "-A")
        git(seed, "commit", "-q", "-m", f"batch {number}")
        heads[number] = (git(seed, "rev-parse", "HEAD").strip(), path)
    git(seed, "switch", "-q", "main")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    for number in heads:
        git(origin, "update-ref", f"refs/pull/{number}/head", f"refs/heads/batch-{number}")
        git(origin, "branch", "-q", "-D", f"batch-{number}")  # only the pull refs remain, as on GitHub
    ci = tmp_path / "ci"
    git(tmp_path, "clone", "-q", str(origin), str(ci))
    home = tmp_path / "gh"
    home.mkdir()
    (home / "prs.json").write_text("[7, 8]")
    final = [("hg-chen", "2026-09-29T02:10:00Z"), ("jwc-wang", "2026-10-13T02:00:00Z")]  # notice 09-30..10-12: passes
    records = {7: view(7, *heads[7], final), 8: view(8, *heads[8], [("fl-sun", "2026-09-29T02:10:00Z")])}
    for number, record in records.items():
        (home / f"view-{number}.json").write_text(json.dumps(record, ensure_ascii=False))
        (home / f"timeline-{number}.json").write_text(json.dumps(page([])) + "\n")
    return ci, home, heads


def script_env(home, fail_at=None, extra=None) -> dict:
    """The environment the workflow gives the scripts: the stand-in gh first on PATH, the forge's key."""
    env = {
        **os.environ,
        "PATH": f"{FAKE}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}",
        "FAKE_GH": str(home),
        "GITHUB_REPOSITORY": REPO,
        "DEFAULT_BRANCH": "main",
        "GITHUB_STEP_SUMMARY": str(home / "summary.md"),
        "DEKT_SIGNING_KEY": str(home.parent / "jwc"),  # merge.sh: the key forge() listed
        "PUSH_TOKEN": "unused-by-a-local-origin",
        "DEKT_CUSTODY_CACHE": str(home / "custody-cache"),
        **{k: v for k, v in GIT_ENV.items() if k.endswith(("_NAME", "_EMAIL"))},
    }
    env.update(extra or {})  # a test's own setting (DEKT_OUT, DEKT_FONT_CACHE) wins
    env.pop("FAKE_GH_FAIL_AT", None)
    if fail_at:
        env["FAKE_GH_FAIL_AT"] = str(fail_at)
    return env


def run(script, ci, home, *args, fail_at=None, env=None):
    return subprocess.run([str(SCRIPTS / script), *args], cwd=ci, env=script_env(home, fail_at, env),
                          capture_output=True, text=True, check=False, timeout=300)  # fmt: skip


def dekt(where, home, *args, env=None):
    """A dekt command as academic affairs or the publish workflow runs it, with the scripts' environment."""
    return subprocess.run([str(BIN / "dekt"), *map(str, args)], cwd=where, env=script_env(home, extra=env),
                          capture_output=True, text=True, check=False, timeout=300)  # fmt: skip


def calls(home):
    return [json.loads(line) for line in (home / "calls.log").read_text(encoding="utf-8").splitlines()]


def posted(home):
    return json.loads((home / "statuses.json").read_text()) if (home / "statuses.json").exists() else {}


def test_the_gate_posts_each_status_once_and_only_when_it_changes(forge, tmp_path):
    ci, home, heads = forge
    done = run("gate.sh", ci, home, str(tmp_path / "work"))
    assert done.returncode == 0, done.stdout + done.stderr
    statuses = posted(home)
    # #7: department and academic affairs approved around a finished notice; #8: the notice is over, no final approval
    assert statuses[heads[7][0]][0]["state"] == "success" and statuses[heads[8][0]][0]["state"] == "failure"
    assert statuses[heads[8][0]][0]["description"].startswith("不可合并：#8 待教务处认定")
    first = len(calls(home))
    again = run("gate.sh", ci, home, str(tmp_path / "work2"))
    assert again.returncode == 0 and again.stdout.count("状态未变") == 2
    assert not any("--method" in c for c in calls(home)[first:])  # nothing posted the second time


def test_the_gate_goes_on_past_a_failing_pull_request_and_fails_at_the_end(forge, tmp_path):
    ci, home, heads = forge
    # calls: 1 pr list, 2 pr view 7, 3 graphql for 7 (fails here), then #8 in full
    done = run("gate.sh", ci, home, str(tmp_path / "work"), fail_at=3)
    assert done.returncode == 1
    assert "#7" in done.stderr and "HTTP 502" in done.stderr
    assert heads[8][0] in posted(home) and heads[7][0] not in posted(home)  # #8 was still decided and posted


@pytest.mark.parametrize("fail_at", [1, 2, 3, 4])
def test_any_failing_call_fails_the_gate(forge, tmp_path, fail_at):
    ci, home, _ = forge
    assert run("gate.sh", ci, home, str(tmp_path / "work"), fail_at=fail_at).returncode != 0


def test_the_notice_list_collects_every_open_pull_request_or_fails(forge, tmp_path):
    ci, home, heads = forge
    done = run("collect-prs.sh", ci, home, str(tmp_path / "prs.json"))
    assert done.returncode == 0, done.stderr
    prs = json.loads((tmp_path / "prs.json").read_text(encoding="utf-8"))
    assert [p["number"] for p in prs] == [7, 8] and all("timelineItems" in p and p["contentIds"] for p in prs)
    assert prs[0]["files"] == [{"path": heads[7][1]}]  # from Git
    (tmp_path / "prs.json").unlink()
    (home / "calls.log").unlink()
    failed = run("collect-prs.sh", ci, home, str(tmp_path / "prs.json"), fail_at=3)
    assert failed.returncode != 0 and "HTTP 502" in failed.stderr


def test_a_list_that_may_be_cut_short_fails(forge, tmp_path):
    ci, home, _ = forge
    (home / "prs.json").write_text(json.dumps(list(range(1, 1001))))  # gh pr list --limit 1000 came back full
    done = run("collect-prs.sh", ci, home, str(tmp_path / "prs.json"))
    assert done.returncode != 0 and "可能不完整" in done.stderr and not (tmp_path / "prs.json").exists()


def test_a_timeline_cut_short_fails_the_record(forge, tmp_path):
    ci, home, _ = forge
    (home / "timeline-8.json").write_text(
        json.dumps(page([], more=True))
    )  # gh stopped after a page that says more follow
    assert run("collect-prs.sh", ci, home, str(tmp_path / "prs.json")).returncode != 0


def origin_main(ci) -> str:
    return git(ci, "ls-remote", "origin", "refs/heads/main").split()[0]


def verified(ci, commit) -> bool:
    """``git verify-commit`` against the archive's allowed signers: a good signature by academic affairs' key."""
    cmd = ["git", "-c", "gpg.ssh.allowedSignersFile=rules/allowed_signers", "verify-commit", commit]
    check = subprocess.run(cmd, cwd=ci, capture_output=True, text=True)
    return check.returncode == 0 and 'Good "git" signature for jwc-wang@donghai.edu.cn' in check.stderr


def register_added(ci, old, new) -> list[dict]:
    """The register lines commit ``new`` added over ``old`` (records/register/*.jsonl, one JSON object a line)."""
    diff = git(ci, "diff", "--no-color", "-U0", old, new, "--", "records/register")
    return [json.loads(line[1:]) for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]


def test_merge_merges_a_passing_pull_request_signed_registers_it_pushes_both_and_starts_publish(forge):
    ci, home, heads = forge
    before = origin_main(ci)
    done = run("merge.sh", ci, home, "7")
    assert done.returncode == 0, done.stdout + done.stderr
    # Pushed once, two commits: the signed merge, then the signed register commit on top of it.
    head = origin_main(ci)
    git(ci, "fetch", "-q", "origin")
    merge = git(ci, "rev-parse", f"{head}^1").strip()
    assert git(ci, "rev-list", "--parents", "-n1", head).split() == [head, merge]
    assert git(ci, "rev-parse", f"{merge}^1", f"{merge}^2").split() == [before, heads[7][0]]
    assert verified(ci, merge) and verified(ci, head)
    assert "Dekt-PR: 7" in git(ci, "log", "-1", "--format=%B", merge)
    assert f"Registers: {merge}" in git(ci, "log", "-1", "--format=%B", head)
    touched = git(ci, "diff-tree", "--no-commit-id", "--name-only", "-r", head).split()
    assert touched and all(p.startswith("records/register/") and p.endswith(".jsonl") for p in touched)
    # No register before this merge, so every transcript the build issued is new: one per student on the roster
    # (helpers.ROSTER: 8 students, graduates included — a graduate's transcript is issued too).
    added = register_added(ci, merge, head)
    assert sorted(a["student"] for a in added) == sorted(row[0] for row in ROSTER)
    assert not any(c[:2] == ["pr", "merge"] for c in calls(home))  # merged here, signed; not by the forge
    assert calls(home)[-1] == ["workflow", "run", "publish.yml", "--ref", "main"]


def register_main(ci, home, out):
    """Academic affairs registered what main issued before the batch (build into ``out``, ``dekt register
    --sign``) and pushed it: a signed register commit on origin's main."""
    for args in (("build", "--out", out), ("register", "--from", out, "--sign", "--key", home.parent / "jwc")):
        done = dekt(ci, home, *args)
        assert done.returncode == 0, done.stdout + done.stderr
    git(ci, "push", "-q", "origin", "HEAD:refs/heads/main")


def test_merge_registers_exactly_the_batchs_students_and_a_fresh_clone_validates_signed(forge, tmp_path):
    ci, home, heads = forge
    restored = tmp_path / "previous"  # the previous private outputs, as the workflow restores them
    register_main(ci, home, restored)
    before = origin_main(ci)
    codes_before = {a["student"]: a["record"]["code"] for a in register_added(ci, f"{before}^1", before)}
    # The batch of #7 is one claim file; read by hand in forge(): club-7.yaml, a club leader's claim of 2014010001.
    # Nothing else changes in the merge, so 2014010001 is the only student whose transcript is issued anew.
    batch = {"2014010001"}
    claim = git(ci, "show", f"{heads[7][0]}:{heads[7][1]}")
    assert "student: 2014010001\n" in claim and "activity: 摄影协会（2014-2015 学年）\n" in claim
    done = run("merge.sh", ci, home, "7", env={"DEKT_OUT": str(restored)})
    assert done.returncode == 0, done.stdout + done.stderr
    # The previous outputs were restored: only the batch's student is rendered, the other 7 are kept.
    assert "1 份生成 rendered, 7 份未变 unchanged" in done.stdout
    head = origin_main(ci)
    git(ci, "fetch", "-q", "origin")
    merge = git(ci, "rev-parse", f"{head}^1").strip()
    assert git(ci, "rev-parse", f"{merge}^1", f"{merge}^2").split() == [before, heads[7][0]]
    assert verified(ci, merge) and verified(ci, head)
    added = register_added(ci, merge, head)
    assert {a["student"] for a in added} == batch and len(added) == 1
    record = added[0]["record"]
    assert record["code"] != codes_before["2014010001"]  # a new transcript, not the registered one again
    # Its date is the merge's (the last certified change to the record), in the school's zone, Asia/Shanghai.
    merged_at = datetime.fromtimestamp(int(git(ci, "log", "-1", "--format=%ct", merge)), ZoneInfo("Asia/Shanghai"))
    assert record["issue_date"] == merged_at.date().isoformat()
    assert [(it["activity"], it["certified"]["pr"]) for it in record["items"]] == [("摄影协会（2014-2015 学年）", 7)]
    # A fresh clone of origin, as publish checks it out: custody in signed mode, everything certified.
    fresh = tmp_path / "fresh"
    git(tmp_path, "clone", "-q", str(git(ci, "remote", "get-url", "origin").strip()), str(fresh))
    cache = {"DEKT_CUSTODY_CACHE": str(tmp_path / "fresh-custody-cache")}  # no verdict carried over
    checked = dekt(fresh, home, "validate", env=cache)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "UNSIGNED MODE" not in checked.stdout + checked.stderr
    # Publish's build from nothing issues what the merge registered: nothing left unregistered, the same PDF bytes.
    built = dekt(fresh, home, "build", "--out", tmp_path / "publish", env=cache)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "本次有 0 份尚未登记 not yet registered" in built.stdout
    pdf = (tmp_path / "publish/private/transcripts/2014010001.pdf").read_bytes()
    assert hashlib.sha256(pdf).hexdigest() == record["pdf_sha256"]
    # And registering again finds nothing new: it exits 0 and commits nothing.
    again = dekt(fresh, home, "register", "--from", tmp_path / "publish", "--sign", "--key", home.parent / "jwc",
                 env=cache)  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert "无改动 nothing" in again.stdout and git(fresh, "rev-parse", "HEAD").strip() == head


def test_a_failing_build_after_the_merge_pushes_nothing(forge, tmp_path):
    ci, home, _ = forge
    before = origin_main(ci)
    blocker = tmp_path / "a-file"  # the font cache's folder cannot be made under a file, whoever runs the test
    blocker.write_text("")
    done = run("merge.sh", ci, home, "7", env={"DEKT_FONT_CACHE": str(blocker / "fonts")})
    assert done.returncode != 0
    assert "合并后的构建失败，合并未推送" in done.stderr and "the merge is not pushed" in done.stderr
    assert "Dekt-PR: 7" in git(ci, "log", "-1", "--format=%B")  # it failed after the signed merge, in the build
    assert origin_main(ci) == before and not any(c[:2] == ["workflow", "run"] for c in calls(home))


def test_merge_refuses_a_pull_request_the_gate_does_not_pass(forge):
    ci, home, _ = forge
    before = origin_main(ci)
    done = run("merge.sh", ci, home, "8")
    assert done.returncode == 1 and "不可合并" in done.stdout
    assert origin_main(ci) == before and not any(c[:2] == ["workflow", "run"] for c in calls(home))


def test_merge_stops_when_a_call_fails(forge):
    ci, home, _ = forge
    before = origin_main(ci)
    done = run("merge.sh", ci, home, "7", fail_at=3)
    assert done.returncode != 0 and not any(c[:2] in (["pr", "merge"], ["workflow", "run"]) for c in calls(home))
    assert origin_main(ci) == before


def test_validate_lays_only_the_pull_requests_data_over_the_default_branch(forge):
    ci, _, heads = forge
    git(ci, "fetch", "-q", "origin", "refs/pull/7/head")
    head = git(ci, "rev-parse", "FETCH_HEAD").strip()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [str(SCRIPTS / "overlay.sh"), head], cwd=ci, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert (ci / heads[7][1]).is_file() and git(
        ci, "rev-parse", "HEAD"
    ).strip() != head  # main's code, the PR's records
    checked = subprocess.run(
        [str(BIN / "dekt"), "validate", "--base", "origin/main"], cwd=ci, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
