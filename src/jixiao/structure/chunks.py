"""Cut a report into chunks: the units of work sent to the model.

A chunk is a section, or a run of small sibling sections, that fits a token
budget; a section too big for it gives its own text as one chunk and its
subsections as others, and a paragraph too big is cut at sentence ends.
Tables are chunks of their own: whole, or cut between rows with the header
rows repeated, so that every part can be read on its own.

Tokens are estimated offline from the characters (see `estimate_tokens`), so
that chunking never needs the network or a tokenizer download.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Literal

from jixiao.structure.sections import Section
from jixiao.structure.tables import Table

DEFAULT_CHUNK_TOKENS = 700

Span = tuple[int, int]

_SENTENCE = re.compile(r"(?<=[。；;！？!?])")


def _cost(character: str) -> float:
    """What one character adds to a Qwen- or GPT-style BPE token count: a common
    Chinese character about one token, every digit one, an English word of
    three or four letters one, most punctuation half of one, spaces nothing."""
    if character.isascii():
        if character.isdigit():
            return 1.0
        if character.isalpha():
            return 0.3
        return 0.0 if character.isspace() else 0.5
    return 1.0


class TokenCounter:
    """Token estimates for any span of one text, in constant time per span:
    chunking weighs the same stretches of text many times over."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._totals = list(accumulate(map(_cost, text), initial=0.0))

    def __reduce__(self) -> tuple[type[TokenCounter], tuple[str]]:
        # Sent to another process as its text, which the prepared report sends
        # anyway (pickle writes one object once): the totals, a float a
        # character, are quicker to make again than to send.
        return TokenCounter, (self._text,)

    def count(self, start: int, end: int) -> int:
        """Tokens in ``text[start:end]``, rounded up, plus one for safety."""
        return math.ceil(self._totals[end] - self._totals[start] - 1e-9) + 1


def estimate_tokens(text: str) -> int:
    """Tokens a model's tokenizer spends on `text`, estimated offline."""
    return TokenCounter(text).count(0, len(text))


@dataclass
class Chunk:
    kind: Literal["text", "table"]
    spans: list[Span]
    path: list[str]  # the heading lines above the chunk, from the top
    tokens: int
    table: int | None = None  # index of the table a table chunk comes from
    sections: list[str] = field(default_factory=list)  # headings the chunk contains

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def end(self) -> int:
        return self.spans[-1][1]

    def text(self, document_text: str) -> str:
        return "\n".join(document_text[start:end] for start, end in self.spans)

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "spans": [list(span) for span in self.spans],
            "path": self.path,
            "sections": self.sections,
            "tokens": self.tokens,
            "table": self.table,
        }


