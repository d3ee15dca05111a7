"""Where a quote stands in the source: exact, or with spacing and the width of
punctuation aside, and over several of the lines a request joined."""

from __future__ import annotations

import re

from jixiao.check import clause_before
from jixiao.structure.labels import simplified

# Models retype quotes and punctuation in the other width: “接地气” as ‘接地气’, ； as ;.
_EQUIVALENT = ["“”‘’\"'「」『』", ";；。", ":：", ",，、", "(（", ")）", "!！", "?？"]
_LOOSE = {ch: f"[{re.escape(group)}]" for group in _EQUIVALENT for ch in group}


def locate(
    quote: str, source: str, start: int = 0, end: int | None = None
) -> tuple[int, int] | None:
    """Where `quote` stands in ``source[start:end]``, spacing aside, or None."""
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
    return match.span() if match else None


def locate_in(
    quote: str, text: str, spans: list[tuple[int, int]], label: re.Pattern[str] | None = None
) -> tuple[int, int] | None:
    """Where a quote from a request's text stands in the document. The request
    joined its spans with line breaks, so a quote may run over several spans:
    only over what lies between them in the document is whitespace. Of several
    places, the first whose clause carries `label` (the field's own words)."""
    joined = "\n".join(text[start:end] for start, end in spans)
    starts, position = [], 0
    for start, end in spans:
        starts.append(position)
        position += end - start + 1

    def to_document(offset: int, closing: bool) -> tuple[int, int]:
        index = max(i for i, s in enumerate(starts) if s < offset or (s == offset and not closing))
        return index, spans[index][0] + offset - starts[index]

    places = []
    found = locate(quote, joined)
    while found is not None:
        first, start = to_document(found[0], closing=False)
        last, end = to_document(found[1], closing=True)
        if not any(text[spans[i][1] : spans[i + 1][0]].strip() for i in range(first, last)):
            places.append((start, end))
        found = locate(quote, joined, found[0] + 1)
    labelled = [
        p
        for p in places
        if label is not None and label.search(simplified(clause_before(text, p[0])))
    ]
    return (labelled or places or [None])[0]
