"""Shared fixtures: the sample reports, prepared once per test session."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from jixiao.messages import M_
from jixiao.records import DocumentInfo, Fact, IndicatorRecord, Project, Report, Unread
from jixiao.store import database_url
from jixiao.structure import Prepared, prepare

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").glob("*.txt"))
GOLD = ROOT / "tests" / "gold"


@cache
def prepared(name: str) -> Prepared:
    """A sample by its number prefix ("000"), loaded through the whole front half."""
    path = next(path for path in SAMPLES if path.name.startswith(name))
    return prepare(path)


@cache
def gold(name: str) -> dict:
    """Hand-checked expected values for a sample (copied from ../shared/gold)."""
    path = next(path for path in GOLD.glob("*.json") if path.name.startswith(name))
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(params=[path.name[:3] for path in SAMPLES])
def sample(request: pytest.FixtureRequest) -> str:
    return request.param


def require(thing: str | Path, install: str) -> Path:
    """A system program (found on PATH) or file a test needs: where it is missing,
    the test skips and says how to install it, or fails where CI (which installs
    everything, JIXIAO_TEST_REQUIRE_PROGRAMS=1) should have had it."""
    found = shutil.which(thing) if isinstance(thing, str) else (thing if thing.exists() else None)
    if found is None:
        message = f"{thing} is missing: {install}"
        if os.environ.get("JIXIAO_TEST_REQUIRE_PROGRAMS"):
            pytest.fail(message)
        pytest.skip(message)
    return Path(found)


@pytest.fixture(autouse=True)
def _no_database_in_the_repository(tmp_path, monkeypatch):
    """A command that names no database writes to jixiao.db in the working
    folder: in tests, that folder's stand-in is the test's own."""
    monkeypatch.setenv("JIXIAO_DB_URL", f"sqlite:///{tmp_path / 'default.db'}")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind the store supports. PostgreSQL comes from
    JIXIAO_TEST_PG_URL (`scripts/start-postgres` starts one and prints it); each
    test gets a database of its own, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jixiao.db'}"
        return
    admin_url = os.environ.get("JIXIAO_TEST_PG_URL")
    if not admin_url:
        message = "no PostgreSQL: set JIXIAO_TEST_PG_URL (scripts/start-postgres prints one)"
        if os.environ.get("JIXIAO_TEST_REQUIRE_PG"):
            pytest.fail(message)
        pytest.skip(message)
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"jixiao_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(database_url(admin_url)).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


# An invented project report (no sample's figures) with every field schema 2
# added, and markup and a formula where a document may hold them.
PROJECT_TEXT = (
    "某县农业农村局2024年度项目支出绩效自评表\n"
    "项目名称\t高标准农田建设\n"
    "主管部门\t某县农业农村局\t实施单位\t某县农田建设服务中心\n"
    "项目资金（万元）\t年初预算数\t全年预算数\t全年执行数\t执行率\n"
    "年度资金总额\t120.00\t150.00\t135.00\t90.00%\n"
    '年度总体目标\t新建高标准农田2000亩\t完成情况\t=HYPERLINK("http://x")建成1800亩\n'
    "一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t<b>偏差</b>\n"
    "产出指标\t数量指标\t新建农田面积\t≥2000亩\t1800亩\t10\t9\t=87\n"
    "总分\t100\t88.5\n"
    "项目名称\t农机购置补贴\t全年预算数\t30.00\n"
    "满意度指标\t服务对象满意度指标\t农户满意度\t≥90%\t95%\t10\t10\t5\n"
)
# What schema 2 added to a project; a schema 1 record has none of them.
NEW_PROJECT_FIELDS = (
    "supervisor",
    "implementer",
    "initial_budget",
    "execution_rate",
    "goal",
    "goal_result",
    "self_score",
)


def project_report(sha256: str = "b" * 64) -> Report:
    def at(raw: str, value=None, unit: str | None = None, after: str = "") -> Fact:
        start = PROJECT_TEXT.index(raw, PROJECT_TEXT.index(after) + len(after) if after else 0)
        value = raw if value is None else value
        return Fact(value=value, unit=unit, raw=raw, start=start, end=start + len(raw))

    text = PROJECT_TEXT
    row = "新建农田面积\t≥2000亩\t1800亩\t"
    other = "农户满意度\t≥90%\t95%\t"
    return Report(
        document=DocumentInfo(
            path="invented/project.txt",
            sha256=sha256,
            format="txt",
            encoding="utf-8",
            chars=len(text),
            text=text,
        ),
        kind="project",
        unit_name=at("某县农业农村局"),
        fiscal_year=at("2024", 2024),
        projects=[
            Project(
                name=at("高标准农田建设"),
                supervisor=at("某县农业农村局", after="主管部门\t"),
                implementer=at("某县农田建设服务中心"),
                initial_budget=at("120.00", 1200000.0, "元"),
                budget=at("150.00", 1500000.0, "元"),
                actual=at("135.00", 1350000.0, "元"),
                execution_rate=at("90.00%", 90.0, "%"),
                goal=at("新建高标准农田2000亩"),
                goal_result=at('=HYPERLINK("http://x")建成1800亩'),
                self_score=at("88.5", 88.5, "分"),
            ),
            Project(name=at("农机购置补贴"), budget=at("30.00", 300000.0, "元")),
        ],
        indicators=[
            IndicatorRecord(
                level1="产出指标",
                level2="数量指标",
                level3="新建农田面积",
                target=at("≥2000亩"),
                target_op="≥",
                target_value=2000,
                target_unit="亩",
                actual=at("1800亩", after="≥2000亩"),
                actual_value=1800,
                actual_unit="亩",
                weight=at("10", 10, after=row),
                score=at("9", 9, after=row + "10\t"),
                project=0,
            ),
            IndicatorRecord(
                level1="满意度指标",
                level2="服务对象满意度指标",
                level3="农户满意度",
                target=at("≥90%"),
                actual=at("95%", after="≥90%"),
                weight=at("10", 10, after=other),
                score=at("10", 10, after=other + "10\t"),
                project=1,
            ),
        ],
        unread=[
            Unread.because(
                text.index("=87"),
                text.index("=87") + 3,
                M_("the column “%(title)s”, which no vocabulary names", title="<b>偏差</b>"),
            ),
            # As stored before stretches kept their reason's words apart.
            Unread(start=len(text) - 2, end=len(text) - 1, reason="a column no vocabulary names"),
        ],
    )


def schema_1(report: Report) -> dict:
    """The record as schema 1 stored it: none of the fields schema 2 added."""
    record = report.model_dump(
        mode="json",
        exclude={
            "kind": True,
            "unread": True,
            "projects": {"__all__": set(NEW_PROJECT_FIELDS)},
            "indicators": {"__all__": {"project"}},
        },
    )
    return record | {"schema_version": "1"}
