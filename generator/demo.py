"""A synthetic school of any size, modelled on the pilot: no real person's data.

The generator reads the rules of the repository it runs in and writes claims that fit them, so it
keeps working when the rules change. The same seed gives the same school, byte for byte.
"""

from __future__ import annotations

import json
import random
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from .codeowners import write_codeowners
from .diagnostics import DektError
from .records import CLAIMS_DIR, ROSTER_FILE, Entry
from .roster import Student, write_roster
from .rules import Rules, load_rules
from .scoring import Score, fmt, score

COHORTS = (2012, 2013, 2014)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
)
DOUBLE_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方")
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉婷雪琳晨宇欣怡子涵浩然思远梓轩雨彤一诺佳琪俊杰嘉怡博文"
)
# Names a font must not lose: characters outside the common set, one (𠮷) outside the BMP.
RARE = "𠮷堃喆彧珺龑赟昇玥淼犇翀熠"

VOLUNTEER_EVENTS = (
    "国际进口博览会志愿服务",
    "海关博物馆志愿讲解",
    "社区防疫志愿服务",
    "口岸开放日志愿者",
    "敬老院关爱行动",
    "马拉松赛事志愿者",
    "图书馆整理志愿服务",
    "无偿献血宣传活动",
)
ARTS_EVENTS = ("校园运动会", "“一二·九”合唱比赛", "校园十佳歌手大赛", "大学生艺术展演", "篮球联赛", "诗词大会")
IDEOLOGICAL_EVENTS = (
    "主题团日活动",
    "青年大学习专题报告",
    "国家安全教育讲座",
    "爱国主义教育基地参观",
    "“五四”青年座谈会",
)
EXTENSION_EVENTS = ("素质拓展训练营", "户外定向越野", "团队协作拓展")
CLUBS = ("辩论社", "青年志愿者协会", "模拟海关社", "英语角", "摄影协会", "国标舞社", "法律援助社", "物流创新社")
COMPETITIONS = {
    "challenge_cup": ("“挑战杯”大学生课外学术科技作品竞赛", "“挑战杯”大学生创业计划竞赛"),
    "innovation_training": (
        "大学生创新创业训练计划项目：跨境电商通关效率研究",
        "大学生创新创业训练计划项目：口岸风险布控模型",
        "大学生创新创业训练计划项目：保税物流成本分析",
    ),
    "subject_competition": (
        "全国大学生英语竞赛",
        "全国大学生数学建模竞赛",
        "全国大学生物流设计大赛",
        "模拟法庭辩论赛",
        "国际贸易单证技能竞赛",
        "大学生报关技能大赛",
    ),
    "research_project": ("海关监管模式比较研究", "自贸区贸易便利化调查", "知识产权边境保护研究"),
    "paper": ("论跨境电商零售进口监管", "原产地规则对出口的影响", "国际物流通道韧性评估"),
    "academic_forum": ("大学生海关论坛", "长三角大学生学术论坛", "青年学者国际贸易论坛"),
}
PROFESSIONAL = {
    "customs_internship": ("直属海关暑期实习", "口岸查验科实习", "海关技术中心实习"),
    "survey_report": ("自贸区企业通关调研报告", "口岸营商环境调研报告", "跨境电商园区实践调研"),
    "simulation_training": ("H2010 海关信息管理系统仿真实训", "现代物流与报关仿真实训", "电子口岸仿真实训"),
    "enterprise_internship": ("跨国物流企业暑期实习", "大型外贸企业关务部实习", "快递企业清关中心实习"),
    "court_internship": ("基层人民法院书记员实习", "海事法院实习", "知识产权法庭实习"),
}
DEPARTMENT_RESEARCH = ("系部学术沙龙", "系部专业知识竞赛", "系部读书报告会")


def _quote(text: str) -> str:
    """A YAML scalar for ``text``: plain when safe, otherwise JSON's double quotes (valid YAML)."""
    if text and not any(c in text for c in ":#{}[],&*!|>'\"%@`\n") and text.strip() == text and text[0] not in "-?":
        return text
    return json.dumps(text, ensure_ascii=False)


