"""Plant faults in correct records of the samples and count what the checks catch.

The records come from the recorded cassettes (offline), keeping only the facts
that every check passed. Each fault is planted in a fresh copy, the checks run,
and the fault counts as caught when the planted fact is rejected or flagged.
Prints one line per kind, `KIND: caught/planted (P%)`, then why the faults that
got through could not be exposed.

    python bench/mutations.py [--seed N]
"""

from __future__ import annotations

import argparse
import random
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

from jixiao.batch import run_one
from jixiao.check import run_checks
from jixiao.extract.llm import ModelClient, Settings
from jixiao.records import Fact, Report, drop_fact, facts_of, set_fact
from jixiao.structure.numbers import find_quantities
from jixiao.structure.tables import Table, build_tables, find_text_grids

ROOT = Path(__file__).resolve().parents[1]
KINDS = [
    "not-in-source",
    "wrong-field",
    "digit-changed",
    "decimal-moved",
    "unit-slip",
    "swapped-pair",
]
PER_KIND_AND_REPORT = 30
NUMERIC_FIELDS = ("budget.", "staffing.", "three_public.", "self_score", "indicators[")


def correct_records() -> list[Report]:
    client = ModelClient(Settings(), use_cache=False)
    records = []
    for path in sorted((ROOT / "samples").glob("*.txt")):
        report = run_one(path, client, ROOT / "cassettes", "replay")
        # Only what every check passed counts as correct.
        for path_, fact in list(facts_of(report)):
            if fact.status != "verified":
                _set(report, path_, None)
        records.append(report)
    return records


def _set(report: Report, path: str, fact: Fact | None) -> None:
    if fact is None:
        drop_fact(report, path)
    else:
        set_fact(report, path, fact)


def numeric_facts(report: Report) -> list[tuple[str, Fact]]:
    return [
        (path, fact)
        for path, fact in facts_of(report)
        if path.startswith(NUMERIC_FIELDS) and not isinstance(fact.value, str)
    ]


def _number_text(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def plant(kind: str, report: Report, rng: random.Random) -> tuple[str, str] | None:
    """Plant one fault of `kind`; the path of the faulty fact, and what was done."""
    facts = numeric_facts(report)
    if not facts:
        return None
    path, fact = rng.choice(facts)
    value = Decimal(str(fact.value))
    if kind == "not-in-source":
        invented = value + Decimal(rng.randint(1, 999)) if value else Decimal(rng.randint(1, 999))
        raw = _number_text(invented) + (fact.raw[len(fact.raw.rstrip("万元%人名分")) :] or "")
        _set(report, path, fact.model_copy(update={"value": float(invented), "raw": raw}))
        return path, f"{fact.raw} → {raw}"
    if kind == "digit-changed":
        digits = [i for i, ch in enumerate(fact.raw) if ch.isdigit()]
        i = rng.choice(digits)
        new_digit = str((int(fact.raw[i]) + rng.randint(1, 9)) % 10)
        changed = fact.raw[:i] + new_digit + fact.raw[i + 1 :]
        quantity = find_quantities(changed)
        if not quantity:
            return None
        new_value = (
            value * quantity[0].number / find_quantities(fact.raw)[0].number
            if find_quantities(fact.raw)[0].number
            else quantity[0].number
        )
        _set(report, path, fact.model_copy(update={"value": float(new_value)}))
        return path, f"{fact.raw}: value {fact.value} → {float(new_value)}"
    if kind == "decimal-moved":
        if not value:
            return None  # moving the point of a zero changes nothing
        factor = rng.choice([Decimal(10), Decimal("0.1"), Decimal(100), Decimal("0.01")])
        _set(report, path, fact.model_copy(update={"value": float(value * factor)}))
        return path, f"{fact.raw}: value ×{factor}"
    if kind == "unit-slip":
        if fact.unit != "元":
            return None
        _set(report, path, fact.model_copy(update={"value": float(value / 10**4)}))
        return path, f"{fact.raw}: read as 元"
    if kind == "wrong-field":
        text = report.document.text
        others = [
            q
            for q in find_quantities(text)
            if q.start != fact.start and q.number != 0 and _same_kind(q.base_unit, fact.unit)
        ]
        if not others:
            return None
        q = rng.choice(others)
        new = Fact(value=float(q.base_value), unit=fact.unit, raw=q.raw, start=q.start, end=q.end)
        if Decimal(str(new.value)) == value:
            return None
        _set(report, path, new)
        return path, f"{fact.raw} → {q.raw} from offset {q.start}"
    if kind == "swapped-pair":
        partners = [
            (p, f) for p, f in facts if p != path and f.unit == fact.unit and f.value != fact.value
        ]
        if not partners:
            return None
        other_path, other = rng.choice(partners)
        _set(report, path, other)
        _set(report, other_path, fact)
        return path, f"{fact.raw} ⇄ {other.raw} ({other_path})"
    raise ValueError(kind)


def _same_kind(base_unit: str | None, unit: str | None) -> bool:
    return base_unit == unit or (unit in (None, "分") and base_unit in (None, "分"))


def caught(report: Report, path: str, tables: list[Table]) -> bool:
    checks = run_checks(report, tables)
    if any(r.path == path for r in report.rejected):
        return True
    fact = dict(facts_of(report)).get(path)
    if fact is not None and fact.status != "verified":
        return True
    return any(c.status != "pass" and path in c.facts for c in checks)


def why_not(report: Report, path: str) -> str:
    reading = [
        c
        for c in report.checks
        if path in c.facts
        or (
            path.startswith("indicators[")
            and "indicators[*].score" in c.facts
            and path.endswith("score")
        )
    ]
    if not reading:
        return f"no stated total or share involves {_field(path)}"
    return f"the checks on {_field(path)} still pass: the planted value fits within what the source states"


def _field(path: str) -> str:
    return "indicators[].weight/score" if path.startswith("indicators[") else path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    rng = random.Random(parser.parse_args().seed)
    records = correct_records()
    planted: Counter[str] = Counter()
    found: Counter[str] = Counter()
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    # A record's tables are the same in every copy: read them once.
    tables = [build_tables(find_text_grids(record.document.text)) for record in records]
    for kind in KINDS:
        for record, record_tables in zip(records, tables, strict=True):
            for _ in range(PER_KIND_AND_REPORT):
                copy = record.model_copy(deep=True)
                copy.rejected, copy.checks = [], []
                fault = plant(kind, copy, rng)
                if fault is None:
                    continue
                path, _ = fault
                planted[kind] += 1
                if caught(copy, path, record_tables):
                    found[kind] += 1
                else:
                    reasons[kind][why_not(copy, path)] += 1
    for kind in KINDS:
        share = found[kind] / planted[kind] if planted[kind] else 0
        print(f"{kind}: {found[kind]}/{planted[kind]} ({share:.0%})")
    for kind in KINDS:
        for reason, count in reasons[kind].most_common():
            print(f"  {kind}, {count} not exposed: {reason}")
    print(f"planted: {sum(planted.values())}")


if __name__ == "__main__":
    main()
