"""The review app through its HTTP interface, on SQLite and PostgreSQL: actions
stored with their reviewer, conflicts refused, CSRF and token enforced, document
text escaped. The browser tests are in test_review_browser.py."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import NEW_PROJECT_FIELDS, ROOT, SAMPLES, project_report
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from jixiao.batch import run_one
from jixiao.cli import app as cli
from jixiao.export import exported_reports
from jixiao.extract.llm import ModelClient, Settings
from jixiao.messages import M_
from jixiao.records import Check, DocumentInfo, Fact, Rejected, Report, facts_of
from jixiao.review import actions
from jixiao.review.app import CSP, CSRF_COOKIE, REVIEWER_COOKIE, create_app
from jixiao.store import Store, models
from jixiao.store.current import REVIEWER_REJECTED

TOKEN = "a-long-enough-token"
# The pages are Chinese unless English is asked for; these tests read the English.
ENGLISH = {"Accept-Language": "en"}
HOSTILE_TEXT = (
    '<script>alert("unit")</script>医疗保障局\n'
    "总支出818.93万元。\n"
    '"><img src=x onerror=alert(1)>群众知晓率低\n'
)


@pytest.fixture(scope="module")
def records() -> dict[str, Report]:
    client = ModelClient(Settings(), use_cache=False)
    return {path.name[:3]: run_one(path, client, ROOT / "cassettes", "replay") for path in SAMPLES}


def hostile() -> Report:
    """A report whose text and messages are markup that would run if not escaped."""
    text = HOSTILE_TEXT
    unit = '<script>alert("unit")</script>医疗保障局'
    problem = '"><img src=x onerror=alert(1)>群众知晓率低'
    start = text.index("818.93万元")
    return Report(
        document=DocumentInfo(
            path="evil/<b>report</b>.txt",
            sha256="e" * 64,
            format="txt",
            encoding="utf-8",
            chars=len(text),
            text=text,
        ),
        unit_name=Fact(value=unit, raw=unit, start=0, end=len(unit)),
        budget={
            "total_expenditure": Fact(
                value=8189300, unit="元", raw="818.93万元", start=start, end=start + 8
            )
        },
        problems=[Fact(value=problem, raw=problem, start=text.index(problem), end=len(text) - 1)],
        checks=[
            Check(
                id="text.breakdown",
                status="source_inconsistency",
                message="<b>bold</b> 1 + 1 = 3",
                facts=["budget.total_expenditure", f"text@{start}"],
            )
        ],
        rejected=[Rejected(path="grade", raw="<i>优</i>", reason="<u>not in the source</u>")],
    )


@pytest.fixture
def store(db_url, records) -> Store:
    store = Store(db_url)
    run = store.run_id("review-test", "model", "http://model", {}, {})
    for report in [*records.values(), hostile()]:
        store.save(run, Path(report.document.path), report.model_copy(deep=True), [], [], 0.0)
    yield store
    store.close()


def document_id(store: Store, sha256: str) -> int:
    with store.session() as session:
        return session.scalar(select(models.Document.id).where(models.Document.sha256 == sha256))


def fact(store: Store, document: int, path: str) -> models.Fact:
    with store.session() as session:
        return session.scalar(
            select(models.Fact).where(models.Fact.document_id == document, models.Fact.path == path)
        )


def reviews(store: Store) -> list[models.Review]:
    with store.session() as session:
        return session.scalars(select(models.Review).order_by(models.Review.id)).all()


def events(store: Store) -> list[models.Event]:
    with store.session() as session:
        return session.scalars(select(models.Event).order_by(models.Event.id)).all()


def reviewer(app, name: str) -> TestClient:
    client = TestClient(app, headers=ENGLISH)
    client.cookies.set(REVIEWER_COOKIE, quote(name))
    return client


class Forms(HTMLParser):
    """Each form of a page: its action and its fields' values."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append((attrs.get("action", ""), {}))
        elif (
            tag in ("input", "textarea")
            and self.forms
            and attrs.get("name")
            and attrs.get("type") != "checkbox"
        ):
            self.forms[-1][1][attrs["name"]] = attrs.get("value", "")

    def form(self, action: str) -> dict[str, str]:
        return next(dict(fields) for form_action, fields in self.forms if form_action == action)


def report_forms(client: TestClient, document: int) -> Forms:
    response = client.get(f"/reports/{document}")
    assert response.status_code == 200, response.text
    return Forms(response.text)


def test_confirm_correct_and_reject_are_stored_with_who_when_and_before_after(store, records):
    client = reviewer(create_app(store), "王芳")
    document = document_id(store, records["000"].document.sha256)
    forms = report_forms(client, document)
    basic = fact(store, document, "budget.basic_expenditure")
    total = fact(store, document, "budget.total_expenditure")
    score = fact(store, document, "indicators[1].score")

    response = client.post(
        f"/facts/{basic.id}/confirm",
        data=forms.form(f"/facts/{basic.id}/confirm"),
        follow_redirects=False,
    )
    assert response.status_code == 303
    # On to the next fact of the page, so that a reviewer can keep pressing c.
    then = forms.form(f"/facts/{basic.id}/confirm")["then"]
    assert response.headers["location"] == f"/reports/{document}#fact-{then}"

    # 818.93万元 → 611.34万元: a figure the source states, found nearest the old one.
    correction = forms.form(f"/facts/{total.id}/correct") | {"value": "611.34万元"}
    response = client.post(f"/facts/{total.id}/correct", data=correction, follow_redirects=False)
    assert response.status_code == 303, response.text
    response = client.post(
        f"/facts/{score.id}/reject",
        data=forms.form(f"/facts/{score.id}/confirm"),  # the reject button's form
        follow_redirects=False,
    )
    assert response.status_code == 303

    text = records["000"].document.text
    basic, total, score = (
        fact(store, document, path)
        for path in ("budget.basic_expenditure", "budget.total_expenditure", "indicators[1].score")
    )
    assert (basic.status, basic.review, basic.version) == ("confirmed", "confirmed", 2)
    assert (total.status, total.review, total.version) == ("corrected", "corrected", 2)
    assert (total.value, total.number, total.unit, total.raw) == (
        6113400,
        6113400,
        "元",
        "611.34万元",
    )
    assert text[total.start : total.end] == total.raw and total.start == text.index("611.34万元")
    assert "王芳" in total.note and "818.93万元" in total.note
    assert (score.review, score.status, score.version) == ("rejected", "verified", 2)

    logged = reviews(store)
    assert [(r.fact_id, r.action, r.reviewer) for r in logged] == [
        (basic.id, "confirm", "王芳"),
        (total.id, "correct", "王芳"),
        (score.id, "reject", "王芳"),
    ]
    assert logged[1].before["raw"] == "818.93万元" and logged[1].before["version"] == 1
    assert logged[1].after["raw"] == "611.34万元" and logged[1].after["version"] == 2
    assert logged[1].before["status"] == "source_inconsistent"
    assert all(r.at is not None for r in logged)

    # The page shows what was done, and by whom.
    page = client.get(f"/reports/{document}").text
    assert f'id="fact-{basic.id}"' in page and "confirmed by 王芳" in page
    assert re.search(rf'class="fact st-rejected rv-rejected" id="fact-{score.id}"', page)

    exported = next(e for e in exported_reports(store) if e.key == records["000"].document.sha256)
    assert exported.report.budget.basic_expenditure.status == "confirmed"
    assert exported.report.budget.total_expenditure.value == 6113400
    assert exported.report.indicators[1].score is None
    assert any(
        r.path == "indicators[1].score" and r.reason == REVIEWER_REJECTED
        for r in exported.report.rejected
    )
    assert exported.review_state == "partly reviewed"


