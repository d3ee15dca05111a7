"""What every loader shares: the error a bad file raises, and text built piece by piece."""

from __future__ import annotations

from pathlib import Path

from jixiao.errors import JixiaoError


class LoadError(JixiaoError):
    """A file that cannot be read as a report."""

    def __init__(self, path: Path | str, problem: str, hint: str) -> None:
        # Passing every field to Exception keeps the error picklable.
        super().__init__(path, problem, hint)
        self.path = Path(path)
        self.problem = problem
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.path}: {self.problem} — {self.hint}"


def empty(path: Path) -> LoadError:
    return LoadError(path, "the file is empty", "check that it was saved or downloaded completely")


class TextBuilder:
    """Text assembled piece by piece, each piece's span known."""

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self.length = 0

    def add(self, piece: str) -> tuple[int, int]:
        start = self.length
        self._pieces.append(piece)
        self.length += len(piece)
        return start, self.length

    def text(self) -> str:
        return "".join(self._pieces)
