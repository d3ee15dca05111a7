"""Tests for jixiao.read: encodings, Word tables, PDF pages, images, and the
errors a bad file gets. Every input file is built here, offline."""

from __future__ import annotations

import codecs
import hashlib
import io
import random
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import olefile
import pymupdf
import pytest
from docx.document import Document as WordDocument
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.read import SUPPORTED_SUFFIXES, LoadError, detect_encoding, load, sniff

SAMPLES = sorted((Path(__file__).parents[1] / "samples").glob("*.txt"))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- text files ----------------------------------------------------------------


def test_there_are_samples() -> None:
    assert len(SAMPLES) >= 4


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: path.name[:3])
def test_sample_loads_as_utf8_with_its_exact_text(sample: Path) -> None:
    data = sample.read_bytes()
    loaded = load(sample)
    assert loaded.format == "txt"
    assert loaded.encoding == "utf-8"
    assert loaded.text == data.decode("utf-8")
    assert loaded.sha256 == hashlib.sha256(data).hexdigest()
    assert loaded.path == sample
    assert loaded.pages == [] and loaded.grids == []


# How the bytes are written, and the encoding that must be reported.
ENCODINGS = [
    pytest.param(lambda text: text.encode("gb18030"), "gb18030", id="gb18030"),
    pytest.param(lambda text: text.encode("utf-8-sig"), "utf-8-sig", id="utf-8-sig"),
    pytest.param(
        lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "utf-16-le", id="utf-16-le-bom"
    ),
    pytest.param(
        lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"), "utf-16-be", id="utf-16-be-bom"
    ),
    pytest.param(lambda text: text.encode("utf-16-le"), "utf-16-le", id="utf-16-le"),
    pytest.param(lambda text: text.encode("utf-16-be"), "utf-16-be", id="utf-16-be"),
    pytest.param(
        lambda text: codecs.BOM_UTF32_LE + text.encode("utf-32-le"), "utf-32-le", id="utf-32-le-bom"
    ),
]


@pytest.mark.parametrize(("encode", "encoding"), ENCODINGS)
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: path.name[:3])
def test_sample_in_other_encodings_gives_the_same_text(
    tmp_path: Path, sample: Path, encode: Callable[[str], bytes], encoding: str
) -> None:
    text = sample.read_bytes().decode("utf-8")
    loaded = load(_write(tmp_path / "report.txt", encode(text)))
    assert loaded.encoding == encoding
    assert loaded.text == text


def test_gbk_is_read_as_its_superset_gb18030(tmp_path: Path) -> None:
    text = "辰溪县医疗保障局部门整体支出绩效自评报告\r\n核定人员编制45名。\r\n"
    loaded = load(_write(tmp_path / "gbk.txt", text.encode("gbk")))
    assert (loaded.encoding, loaded.text) == ("gb18030", text)


def test_crlf_and_tabs_are_kept(tmp_path: Path) -> None:
    text = "一级指标\t二级指标\r\n产出指标\t数量指标\r\n"
    assert load(_write(tmp_path / "crlf.txt", text.encode("utf-8"))).text == text


def test_utf8_cut_inside_its_last_character_is_still_utf8(tmp_path: Path) -> None:
    data = "绩效自评报告".encode()
    loaded = load(_write(tmp_path / "cut.txt", data[:-1]))
    assert loaded.encoding == "utf-8"
    assert loaded.text == "绩效自评报\ufffd"


def test_utf16_byte_order_is_not_fooled_by_u3000_and_yi() -> None:
    # 一 (U+4E00) and the ideographic space (U+3000) put their NUL byte on the
    # other side of the pair from ASCII: here they outnumber the line ends.
    text = ("\u3000\u3000一一一一一一一一\n") * 20
    assert detect_encoding(text.encode("utf-16-le")) == "utf-16-le"
    assert detect_encoding(text.encode("utf-16-be")) == "utf-16-be"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"", "utf-8"),
        (b"plain ASCII 2024\n", "utf-8"),
        ("绩效自评报告".encode("gb18030"), "gb18030"),
        (codecs.BOM_UTF8 + b"x", "utf-8-sig"),
    ],
)
def test_detect_encoding(data: bytes, encoding: str) -> None:
    assert detect_encoding(data) == encoding


