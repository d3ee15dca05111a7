"""PDFs with a text layer, made by LibreOffice and chromium from corpus reports
(tests/fixtures/make_pdfs.py), read as well as the text version of the report:
tables as grids, a table a page break cut as one grid with one header, no
running heads, footers or page numbers, two columns in reading order."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pymupdf
import pytest
from conftest import ROOT, require
from corpus.build import localise
from corpus.compare import facts
from corpus.model import Table
from corpus.render import render_text
from corpus.render_pdf import render_pdfs
from corpus.specs import reports

from jixiao.document import Loaded
from jixiao.read import load

FIXTURES = ROOT / "tests" / "fixtures"
# Each fixture, and the corpus report it was made from.
MADE_FROM = {
    "qinghe_edu_libreoffice.pdf": "qinghe_edu",
    "qinghe_edu_continued.pdf": "qinghe_edu",
    "pingyang_disabled_chromium_a5.pdf": "pingyang_disabled",
    "qinghe_school_two_columns.pdf": "qinghe_school",
    "anping_justice_unruled.pdf": "anping_justice",
    "dongling_civil_unruled.pdf": "dongling_civil",
    "hualin_water_unruled.pdf": "hualin_water",
    "songling_township_unruled.pdf": "songling_township",
    "baisha_clinic_unruled.pdf": "baisha_clinic",
    "beiyuan_agri_unruled.pdf": "beiyuan_agri",
}


@cache
def spec(key: str):
    return next(report for report in map(localise, reports()) if report.key == key)


@cache
def loaded(name: str) -> Loaded:
    return load(FIXTURES / name)


def pdf_pages(name: str) -> list[str]:
    """The fixture's pages as pymupdf's plain text extraction gives them, spaces
    and line ends (which wrap table cells) left out."""
    with pymupdf.open(FIXTURES / name) as document:
        return [re.sub(r"\s", "", page.get_text()) for page in document]


def text_version(key: str, folder: Path) -> Path:
    path = folder / f"{key}.txt"
    path.write_text(render_text(spec(key), "tab_rows"), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(MADE_FROM))
def test_a_pdf_gives_the_indicator_rows_and_figures_of_the_text_version(name, tmp_path):
    expected = facts(text_version(MADE_FROM[name], tmp_path))
    assert sum(expected.rows.values()) >= 8
    found = facts(FIXTURES / name)
    assert found.rows == expected.rows
    assert found.figures == expected.figures


def test_the_libreoffice_pdf_reads_like_the_word_file_it_was_made_from():
    word = facts(ROOT / "tests" / "corpus" / "qinghe_edu__docx.docx")
    pdf = facts(FIXTURES / "qinghe_edu_libreoffice.pdf")
    assert (pdf.rows, pdf.figures) == (word.rows, word.figures)


@pytest.mark.parametrize("name", sorted(MADE_FROM))
def test_every_cell_is_at_its_offsets_and_a_row_is_a_line(name):
    document = loaded(name)
    assert document.grids and all(grid.from_file for grid in document.grids)
    for grid in document.grids:
        lines = document.text[grid.start : grid.end].split("\n")
        assert lines == ["\t".join(cell.text for cell in row) for row in grid.rows]
        for row in grid.rows:
            for cell in row:
                assert document.text[cell.start : cell.end] == cell.text


@pytest.mark.parametrize("name", sorted(MADE_FROM))
def test_pages_keep_their_spans(name):
    document = loaded(name)
    assert [page.number for page in document.pages] == list(range(1, len(pdf_pages(name)) + 1))
    # The text is the pages' texts joined by line ends (as OCR rebuilds it).
    assert "\n".join(document.text[p.start : p.end] for p in document.pages) == document.text


def indicator_grid(document: Loaded):
    (grid,) = [g for g in document.grids if g.rows[0][0].text == "一级指标"]
    return grid


def test_a_table_a_page_break_cut_is_one_grid_with_one_header():
    name = "pingyang_disabled_chromium_a5.pdf"
    # chromium repeats the table's header row on each page the table runs over
    assert sum("一级指标" in page for page in pdf_pages(name)) >= 2
    document = loaded(name)
    assert document.text.count("一级指标") == 1
    grid = indicator_grid(document)
    (table,) = [block for block in spec("pingyang_disabled").body if isinstance(block, Table)]
    assert len(grid.rows) == len(table.rows)
    pages = [p for p in document.pages if p.start < grid.end and grid.start < p.end]
    assert len(pages) >= 2
    # The rows stay on the page they are printed on, the level merged over the
    # break standing on both.
    cells = [row[0] for row in grid.rows]
    assert any(c.merged_above and c.text == "产出指标" and c.start >= pages[1].start for c in cells)


def test_a_row_the_page_break_split_is_one_row_again():
    name = "qinghe_edu_libreoffice.pdf"
    pages = pdf_pages(name)
    # LibreOffice split the row: the end of its name is the next page's first
    # cell, under the header row it repeats there
    assert not any("年度支出控制数" in page for page in pages)
    assert "年度支出控制" in pages[1]
    header = "一级指标二级指标三级指标指标值实际完成值分值得分偏差原因分析及改进措施"
    assert pages[2].startswith("青禾县教育局" + header + "数")
    assert loaded(name).text.count("一级指标") == 1
    grid = indicator_grid(loaded(name))
    names = [row[2].text for row in grid.rows]
    assert "年度支出控制数" in names and "数" not in names
    assert len(grid.rows) == 13


def test_a_table_cut_by_hand_under_a_continued_mark_is_one_grid():
    name = "qinghe_edu_continued.pdf"
    pages = pdf_pages(name)
    (page,) = [page for page in pages if "续表" in page]
    assert page.startswith("青禾县教育局续表一级指标")
    document = loaded(name)
    assert "续表" not in document.text and document.text.count("一级指标") == 1
    grid = indicator_grid(document)
    assert [row[2].text for row in grid.rows] == [
        row[2].text for row in indicator_grid(loaded("qinghe_edu_libreoffice.pdf")).rows
    ]


def test_running_heads_footers_and_page_numbers_are_left_out():
    word = pdf_pages("qinghe_edu_libreoffice.pdf")
    assert all(f"第{n}页共{len(word)}页" in page for n, page in enumerate(word, 1))
    assert all(page.startswith("青禾县教育局") for page in word)
    text = loaded("qinghe_edu_libreoffice.pdf").text
    assert not re.search(r"第\s*\d+\s*页|共\s*\d+\s*页", text)
    assert text.count("青禾县教育局\n") == 1  # the signature at the end, not the head
    printed = pdf_pages("pingyang_disabled_chromium_a5.pdf")
    assert all(
        "file://" in page and f"{n}/{len(printed)}" in page for n, page in enumerate(printed, 1)
    )
    assert all(re.search(r"\d+/\d+/\d+", page) for page in printed)
    text = loaded("pingyang_disabled_chromium_a5.pdf").text
    assert "file://" not in text and not re.search(r"^\d+/\d+$", text, re.MULTILINE)
    assert not re.search(r"\d+/\d+/\d+", text)  # chromium's date in the running head
    assert text.count("平阳县残疾人联合会\n") == 2  # the title and the signature, not the head


def test_text_printed_twice_a_hair_apart_is_read_once():
    """chromium prints a shadowed title's text twice: bold faked that way is common."""
    title = spec("qinghe_school").body[0]
    assert pdf_pages("qinghe_school_two_columns.pdf")[0].count(title) == 2
    text = loaded("qinghe_school_two_columns.pdf").text
    assert text.startswith(title + "\n") and text.count(title) == 1