class _Chunker:
    def __init__(
        self, text: str, tables: Sequence[Table], budget: int, counter: TokenCounter
    ) -> None:
        self.text = text
        self.tables = tables
        self.budget = budget
        self.counter = counter
        self.holes = sorted((table.start, table.end) for table in tables)
        self.chunks: list[Chunk] = []

    def spans(self, start: int, end: int) -> list[Span]:
        """The parts of ``[start, end)`` outside tables, without blank margins."""
        spans = []
        position = start
        for hole_start, hole_end in self.holes:
            if hole_end <= position or hole_start >= end:
                continue
            spans.append((position, hole_start))
            position = max(position, hole_end)
        spans.append((position, end))
        return [trimmed for span in spans if (trimmed := self._trim(span))]

    def _trim(self, span: Span) -> Span | None:
        start, end = span
        piece = self.text[start:end]
        stripped = piece.strip()
        if not stripped:
            return None
        lead = len(piece) - len(piece.lstrip())
        return start + lead, start + lead + len(stripped)

    def tokens(self, spans: Sequence[Span]) -> int:
        return sum(self.counter.count(start, end) for start, end in spans)

    def heading(self, section: Section) -> str:
        return self.text[section.start : section.end]

    def emit_text(self, spans: list[Span], path: list[str], sections: list[str]) -> None:
        """Emit `spans` as one chunk, or as several cut at line and sentence ends."""
        if not spans:
            return
        if self.tokens(spans) <= self.budget:
            self.chunks.append(Chunk("text", spans, path, self.tokens(spans), sections=sections))
            return
        pieces = [piece for span in spans for piece in self._pieces(span)]
        current: list[Span] = []
        for piece in pieces:
            if current and self.tokens(current + [piece]) > self.budget:
                self.chunks.append(
                    Chunk("text", current, path, self.tokens(current), sections=sections)
                )
                current = []
            current.append(piece)
        if current:
            self.chunks.append(
                Chunk("text", current, path, self.tokens(current), sections=sections)
            )

    def _pieces(self, span: Span) -> list[Span]:
        """Lines, then sentences, then fixed runs: each piece under the budget."""
        start, end = span
        pieces: list[Span] = []
        position = start
        for line in self.text[start:end].split("\n"):
            line_span = self._trim((position, position + len(line)))
            position += len(line) + 1
            if line_span is None:
                continue
            if self.tokens([line_span]) <= self.budget:
                pieces.append(line_span)
                continue
            sentence_start = line_span[0]
            for sentence in _SENTENCE.split(self.text[line_span[0] : line_span[1]]):
                sentence_end = sentence_start + len(sentence)
                pieces.extend(self._runs((sentence_start, sentence_end)))
                sentence_start = sentence_end
        return [piece for piece in pieces if piece[1] > piece[0]]

    def _runs(self, span: Span) -> list[Span]:
        start, end = span
        if self.tokens([span]) <= self.budget:
            return [span]
        # A sentence longer than the budget: cut it into runs the budget holds,
        # assuming the densest case of one token a character.
        step = max(self.budget - 1, 1)
        return [(position, min(position + step, end)) for position in range(start, end, step)]

    def pack(self, sections: Sequence[Section], path: list[str]) -> None:
        """Chunk sibling sections: small neighbours share a chunk, a big one is cut."""
        run: list[Section] = []
        run_tokens = 0
        for section in sections:
            whole = self.spans(section.start, section.body_end)
            tokens = self.tokens(whole)
            if tokens <= self.budget:
                if run and run_tokens + tokens > self.budget:
                    self._flush(run, path)
                    run, run_tokens = [], 0
                run.append(section)
                run_tokens += tokens
                continue
            self._flush(run, path)
            run, run_tokens = [], 0
            own_end = section.children[0].start if section.children else section.body_end
            inner_path = path + [self.heading(section)]
            self.emit_text(self.spans(section.start, own_end), inner_path, [self.heading(section)])
            self.pack(section.children, inner_path)
        self._flush(run, path)

    def _flush(self, run: list[Section], path: list[str]) -> None:
        if not run:
            return
        spans = [span for section in run for span in self.spans(section.start, section.body_end)]
        headings = [self.heading(node) for section in run for node in section.walk()]
        own_path = path + [self.heading(run[0])] if len(run) == 1 else path
        self.emit_text(spans, own_path, headings)

    def emit_tables(self, sections: Sequence[Section]) -> None:
        for index, table in enumerate(self.tables):
            path = self._path_at(sections, table.start)
            header = self._rows_span(table.header_rows)
            rows = [span for row in table.rows if (span := self._rows_span([row]))]
            if not rows:
                continue
            whole = [span for span in (header, (rows[0][0], rows[-1][1])) if span]
            if self.tokens(whole) <= self.budget:
                self.chunks.append(Chunk("table", whole, path, self.tokens(whole), table=index))
                continue
            head = [header] if header else []
            room = self.budget - self.tokens(head)
            group: list[Span] = []
            for row in rows:
                if group and self.tokens(group + [row]) > room:
                    self._table_part(head, group, path, index)
                    group = []
                group.append(row)
            self._table_part(head, group, path, index)

    def _table_part(self, head: list[Span], group: list[Span], path: list[str], index: int) -> None:
        spans = head + [(group[0][0], group[-1][1])]
        self.chunks.append(Chunk("table", spans, path, self.tokens(spans), table=index))

    @staticmethod
    def _rows_span(rows: Sequence[Sequence]) -> Span | None:
        cells = [cell for row in rows for cell in row if cell.end > cell.start]
        if not cells:
            return None
        return min(cell.start for cell in cells), max(cell.end for cell in cells)

    def _path_at(self, sections: Sequence[Section], position: int) -> list[str]:
        path: list[str] = []
        level = list(sections)
        while True:
            inside = [s for s in level if s.start <= position < max(s.body_end, s.end)]
            if not inside:
                return path
            path.append(self.heading(inside[0]))
            level = inside[0].children


def build_chunks(
    text: str,
    sections: Sequence[Section],
    tables: Sequence[Table],
    budget: int = DEFAULT_CHUNK_TOKENS,
    counter: TokenCounter | None = None,
) -> list[Chunk]:
    """The chunks of a document, in document order; `counter` counts the tokens
    of `text` where one is built already."""
    chunker = _Chunker(text, tables, budget, counter or TokenCounter(text))
    first = sections[0].start if sections else len(text)
    chunker.emit_text(chunker.spans(0, first), [], [])
    chunker.pack(sections, [])
    chunker.emit_tables(sections)
    return sorted(chunker.chunks, key=lambda chunk: chunk.start)