@pytest.mark.parametrize("data", [b"\x80\x80\x80", codecs.BOM_UTF8 + b"\xff\xfe\xfd"])
def test_detect_encoding_rejects_undecodable_bytes(data: bytes) -> None:
    with pytest.raises(ValueError, match="not UTF-8, UTF-16 or GB18030"):
        detect_encoding(data)


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    assert load(_write(tmp_path / "REPORT.TXT", b"ok\n")).text == "ok\n"


def test_supported_suffixes() -> None:
    assert SUPPORTED_SUFFIXES == {
        ".txt",
        ".docx",
        ".doc",
        ".dot",
        ".wps",
        ".wpt",
        ".odt",
        ".ott",
        ".rtf",
        ".pdf",
        ".png",
        ".jpg",
        ".jpeg",
        ".tif",
        ".tiff",
        ".bmp",
        ".xlsx",
        ".xlsm",
        ".xls",
        ".ods",
        ".html",
        ".htm",
        ".shtml",
        ".xhtml",
        ".mht",
        ".mhtml",
        ".ofd",
    }


# Realistic report text for the round-trip properties. Detection cannot be
# exact for every string: a short GB18030 byte string may also be valid UTF-8
# (一 is D2 BB in GB18030, which UTF-8 reads as һ), and UTF-8 is tried first.
# About 3% of GB18030 strings with one ideograph are valid UTF-8, under 1e-5
# with five, none seen in 200,000 with eight. A report has hundreds of
# distinct ideographs, so each text has at least twelve, mixed with any other
# characters GB18030 can encode (all of Unicode) except control characters
# (binary content) and U+FEFF (at the start, indistinguishable from a BOM).
IDEOGRAPHS = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
OTHER = st.characters(codec="gb18030", exclude_categories=("Cc", "Cs"), exclude_characters="\ufeff")
LINE_ENDS = st.sampled_from(["\n", "\r\n", "\t"])


