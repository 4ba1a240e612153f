"""The columns a sheet may have: the template's own headers, the headers real sheets use, and the template's sheets."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Field → (the template's header, other headers seen in secretaries' sheets). The template header comes first and is
# what `dekt template` and `dekt signin-sheet` print, so a filled template imports with no mapping.
FIELDS: dict[str, tuple[str, ...]] = {
    "student": ("学号", "学生学号", "student", "student_id", "id"),
    "name": ("姓名", "学生姓名", "name"),
    "class": ("班级", "班级名称", "行政班", "class"),
    "activity": ("活动名称", "项目名称", "活动", "项目", "竞赛名称", "比赛名称", "成果名称", "活动项目", "activity"),
    "credit_class": ("教学班", "学分制教学班", "教学班名称"),
    "category": ("类别", "活动类别", "类型", "category"),
    "date": ("活动日期", "日期", "获奖日期", "服务日期", "结课日期", "date"),
    "hours": ("时长（小时）", "时长", "服务时长", "志愿时长", "小时数", "时数", "志愿服务时长", "hours"),
    "level": ("级别", "获奖级别", "level"),
    "award": ("奖项", "获奖等级", "等级", "成绩", "考核等级", "考核结果", "award"),
    "role": ("角色", "职务", "role"),
    "rank": ("排名", "名次", "成员排名", "rank"),
    "course": ("课程", "团校课程", "课程名称", "course"),
    "advisor": ("指导教师", "指导老师", "advisor"),
    "registered": ("登记日期", "申报日期", "registered"),
    "credits": ("学分", "申报学分", "credits"),
    "evidence": ("证明材料", "证明", "证书编号", "evidence"),
    "note": ("备注", "note"),
}
# Columns a sign-in sheet or an office form carries that the claims do not need: read past them without a warning.
IGNORED = {
    "序号",
    "编号",
    "签名",
    "签到",
    "学生签名",
    "本人签名",
    "签字",
    "联系电话",
    "电话",
    "手机",
    "系部",
    "院系",
    "学院",
    "专业",
    "性别",
    "年级",
}
HEADER = {field: names[0] for field, names in FIELDS.items()}


def normalize_header(text: object) -> str:
    """A header as compared: width-folded, without spaces, required-markers (*) or a trailing unit in brackets."""
    text = unicodedata.normalize("NFKC", str(text)).strip().lower()
    text = re.sub(r"[\s*＊:：]", "", text)
    return text


_ALIASES = {normalize_header(h): f for f, names in FIELDS.items() for h in names}


def field_of(header: object) -> str | None:
    """The claim field a header names, or None; ``时长(小时)`` and ``时长`` both name hours."""
    key = normalize_header(header)
    if key in _ALIASES:
        return _ALIASES[key]
    bare = re.sub(r"\(.*\)$", "", key)  # 时长(h), 日期(年月日)
    return _ALIASES.get(bare)


def ignored(header: object) -> bool:
    """True for the columns a sheet may carry that claims do not use (序号, 签名…)."""
    return re.sub(r"\(.*\)$", "", normalize_header(header)) in {normalize_header(h) for h in IGNORED}


@dataclass(frozen=True)
class Kind:
    """One sheet of the template: a kind of claim and its columns, in order."""

    sheet: str
    scoring: str  # hours, table, completion or class — which categories it lists
    fields: tuple[str, ...]
    what: str  # one line for the 说明 sheet


_PERSON = ("student", "name", "class")
_TAIL = ("registered", "evidence", "note")
KINDS = (
    Kind(
        "时长类",
        "hours",
        _PERSON + ("activity", "category", "date", "hours") + _TAIL,
        "按时长计分的活动（志愿公益等）：每人一行，同一活动的各行活动名称、类别、日期相同。",
    ),
    Kind(
        "奖项类",
        "table",
        _PERSON + ("activity", "category", "date", "level", "award", "role", "rank", "advisor") + _TAIL,
        "按级别、奖项、角色查表计分的活动（竞赛、社团、科研等）：团队每人一行，负责人排名 1，成员从 2 起。",
    ),
    Kind(
        "团校", "completion", _PERSON + ("course", "date") + _TAIL, "团校课程：每人每门课一行，课程从下拉列表中选择。"
    ),
    Kind(
        "学分制教学班",
        "class",
        _PERSON + ("credit_class", "date", "award") + _TAIL,
        "学分制教学班：每人一行，成绩填优秀或合格等。",
    ),
)
