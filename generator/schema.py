"""JSON Schema for claim and rules files, so editors can complete and check them while typing."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import TypeAdapter

from .models.claims import ClaimFile, Revocation
from .models.rules import Calendar, CreditRules, School

SCHEMAS = {
    "claim.schema.json": (ClaimFile | Revocation, "dekt 申报文件（或撤销记录）/ claim file, or a revocation record"),
    "credits.schema.json": (CreditRules, "dekt 学分规则 / credit rules version"),
    "school.schema.json": (School, "dekt 学校与系部 / school and departments"),
    "calendar.schema.json": (Calendar, "dekt 校历与登记窗口 / calendar and registration windows"),
}


def schema_texts() -> dict[str, str]:
    """File name → JSON text of each schema, stable byte for byte."""
    out = {}
    for name, (model, title) in SCHEMAS.items():
        schema = TypeAdapter(model).json_schema(mode="validation")
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": title,
            **{k: v for k, v in schema.items() if k != "title"},
        }
        out[name] = json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return out


def write_schemas(out: Path) -> list[Path]:
    """Write every schema into ``out``; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_texts().items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
