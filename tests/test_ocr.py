"""OCR: printed report pages read back, scans damaged as scanners damage them,
a scanned report through the whole pipeline, and the review flags on what OCR
was unsure of.

The pages are committed images (tests/fixtures/scans/, rendered once by
tests/fixtures/make_scans.py from reports of the corpus), so that no font is
needed here; `tests/corpus/render_scan.py` damages them with Pillow. OCR takes
a few seconds a page on two cores, so each scan is read once per module.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import cache
from pathlib import Path

import pymupdf
import pytest
from conftest import ROOT, SAMPLES, prepared
from corpus.model import Table
from corpus.render_scan import DAMAGES, SCANS, TEXT_VERSIONS, scan, shares
from corpus.specs import reports
from PIL import Image
from typer.testing import CliRunner

from jixiao.check import run_checks
from jixiao.cli import app
from jixiao.document import Loaded, Page
from jixiao.extract import document_info, from_tables, indicator_records
from jixiao.read import LoadError
from jixiao.read.ocr import Line, read_image, read_pages
from jixiao.records import DocumentInfo, Fact, IndicatorRecord, OcrReading, Report
from jixiao.structure import Prepared, prepare
from jixiao.structure.tables import build_tables, find_text_grids

CORPUS = ROOT / "tests" / "corpus"
SPECS = {report.key: report for report in reports()}


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


@cache
def text_version(key: str) -> Prepared:
    """The corpus's text file of a scanned report."""
    return prepare(CORPUS / TEXT_VERSIONS[key])


# The sample whose indicator table the review-flag tests take (text only).
SAMPLE = prepared(min(SAMPLES, key=lambda path: path.stat().st_size).name[:3])
TEXT = SAMPLE.document.text


# --- pages read back ------------------------------------------------------------------


@pytest.fixture(scope="module")
def prose() -> tuple[str, list[Line]]:
    """A page of prose: the project report's paragraphs before its form."""
    report = SPECS["hualin_water"]
    paragraphs = [block for block in report.body[: _first_table(report.body)]]
    return "\n".join(paragraphs), read_image((SCANS / "hualin_water-1.png").read_bytes())


def _first_table(body: list) -> int:
    return next(n for n, block in enumerate(body) if isinstance(block, Table))


def test_prose_reads_back_at_98_percent(prose: tuple[str, list[Line]]) -> None:
    expected, lines = prose
    read = "\n".join(line.text for line in lines)
    assert accuracy(expected, read) >= 0.98, read


def test_lines_come_in_reading_order_with_boxes_and_confidence(
    prose: tuple[str, list[Line]],
) -> None:
    _, lines = prose
    assert lines[0].text == "农村饮水安全工程维修养护项目2024年度绩效自评报告"
    tops = [line.box[1] for line in lines]
    assert tops == sorted(tops)
    assert all(not line.table and len(line.cells) == 1 for line in lines)
    assert all(0 < line.confidence <= 1 for line in lines)
    left, top, right, bottom = lines[0].box
    assert 0 <= left < right and 0 <= top < bottom


@pytest.fixture(scope="module")
def borderless() -> str:
    """The department report's indicator table printed without ruling lines."""
    lines = read_image((SCANS / "anping_justice-borderless.png").read_bytes())
    return "\n".join(line.text for line in lines)


def test_a_borderless_table_gives_the_text_versions_indicator_records(borderless: str) -> None:
    lines = borderless.split("\n")
    assert all(line.count("\t") == 7 for line in lines), borderless
    expected = text_version("anping_justice").document.text
    assert _records(borderless) == _records(expected)


# --- damaged scans --------------------------------------------------------------------


@cache
def scanned_report(
    key: str, damage: str, numbers: tuple[int, ...] | None, folder: Path
) -> Prepared:
    """A report's pages (`numbers`, all by default) scanned with `damage`, as a TIFF."""
    path = scan(key, damage, folder / f"{key}-{damage}.tiff", list(numbers) if numbers else None)
    return prepare(path)


def scanned_record(key: str, damage: str, numbers: tuple[int, ...] | None, folder: Path) -> dict:
    return from_tables(scanned_report(key, damage, numbers, folder)).model_dump(mode="json")


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scans")


