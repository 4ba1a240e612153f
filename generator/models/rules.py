"""The rules: school and departments, the calendar, and credit rules versioned by academic year."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from .types import AcademicYear, Day, Id, Int, Login, Num, PositiveNum, Strict, Text

# ---------------------------------------------------------------- rules/school.yaml


class Institution(Strict):
    """The institution that issues transcripts."""

    name: Text = Field(description="学校名称 / institution name")
    en: Text | None = Field(None, description="英文名称 / English name")
    issuer: Text = Field(description="发证单位，如 团委·教务处 / issuing office")
    url: Text | None = Field(None, description="公开站点地址 / public site address")


class Reviewers(Strict):
    """An office whose members review on the forge."""

    name: Text = Field(description="名称 / name")
    reviewers: list[Login] = Field(min_length=1, description="审核人的代码托管平台账号 / reviewers' forge logins")


class Department(Strict):
    """A department (系部): its name, its reviewers and its secretaries."""

    name: Text = Field(description="系部名称 / department name")
    en: Text | None = Field(None, description="英文名称 / English name")
    reviewers: list[Login] = Field(min_length=1, description="系部审核人账号（初审）/ department reviewers' logins")
    secretaries: list[Login] = Field(default_factory=list, description="系部秘书账号 / secretaries' logins")


class Notice(Strict):
    """The public notice (公示) period and how to object."""

    working_days: Int = Field(ge=1, le=30, description="公示期（工作日）/ notice period in working days")
    objection_label: Text = Field("异议", description="表示异议的标签 / label that marks an objection")
    how_to_object: Text = Field(description="如何提出异议 / how to object")


class TranscriptFont(Strict):
    """The typeface of the PDF transcripts: a regular and a bold font file, and the face to use in a collection."""

    regular: Text = Field(
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        description="正文字体文件（相对路径以仓库为准）/ regular font file, relative to the repository or absolute",
    )
    bold: Text = Field(
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
        description="粗体字体文件 / bold font file",
    )
    face: Text = Field("Noto Serif CJK SC", description="字体集（.ttc）中使用的字体名 / family name of the face in a collection")


class TranscriptSettings(Strict):
    """How transcripts are printed."""

    font: TranscriptFont = Field(default_factory=TranscriptFont, description="字体 / typeface")
    note: Text | None = Field(None, description="印在成绩单末尾的说明 / a note printed at the end of each transcript")


class School(Strict):
    """rules/school.yaml: who issues, who reviews, how long the notice lasts."""

    institution: Institution
    academic_affairs: Reviewers = Field(description="教务处（终审）/ academic affairs, final approval")
    departments: dict[Id, Department] = Field(min_length=1, description="系部 / departments")
    notice: Notice
    study_years: Int = Field(4, ge=1, le=8, description="学制（年）/ length of study in years")
    timezone: Text = Field("Asia/Shanghai", description="时区 / time zone")
    transcript: TranscriptSettings = Field(
        default_factory=TranscriptSettings, description="成绩单的版式设置 / transcript settings (fonts, note)"
    )


# ---------------------------------------------------------------- rules/calendar.yaml


class Window(Strict):
    """A registration window: claims for activities in ``period`` are registered between opens and closes."""

    period: Text = Field(
        pattern=r"^[0-9]{4}-[0-9]{4}(-[12])?$",
        description="学年（2014-2015）或学期（2014-2015-1）/ academic year or semester",
    )
    modules: list[Id] | None = Field(None, description="仅适用于这些模块；不写则适用于全部 / modules it applies to")
    opens: Day = Field(description="开始登记 / first day of registration")
    closes: Day = Field(description="截止登记 / last day of registration")


class Calendar(Strict):
    """rules/calendar.yaml: academic years, semesters, holidays and registration windows."""

    year_starts: Text = Field("09-01", pattern=r"^[01][0-9]-[0-3][0-9]$", description="学年开始（月-日）/ academic year start")
    spring_starts: Text = Field(
        "02-01", pattern=r"^[01][0-9]-[0-3][0-9]$", description="第二学期开始（月-日）/ second semester start"
    )
    holidays: list[Day] = Field(default_factory=list, description="法定节假日（非工作日）/ public holidays")
    workdays: list[Day] = Field(default_factory=list, description="调休上班的周末 / weekend days worked in lieu")
    registration: list[Window] = Field(default_factory=list, description="登记窗口 / registration windows")


# ---------------------------------------------------------------- rules/credits/*.yaml


class Named(Strict):
    """Something with a Chinese name and an English one."""

    name: Text = Field(description="中文名称 / Chinese name")
    en: Text | None = Field(None, description="英文名称 / English name")


class Module(Named):
    """A module (模块) of the second transcript."""

    description: Text | None = Field(None, description="说明 / description")


RoleFactor = Num | list[Num]


class Category(Named):
    """A category of activity and how it earns credits."""

    module: Id = Field(description="所属模块 / module")
    scoring: Literal["table", "hours", "completion"] = Field(
        description="计分方式：table 查表；hours 按时长；completion 修满结业 / how credits are computed"
    )
    by: list[Literal["level", "award"]] = Field(
        default_factory=list, description="学分表的维度 / dimensions of the credit table"
    )
    table: Num | dict[Id, Num | dict[Id, Num]] | None = Field(
        None, description="学分表：级别 → 奖项 → 学分 / credit table: level → award → credits"
    )
    roles: dict[Id, RoleFactor] | None = Field(
        None, description="角色系数；成员可按排名列出 / role factors, members by rank from 2"
    )
    per_hours: PositiveNum | None = Field(None, description="每满多少小时 / hours per unit")
    credits_per_unit: Num | None = Field(None, description="每单位学分 / credits per unit")
    description: Text | None = Field(None, description="说明 / description")


class Cap(Named):
    """An upper limit on credits over the study period or per academic year."""

    scope: Literal["study_period", "academic_year"] = Field(description="学制内或每学年 / over the study period or per year")
    module: Id | None = Field(None, description="限额的模块 / module capped")
    category: Id | None = Field(None, description="限额的类别 / category capped")
    max: Num = Field(description="上限学分 / the most credits that count")


class Course(Named):
    """A Youth League school course."""

    points: Num = Field(Decimal(0), description="选修积分 / elective points")


class Completion(Named):
    """A completion rule: every required course plus enough elective points grant the credit."""

    category: Id = Field(description="课程所属类别 / category of the courses")
    required: dict[Id, Course] = Field(description="必修课 / required courses")
    electives: dict[Id, Course] = Field(default_factory=dict, description="选修课 / elective courses")
    min_elective_points: Num = Field(description="选修最低积分 / least elective points")
    credits: Num = Field(description="结业获得学分 / credits on completion")


class Graduation(Strict):
    """Graduation requirements: a minimum per module and in total."""

    modules: dict[Id, Num] = Field(default_factory=dict, description="各模块最低学分 / least credits per module")
    total: Num = Field(description="总学分最低要求 / least credits in total")


class CreditRules(Strict):
    """One version of the credit rules, in force from academic year ``since`` until the next version."""

    since: AcademicYear = Field(description="生效学年 / in force from this academic year")
    title: Text = Field(description="规则名称 / title")
    note: Text | None = Field(None, description="说明 / note")
    levels: dict[Id, Named] = Field(description="级别，重要者在前 / levels, most important first")
    awards: dict[Id, Named] = Field(description="奖项，重要者在前 / awards, most important first")
    roles: dict[Id, Named] = Field(description="角色 / roles")
    modules: dict[Id, Module] = Field(min_length=1, description="模块 / modules")
    categories: dict[Id, Category] = Field(min_length=1, description="类别 / categories")
    caps: dict[Id, Cap] = Field(default_factory=dict, description="限额 / caps")
    completions: dict[Id, Completion] = Field(default_factory=dict, description="结业规则 / completion rules")
    graduation: Graduation = Field(description="毕业要求 / graduation requirements")