@st.composite
def report_texts(draw: st.DrawFn, other: st.SearchStrategy[str] = OTHER) -> str:
    # Distinct: hypothesis likes repeating one character, and 一一一… is valid UTF-8.
    ideographs = draw(st.lists(IDEOGRAPHS, min_size=12, max_size=40, unique=True))
    fillers = draw(st.lists(other | LINE_ENDS, max_size=40))
    return "".join(draw(st.permutations(ideographs + fillers)))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for property tests: hypothesis cannot use the per-test `tmp_path`."""
    return tmp_path_factory.mktemp("round_trip")


ROUND_TRIPS = [
    ("utf-8", lambda text: text.encode("utf-8")),
    ("gb18030", lambda text: text.encode("gb18030")),
    ("utf-8-sig", lambda text: text.encode("utf-8-sig")),
    ("utf-16-le", lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le")),
    ("utf-16-be", lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be")),
]


@settings(deadline=None)
@given(text=report_texts())
def test_report_text_round_trips(scratch: Path, text: str) -> None:
    for encoding, encode in ROUND_TRIPS:
        loaded = load(_write(scratch / f"{encoding}.txt", encode(text)))
        assert (loaded.encoding, loaded.text) == (encoding, text)


# Without a BOM, UTF-16 is told by the NUL bytes of ASCII characters, so the
# text ends its line; the byte order is told by which reading looks more like
# text, so the other characters are those the sample reports are written in.
REPORT_CHARACTERS = st.sampled_from(sorted(set("".join(p.read_text("utf-8") for p in SAMPLES))))


@settings(deadline=None)
@given(
    text=report_texts(other=REPORT_CHARACTERS), codec=st.sampled_from(["utf-16-le", "utf-16-be"])
)
def test_report_text_in_utf16_without_bom_round_trips(scratch: Path, text: str, codec: str) -> None:
    text += "\n"
    loaded = load(_write(scratch / "utf16.txt", text.encode(codec)))
    assert (loaded.encoding, loaded.text) == (codec, text)


# --- Word files ---------------------------------------------------------------------


def _docx_bytes(document: WordDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _report_docx() -> bytes:
    document = docx.Document()
    document.add_heading("部门整体支出绩效自评报告", level=1)
    document.add_paragraph("一、基本情况")
    document.add_paragraph("")
    document.add_paragraph("单位：万元")
    table = document.add_table(rows=3, cols=3)
    for row in range(3):
        for column in range(3):
            table.cell(row, column).text = f"r{row}c{column}"
    table.cell(0, 0).merge(table.cell(0, 1)).text = "项目名称"
    table.cell(1, 2).merge(table.cell(2, 2)).text = "合计"
    table.cell(1, 0).text = "两行\n文字"
    document.add_paragraph("二、绩效目标")
    return _docx_bytes(document)


def test_docx_text_in_document_order(tmp_path: Path) -> None:
    loaded = load(_write(tmp_path / "report.docx", _report_docx()))
    assert loaded.format == "docx"
    assert loaded.encoding is None
    assert loaded.text == (
        "部门整体支出绩效自评报告\n一、基本情况\n\n单位：万元\n"
        "项目名称\t项目名称\tr0c2\n"
        "两行 文字\tr1c1\t合计\n"
        "r2c0\tr2c1\t合计\n"
        "二、绩效目标\n"
    )


def test_docx_table_is_a_grid_with_offsets_and_merged_cells_repeated(tmp_path: Path) -> None:
    loaded = load(_write(tmp_path / "report.docx", _report_docx()))
    [grid] = loaded.grids
    text = loaded.text
    assert grid.from_file
    assert [[cell.text for cell in row] for row in grid.rows] == [
        ["项目名称", "项目名称", "r0c2"],
        ["两行 文字", "r1c1", "合计"],
        ["r2c0", "r2c1", "合计"],
    ]
    for row in grid.rows:
        for cell in row:
            assert text[cell.start : cell.end] == cell.text
    assert (
        text[grid.start : grid.end]
        == "项目名称\t项目名称\tr0c2\n两行 文字\tr1c1\t合计\nr2c0\tr2c1\t合计"
    )
    # The two non-empty paragraphs just above: the empty one is skipped, the heading is too far.
    assert grid.caption == "一、基本情况\n单位：万元"


def test_docx_caption_stops_at_the_previous_table_and_nested_tables_are_inline(
    tmp_path: Path,
) -> None:
    document = docx.Document()
    document.add_table(rows=1, cols=1).cell(0, 0).text = "第一表"
    outer = document.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "外层"
    inner = outer.cell(0, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "内"
    inner.cell(0, 1).text = "层"
    loaded = load(_write(tmp_path / "nested.docx", _docx_bytes(document)))
    first, second = loaded.grids
    assert first.caption == second.caption == ""
    [[left, right]] = second.rows
    assert left.text == "外层"
    # The cell's own empty paragraph, the nested table's row, and the empty
    # paragraph Word requires after a table, all on one line.
    assert right.text == " 内 层 "
    assert loaded.text[right.start : right.end] == right.text


def test_docx_content_controls_are_read(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("正文")
    control = parse_xml(
        f"<w:sdt {nsdecls('w')}><w:sdtContent><w:p><w:r><w:t>目录</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>"
    )
    document.element.body.insert(0, control)
    loaded = load(_write(tmp_path / "sdt.docx", _docx_bytes(document)))
    assert loaded.text == "目录\n正文\n"


# --- PDF files and images -----------------------------------------------------------------


def _pdf_bytes(pages: list[str | None], **save: object) -> bytes:
    """A PDF with one page per item: its text, or None for a blank page."""
    document = pymupdf.open()
    for text in pages:
        page = document.new_page()
        if text is not None:
            page.insert_text((72, 72), text)
    return document.tobytes(**save)


def test_pdf_pages_and_a_page_without_text(tmp_path: Path) -> None:
    # (A line "Page 3" in the top margin would be read as a page number, and left out.)
    loaded = load(_write(tmp_path / "report.pdf", _pdf_bytes(["Hello 123", None, "Third page"])))
    assert loaded.format == "pdf"
    assert "Hello 123" in loaded.text
    first, blank, third = loaded.pages
    assert [page.number for page in loaded.pages] == [1, 2, 3]
    assert loaded.text[first.start : first.end].strip() == "Hello 123"
    assert loaded.text[third.start : third.end].strip() == "Third page"
    assert first.image is None and third.image is None
    assert blank.start == blank.end == first.end
    assert blank.image is not None and blank.image.startswith(PNG_MAGIC)
    assert loaded.ocr_pending == [blank]


def _bmp(width: int, height: int) -> bytes:
    """A 24-bit BMP: pymupdf reads BMP but cannot write it."""
    row = bytes([0, 0, 255] * width).ljust((width * 3 + 3) // 4 * 4, b"\0")
    pixels = row * height
    header = struct.pack("<2sIHHI", b"BM", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + pixels


def test_png_is_one_page_carrying_the_file(tmp_path: Path) -> None:
    png = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 8, 8), False).tobytes("png")
    loaded = load(_write(tmp_path / "scan.png", png))
    assert (loaded.format, loaded.text) == ("image", "")
    [page] = loaded.pages
    assert (page.number, page.image) == (1, png)
    assert loaded.ocr_pending == [page]


def test_a_multi_page_tiff_is_a_page_per_frame(tmp_path: Path) -> None:
    """What a scanner's document feeder writes: each frame a page, in order."""
    from PIL import Image

    frames = [Image.new("L", (40 + n, 30), 255 - n) for n in range(3)]
    path = tmp_path / "feeder.tif"
    frames[0].save(path, "TIFF", save_all=True, append_images=frames[1:])
    loaded = load(path)
    assert loaded.format == "image" and [page.number for page in loaded.pages] == [1, 2, 3]
    for frame, page in zip(frames, loaded.pages, strict=True):
        assert page.image is not None and page.image.startswith(PNG_MAGIC)
        assert pymupdf.Pixmap(page.image).width == frame.width