def test_a_correction_is_found_in_the_source_or_marked_as_entered(store, records):
    client = reviewer(create_app(store), "李明")
    document = document_id(store, records["000"].document.sha256)
    forms = report_forms(client, document)
    total = fact(store, document, "budget.total_expenditure")
    form = forms.form(f"/facts/{total.id}/correct")

    response = client.post(f"/facts/{total.id}/correct", data=form | {"value": "900万元"})
    assert response.status_code == 422
    assert "is not in the source" in response.text and "900万元" in response.text
    assert fact(store, document, "budget.total_expenditure").version == 1
    assert reviews(store) == []

    response = client.post(
        f"/facts/{total.id}/correct",
        data=form | {"value": "900万元", "entered": "true"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    corrected = fact(store, document, "budget.total_expenditure")
    assert (corrected.value, corrected.unit, corrected.status) == (9000000, "元", "corrected")
    # The offsets still point at what the source says there; the note says why.
    assert (corrected.raw, corrected.start, corrected.end) == (total.raw, total.start, total.end)
    assert "entered by 李明, not found in the source" in corrected.note

    # An export checked again keeps the reviewer's value, and says it is not in the source.
    (exported,) = [e for e in exported_reports(store) if e.key == records["000"].document.sha256]
    from jixiao.check import run_checks

    results = run_checks(exported.report)
    assert exported.report.budget.total_expenditure.value == 9000000
    assert any(
        r.status == "hallucination" and "budget.total_expenditure" in r.facts for r in results
    )


def test_two_reviewers_on_one_fact_get_a_conflict_not_an_overwrite(store, records):
    app = create_app(store)
    first, second = reviewer(app, "王芳"), reviewer(app, "李明")
    document = document_id(store, records["003"].document.sha256)
    target = fact(store, document, "budget.execution_rate")
    seen_by_first = report_forms(first, document)
    seen_by_second = report_forms(second, document)

    response = first.post(
        f"/facts/{target.id}/confirm",
        data=seen_by_first.form(f"/facts/{target.id}/confirm"),
        follow_redirects=False,
    )
    assert response.status_code == 303
    for action, data in [
        ("correct", seen_by_second.form(f"/facts/{target.id}/correct") | {"value": "93.63%"}),
        ("reject", seen_by_second.form(f"/facts/{target.id}/confirm")),
        ("confirm", seen_by_second.form(f"/facts/{target.id}/confirm")),
    ]:
        response = second.post(f"/facts/{target.id}/{action}", data=data)
        assert response.status_code == 409, action
        assert "Someone else got there first" in response.text
        assert "Nothing was changed" in response.text and "王芳" in response.text
    after = fact(store, document, "budget.execution_rate")
    assert (after.review, after.version) == ("confirmed", 2)
    assert [(r.reviewer, r.action) for r in reviews(store)] == [("王芳", "confirm")]

    # Looked at again, the fact can be acted on; confirming it once more is an
    # action too, and moves the version on.
    fresh = report_forms(second, document)
    response = second.post(
        f"/facts/{target.id}/confirm",
        data=fresh.form(f"/facts/{target.id}/confirm"),
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert fact(store, document, "budget.execution_rate").version == 3
    assert [(r.reviewer, r.after["version"]) for r in reviews(store)] == [("王芳", 2), ("李明", 3)]
    response = first.post(
        f"/facts/{target.id}/reject",
        data=report_forms(first, document).form(f"/facts/{target.id}/confirm") | {"version": "2"},
    )
    assert response.status_code == 409


def test_the_database_refuses_a_change_made_in_the_same_instant(store, records):
    """Both reviewers read version 1; the first writes; the second's UPDATE finds
    no version 1 left and becomes a conflict."""
    document = document_id(store, records["001"].document.sha256)
    target = fact(store, document, "budget.initial_budget")
    with store.session() as session:
        stale = session.get(models.Fact, target.id)
        assert stale.version == 1
        actions.confirm(store, target.id, 1, "王芳")
        with pytest.raises(actions.Conflict):
            actions.apply(
                session, stale, 1, "李明", "reject", lambda row: setattr(row, "review", "rejected")
            )
    after = fact(store, document, "budget.initial_budget")
    assert (after.review, after.version) == ("confirmed", 2)
    assert [r.reviewer for r in reviews(store)] == ["王芳"]


def test_confirm_all_verified_confirms_only_what_the_page_showed(store, records):
    app = create_app(store)
    client, other = reviewer(app, "王芳"), reviewer(app, "李明")
    document = document_id(store, records["003"].document.sha256)
    action = f"/reports/{document}/confirm-verified"
    seen = report_forms(client, document).form(action)
    with store.session() as session:
        rows = session.scalars(select(models.Fact).where(models.Fact.document_id == document)).all()
    verified = {row.id for row in rows if row.status == "verified"}
    flagged = {row.id for row in rows if row.status != "verified"}
    assert flagged and {int(item.split(":")[0]) for item in seen["seen"].split()} == verified

    # Someone confirms one of them first: nothing is confirmed, and the page says which.
    one = min(verified)
    other_forms = report_forms(other, document)
    other.post(f"/facts/{one}/confirm", data=other_forms.form(f"/facts/{one}/confirm"))
    response = client.post(action, data=seen)
    assert response.status_code == 409 and "李明" in response.text
    assert len(reviews(store)) == 1

    seen = report_forms(client, document).form(action)
    response = client.post(action, data=seen, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/reports/{document}?confirmed={len(verified) - 1}"
    with store.session() as session:
        rows = session.scalars(select(models.Fact).where(models.Fact.document_id == document)).all()
    assert {row.id for row in rows if row.review == "confirmed"} == verified
    assert {row.id for row in rows if row.review == "unreviewed"} == flagged
    logged = reviews(store)
    assert len(logged) == len(verified)
    assert {r.reviewer for r in logged[1:]} == {"王芳"}
    assert (
        f"Confirmed {len(verified) - 1} verified facts"
        in client.get(f"/reports/{document}?confirmed={len(verified) - 1}").text
    )


def test_every_change_needs_the_pages_csrf_token(store, records):
    app = create_app(store)
    client = reviewer(app, "王芳")
    document = document_id(store, records["000"].document.sha256)
    forms = report_forms(client, document)
    target = fact(store, document, "unit_name")
    posts = {
        f"/facts/{target.id}/confirm": forms.form(f"/facts/{target.id}/confirm"),
        f"/facts/{target.id}/reject": forms.form(f"/facts/{target.id}/confirm"),
        f"/facts/{target.id}/correct": forms.form(f"/facts/{target.id}/correct"),
        f"/reports/{document}/confirm-verified": forms.form(
            f"/reports/{document}/confirm-verified"
        ),
        f"/reports/{document}/done": forms.form(f"/reports/{document}/done"),
        "/bulk": {"reports": str(document), "action": "confirm-verified", "back": "/"},
        "/reviewer": {"name": "x", "back": "/"},
    }
    # Every route that changes anything is among those tried here.
    changing = {
        route.path.replace("{fact_id}", str(target.id)).replace("{document_id}", str(document))
        for route in app.routes
        if getattr(route, "methods", None) and route.methods - {"GET", "HEAD"}
    }
    assert changing == set(posts)
    good = client.cookies[CSRF_COOKIE]
    for path, data in posts.items():
        data = data | {"csrf": good}
        for refused, headers in [
            ({k: v for k, v in data.items() if k != "csrf"}, {}),
            (data | {"csrf": "forged-" + good[7:]}, {}),
            (data, {"Sec-Fetch-Site": "cross-site"}),
        ]:
            response = client.post(path, data=refused, headers=headers)
            assert response.status_code == 403, (path, refused, headers)
            assert "nothing was changed" in response.text
    assert reviews(store) == [] and events(store) == []
    assert fact(store, document, "unit_name").version == 1
    # And the same requests with the token go through.
    response = client.post(
        f"/facts/{target.id}/confirm",
        data=posts[f"/facts/{target.id}/confirm"] | {"csrf": good},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_a_token_guards_every_request(store, records):
    app = create_app(store, token=TOKEN)
    client = TestClient(app, headers=ENGLISH)
    for path in (
        "/",
        "/reviewer",
        "/static/review.js",
        f"/reports/{document_id(store, records['000'].document.sha256)}",
    ):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 401, path
        assert "needs its token" in response.text
    assert client.get("/?token=wrong-token-here", follow_redirects=False).status_code == 401
    assert client.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/reviewer", data={"name": "x"}).status_code == 401

    response = client.get("/?token=" + TOKEN + "&state=unreviewed", follow_redirects=False)
    assert response.status_code == 303
    # The token leaves the address for a cookie.
    assert response.headers["location"] == "/?state=unreviewed"
    assert TOKEN not in response.headers["location"]
    assert "httponly" in response.headers["set-cookie"].lower()
    assert client.get("/static/review.js").status_code == 200
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/reviewer")
    bearer = TestClient(app, headers={"Authorization": f"Bearer {TOKEN}", **ENGLISH})
    assert bearer.get("/static/review.css").status_code == 200


def test_document_text_is_shown_as_text(store):
    client = reviewer(create_app(store), '<script>alert("me")</script>')
    document = document_id(store, "e" * 64)
    response = client.get(f"/reports/{document}")
    page = response.text
    assert response.status_code == 200
    assert "Content-Security-Policy" in response.headers
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "<b>" not in page and "<i>" not in page and "<u>" not in page
    assert "&lt;script&gt;alert(&#34;unit&#34;)&lt;/script&gt;医疗保障局" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt; 1 + 1 = 3" in page
    assert "&lt;script&gt;alert(&#34;me&#34;)&lt;/script&gt;" in page  # the reviewer's name
    # The only scripts are the app's own file.
    assert re.findall(r"<script[^>]*>", page) == [
        f'<script src="{client.base_url}/static/review.js" defer>'
    ]
    queue = client.get("/").text
    assert "<script>alert" not in queue and "&lt;script&gt;alert(&#34;unit&#34;)" in queue

    # A conflict page shows the fact's text, escaped too.
    unit = fact(store, document, "unit_name")
    forms = report_forms(client, document)
    client.post(f"/facts/{unit.id}/confirm", data=forms.form(f"/facts/{unit.id}/confirm"))
    response = client.post(f"/facts/{unit.id}/reject", data=forms.form(f"/facts/{unit.id}/confirm"))
    assert response.status_code == 409
    assert "<script>alert" not in response.text and "&lt;script&gt;" in response.text


def test_the_queue_puts_the_riskiest_first_and_filters(store, records):
    app = create_app(store)
    client = reviewer(app, "王芳")

    def order(query: str = "") -> list[str]:
        page = client.get("/" + query).text
        return re.findall(r"samples/(\d{3})_\w+\.txt</div>", page)

    with store.session() as session:
        flagged = dict(
            session.execute(
                select(models.Document.path, func.count())
                .join(models.Fact, models.Fact.document_id == models.Document.id)
                .where(models.Fact.status.in_(["source_inconsistent", "unit_anomaly"]))
                .group_by(models.Document.path)
            ).all()
        )
    shown = order()
    assert len(shown) == len(SAMPLES)
    counts = [
        next((n for path, n in flagged.items() if Path(path).name.startswith(name)), 0)
        for name in shown
    ]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
    assert order("?verdict=unit_anomaly") == ["003", "002"]
    assert order("?unit=辰溪") == ["000"]
    assert order("?year=2023") == [
        name for name, report in records.items() if report.fiscal_year.value == 2023
    ]

    # A report reviewed all through goes last, and says so.
    document = document_id(store, records["003"].document.sha256)
    forms = report_forms(client, document)
    client.post(
        f"/reports/{document}/confirm-verified",
        data=forms.form(f"/reports/{document}/confirm-verified"),
    )
    forms = report_forms(client, document)
    with store.session() as session:
        left = session.scalars(
            select(models.Fact.id).where(
                models.Fact.document_id == document, models.Fact.review == "unreviewed"
            )
        ).all()
    assert order("?state=partly+reviewed") == ["003"]
    for fact_id in left:
        client.post(f"/facts/{fact_id}/confirm", data=forms.form(f"/facts/{fact_id}/confirm"))
    assert order()[-1] == "003"
    assert order("?state=reviewed") == ["003"]
    page = client.get("/?state=reviewed").text
    assert "reviewed" in page and "王芳" in page


def test_the_queue_shows_and_filters_by_region(store):
    client = reviewer(create_app(store), "王芳")

    def shown(query: str = "") -> set[str]:
        page = client.get("/" + query).text
        return set(re.findall(r"samples/(\d{3})_\w+\.txt</div>", page))

    page = client.get("/").text
    assert "湖南省 怀化市 辰溪县" in page and "甘肃省 庆阳市 合水县" in page
    assert shown("?region=湖南省") == {"000", "001"}
    assert shown("?region=遂宁市") == {"002"}
    assert shown("?region=合水县") == {"003"}
    assert shown("?region=江苏省") == set()


def test_the_reviewer_gives_a_name_once(store):
    client = TestClient(create_app(store), headers=ENGLISH)
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/reviewer?back=/"
    csrf = Forms(client.get("/reviewer?back=/").text).form("/reviewer")["csrf"]
    for name in ("", " ", "x" * 65, "a\tb"):
        response = client.post("/reviewer", data={"csrf": csrf, "name": name})
        assert response.status_code == 400 and "1 to 64 characters" in response.text
    # Back to a page of this site only, never to another.
    response = client.post(
        "/reviewer",
        data={"csrf": csrf, "name": " 王芳 ", "back": "//elsewhere.example/"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "reviewing as <strong>王芳</strong>" in client.get("/").text


def test_review_refuses_another_host_without_a_token(tmp_path):
    runner = CliRunner()
    database = f"sqlite:///{tmp_path / 'r.db'}"
    result = runner.invoke(cli, ["review", "--db", database, "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "--token" in result.output
    result = runner.invoke(
        cli, ["review", "--db", database, "--host", "0.0.0.0", "--token", "short"]
    )
    assert result.exit_code != 0 and "12 characters" in result.output


@pytest.mark.parametrize(
    ("path", "old", "typed", "value", "found"),
    [
        # Money to 元, wherever the unit comes from.
        (
            "budget.total_expenditure",
            ("818.93万元", 8189300, "元"),
            "611.34万元",
            6113400,
            "611.34万元",
        ),
        (
            "budget.total_expenditure",
            ("818.93万元", 8189300, "元"),
            "611.34",
            6113400,
            "611.34万元",
        ),
        (
            "budget.total_expenditure",
            ("818.93万元", 8189300, "元"),
            "6113400元",
            6113400,
            "611.34万元",
        ),
        # A bare figure in a table headed 单位：万元 is read in 万元, as the pipeline read it.
        ("budget.initial_budget", ("633.91", 6339100, "元"), "551.87", 5518700, "551.87"),
        ("budget.execution_rate", ("100%", 100, "%"), "75.11%", 75.11, "75.11%"),
        ("staffing.actual", ("41人", 41, "人"), "45名", 45, "45名"),
        (
            "report_date",
            ("2025年4月1日", "2025-04-01", None),
            "2025年5月12日",
            "2025-05-12",
            "2025年5月12日",
        ),
        ("grade", ("良", "良", None), "优秀", "优秀", "优秀"),
    ],
)
def test_corrections_are_read_like_the_pipeline_reads_figures(path, old, typed, value, found):
    raw, old_value, unit = old
    text = f"前文 {raw}，另有 611.34万元、551.87、75.11%、45名，评为优秀，落款 2025年5月12日。"
    original = models.Fact(
        path=path,
        value=old_value,
        unit=unit,
        raw=raw,
        start=text.index(raw),
        end=text.index(raw) + len(raw),
    )
    fields = actions.correction(original, typed, text, "王芳", entered=False)
    assert fields["value"] == value
    assert fields["raw"] == found and text[fields["start"] : fields["end"]] == found
    assert fields["note"] == f"corrected by 王芳: was “{raw}” at {original.start}–{original.end}"


def test_a_correction_goes_to_the_place_nearest_the_value_it_replaces():
    text = "预算 10分 ………………………… 指标 分值 5 得分 4 … 另 10分"
    start = text.index("得分 4") + 3
    score = models.Fact(
        path="indicators[0].score", value=4, unit="分", raw="4", start=start, end=start + 1
    )
    fields = actions.correction(score, "10分", text, "王芳", entered=False)
    assert fields["start"] == text.rindex("10分")
    assert actions.correction(score, "5", text, "王芳", entered=False)["start"] == text.index("5")


def test_a_correction_that_is_no_figure_of_its_kind_is_refused():
    text = "总支出818.93万元，执行率100%。"
    total = models.Fact(
        path="budget.total_expenditure", value=8189300, unit="元", raw="818.93万元", start=3, end=11
    )
    with pytest.raises(actions.Refused, match="not one figure"):
        actions.correction(total, "很多", text, "王芳", entered=True)
    with pytest.raises(actions.Refused, match="sum of money"):
        actions.correction(total, "100%", text, "王芳", entered=True)
    with pytest.raises(actions.Refused, match="type the right value"):
        actions.correction(total, "  ", text, "王芳", entered=True)
    date = models.Fact(path="report_date", value="2025-05-12", raw="x", start=0, end=1)
    with pytest.raises(actions.Refused, match="not a date"):
        actions.correction(date, "明天", text, "王芳", entered=True)


def test_export_keeps_review_columns_with_their_items(store, records, tmp_path):
    """Rejecting a problem moves the ones after it up: their review states move with them."""
    client = reviewer(create_app(store), "王芳")
    document = document_id(store, records["000"].document.sha256)
    forms = report_forms(client, document)
    first, second = fact(store, document, "problems[0]"), fact(store, document, "problems[1]")
    client.post(f"/facts/{first.id}/reject", data=forms.form(f"/facts/{first.id}/confirm"))
    client.post(f"/facts/{second.id}/confirm", data=forms.form(f"/facts/{second.id}/confirm"))
    target = fact(store, document, "indicators[2].target")
    response = client.post(
        f"/facts/{target.id}/correct",
        data=forms.form(f"/facts/{target.id}/correct") | {"value": "≥95%", "entered": "true"},
        follow_redirects=False,
    )
    assert response.status_code == 303

    result = CliRunner().invoke(
        cli, ["export", "--db", store.url, "--format", "jsonl", "--out", str(tmp_path / "x.jsonl")]
    )
    assert result.exit_code == 0, result.output
    (record,) = [
        json.loads(line)
        for line in (tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()
        if json.loads(line)["document"]["sha256"] == records["000"].document.sha256
    ]
    assert record["problems"][0]["raw"] == second.raw
    indicator = record["indicators"][2]
    assert indicator["target"]["value"] == "≥95%" and indicator["target"]["status"] == "corrected"
    assert (indicator["target_op"], indicator["target_value"], indicator["target_unit"]) == (
        "≥",
        95.0,
        "%",
    )
    (exported,) = [e for e in exported_reports(store) if e.key == records["000"].document.sha256]
    assert exported.reviews["problems[0]"] == "confirmed"
    assert exported.reviews["problems[1]"] == "unreviewed"


@pytest.fixture
def invented(db_url) -> Store:
    """A store of invented reports (no cassette): a project report, a department
    report, and one of no kind."""
    store = Store(db_url)
    run = store.run_id("invented", "model", "http://model", {}, {})
    department = project_report("d" * 64)
    department.kind = "department"
    department.document.path = "invented/department.txt"
    for report in (project_report(), department, hostile()):
        store.save(run, Path(report.document.path), report, [], [], 0.0)
    yield store
    store.close()


def test_the_kind_and_what_nothing_read_show_on_the_report_page(invented):
    client = reviewer(create_app(invented), "王芳")
    report = project_report()
    document = document_id(invented, report.document.sha256)
    page = client.get(f"/reports/{document}").text
    assert "kind: project" in page and "2 stretches of figures nothing read" in page

    class Unread(HTMLParser):
        """The source's stretches marked unread: their text and tooltip."""

        def __init__(self) -> None:
            super().__init__()
            self.marks: list[list[str]] = []
            self.depth = 0

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if self.depth:
                self.depth += 1
            elif "unread" in (attrs.get("class") or "").split() and tag in ("span", "mark"):
                self.marks.append([attrs["title"], ""])
                self.depth = 1

        def handle_endtag(self, tag):
            self.depth = max(0, self.depth - 1)

        def handle_data(self, data):
            if self.depth:
                self.marks[-1][1] += data

    marks = Unread()
    marks.feed(page)
    assert [(text, title) for title, text in marks.marks] == [
        (
            report.document.text[stretch.start : stretch.end],
            f"not read by the pipeline: {stretch.reason}",
        )
        for stretch in report.unread
    ]
    # Listed beside the record with a link to its place; the reason is text, never markup.
    for stretch in report.unread:
        assert f'<span class="anchor" id="at-{stretch.start}">' in page
        assert f'href="#at-{stretch.start}"' in page
    assert "<b>偏差</b>" not in page and "&lt;b&gt;偏差&lt;/b&gt;" in page
    # An indicator names the project it measures.
    assert "1. 产出指标 › 数量指标 › 新建农田面积 · 项目 1. 高标准农田建设" in page
    assert "2. 满意度指标 › 服务对象满意度指标 › 农户满意度 · 项目 2. 农机购置补贴" in page
    # A report of no kind, with nothing unread, says neither.
    response = client.get(f"/reports/{document_id(invented, 'e' * 64)}")
    assert response.status_code == 200
    assert "报告类型" not in response.text and 'id="unread"' not in response.text


def test_what_nothing_read_says_why_in_the_readers_language(invented):
    """The reason a stretch went unread, from the words kept with it; one stored
    without them says its English. The column title in it is the document's text."""
    report = project_report()
    document = document_id(invented, report.document.sha256)
    client = chinese_reviewer(create_app(invented))
    page = client.get(f"/reports/{document}").text
    said = "“&lt;b&gt;偏差&lt;/b&gt;”列，词表中没有此列名"
    assert f"</a> {said}</li>" in page
    assert f'title="流水线未读取：{said}"' in page
    assert "</a> a column no vocabulary names</li>" in page
    assert "which no vocabulary names" not in page and "<b>偏差</b>" not in page


def test_project_facts_are_shown_and_reviewed_like_any_other(invented):
    client = reviewer(create_app(invented), "王芳")
    document = document_id(invented, "b" * 64)
    forms = report_forms(client, document)
    page = client.get(f"/reports/{document}").text
    for name in NEW_PROJECT_FIELDS:
        row = fact(invented, document, f"projects[0].{name}")
        assert f'title="projects[0].{name}"' in page and f'id="fact-{row.id}"' in page
        assert f"/facts/{row.id}/correct" in page
    assert '<span class="label" title="projects[0].goal_result">目标完成情况</span>' in page

    supervisor = fact(invented, document, "projects[0].supervisor")
    response = client.post(
        f"/facts/{supervisor.id}/confirm",
        data=forms.form(f"/facts/{supervisor.id}/confirm"),
        follow_redirects=False,
    )
    assert response.status_code == 303
    # 年初预算 read as the figure beside it: 150.00 in a table of 万元.
    initial = fact(invented, document, "projects[0].initial_budget")
    response = client.post(
        f"/facts/{initial.id}/correct",
        data=forms.form(f"/facts/{initial.id}/correct") | {"value": "150.00万元"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    rate = fact(invented, document, "projects[0].execution_rate")
    response = client.post(
        f"/facts/{rate.id}/correct",
        data=forms.form(f"/facts/{rate.id}/correct") | {"value": "95%", "entered": "true"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text

    assert fact(invented, document, "projects[0].supervisor").review == "confirmed"
    initial = fact(invented, document, "projects[0].initial_budget")
    assert (initial.value, initial.unit, initial.raw) == (1500000, "元", "150.00")
    assert (fact(invented, document, "projects[0].execution_rate").value) == 95
    (exported,) = [e for e in exported_reports(invented) if e.key == "b" * 64]
    project = exported.report.projects[0]
    assert project.supervisor.status == "confirmed" and project.initial_budget.value == 1500000
    assert exported.reviews["projects[0].execution_rate"] == "corrected"


def test_the_queue_shows_and_filters_by_kind(invented):
    client = reviewer(create_app(invented), "王芳")

    def shown(query: str = "") -> list[str]:
        return sorted(re.findall(r'<div class="path">([^<]+)</div>', client.get("/" + query).text))

    everything = [
        "evil/&lt;b&gt;report&lt;/b&gt;.txt",
        "invented/department.txt",
        "invented/project.txt",
    ]
    assert shown() == everything and shown("?kind=nonsense") == everything
    assert shown("?kind=project") == ["invented/project.txt"]
    assert shown("?kind=department") == ["invented/department.txt"]
    assert shown("?kind=transfer") == []
    page = client.get("/?kind=project").text
    assert '<option value="project" selected>project</option>' in page
    assert "<td>project</td>" in page


# --- the checks run again; bulk work; the queue in SQL --------------------------------


def correct(client: TestClient, store: Store, document: int, path: str, typed: str):
    target = fact(store, document, path)
    form = report_forms(client, document).form(f"/facts/{target.id}/correct")
    return client.post(f"/facts/{target.id}/correct", data=form | {"value": typed})


def checks(store: Store, document: int) -> dict[str, str]:
    with store.session() as session:
        rows = session.scalars(select(models.Check).where(models.Check.document_id == document))
        return {row.check_id: row.status for row in rows if not row.check_id.startswith("text.")}


def entry(store: Store, document: int) -> models.QueueEntry:
    with store.session() as session:
        return session.get(models.QueueEntry, document)


def test_a_correction_runs_the_checks_again_and_the_page_says_what_changed(store, records):
    client = reviewer(create_app(store), "王芳")
    document = document_id(store, records["001"].document.sha256)
    assert checks(store, document)["budget.total_parts"] == "pass"
    before = entry(store, document)

    # The total spent corrected to the project figure: basic + project ≠ total.
    page = correct(client, store, document, "budget.total_expenditure", "1944.47")
    assert page.status_code == 200 and "?changes=" in str(page.url)
    banner = page.text[page.text.index('id="rechecked"') :]
    banner = banner[: banner.index("</div>")]
    assert (
        'raised: <span class="badge">source inconsistency</span> <code>budget.total_parts</code>'
        in banner
    )
    assert checks(store, document)["budget.total_parts"] == "source_inconsistency"
    # The figures the check names that nobody reviewed are flagged with its arithmetic;
    # the corrected one keeps the reviewer's status.
    project = fact(store, document, "budget.project_expenditure")
    assert project.status == "source_inconsistent" and "basic + project = total" in project.note
    assert fact(store, document, "budget.total_expenditure").status == "corrected"
    # The queue follows: more flagged figures and failed checks than before.
    after = entry(store, document)
    assert after.flagged > before.flagged and after.failed > before.failed
    (exported,) = [e for e in exported_reports(store) if e.key == records["001"].document.sha256]
    (total_parts,) = [c for c in exported.report.checks if c.id == "budget.total_parts"]
    assert total_parts.status == "source_inconsistency"
    assert exported.report.budget.project_expenditure.status == "source_inconsistent"

    # Corrected back: the inconsistency is resolved, the flag and its note gone.
    page = correct(client, store, document, "budget.total_expenditure", "2496.34")
    banner = page.text[page.text.index('id="rechecked"') :]
    assert (
        'resolved: <span class="badge">source inconsistency</span> <code>budget.total_parts</code>'
        in banner
    )
    assert checks(store, document)["budget.total_parts"] == "pass"
    project = fact(store, document, "budget.project_expenditure")
    assert (project.status, project.note) == ("verified", None)
    assert entry(store, document).flagged == before.flagged
    rechecks = [event for event in events(store) if event.action == "recheck"]
    assert [(e.detail["after"], e.detail["fact"]) for e in rechecks] == [
        ("correct", "budget.total_expenditure")
    ] * 2


def test_a_rejection_runs_the_checks_again_without_the_fact(store, records):
    client = reviewer(create_app(store), "王芳")
    document = document_id(store, records["001"].document.sha256)
    total = fact(store, document, "budget.total_expenditure")
    form = report_forms(client, document).form(f"/facts/{total.id}/confirm")
    page = client.post(f"/facts/{total.id}/reject", data=form)
    assert page.status_code == 200 and 'id="rechecked"' in page.text
    # No check names the rejected figure any more, as the export has none.
    with store.session() as session:
        named = session.scalars(
            select(models.Check.facts).where(models.Check.document_id == document)
        ).all()
    assert not any("budget.total_expenditure" in names for names in named)
    (event,) = events(store)
    assert (event.action, event.reviewer, event.detail["after"]) == ("recheck", "王芳", "reject")
    resolved = {item["id"] for item in event.detail["resolved"]}
    assert all(check not in resolved for check in checks(store, document))


def test_bulk_confirm_assign_mark_done_and_the_history(store, records):
    client = reviewer(create_app(store), "王芳")
    chosen = [document_id(store, records[key].document.sha256) for key in ("000", "001")]
    verified = {
        document: {
            row.id
            for row in session_facts(store, document)
            if row.status == "verified" and row.review == "unreviewed"
        }
        for document in chosen
    }
    queue_page = client.get("/")
    form = Forms(queue_page.text).form("/bulk")
    response = client.post(
        "/bulk", data=form | {"reports": [str(d) for d in chosen], "action": "confirm-verified"}
    )
    total = sum(len(ids) for ids in verified.values())
    assert response.status_code == 200 and f"Confirmed {total} verified facts" in response.text
    # One review row per fact, as if confirmed one by one.
    confirmed = reviews(store)
    assert {r.fact_id for r in confirmed} == set().union(*verified.values())
    assert {(r.action, r.reviewer, r.after["status"]) for r in confirmed} == {
        ("confirm", "王芳", "confirmed")
    }
    assert all(
        entry(store, document).to_review < entry(store, document).facts for document in chosen
    )

    response = client.post(
        "/bulk",
        data=form | {"reports": [str(d) for d in chosen], "action": "assign", "assignee": "李强"},
    )
    assert "Assigned 2 reports" in response.text
    mine = client.get("/", params={"assignee": "李强"})
    assert mine.text.count('name="reports"') == 2

    forms = report_forms(client, chosen[0])
    page = client.post(f"/reports/{chosen[0]}/done", data=forms.form(f"/reports/{chosen[0]}/done"))
    assert 'id="done-by"' in page.text and entry(store, chosen[0]).done_by == "王芳"
    history = page.text[page.text.index('id="history"') :]
    assert "marked done" in history and "assigned to 李强" in history
    assert history.count("h-confirm") == len(verified[chosen[0]])
    assert client.get("/", params={"done": "done"}).text.count('name="reports"') == 1
    # Opened again, it is no longer done.
    forms = report_forms(client, chosen[0])
    client.post(f"/reports/{chosen[0]}/done", data=forms.form(f"/reports/{chosen[0]}/done"))
    assert entry(store, chosen[0]).done_at is None


def session_facts(store: Store, document: int) -> list[models.Fact]:
    with store.session() as session:
        return session.scalars(select(models.Fact).where(models.Fact.document_id == document)).all()


def test_the_queue_pages_and_sorts_in_sql(store):
    from jixiao.review.views import SORTS, Filters, queue

    with store.session() as session:
        entries = session.scalars(select(models.QueueEntry)).all()
        for sort in SORTS:
            whole, total = queue(session, Filters(), 1, 100, sort)
            assert total == len(entries) == len(whole)
            # Pages of two, put together, are the whole queue: none twice, none left out.
            paged = [
                row.id for page in (1, 2, 3) for row in queue(session, Filters(), page, 2, sort)[0]
            ]
            assert paged == [row.id for row in whole]
        risky, _ = queue(session, Filters(), 1, 100, "risk")
        risk = [
            (e.cleared, -e.flagged, -e.failed, -e.rejected, -e.to_review, e.document_id)
            for e in (row.entry for row in risky)
        ]
        assert risk == sorted(risk)
        years, _ = queue(session, Filters(), 1, 100, "year")
        known = [row.year for row in years if row.year is not None]
        assert known == sorted(known, reverse=True) and years[-1].year is None or not known
        rows, total = queue(session, Filters(kind="project"), 1, 100, "risk")
        assert total == len(rows) and {row.kind for row in rows} <= {"project"}


# --- the reviewers' language ------------------------------------------------------------

LOCALE = ROOT / "src/jixiao/review/locale/zh_CN/LC_MESSAGES"


def test_the_pages_are_chinese_by_default_and_english_on_request(store):
    app = create_app(store)
    client = TestClient(app)
    client.cookies.set(REVIEWER_COOKIE, quote("王芳"))
    page = client.get("/").text
    assert '<html lang="zh-CN">' in page
    for chinese in (
        "审核队列",
        "筛选",
        "源数据不一致",
        "审核状态",
        "审核人：<strong>王芳</strong>",
    ):
        assert chinese in page
    assert "Filter</button>" not in page and "riskiest first" not in page
    assert ">English</a>" in page

    english = client.get("/?lang=en")
    assert '<html lang="en">' in english.text and "Filter</button>" in english.text
    assert "riskiest first" in english.text and ">中文</a>" in english.text
    # Remembered: the next page without ?lang= is English too, until 中文 is asked for.
    assert "Click a bar to see its reports" in client.get("/dashboard").text
    assert "概览" in client.get("/dashboard?lang=zh_CN").text
    assert "审核队列" in client.get("/").text

    # A browser that prefers English gets English; one that prefers Chinese, Chinese.
    fresh = TestClient(app, headers={"Accept-Language": "en-US,en;q=0.9,zh;q=0.5"})
    fresh.cookies.set(REVIEWER_COOKIE, quote("王芳"))
    assert "Filter</button>" in fresh.get("/").text
    fresh.headers["Accept-Language"] = "zh-CN,zh;q=0.9,en;q=0.8"
    assert "筛选" in fresh.get("/").text


def test_messages_from_python_are_translated(store):
    """A refusal built in Python comes in Chinese by default, in English on request."""
    client = TestClient(create_app(store))
    client.cookies.set(REVIEWER_COOKIE, quote("王芳"))
    page = client.get("/reports/999999")
    assert page.status_code == 404 and "不存在编号为 999999 的报告。" in page.text
    page = client.get("/reports/999999?lang=en")
    assert "There is no report 999999." in page.text


def test_a_refusal_puts_the_typed_text_in_escaped():
    from markupsafe import Markup

    from jixiao.review.i18n import template_callables

    hostile = "<script>alert(1)</script>"
    for language in ("zh_CN", "en"):
        shown = template_callables(language)["t"](
            M_("“%(typed)s” does not read as %(how)s", typed=hostile, how=M_("a year, e.g. 2024"))
        )
        assert isinstance(shown, Markup) and "<script>" not in shown and "&lt;script&gt;" in shown
    assert "年份" in template_callables("zh_CN")["t"](
        M_("“%(typed)s” does not read as %(how)s", typed="x", how=M_("a year, e.g. 2024"))
    )
    # str() of a message, as the CLI and the logs see it, stays English.
    assert str(M_("There is no fact %(id)s.", id=3)) == "There is no fact 3."


def chinese_reviewer(app) -> TestClient:
    client = TestClient(app)
    client.cookies.set(REVIEWER_COOKIE, quote("王芳"))
    return client


def test_check_messages_and_rejections_speak_the_readers_language(store, records):
    """A verdict, a rejection and the note a verdict left on a fact come in Chinese
    by default and in English with ?lang=en, from the templates stored with them;
    the figures in them are the source's and the arithmetic's, as they were."""
    client = chinese_reviewer(create_app(store))
    document = document_id(store, records["002"].document.sha256)
    figures = "15,333,580.16 (15333580.16元) ÷ 15,333,580.16 (15333580.16元) = 100.00%"
    english = f"total ÷ full-year budget: {figures}, but the source states 99.7%"
    assert english in [check.message for check in records["002"].checks]
    chinese = f"总支出 ÷ 全年预算：{figures}，但原文为 99.7%"

    page = client.get(f"/reports/{document}").text
    assert f'<div class="message">{chinese}</div>' in page
    assert f'<div class="note">{chinese}</div>' in page  # the flagged figures' note
    assert "<code>budget.execution_rate</code> “96.25%”: 原文中没有</li>" in page
    assert english not in page and "not in the source" not in page

    page = client.get(f"/reports/{document}?lang=en").text
    assert f'<div class="message">{english}</div>' in page
    assert f'<div class="note">{english}</div>' in page
    assert "<code>budget.execution_rate</code> “96.25%”: not in the source</li>" in page
    assert chinese not in page and "原文中没有" not in page

    # The export and the CLI keep the English.
    (exported,) = [e for e in exported_reports(store) if e.key == records["002"].document.sha256]
    assert english in [check.message for check in exported.report.checks]


def test_what_the_checks_raise_and_resolve_speaks_the_readers_language(store, records):
    client = chinese_reviewer(create_app(store))
    document = document_id(store, records["001"].document.sha256)
    page = correct(client, store, document, "budget.total_expenditure", "1944.47")
    banner = page.text[page.text.index('id="rechecked"') :]
    banner = banner[: banner.index("</div>")]
    assert (
        '新出现： <span class="badge">源数据不一致</span> <code>budget.total_parts</code>'
        " 基本支出 + 项目支出 = 总支出：" in banner
    )
    assert "，但原文为 1944.47" in banner and "but the source states" not in banner


def test_document_text_inside_a_translated_message_is_escaped(store):
    """A template's values are put in after translation, escaped; a verdict stored
    before verdicts kept their templates shows its English, escaped too."""
    text = "总支出<script>alert(1)</script>万元\n"
    raw = "<script>alert(1)</script>"
    start = text.index(raw)
    message = M_("“%(raw)s” holds no single figure", raw=raw)
    report = Report(
        document=DocumentInfo(
            path="evil/figure.txt",
            sha256="f" * 64,
            format="txt",
            encoding="utf-8",
            chars=len(text),
            text=text,
        ),
        checks=[
            Check(
                id="grounding",
                status="hallucination",
                message=str(message),
                template=message,
                facts=[f"text@{start}"],
            )
        ],
        rejected=[Rejected.because("budget.total_expenditure", raw, message)],
    )
    run = store.run_id("review-test", "model", "http://model", {}, {})
    store.save(run, Path(report.document.path), report, [], [], 0.0)
    client = chinese_reviewer(create_app(store))
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for language, said in (
        ("zh_CN", f"“{escaped}”中没有唯一的数字"),
        ("en", f"“{escaped}” holds no single figure"),
    ):
        page = client.get(f"/reports/{document_id(store, 'f' * 64)}?lang={language}").text
        assert "<script>alert" not in page
        assert f'<div class="message">{said}</div>' in page
        assert f"“{escaped}”: {said}</li>" in page
    old = client.get(f"/reports/{document_id(store, 'e' * 64)}?lang=zh_CN").text
    assert '<div class="message">&lt;b&gt;bold&lt;/b&gt; 1 + 1 = 3</div>' in old
    assert "“&lt;i&gt;优&lt;/i&gt;”: &lt;u&gt;not in the source&lt;/u&gt;</li>" in old


def test_the_error_pages_speak_the_readers_language(store, monkeypatch):
    """The token's refusal (401), an address that is no page (404), a method an
    address does not take (405) and a fault of the server's own (500) are pages
    in the reader's language, with the headers of every page."""
    client = TestClient(create_app(store, token=TOKEN))
    refused = client.get("/reports/1")
    assert refused.status_code == 401 and '<html lang="zh-CN">' in refused.text
    assert "<h1>需要访问令牌</h1>" in refused.text
    assert "以 <code>?token=…</code> 结尾" in refused.text and "needs its token" not in refused.text
    assert refused.headers["Content-Security-Policy"] == CSP
    english = client.get("/reports/1?lang=en")
    assert english.status_code == 401 and "needs its token" in english.text
    assert "需要访问令牌" not in english.text
    assert "needs its token" in client.get("/").text  # the choice is remembered

    client = TestClient(create_app(store), raise_server_exceptions=False)
    client.cookies.set(REVIEWER_COOKIE, quote("王芳"))
    for path, status, chinese, english in (
        ("/nowhere", 404, "此地址没有页面。", "There is no page at this address."),
        ("/static/nothing.js", 404, "此地址没有页面。", "There is no page at this address."),
        (
            "/bulk",
            405,
            "此地址不接受这类请求。",
            "This address does not take that kind of request.",
        ),
    ):
        page = client.get(f"{path}?lang=zh_CN")
        assert page.status_code == status and chinese in page.text, path
        assert page.headers["Content-Security-Policy"] == CSP
        assert english in client.get(f"{path}?lang=en").text
    assert client.get("/bulk").headers["allow"] == "POST"

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("jixiao.review.app.dashboard", broken)
    page = client.get("/dashboard?lang=zh_CN")
    assert page.status_code == 500 and "<h1>服务器出错</h1>" in page.text
    assert "the database went away" not in page.text
    assert page.headers["Content-Security-Policy"] == CSP
    assert "Something went wrong" in client.get("/dashboard?lang=en").text


def test_every_message_has_a_chinese_translation():
    from babel.messages.pofile import read_po

    with (LOCALE / "messages.po").open("rb") as file:
        catalog = read_po(file)
    messages = [message for message in catalog if message.id]
    assert len(messages) > 100
    for message in messages:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"no translation of {message.id!r}"
        assert not message.fuzzy, f"fuzzy translation of {message.id!r}"
        assert not list(message.check(catalog)), message.id  # the same placeholders


def test_the_catalog_in_the_code_and_templates_is_the_po_and_the_mo_is_compiled():
    """`make i18n` was run: every message the code and the templates mark is in
    the .po, none is left over, and the .mo says what the .po says. The code and
    templates are those babel.cfg names, as for `make i18n`."""
    import gettext

    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from babel.messages.pofile import read_po

    with (LOCALE / "messages.po").open("rb") as file:
        catalog = read_po(file)
    with (ROOT / "babel.cfg").open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    marked = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(
            ROOT / "src",
            method_map=[(pattern.removeprefix("src/"), method) for pattern, method in method_map],
            options_map={
                pattern.removeprefix("src/"): options for pattern, options in options_map.items()
            },
            keywords={"N_": None, "M_": None, "_": None, "gettext": None, "ngettext": (1, 2)},
        )
    }
    # The pipeline's messages, shown on the pages, are in the catalog too.
    assert {"not in the source", "%(label)s: %(arithmetic)s = %(stated)s"} <= marked
    known = {message.id if isinstance(message.id, str) else message.id[0] for message in catalog}
    known.discard("")
    assert marked == known
    compiled = gettext.GNUTranslations((LOCALE / "messages.mo").open("rb"))
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            assert compiled.ngettext(message.id[0], message.id[1], 1) == message.string[0]
        else:
            assert compiled.gettext(message.id) == message.string


def test_a_report_ingested_again_keeps_its_reviews_where_the_run_read_it_alike(store, records):
    """A run with another model makes a new ingestion, which the queue and the
    export follow. What reviewers did to the one before stands where the new run
    extracted what they saw; a figure it read differently waits for a person."""
    report = records["001"]
    earlier = document_id(store, report.document.sha256)
    paths = [path for path, item in facts_of(report) if path.startswith(("budget.", "staffing."))]
    kept, rejected, changed = [p for p in paths if p != "budget.total_expenditure"][:3]
    for path, act in ((kept, actions.confirm), (rejected, actions.reject)):
        act(store, fact(store, earlier, path).id, fact(store, earlier, path).version, "王芳")
    actions.confirm(
        store, fact(store, earlier, changed).id, fact(store, earlier, changed).version, "王芳"
    )
    target = fact(store, earlier, "budget.total_expenditure")
    actions.correct(store, target.id, target.version, "李明", "1944.47", entered=False)
    corrected = fact(store, earlier, "budget.total_expenditure")

    again = report.model_copy(deep=True)
    other = dict(facts_of(again))[changed]
    other.value = other.value + 1  # the new model read this one otherwise
    run = store.run_id("review-test-again", "another-model", "http://model", {}, {})
    store.save(run, Path(report.document.path), again, [], [], 0.0)
    with store.session() as session:
        later = session.scalar(
            select(func.max(models.Document.id)).where(
                models.Document.sha256 == report.document.sha256
            )
        )
    assert later != earlier

    assert fact(store, later, kept).review == "confirmed"
    assert fact(store, later, rejected).review == "rejected"
    assert fact(store, later, changed).review == "unreviewed"
    now = fact(store, later, "budget.total_expenditure")
    assert (now.review, now.value, now.raw, now.start) == (
        "corrected",
        corrected.value,
        corrected.raw,
        corrected.start,
    )
    # The checks ran on the corrected figure, as after the correction itself.
    assert checks(store, later)["budget.total_parts"] == "source_inconsistency"
    assert checks(store, earlier)["budget.total_parts"] == "source_inconsistency"
    carried = [r for r in reviews(store) if r.fact_id in {fact(store, later, p).id for p in paths}]
    assert sorted((r.reviewer, r.action) for r in carried) == [
        ("李明", "correct"),
        ("王芳", "confirm"),
        ("王芳", "reject"),
    ]
    page = chinese_reviewer(create_app(store)).get(f"/reports/{later}").text
    assert f"沿用入库记录 #{earlier} 的审核：3 项" in page
    (exported,) = [e for e in exported_reports(store) if e.key == report.document.sha256]
    assert dict(facts_of(exported.report))["budget.total_expenditure"].value == corrected.value
