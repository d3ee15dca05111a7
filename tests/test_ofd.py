"""OFD files: the text of their pages in reading order, known by their content,
and a clear error for a damaged one or one with no text.

Two kinds of file: tests/fixtures/ofd/qinghe_edu.ofd, a corpus report's Word
file printed to PDF by LibreOffice and converted by easyofd (see
tests/fixtures/make_ofd.py), and files written here part by part after the
structure of GB/T 33190 (OFD.xml → Doc_0/Document.xml → Pages/Page_N/Content.xml,
text objects with their boundary, font size and character positions), since no
open tool writes OFD as the issuing software of government offices does.
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

from jixiao.load import LoadError, load, sniff

FIXTURE = ROOT / "tests" / "fixtures" / "ofd" / "qinghe_edu.ofd"
SOURCE = ROOT / "tests" / "corpus" / "qinghe_edu__docx.docx"
NS = "http://www.ofdspec.org/2016"

# A text object: where it stands on the page (mm from the top left), its font
# size (mm) and its characters.
Text = tuple[float, float, float, str]


def _text_object(number: int, item: Text) -> str:
    x, y, size, text = item
    deltas = f' DeltaX="g {len(text) - 1} {size}"' if len(text) > 1 else ""
    return (
        f'<ofd:TextObject ID="{number}" Boundary="{x} {y - size} {len(text) * size} {size * 1.2}"'
        f' Font="2" Size="{size}"><ofd:FillColor Value="0 0 0"/>'
        f'<ofd:TextCode X="0" Y="{size}"{deltas}>{text}</ofd:TextCode></ofd:TextObject>'
    )


def _content(items: list[Text], first_id: int) -> str:
    objects = "".join(_text_object(first_id + n, item) for n, item in enumerate(items))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content>'
        f'<ofd:Layer ID="{first_id - 1}" Type="Body">{objects}</ofd:Layer>'
        "</ofd:Content></ofd:Page>"
    )


def write_ofd(pages: list[list[Text]]) -> bytes:
    """An OFD of the given pages, each a list of text objects in the order the
    file holds them (not necessarily the order they are read in)."""
    page_list = "".join(
        f'<ofd:Page ID="{100 + n}" BaseLoc="Pages/Page_{n}/Content.xml"/>'
        for n in range(len(pages))
    )
    parts = {
        "OFD.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}"'
            ' Version="1.1" DocType="OFD"><ofd:DocBody><ofd:DocInfo>'
            "<ofd:DocID>6a1b2c3d4e5f40718293a4b5c6d7e8f9</ofd:DocID>"
            "<ofd:CreationDate>2025-03-28</ofd:CreationDate></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
        ),
        "Doc_0/Document.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}">'
            "<ofd:CommonData><ofd:MaxUnitID>999</ofd:MaxUnitID>"
            "<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
            "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
            f"<ofd:Pages>{page_list}</ofd:Pages></ofd:Document>"
        ),
        "Doc_0/PublicRes.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res">'
            '<ofd:Fonts><ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts>'
            "</ofd:Res>"
        ),
    }
    for n, items in enumerate(pages):
        parts[f"Doc_0/Pages/Page_{n}/Content.xml"] = _content(items, 200 + 100 * n)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()


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
        (write_ofd([[]]), "the OFD has no text"),
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