def paragraphs_in_order(document: Loaded, key: str) -> list[str]:
    """The report's paragraphs missing from the text, or out of order in it
    (lines and spacing aside)."""
    text = re.sub(r"\s", "", document.text)
    position, wrong = 0, []
    for block in spec(key).body:
        if not isinstance(block, str):
            continue
        found = text.find(re.sub(r"\s", "", block), position)
        if found < 0:
            wrong.append(block)
        else:
            position = found
    return wrong


def test_a_page_in_two_columns_reads_left_column_then_right():
    name = "qinghe_school_two_columns.pdf"
    with pymupdf.open(FIXTURES / name) as document:
        page = document[0]
        middle = page.rect.width / 2
        blocks = page.get_text("blocks")
    # the page is set in two columns side by side
    assert sum(1 for b in blocks if b[2] < middle) >= 3
    assert sum(1 for b in blocks if b[0] > middle) >= 3
    assert paragraphs_in_order(loaded(name), "qinghe_school") == []


@pytest.mark.parametrize(
    "name", ["qinghe_edu_libreoffice.pdf", "pingyang_disabled_chromium_a5.pdf"]
)
def test_a_page_in_one_column_keeps_its_order(name):
    assert paragraphs_in_order(loaded(name), MADE_FROM[name]) == []


