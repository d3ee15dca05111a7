"""Read a report file into text: TXT, DOCX, PDF or a scanned image.

Every file is untrusted. A file that cannot be read as a report raises
`LoadError`, which names the file, says what is wrong with it and what to do
about it, so that one bad file in a batch reads as one clear line.

The text is returned as the file holds it (line ends, tabs and full-width
characters included): normalisation is the next stage's job, and the offsets
of pages, grids and cells point into this text.

- TXT: the encoding is detected from the bytes, never assumed (`detect_encoding`).
- DOCX: paragraphs and tables in document order. A table is rendered one row
  per line with tab-separated cells, and recorded as a `Grid` whose cells know
  their offsets; merged cells are repeated in every position they cover.
- PDF: the text layer, page by page. A page without text carries its image for OCR.
- Images: no text, one page carrying the image for OCR.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import docx
from docx.document import Document as WordDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from lxml import etree

from jixiao.document import Cell, Format, Grid, Loaded, Page

if TYPE_CHECKING:
    import pymupdf

_FORMATS: dict[str, Format] = {
    ".txt": "txt",
    ".docx": "docx",
    ".pdf": "pdf",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
    ".bmp": "image",
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_FORMATS)

# Formats an OCR engine takes as they are; the others are converted to PNG.
_IMAGE_AS_IS = frozenset({".png", ".jpg", ".jpeg"})


@cache
def _mupdf() -> ModuleType:
    """pymupdf, imported with the first PDF or image: importing it costs a process
    over 100 MB, which the workers of a batch of text and Word files need not pay."""
    import pymupdf

    return pymupdf


def _mupdf_errors() -> tuple[type[BaseException], ...]:
    # FileDataError is a RuntimeError, but mupdf's own errors (FzErrorFormat, ...)
    # derive from Exception only.
    return (RuntimeError, ValueError, _mupdf().mupdf.FzErrorBase)


_PAGE_DPI = 200


class LoadError(Exception):
    """A file that cannot be read as a report."""

    def __init__(self, path: Path | str, problem: str, hint: str) -> None:
        # Passing every field to Exception keeps the error picklable.
        super().__init__(path, problem, hint)
        self.path = Path(path)
        self.problem = problem
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.path}: {self.problem} — {self.hint}"


# A long report with its appendices runs to some 100,000 characters and a large
# scanned one to some 50 MB. Far beyond that, a file is not one report (an
# archive concatenated, a log, a dump), and reading it would take minutes and
# gigabytes of memory, and thousands of model calls, for nothing.
MAX_FILE_BYTES = 300 * 2**20
MAX_CHARS = 1_000_000


def load(path: Path | str) -> Loaded:
    """Read one report file; raise `LoadError` if it cannot be read as a report."""
    path = Path(path)
    data = _read(path)
    digest = hashlib.sha256(data).hexdigest()
    kind = _FORMATS[path.suffix.lower()]
    if kind == "txt":
        loaded = _load_txt(path, data, digest)
    elif kind == "docx":
        loaded = _load_docx(path, data, digest)
    elif kind == "pdf":
        loaded = _load_pdf(path, data, digest)
    else:
        loaded = _load_image(path, data, digest)
    if len(loaded.text) > MAX_CHARS:
        raise LoadError(
            path,
            f"too long for one report ({len(loaded.text):,} characters; the limit is"
            f" {MAX_CHARS:,})",
            "check that it holds a single report, or split it into its reports",
        )
    return loaded


def _read(path: Path) -> bytes:
    """The bytes of a supported, non-empty regular file."""
    if not path.exists():
        raise LoadError(path, "no such file", "check the path and the file name")
    if path.is_dir():
        raise LoadError(path, "a directory, not a file", "give the report files inside it")
    if not path.is_file():
        # Reading a FIFO or a device could block forever or never end.
        raise LoadError(path, "not a regular file", "give a report file saved on disk")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        shown = path.suffix or "no suffix"
        supported = ", ".join(_FORMATS)
        raise LoadError(
            path,
            f"unsupported file type ({shown})",
            f"convert it to one of the supported types: {supported}",
        )
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise LoadError(
            path,
            f"too large for one report ({size / 2**20:,.0f} MB; the limit is"
            f" {MAX_FILE_BYTES // 2**20} MB)",
            "check that it holds a single report, or split it into its reports",
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LoadError(
            path, f"cannot read the file ({error.strerror})", "check its permissions"
        ) from error
    if not data:
        raise _empty(path)
    return data


def _empty(path: Path) -> LoadError:
    return LoadError(path, "the file is empty", "check that it was saved or downloaded completely")


# --- text files -----------------------------------------------------------------

# UTF-32 first: its little-endian BOM begins with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Characters reports are made of: ASCII, Latin-1, general punctuation (“”‰),
# symbols (℃, →, ≥, ①, ─, ★), CJK punctuation, kana, ideographs, full-width
# forms. UTF-16 read in the wrong byte order gives mostly other characters: a
# line end becomes U+0A00, 中 U+4E2D becomes U+2D4E.
_TEXT_LIKE = re.compile(
    "[\t\n\r\f\x20-\x7e\xa0-\xff\u2000-\u206f\u2100-\u22ff\u2460-\u27bf"
    "\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]+"
)
_MIN_TEXT_LIKE_SHARE = 0.8

# C0 controls that plain text does not use.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f]+")
_MAX_CONTROL_SHARE = 0.1


class _Undecodable(Exception):
    """Bytes that no supported encoding reads."""


def detect_encoding(data: bytes) -> str:
    """Encoding of a text file, from its bytes: never assumed.

    In order: a byte order mark; UTF-16 without one, told by its NUL bytes (the
    high byte of every ASCII character); UTF-8; GB18030, a superset of GBK and
    GB2312. Returns a Python codec name: "utf-8", "utf-8-sig", "utf-16-le",
    "utf-16-be", "utf-32-le", "utf-32-be" or "gb18030". A UTF-16 or UTF-32 BOM
    is not part of the text: decode what follows it.

    Raises ValueError when the bytes are none of these.
    """
    try:
        return _sniff(data)[0]
    except _Undecodable as error:
        raise ValueError("not UTF-8, UTF-16 or GB18030") from error


def _sniff(data: bytes) -> tuple[str, str]:
    """The encoding of `data` and its text, or `_Undecodable`."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            codec = "utf-8" if encoding == "utf-8-sig" else encoding
            text = _decode(data[len(bom) :], codec)
            if text is not None:
                return encoding, text
    if any(data.startswith(bom) for bom, _ in _BOMS):
        # A BOM declares the encoding: bytes that break it are not another one.
        raise _Undecodable
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    text = _decode(data, "utf-8")
    if text is not None:
        return "utf-8", text
    try:
        return "gb18030", data.decode("gb18030")
    except UnicodeDecodeError:
        raise _Undecodable from None


