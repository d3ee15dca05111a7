"""The indicator table: each figure in its own row's cell, scores within their
weights, and the scores adding up to the self-score."""

from __future__ import annotations

from decimal import Decimal

from jixiao.check.base import Context, _check, _plain, figure
from jixiao.messages import M_, N_, Value
from jixiao.records import Check
from jixiao.structure.tables import Table


def check_indicators(context: Context) -> list[Check]:
    """Score ≤ weight per row; scores against the self-score."""
    report = context.report
    results = []
    weights, scores = Decimal(0), Decimal(0)
    for index, row in enumerate(report.indicators):
        weight = figure(f"indicators[{index}].weight", row.weight)
        score = figure(f"indicators[{index}].score", row.score)
        if score:  # a table of targets only (002's annex) adds no weight
            weights += weight.value if weight else 0
            scores += score.value
        if weight and score and score.value > weight.value + weight.tolerance + score.tolerance:
            results.append(
                _check(
                    "indicator.score_le_weight",
                    "source_inconsistency",
                    M_(
                        "%(indicator)s: score %(score)s above its weight %(weight)s",
                        indicator=str(row.level3),
                        score=str(score),
                        weight=str(weight),
                    ),
                    [score.path, weight.path],
                )
            )
    stated = context.figure("self_score")
    if stated is None or not report.indicators:
        return results
    paths = ["self_score", "indicators[*].score"]
    listed: dict[str, Value] = {
        "scores": _plain(scores),
        "weights": _plain(weights),
        "stated": str(stated),
    }
    if abs(scores - stated.value) <= Decimal("0.05"):
        message = M_(
            "the indicator scores add up to %(scores)s of a weight of %(weights)s = %(stated)s",
            **listed,
        )
        return [*results, _check("indicator.self_score", "pass", message, paths)]
    elsewhere = _scored_elsewhere(context.tables)
    for label, extra in elsewhere:
        if abs(scores + extra - stated.value) <= Decimal("0.05"):
            message = M_(
                "the indicator scores add up to %(scores)s of a weight of %(weights)s;"
                " with %(label)s scored %(extra)s elsewhere: %(total)s = %(stated)s",
                label=label,
                extra=_plain(extra),
                total=_plain(scores + extra),
                **listed,
            )
            return [*results, _check("indicator.self_score", "pass", message, paths)]
    missing = Decimal(100) - weights
    if missing > 0 and abs(stated.value - scores) <= missing:
        message = M_(
            "the indicator scores add up to %(scores)s of a weight of %(weights)s,"
            " self-score %(stated)s: the %(missing)s points not listed may explain it,"
            " but nothing shows them",
            missing=_plain(missing),
            **listed,
        )
        return [*results, _check("indicator.self_score", "unverifiable", message, paths)]
    message = M_(
        "the indicator scores add up to %(scores)s of a weight of %(weights)s,"
        " but the self-score is %(stated)s",
        **listed,
    )
    return [*results, _check("indicator.self_score", "source_inconsistency", message, paths)]


def _scored_elsewhere(tables: list[Table]) -> list[tuple[str, Decimal]]:
    """Scores that budget tables give (the 得分 of budget execution)."""
    found = []
    for table in tables:
        for line in table.budget:
            for title, quantity in line.values.items():
                if "得分" in title:
                    found.append((f"{line.label} (得分)", quantity.number))
    return found


def check_indicator_cells(context: Context) -> list[Check]:
    """An indicator's figures are the cells of its own row and column: the right
    number in the wrong row or column is no figure of this indicator. A row no
    table holds was read by the model from a region no layout could cut into
    cells (a form flattened onto a line, cells run together), where a row keeps
    to one line: its figures stand on a line that names it."""
    rows: dict[str, list] = {}
    for table in context.tables:
        for indicator in table.indicators:
            rows.setdefault(indicator.level3, []).append(indicator)
    results = []
    for index, record in enumerate(context.report.indicators):
        candidates = rows.get(record.level3 or "", [])
        for role in ("target", "actual", "weight", "score"):
            fact = getattr(record, role)
            if fact is None:
                continue
            if candidates or context.table_at(fact.start) is not None:
                if (fact.start, fact.end) in [c.spans.get(role) for c in candidates]:
                    continue
                message = M_(_NOT_IN_CELL[role], raw=fact.raw, row=str(record.level3))
            elif record.level3 and record.level3 in _line_of(context.text, fact.start):
                continue
            else:
                message = M_(
                    "“%(raw)s” is not on a line of the row “%(row)s”",
                    raw=fact.raw,
                    row=str(record.level3),
                )
            path = f"indicators[{index}].{role}"
            results.append(_check("indicator.cell", "hallucination", message, [path]))
    return results


# A sentence for each cell, so that each translates whole.
_NOT_IN_CELL = {
    "target": N_("“%(raw)s” is not in the target cell of the row “%(row)s”"),
    "actual": N_("“%(raw)s” is not in the actual cell of the row “%(row)s”"),
    "weight": N_("“%(raw)s” is not in the weight cell of the row “%(row)s”"),
    "score": N_("“%(raw)s” is not in the score cell of the row “%(row)s”"),
}


def _line_of(text: str, position: int) -> str:
    end = text.find("\n", position)
    return text[text.rfind("\n", 0, position) + 1 : len(text) if end < 0 else end]
