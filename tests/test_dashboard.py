"""The dashboard through its HTTP interface, on SQLite and PostgreSQL: what each
chart counts, that each bar's link opens the queue on exactly the reports it
counts, and that names from documents reach the charts as text. The click in a
browser is in test_review_browser.py."""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from itertools import pairwise
from pathlib import Path

from conftest import ROOT
from fastapi.testclient import TestClient

# The review tests' fixtures: `records`, the samples' records replayed once, and
# `store`, a database of them and a hostile report, on SQLite and PostgreSQL.
from test_review import hostile, records, reviewer, store  # noqa: F401

from jixiao.check import CHECK_NAMES
from jixiao.records import Region
from jixiao.review.app import create_app
from jixiao.review.dashboard import DISTRIBUTIONS
from jixiao.store import Store


def charts(client: TestClient) -> dict[str, dict]:
    """What each chart of the dashboard draws, by its key."""
    page = client.get("/dashboard")
    assert page.status_code == 200
    drawn = {}
    for key, section in re.findall(r'id="chart-(\w+)">(.*?)</section>', page.text, re.DOTALL):
        if data := re.search(r"data-chart='([^']*)'", section):
            drawn[key] = json.loads(html.unescape(data.group(1)))
    return drawn


def queued(client: TestClient, link: str) -> int:
    page = client.get(link).text
    return int(re.search(r'<p class="count">(\d+) report', page).group(1))


def test_every_bar_opens_the_queue_on_the_reports_it_counts(store, records):  # noqa: F811
    client = reviewer(create_app(store), "王芳")
    drawn = charts(client)
    assert set(drawn) == {
        "year", "region", "kind", "review_state", *DISTRIBUTIONS, "checks"
    }  # fmt: skip
    for key, chart in drawn.items():
        assert chart["counts"], key
        for label, count, link in zip(
            chart["labels"], chart["counts"], chart["links"], strict=True
        ):
            assert link.startswith("/?")
            assert queued(client, link) == count, (key, label, link)


def test_the_charts_count_what_the_records_say(store, records):  # noqa: F811
    client = reviewer(create_app(store), "王芳")
    drawn = charts(client)

    def bars(key: str) -> dict[str, int]:
        return {
            label: count
            for label, count in zip(drawn[key]["labels"], drawn[key]["counts"], strict=True)
            if count
        }

    reports = records.values()
    assert bars("year") == Counter(str(report.fiscal_year.value) for report in reports)
    assert bars("region") == Counter(
        f"{report.region.province} {report.region.city}" for report in reports
    )
    rates = [report.budget.execution_rate.value for report in reports]
    edges = DISTRIBUTIONS["execution_rate"][2]
    expected = Counter(
        next((f"{low:g}–{high:g}" for low, high in pairwise(edges) if low <= rate < high),
             f"≥{edges[-1]:g}" if rate >= edges[-1] else f"<{edges[0]:g}")
        for rate in rates
    )  # fmt: skip
    assert bars("execution_rate") == expected
    # The hostile report has no kind; the samples and it are all unreviewed.
    assert sum(bars("kind").values()) == len(records)
    assert bars("review_state") == {"unreviewed": len(records) + 1}
    failed = Counter(
        (check.id, check.status)
        for report in [*reports, hostile()]
        for check in {(c.id, c.status): c for c in report.checks if c.status != "pass"}.values()
    )
    most = max(failed.values())
    assert drawn["checks"]["counts"][0] == most
    assert sum(drawn["checks"]["counts"]) == sum(sorted(failed.values(), reverse=True)[:15])


def test_a_check_bar_opens_the_reports_failing_that_check_that_way(store, records):  # noqa: F811
    client = reviewer(create_app(store), "王芳")
    page = client.get("/?check=text.execution_rate&verdict=source_inconsistency").text
    expected = {
        report.document.path
        for report in records.values()
        if any(
            check.id == "text.execution_rate" and check.status == "source_inconsistency"
            for check in report.checks
        )
    }
    assert expected and set(re.findall(r'<div class="path">([^<]+)</div>', page)) == expected
    assert "failing the check “stated execution rate” (<code>text.execution_rate</code>)" in page
    # The filter stays with the queue's own.
    assert 'name="check" value="text.execution_rate"' in page


def test_the_checks_failed_most_are_named_in_the_readers_language(store, records):  # noqa: F811
    client = reviewer(create_app(store), "王芳")
    labels = charts(client)["checks"]["labels"]
    assert "stated execution rate · source inconsistency" in labels
    assert "the figure at its place in the source" not in " ".join(labels)
    client.get("/dashboard?lang=zh_CN")
    labels = charts(client)["checks"]["labels"]
    assert "文中所述预算执行率 · 源数据不一致" in labels
    assert "预算执行率（总支出 ÷ 全年预算） · 源数据不一致" in labels
    page = client.get("/?check=text.execution_rate&verdict=source_inconsistency").text
    assert "未通过核查“文中所述预算执行率”（<code>text.execution_rate</code>）" in page


def test_every_check_has_a_name():
    """Each id a check gives its verdicts (the literal first argument of the
    functions that make them) is named for the pages."""
    source = "".join(path.read_text() for path in (ROOT / "src/jixiao/check").glob("*.py"))
    given = set(re.findall(r'_check\(\s*"([\w.]+)"', source)) | set(
        re.findall(r'_(?:sum|ratio)_check\(\s*(?:context,\s*)?"([\w.]+)"', source)
    )
    assert len(given) > 15 and given == set(CHECK_NAMES)


def test_names_from_documents_reach_the_charts_as_text(db_url):
    archive = Store(db_url)
    evil = hostile()
    evil.region = Region(province="<img src=x onerror=alert(1)>省", city="</script>市")
    archive.save(archive.run_id("evil", "-", "-", {}, {}), Path("evil.txt"), evil, [], [], 0.0)
    client = reviewer(create_app(archive), "王芳")
    page = client.get("/dashboard").text
    assert "<img" not in page and "</script>市" not in page
    assert charts(client)["region"]["labels"] == ["<img src=x onerror=alert(1)>省 </script>市"]
    assert "&lt;img src=x onerror=alert(1)&gt;省 &lt;/script&gt;市" in page  # the numbers table


def test_the_dashboard_of_an_empty_archive(tmp_path):
    client = reviewer(create_app(Store(f"sqlite:///{tmp_path / 'empty.db'}")), "王芳")
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "<strong>0</strong> reports" in page.text and "Nothing to count yet." in page.text
