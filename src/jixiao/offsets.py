"""Translate character offsets between an original text and an edited copy of it.

Normalisation deletes and replaces short runs of characters. `OffsetMap` keeps
one anchor per edit, so that any span of the edited text can be shown in the
original and back, in O(log edits).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable


class OffsetMap:
    """Piecewise map between positions of an edited text and its original.

    Between edits the texts run in parallel; inside an edit every position of
    the replacement maps to the start of the replaced original run.
    """

    def __init__(self, edits: Iterable[tuple[int, int, str]], original_length: int) -> None:
        """`edits` are non-overlapping ``(start, end, replacement)`` runs of the original,
        in order."""
        # Each piece: (edited_start, original_start, edited_length, original_length).
        self._edited_starts: list[int] = []
        self._original_starts: list[int] = []
        self._pieces: list[tuple[int, int, int, int]] = []
        edited = original = 0
        for start, end, replacement in edits:
            if start > original:
                self._add(edited, original, start - original, start - original)
                edited += start - original
            self._add(edited, start, len(replacement), end - start)
            edited += len(replacement)
            original = end
        if original_length > original or not self._pieces:
            self._add(edited, original, original_length - original, original_length - original)
            edited += original_length - original
        self.edited_length = edited
        self.original_length = original_length

    def _add(self, edited: int, original: int, edited_len: int, original_len: int) -> None:
        self._edited_starts.append(edited)
        self._original_starts.append(original)
        self._pieces.append((edited, original, edited_len, original_len))

    @staticmethod
    def _locate(starts: list[int], position: int) -> int:
        return max(bisect_right(starts, position) - 1, 0)

    def to_original(self, position: int) -> int:
        """The original position of an edited position (a start boundary)."""
        edited, original, edited_len, original_len = self._pieces[
            self._locate(self._edited_starts, position)
        ]
        offset = position - edited
        if edited_len == original_len:
            return original + offset
        return original if offset < edited_len else original + original_len

    def to_original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span covering the edited span ``[start, end)``."""
        if end <= start:
            point = self.to_original(start)
            return point, point
        last = self._pieces[self._locate(self._edited_starts, end - 1)]
        edited, original, edited_len, original_len = last
        if edited_len == original_len:
            original_end = original + (end - edited)
        else:
            original_end = original + original_len
        return self.to_original(start), original_end

    def to_edited(self, position: int) -> int:
        """The edited position of an original position; inside a deleted or replaced
        run, the position where that run now starts."""
        index = self._locate(self._original_starts, position)
        # Several pieces may start at the same original position (an insertion
        # followed by a copy); take the last one that begins there or before.
        edited, original, edited_len, original_len = self._pieces[index]
        offset = position - original
        if edited_len == original_len:
            return edited + min(offset, edited_len)
        return edited if offset < original_len else edited + edited_len

    def to_edited_span(self, start: int, end: int) -> tuple[int, int]:
        return self.to_edited(start), self.to_edited(end)
