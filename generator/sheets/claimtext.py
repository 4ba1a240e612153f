"""Claim files written the way a person writes them (README, records/claims/): one activity, its participants."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date

_PLAIN = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`~][^:#{}\[\],&*!|>'\"%@`\n\r\t]*$")
_RESERVED = {"null", "~", "true", "false", "yes", "no", "on", "off"}

# The order fields are written in, as in the README's examples.
FILE_FIELDS = ("activity", "category", "date", "registered", "level", "award", "credit_class", "advisor", "evidence")
PERSON_FIELDS = ("role", "rank", "award", "hours", "course", "credits", "evidence", "note")


def quote(value: object) -> str:
    """A YAML scalar for ``value``: plain if it reads back as the same text, else JSON's double quotes (valid YAML)."""
    text = value.isoformat() if isinstance(value, date) else str(value)
    if _PLAIN.match(text) and text == text.strip() and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)


@dataclass
class Activity:
    """One claim file to write: the activity's own fields and one mapping per participant."""

    folder: str
    fields: dict[str, object]
    people: list[dict[str, object]] = field(default_factory=list)
    rows: list = field(default_factory=list)  # the sheet rows behind each participant, in the same order


def render(activity: Activity) -> str:
    """The claim file's text: ``student:`` for one person, a ``participants:`` list for several."""
    fields = dict(activity.fields)
    people = activity.people
    award = {p.get("award") for p in people}
    if len(people) > 1 and len(award) == 1 and None not in award:  # one award for all: say it once
        fields["award"] = award.pop()
        people = [{k: v for k, v in p.items() if k != "award"} for p in people]  # copies: the activity is kept as is
    lines = [f"{k}: {quote(fields[k])}" for k in FILE_FIELDS if fields.get(k) is not None]
    if len(people) == 1:
        person = people[0]
        lines += [f"{k}: {quote(person[k])}" for k in PERSON_FIELDS if person.get(k) is not None]
        lines.append(f"student: {quote(person['student'])}")
    else:
        lines.append("participants:")
        for p in people:
            inner = ", ".join(f"{k}: {quote(p[k])}" for k in ("student",) + PERSON_FIELDS if p.get(k) is not None)
            lines.append(f"  - {{{inner}}}")
    return "\n".join(lines) + "\n"
