"""The pages in the reviewers' language: Chinese by default, English on request.

English is the source language: every text on the pages is an English message
id, translated through the gettext catalog in ``locale/`` (``make i18n``
extracts, updates and compiles it). The CLI does not use this: its messages
stay English.

- in templates: ``{% trans %}…{% endtrans %}`` and ``_("…")``; variables in a
  trans block are escaped like any other (autoescape stays on);
- in Python: ``N_("…")`` marks a text translated where it is shown, and
  ``M_("… %(name)s …", name=…)`` a text with values put in after translation
  (a `Message`, `jixiao.messages`, shown by the templates' ``t()``): the
  pages' own, and those the pipeline stores with its checks' verdicts and its
  rejections, whose English the record keeps.
"""

from __future__ import annotations

import gettext as _gettext
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup

from jixiao.messages import N_, Message

LOCALE = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT = "zh_CN"
LANGUAGES = {"zh_CN": "zh-CN", "en": "en"}  # ours → HTML's lang
LANG_COOKIE = "jixiao_lang"


@cache
def translations(language: str) -> _gettext.NullTranslations:
    if language == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE, [language])


def negotiate(query: str | None, cookie: str | None, accept: str | None) -> str:
    """The language asked for: ``?lang=``, else the cookie, else the browser's
    Accept-Language when it prefers English to Chinese, else Chinese."""
    for asked in (query, cookie):
        if asked:
            normal = asked.replace("-", "_")
            if normal in LANGUAGES:
                return normal
            if normal.lower().startswith("zh"):
                return DEFAULT
            if normal.lower().startswith("en"):
                return "en"
    ranked = []
    for position, part in enumerate((accept or "").split(",")):
        tag, _, rest = part.strip().partition(";")
        quality = 1.0
        if rest.strip().startswith("q="):
            try:
                quality = float(rest.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()))
    for _quality, _position, tag in sorted(ranked):
        if tag.startswith("zh"):
            return DEFAULT
        if tag.startswith("en"):
            return "en"
    return DEFAULT


def template_callables(language: str) -> dict[str, Any]:
    """What the templates translate with, for one request: ``gettext`` and
    ``ngettext`` as the ``{% trans %}`` blocks call them (new style: the values
    are put in after translation, escaped), ``_``, and ``t`` for a `Message`."""
    catalog = translations(language)

    def gettext(text: str, **params: Any) -> Markup:
        return Markup(catalog.gettext(text)) % params

    def ngettext(singular: str, plural: str, num: int, **params: Any) -> Markup:
        params.setdefault("num", num)
        return Markup(catalog.ngettext(singular, plural, num)) % params

    def t(message: Message | str | None) -> Markup | str:
        """A `Message` or a marked text, translated; anything else as it is."""
        if message is None:
            return ""
        if isinstance(message, Message):
            return Markup(catalog.gettext(message.text)) % _values(catalog, message)
        return catalog.gettext(message)

    def label(value: str | None) -> str:
        """A stored value's word (a status, a state, an action), translated."""
        return "" if value is None else catalog.gettext(LABELS.get(value, value))

    def said(english: str, template: Message | dict[str, Any] | None) -> Markup | str:
        """What the pipeline stored in English (a check's message, a rejection's
        reason), from its template in the reader's language; its English as it
        is where it was stored without one."""
        return english if template is None else t(Message.model_validate(template))

    return {
        "gettext": gettext,
        "ngettext": ngettext,
        "_": gettext,
        "t": t,
        "label": label,
        "said": said,
    }


def translate(language: str, message: Message | str) -> str:
    """`message` translated, as plain text (for what the pages draw, not write)."""
    catalog = translations(language)
    if isinstance(message, Message):
        return catalog.gettext(message.text) % _values(catalog, message)
    return catalog.gettext(message)


def _values(catalog: _gettext.NullTranslations, message: Message) -> dict[str, Any]:
    """The values to put into `message`, those that are messages themselves translated."""
    return {
        name: catalog.gettext(str(value.text)) % _values(catalog, value)
        if isinstance(value, Message)
        else value
        for name, value in message.params.items()
    }


# The words the pages show for the values stored in English: facts' and checks'
# statuses, review states and actions, the queue's orders.
LABELS = {
    "verified": N_("verified"),
    "source_inconsistent": N_("source inconsistent"),
    "source_inconsistency": N_("source inconsistency"),
    "unit_anomaly": N_("unit anomaly"),
    "unverifiable": N_("unverifiable"),
    "hallucination": N_("hallucination"),
    "pass": N_("pass"),
    "unreviewed": N_("unreviewed"),
    "partly reviewed": N_("partly reviewed"),
    "reviewed": N_("reviewed"),
    "confirmed": N_("confirmed"),
    "corrected": N_("corrected"),
    "rejected": N_("rejected"),
    "confirm": N_("confirmed"),
    "correct": N_("corrected"),
    "reject": N_("rejected"),
    "assign": N_("assigned"),
    "done": N_("done"),
    "reopen": N_("opened again"),
    "recheck": N_("checks run again"),
    "carry": N_("carried over"),
    "open": N_("open"),
    "risk": N_("risk"),
    "year": N_("year"),
    "unit": N_("unit"),
    "recent": N_("recent"),
    "department": N_("department as a whole"),
    "project": N_("project"),
    "transfer": N_("transfer payment"),
    "execution_rate": N_("execution rate"),
    "self_score": N_("self-evaluation score"),
    "indicator_completion": N_("indicator completion"),
}
