"""Read a report file into text, whatever its format.

Every file is untrusted. A file that cannot be read as a report raises
`LoadError`, which names the file, says what is wrong with it and what to do
about it, so that one bad file in a batch reads as one clear line.

The format comes from the content, not the name: a Word file renamed ``.pdf``
is read as Word. Only content no format claims falls back on the suffix, whose
loader then says what is wrong with the file.

The text is returned as the file holds it (line ends, tabs and full-width
characters included): normalisation is the next stage's job, and the offsets
of pages, grids and cells point into this text.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from jixiao.document import Format, Loaded
from jixiao.read.base import LoadError, empty
from jixiao.read.convert import RTF_MAGIC, is_odt, load_doc, load_odt, load_rtf
from jixiao.read.html import is_web_archive, load_html, looks_like_html
from jixiao.read.image import load_image
from jixiao.read.ofd import load_ofd
from jixiao.read.ole import OLE2_MAGIC, ole_format, ole_problem
from jixiao.read.pdf import load_pdf
from jixiao.read.sheet import load_ods, load_xls, load_xlsx
from jixiao.read.text import detect_encoding, load_txt
from jixiao.read.word import load_docx

__all__ = ["SUPPORTED_SUFFIXES", "LoadError", "detect_encoding", "load", "sniff"]

_LOADERS: dict[Format, Callable[[Path, bytes, str], Loaded]] = {
    "txt": load_txt,
    "docx": load_docx,
    "doc": load_doc,
    "odt": load_odt,
    "rtf": load_rtf,
    "pdf": load_pdf,
    "image": load_image,
    "xlsx": load_xlsx,
    "xls": load_xls,
    "ods": load_ods,
    "html": load_html,
    "ofd": load_ofd,
}

# The suffixes a folder walk picks up, and the format a file of that name is
# read as when its content is of no format that announces itself.
_SUFFIXES: dict[str, Format] = {
    ".txt": "txt",
    ".docx": "docx",
    # Word 97–2003 documents and templates, and Kingsoft WPS's, which are the same format.
    ".doc": "doc",
    ".dot": "doc",
    ".wps": "doc",
    ".wpt": "doc",
    ".odt": "odt",
    ".ott": "odt",
    ".rtf": "rtf",
    ".pdf": "pdf",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
    ".bmp": "image",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",  # read like .xlsx: its macros never run
    ".xls": "xls",
    ".ods": "ods",
    ".html": "html",
    ".htm": "html",
    ".shtml": "html",
    ".xhtml": "html",
    ".mht": "html",
    ".mhtml": "html",
    ".ofd": "ofd",
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_SUFFIXES)

# Leading bytes that name a format. PDF readers accept the header anywhere in
# the first kilobyte, so a PDF with junk in front is still a PDF.
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF87a", b"GIF89a")
_PDF_MAGIC = b"%PDF-"
_ZIP_MAGIC = b"PK\x03\x04"


def sniff(data: bytes) -> Format | None:
    """The format `data` announces by its content, or None when it announces none."""
    if _PDF_MAGIC in data[:1024]:
        return "pdf"
    if data.startswith(_IMAGE_MAGIC) or _is_bmp(data):
        return "image"
    if data.startswith(_ZIP_MAGIC):
        return _zip_format(data)
    if data.startswith(OLE2_MAGIC):
        return ole_format(data)
    if data.startswith(RTF_MAGIC):
        return "rtf"
    if looks_like_html(data) or is_web_archive(data):
        # Also a page saved as .txt, or served as .doc by a portal (Word's
        # "single file web page" too).
        return "html"
    return None


def _is_bmp(data: bytes) -> bool:
    # "BM" alone starts text too; a bitmap's header also states the file's size.
    return (
        data.startswith(b"BM")
        and len(data) >= 26
        and int.from_bytes(data[2:6], "little") == len(data)
    )


def _zip_format(data: bytes) -> Format | None:
    """An Office or OFD archive's format from the parts it holds."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, zlib.error):
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    # An OpenDocument file names its kind in its first member (a template too).
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return "ods"
    if is_odt(data):
        return "odt"
    # The OFD container's entry point stands at the archive's root.
    if any(name.lstrip("/").lower() == "ofd.xml" for name in names):
        return "ofd"
    return None


# A long report with its appendices runs to some 100,000 characters and a large
# scanned one to some 50 MB. Far beyond that, a file is not one report (an
# archive concatenated, a log, a dump), and reading it would take minutes and
# gigabytes of memory, and thousands of model calls, for nothing.
MAX_FILE_BYTES = 300 * 2**20
MAX_CHARS = 1_000_000


def load(path: Path | str, data: bytes | None = None) -> Loaded:
    """Read one report file; raise `LoadError` if it cannot be read as a report.

    Given `data`, the report is those bytes and `path` only names it: a worker
    on another machine reads a report it was sent, under its own name."""
    path = Path(path)
    data = _read(path) if data is None else _checked(path, data)
    digest = hashlib.sha256(data).hexdigest()
    kind = sniff(data)
    if kind is None and data.startswith(OLE2_MAGIC):
        # Office's own container, holding no format read here: say why, whatever the name.
        raise ole_problem(path, data)
    kind = kind or _SUFFIXES.get(path.suffix.lower(), "txt")
    loaded = _LOADERS[kind](path, data, digest)
    if len(loaded.text) > MAX_CHARS:
        raise LoadError(
            path,
            f"too long for one report ({len(loaded.text):,} characters; the limit is"
            f" {MAX_CHARS:,})",
            "check that it holds a single report, or split it into its reports",
        )
    return loaded


def _read(path: Path) -> bytes:
    """The bytes of a non-empty regular file of a size one report can have."""
    if not path.exists():
        raise LoadError(path, "no such file", "check the path and the file name")
    if path.is_dir():
        raise LoadError(path, "a directory, not a file", "give the report files inside it")
    if not path.is_file():
        # Reading a FIFO or a device could block forever or never end.
        raise LoadError(path, "not a regular file", "give a report file saved on disk")
    # Checked before reading, so that a huge file is never read into memory.
    _check_size(path, path.stat().st_size)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LoadError(
            path, f"cannot read the file ({error.strerror})", "check its permissions"
        ) from error
    return _checked(path, data)


def _checked(path: Path, data: bytes) -> bytes:
    """The bytes of a report, if one report can be that size."""
    _check_size(path, len(data))
    if not data:
        raise empty(path)
    return data


def _check_size(path: Path, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise LoadError(
            path,
            f"too large for one report ({size / 2**20:,.0f} MB; the limit is"
            f" {MAX_FILE_BYTES // 2**20} MB)",
            "check that it holds a single report, or split it into its reports",
        )