def _decode(data: bytes, codec: str) -> str | None:
    """`data` decoded strictly, or None.

    A character cut off at the very end (a truncated download or copy) is read
    as U+FFFD rather than failing the whole file.
    """
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        text = decoder.decode(data, final=False)
    except UnicodeDecodeError:
        return None
    pending, _ = decoder.getstate()
    return text + "\ufffd" if pending else text


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without a BOM: its encoding and text, or None.

    Every ASCII character, a line end included, puts a NUL byte on one side of
    each pair. Counting NULs by position is not enough to tell the byte order
    (一 U+4E00 and the ideographic space U+3000 put theirs on the other side),
    so both orders are decoded and the one that reads more like text wins.
    """
    if b"\0" not in data:
        return None
    best: tuple[float, str, str] | None = None
    for codec in ("utf-16-le", "utf-16-be"):
        text = _decode(data, codec)
        if not text:
            continue
        share = 1 - len(_TEXT_LIKE.sub("", text)) / len(text)
        if share >= _MIN_TEXT_LIKE_SHARE and (best is None or share > best[0]):
            best = (share, codec, text)
    return None if best is None else (best[1], best[2])


def _looks_binary(text: str) -> bool:
    if "\0" in text:
        return True
    controls = len(text) - len(_CONTROLS.sub("", text))
    return controls > _MAX_CONTROL_SHARE * len(text)


def _load_txt(path: Path, data: bytes, digest: str) -> Loaded:
    try:
        encoding, text = _sniff(data)
    except _Undecodable:
        # Latin-1 maps every byte to one character, to count the controls.
        if _looks_binary(data.decode("latin-1")):
            raise _binary(path) from None
        raise LoadError(
            path, "cannot decode the text: not UTF-8, UTF-16 or GB18030", "save it as UTF-8"
        ) from None
    if _looks_binary(text):
        raise _binary(path)
    if not text.strip():
        raise _empty(path)
    return Loaded(path=path, format="txt", text=text, sha256=digest, encoding=encoding)


def _binary(path: Path) -> LoadError:
    return LoadError(
        path,
        "binary content, not text",
        "give the file its real suffix (.docx, .pdf, ...) or export it as plain text",
    )


# --- Word files ------------------------------------------------------------------

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_RESAVE = "re-save it from Word, or convert it to PDF or TXT"

# Rows are lines and cells are separated by tabs, so a cell's own line breaks
# and tabs would split it.
_CELL_BREAKS = re.compile("[\t\n\r\v\f]")


class _TextBuilder:
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


def _load_docx(path: Path, data: bytes, digest: str) -> Loaded:
    document = _open_docx(path, data)
    out = _TextBuilder()
    grids: list[Grid] = []
    recent: list[str] = []  # non-empty paragraphs since the last table
    for block in _blocks(document.element.body, document):
        if isinstance(block, Paragraph):
            out.add(block.text + "\n")
            if block.text.strip():
                recent.append(block.text.strip())
            continue
        grid = _add_table(out, block, caption="\n".join(recent[-2:]))
        if grid is not None:
            grids.append(grid)
        recent = []
    text = out.text()
    if not text.strip():
        raise LoadError(
            path,
            "the document has no text (it may hold only images)",
            "if it holds scanned pages, export them as PDF or images, which are read by OCR",
        )
    return Loaded(path=path, format="docx", text=text, sha256=digest, grids=grids)


def _open_docx(path: Path, data: bytes) -> WordDocument:
    if data.startswith(_OLE2_MAGIC):
        # Word writes both the old .doc format and encrypted .docx files as OLE2.
        raise LoadError(
            path,
            "not a valid DOCX (an old binary .doc file, or a password-protected document)",
            "open it in Word and save it as .docx without a password, or convert it to PDF or TXT",
        )
    if not data.startswith(b"PK"):
        raise LoadError(path, "not a valid DOCX (not a ZIP archive)", _RESAVE)
    try:
        return docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise LoadError(
            path, "not a valid DOCX (the ZIP archive is damaged or truncated)", _RESAVE
        ) from error
    except etree.XMLSyntaxError as error:
        raise LoadError(path, "not a valid DOCX (its XML is damaged)", _RESAVE) from error
    except (KeyError, PackageNotFoundError, ValueError) as error:
        # python-docx: KeyError for a missing part, ValueError for another
        # Office format (an .xlsx renamed .docx).
        raise LoadError(
            path,
            "not a valid DOCX (a ZIP archive without word/document.xml)",
            "check that it is a Word document; " + _RESAVE,
        ) from error


def _blocks(element: etree._Element, parent: WordDocument) -> Iterator[Paragraph | Table]:
    """Paragraphs and tables in document order, looking into content controls
    (w:sdt), which `iter_inner_content` skips."""
    for child in element.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, parent)
        elif child.tag == qn("w:tbl"):
            yield Table(child, parent)
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _blocks(content, parent)


def _add_table(out: _TextBuilder, table: Table, caption: str) -> Grid | None:
    """Render `table` one row per line into `out`; its grid, or None if it has no cells."""
    rows = [row.cells for row in table.rows]
    rows = [row for row in rows if row]
    if not rows:
        return None
    start = out.length
    grid_rows: list[list[Cell]] = []
    above: list[_Cell] = []
    for row in rows:
        cells = []
        for index, cell in enumerate(row):
            if index:
                out.add("\t")
            text = _cell_text(cell)
            # python-docx hands back the top cell of a vertical merge in every row it spans.
            merged = index < len(above) and cell._tc is above[index]._tc
            cells.append(Cell(text, *out.add(text), merged_above=merged))
        grid_rows.append(cells)
        above = row
        end = out.length
        out.add("\n")
    return Grid(rows=grid_rows, start=start, end=end, from_file=True, caption=caption)


def _cell_text(cell: _Cell) -> str:
    """A cell's text on one line, nested tables included."""
    pieces = []
    for block in cell.iter_inner_content():
        if isinstance(block, Paragraph):
            pieces.append(block.text)
        else:
            for row in block.rows:
                pieces.append(" ".join(_cell_text(inner) for inner in _distinct(row.cells)))
    return _CELL_BREAKS.sub(" ", "\n".join(pieces))


