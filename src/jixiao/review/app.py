"""The review web app: pages rendered on the server, a little plain JavaScript.

Safety, since report text is untrusted and reviewers may share a server:

- with a token (`jixiao review --token`), every request must carry it: once in
  the address (``?token=…``, then kept in a cookie and taken out of the
  address), in that cookie, or as ``Authorization: Bearer …``;
- every change is a POST that carries the page's CSRF token, which must match
  the reviewer's cookie (double submit; the cookie is SameSite=Lax, so another
  site's form comes without it) and, where the browser says where it comes
  from, come from this site;
- templates escape everything (Jinja2 autoescape) and the Content-Security-Policy
  allows scripts and styles from this server's files only;
- each form names the version of the fact the reviewer saw; a fact changed
  since is a conflict (HTTP 409), never an overwrite (`actions`).
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlencode

from fastapi import Depends, FastAPI, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from starlette.exceptions import HTTPException as StarletteHTTPException

from jixiao.check import CHECK_NAMES
from jixiao.errors import JixiaoError
from jixiao.messages import M_, N_, Message
from jixiao.review import actions
from jixiao.review.dashboard import dashboard
from jixiao.review.i18n import LANG_COOKIE, LANGUAGES, negotiate, template_callables
from jixiao.review.views import (
    DONE,
    KINDS,
    MEASURES,
    SORTS,
    STATES,
    VERDICTS,
    Filters,
    after,
    queue,
    rechecked,
    report_view,
)
from jixiao.store import Store, models

HERE = Path(__file__).parent
TOKEN_COOKIE = "jixiao_token"
CSRF_COOKIE = "jixiao_csrf"
REVIEWER_COOKIE = "jixiao_reviewer"
PAGE_SIZE = 100
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
    " connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # The token can stand in an address: it must not travel on in a Referer.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,64}")
# What the routing and the static files refuse, by status: the title and the message.
_HTTP_ERRORS = {
    400: (N_("Refused"), N_("The request was incomplete or damaged: reload the page.")),
    404: (N_("Not found"), N_("There is no page at this address.")),
    405: (N_("Refused"), N_("This address does not take that kind of request.")),
}


class PageError(JixiaoError):
    """A request refused, shown as a page that says why and what to do."""

    def __init__(
        self, status: int, title: str, message: Message | str, back: str = "/", **extra
    ) -> None:
        super().__init__(str(message))
        self.status, self.title, self.message, self.back = status, title, message, back
        self.extra = extra


def _same(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and hmac.compare_digest(given.encode(), expected.encode())  # type: ignore[union-attr]


def _local(path: str | None) -> str:
    """A path on this site to go back to: never an address elsewhere."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/"


async def checked(request: Request) -> None:
    """Every change: the form's CSRF token is the cookie's, from this site."""
    form = await request.form()
    sent = form.get("csrf")
    site = request.headers.get("sec-fetch-site")
    if site not in (None, "same-origin", "none") or not _same(
        sent if isinstance(sent, str) else None, request.cookies.get(CSRF_COOKIE)
    ):
        raise PageError(
            403,
            N_("Refused"),
            N_(
                "This form is out of date or came from another site, so nothing was changed."
                " Reload the page and try again."
            ),
        )


def _named(request: Request) -> str:
    name = _reviewer(request)
    if name is None:
        raise PageError(
            400,
            N_("Who are you?"),
            N_("Every review is stored with the reviewer's name: give yours first."),
            back="/reviewer",
        )
    return name


Reviewer = Annotated[str, Depends(_named)]
Version = Annotated[int, Form()]
Then = Annotated[int | None, Form()]  # the fact to go on to


