"""The review queue at scale: a SQLite database of 100,000 synthetic reports, and
how long the queue page (and, with --dashboard, the dashboard) takes to answer.

The reports are made up (units, regions, years, kinds, facts in every review
state and status, checks of every verdict) and written by bulk inserts, with
each report's queue row made by the store's own arithmetic
(`jixiao.store.summary.summarise`). The page is asked through the review app
in this process (FastAPI's test client), as a reviewer's browser asks it: the
first pages and pages deep in the queue, each order, each filter.

    python bench/review.py [--reports 100000] [--requests 300] [--db FILE] [--dashboard]

Ends with `queue p95: T ms` (goal < 200 ms at 100,000 reports); with
`--dashboard`, first `dashboard: median T ms` (goal well under 1 s).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fastapi.testclient import TestClient
from sqlalchemy import insert

from jixiao.review.app import PAGE_SIZE, REVIEWER_COOKIE, create_app
from jixiao.review.views import KINDS, SORTS, STATES, VERDICTS
from jixiao.store import Store, models
from jixiao.store.summary import FIGURES, met, summarise

PROVINCES = {"湖南省": ["怀化市", "长沙市"], "甘肃省": ["庆阳市", "兰州市"], "四川省": ["成都市"]}
COUNTIES = ["辰溪县", "合水县", "大通区", "麻阳县", "宁县", "正宁县", "双流区"]
UNITS = ["医疗保障局", "农业农村局", "教育局", "卫生健康局", "财政局", "民政局", "交通运输局"]
FIELDS = [
    "unit_name",
    "fiscal_year",
    "budget.total_expenditure",
    "budget.full_year_budget",
    "budget.execution_rate",
    "self_score",
]
STATUSES = ["verified"] * 8 + ["source_inconsistent", "unit_anomaly"]
REVIEWS = ["unreviewed"] * 6 + ["confirmed", "corrected", "rejected"]
CHECK_VERDICTS = ["pass"] * 6 + list(VERDICTS)
REVIEWERS = ["王芳", "李强", "张伟", "刘洋"]
BATCH = 5000


def synthetic(index: int, rng: random.Random, now: datetime) -> tuple[dict, list, list, dict, list]:
    """One report: its document row, fact rows, check rows, queue row and
    indicator rows."""
    province = rng.choice(list(PROVINCES))
    county = rng.choice(COUNTIES)
    unit = f"{county}{rng.choice(UNITS)}"
    year = rng.randint(2018, 2024)
    text = f"{unit}{year}年度部门整体支出绩效自评报告\n"
    kind = rng.choice(list(KINDS))
    region = {"province": province, "city": rng.choice(PROVINCES[province]), "county": county}
    record = {
        "schema_version": "2",
        "document": {"path": f"archive/{index:06d}.txt", "sha256": f"{index:064x}", "text": text},
        "kind": kind,
        "region": region,
        "rejected": [{"path": "grade", "raw": "优", "reason": "not in the source"}]
        * rng.choice([0, 0, 0, 1]),
    }
    document = {
        "id": index,
        "run_id": 1,
        "path": record["document"]["path"],
        "sha256": record["document"]["sha256"],
        "format": "txt",
        "chars": len(text),
        "ocr": False,
        "status": "done",
        "kind": kind,
        "unread": 0,
        "seconds": 1.0,
        "ingested_at": now,
        "record": record,
    }
    values = {
        "unit_name": unit,
        "fiscal_year": year,
        "budget.execution_rate": round(rng.uniform(50, 105), 2),
        "self_score": round(rng.uniform(55, 100), 1),
    }
    facts = []
    for path in FIELDS:
        value = values.get(path, round(rng.uniform(1e5, 1e8), 2))
        facts.append(
            {
                "document_id": index,
                "path": path,
                "value": value,
                "number": value if isinstance(value, int | float) else None,
                "raw": str(value),
                "start": 0,
                "end": len(str(value)),
                "status": rng.choice(STATUSES),
                "review": rng.choice(REVIEWS),
                "version": 1,
            }
        )
    checks = [
        {
            "document_id": index,
            "check_id": f"check.{n}",
            "status": rng.choice(CHECK_VERDICTS),
            "message": "synthetic",
            "facts": [],
        }
        for n in range(3)
    ]
    indicators = []
    for position in range(rng.randint(0, 6)):
        target = rng.choice([80.0, 90.0, 95.0, 100.0])
        parsed = {
            "target_op": rng.choice(["≥", "≥", "≤", "="]),
            "target_value": target,
            "target_unit": "%",
            "actual_value": round(rng.uniform(target - 20, target + 5), 1),
            "actual_unit": rng.choice(["%"] * 9 + [None]),
        }
        indicators.append(
            {
                "document_id": index,
                "position": position,
                "level1": "产出指标",
                "level2": "质量指标",
                "level3": f"指标{position + 1}",
                **parsed,
                "met": met(**parsed),
            }
        )
    reviewed = any(fact["review"] != "unreviewed" for fact in facts)
    last = (rng.choice(REVIEWERS), now - timedelta(minutes=index)) if reviewed else None
    counts: dict[tuple[str, str], int] = {}
    for fact in facts:
        key = (fact["review"], fact["status"])
        counts[key] = counts.get(key, 0) + 1
    verdicts: dict[str, int] = {}
    for check in checks:
        verdicts[check["status"]] = verdicts.get(check["status"], 0) + 1
    entry = {
        "document_id": index,
        "sha256": document["sha256"],
        "path": document["path"],
        "assignee": rng.choice([None, None, *REVIEWERS]),
        **summarise(
            record,
            [(review, status, n) for (review, status), n in counts.items()],
            list(verdicts.items()),
            unit,
            year,
            last,
            {
                fact["path"]: fact["value"]
                for fact in facts
                if fact["review"] != "rejected" and fact["path"] in FIGURES.values()
            },
            [indicator["met"] for indicator in indicators],
        ),
    }
    return document, facts, checks, entry, indicators


def fill(store: Store, reports: int) -> float:
    """Write the synthetic reports in bulk; returns the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(15)
    now = datetime.now(UTC)
    store.run_id("bench", "synthetic", "-", {}, {})
    tables = [
        models.Document.__table__,
        models.Fact.__table__,
        models.Check.__table__,
        models.QueueEntry.__table__,
        models.Indicator.__table__,
    ]
    with store.engine.begin() as connection:
        for first in range(1, reports + 1, BATCH):
            rows: list[list[dict]] = [[], [], [], [], []]
            for index in range(first, min(first + BATCH, reports + 1)):
                document, facts, checks, entry, indicators = synthetic(index, rng, now)
                rows[0].append(document)
                rows[1].extend(facts)
                rows[2].extend(checks)
                rows[3].append(entry)
                rows[4].extend(indicators)
            for table, batch in zip(tables, rows, strict=True):
                connection.execute(insert(table), batch)
    return time.perf_counter() - started


