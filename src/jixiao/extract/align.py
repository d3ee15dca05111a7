"""Where a quote stands in the source: exact, or with spacing and the width of
punctuation aside, and over several of the lines a request joined."""

from __future__ import annotations

import re

from jixiao.check import clause_before
from jixiao.structure.labels import same_length_simplified, simplified
from jixiao.structure.numbers import find_quantities, parse_quantity

# Models retype quotes and punctuation in the other width: “接地气” as ‘接地气’, ； as ;.
_EQUIVALENT = ["“”‘’\"'「」『』", ";；。", ":：", ",，、", "(（", ")）", "!！", "?？"]
_LOOSE = {ch: f"[{re.escape(group)}]" for group in _EQUIVALENT for ch in group}


def locate(
    quote: str, source: str, start: int = 0, end: int | None = None, words: str | None = None
) -> tuple[int, int] | None:
    """Where `quote` stands in ``source[start:end]``, spacing aside, or None.
    `words` is the source in simplified characters, where the caller has it."""
    end = len(source) if end is None else end
    quote = quote.strip()
    if not quote:
        return None
    found = source.find(quote, start, end)
    if found >= 0:
        return found, found + len(quote)
    pieces = [_LOOSE.get(ch, re.escape(ch)) for ch in quote if not ch.isspace()]
    if not pieces:
        return None
    match = re.compile(r"\s*".join(pieces)).search(source, start, end)
    if match is None and not quote.isascii():
        # A quote in the other script (优 for the source's 優): the source read in
        # simplified characters has the same offsets.
        simple = simplified(quote)
        pieces = [_LOOSE.get(ch, re.escape(ch)) for ch in simple if not ch.isspace()]
        words = same_length_simplified(source) if words is None else words
        match = re.compile(r"\s*".join(pieces)).search(words, start, end)
    return match.span() if match else None


def locate_in(
    quote: str,
    text: str,
    words: str,
    spans: list[tuple[int, int]],
    label: re.Pattern[str] | None = None,
) -> tuple[int, int] | None:
    """Where a quote from a request's text stands in the document (`text`, its
    `words` in simplified characters). The request joined its spans with line
    breaks, so a quote may run over several spans: only over what lies between
    them in the document is whitespace. Of several places, the first whose
    clause carries `label` (the field's own words)."""
    joined = "\n".join(text[start:end] for start, end in spans)
    joined_words = "\n".join(words[start:end] for start, end in spans)
    starts, position = [], 0
    for start, end in spans:
        starts.append(position)
        position += end - start + 1

    def to_document(offset: int, closing: bool) -> tuple[int, int]:
        index = max(i for i, s in enumerate(starts) if s < offset or (s == offset and not closing))
        return index, spans[index][0] + offset - starts[index]

    places = []
    found = locate(quote, joined, words=joined_words)
    while found is not None:
        first, start = to_document(found[0], closing=False)
        last, end = to_document(found[1], closing=True)
        if not any(text[spans[i][1] : spans[i + 1][0]].strip() for i in range(first, last)):
            places.append((start, end))
        found = locate(quote, joined, found[0] + 1, words=joined_words)
    labelled = [p for p in places if label is not None and label.search(clause_before(words, p[0]))]
    return (labelled or places)[0] if places else None


_DATE = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|(\d{4})[-./](\d{1,2})[-./](\d{1,2})"
)


def find_date(text: str) -> tuple[str | None, re.Match[str]] | None:
    """The first date written in `text`: its ISO form (None when it is no plausible
    date) and where it stands; None when nothing in `text` is written as a date."""
    match = _DATE.search(text)
    if match is None:
        return None
    year, month, day = (
        int(g) for g in (match.groups()[:3] if match.group(1) else match.groups()[3:])
    )
    if not (1990 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return None, match
    return f"{year:04d}-{month:02d}-{day:02d}", match


def same_date(quote: str, source: str) -> str | None:
    """The one date of `source` that is the date `quote` writes, as `source`
    writes it: a model that retypes 2024年3月12日 as 2024-03-12 quoted it."""
    wanted = find_date(quote)
    if wanted is None or wanted[0] is None or wanted[1].group() != quote.strip():
        return None
    found = {
        match.group()
        for match in _DATE.finditer(source)
        if (date := find_date(match.group())) is not None and date[0] == wanted[0]
    }
    return found.pop() if len(found) == 1 else None


def same_quantity(quote: str, source: str) -> str | None:
    """The one figure of `source` that is the quantity `quote` writes, as
    `source` writes it: 146280.00元 for the source's 146,280元, 352.6万元 for its
    352.60万元. The unit must be the same (a bare figure is no sum in 元), and so
    must the comparator; where two figures of the source match, neither is taken."""
    wanted = parse_quantity(quote)
    if wanted is None or wanted.base_unit is None:
        return None
    found = {
        quantity.raw
        for quantity in find_quantities(source)
        if quantity.base_unit == wanted.base_unit
        and quantity.comparator == wanted.comparator
        and quantity.base_value == wanted.base_value
        and quantity.number_to is None
    }
    return found.pop() if len(found) == 1 else None