def create_app(store: Store, token: str | None = None) -> FastAPI:
    app = FastAPI(title="jixiao review", docs_url=None, redoc_url=None, openapi_url=None)
    environment = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        extensions=["jinja2.ext.i18n"],
        autoescape=True,  # every template, whatever its name: documents are untrusted
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.policies["ext.i18n.trimmed"] = True
    # New style: a trans block's values are put in after translation, escaped. The
    # callables themselves come with each page, in the request's language.
    environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    environment.globals["after"] = after
    templates = Jinja2Templates(env=environment)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        language = getattr(request.state, "language", None) or negotiate(None, None, None)
        other = "en" if language != "en" else "zh_CN"
        switch = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        context |= {
            # None on the pages of a request the token refused: they hold no form.
            "csrf": getattr(request.state, "csrf", None),
            "reviewer": _reviewer(request),
            "html_lang": LANGUAGES[language],
            "language": language,
            "switch": (other, f"{request.url.path}?{urlencode([*switch, ('lang', other)])}"),
            **template_callables(language),
        }
        return templates.TemplateResponse(request, name, context, status_code=status)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]):
        asked = request.query_params.get("lang")
        request.state.language = negotiate(
            asked, request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")
        )
        response = _admit(request, token, lambda: page(request, "token.html", 401))
        if response is None:
            fresh = not re.fullmatch(r"[\w-]{43}", request.cookies.get(CSRF_COOKIE, ""))
            request.state.csrf = (
                secrets.token_urlsafe(32) if fresh else request.cookies[CSRF_COOKIE]
            )
            response = await call_next(request)
            if fresh:
                _cookie(response, request, CSRF_COOKIE, request.state.csrf)
        if asked is not None and asked.replace("-", "_") in LANGUAGES:
            _cookie(response, request, LANG_COOKIE, request.state.language, days=365)
        response.headers.update(_HEADERS)
        return response

    @app.exception_handler(PageError)
    async def refused(request: Request, error: PageError) -> HTMLResponse:
        return page(request, "message.html", error.status, error=error, **error.extra)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, error: RequestValidationError) -> HTMLResponse:
        return await refused(request, PageError(400, *_HTTP_ERRORS[400]))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> HTMLResponse:
        """What the routing and the static files refuse (no such page, a method
        an address does not take), as a page in the reader's language."""
        title, message = _HTTP_ERRORS.get(error.status_code, _HTTP_ERRORS[400])
        response = await refused(request, PageError(error.status_code, title, message))
        response.headers.update(error.headers or {})
        return response

    @app.exception_handler(500)
    async def failed(request: Request, error: Exception) -> HTMLResponse:
        """A fault of the server's own: the exception goes on to the log, the
        reviewer gets a page that says so. It is answered outside `guard`, so the
        page takes the headers here."""
        response = await refused(
            request,
            PageError(
                500,
                N_("Something went wrong"),
                N_(
                    "The server could not answer this request. Reload the page; if it fails"
                    " again, tell whoever runs the server (its log says why)."
                ),
            ),
        )
        response.headers.update(_HEADERS)
        return response

    def change(path: str):
        """A route that changes anything: it takes the CSRF check first."""
        return app.post(path, dependencies=[Depends(checked)])

    # --- pages ----------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def queue_page(
        request: Request,
        unit: str = "",
        region: str = "",
        year: str = "",
        verdict: str = "",
        state: str = "",
        kind: str = "",
        assignee: str = "",
        done: str = "",
        sort: str = "risk",
        check: str = "",
        measure: str = "",
        low: str = "",
        high: str = "",
        number: Annotated[int, Query(alias="page", ge=1)] = 1,
        confirmed: int | None = None,
        assigned: int | None = None,
    ) -> Response:
        if _reviewer(request) is None:
            return _see_other(f"/reviewer?back={quote(str(request.url.path))}")
        filters = Filters(
            unit=unit.strip(),
            region=region.strip(),
            year=int(year) if year.strip().isdigit() else None,
            verdict=verdict if verdict in VERDICTS else "",
            state=state if state in STATES else "",
            kind=kind if kind in KINDS else "",
            assignee=assignee.strip(),
            done=done if done in DONE else "",
            check=check.strip(),
            measure=measure if measure in MEASURES else "",
            low=_number(low),
            high=_number(high),
        )
        sort = sort if sort in SORTS else "risk"
        with store.session() as session:
            rows, total = queue(session, filters, number, PAGE_SIZE, sort)
        query = urlencode(
            {name: value for name, value in vars(filters).items() if value not in ("", None)}
            | {"sort": sort}
        )
        return page(
            request,
            "queue.html",
            rows=rows,
            total=total,
            page_number=number,
            pages=max(1, -(-total // PAGE_SIZE)),
            query=query,
            confirmed=confirmed,
            assigned=assigned,
            filters=filters,
            check_name=CHECK_NAMES.get(filters.check),
            sort=sort,
            sorts=SORTS,
            verdicts=VERDICTS,
            states=STATES,
            kinds=KINDS,
        )

    @app.get("/dashboard", response_class=HTMLResponse)
    def dashboard_page(request: Request) -> Response:
        if _reviewer(request) is None:
            return _see_other(f"/reviewer?back={quote(str(request.url.path))}")
        with store.session() as session:
            return page(request, "dashboard.html", board=dashboard(session, request.state.language))

    @app.get("/reports/{document_id}", response_class=HTMLResponse)
    def report_page(
        request: Request,
        document_id: int,
        confirmed: int | None = None,
        changes: int | None = None,
    ) -> Response:
        if _reviewer(request) is None:
            return _see_other(f"/reviewer?back={quote(str(request.url.path))}")
        with store.session() as session:
            view = report_view(session, document_id)
            if view is None:
                raise PageError(
                    404, N_("No such report"), M_("There is no report %(id)s.", id=document_id)
                )
            return page(
                request,
                "report.html",
                view=view,
                confirmed=confirmed,
                rechecked=rechecked(session, document_id, changes),
            )

    @app.get("/reviewer", response_class=HTMLResponse)
    def reviewer_page(request: Request, back: str = "/") -> Response:
        return page(request, "reviewer.html", back=_local(back))

    @change("/reviewer")
    def set_reviewer(
        request: Request, name: Annotated[str, Form()] = "", back: Annotated[str, Form()] = "/"
    ) -> Response:
        name = name.strip()
        if not _NAME.fullmatch(name):
            raise PageError(
                400,
                N_("Who are you?"),
                N_("Give a name of 1 to 64 characters."),
                back="/reviewer",
            )
        response = _see_other(_local(back))
        _cookie(response, request, REVIEWER_COOKIE, quote(name), days=365)
        return response

    # --- actions --------------------------------------------------------------------

    def acted(done: actions.Acted, then: int | None = None) -> Response:
        fact = done.fact
        changes = "" if done.rechecked is None else f"?changes={done.rechecked}"
        return _see_other(f"/reports/{fact.document_id}{changes}#fact-{then or fact.id}")

    @change("/facts/{fact_id}/confirm")
    def confirm(name: Reviewer, fact_id: int, version: Version, then: Then = None) -> Response:
        return _answer(
            store, fact_id, lambda: acted(actions.confirm(store, fact_id, version, name), then)
        )

    @change("/facts/{fact_id}/reject")
    def reject(name: Reviewer, fact_id: int, version: Version, then: Then = None) -> Response:
        return _answer(
            store, fact_id, lambda: acted(actions.reject(store, fact_id, version, name), then)
        )

    @change("/facts/{fact_id}/correct")
    def correct(
        name: Reviewer,
        fact_id: int,
        version: Version,
        value: Annotated[str, Form()] = "",
        entered: Annotated[bool, Form()] = False,
    ) -> Response:
        return _answer(
            store,
            fact_id,
            lambda: acted(actions.correct(store, fact_id, version, name, value, entered)),
        )

    @change("/reports/{document_id}/confirm-verified")
    def confirm_verified(
        name: Reviewer, document_id: int, seen: Annotated[str, Form()] = ""
    ) -> Response:
        try:
            versions = {
                int(fact): int(version)
                for fact, version in (item.split(":") for item in seen.split())
            }
        except ValueError:
            raise PageError(
                400, N_("Refused"), N_("The form was damaged: reload the page.")
            ) from None
        return _answer(
            store,
            None,
            lambda: _see_other(
                f"/reports/{document_id}?confirmed="
                f"{actions.confirm_verified(store, document_id, versions, name)}"
            ),
            back=f"/reports/{document_id}",
        )

    @change("/reports/{document_id}/done")
    def mark_done(
        name: Reviewer, document_id: int, done: Annotated[bool, Form()] = True
    ) -> Response:
        try:
            actions.mark_done(store, document_id, name, done)
        except actions.NotFound:
            raise PageError(
                404, N_("No such report"), M_("There is no report %(id)s.", id=document_id)
            ) from None
        return _see_other(f"/reports/{document_id}#history")

    @change("/bulk")
    def bulk(
        name: Reviewer,
        reports: Annotated[list[int] | None, Form()] = None,
        action: Annotated[str, Form()] = "",
        assignee: Annotated[str, Form()] = "",
        back: Annotated[str, Form()] = "/",
    ) -> Response:
        if not reports:
            raise PageError(
                400,
                N_("Nothing chosen"),
                N_("Tick the reports to act on first."),
                back=_local(back),
            )
        if action == "confirm-verified":
            outcome = {"confirmed": actions.confirm_verified_of(store, reports, name)}
        elif action == "assign":
            if assignee.strip() and not _NAME.fullmatch(assignee.strip()):
                raise PageError(
                    400,
                    N_("Refused"),
                    N_("Give a name of 1 to 64 characters."),
                    back=_local(back),
                )
            outcome = {"assigned": actions.assign(store, reports, assignee, name)}
        else:
            raise PageError(400, N_("Refused"), N_("The form was damaged: reload the page."))
        target = _local(back)
        return _see_other(f"{target}{'&' if '?' in target else '?'}{urlencode(outcome)}")

    return app


def _answer(
    store: Store, fact_id: int | None, action: Callable[[], Response], back: str | None = None
) -> Response:
    """The action's answer, or a page saying why it was refused: a conflict (409)
    says who changed what to what; a correction that cannot stand (422) says what
    to type instead."""
    try:
        return action()
    except actions.NotFound:
        raise PageError(
            404, N_("No such fact"), M_("There is no fact %(id)s.", id=fact_id)
        ) from None
    except actions.Refused as error:
        raise PageError(
            422, N_("Not corrected"), error.message, back=_back(store, fact_id)
        ) from None
    except actions.Conflict as error:
        with store.session() as session:
            facts = session.scalars(
                select(models.Fact).where(models.Fact.id.in_(error.fact_ids))
            ).all()
            last = actions.last_reviews(session, error.fact_ids)
            changes = [(fact, last.get(fact.id)) for fact in facts]
        raise PageError(
            409,
            N_("Someone else got there first"),
            N_(
                "Nothing was changed: since you opened the page, another reviewer changed what"
                " you acted on. Look at it again as it is now, and act again if you still"
                " disagree."
            ),
            back=back or _back(store, fact_id),
            changes=changes,
        ) from None


def _back(store: Store, fact_id: int | None) -> str:
    with store.session() as session:
        fact = session.get(models.Fact, fact_id) if fact_id is not None else None
        return f"/reports/{fact.document_id}#fact-{fact.id}" if fact else "/"


def _admit(request: Request, token: str | None, denied: Callable[[], Response]) -> Response | None:
    """None when the request may go on; else the answer to it (`denied`'s page
    where the token is missing or wrong)."""
    if token is None:
        return None
    given = request.query_params.get("token")
    if given is not None and _same(given, token):
        # Into a cookie, and out of the address, its history and its bookmarks.
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
        response = _see_other(target)
        _cookie(response, request, TOKEN_COOKIE, token, days=30)
        return response
    bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if given is None and (_same(request.cookies.get(TOKEN_COOKIE), token) or _same(bearer, token)):
        return None
    return denied()


def _number(text: str) -> float | None:
    """A bound from the address; anything but a finite number is no bound."""
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _reviewer(request: Request) -> str | None:
    name = unquote(request.cookies.get(REVIEWER_COOKIE, "")).strip()
    return name if _NAME.fullmatch(name) else None


def _cookie(response: Response, request: Request, name: str, value: str, days: int = 0) -> None:
    response.set_cookie(
        name,
        value,
        max_age=days * 86400 or None,
        httponly=True,
        # Lax, not Strict: a link to a report from mail or chat must arrive with
        # the token and the name. A POST from another site still comes without
        # them, and without the CSRF cookie its token must match.
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def _see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)