def requests(count: int, reports: int, rng: random.Random) -> list[tuple[str, str]]:
    """The queue pages a team of reviewers asks for: (what, address)."""
    pages = max(1, reports // PAGE_SIZE)
    filters = [
        ("first page", {}),
        ("deep page", {"page": "DEEP"}),
        ("year", {"year": 2021}),
        ("kind", {"kind": "project"}),
        ("state", {"state": rng.choice(STATES)}),
        ("verdict", {"verdict": "source_inconsistency"}),
        ("region", {"region": "合水县"}),
        ("unit", {"unit": "医疗保障"}),
        ("assignee", {"assignee": "李强"}),
        ("year+kind+page 3", {"year": 2020, "kind": "department", "page": 3}),
    ]
    asked = []
    for n in range(count):
        what, query = filters[n % len(filters)]
        query = dict(query) | {"sort": list(SORTS)[n // len(filters) % len(SORTS)]}
        if query.get("page") == "DEEP":
            query["page"] = rng.randint(2, pages)
        asked.append((f"{what}, by {query['sort']}", "/?" + urlencode(query)))
    return asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--db", type=Path, help="the SQLite file to fill (default: a new one)")
    parser.add_argument(
        "--dashboard", action="store_true", help="time the dashboard page too (`/dashboard`)"
    )
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="jixiao-review-bench-")
    path = args.db or Path(folder.name) / "review.db"
    path.unlink(missing_ok=True)
    store = Store(f"sqlite:///{path}")
    seconds = fill(store, args.reports)
    size = path.stat().st_size / 2**20
    print(f"filled {args.reports:,} reports in {seconds:.1f} s ({size:.0f} MB): {path}")

    client = TestClient(create_app(store))
    client.cookies.set(REVIEWER_COOKIE, quote("bench"))
    client.get("/")  # the app's first request warms its templates up
    if args.dashboard:
        taken = []
        for _ in range(10):
            started = time.perf_counter()
            response = client.get("/dashboard")
            taken.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        print(f"dashboard: median {statistics.median(taken):.0f} ms  max {max(taken):.0f} ms")
    times: dict[str, list[float]] = {}
    every = []
    for what, address in requests(args.requests, args.reports, random.Random(15)):
        started = time.perf_counter()
        response = client.get(address)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (address, response.status_code)
        times.setdefault(what.split(",")[0], []).append(elapsed)
        every.append(elapsed)
    for what, taken in times.items():
        print(f"  {what:<18} median {statistics.median(taken):6.1f} ms  max {max(taken):6.1f} ms")
    store.close()
    folder.cleanup()
    p95 = statistics.quantiles(every, n=20)[-1]
    print(f"queue p95: {p95:.0f} ms")


if __name__ == "__main__":
    main()