@dataclass
class _Claim:
    activity: str
    category: str
    day: date
    registered: date
    folder: str  # records/claims/<year>/<dept>
    slug: str
    level: str | None = None
    award: str | None = None
    evidence: str | None = None
    organizer: str | None = None
    advisor: str | None = None
    credit_class: str | None = None
    credits: Decimal | None = None
    people: list[dict] = field(default_factory=list)  # each: student and personal fields
    single: bool = False


class _School:
    def __init__(self, rules: Rules, rng: random.Random, n_students: int):
        self.rules = rules
        self.rng = rng
        self.students = self._roster(n_students)
        self.claims: list[_Claim] = []
        self.evidence_no = 0
        self.slugs: set[str] = set()
        self.taken: set[tuple] = set()

    # -- people

    def _name(self, i: int) -> str:
        rng = self.rng
        surname = rng.choice(DOUBLE_SURNAMES) if rng.random() < 0.03 else rng.choice(SURNAMES)
        given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        if i < len(RARE) * 2:  # the first students carry the rare characters, each twice
            given = RARE[i % len(RARE)] + given[:1]
        return surname + given

    def _roster(self, n: int) -> list[Student]:
        depts = list(self.rules.school.departments)
        students = []
        for i in range(n):
            year = COHORTS[i % len(COHORTS)]
            d = (i // len(COHORTS)) % len(depts)
            dept = depts[d]
            seq = i // (len(COHORTS) * len(depts)) + 1
            klass = f"{self.rules.school.departments[dept].name.removesuffix('系')}{year}级{(seq - 1) // 30 + 1}班"
            status = "graduated" if year == 2012 else ("suspended" if self.rng.random() < 0.01 else "enrolled")
            students.append(Student(f"{year}{d + 1:02d}{seq:04d}", self._name(i), dept, klass, year, status, i + 2))
        return students

    # -- dates and windows

    def _years(self, student: Student) -> list[str]:
        open_years = {w.period[:9] for w in self.rules.calendar.registration}
        return [y for y in self.rules.study_years(student.enrollment_year) if y in open_years]

    def _day(self, year: str, semester: int | None = None) -> date:
        start = date(int(year[:4]), 9, 10) if semester != 2 else date(int(year[5:]), 3, 1)
        span = 110 if semester else 280
        day = start + timedelta(days=self.rng.randrange(span))
        return day if self.rules.academic_year(day) == year else start

    def _registered(self, day: date, module: str) -> date | None:
        window = self.rules.window_for(day, module)
        if window is None:
            return None
        reg = max(window.opens, day + timedelta(days=self.rng.randrange(1, 20)))
        return reg if reg <= window.closes else None

    def _evidence(self, kind: str) -> str:
        self.evidence_no += 1
        return f"{kind} DH-{self.evidence_no:06d}"

    def _slug(self, base: str) -> str:
        slug, n = base, 1
        while slug in self.slugs:
            n += 1
            slug = f"{base}-{n}"
        self.slugs.add(slug)
        return slug

    def _version(self, year: str):
        return self.rules.version_for(year).rules

    # -- claims

    def add(self, claim: _Claim) -> None:
        claim.people = [
            p for p in claim.people if (p["student"], claim.category, claim.activity, claim.day) not in self.taken
        ]
        if not claim.people:
            return
        for p in claim.people:
            self.taken.add((p["student"], claim.category, claim.activity, claim.day))
        self.claims.append(claim)

    def _table_keys(self, category: str, year: str, parent: str | None = None) -> list[str]:
        """The keys of a category's credit table, or of one level's row of it."""
        table = self._version(year).categories[category].table
        node = table[parent] if parent is not None else table
        return list(node)

    def group_events(self, by_dept: dict[str, list[Student]]) -> None:
        """Volunteering, arts, civic education and extension training: one file per department and event."""
        rng = self.rng
        for dept, people in by_dept.items():
            years = sorted({y for s in people for y in self._years(s)})
            for year in years:
                active = [s for s in people if year in self._years(s)]
                for semester in (1, 2):
                    for category, names, share in (
                        ("volunteering", VOLUNTEER_EVENTS, 0.45),
                        ("arts_sports", ARTS_EVENTS, 0.35),
                        ("ideological", IDEOLOGICAL_EVENTS, 0.5),
                        ("extension_training", EXTENSION_EVENTS, 0.25),
                    ):
                        day = self._day(year, semester)
                        reg = self._registered(day, "quality")
                        if reg is None or category not in self._version(year).categories:
                            continue
                        chosen = [s for s in active if rng.random() < share]
                        if not chosen:
                            continue
                        name = rng.choice(names)
                        claim = _Claim(
                            f"{year[:4]}年{name}" if semester == 1 else f"{year[5:]}年{name}", category, day, reg,
                            f"{CLAIMS_DIR}/{year}/{dept}", self._slug(f"{dept}-{day}-{category}"),
                            evidence=self._evidence("签到表"), organizer="院团委",
                        )  # fmt: skip
                        if category == "volunteering":
                            claim.people = [
                                {"student": s.id, "hours": rng.choice((4, 6, 8, 10, 12, 16, 20, 24))} for s in chosen
                            ]
                        elif category == "arts_sports":
                            claim.level = rng.choice(("school", "school", "department"))
                            claim.award = "participation"
                            claim.people = [{"student": s.id} for s in chosen]
                            for p in rng.sample(claim.people, min(3, len(claim.people))):
                                p["award"] = rng.choice(("first", "second", "third"))
                        else:
                            claim.level = rng.choice(self._table_keys(category, year))
                            claim.people = [{"student": s.id} for s in chosen]
                        self.add(claim)

    def youth_league_school(self, by_dept: dict[str, list[Student]]) -> None:
        """团校: each cohort of a department takes the required courses and some electives as group files."""
        rng = self.rng
        for dept, people in by_dept.items():
            for cohort in COHORTS:
                members = [s for s in people if s.enrollment_year == cohort]
                if not members:
                    continue
                year = f"{cohort}-{cohort + 1}"
                if year not in {y for s in members for y in self._years(s)}:
                    continue
                version = self._version(year)
                comp = next((c for c in version.completions.values()), None)
                if comp is None:
                    continue
                courses = list(comp.required) + list(comp.electives)
                for n, course in enumerate(courses):
                    day = self._day(year, 1 if n < len(comp.required) else 2)
                    reg = self._registered(day, version.categories[comp.category].module)
                    if reg is None:
                        continue
                    share = 0.97 if course in comp.required else 0.6
                    chosen = [s for s in members if rng.random() < share]
                    info = comp.required.get(course) or comp.electives[course]
                    claim = _Claim(
                        f"团校{cohort}级：{info.name}", comp.category, day, reg, f"{CLAIMS_DIR}/{year}/{dept}",
                        self._slug(f"{dept}-{day}-youth-league-school-{course}"), evidence=self._evidence("团校考勤表"),
                        organizer="院团委团校",
                    )  # fmt: skip
                    claim.people = [{"student": s.id, "course": course} for s in chosen]
                    self.add(claim)

    def military_training(self, by_dept: dict[str, list[Student]]) -> None:
        for dept, people in by_dept.items():
            for cohort in COHORTS:
                members = [s for s in people if s.enrollment_year == cohort]
                year = f"{cohort}-{cohort + 1}"
                if not members or "military_training" not in self._version(year).categories:
                    continue
                day = date(cohort, 9, 20)
                reg = self._registered(day, "quality")
                if reg is None:
                    continue
                claim = _Claim(
                    f"{cohort}级新生军事训练",
                    "military_training",
                    day,
                    reg,
                    f"{CLAIMS_DIR}/{year}/{dept}",
                    self._slug(f"{dept}-{day}-military-training"),
                    award="pass",
                    evidence=self._evidence("军训考核表"),
                    organizer="学生工作部",
                )
                claim.people = [{"student": s.id} for s in members]
                for p in self.rng.sample(claim.people, max(1, len(claim.people) // 10)):
                    p["award"] = "excellent"
                self.add(claim)

    def personal(self, student: Student, profile: str) -> None:
        """Claims of one student alone or with a small team: clubs, research, professional experience."""
        rng = self.rng
        years = self._years(student)
        for year in years:
            if rng.random() < 0.5 and "clubs" in self._version(year).categories:
                day = self._day(year, 1)
                self._single(
                    student,
                    "clubs",
                    f"{rng.choice(CLUBS)}（{year} 学年）",
                    day,
                    role=rng.choice(("leader", "member", "member")),
                )
        research = {"none": 0, "some": rng.choice((1, 1, 2)), "star": rng.randint(7, 10)}[profile]
        for _ in range(research):
            year = rng.choice(years)
            category = rng.choice(list(COMPETITIONS))
            version = self._version(year)
            if category not in version.categories:
                continue
            level = (
                rng.choice(self._table_keys(category, year))
                if profile != "star"
                else rng.choice(("national", "provincial"))
            )
            if level not in version.categories[category].table:
                level = next(iter(version.categories[category].table))
            award = rng.choice(self._table_keys(category, year, level))
            day = self._day(year)
            activity = f"{year[:4]}年{rng.choice(COMPETITIONS[category])}"
            roles = version.categories[category].roles or {}
            team = [s for s in self.by_dept[student.department] if s.id != student.id and year in self._years(s)]
            # The advisor (指导教师) who assessed the result first, one of the department's listed advisors.
            advisor = rng.choice(sorted(self.rules.school.departments[student.department].advisors) or [None])
            if roles and rng.random() < 0.3 and team:
                mates = rng.sample(team, min(len(team), rng.randint(1, 3)))
                self._team(student, mates, category, activity, day, level, award, roles, advisor)
            else:
                role = next(iter(roles), None) if roles else None
                self._single(student, category, activity, day, level=level, award=award, role=role, advisor=advisor)
        if rng.random() < 0.2:  # a department-level result: quality credit, never research credit
            year = rng.choice(years)
            if "department_research" in self._version(year).categories:
                award = rng.choice(self._table_keys("department_research", year))
                self._single(
                    student,
                    "department_research",
                    f"{year[:4]}年{rng.choice(DEPARTMENT_RESEARCH)}",
                    self._day(year),
                    award=award,
                )
        for year in years[2:] if student.enrollment_year < 2014 else years[1:]:
            for category, names in PROFESSIONAL.items():
                if category not in self._version(year).categories or rng.random() > 0.4:
                    continue
                award = rng.choice(self._table_keys(category, year))
                self._single(student, category, f"{rng.choice(names)}（{year}）", self._day(year, 2), award=award)
            self.credit_class(student, year)

    def credit_class(self, student: Student, year: str) -> None:
        """Now and then a credit-bearing class of that year's catalogue; a few students fail it (no credit)."""
        rng = self.rng
        cat = self._version(year).categories.get("credit_class")
        offered = sorted(k for k, c in self.rules.classes.classes.items() if c.year == year)
        if cat is None or not offered or rng.random() > 0.3:
            return
        klass = rng.choice(offered)
        award = "fail" if rng.random() < 0.1 else rng.choice(cat.passing)
        name = self.rules.classes.classes[klass].name
        self._single(student, "credit_class", f"{name}（{year}）", self._day(year, 2), award=award, credit_class=klass)

    def _single(self, student: Student, category: str, activity: str, day: date, **fields) -> None:
        year = self.rules.academic_year(day)
        module = self._version(year).categories[category].module
        reg = self._registered(day, module)
        if reg is None:
            return
        claim = _Claim(
            activity,
            category,
            day,
            reg,
            f"{CLAIMS_DIR}/{year}/{student.department}",
            self._slug(f"{student.id}-{category}-{day}"),
            level=fields.get("level"),
            award=fields.get("award"),
            evidence=self._evidence("证明"),
            advisor=fields.get("advisor"),
            credit_class=fields.get("credit_class"),
            single=True,
        )
        person = {"student": student.id}
        if fields.get("role"):
            person["role"] = fields["role"]
        claim.people = [person]
        if self.rng.random() < 0.3:
            claim.credits = self._credits(claim, person, year)
        self.add(claim)

    def _team(
        self, leader: Student, mates: list[Student], category, activity, day, level, award, roles, advisor
    ) -> None:
        year = self.rules.academic_year(day)
        reg = self._registered(day, self._version(year).categories[category].module)
        if reg is None:
            return
        first, other = list(roles)[:2] if len(roles) > 1 else (list(roles)[0], list(roles)[0])
        claim = _Claim(activity, category, day, reg, f"{CLAIMS_DIR}/{year}/{leader.department}",
                       self._slug(f"{leader.id}-{category}-{day}-team"), level=level, award=award,
                       evidence=self._evidence("获奖证书"), advisor=advisor)  # fmt: skip
        claim.people = [{"student": leader.id, "role": first}]
        claim.people += [{"student": m.id, "role": other, "rank": i + 2} for i, m in enumerate(mates)]
        self.add(claim)

    def _credits(self, claim: _Claim, person: dict, year: str) -> Decimal | None:
        entry = Entry("", None, 0, 0, person["student"], claim.category, claim.activity, claim.day, claim.registered,
                      claim.level, person.get("award", claim.award), person.get("role"), person.get("rank"), None, None,
                      None, None, False, claim.advisor, claim.credit_class)  # fmt: skip
        classes = {k: c for k, c in self.rules.classes.classes.items() if c.year == year}
        result = score(entry, self._version(year), classes)
        return result.credits if isinstance(result, Score) else None

    def generate(self) -> None:
        self.by_dept: dict[str, list[Student]] = defaultdict(list)
        for s in self.students:
            self.by_dept[s.department].append(s)
        self.military_training(self.by_dept)
        self.youth_league_school(self.by_dept)
        self.group_events(self.by_dept)
        for s in self.students:
            r = self.rng.random()
            self.personal(s, "star" if r < 0.05 else "none" if r < 0.22 else "some")


def _render(claim: _Claim) -> str:
    lines = [
        f"activity: {_quote(claim.activity)}",
        f"category: {claim.category}",
        f"date: {claim.day}",
        f"registered: {claim.registered}",
    ]
    for key in ("level", "award", "credit_class", "advisor", "organizer", "evidence"):
        value = getattr(claim, key)
        if value is not None:
            lines.append(f"{key}: {_quote(value)}")
    if claim.single:
        person = claim.people[0]
        lines += [f"{k}: {v}" for k, v in person.items() if k != "student"]
        if claim.credits is not None:
            lines.append(f"credits: {fmt(claim.credits)}")
        lines.append(f"student: {person['student']}")
    else:
        lines.append("participants:")
        for p in claim.people:
            inner = ", ".join(f"{k}: {v}" for k, v in p.items())
            lines.append(f"  - {{{inner}}}")
    return "\n".join(lines) + "\n"


def generate(source: Path, out: Path, *, students: int, seed: int) -> dict:
    """Write a synthetic school with ``students`` students into ``out`` using the rules of ``source``."""
    if students < 1:
        raise DektError("--students 至少为 1 (--students must be at least 1)")
    rules, problems = load_rules(source)
    if rules is None:
        raise DektError(
            "源仓库的规则无法加载，请先运行 dekt validate (the source rules do not load; run dekt validate)"
        )
    school = _School(rules, random.Random(seed), students)
    school.generate()
    out.mkdir(parents=True, exist_ok=True)
    if (out / "rules").resolve() != (source / "rules").resolve():
        shutil.copytree(source / "rules", out / "rules", dirs_exist_ok=True)
    claims_dir = out / CLAIMS_DIR
    if claims_dir.exists():
        shutil.rmtree(claims_dir)
    (out / ROSTER_FILE).parent.mkdir(parents=True, exist_ok=True)
    write_roster(school.students, out / ROSTER_FILE)
    write_codeowners(out, rules)
    folders = set()
    for claim in school.claims:
        folder = out / claim.folder
        if claim.folder not in folders:
            folder.mkdir(parents=True, exist_ok=True)
            folders.add(claim.folder)
        (folder / f"{claim.slug}.yaml").write_text(_render(claim), encoding="utf-8")
    return {
        "students": len(school.students),
        "files": len(school.claims),
        "claims": sum(len(c.people) for c in school.claims),
        "seed": seed,
    }