# The project report's form (page 2): its project figures and its indicator rows.
FORM = ("hualin_water", (2,))


# 300 dpi alone is left to bench/scans.py: the last damage is at 300 dpi too,
# and a page of four times the pixels takes twice as long to read.
@pytest.mark.parametrize("damage", [name for name in DAMAGES if name not in ("upright", "300dpi")])
def test_a_damaged_scan_gives_what_the_upright_page_gives(damage: str, scans: Path) -> None:
    """Turned by quarters, askew, blurred, JPEG-compressed or at 300 dpi, the
    form gives the indicator rows and figures the same page gives upright."""
    key, numbers = FORM
    upright = scanned_record(key, "upright", numbers, scans)
    damaged = scanned_record(key, damage, numbers, scans)
    assert upright["indicators"] and upright["projects"]
    assert shares(upright, damaged) == (1.0, 1.0), (damaged["indicators"], damaged["projects"])


@pytest.mark.parametrize("key", sorted(TEXT_VERSIONS))
def test_an_upright_scan_gives_the_text_versions_rows_and_figures(key: str, scans: Path) -> None:
    expected = from_tables(text_version(key)).model_dump(mode="json")
    numbers = FORM[1] if key == FORM[0] else None
    rows, figures = shares(expected, scanned_record(key, "upright", numbers, scans))
    assert rows >= 0.95 and figures >= 0.95, (rows, figures)


# --- a scanned report through the pipeline ------------------------------------------------


@pytest.fixture(scope="module")
def scanned(scans: Path) -> Prepared:
    """The department report scanned upright: a multi-page TIFF, as a document
    feeder writes it."""
    return scanned_report("anping_justice", "upright", None, scans)


def test_a_scanned_report_is_read_by_ocr_page_by_page(scanned: Prepared) -> None:
    document = scanned.document
    assert document.format == "image" and len(document.pages) == 2
    assert all(page.ocr and page.image is None for page in document.pages)
    first, second = document.pages
    assert (first.start, first.end + 1, second.end) == (0, second.start, len(document.text))
    assert document.readings
    for reading in document.readings:
        assert 0 <= reading.start < reading.end <= len(document.text)
        assert "\n" not in document.text[reading.start : reading.end]
    assert accuracy(text_version("anping_justice").document.text, document.text) >= 0.97
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
    text = text_version("anping_justice")
    expected = indicator_records(text.tables, text.document.text)
    assert len(report.indicators) == len(expected) == 11

    def shown(value: object) -> object:
        # A fact's offsets differ between the texts.
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
    pdf = pymupdf.open()
    pdf.new_page().insert_text((72, 72), "Page one")
    scan = pdf.new_page(width=595, height=842)
    scan.insert_image(scan.rect, stream=(SCANS / "hualin_water-3.png").read_bytes())
    pdf.new_page().insert_text((72, 72), "Page three")
    path = tmp_path / "mixed.pdf"
    pdf.save(path)
    document = prepare(path).document
    first, second, third = document.pages
    assert not first.ocr and second.ocr and not third.ocr
    assert document.text[first.start : first.end].strip() == "Page one"
    assert document.text[second.start : second.end].split("\n") == ["2025年3月6日"]
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
    """The scanned report ingested like any report: OCR in a worker process, the
    model asked (a fake that finds nothing: tests only), checked and stored."""
    from fake_openai import FakeServer, Step

    from jixiao.batch import Batch
    from jixiao.extract.llm import ModelClient, Settings
    from jixiao.store import Store, models
    from jixiao.store.current import as_stored

    store = Store(f"sqlite:///{tmp_path / 'jixiao.db'}")
    outcomes = []
    with FakeServer(lambda body: Step(content="{}")) as server:
        client = ModelClient(Settings(base_url=server.url, model="fake"), use_cache=False)
        Batch(store, client, workers=1).run([scanned.document.path], outcomes.append)
    (outcome,) = outcomes
    assert outcome.status == "done", outcome.error
    with store.session() as session:
        (document,) = session.query(models.Document).all()
        assert document.ocr and document.format == "image" and document.pages == 2
        record, _ = as_stored(session, document)
    assert len(record.indicators) == 11
    assert any(check.id == "ocr_low_confidence" for check in record.checks)