@pytest.fixture(scope="module")
def libreoffice_pdfs(tmp_path_factory) -> dict[str, Path]:
    require("soffice", "apt-get install libreoffice-writer-nogui")
    return render_pdfs(list(map(localise, reports())), tmp_path_factory.mktemp("pdfs"))


@pytest.mark.parametrize("key", [report.key for report in reports()])
def test_every_corpus_report_as_a_libreoffice_pdf_reads_like_its_text(
    key, libreoffice_pdfs, tmp_path
):
    """The property of issue 13 over the corpus: LibreOffice prints each report's
    Word file (running head and page footer added), and the PDF gives the text
    version's indicator rows and figures."""
    expected = facts(text_version(key, tmp_path))
    found = facts(libreoffice_pdfs[key])
    assert found.rows == expected.rows
    assert found.figures == expected.figures


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_page_turned_by_its_rotate_entry_reads_the_same(turn, tmp_path):
    """A viewer shows the page turned; its text is set in the page's own
    coordinates, which find_tables' answers are turned back to."""
    with pymupdf.open(FIXTURES / "qinghe_edu_libreoffice.pdf") as document:
        for page in document:
            page.set_rotation(turn)
        document.save(tmp_path / "turned.pdf")
    turned = facts(tmp_path / "turned.pdf")
    upright = facts(FIXTURES / "qinghe_edu_libreoffice.pdf")
    assert (turned.rows, turned.figures) == (upright.rows, upright.figures)
    assert indicator_grid(load(tmp_path / "turned.pdf")).rows[0][1].text == "二级指标"


def test_page_numbers_in_the_margins_are_left_out_and_figures_in_the_body_kept(tmp_path):
    numbers = ["- 3 -", "第 4 页", "5/12", "6", "Page 7 of 12", "共12页 第8页"]
    document = pymupdf.open()
    for number in numbers:
        page = document.new_page(width=595, height=842)
        page.insert_text((72, 200), "正文第一行", fontname="china-s")
        page.insert_text((72, 230), "120", fontname="china-s")  # a figure alone on a body line
        page.insert_text((280, 810), number, fontname="china-s")
    document.save(tmp_path / "numbered.pdf")
    text = load(tmp_path / "numbered.pdf").text
    assert text.count("正文第一行") == len(numbers) and text.count("120\n") == len(numbers)
    for number in numbers:
        assert number not in text


def test_a_scanned_page_before_the_tables_leaves_their_cells_at_their_offsets(tmp_path):
    """OCR puts a scanned page's text among the others: the grids of the pages
    after it move with their text."""
    from jixiao.read.ocr import read_pages

    with pymupdf.open(FIXTURES / "qinghe_edu_libreoffice.pdf") as source:
        lines = pymupdf.Rect(80, 60, 400, 140)  # the head and the first lines of page 1
        image = source[0].get_pixmap(dpi=200, clip=lines).tobytes("png")
        scan = pymupdf.open()
        scan.new_page(width=595, height=842).insert_image(lines, stream=image)
        scan.insert_pdf(source)
        scan.save(tmp_path / "scan_first.pdf")
    document = read_pages(load(tmp_path / "scan_first.pdf"))
    assert document.pages[0].ocr and "青禾县教育局" in document.text[: document.pages[1].start]
    assert len(document.grids) == 2
    for grid in document.grids:
        lines = document.text[grid.start : grid.end].split("\n")
        assert lines == ["\t".join(cell.text for cell in row) for row in grid.rows]
        for row in grid.rows:
            for cell in row:
                assert document.text[cell.start : cell.end] == cell.text


def _unruled_page(tmp_path: Path, cells: list[tuple[float, float, str]]) -> Loaded:
    """A page with text at (x, baseline) positions only: a table with no ruling line."""
    document = pymupdf.open()
    page = document.new_page(width=595, height=842)
    page.insert_text((60, 120), "表1某单位绩效指标完成情况表", fontname="china-s", fontsize=10)
    for x, y, text in cells:
        page.insert_text((x, y), text, fontname="china-s", fontsize=10)
    page.insert_text(
        (60, 330),
        "以上指标均已完成，部分指标略有偏差，原因详见说明。",
        fontname="china-s",
        fontsize=10,
    )
    document.save(tmp_path / "unruled.pdf")
    return load(tmp_path / "unruled.pdf")


