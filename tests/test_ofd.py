"""OFD files: the text of their pages in reading order, known by their content,
and a clear error for a damaged one or one with no text.

Two kinds of file: tests/fixtures/ofd/qinghe_edu.ofd, a corpus report's Word
file printed to PDF by LibreOffice and converted by easyofd (see
tests/fixtures/make_ofd.py), and files written part by part after the
structure of GB/T 33190 by tests/corpus/render_ofd.py (text objects with their
positions, tables ruled with path objects), since no open tool writes OFD as
the issuing software of government offices does.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from pathlib import Path

import docx
import pytest
from conftest import ROOT
from corpus import render_ofd
from corpus.build import localise
from corpus.render_scan import TEXT_VERSIONS, shares
from corpus.specs import reports

from jixiao.extract import from_tables
from jixiao.read import LoadError, load, sniff
from jixiao.structure import prepare

FIXTURE = ROOT / "tests" / "fixtures" / "ofd" / "qinghe_edu.ofd"
SOURCE = ROOT / "tests" / "corpus" / "qinghe_edu__docx.docx"
CORPUS = ROOT / "tests" / "corpus"
# Corpus layouts whose cells no separator divides: their tables are the model's to read.
MODEL_READ = ("one_line", "run_together")


def write_ofd(pages: list[list[tuple[float, float, float, str]]]) -> bytes:
    """An OFD of pages of text objects (x, baseline, size in mm, text), in the
    order the file holds them."""
    return render_ofd.write_ofd(
        [[render_ofd.text_object(*item) for item in page] for page in pages]
    )


# An invented two-page report; the file holds the second line of page 1 before
# its title, and the right half of a line before its left half.
PAGE_1 = [
    (25.0, 50.0, 4.2, "一、基本情况"),
    (25.0, 35.0, 5.3, "某县档案馆2024年度部门整体支出绩效自评报告"),
    (25.0, 60.0, 4.2, "核定编制12名，实有在职人员11人。"),
    (105.0, 70.0, 4.2, "执行率96.50%。"),
    (25.0, 70.0, 4.2, "全年支出286.40万元，"),
]
PAGE_2 = [(25.0, 35.0, 4.2, "二、存在的问题"), (25.0, 45.0, 4.2, "数字化进度偏慢。")]
READ = [
    "某县档案馆2024年度部门整体支出绩效自评报告",
    "一、基本情况",
    "核定编制12名，实有在职人员11人。",
    "全年支出286.40万元，",
    "执行率96.50%。",
]


def _squeezed(text: str) -> str:
    return re.sub(r"\s", "", text)


def test_an_ofd_is_read_page_by_page_in_reading_order(tmp_path: Path) -> None:
    path = tmp_path / "report.ofd"
    path.write_bytes(write_ofd([PAGE_1, PAGE_2]))
    loaded = load(path)
    assert loaded.format == "ofd" and not loaded.ocr_pending
    first, second = loaded.pages
    page_1 = loaded.text[first.start : first.end]
    positions = [page_1.index(line) for line in READ]
    assert positions == sorted(positions), page_1
    # The halves of a line that the file holds apart are one line of the text.
    assert any(
        _squeezed(line) == "全年支出286.40万元，执行率96.50%。" for line in page_1.split("\n")
    ), page_1
    assert _squeezed(loaded.text[second.start : second.end]) == "二、存在的问题数字化进度偏慢。"
    assert second.start > first.end


def test_an_ofd_made_from_a_word_report_loses_none_of_its_text() -> None:
    """The fixture written by easyofd from LibreOffice's PDF of a corpus report
    holds every character of the Word file's paragraphs and tables, and its
    prose paragraphs in order where easyofd kept their lines together.

    easyofd places a run set in a second font (Latin digits, curly quotes) a
    line below the rest of its line, so the order is checked on the paragraphs
    set in one font, and the characters of all of them as a multiset.
    """
    loaded = load(FIXTURE)
    assert loaded.format == "ofd" and len(loaded.pages) == 3
    word = docx.Document(str(SOURCE))
    paragraphs = [p.text for p in word.paragraphs if p.text.strip()]
    cells = [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    unique_cells = list(dict.fromkeys(cells))  # a merged cell is listed once per position
    text = _squeezed(loaded.text)
    assert not Counter(_squeezed("".join(paragraphs + unique_cells))) - Counter(text)
    position = 0
    one_font = [p for p in paragraphs if not re.search(r"[0-9A-Za-z“”]", p)]
    assert len(one_font) > 10
    for paragraph in one_font:
        found = text.find(_squeezed(paragraph), position)
        assert found >= 0, paragraph
        position = found + len(_squeezed(paragraph))


def test_an_ofd_is_known_by_its_content_under_any_name(tmp_path: Path) -> None:
    data = FIXTURE.read_bytes()
    assert sniff(data) == "ofd"
    for name in ("report.zip", "report.pdf", "report"):
        path = tmp_path / name
        path.write_bytes(data)
        assert load(path).format == "ofd"


def _damaged(data: bytes, name: str, replace: bytes | None) -> bytes:
    """The OFD with one part replaced (or left out, where `replace` is None)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            if item.filename != name:
                archive.writestr(item, source.read(item))
            elif replace is not None:
                archive.writestr(item, replace)
    return buffer.getvalue()


