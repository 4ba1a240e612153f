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
    """A department (系部): its reviewers and secretaries, and who reviews research (head, committee, advisors)."""

    name: Text = Field(description="系部名称 / department name")
    en: Text | None = Field(None, description="英文名称 / English name")
    reviewers: list[Login] = Field(min_length=1, description="系部审核人账号（初审）/ department reviewers' logins")
    secretaries: list[Login] = Field(default_factory=list, description="系部秘书账号 / secretaries' logins")
    head: Login | None = Field(
        None, description="主管教学的系部负责人（科研成果复审）/ the head in charge of teaching, who reviews research"
    )
    academic_committee: list[Login] = Field(
        default_factory=list,
        description="相关专业学术委员会成员（会同复审科研成果）/ the academic committee, with the head",
    )
    advisors: dict[Login, Text] = Field(
        default_factory=dict, description="指导教师：账号 → 姓名（科研成果初步鉴定）/ advisors: login → name"
    )

    @property
    def research_reviewers(self) -> list[Login]:
        """Who may give the department's review of a research claim: the head and the academic committee."""
        return list(dict.fromkeys(([self.head] if self.head else []) + self.academic_committee))


class VersionRule(Strict):
    """Which credit-rules version governs what a student's whole study period decides."""

    study_period: Literal["entry_year", "final_year"] = Field(
        description="学制内上限、团校结业与毕业要求适用的版本：entry_year 入学第一学年的版本；"
        "final_year 在读最后一学年的版本"
        " / the version for study-period caps, completions and graduation: the first or the last year of study"
    )
    source: Text | None = Field(None, description="依据 / where this comes from")


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
    face: Text = Field(
        "Noto Serif CJK SC", description="字体集（.ttc）中使用的字体名 / family name of the face in a collection"
    )


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
    versions: VersionRule = Field(
        default_factory=lambda: VersionRule(study_period="final_year"),
        description="规则版本如何适用 / which rules version governs the study period",
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


class CorrectionRule(Strict):
    """How long an archived claim may be corrected or revoked: until the end of the N-th registration window
    (of the claim's module) that opens after the day it was archived."""

    windows: int = Field(
        1, ge=1, description="归档后第几个登记窗口结束前可更正或撤销 / registration windows after archiving"
    )


class Calendar(Strict):
    """rules/calendar.yaml: academic years, semesters, holidays and registration windows."""

    year_starts: Text = Field(
        "09-01", pattern=r"^[01][0-9]-[0-3][0-9]$", description="学年开始（月-日）/ academic year start"
    )
    spring_starts: Text = Field(
        "02-01", pattern=r"^[01][0-9]-[0-3][0-9]$", description="第二学期开始（月-日）/ second semester start"
    )
    holidays: list[Day] = Field(default_factory=list, description="法定节假日（非工作日）/ public holidays")
    workdays: list[Day] = Field(default_factory=list, description="调休上班的周末 / weekend days worked in lieu")
    registration: list[Window] = Field(default_factory=list, description="登记窗口 / registration windows")
    corrections: CorrectionRule = Field(
        default_factory=lambda: CorrectionRule(),
        description="更正与撤销的期限 / when corrections and revocations are accepted",
    )


# ---------------------------------------------------------------- rules/credits/*.yaml


class Named(Strict):
    """Something with a Chinese name and an English one."""

    name: Text = Field(description="中文名称 / Chinese name")
    en: Text | None = Field(None, description="英文名称 / English name")


class Module(Named):
    """A module (模块) of the second transcript."""

    description: Text | None = Field(None, description="说明 / description")
    source: Text | None = Field(None, description="试点报告中的依据（章节与主题）/ where the pilot report decides it")


RoleFactor = Num | list[Num]


class Category(Named):
    """A category of activity and how it earns credits."""

    module: Id = Field(description="所属模块 / module")
    scoring: Literal["table", "hours", "completion", "class"] = Field(
        description="计分方式：table 查表；hours 按时长；completion 修满结业；"
        "class 学分制教学班（见 rules/classes.yaml）"
        " / how credits are computed"
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
    max_leaders: Int = Field(
        1, ge=1, description="一份团队申报中负责人（leader）最多几名 / at most this many leaders in one team claim"
    )
    per_hours: PositiveNum | None = Field(None, description="每满多少小时 / hours per unit")
    credits_per_unit: Num | None = Field(None, description="每单位学分 / credits per unit")
    passing: list[Id] | None = Field(
        None, description="学分制教学班：获得学分的成绩（奖项）/ class results that earn credit"
    )
    description: Text | None = Field(None, description="说明 / description")
    source: Text | None = Field(None, description="试点报告中的依据 / where the pilot report decides it")


class Cap(Named):
    """An upper limit on credits over the study period or per academic year."""

    scope: Literal["study_period", "academic_year"] = Field(
        description="学制内或每学年 / over the study period or per year"
    )
    module: Id | None = Field(None, description="限额的模块 / module capped")
    category: Id | None = Field(None, description="限额的类别 / category capped")
    max: Num = Field(description="上限学分 / the most credits that count")
    source: Text | None = Field(None, description="试点报告中的依据 / where the pilot report decides it")


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
    source: Text | None = Field(None, description="试点报告中的依据 / where the pilot report decides it")


class Graduation(Strict):
    """Graduation requirements: a minimum per module that has one, and optionally in total."""

    modules: dict[Id, Num] = Field(
        default_factory=dict,
        description="有最低要求的模块及其最低学分；未列出的模块无最低要求 / least credits per module",
    )
    total: Num = Field(Decimal(0), description="总学分最低要求，0 为不设 / least credits in total (0: none)")
    source: Text | None = Field(None, description="试点报告中的依据 / where the pilot report decides it")


class CreditRules(Strict):
    """One version of the credit rules, in force from academic year ``since`` until the next version."""

    since: AcademicYear = Field(description="生效学年 / in force from this academic year")
    title: Text = Field(description="规则名称 / title")
    note: Text | None = Field(None, description="说明 / note")
    numbers: Text | None = Field(
        None, description="分值与上限数值的来源（如：演示学校自拟）/ where the numbers come from"
    )
    innovation: Id = Field(
        "research",
        description="创新学分所在模块：毕业必修、评优同分时比较 / the innovation module (graduation, award ties)",
    )
    innovation_levels: list[Id] | None = Field(
        None,
        description="科研成果登记的级别（国家级、省部级、校级三档）/ the levels research results are registered at",
    )
    levels: dict[Id, Named] = Field(description="级别，重要者在前 / levels, most important first")
    awards: dict[Id, Named] = Field(description="奖项，重要者在前 / awards, most important first")
    roles: dict[Id, Named] = Field(description="角色 / roles")
    modules: dict[Id, Module] = Field(min_length=1, description="模块 / modules")
    categories: dict[Id, Category] = Field(min_length=1, description="类别 / categories")
    caps: dict[Id, Cap] = Field(default_factory=dict, description="限额 / caps")
    completions: dict[Id, Completion] = Field(default_factory=dict, description="结业规则 / completion rules")
    graduation: Graduation = Field(description="毕业要求 / graduation requirements")


# ---------------------------------------------------------------- rules/classes.yaml


class CreditClass(Strict):
    """A credit-bearing class (学分制教学班): opened on a teacher's application, approved as a rules change."""

    name: Text = Field(description="教学班名称 / class name")
    teacher: Text = Field(description="导师（申请开设的教师）/ the teacher who applied to open it")
    year: AcademicYear = Field(description="开设学年 / academic year it runs in")
    credits: Num = Field(description="成绩合格者获得的学分 / credits for a passing result")
    approved_by: list[Text] = Field(min_length=1, description="批准部门，如 教务处、院团委 / offices that approved it")
    approved_on: Day = Field(description="批准日期 / date of approval")
    note: Text | None = Field(None, description="说明 / note")


class ClassCatalogue(Strict):
    """rules/classes.yaml: every approved credit-bearing class, by id."""

    classes: dict[Id, CreditClass] = Field(default_factory=dict, description="学分制教学班 / credit-bearing classes")
