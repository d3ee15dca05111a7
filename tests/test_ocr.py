"""OCR: sample pages rendered to images and read back, a scanned sample through
the whole pipeline, and the review flags on what OCR was unsure of.

Pages are rendered with Pillow in Noto Sans CJK (Debian's fonts-noto-cjk), as
a report printed and scanned would look: prose in 10.5 pt, tables in 9 pt with
ruling lines, the level labels merged down over the rows they head. OCR takes
a few seconds a page on two cores, so each rendering is read once per module.
"""

from __future__ import annotations

import difflib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import pymupdf
import pytest
from conftest import SAMPLES, prepared, require
from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner

from jixiao.check import run_checks
from jixiao.cli import app
from jixiao.document import Loaded, Page
from jixiao.extract import document_info, indicator_records
from jixiao.load import LoadError
from jixiao.ocr import Line, page_text, read_image, read_pages
from jixiao.pipeline import Prepared, prepare
from jixiao.records import DocumentInfo, Fact, IndicatorRecord, OcrReading, Report
from jixiao.structure.tables import build_tables, column_roles, find_text_grids

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
# The collection's simplified-Chinese face: the Japanese one (index 0) draws 门
# in a form OCR reads as 内.
SIMPLIFIED = 2
DPI = 150


def _font(points: float) -> ImageFont.FreeTypeFont:
    require(FONT, "the OCR tests render pages in Noto Sans CJK: apt-get install fonts-noto-cjk")
    return ImageFont.truetype(str(FONT), round(points / 72 * DPI), index=SIMPLIFIED)


