"""The analysts' views (migration 0004 creates them): their columns, named in
Chinese and English, as SQLAlchemy tables to query and as Datasette metadata.

Each view reads the latest successful ingestion of every report, with the
reviewers' corrections and rejections in it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import TableClause, column, table

# Columns every row of the indicator and check views carries about its report,
# first (its id last).
_CONTEXT = {
    "unit_name": ("单位名称", "reporting unit"),
    "fiscal_year": ("年度", "fiscal year evaluated"),
    "province": ("省", "province"),
    "city": ("市", "prefecture"),
    "county": ("县", "county"),
    "kind": ("报告类型", "kind of report: department, project or transfer"),
    "document_id": ("报告编号", "the report's id in report_overview"),
}

VIEWS: dict[str, tuple[str, str, dict[str, tuple[str, str]]]] = {
    "report_overview": (
        "报告概览",
        (
            "One row per report (its latest ingestion): its main figures, indicators,"
            " checks and review state. Money in 元, rates in %."
        ),
        {
            "document_id": ("报告编号", "the report's id in the review pages (/reports/ID)"),
            "sha256": ("文件摘要", "SHA-256 of the report file"),
            "path": ("文件", "the file ingested"),
            "format": ("格式", "the file's format"),
            "kind": _CONTEXT["kind"],
            "unit_name": _CONTEXT["unit_name"],
            "fiscal_year": _CONTEXT["fiscal_year"],
            "province": _CONTEXT["province"],
            "city": _CONTEXT["city"],
            "county": _CONTEXT["county"],
            "full_year_budget": ("全年预算数（元）", "full-year budget, yuan"),
            "total_expenditure": ("全年执行数（元）", "total expenditure, yuan"),
            "execution_rate": ("预算执行率（%）", "budget execution rate, %"),
            "self_score": ("自评得分", "self-evaluation score"),
            "grade": ("评价等级", "grade"),
            "indicators": ("指标数", "performance indicators"),
            "indicators_met": ("达标指标数", "indicators whose actual meets the target"),
            "indicator_completion": (
                "指标完成率（%）",
                "indicators met, % of those with a numeric target and actual in one unit",
            ),
            "facts": ("数据项", "facts extracted"),
            "unreviewed": ("待审核", "facts nobody has reviewed"),
            "review_state": ("审核状态", "unreviewed, partly reviewed or reviewed"),
            "failed_checks": ("未通过核查", "checks that did not pass"),
            "source_inconsistencies": ("原文不一致", "checks finding the source disagreeing"),
            "unit_anomalies": ("单位异常", "checks finding a stated unit wrong"),
            "hallucinations": ("无据数值", "values the source does not support"),
            "assignee": ("审核人", "the reviewer the report is assigned to"),
            "done_at": ("审核完成时间", "when a reviewer marked the report done (UTC)"),
            "ingested_at": ("入库时间", "when the report was ingested (UTC)"),
        },
    ),
    "indicator_overview": (
        "绩效指标",
        (
            "One row per performance indicator of every report, with its target and"
            " actual as written and as parsed, and whether it was met."
        ),
        {
            **_CONTEXT,
            "indicator": ("指标序号", "the indicator's place in its report, from 1"),
            "project": ("项目序号", "the index of the report's project it measures, from 0"),
            "level1": ("一级指标", "level-1 indicator"),
            "level2": ("二级指标", "level-2 indicator"),
            "level3": ("三级指标", "level-3 indicator"),
            "target": ("指标值", "target as written"),
            "target_op": ("目标比较", "how the target compares: ≥ ≤ = > <"),
            "target_value": ("目标数值", "the target's number"),
            "target_unit": ("目标单位", "the target's unit"),
            "actual": ("实际完成值", "actual as written"),
            "actual_value": ("实际数值", "the actual's number"),
            "actual_unit": ("实际单位", "the actual's unit"),
            "weight": ("分值", "weight (points)"),
            "score": ("得分", "score (points)"),
            "note": ("偏差原因", "reason for a deviation"),
            "met": (
                "是否达标",
                "1 met, 0 missed; empty where the target or actual is no number in one unit",
            ),
        },
    ),
    "check_overview": (
        "核查结果",
        (
            "One row per cross-check of every report: its verdict, its arithmetic and"
            " the facts it read."
        ),
        {
            **_CONTEXT,
            "check_id": ("核查项", "which check"),
            "status": ("结论", "pass, source_inconsistency, unit_anomaly, hallucination, ..."),
            "message": ("说明", "the check's arithmetic"),
            "facts": ("涉及数据项", "the JSON paths of the facts it read"),
        },
    ),
}


def _table(name: str) -> TableClause:
    return table(name, *(column(key) for key in VIEWS[name][2]))


report_overview = _table("report_overview")
indicator_overview = _table("indicator_overview")
check_overview = _table("check_overview")


def datasette_metadata(database: str) -> dict[str, Any]:
    """Datasette's metadata for the database it serves as `database` (the
    SQLite file's name without its suffix): each view's title and description,
    its columns named in Chinese and English, and facets to start from."""
    facets = {
        "report_overview": ["fiscal_year", "province", "kind", "review_state"],
        "indicator_overview": ["level1", "met", "fiscal_year"],
        "check_overview": ["status", "check_id"],
    }
    return {
        "title": "jixiao 绩效自评报告 performance self-evaluation reports",
        "databases": {
            database: {
                "tables": {
                    name: {
                        "title": f"{title} {name}",
                        "description": description,
                        "columns": {key: f"{zh} · {en}" for key, (zh, en) in columns.items()},
                        "facets": facets[name],
                    }
                    for name, (title, description, columns) in VIEWS.items()
                }
            }
        },
    }
