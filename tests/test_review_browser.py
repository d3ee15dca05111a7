"""The review pages in a real browser: Debian's chromium, headless, driven by
playwright, against `jixiao review` running in a process of its own.

A screenshot of the report page is left in out/test-artifacts/.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, require
from test_review import hostile
from typer.testing import CliRunner

from jixiao.cli import app as cli
from jixiao.export import exported_reports
from jixiao.store import Store
from jixiao.store.current import REVIEWER_REJECTED

CHROMIUM = Path("/usr/bin/chromium")
# Nothing the browser does may leave this machine, and nothing may slow it down.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "out" / "test-artifacts"
TOKEN = "browser-test-token"
runner = CliRunner()


@pytest.fixture(scope="module")
def browser():
    require(CHROMIUM, "the review pages are tested in Debian's chromium: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("no playwright: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('review') / 'jixiao.db'}"
    result = runner.invoke(
        cli, ["ingest", *map(str, SAMPLES), "--db", url, "--replay", str(ROOT / "cassettes")]
    )
    assert result.exit_code == 0, result.output
    store = Store(url)
    report = hostile()
    store.save(store.run_id("hostile", "-", "-", {}, {}), Path("evil.txt"), report, [], [], 0.0)
    store.close()
    return url


@pytest.fixture(scope="module")
def server(database, tmp_path_factory) -> str:
    """`jixiao review` on a free port, with a token: its address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path_factory.mktemp("server") / "review.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "jixiao", "review", "--db", database, "--port", str(port)]
            + ["--token", TOKEN],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(address, timeout=1)
            except urllib.error.HTTPError as error:
                assert error.code == 401  # up, and asking for its token
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"jixiao review did not start:\n{log.read_text()}")
                time.sleep(0.1)
        assert f"{address}/?token={TOKEN}" in log.read_text()
        yield address
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def page(browser, server):
    """A reviewer's tab, past the token and the name question."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{server}/?token={TOKEN}&lang=en")  # English, remembered in a cookie
    page.fill("input[name=name]", "王芳")
    page.click("text=Start reviewing")
    page.wait_for_selector("table.reports")
    assert "token" not in page.url
    yield page
    context.close()
    assert errors == []  # no script error, nothing the CSP had to block


def fact_line(page, path: str):
    return page.locator(".fact", has=page.locator(f".label[title='{path}']"))


def fact_id(line) -> str:
    return line.get_attribute("data-fact")


def test_review_a_report_in_the_browser(page, server, database, tmp_path):
    from playwright.sync_api import expect

    # The queue: riskiest first; 003 has the most flagged figures.
    rows = page.locator("table.reports tbody tr")
    expect(rows).to_have_count(len(SAMPLES) + 1)
    expect(rows.first).to_contain_text("合水县医疗保障局")
    page.click("text=辰溪县医疗保障局")
    page.wait_for_selector("#source mark")

    # A click on a fact lights up its source, scrolled into view.
    total = fact_line(page, "budget.total_expenditure")
    total.locator(".value").click()
    expect(total).to_have_class(has_class("selected"))
    active = page.locator("#source mark.active")
    expect(active).to_have_text(["818.93万元"])
    expect(active.first).to_be_in_viewport()
    # And the other way: a click on the source finds its fact, far down the record.
    date = fact_line(page, "report_date")
    page.locator(f"#source mark[data-facts~='{fact_id(date)}']").click()
    expect(date).to_have_class(has_class("selected"))
    expect(date).to_be_in_viewport()

    # j and k walk the facts in the record's order.
    following = date.locator("xpath=following::div[contains(@class, 'fact ')][1]")
    page.keyboard.press("j")
    expect(following).to_have_class(has_class("selected"))
    page.keyboard.press("k")
    expect(date).to_have_class(has_class("selected"))
    # A check names its facts: a click on one finds it.
    page.locator(".check .ref", has_text="budget.total_expenditure").first.click()
    expect(total).to_have_class(has_class("selected"))
    expect(total).to_be_in_viewport()

    # Confirm with the keyboard.
    basic = fact_line(page, "budget.basic_expenditure")
    basic_id = fact_id(basic)
    basic.locator(".label").click()
    with page.expect_navigation():
        page.keyboard.press("c")
    basic = page.locator(f"#fact-{basic_id}")
    expect(basic).to_have_class(has_class("rv-confirmed"))
    # The next fact is the selected one now, ready for the next key.
    expect(page.locator(".fact.selected")).not_to_have_attribute("id", f"fact-{basic_id}")

    # Correct: e opens the field; the value typed is found in the source.
    total = fact_line(page, "budget.total_expenditure")
    total_id = fact_id(total)
    total.locator(".label").click()
    page.keyboard.press("e")
    field = total.locator(".value-input")
    expect(field).to_be_focused()
    field.fill("611.34万元")
    with page.expect_navigation():
        field.press("Enter")
    total = page.locator(f"#fact-{total_id}")
    expect(total).to_have_class(has_class("rv-corrected"))
    expect(total.locator(".value")).to_have_text("6,113,400 元")
    expect(total.locator(".raw")).to_have_text("“611.34万元”")
    expect(total.locator(".note")).to_contain_text("corrected by 王芳")

    # Reject with the mouse.
    score = fact_line(page, "indicators[1].score")
    score_id = fact_id(score)
    score.locator(".label").click()
    with page.expect_navigation():
        score.locator("button.reject").click()
    expect(page.locator(f"#fact-{score_id}")).to_have_class(has_class("st-rejected"))

    page.reload()
    expect(page.locator(f"#fact-{basic_id}")).to_have_class(has_class("rv-confirmed"))
    expect(page.locator(f"#fact-{total_id}")).to_have_class(has_class("rv-corrected"))
    expect(page.locator(f"#fact-{score_id}")).to_have_class(has_class("rv-rejected"))
    expect(page.locator(".tally")).to_contain_text("1 confirmed · 1 corrected · 1 rejected")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(f"#fact-{total_id} .label").click()
    page.screenshot(path=str(ARTIFACTS / "review-report.png"))

    page.goto(server)
    row = page.locator("table.reports tbody tr", has_text="辰溪县医疗保障局")
    expect(row).to_contain_text("partly reviewed")
    expect(row).to_contain_text("王芳")

    out = tmp_path / "reviewed.json"
    result = runner.invoke(cli, ["export", "--db", database, "--out", str(out)])
    assert result.exit_code == 0, result.output
    (record,) = [
        record
        for record in json.loads(out.read_text(encoding="utf-8"))
        if record["document"]["path"].endswith(SAMPLES[0].name)
    ]
    assert record["budget"]["basic_expenditure"]["status"] == "confirmed"
    assert record["budget"]["total_expenditure"]["value"] == 6113400
    assert record["budget"]["total_expenditure"]["status"] == "corrected"
    assert record["indicators"][1]["score"] is None
    assert {
        "path": "indicators[1].score",
        "raw": "10",
        "reason": REVIEWER_REJECTED,
        "template": {"text": REVIEWER_REJECTED, "params": {}},
    } in record["rejected"]


def test_a_correction_that_fails_a_check_shows_on_the_page_and_in_the_export(
    page, database, tmp_path
):
    from playwright.sync_api import expect

    page.click("text=祁东县医疗保障事务中心")
    page.wait_for_selector("#source mark")
    check = page.locator(".check", has=page.locator("code", has_text="budget.total_parts"))
    expect(check).to_have_class(has_class("v-pass"))  # basic + project = total holds

    # The total corrected to the project figure: basic + project no longer make it.
    total = fact_line(page, "budget.total_expenditure")
    total.locator(".label").click()
    page.keyboard.press("e")
    total.locator(".value-input").fill("1944.47")
    with page.expect_navigation():
        total.locator(".value-input").press("Enter")
    changes = page.locator("#rechecked")
    expect(changes).to_contain_text(
        "checks run again after the correction of budget.total_expenditure"
    )
    expect(changes.locator(".raised", has_text="budget.total_parts")).to_contain_text(
        "source inconsistency"
    )
    expect(check).to_have_class(has_class("v-source_inconsistency"))
    expect(check.locator(".badge")).to_have_text("source inconsistency")
    expect(fact_line(page, "budget.project_expenditure")).to_have_class(
        has_class("st-source_inconsistent")
    )
    expect(page.locator("#history")).to_be_attached()
    expect(page.locator(".history .h-recheck").first).to_contain_text("budget.total_expenditure")

    out = tmp_path / "checks"
    result = runner.invoke(cli, ["export", "--db", database, "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with (out / "checks.csv").open(encoding="utf-8-sig") as file:
        rows = [line for line in file if line.startswith(tuple("0123456789abcdef"))]
    assert any(",budget.total_parts,source_inconsistency," in row for row in rows)


def test_a_script_in_a_report_is_shown_as_text(page):
    from playwright.sync_api import expect

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.locator("table.reports a", has_text='<script>alert("unit")</script>').click()
    page.wait_for_selector("#source")
    expect(page.locator("#source")).to_contain_text('<script>alert("unit")</script>医疗保障局')
    expect(page.locator("#source")).to_contain_text('"><img src=x onerror=alert(1)>')
    expect(page.locator(".check .message")).to_have_text("<b>bold</b> 1 + 1 = 3")
    assert page.locator("main script, main img, main b").count() == 0
    page.locator(".fact").first.click()
    assert dialogs == []


def click_bar(page, chart: str, label: str) -> int:
    """Click the bar of `chart` labelled `label` where Chart.js drew it on the
    canvas; the count the bar shows."""
    canvas = page.locator(f"#chart-{chart} canvas")
    bar = canvas.evaluate(
        """(canvas, label) => {
            const chart = Chart.getChart(canvas);
            const index = chart.data.labels.findIndex((lines) => lines.join(" · ") === label);
            const element = chart.getDatasetMeta(0).data[index];
            return {x: element.x, y: (element.y + element.base) / 2,
                    count: chart.data.datasets[0].data[index]};
        }""",
        label,
    )
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + bar["x"], box["y"] + bar["y"])
    return bar["count"]


def test_the_dashboard_opens_the_queue_on_what_a_bar_counts(page, database):
    from playwright.sync_api import expect

    page.click("header.top >> text=dashboard")
    page.wait_for_selector("#chart-year canvas")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    count = click_bar(page, "year", "2024")
    page.wait_for_url(re.compile(r"/\?year=2024$"))
    rows = page.locator("table.reports tbody tr")
    expect(rows).to_have_count(count)
    assert count > 0
    for year in rows.locator("td:nth-child(5)").all_text_contents():
        assert year == "2024"

    page.go_back()
    count = click_bar(page, "execution_rate", "≥100")
    page.wait_for_url(re.compile(r"measure=execution_rate&low=100$"))
    expect(page.locator("#from-dashboard")).to_contain_text("execution rate ≥ 100")
    expect(rows).to_have_count(count)
    # What the export says, apart from the SQL that counted the bar.
    store = Store(database)
    rates = [exported.report.budget.execution_rate for exported in exported_reports(store)]
    store.close()
    assert count == sum(rate is not None and rate.value >= 100 for rate in rates) > 0


def has_class(name: str) -> re.Pattern[str]:
    """A class list holding `name`, for expect(...).to_have_class."""
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")