def test_an_unruled_table_set_at_the_top_of_its_cells_is_a_grid(tmp_path):
    """Cells set at the top of their rows (Word's default): a wrapped name's
    second line goes with its row, and a group label with the rows under it."""
    columns = (60, 130, 260, 330, 400)
    rows = [
        ["一级指标", "三级指标", "指标值", "分值", "得分"],
        ["产出指标", "某某服务对象", "≥120人", "20", "18"],
        ["", "覆盖人数", "", "", ""],
        ["", "某项工作完成率", "=100%", "30", "30"],
        ["效益指标", "群众满意度", "≥90%", "50", "47"],
    ]
    baselines = [150, 170, 183, 203, 223]
    cells = [
        (x, y, text)
        for row, y in zip(rows, baselines, strict=True)
        for x, text in zip(columns, row, strict=True)
        if text
    ]
    grid = next(g for g in _unruled_page(tmp_path, cells).grids)
    assert [[cell.text for cell in row] for row in grid.rows] == [
        ["一级指标", "三级指标", "指标值", "分值", "得分"],
        ["产出指标", "某某服务对象覆盖人数", "≥120人", "20", "18"],
        ["产出指标", "某项工作完成率", "=100%", "30", "30"],
        ["效益指标", "群众满意度", "≥90%", "50", "47"],
    ]


def test_prose_with_a_wide_gap_is_no_table(tmp_path):
    """Two lines broken by a gap (a signature block) are not a table."""
    cells = [
        (60, 150, "填报人：某某"),
        (300, 150, "联系电话：0000000"),
        (60, 170, "日期：某年某月"),
    ]
    assert _unruled_page(tmp_path, cells).grids == []


def test_an_unruled_table_a_page_break_cut_is_read_as_one(tmp_path):
    """The table ends one page and starts the next, its header printed again
    there. Read as one: the notes column, filled on the second page only, is a
    column on the first page too (its header set close to the score's), the
    group label printed on the first page stands for its rows on the second,
    and each page keeps the rows printed on it."""
    columns = (60, 130, 260, 330, 400, 423)
    header = ["一级指标", "三级指标", "指标值", "分值", "得分", "备注"]
    first_page = [
        header,
        ["产出指标", "某项服务人数", "≥120人", "20", "18", ""],
        ["", "某项工作完成率", "=100%", "30", "30", ""],
    ]
    second_page = [
        header,
        ["", "某项设施覆盖率", "≥90%", "20", "9", "部分村未覆盖"],
        ["效益指标", "群众满意度", "≥90%", "30", "27", ""],
    ]
    document = pymupdf.open()
    for number, rows in enumerate((first_page, second_page)):
        page = document.new_page(width=595, height=842)
        top = 760 if number == 0 else 80
        if number == 0:
            page.insert_text(
                (60, 720), "表1某单位绩效指标完成情况表", fontname="china-s", fontsize=10
            )
        for index, row in enumerate(rows):
            for x, text in zip(columns, row, strict=True):
                if text:
                    page.insert_text((x, top + 20 * index), text, fontname="china-s", fontsize=10)
        if number == 1:
            page.insert_text(
                (60, 200), "以上指标均已完成，部分指标略有偏差。", fontname="china-s", fontsize=10
            )
    document.save(tmp_path / "broken.pdf")
    loaded = load(tmp_path / "broken.pdf")

    (grid,) = loaded.grids
    assert [[cell.text for cell in row] for row in grid.rows] == [
        header,
        ["产出指标", "某项服务人数", "≥120人", "20", "18", ""],
        ["产出指标", "某项工作完成率", "=100%", "30", "30", ""],
        ["产出指标", "某项设施覆盖率", "≥90%", "20", "9", "部分村未覆盖"],
        ["效益指标", "群众满意度", "≥90%", "30", "27", ""],
    ]
    second = loaded.pages[1]
    assert grid.rows[3][1].start >= second.start and grid.rows[2][1].end < second.start
    assert loaded.text.count("三级指标") == 1


def test_a_header_printed_at_the_top_of_each_page_is_no_running_head(tmp_path):
    """A line at the same place on most pages is a running head when it stands
    apart; the header of a table printed again on each page stands against the
    table's rows and is read."""
    document = pymupdf.open()
    for name in ("甲", "乙", "丙"):
        page = document.new_page(width=595, height=842)
        page.insert_text((60, 30), "某县某局", fontname="china-s", fontsize=10)
        page.insert_text((60, 80), "指标名称      完成情况", fontname="china-s", fontsize=10)
        page.insert_text((60, 92), f"{name}项指标      已完成", fontname="china-s", fontsize=10)
        page.insert_text((60, 300), "正文" * 10, fontname="china-s", fontsize=10)
    document.save(tmp_path / "headers.pdf")
    text = load(tmp_path / "headers.pdf").text
    assert "某县某局" not in text
    assert text.count("指标名称") == 3
