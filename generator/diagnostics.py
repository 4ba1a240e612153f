"""Diagnostics as values: where, which code, how bad, and what to do, in Chinese with an English gloss."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):  # noqa: UP042 - StrEnum would change str() of a severity, which callers print
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Code:
    """One entry of the diagnostic catalogue: a stable code, its severity and message templates."""

    code: str
    severity: Severity
    zh: str
    en: str


# The catalogue. Codes are stable: tests, docs and people's scripts refer to them.
# DK1xx loading, DK2xx shape, DK3xx references, DK4xx cross-claim and credit checks,
# DK5xx rules, DK6xx roster, DK7xx transcripts and their chain of custody, DK8xx spreadsheet import, DK9xx usage.
_CATALOGUE = [
    Code("DK100", Severity.ERROR, "无法读取文件：{detail}", "cannot read file: {detail}"),
    Code("DK101", Severity.ERROR, "YAML 语法错误：{detail}", "YAML syntax error: {detail}"),
    Code(
        "DK102",
        Severity.ERROR,
        "重复的键 “{key}”（首次出现在第 {first} 行）",
        "duplicate key '{key}' (first on line {first})",
    ),
    Code(
        "DK103",
        Severity.ERROR,
        "不允许使用制表符（Tab），请用空格缩进",
        "tab character not allowed; indent with spaces",
    ),
    Code("DK104", Severity.ERROR, "不允许使用锚点或别名（&/*）", "anchors and aliases (&, *) are not allowed"),
    Code("DK105", Severity.ERROR, "键必须是普通文本", "mapping keys must be plain text"),
    Code(
        "DK106",
        Severity.ERROR,
        "“{value}” 不是布尔值，请写 true 或 false",
        "'{value}' is not a boolean; write true or false",
    ),
    Code("DK107", Severity.ERROR, "“{value}” 不是有效的数字{detail}", "'{value}' is not a valid number{detail_en}"),
    Code(
        "DK108",
        Severity.ERROR,
        "“{value}” 不是有效的日期，请写成 YYYY-MM-DD",
        "'{value}' is not a valid date; write YYYY-MM-DD",
    ),
    Code("DK109", Severity.ERROR, "文件不是 UTF-8 编码", "file is not UTF-8 encoded"),
    Code("DK110", Severity.ERROR, "文件为空或不是映射（键: 值）", "file is empty or not a mapping (key: value)"),
    Code("DK111", Severity.ERROR, "不允许使用 YAML 标签 “{tag}”", "YAML tag '{tag}' is not allowed"),
    Code("DK112", Severity.ERROR, "文件中只能有一个 YAML 文档", "only one YAML document per file"),
    Code("DK113", Severity.ERROR, "嵌套过深（超过 {limit} 层）", "nested too deeply (more than {limit} levels)"),
    Code("DK114", Severity.ERROR, "不允许的控制字符 {char}", "control character {char} not allowed"),
    Code(
        "DK115",
        Severity.ERROR,
        "dekt 不会读取此文件：申报文件的扩展名必须是 .yaml 或 .yml",
        "dekt does not read this file: claim files end in .yaml or .yml",
    ),
    Code(
        "DK116",
        Severity.ERROR,
        "不允许使用符号链接：records/ 下的文件和目录必须是真实的",
        "symbolic links are refused: files and folders under records/ must be real ones",
    ),
    Code(
        "DK117",
        Severity.ERROR,
        "缓存目录 .dekt-cache/ 中的文件不能提交到仓库，请删除（git rm --cached）",
        "files of the cache folder .dekt-cache/ must not be committed; remove them (git rm --cached)",
    ),
    Code("DK201", Severity.ERROR, "未知字段 “{key}”", "unknown field '{key}'"),
    Code("DK202", Severity.ERROR, "缺少必填字段 “{key}”", "missing required field '{key}'"),
    Code("DK203", Severity.ERROR, "类型错误：应为{expected}", "wrong type: expected {expected_en}"),
    Code("DK204", Severity.ERROR, "取值无效：{detail}", "invalid value: {detail_en}"),
    Code(
        "DK205",
        Severity.ERROR,
        "必须且只能写 student（单人）或 participants（多人）之一",
        "give exactly one of 'student' (one person) or 'participants' (many)",
    ),
    Code("DK206", Severity.ERROR, "更正记录必须写明理由 reason", "a correction must give a reason"),
    Code("DK301", Severity.ERROR, "学号 {student} 不在学生名册中", "student {student} is not in the roster"),
    Code(
        "DK302",
        Severity.ERROR,
        "学生 {student} 属于 {actual}，不属于本文件所在系部 {expected}",
        "student {student} belongs to {actual}, not to this folder's department {expected}",
    ),
    Code(
        "DK303",
        Severity.ERROR,
        "未知类别 “{category}”（{year} 学年规则）",
        "unknown category '{category}' (rules for {year})",
    ),
    Code(
        "DK304",
        Severity.ERROR,
        "类别 {category} 不接受级别 “{value}”；可选：{allowed}",
        "category {category} does not take level '{value}'; allowed: {allowed}",
    ),
    Code(
        "DK305",
        Severity.ERROR,
        "类别 {category} 不接受奖项 “{value}”；可选：{allowed}",
        "category {category} does not take award '{value}'; allowed: {allowed}",
    ),
    Code(
        "DK306",
        Severity.ERROR,
        "类别 {category} 不接受角色 “{value}”；可选：{allowed}",
        "category {category} does not take role '{value}'; allowed: {allowed}",
    ),
    Code(
        "DK307",
        Severity.ERROR,
        "申报文件必须放在 records/claims/<学年>/<系部>/ 下：{detail}",
        "claim files belong under records/claims/<academic year>/<department>/: {detail_en}",
    ),
    Code(
        "DK308",
        Severity.ERROR,
        "活动日期 {date} 属于 {actual} 学年，但文件在 {expected} 学年目录下",
        "activity date {date} is in academic year {actual}, but the file is in the {expected} folder",
    ),
    Code(
        "DK309",
        Severity.ERROR,
        "活动日期 {date} 不在学生 {student} 的在读学年（{period}）内",
        "activity date {date} is outside the study period of student {student} ({period})",
    ),
    Code(
        "DK310",
        Severity.ERROR,
        "缺少 {field}：类别 {category} 需要该字段",
        "missing {field}: category {category} needs it",
    ),
    Code(
        "DK311", Severity.ERROR, "类别 {category} 不使用字段 {field}", "category {category} does not use field {field}"
    ),
    Code(
        "DK312",
        Severity.ERROR,
        "团校课程 “{value}” 不存在；可选：{allowed}",
        "Youth League school course '{value}' does not exist; allowed: {allowed}",
    ),
    Code("DK313", Severity.ERROR, "{year} 学年没有生效的学分规则", "no credit rules in force for academic year {year}"),
    Code(
        "DK314",
        Severity.ERROR,
        "级别、奖项组合 {combo} 在类别 {category} 的学分表中没有定义",
        "the combination {combo} has no entry in the credit table of {category}",
    ),
    Code(
        "DK315",
        Severity.ERROR,
        "科研创新类申报须写明指导教师 advisor（先由指导教师初步鉴定）",
        "a research claim must name its advisor (advisor), who assesses it first",
    ),
    Code(
        "DK316",
        Severity.ERROR,
        "“{advisor}” 不是{department}在 rules/school.yaml 中所列的指导教师；可选：{allowed}",
        "'{advisor}' is not an advisor of {department} in rules/school.yaml; allowed: {allowed}",
    ),
    Code(
        "DK317",
        Severity.ERROR,
        "学分制教学班 “{value}” 不在本学年经批准的教学班目录（rules/classes.yaml）中；可选：{allowed}",
        "the credit-bearing class '{value}' is not in this academic year's approved catalogue (rules/classes.yaml); "
        "allowed: {allowed}",
    ),
    Code(
        "DK401",
        Severity.ERROR,
        "重复申报：学生 {student} 已在 {other} 申报过同一活动",
        "duplicate claim: student {student} already claimed this activity in {other}",
    ),
    Code(
        "DK402",
        Severity.ERROR,
        "同一证明材料 “{evidence}” 已用于 {other}",
        "evidence '{evidence}' is already used by {other}",
    ),
    Code(
        "DK403",
        Severity.ERROR,
        "申报学分 {asked} 与按规则计算的 {computed} 不符（{rule}）",
        "credits asked {asked} differ from the {computed} the rules give ({rule})",
    ),
    Code(
        "DK404",
        Severity.ERROR,
        "登记日期 {registered} 不在登记窗口 {window} 内",
        "registration date {registered} is outside the registration window {window}",
    ),
    Code(
        "DK405",
        Severity.WARNING,
        "超出上限“{cap}”（{limit} 学分）：本条 {credits} 学分未计入",
        "over the cap '{cap}' ({limit} credits): this item's {credits} credits are not counted",
    ),
    Code(
        "DK406",
        Severity.ERROR,
        "活动日期 {date} 没有对应的登记窗口",
        "no registration window covers the activity date {date}",
    ),
    Code(
        "DK407",
        Severity.ERROR,
        "登记日期 {registered} 早于活动日期 {date}",
        "registration date {registered} is before the activity date {date}",
    ),
    Code(
        "DK410",
        Severity.ERROR,
        "已归档的申报不能直接{action}；请另提交更正（corrects）或撤销（revokes）记录",
        "an archived claim cannot be {action_en}; submit a correction (corrects) or revocation (revokes) record",
    ),
    Code("DK411", Severity.ERROR, "被{kind}的文件 {target} 不存在", "the file to {kind_en}, {target}, does not exist"),
    Code(
        "DK412",
        Severity.ERROR,
        "{target} 已被 {other} 更正或撤销",
        "{target} is already corrected or revoked by {other}",
    ),
    Code(
        "DK413",
        Severity.ERROR,
        "更正或撤销记录必须与原申报在同一系部目录中（{expected}）",
        "a correction or revocation belongs in the original's department folder ({expected})",
    ),
    # DK42x corrections and revocations keep to the rules; claims that cannot be true.
    Code(
        "DK420",
        Severity.ERROR,
        "更正记录必须保留原申报的学生（原为 {expected}，现为 {actual}）；更换学生请撤销原申报并另行申报",
        "a correction keeps the original's students ({expected}, not {actual}); to change the student, revoke it and "
        "submit a new claim",
    ),
    Code(
        "DK421",
        Severity.ERROR,
        "更正记录必须保留原申报的学年 {expected}（活动日期 {date} 属于 {actual} 学年）",
        "a correction keeps the original's academic year {expected} (the date {date} is in {actual})",
    ),
    Code(
        "DK422",
        Severity.ERROR,
        "登记日期 {registered} 不在更正期限 {window} 内",
        "registration date {registered} is outside the correction window {window}",
    ),
    Code(
        "DK423",
        Severity.ERROR,
        "被撤销的申报 {target} 所在学年 {year} 没有生效的学分规则",
        "the revoked claim {target} is in academic year {year}, which has no credit rules in force",
    ),
    Code(
        "DK424",
        Severity.ERROR,
        "{field} {date} 晚于本次运行的时间 {now}：尚未发生的事不能计入",
        "{field_en} {date} is after this run's moment {now}: what has not happened cannot count",
    ),
    Code(
        "DK425",
        Severity.ERROR,
        "同一团队申报中有 {count} 名负责人（最多 {limit} 名）：另见 {other}",
        "{count} leaders in one team claim (at most {limit}); see also {other}",
    ),
    Code("DK426", Severity.ERROR, "排名 {rank} 重复：另见 {other}", "rank {rank} appears twice; see also {other}"),
    Code(
        "DK501",
        Severity.ERROR,
        "规则引用了未定义的{kind} “{value}”",
        "the rules refer to an undefined {kind_en} '{value}'",
    ),
    Code("DK502", Severity.ERROR, "规则不一致：{detail}", "inconsistent rules: {detail_en}"),
    Code("DK503", Severity.ERROR, "缺少规则文件 {detail}", "missing rules file {detail}"),
    Code(
        "DK504",
        Severity.ERROR,
        ".github/CODEOWNERS 与 rules/ 不一致（{detail}），请运行 dekt codeowners",
        ".github/CODEOWNERS does not match rules/ ({detail_en}); run dekt codeowners",
    ),
    Code("DK601", Severity.ERROR, "名册第 {row} 行：{detail}", "roster row {row}: {detail_en}"),
    Code(
        "DK602",
        Severity.ERROR,
        "名册中学号 {student} 重复（首次在第 {first} 行）",
        "student id {student} appears twice in the roster (first on row {first})",
    ),
    Code("DK603", Severity.ERROR, "名册缺少列 {detail}", "the roster lacks the column(s) {detail}"),
    Code(
        "DK604",
        Severity.ERROR,
        "名册第 {row} 行：未知系部 “{department}”",
        "roster row {row}: unknown department '{department}'",
    ),
    Code(
        "DK605",
        Severity.ERROR,
        "名册第 {row} 行：{year} 级没有适用的学分规则版本（{detail}），无法判断学制内上限、团校结业与毕业要求",
        "roster row {row}: no credit-rules version governs the {year} cohort ({detail_en}), so its study-period "
        "caps, completions and graduation cannot be decided",
    ),
    Code(
        "DK701",
        Severity.ERROR,
        "成绩单字体 {font} 缺少字符 “{char}”（{codepoint}），无法印在成绩单上；请在 rules/school.yaml 的 "
        "transcript.font 中配置包含该字的字体",
        "the transcript font {font} lacks the character '{char}' ({codepoint}); configure a font that has it in "
        "transcript.font of rules/school.yaml",
    ),
    Code(
        "DK702",
        Severity.WARNING,
        "无法使用成绩单字体 {font}（{detail}），未检查字符覆盖，也不能生成成绩单",
        "cannot use the transcript font {font} ({detail}); character coverage was not checked and transcripts cannot "
        "be made",
    ),
    # DK72x the chain of custody: what counts is what academic affairs' key signed (dekt.custody).
    Code(
        "DK720",
        Severity.ERROR,
        "未经认定，不予计入：当前内容来自提交 {commit}（{subject}），{reason}",
        "not certified, never counted: the content comes from commit {commit} ({subject}): {reason_en}",
    ),
    Code(
        "DK721",
        Severity.ERROR,
        "已归档的文件被提交 {commit}（{subject}）删除，该提交未经认定：{reason}",
        "an archived file was deleted by commit {commit} ({subject}), which is not certified: {reason_en}",
    ),
    Code(
        "DK722",
        Severity.WARNING,
        "内容来自未经认定的提交 {commit}（{subject}）：{reason}",
        "the content comes from commit {commit} ({subject}), which is not certified: {reason_en}",
    ),
    # DK8xx spreadsheets imported as claims (dekt import-claims): the place is a cell, book!sheet row/column.
    Code("DK801", Severity.ERROR, "无法读取表格：{detail}", "cannot read the spreadsheet: {detail_en}"),
    Code(
        "DK802",
        Severity.ERROR,
        "找不到表头行：前 {rows} 行中没有一行同时含“学号”和其他可识别的列（如 姓名、活动名称、日期）",
        "no header row: none of the first {rows} rows has 学号 and another known column (姓名, 活动名称, 日期…)",
    ),
    Code("DK803", Severity.ERROR, "缺少“{column}”列{detail}", "the column '{column}' is missing{detail_en}"),
    Code("DK804", Severity.WARNING, "未识别的列“{header}”，已忽略", "unknown column '{header}' ignored"),
    Code(
        "DK805",
        Severity.ERROR,
        "学号“{value}”被表格软件改成了科学计数法，丢失了数字；请把学号列设为文本格式后重新填写",
        "the student id '{value}' was turned into scientific notation and lost digits; format the column as text and "
        "type the ids again",
    ),
    Code(
        "DK806",
        Severity.WARNING,
        "学号“{value}”按 {student} 读取（{detail}）",
        "student id '{value}' read as {student} ({detail_en})",
    ),
    Code(
        "DK807",
        Severity.ERROR,
        "学号 {student} 在名册中是“{roster}”，表中姓名是“{name}”；请核对学号",
        "student {student} is '{roster}' in the roster but the sheet says '{name}'; check the id",
    ),
    Code(
        "DK808",
        Severity.WARNING,
        "时长“{value}”带有单位，按 {hours} 小时读取",
        "hours '{value}' carry a unit; read as {hours} hours",
    ),
    Code(
        "DK809",
        Severity.ERROR,
        "时长“{value}”无法识别，请填写小时数，如 3 或 2.5",
        "hours '{value}' cannot be read; write a number of hours such as 3 or 2.5",
    ),
    Code(
        "DK810",
        Severity.ERROR,
        "日期“{value}”无法识别，请写成 2014-10-12",
        "date '{value}' cannot be read; write it as 2014-10-12",
    ),
    Code("DK811", Severity.ERROR, "日期 {date} 不在 {year} 学年内", "date {date} is outside academic year {year}"),
    Code(
        "DK812",
        Severity.ERROR,
        "与 {other} 重复：同一学生、同一活动登记了两次",
        "duplicates {other}: the same student and activity entered twice",
    ),
    Code(
        "DK813",
        Severity.ERROR,
        "学生 {student} 的这项活动已登记在 {other}",
        "student {student} already has this activity in {other}",
    ),
    Code("DK814", Severity.WARNING, "已跳过此行：{detail}", "row skipped: {detail_en}"),
    Code("DK815", Severity.ERROR, "“{column}”为空", "'{column}' is empty"),
    Code(
        "DK816",
        Severity.ERROR,
        "未知的{kind}“{value}”；可选：{allowed}",
        "unknown {kind_en} '{value}'; allowed: {allowed}",
    ),
    Code(
        "DK817",
        Severity.ERROR,
        "{file} 已存在且内容不同；若要替换，请先删除它",
        "{file} exists with different content; delete it first to replace it",
    ),
    Code("DK818", Severity.ERROR, "“{value}”不是有效的{kind}{detail}", "'{value}' is not a valid {kind_en}{detail_en}"),
    Code("DK819", Severity.ERROR, "表中没有可导入的数据行", "the spreadsheet has no data rows to import"),
]
CATALOGUE: dict[str, Code] = {c.code: c for c in _CATALOGUE}


class _Blank(dict):
    """Format mapping that leaves unknown placeholders empty rather than failing."""

    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem found in one place: file, line and column (1-based), code, severity and message."""

    file: str
    line: int
    col: int
    code: str
    severity: Severity = field(compare=False)
    message: str = field(compare=False)

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
        }


def diag(code: str, file: str, line: int = 1, col: int = 1, **args: object) -> Diagnostic:
    """Build a diagnostic from the catalogue; the message reads "中文 (English)"."""
    entry = CATALOGUE[code]
    values = _Blank({k: str(v) for k, v in args.items()})
    values.setdefault("detail_en", values.get("detail", ""))
    values.setdefault("expected_en", values.get("expected", ""))
    values.setdefault("kind_en", values.get("kind", ""))
    message = f"{entry.zh.format_map(values)} ({entry.en.format_map(values)})"
    return Diagnostic(file, max(line, 1), max(col, 1), code, entry.severity, message)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    """True when any diagnostic is an error (warnings alone do not fail a run)."""
    return any(d.severity is Severity.ERROR for d in diagnostics)


class DektError(Exception):
    """A user-facing failure that stops a command: bad usage, a missing repository, an unreadable input."""

    exit_code = 2


class Refused(DektError):
    """The repository's content or the output folder stops the command (exit 1, like problems found): a site that
    fails the privacy check, an output folder dekt may not write, a build already running."""

    exit_code = 1