def _distinct(cells: list[_Cell]) -> list[_Cell]:
    """A row's cells with a merged cell once (`row.cells` repeats it)."""
    distinct: list[_Cell] = []
    for cell in cells:
        if not distinct or cell._tc is not distinct[-1]._tc:
            distinct.append(cell)
    return distinct


# --- PDF files ---------------------------------------------------------------------

_REEXPORT = "re-export or re-download it, or convert it to TXT"


def _load_pdf(path: Path, data: bytes, digest: str) -> Loaded:
    out = _TextBuilder()
    pages: list[Page] = []
    with _open_pdf(path, data) as document:
        try:
            _read_pages(document, out, pages)
        except _mupdf_errors() as error:
            raise LoadError(
                path, f"a damaged PDF (page {len(pages) + 1} cannot be read)", _REEXPORT
            ) from error
    return Loaded(path=path, format="pdf", text=out.text(), sha256=digest, pages=pages)


def _read_pages(document: pymupdf.Document, out: _TextBuilder, pages: list[Page]) -> None:
    """Each page's text into `out`, each page into `pages`; a page with no text
    is rendered for OCR and has an empty span where its text would be."""
    for number, page in enumerate(document, 1):
        text = page.get_text("text", sort=True)
        if not text.strip():
            image = page.get_pixmap(dpi=_PAGE_DPI).tobytes("png")
            pages.append(Page(number, out.length, out.length, image=image))
            continue
        if out.length:
            out.add("\n")
        pages.append(Page(number, *out.add(text)))


