"""The same report in another encoding or as a Word file reads the same."""

import docx
import pytest
from conftest import SAMPLES, prepared

from jixiao.structure import prepare
from jixiao.structure.sections import flatten
from jixiao.structure.tables import build_tables, find_text_grids


def shape(report):
    text = report.document.text
    return (
        [(s.level, s.number, s.title) for s in flatten(report.sections)],
        [r.to_json() for t in report.tables if t.kind == "indicators" for r in t.indicators],
        [text[c.start : c.end] for c in report.chunks],
    )


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name[:3])
def test_gb18030_copy_reads_like_the_utf8_original(tmp_path, path):
    copy = tmp_path / path.name
    copy.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    report = prepare(copy)
    assert report.document.encoding == "gb18030"
    assert shape(report) == shape(prepared(path.name[:3]))


def word_rows(grid, tables):
    """The rows of a flattened grid as Word holds them: a row cut in two by a
    blank line inside a cell is one row, and a label that spans columns is one
    merged cell."""
    width = max(len(row) for row in grid.rows)
    rows = []
    pending = None
    for row in grid.rows:
        texts = [cell.text for cell in row]
        table = next((t for t in tables if any(row[0] == body[0] for body in t.rows)), None)
        if table is not None and table.kind == "indicators" and len(texts) < width:
            if pending is None and len(texts) < width // 2:
                pending = texts  # 002's 总体绩效 / （56分）, cut from the rest of its row
                continue
            if pending is not None:
                texts, pending = pending + texts, None
            if len(texts) < width:
                labels = len(texts) - (width - 3)
                texts = texts[:labels] + [texts[labels - 1]] * (3 - labels) + texts[labels:]
        rows.append(texts + [""] * (width - len(texts)))
    return rows


def write_docx(text, path):
    """A Word file of a report's text, its flattened tables as real Word tables,
    with the merges Word would have: level labels merged down over empty cells
    and a label merged across the columns it spans."""
    grids = find_text_grids(text)
    tables = build_tables(grids)
    document = docx.Document()
    position = 0
    for grid in grids:
        for line in text[position : grid.start].rstrip("\n").split("\n"):
            document.add_paragraph(line)
        rows = word_rows(grid, tables)
        word = document.add_table(rows=len(rows), cols=len(rows[0]))
        for r, texts in enumerate(rows):
            for c, value in enumerate(texts):
                if c and value and texts[c - 1] == value and c < 3:
                    word.cell(r, c - 1).merge(word.cell(r, c))
                elif not value and r and c < 2 and rows[r - 1][c]:
                    word.cell(r - 1, c).merge(word.cell(r, c))
                    rows[r][c] = rows[r - 1][c]
                else:
                    word.cell(r, c).text = value
        position = grid.end
    for line in text[position:].lstrip("\n").split("\n"):
        document.add_paragraph(line)
    document.save(path)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name[:3])
def test_word_file_reads_like_the_text_file(tmp_path, path):
    target = tmp_path / (path.stem + ".docx")
    write_docx(prepared(path.name[:3]).document.text, target)
    report = prepare(target)
    assert report.document.format == "docx"
    assert all(grid.from_file for grid in report.document.grids)
    assert any(
        cell.merged_above for grid in report.document.grids for row in grid.rows for cell in row
    )
    sections, records, _ = shape(report)
    expected_sections, expected_records, _ = shape(prepared(path.name[:3]))
    assert sections == expected_sections
    assert records == expected_records


def test_a_span_of_the_normalised_text_shows_in_the_original(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text(
        "一、预算执行\n全年支出 ８１８.９３ 万元[image: ]，执行率１００％。\n", encoding="utf-8"
    )
    document = prepare(path).document
    start = document.text.index("818.93万元")
    original_start, original_end = document.original_span(start, start + len("818.93万元"))
    assert document.original[original_start:original_end] == "８１８.９３ 万元"
