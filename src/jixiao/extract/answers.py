"""What the model is asked to return: one answer model per record type, every
string a quote that must stand in the lines the model was sent."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from jixiao.extract.align import locate, same_date, same_quantity
from jixiao.records import (
    Budget,
)
from jixiao.structure.numbers import find_quantities

# What a small model writes, quoted, for "nothing here".
_NOTHING = {"null", "none", "nil", "n/a"}


def _in_chunk(value: Any, info: ValidationInfo) -> Any:
    """A quote must be in the chunk it was read from (spacing aside). A date or
    a sum retyped in another format is the chunk's own writing of it; "null"
    written as a string is nothing."""
    chunk = (info.context or {}).get("chunk")
    if chunk is None or value is None:
        return value
    if isinstance(value, list):
        quotes = [_quoted(quote, chunk) if isinstance(quote, str) else quote for quote in value]
        return [quote for quote in quotes if quote is not None]
    return _quoted(value, chunk) if isinstance(value, str) else value


def _quoted(quote: str, chunk: str) -> str | None:
    if quote.strip().lower() in _NOTHING:
        return None
    if locate(quote, chunk) is not None:
        return quote
    retyped = same_date(quote, chunk) or same_quantity(quote, chunk)
    if retyped is None:
        raise ValueError(f"“{quote[:40]}”不在原文中：请逐字复制原文，或填 null")
    return retyped


def _has_number(value: str | None, info: ValidationInfo) -> str | None:
    checking = (info.context or {}).get("chunk") is not None
    if value is not None and checking and not find_quantities(value):
        raise ValueError(f"“{value[:40]}”里没有数字：请复制原文中的数字和单位，或填 null")
    return value


class Answer(BaseModel):
    """What the model returns. Its JSON schema goes into every prompt (instructor's
    JSON modes write it there, indented): it is given without what the model needs
    not read (titles, null defaults, nested definitions by reference), which
    halves the tokens it costs and changes nothing it admits."""

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        schema = super().model_json_schema(*args, **kwargs)
        return _compact(schema, schema.get("$defs", {}))


def _compact(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_compact(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _compact(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
    compact = {
        key: _compact(value, definitions)
        for key, value in node.items()
        if key not in ("title", "$defs") and not (key == "default" and value in (None, []))
    }
    # ``anyOf: [{type: string}, {type: null}]`` is ``type: [string, null]``.
    options = compact.get("anyOf")
    if options and all(set(option) == {"type"} for option in options):
        del compact["anyOf"]
        compact["type"] = [option["type"] for option in options]
    return compact


class _Quotes(Answer):
    """An answer whose every string is a quote from the chunk."""

    _quoted = field_validator("*")(_in_chunk)


class _Figures(_Quotes):
    """An answer whose every string is a quoted figure."""

    _numbers = field_validator("*")(_has_number)


class HeaderAnswer(_Quotes):
    unit_name: str | None = Field(None, description="报告单位全称")
    fiscal_year: str | None = Field(None, description="被评价年度")
    report_date: str | None = Field(None, description="落款日期")
    doc_number: str | None = Field(None, description="文号")


class StaffingAnswer(_Figures):
    authorized: str | None = Field(None, description="编制数")
    actual: str | None = Field(None, description="实有人数")


class BudgetAnswer(_Figures):
    initial_budget: str | None = Field(None, description="年初预算数")
    full_year_budget: str | None = Field(None, description="全年预算数")
    total_expenditure: str | None = Field(None, description="全年支出总额")
    basic_expenditure: str | None = Field(None, description="基本支出")
    personnel_expenditure: str | None = Field(None, description="人员经费")
    public_expenditure: str | None = Field(None, description="公用经费")
    project_expenditure: str | None = Field(None, description="项目支出")
    execution_rate: str | None = Field(None, description="预算执行率")


class ThreePublicAnswer(_Figures):
    budget: str | None = Field(None, description="三公经费预算数")
    actual: str | None = Field(None, description="三公经费实际支出")


class ScoreAnswer(_Quotes):
    self_score: str | None = Field(None, description="自评得分")
    grade: str | None = Field(None, description="评价等级")


class ProjectAnswer(_Quotes):
    name: str = Field(description="项目名称")
    budget: str | None = Field(None, description="预算数")
    actual: str | None = Field(None, description="实际支出数")


class ProjectsAnswer(Answer):
    items: list[ProjectAnswer] = Field(default_factory=list)


class TableRowAnswer(_Quotes):
    level1: str | None = Field(None, description="一级指标")
    level2: str | None = Field(None, description="二级指标")
    level3: str | None = Field(None, description="该行指标的名称")
    target: str | None = Field(None, description="指标值（目标）")
    actual: str | None = Field(None, description="实际完成值")
    weight: str | None = Field(None, description="分值")
    score: str | None = Field(None, description="得分")


class TableAnswer(Answer):
    rows: list[TableRowAnswer] = Field(default_factory=list)


class ListAnswer(Answer):
    items: list[str] = Field(default_factory=list, description="逐字复制的原文句子")

    _quoted = field_validator("items")(_in_chunk)


FIELD_KINDS = {
    "header": {
        "unit_name": "text",
        "fiscal_year": "year",
        "report_date": "date",
        "doc_number": "text",
    },
    "staffing": {"authorized": "count", "actual": "count"},
    "budget": {
        **{name: "money" for name in Budget.model_fields if name != "execution_rate"},
        "execution_rate": "percent",
    },
    "three_public": {"budget": "money", "actual": "money"},
    "score": {"self_score": "score", "grade": "text"},
}