def _open_pdf(path: Path, data: bytes) -> pymupdf.Document:
    try:
        document = _mupdf().open(stream=data, filetype="pdf")
    except _mupdf_errors() as error:
        raise LoadError(path, "not a valid PDF (damaged, or not a PDF)", _REEXPORT) from error
    if document.needs_pass:
        document.close()
        raise LoadError(
            path,
            "the PDF is password-protected",
            "remove the password (save or print it as an unprotected PDF) and try again",
        )
    if document.page_count == 0:
        document.close()
        raise LoadError(path, "the PDF has no pages", _REEXPORT)
    return document


# --- images ------------------------------------------------------------------------


def _load_image(path: Path, data: bytes, digest: str) -> Loaded:
    try:
        pixmap = _mupdf().Pixmap(data)
        image = data if path.suffix.lower() in _IMAGE_AS_IS else _png(pixmap)
    except _mupdf_errors() as error:
        raise LoadError(
            path,
            f"not a readable image (damaged, or not really a {path.suffix} file)",
            "re-export or re-scan it as PNG or JPEG",
        ) from error
    return Loaded(path=path, format="image", text="", sha256=digest, pages=[Page(1, image=image)])


def _png(pixmap: pymupdf.Pixmap) -> bytes:
    """PNG bytes of an image; PNG holds grey or RGB, so CMYK is converted first."""
    if pixmap.n - pixmap.alpha > 3:
        pixmap = _mupdf().Pixmap(_mupdf().csRGB, pixmap)
    return pixmap.tobytes("png")
