import pytest
from conftest import prepared

from jixiao.structure.chunks import build_chunks, estimate_tokens
from jixiao.structure.sections import build_sections
from jixiao.structure.tables import build_tables, find_text_grids


@pytest.mark.parametrize("name", ["000", "001", "002", "003"])
def test_chunks_cover_the_text_within_budget(name):
    report = prepared(name)
    text = report.document.text
    covered = set()
    headers = set()
    for chunk in report.chunks:
        # Spans are estimated one by one: never less than the joined text.
        assert chunk.tokens >= estimate_tokens(chunk.text(text))
        # A single line longer than the budget is the only excuse to exceed it.
        if chunk.tokens > 700:
            assert chunk.kind == "table" or "\n" not in text[chunk.start : chunk.end].strip()
        spans = chunk.spans
        if chunk.kind == "table" and (chunk.table, spans[0]) in headers:
            spans = spans[1:]  # the header row, repeated over a split table
        headers.add((chunk.table, chunk.spans[0]))
        for start, end in spans:
            assert not covered & set(range(start, end)), "chunks overlap"
            covered |= set(range(start, end))
    uncovered = "".join(ch for i, ch in enumerate(text) if i not in covered)
    assert uncovered.strip() == ""


@pytest.mark.parametrize("name", ["000", "001", "002", "003"])
def test_paths_are_the_headings_the_chunk_stands_under(name):
    report = prepared(name)
    text = report.document.text
    for chunk in report.chunks:
        position = 0
        for heading in chunk.path:
            position = text.index(heading, position)
            assert position <= chunk.start


def test_small_siblings_are_packed_together():
    chunks = prepared("000").chunks
    assert any(len(chunk.sections) > 1 for chunk in chunks)


def test_a_table_stays_whole_when_it_fits():
    report = prepared("000")
    (table_chunk,) = [c for c in report.chunks if c.kind == "table"]
    table = report.tables[table_chunk.table]
    assert (table_chunk.start, table_chunk.end) == (table.start, table.end)


def test_a_long_table_is_split_by_rows_with_its_header_repeated():
    header = "一级指标\t二级指标\t三级指标\t指标值\t实际完成值\t分值\t得分"
    rows = [f"产出指标\t数量指标\t第{i}项工作完成情况\t≥{i}次\t{i + 1}次\t5\t5" for i in range(60)]
    text = "一、绩效指标\n" + "\n".join([header, *rows]) + "\n二、问题\n没有。\n"
    grids = find_text_grids(text)
    tables = build_tables(grids)
    sections = build_sections(text, skip=[(g.start, g.end) for g in grids])
    chunks = [c for c in build_chunks(text, sections, tables, budget=200) if c.kind == "table"]
    assert len(chunks) > 2
    seen_rows = []
    for chunk in chunks:
        body = chunk.text(text)
        assert body.startswith(header)
        assert chunk.tokens <= 200
        seen_rows += body.split("\n")[1:]
    assert seen_rows == rows


def test_token_estimate_counts_chinese_characters_and_digits():
    assert estimate_tokens("部门预算") == 5
    assert estimate_tokens("818.93") == 7
    assert estimate_tokens("budget report") == 5
    assert estimate_tokens("") == 1