def test_bmp_is_converted_to_png(tmp_path: Path) -> None:
    loaded = load(_write(tmp_path / "scan.bmp", _bmp(3, 2)))
    [page] = loaded.pages
    assert page.image is not None and page.image.startswith(PNG_MAGIC)
    assert pymupdf.Pixmap(page.image).width == 3


# --- errors --------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _docx_with_broken_xml() -> bytes:
    with zipfile.ZipFile(io.BytesIO(_report_docx())) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["word/document.xml"] = members["word/document.xml"][:200]
    return _zip(members)


def _pdf_without_pages() -> bytes:
    # pymupdf refuses to save a document with no pages, so this one is written by hand.
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Made by LibreOffice from a python-docx file (tests/fixtures/make_office.py).
OFFICE = Path(__file__).parent / "fixtures" / "office"
DOC_FIXTURE = OFFICE / "qinghe_edu.doc"


def _encrypted_docx() -> bytes:
    """A DOCX saved with a password, as Office does it (msoffcrypto-tool)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(_report_docx())).encrypt("secret", out)
    return out.getvalue()


def _word_encrypted(path: Path) -> Path:
    """The DOC fixture with the flag Word sets on a document saved with a
    password ([MS-DOC] FibBase.fEncrypted, bit 8 of the flags at 0x0A)."""
    path.write_bytes(DOC_FIXTURE.read_bytes())
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        stream = bytearray(ole.openstream("WordDocument").read())
        stream[0x0B] |= 0x01
        ole.write_stream("WordDocument", bytes(stream))
    return path


def _rename_stream(data: bytes, old: str, new: str) -> bytes:
    """An OLE2 file with a stream renamed in its directory entry (a UTF-16 name of
    at most 64 bytes, then its length in bytes with the closing NUL)."""
    at = data.index(old.encode("utf-16-le") + b"\0\0")
    name = new.encode("utf-16-le") + b"\0\0"
    return data[:at] + name.ljust(64, b"\0") + len(name).to_bytes(2, "little") + data[at + 66 :]


def _noise(size: int) -> bytes:
    """Random bytes, the same on every run, with NULs in them."""
    return random.Random(size).randbytes(size) + b"\0"


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


ERRORS: list[tuple[str, Callable[[Path], Path], str]] = [
    ("missing", lambda tmp: tmp / "missing.txt", "no such file"),
    ("directory", lambda tmp: _directory(tmp / "reports"), "a directory, not a file"),
    ("empty", lambda tmp: _write(tmp / "empty.txt", b""), "the file is empty"),
    (
        "blank",
        lambda tmp: _write(tmp / "blank.txt", " \r\n\t\u3000\n".encode()),
        "the file is empty",
    ),
    ("empty pdf", lambda tmp: _write(tmp / "empty.pdf", b""), "the file is empty"),
    (
        "binary",
        lambda tmp: _write(tmp / "binary.txt", _noise(4096)),
        "binary content of no report format",
    ),
    (
        "controls",
        lambda tmp: _write(tmp / "controls.txt", b"\x01\x02\x03abc" * 50),
        "binary content",
    ),
    (
        "undecodable",
        lambda tmp: _write(tmp / "latin.txt", "café résumé\n".encode("latin-1") * 20 + b"\xff"),
        "cannot decode the text: not UTF-8, UTF-16 or GB18030",
    ),
    (
        "unknown binary",
        lambda tmp: _write(tmp / "report.xyz", _noise(4096)),
        "binary content of no report format",
    ),
    ("docx noise", lambda tmp: _write(tmp / "noise.docx", _noise(2000)), "not a ZIP archive"),
    (
        "docx truncated",
        lambda tmp: _write(tmp / "cut.docx", _report_docx()[: len(_report_docx()) // 2]),
        "the ZIP archive is damaged or truncated",
    ),
    (
        "renamed zip",
        lambda tmp: _write(tmp / "zip.docx", _zip({"hello.txt": b"hello"})),
        "a ZIP archive without word/document.xml",
    ),
    (
        "damaged ole",
        lambda tmp: _write(tmp / "old.docx", OLE2_MAGIC + bytes(504)),
        "a damaged Office 97–2003 (OLE2) file",
    ),
    (
        "ole truncated",
        lambda tmp: _write(tmp / "cut.doc", DOC_FIXTURE.read_bytes()[:5000]),
        "a damaged Office 97–2003 (OLE2) file",
    ),
    (
        "encrypted docx",
        lambda tmp: _write(tmp / "locked.docx", _encrypted_docx()),
        "a password-protected Office file",
    ),
    (
        "encrypted doc",
        lambda tmp: _word_encrypted(tmp / "locked.doc"),
        "a password-protected Office file",
    ),
    (
        "other ole",
        lambda tmp: _write(
            tmp / "works.wps", _rename_stream(DOC_FIXTURE.read_bytes(), "WordDocument", "CONTENTS")
        ),
        (
            "an OLE2 file that is neither a Word nor an Excel file (its streams: 1Table,"
            " CONTENTS, CompObj, Data, DocumentSummaryInformation, Ole, SummaryInformation)"
        ),
    ),
    ("doc noise", lambda tmp: _write(tmp / "noise.doc", _noise(2000)), "not a valid DOC or WPS"),
    (
        "wps text",
        lambda tmp: _write(tmp / "report.wps", "一、基本情况\n".encode()),
        "not a valid DOC",
    ),
    (
        "odt not opendocument",
        lambda tmp: _write(tmp / "zip.odt", _zip({"mimetype": b"application/epub+zip"})),
        "not a valid ODT",
    ),
    ("rtf text", lambda tmp: _write(tmp / "report.rtf", b"rtf1 plain\n"), "not a valid RTF"),
    (
        "docx xml",
        lambda tmp: _write(tmp / "xml.docx", _docx_with_broken_xml()),
        "its XML is damaged",
    ),
    (
        "docx no text",
        lambda tmp: _write(tmp / "blank.docx", _docx_bytes(docx.Document())),
        "the document has no text",
    ),
    ("pdf noise", lambda tmp: _write(tmp / "noise.pdf", _noise(2000)), "not a valid PDF"),
    (
        "pdf no pages",
        lambda tmp: _write(tmp / "none.pdf", _pdf_without_pages()),
        "the PDF has no pages",
    ),
    (
        "pdf encrypted",
        lambda tmp: _write(
            tmp / "locked.pdf",
            _pdf_bytes(
                ["secret"], encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="x", owner_pw="y"
            ),
        ),
        "the PDF is password-protected",
    ),
    (
        "png corrupt",
        lambda tmp: _write(tmp / "scan.png", PNG_MAGIC + _noise(300)),
        "not a readable image",
    ),
    ("jpg noise", lambda tmp: _write(tmp / "scan.jpg", _noise(300)), "not a readable image"),
]


@pytest.mark.parametrize(
    ("make", "problem"), [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS]
)
def test_unreadable_files_raise_a_load_error(
    tmp_path: Path, make: Callable[[Path], Path], problem: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(LoadError) as raised:
        load(path)
    error = raised.value
    assert str(error).startswith(f"{path}: ")
    assert problem in error.problem
    assert error.path == path
    assert error.hint
    assert str(error) == f"{path}: {error.problem} — {error.hint}"


def test_a_text_file_is_text_under_any_name(tmp_path: Path) -> None:
    for name in ("report.xyz", "README", "report.md"):
        loaded = load(_write(tmp_path / name, "一、基本情况\n".encode()))
        assert (loaded.format, loaded.text) == ("txt", "一、基本情况\n")


@pytest.mark.parametrize(
    ("name", "make", "format"),
    [
        ("report.pdf", _report_docx, "docx"),
        ("report.txt", _report_docx, "docx"),
        ("report.docx", lambda: _pdf_bytes(["一、基本情况"]), "pdf"),
        (
            "scan.pdf",
            lambda: pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 8, 8), False).tobytes("png"),
            "image",
        ),
        ("report", lambda: _pdf_bytes(["一、基本情况"]), "pdf"),
    ],
)
def test_the_format_comes_from_the_content_not_the_name(
    tmp_path: Path, name: str, make: Callable[[], bytes], format: str
) -> None:
    assert load(_write(tmp_path / name, make())).format == format


@pytest.mark.parametrize(
    ("name", "format"),
    [
        ("qinghe_edu.doc", "doc"),
        ("qinghe_edu.odt", "odt"),
        ("qinghe_edu.rtf", "rtf"),
        ("qinghe_edu.docx", "docx"),
    ],
)
def test_word_processor_files_are_known_by_their_content(name: str, format: str) -> None:
    assert sniff((OFFICE / name).read_bytes()) == format


@pytest.mark.parametrize(("stream", "format"), [("Workbook", "xls"), ("Book", "xls")])
def test_an_ole2_file_with_a_workbook_stream_is_excel(stream: str, format: str) -> None:
    data = _rename_stream(DOC_FIXTURE.read_bytes(), "WordDocument", stream)
    assert sniff(data) == format


def test_load_error_message_format() -> None:
    error = LoadError(Path("samples/x.docx"), "not a valid DOCX", "re-save it")
    assert str(error) == "samples/x.docx: not a valid DOCX — re-save it"
    assert (error.path, error.problem, error.hint) == (
        Path("samples/x.docx"),
        "not a valid DOCX",
        "re-save it",
    )


def test_bytes_sent_under_a_name_read_as_the_file_does(tmp_path: Path) -> None:
    """A Ray worker reads the bytes it was sent, under the name of a file it cannot see."""
    source = SAMPLES[0]
    sent = load(tmp_path / "elsewhere" / source.name, source.read_bytes())
    read = load(source)
    assert (sent.text, sent.sha256, sent.format) == (read.text, read.sha256, read.format)
    assert sent.path == tmp_path / "elsewhere" / source.name
    with pytest.raises(LoadError, match="empty"):
        load(source, b"")