@dataclass
class Paper:
    """A4 pages at `DPI`, filled from the top like a printed report."""

    rules: bool = True
    pages: list[Image.Image] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.width, self.height = round(8.27 * DPI), round(11.69 * DPI)
        self.margin = round(0.8 * DPI)
        self.font, self.small = _font(10.5), _font(9)
        self.y = float(self.height)

    @property
    def draw(self) -> ImageDraw.ImageDraw:
        return ImageDraw.Draw(self.pages[-1])

    def _room(self, height: float) -> None:
        if self.y + height > self.height - self.margin:
            self.pages.append(Image.new("L", (self.width, self.height), 255))
            self.y = self.margin

    @staticmethod
    def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
        lines = [""]
        for char in text:
            if lines[-1] and font.getlength(lines[-1] + char) > width:
                lines.append("")
            lines[-1] += char
        return lines

    def prose(self, line: str) -> None:
        step = self.font.size * 1.6
        for part in self._wrap(line.strip(), self.font, self.width - 2 * self.margin):
            self._room(step)
            self.draw.text((self.margin, self.y), part, font=self.font, fill=0)
            self.y += step

    def table(self, rows: list[list[str]]) -> None:
        """A table across the text width; long cells wrap, rows never split."""
        font = self.small
        pad = font.size * (0.5 if self.rules else 1.0)
        columns = max(len(row) for row in rows)
        rows = [row + [""] * (columns - len(row)) for row in rows]
        natural = [max(font.getlength(row[c]) for row in rows) + 2 * pad for c in range(columns)]
        scale = min(1.0, (self.width - 2 * self.margin) / sum(natural))
        xs = [float(self.margin)]
        for width in natural:
            xs.append(xs[-1] + width * scale)
        wrapped = [
            [self._wrap(cell, font, xs[c + 1] - xs[c] - 2 * pad) for c, cell in enumerate(row)]
            for row in rows
        ]
        step = font.size * 1.35
        heights = [max(len(cell) for cell in row) * step + 2 * pad for row in wrapped]
        # Word's template merges the level labels down over the rows they head;
        # without ruling lines a label stands at the top of its first row.
        merging = [role in ("level1", "level2") for role in column_roles(rows[0])]
        first = 0
        while first < len(rows):
            self._room(heights[first])
            # The rows that fit on this page, and the rules between them.
            last, bottom = first, self.y
            while last < len(rows) and bottom + heights[last] <= self.height - self.margin:
                bottom += heights[last]
                last += 1
            ys = list(accumulate(heights[first:last], initial=self.y))
            self._rule((xs[0], ys[0]), (xs[-1], ys[0]))
            for x in xs:
                self._rule((x, ys[0]), (x, ys[-1]))
            for column in range(columns):
                row = first
                while row < last:
                    end = row + 1
                    while merging[column] and self.rules and end < last and not rows[end][column]:
                        end += 1
                    top, bottom = ys[row - first], ys[end - first]
                    self._rule((xs[column], bottom), (xs[column + 1], bottom))
                    lines = wrapped[row][column]
                    y = (top + bottom - len(lines) * step) / 2 if self.rules else top + pad
                    for line in lines:
                        self.draw.text((xs[column] + pad, y), line, font=font, fill=0)
                        y += step
                    row = end
            self.y = ys[-1] + font.size
            first = last

    def _rule(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        if self.rules:
            self.draw.line([start, end], fill=0, width=2)

    def document(self, text: str) -> None:
        """A report's text as printed: its flattened tables drawn as tables."""
        position = 0
        for grid in find_text_grids(text):
            for line in text[position : grid.start].split("\n"):
                if line.strip():
                    self.prose(line)
            self.table([[cell.text for cell in row] for row in grid.rows])
            position = text.find("\n", grid.end) + 1 or len(text)
        for line in text[position:].split("\n"):
            if line.strip():
                self.prose(line)

    def png(self, number: int = 0) -> bytes:
        return _png(self.pages[number])


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def accuracy(expected: str, read: str) -> float:
    """The share of `expected`'s characters OCR got right, whitespace aside and
    character widths folded (a scan does not show whether ``(`` was full-width):
    one minus the characters replaced, dropped or added, over the length."""
    a, b = (re.sub(r"\s", "", unicodedata.normalize("NFKC", t)) for t in (expected, read))
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    errors = sum(
        max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    )
    return 1 - errors / len(a)


def _records(text: str) -> list[dict]:
    return [
        record.to_json()
        for table in build_tables(find_text_grids(text))
        for record in table.indicators
    ]


SMALLEST = min(SAMPLES, key=lambda path: path.stat().st_size)
SAMPLE = prepared(SMALLEST.name[:3])
TEXT = SAMPLE.document.text
[GRID] = find_text_grids(TEXT)


# --- pages read back ------------------------------------------------------------------


@pytest.fixture(scope="module")
def prose() -> tuple[str, list[Line]]:
    """The first 30 lines of a sample, rendered and read."""
    lines = [line for line in TEXT.split("\n") if line.strip()][:30]
    paper = Paper()
    for line in lines:
        paper.prose(line)
    assert len(paper.pages) == 1
    return "\n".join(lines), read_image(paper.png())


def test_prose_reads_back_at_98_percent(prose: tuple[str, list[Line]]) -> None:
    expected, lines = prose
    read = "\n".join(line.text for line in lines)
    assert accuracy(expected, read) >= 0.98, read


def test_lines_come_in_reading_order_with_boxes_and_confidence(
    prose: tuple[str, list[Line]],
) -> None:
    _, lines = prose
    assert lines[0].text.startswith("辰溪县医疗保障局")
    tops = [line.box[1] for line in lines]
    assert tops == sorted(tops)
    assert all(not line.table and len(line.cells) == 1 for line in lines)
    assert all(0 < line.confidence <= 1 for line in lines)
    left, top, right, bottom = lines[0].box
    assert 0 <= left < right and 0 <= top < bottom


@pytest.fixture(scope="module", params=["ruled", "borderless", "askew"])
def table(request: pytest.FixtureRequest) -> str:
    """The sample's indicator table as read: printed with ruling lines, without,
    or with them and scanned a degree askew."""
    paper = Paper(rules=request.param != "borderless")
    paper.table([[cell.text for cell in row] for row in GRID.rows])
    page = paper.pages[0]
    if request.param == "askew":
        page = page.rotate(1, resample=Image.Resampling.BICUBIC, fillcolor=255)
    return page_text(read_image(_png(page)))[0]


def test_table_reads_back_at_98_percent(table: str) -> None:
    expected = "".join(cell.text for row in GRID.rows for cell in row)
    assert accuracy(expected, table) >= 0.98, table


def test_table_rows_give_the_same_indicator_records(table: str) -> None:
    lines = table.split("\n")
    assert all(line.count("\t") == 7 for line in lines), table
    assert _records(table) == _records(TEXT)


# --- a scanned sample through the pipeline ------------------------------------------------


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    """The smallest sample printed and scanned: a PDF of page images, no text layer."""
    paper = Paper()
    paper.document(TEXT)
    pdf = pymupdf.open()
    for number in range(len(paper.pages)):
        page = pdf.new_page(width=595, height=842)
        page.insert_image(page.rect, stream=paper.png(number))
    path = tmp_path_factory.mktemp("scans") / f"{SMALLEST.stem}.pdf"
    pdf.save(path)
    assert not "".join(page.get_text() for page in pymupdf.open(path)).strip()
    return prepare(path)


def test_scanned_pdf_is_read_by_ocr(scanned: Prepared) -> None:
    document = scanned.document
    assert document.ocr and len(document.pages) == 2
    assert all(page.ocr and page.image is None for page in document.pages)
    first, second = document.pages
    assert (first.start, first.end + 1, second.end) == (0, second.start, len(document.text))
    assert document.readings
    for reading in document.readings:
        assert 0 <= reading.start < reading.end <= len(document.text)
        assert "\n" not in document.text[reading.start : reading.end]
    assert accuracy(TEXT, document.text) >= 0.98
    info = document_info(scanned)
    assert info.ocr and info.pages == 2
    assert not document_info(SAMPLE).ocr


def test_scanned_indicators_match_the_text_or_are_flagged(scanned: Prepared) -> None:
    """Each indicator record of the scan equals the text version's, or what
    differs was read from text OCR was unsure of and the facts say so: a figure
    that differs, or every figure of a row whose label differs."""
    document = scanned.document
    report = Report(
        document=document_info(scanned),
        indicators=indicator_records(scanned.tables, document.text),
    )
    run_checks(report, scanned.tables)
    expected = indicator_records(SAMPLE.tables, TEXT)
    assert len(report.indicators) == len(expected) == 11

    def shown(value: object) -> object:
        # A fact's offsets differ between the texts, and the text version keeps
        # the line break of a wrapped cell (≤207.59 / 万元) in its raw.
        return re.sub(r"\s", "", value.raw) if isinstance(value, Fact) else value

    def flagged(fact: Fact | None) -> bool:
        return fact is None or "compare it with the scan" in (fact.note or "")

    for got, want in zip(report.indicators, expected, strict=True):
        for name in IndicatorRecord.model_fields:
            value = getattr(got, name)
            if shown(value) == shown(getattr(want, name)):
                continue
            if isinstance(value, Fact):
                assert flagged(value), (name, got, want)
            else:
                figures = [got.target, got.actual, got.weight, got.score]
                assert all(flagged(fact) for fact in figures), (name, got, want)


# --- review flags ----------------------------------------------------------------------


def _report(low: list[OcrReading]) -> Report:
    text = "全年支出 818.93万元，执行率 100%。"
    info = DocumentInfo(
        path="scan.png",
        sha256="0",
        format="image",
        encoding=None,
        chars=len(text),
        pages=1,
        ocr=True,
        ocr_low_confidence=low,
        text=text,
    )
    report = Report(document=info)
    report.budget.total_expenditure = Fact(
        value=8189300, unit="元", raw="818.93万元", start=5, end=13
    )
    report.budget.execution_rate = Fact(value=100, unit="%", raw="100%", start=18, end=22)
    return report


def test_facts_read_from_doubtful_text_are_flagged_for_review() -> None:
    report = _report([OcrReading(start=5, end=13, page=1, confidence=0.71)])
    results = run_checks(report)
    [flag] = [result for result in results if result.id == "ocr_low_confidence"]
    assert flag.status == "unverifiable"
    assert flag.facts == ["budget.total_expenditure"]
    assert "0.71" in flag.message and "page 1" in flag.message
    fact = report.budget.total_expenditure
    assert fact.status == "verified" and fact.note == flag.message
    assert report.budget.execution_rate.note is None
    run_checks(report)
    assert fact.note == flag.message


def test_a_doubtful_row_label_flags_the_figures_of_its_rows() -> None:
    """成本指标 heads two rows (merged down): both rows' figures are flagged."""
    label = TEXT.index("成本指标\n")
    doubtful = OcrReading(start=label, end=label + 4, page=2, confidence=0.62)
    info = document_info(SAMPLE).model_copy(update={"ocr_low_confidence": [doubtful]})
    report = Report(document=info, indicators=indicator_records(SAMPLE.tables, TEXT))
    [flag] = [r for r in run_checks(report, SAMPLE.tables) if r.id == "ocr_low_confidence"]
    assert flag.facts == [
        f"indicators[{row}].{role}"
        for row in (0, 1)
        for role in ("target", "actual", "weight", "score")
    ]
    assert "“成本指标”" in flag.message
    assert report.indicators[0].score.note == flag.message
    assert report.indicators[2].score.note is None


def test_confident_text_raises_no_flag() -> None:
    report = _report([])
    assert not [result for result in run_checks(report) if result.id == "ocr_low_confidence"]


def test_only_low_confidence_readings_go_into_the_record(scanned: Prepared) -> None:
    document = scanned.document
    low = document_info(scanned).ocr_low_confidence
    assert [(r.start, r.end) for r in low] == [
        (r.start, r.end) for r in document.readings if r.doubtful
    ]


# --- pages with and without text ---------------------------------------------------------


def test_scanned_page_between_text_pages(tmp_path: Path) -> None:
    paper = Paper()
    for line in ("（二）人员编制情况", "核定人员编制45名，实际在职人数41人。"):
        paper.prose(line)
    pdf = pymupdf.open()
    pdf.new_page().insert_text((72, 72), "Page one")
    scan = pdf.new_page(width=595, height=842)
    scan.insert_image(scan.rect, stream=paper.png())
    pdf.new_page().insert_text((72, 72), "Page three")
    path = tmp_path / "mixed.pdf"
    pdf.save(path)
    document = prepare(path).document
    first, second, third = document.pages
    assert not first.ocr and second.ocr and not third.ocr
    assert document.text[first.start : first.end].strip() == "Page one"
    lines = document.text[second.start : second.end].split("\n")
    assert len(lines) == 2 and "45名" in lines[1] and "41人" in lines[1]
    assert document.text[third.start : third.end].strip() == "Page three"
    assert all(second.start <= r.start and r.end <= second.end for r in document.readings)
    assert {r.page for r in document.readings} == {2}


def test_an_image_with_no_text_is_a_clear_error(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    Image.new("L", (800, 600), 255).save(blank)
    with pytest.raises(LoadError, match="no text found by OCR"):
        prepare(blank)
    result = CliRunner().invoke(app, ["inspect", str(blank)])
    assert result.exit_code == 1
    assert str(blank) in result.stderr and "no text found by OCR" in result.stderr
    assert "rescan" in result.stderr


def test_a_page_image_ocr_cannot_decode_names_the_page(tmp_path: Path) -> None:
    loaded = Loaded(
        path=tmp_path / "scan.pdf",
        format="pdf",
        text="",
        sha256="0",
        pages=[Page(1, image=b"\x89PNG not really")],
    )
    with pytest.raises(LoadError, match="page 1 is not a readable image"):
        read_pages(loaded)


def test_a_scan_goes_through_the_whole_batch(scanned: Prepared, tmp_path: Path) -> None:
    """The scanned PDF ingested like any report: OCR in a worker process, the
    model asked (a fake that finds nothing: tests only), checked and stored."""
    from fake_openai import FakeServer, Step

    from jixiao.ingest import Batch
    from jixiao.llm import ModelClient, Settings
    from jixiao.store import Store, models

    store = Store(f"sqlite:///{tmp_path / 'jixiao.db'}")
    outcomes = []
    with FakeServer(lambda body: Step(content="{}")) as server:
        client = ModelClient(Settings(base_url=server.url, model="fake"), use_cache=False)
        Batch(store, client, workers=1).run([scanned.document.path], outcomes.append)
    (outcome,) = outcomes
    assert outcome.status == "done", outcome.error
    with store.session() as session:
        (document,) = session.query(models.Document).all()
        assert document.ocr and document.format == "pdf" and document.pages == 2
        record = Report.model_validate(document.record)
    assert len(record.indicators) == 11
    assert any(check.id == "ocr_low_confidence" for check in record.checks)
