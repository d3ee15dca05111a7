"""What a report's tables give with no model (its indicator rows and its budget
and project figures), to compare one report across formats: every format must
give what the text version gives (issue 13's property)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from jixiao.evaluate import comparable
from jixiao.extract import from_tables
from jixiao.structure import prepare

ROW_FIELDS = ("level1", "level2", "level3", "target", "actual", "weight", "score")
PROJECT_FIGURES = ("budget", "actual", "initial_budget", "execution_rate", "self_score")


@dataclass
class Facts:
    rows: Counter[tuple]
    figures: dict[str, object]

    def share_of(self, reference: Facts) -> tuple[float, float]:
        """The shares of the reference's rows and figures that these facts give alike."""
        rows = sum((self.rows & reference.rows).values())
        figures = sum(
            1 for name, value in reference.figures.items() if self.figures.get(name) == value
        )
        return (
            rows / sum(reference.rows.values()) if reference.rows else 1.0,
            figures / len(reference.figures) if reference.figures else 1.0,
        )


def facts(path: Path) -> Facts:
    """The indicator rows and figures a report file's tables give, compared as a
    reader would (width and spacing do not matter)."""
    record = from_tables(prepare(path)).model_dump(mode="json")
    rows = Counter(
        tuple(comparable(row.get(name)) for name in ROW_FIELDS) for row in record["indicators"]
    )
    figures = {
        f"budget.{name}": comparable(fact)
        for name, fact in record["budget"].items()
        if fact is not None
    }
    for project in record["projects"]:
        for name in PROJECT_FIGURES:
            if project.get(name) is not None:
                figures[f"{comparable(project['name'])}.{name}"] = comparable(project[name])
    return Facts(rows, figures)