GOOD = write_ofd([PAGE_1])


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (GOOD[: len(GOOD) // 2], "a damaged OFD"),
        (_damaged(GOOD, "Doc_0/Document.xml", b"<ofd:Document"), "a damaged OFD"),
        (_damaged(GOOD, "Doc_0/Document.xml", None), "a damaged OFD"),
        (write_ofd([[]]), "the OFD has no text and no images"),
    ],
    ids=["truncated", "broken Document.xml", "no Document.xml", "no text"],
)
def test_a_damaged_ofd_is_a_clear_load_error(tmp_path: Path, data: bytes, problem: str) -> None:
    path = tmp_path / "report.ofd"
    path.write_bytes(data)
    with pytest.raises(LoadError) as raised:
        load(path)
    error = raised.value
    assert error.path == path and problem in error.problem, error
    assert "PDF" in error.hint


# --- the corpus as OFD ------------------------------------------------------------------


def _text_version(key: str) -> Path:
    """A text file of the corpus report `key` in a layout that separates its cells."""
    return next(
        path for path in sorted(CORPUS.glob(f"{key}__*.txt")) if not path.stem.endswith(MODEL_READ)
    )


@pytest.mark.parametrize("report", reports(), ids=lambda report: report.key)
def test_an_ofd_report_gives_the_text_versions_indicator_rows_and_figures(
    tmp_path: Path, report
) -> None:
    """Printed to OFD (ruled tables, merged cells drawn merged with their text
    in the middle), every corpus report gives the indicator rows and the table
    figures its text version gives."""
    path = tmp_path / f"{report.key}.ofd"
    path.write_bytes(render_ofd.render_ofd(localise(report)))
    got = from_tables(prepare(path)).model_dump(mode="json")
    expected = from_tables(prepare(_text_version(report.key))).model_dump(mode="json")
    assert expected["indicators"]
    assert shares(expected, got) == (1.0, 1.0)


def test_an_ofd_of_scanned_pages_is_read_by_ocr() -> None:
    """An OFD easyofd made from two scanned pages (image objects, no text):
    each page is read by OCR and gives what the text version gives."""
    scanned = prepare(FIXTURE.with_name("anping_justice_scanned.ofd"))
    document = scanned.document
    assert document.format == "ofd" and [page.ocr for page in document.pages] == [True, True]
    assert document.readings
    got = from_tables(scanned).model_dump(mode="json")
    expected = from_tables(prepare(CORPUS / TEXT_VERSIONS["anping_justice"])).model_dump(
        mode="json"
    )
    rows, figures = shares(expected, got)
    assert rows >= 0.95 and figures >= 0.95, (rows, figures)


def test_a_page_image_that_cannot_be_decoded_names_the_page(tmp_path: Path) -> None:
    data = FIXTURE.with_name("anping_justice_scanned.ofd").read_bytes()
    path = tmp_path / "fax.ofd"
    path.write_bytes(_damaged(data, "Doc_0/Res/Image_1.jpg", b"JB2 not a JPEG"))
    with pytest.raises(LoadError) as raised:
        load(path)
    assert raised.value.path == path
    assert "page 2 is an image jixiao cannot decode (Image_1.jpg)" in str(raised.value)


def test_the_ocr_module_imports_on_its_own() -> None:
    """jixiao.read.ocr lays OFD pages out and imports the loaders: importing it
    first must not meet a loader half-initialised."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import jixiao.read.ocr"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
