"""Claim files: one claim for one student, or one activity listing many participants."""

from __future__ import annotations

from pydantic import ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from .types import Day, Id, Login, Num, Rank, Strict, StudentId, Text

# Fields a participant may set for themselves, overriding the activity's value.
PERSONAL_FIELDS = ("role", "rank", "award", "hours", "course", "credits", "evidence")


class Participant(Strict):
    """One student in a group claim, with what differs for them (role, award, hours…)."""

    student: StudentId = Field(description="学号 / student id, as in the roster")
    role: Id | None = Field(None, description="角色，如 leader（负责人）、member（成员）/ role")
    rank: Rank | None = Field(None, description="成员排名，负责人为 1，成员从 2 起 / member rank (the leader is 1)")
    award: Id | None = Field(None, description="奖项，如 first、second / award grade")
    hours: Num | None = Field(None, description="时长（小时），按时长计分的类别需要 / hours, for hour-based categories")
    course: Id | None = Field(None, description="团校课程编号 / Youth League school course id")
    credits: Num | None = Field(
        None, description="申报学分（可选，与计算结果比对）/ credits asked, checked against the rules"
    )
    evidence: Text | None = Field(None, description="证明材料编号或路径 / evidence reference")
    note: Text | None = Field(None, description="备注 / note")


class ClaimFile(Strict):
    """A claim file: the activity, and either one ``student`` or a list of ``participants``."""

    # Editors see the same rule the loader enforces (DK205): exactly one of the two.
    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["student"]}, {"required": ["participants"]}]})

    activity: Text = Field(description="活动或成果名称 / activity or achievement")
    category: Id = Field(description="类别编号，见 rules/credits/ / category id from the rules")
    date: Day = Field(description="活动（获奖、结项）日期 YYYY-MM-DD / date of the activity or award")
    registered: Day = Field(description="登记（申报）日期 YYYY-MM-DD / registration date")
    level: Id | None = Field(None, description="级别，如 national、provincial、school / level")
    award: Id | None = Field(None, description="奖项 / award grade")
    role: Id | None = Field(None, description="角色 / role")
    rank: Rank | None = Field(None, description="成员排名，负责人为 1，成员从 2 起 / member rank (the leader is 1)")
    hours: Num | None = Field(None, description="时长（小时）/ hours")
    course: Id | None = Field(None, description="团校课程编号 / Youth League school course id")
    credits: Num | None = Field(None, description="申报学分 / credits asked")
    evidence: Text | None = Field(None, description="证明材料（全体共用）/ evidence shared by everyone in this file")
    organizer: Text | None = Field(None, description="主办单位 / organizer")
    advisor: Login | None = Field(
        None,
        description="指导教师账号（科研成果必填，须为本系部 rules/school.yaml 所列）/ advisor's login, for research",
    )
    credit_class: Id | None = Field(
        None, description="学分制教学班编号，见 rules/classes.yaml / the credit-bearing class, from rules/classes.yaml"
    )
    note: Text | None = Field(None, description="备注 / note")
    student: StudentId | None = Field(None, description="学号（单人申报）/ student id, for a one-person claim")
    participants: list[Participant] | None = Field(
        None, min_length=1, max_length=5000, description="参与学生（多人申报）/ participants, for a group claim"
    )
    corrects: Text | None = Field(
        None, description="更正：被更正的已归档申报文件路径 / path of the archived claim file this one corrects"
    )
    reason: Text | None = Field(None, description="更正理由（更正时必填）/ why, required with corrects")

    @model_validator(mode="after")
    def _one_of_student_or_participants(self) -> ClaimFile:
        if (self.student is None) == (self.participants is None):
            raise PydanticCustomError("dk205", "give exactly one of student or participants")
        if self.corrects is not None and self.reason is None:
            raise PydanticCustomError("dk206", "a correction needs a reason")
        return self


class Revocation(Strict):
    """A revocation record: an archived claim file no longer counts, for the stated reason."""

    revokes: Text = Field(description="撤销：被撤销的已归档申报文件路径 / path of the archived claim file revoked")
    reason: Text = Field(description="撤销理由 / why it is revoked")
    registered: Day = Field(description="登记日期 YYYY-MM-DD / date of the record")
    note: Text | None = Field(None, description="备注 / note")
