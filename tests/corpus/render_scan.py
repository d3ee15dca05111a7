"""Corpus reports as scans: the committed page images (tests/fixtures/scans/,
made by tests/fixtures/make_scans.py) damaged with Pillow as scanners and
copiers damage paper, written as the multi-page TIFF a document feeder makes."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageFilter

SCANS = Path(__file__).resolve().parents[1] / "fixtures" / "scans"
# The dpi the committed pages were rendered at.
DPI = 150
# The corpus file of each scanned report whose text the scan is compared with.
TEXT_VERSIONS = {
    "anping_justice": "anping_justice__tab_cells.txt",
    "hualin_water": "hualin_water__tab_rows.txt",
}


def pages(key: str) -> list[Image.Image]:
    """The committed pages of a report, in order."""
    numbered = [
        path for path in SCANS.glob(f"{key}-*.png") if path.stem.rsplit("-", 1)[1].isdigit()
    ]
    paths = sorted(numbered, key=lambda path: int(path.stem.rsplit("-", 1)[1]))
    return [Image.open(path).convert("L") for path in paths]


def turned(degrees: int) -> Callable[[Image.Image], Image.Image]:
    """Fed into the scanner turned counter-clockwise by `degrees`."""
    return lambda page: page.rotate(degrees, expand=True)


def askew(degrees: float) -> Callable[[Image.Image], Image.Image]:
    """Fed in crooked, the uncovered corners white like the scanner's lid."""
    return lambda page: page.rotate(
        degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255
    )


def blurred(page: Image.Image) -> Image.Image:
    """A scan slightly out of focus (strokes a pixel wide run together)."""
    return page.filter(ImageFilter.GaussianBlur(1.2))


def jpeg(quality: int) -> Callable[[Image.Image], Image.Image]:
    """Saved as a JPEG of low quality (ringing and blocks around strokes)."""

    def compress(page: Image.Image) -> Image.Image:
        out = io.BytesIO()
        page.save(out, "JPEG", quality=quality)
        return Image.open(io.BytesIO(out.getvalue()))

    return compress


def at_300_dpi(page: Image.Image) -> Image.Image:
    return page.resize((page.width * 2, page.height * 2), Image.Resampling.BICUBIC)


def chain(*damages: Callable[[Image.Image], Image.Image]) -> Callable[[Image.Image], Image.Image]:
    def damage(page: Image.Image) -> Image.Image:
        for one in damages:
            page = one(page)
        return page

    return damage


# Each damage by name, and the resolution the damaged page is at.
DAMAGES: dict[str, tuple[Callable[[Image.Image], Image.Image], int]] = {
    "upright": (lambda page: page, DPI),
    "300dpi": (at_300_dpi, 2 * DPI),
    "turned90": (turned(90), DPI),
    "turned180": (turned(180), DPI),
    "turned270": (turned(270), DPI),
    "askew+3": (askew(3), DPI),
    "askew-5": (askew(-5), DPI),
    "blurred": (blurred, DPI),
    "jpeg20": (jpeg(20), DPI),
    "turned270-askew+4-jpeg30-300dpi": (
        chain(at_300_dpi, turned(270), askew(4), jpeg(30)),
        2 * DPI,
    ),
}


def write_tiff(images: list[Image.Image], path: Path, dpi: int) -> None:
    """Pages as one multi-page TIFF, as a scanner's document feeder writes them."""
    first, *rest = images
    first.save(
        path, "TIFF", save_all=True, append_images=rest, compression="tiff_deflate", dpi=(dpi, dpi)
    )


def scan(key: str, damage: str, path: Path, numbers: list[int] | None = None) -> Path:
    """The report `key` (its pages `numbers`, counted from 1; all by default)
    scanned with `damage`, written to `path`."""
    change, dpi = DAMAGES[damage]
    chosen = [page for n, page in enumerate(pages(key), 1) if numbers is None or n in numbers]
    write_tiff([change(page) for page in chosen], path, dpi)
    return path


# --- what a scan must give as the text version does -----------------------------------

_ROW = ("level1", "level2", "level3", "target", "actual", "weight", "score")
_FIGURES = ("initial_budget", "budget", "actual", "execution_rate", "self_score")


def _comparable(value: object) -> object:
    """A fact's value, width and spacing aside (as the corpus scores compare)."""
    from jixiao.evaluate import comparable

    return comparable(value)


def indicator_rows(record: dict) -> Counter:
    """A record's indicator rows, each as a tuple of its fields' values."""
    return Counter(
        tuple(_comparable(row.get(name)) for name in _ROW) for row in record["indicators"]
    )


def figures(record: dict) -> Counter:
    """A record's figures read from tables: the budget's, and each project's by its name."""
    found: Counter = Counter()
    for name, fact in record["budget"].items():
        if fact is not None:
            found["budget", name, _comparable(fact)] += 1
    for project in record["projects"]:
        for name in _FIGURES:
            if project.get(name) is not None:
                found[_comparable(project["name"]), name, _comparable(project[name])] += 1
    return found


def shares(expected: dict, record: dict) -> tuple[float, float]:
    """The shares of `expected`'s indicator rows and figures that `record` gives."""

    def share(want: Counter, got: Counter) -> float:
        total = sum(want.values())
        return sum((want & got).values()) / total if total else 1.0

    return (
        share(indicator_rows(expected), indicator_rows(record)),
        share(figures(expected), figures(record)),
    )
