"""The JSON Schema editors use: committed in step with the models, and agreeing with them on real files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from dekt.records import parse_claim_file

MAIN = Path(__file__).resolve().parents[1]
SCHEMA_DIR = MAIN / "rules" / "schema"
_SCRIPT = Path(sys.executable).with_name("dekt")
DEKT = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "dekt.cli"]
CJK = re.compile(r"[\u4e00-\u9fff]")


class Yaml12Loader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):
    """PyYAML close to YAML 1.2's core schema, the view editors (yaml-language-server) take.

    No timestamps (dates stay text), booleans only true/false; a plain 2014010203 is an integer.
    """


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load12(text: str):
    return yaml.load(text, Loader=Yaml12Loader)


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_loader_reads_like_yaml_12():
    doc = load12("student: 2014010203\ndate: 2014-10-12\nflag: no\nok: true\nhours: 1.5\n")
    assert doc == {"student": 2014010203, "date": "2014-10-12", "flag": "no", "ok": True, "hours": 1.5}


def test_committed_schema_is_what_dekt_schema_writes_now(tmp_path):
    out = tmp_path / "schema"
    run = subprocess.run([*DEKT, "schema", "--repo", str(MAIN), "--out", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    fresh = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    committed = {p.name: p.read_bytes() for p in sorted(SCHEMA_DIR.iterdir())}
    assert sorted(fresh) == sorted(committed), "a schema file is missing or stale in rules/schema/"
    for name in fresh:
        assert fresh[name] == committed[name], f"rules/schema/{name} is stale: run `dekt schema` and commit it"


# Keywords pydantic writes when it cannot translate a constraint; JSON Schema ignores them, so editors would too.
NOT_JSON_SCHEMA = {"ge", "le", "gt", "lt", "decimal_places", "max_digits", "multiple_of"}


def _schema_keys(node, path="#"):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("properties", "$defs", "patternProperties"):
                for name, sub in value.items():
                    yield from _schema_keys(sub, f"{path}/{key}/{name}")
                continue
            yield key, path
            if key not in ("default", "examples", "const", "enum"):
                yield from _schema_keys(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _schema_keys(item, f"{path}/{i}")


@pytest.mark.parametrize("name", sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json")))
def test_schema_uses_only_json_schema_keywords(name):
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    unknown = sorted({f"{path}: {key}" for key, path in _schema_keys(schema) if key in NOT_JSON_SCHEMA})
    assert not unknown, "constraints editors cannot see (use minimum/maximum):\n" + "\n".join(unknown)


def test_every_claim_field_is_described_in_chinese_and_english():
    schema = json.loads((SCHEMA_DIR / "claim.schema.json").read_text(encoding="utf-8"))
    fields = {f"{model}.{k}": v for model, sub in schema["$defs"].items() for k, v in sub.get("properties", {}).items()}
    fields.update({k: v for k, v in schema.get("properties", {}).items()})
    assert "ClaimFile.student" in fields or "student" in fields
    for name, prop in fields.items():
        text = prop.get("description", "")
        assert CJK.search(text) and re.search(r"/ [A-Za-z]", text), f"{name}: {text!r}"


@pytest.mark.slow
def test_every_claim_file_of_the_demo_school_validates():
    v = validator("claim.schema.json")
    files = sorted((MAIN / "records" / "claims").rglob("*.yaml"))
    assert len(files) > 1000
    int_ids = 0
    failures = []
    for path in files:
        doc = load12(path.read_text(encoding="utf-8"))
        people = doc.get("participants") or [doc]
        int_ids += sum(isinstance(p.get("student"), int) for p in people)
        for error in v.iter_errors(doc):
            failures.append(f"{path.relative_to(MAIN)}: {list(error.absolute_path)} {error.message}")
    assert not failures, "\n".join(failures[:20])
    assert int_ids > 1000, "plain student ids are integers to an editor; the schema must accept them"


@pytest.mark.parametrize(
    ("schema", "pattern"),
    [
        ("credits.schema.json", "rules/credits/*.yaml"),
        ("school.schema.json", "rules/school.yaml"),
        ("calendar.schema.json", "rules/calendar.yaml"),
    ],
)
def test_rules_files_validate_against_their_schema(schema, pattern):
    v = validator(schema)
    files = sorted(MAIN.glob(pattern))
    assert files
    for path in files:
        errors = [
            f"{list(e.absolute_path)} {e.message}" for e in v.iter_errors(load12(path.read_text(encoding="utf-8")))
        ]
        assert not errors, f"{path.relative_to(MAIN)}: {errors}"


GOOD = """\
activity: 第十四届“挑战杯”全国大学生课外学术科技作品竞赛
category: challenge_cup
date: 2015-05-20
registered: 2015-06-02
level: national
award: second
evidence: 获奖证书 CC-2015-0003
participants:
  - {student: 2014010203, role: leader, credits: 4.0}
  - {student: "0123456", role: member, rank: 2}
"""

# Each bad claim must be refused both by dekt's own models and by the schema an editor uses.
BAD = {
    "unknown-field": GOOD.replace("level:", "prize: x\nlevel:"),
    "unknown-participant-field": GOOD.replace("rank: 2}", "rank: 2, grade: a}"),
    "category-not-an-id": GOOD.replace("category: challenge_cup", "category: Challenge Cup"),
    "date-with-slashes": GOOD.replace("date: 2015-05-20", "date: 2015/05/20"),
    "date-impossible": GOOD.replace("date: 2015-05-20", "date: 2015-02-30"),
    "activity-missing": GOOD.replace("activity: 第十四届“挑战杯”全国大学生课外学术科技作品竞赛\n", ""),
    "participants-empty": GOOD.split("participants:")[0] + "participants: []\n",
    "participant-without-student": GOOD.replace('{student: "0123456", ', "{"),
    "student-id-with-spaces": GOOD.replace('"0123456"', '"0123 456"'),
    "rank-of-leader": GOOD.replace("rank: 2}", "rank: 1}"),
    "negative-credits": GOOD.replace("credits: 4.0", "credits: -4"),
}


def test_the_good_claim_is_good_for_both():
    assert parse_claim_file(GOOD.encode(), "good.yaml").problems == ()
    assert not list(validator("claim.schema.json").iter_errors(load12(GOOD)))


@pytest.mark.parametrize("case", sorted(BAD))
def test_schema_refuses_what_dekt_refuses(case):
    text = BAD[case]
    assert text != GOOD
    assert parse_claim_file(text.encode(), f"{case}.yaml").problems, "dekt itself must refuse this claim"
    errors = list(validator("claim.schema.json").iter_errors(load12(text)))
    assert errors, f"the editor's schema accepts a claim dekt refuses ({case})"
