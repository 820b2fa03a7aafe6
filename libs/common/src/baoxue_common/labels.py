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
# The console's case and verification pages (工作台: 核查与劝返).
METHOD_LABELS: dict[str, str] = {
    "home_visit": "入户家访",
    "phone": "电话联系",
    "meeting": "约谈",
    "legal_notice": "送达法律告知",
}
ATTEMPT_OUTCOME_LABELS: dict[str, str] = {
    "refused": "拒绝返校",
    "agreed": "同意返校",
    "unreachable": "联系不上",
    "other": "其他",
}
ASSIGNEE_ROLE_LABELS: dict[str, str] = {
    "school": "学校",
    "township": "乡镇",
    "county": "县级",
    "village": "村(居)委会",
}
PLACEMENT_LABELS: dict[str, str] = {
    "regular": "普通学校就读",
    "special_school": "特殊教育学校",
    "vocational": "职业学校",
    "home_education": "送教上门",
}
CASE_STATUS_LABELS: dict[str, str] = {
    "open": "劝返中",
    "returned": "已复学待巩固",
    "closure_proposed": "待销号",
    "closed": "已销号",
}
SUSPECT_STATUS_LABELS: dict[str, str] = {
    "pending": "待核实",
    "verifying": "核实中",
    "confirmed_dropout": "确认辍学",
    "cleared": "已排除",
}
SCHOOL_AGE_STATUS_LABELS: dict[str, str] = {
    "enrolled": "在读",
    "studying_elsewhere": "异地就读",
    "home_education": "送教上门",
    "medical_leave": "因病缓学",
    "suspended": "休学",
    "out_of_school": "失学",
    "dropout": "辍学",
    "returned": "复学",
    "deceased": "死亡",
    "emigrated": "出国(境)",
}
VERIFICATION_STATUS_LABELS: dict[str, str] = {"open": "待核查", "overdue": "已逾期", "done": "已核查"}
OUTCOME_LABELS: dict[str, str] = {"confirmed_dropout": "确认辍学", "cleared": "排除疑似"}
VERIFIER_LABELS: dict[str, str] = {"school": "学校核查", "county": "县级核查"}
TRANSFER_STATUS_LABELS: dict[str, str] = {"pending": "待接收", "accepted": "已接收", "rejected": "已拒绝"}
EVENT_LABELS: dict[str, str] = {
    "StudentEnrolled": "入学注册",
    "StudentUpdated": "学籍信息变更",
    "StudentLeft": "离开花名册",
    "TransferRequested": "申请转学",
    "TransferCompleted": "转学完成",
    "AbsenceRecorded": "缺勤记录",
    "PresenceRecorded": "出勤记录",
    "EarlyWarningRaised": "家访预警",
    "ReviewRaised": "长期请假复核",
    "SuspectedDropoutFlagged": "列为疑似辍学",
    "VerificationAssigned": "分派核查",
    "VerificationOverdue": "核查逾期",
    "SuspicionCleared": "排除疑似",
    "DropoutConfirmed": "确认辍学并立案",
    "PersuasionAttemptRecorded": "劝返记录",
    "CaseEscalated": "劝返措施升级",
    "CaseCauseRecorded": "登记辍学原因",
    "ReturnConfirmed": "确认返校",
    "CaseClosureProposed": "提请销号",
    "CaseClosureRejected": "销号被驳回",
    "CaseClosed": "销号",
    "CaseReopened": "个案重新开启",
    "CaseTransferRequested": "申请移交他县",
    "CaseTransferAccepted": "他县接收移交",
    "CaseTransferRejected": "他县拒绝移交",
    "HouseholdRegisterChanged": "户籍信息变更",
}
