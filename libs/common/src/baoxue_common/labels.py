"""Chinese labels of the contracts' values, for the people who read exports and reports.

Glossary: 重点人群 priority groups, 辍学原因 cause of dropping out, 劝返 persuasion to return, 销号 close-out,
排除 clearing a suspect, 数据来源 the source that flagged a suspect.
"""

from __future__ import annotations

GROUP_LABELS: dict[str, str] = {
    "orphan": "孤儿",
    "unsupported": "事实无人抚养儿童",
    "disabled": "残疾儿童",
    "left_behind": "留守儿童",
    "in_difficulty": "困境儿童",
    "migrant": "随迁子女",
    "juvenile_case": "涉案未成年人",
}
CAUSE_LABELS: dict[str, str] = {
    "learning_difficulty": "厌学/学习困难",
    "family_poverty": "家庭贫困",
    "work": "外出务工",
    "early_marriage": "早婚早育",
    "illness_disability": "疾病或残疾",
    "family_not_valuing_school": "家庭不重视教育",
    "lack_of_guardianship": "缺乏监护",
    "other": "其他",
}
ESCALATION_LABELS: dict[str, str] = {
    "criticism_education": "批评教育",
    "order_to_correct": "责令限期改正",
    "judicial_document": "司法文书",
    "legal_action": "依法提起诉讼",
}
CLOSE_LABELS: dict[str, str] = {
    "consolidated": "巩固期满销号",
    "confirmed_in_error": "误报撤销",
    "deceased": "死亡",
    "emigrated": "出国(境)",
    "studying_elsewhere": "异地就读",
    "aged_out": "超出义务教育年龄",
}
CLEAR_LABELS: dict[str, str] = {
    "transferred": "已转学",
    "studying_elsewhere": "异地就读",
    "medical_leave": "因病缓学",
    "suspended": "休学",
    "home_education": "送教上门",
    "deceased": "死亡",
    "emigrated": "出国(境)",
    "data_error": "数据错误",
    "returned": "已返校",
    "attendance_corrected": "考勤已更正",
}
SOURCE_LABELS: dict[str, str] = {
    "attendance": "考勤预警",
    "national_platform": "国家平台推送",
    "cross_check": "部门比对",
    "field": "实地排查",
    "roster": "学籍名册",
}
ABSENCE_LABELS: dict[str, str] = {
    "absent_excused": "请假缺勤",
    "absent_unexcused": "无故缺勤",
    "late": "迟到",
    "left_early": "早退",
}
