"""OLE2 compound files (Office 97–2003, Kingsoft WPS, and password-protected
Office files): which of them a report is, told by the streams the file holds.

Word 97–2003 and Kingsoft WPS documents hold a ``WordDocument`` stream, Excel
97–2003 workbooks a ``Workbook`` (or Excel 5's ``Book``) stream. Office 2007+
files (DOCX, XLSX) saved with a password are OLE2 files too, holding the
encrypted package, and so are Word 97–2003 documents saved with a password,
which say so in their file information block.
"""

from __future__ import annotations

import io
from pathlib import Path

import olefile

from jixiao.document import Format
from jixiao.read.base import LoadError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# [MS-DOC] FibBase: the flags are the 16 bits at offset 0x0A of the WordDocument
# stream, and fEncrypted is their bit 8.
_FIB_FLAGS = slice(0x0A, 0x0C)
_F_ENCRYPTED = 0x0100

_UNLOCK = "open it in the program that made it and save it without a password"


def ole_format(data: bytes) -> Format | None:
    """The report format of an OLE2 file, or None for one no loader reads
    (damaged, password-protected, or of another program): `ole_problem` says which."""
    streams = _streams(data)
    if streams is None or _encrypted(data, streams):
        return None
    if "WordDocument" in streams:
        return "doc"
    if "Workbook" in streams or "Book" in streams:
        return "xls"
    return None


def ole_problem(path: Path, data: bytes) -> LoadError:
    """Why an OLE2 file that `ole_format` names no format for cannot be read."""
    streams = _streams(data)
    if streams is None:
        return LoadError(
            path,
            "a damaged Office 97–2003 (OLE2) file: its directory of contents cannot be read",
            "ask for a fresh copy, or open it in the program that made it and save it again",
        )
    if _encrypted(data, streams):
        return LoadError(path, "a password-protected Office file", _UNLOCK)
    # Stream names are the file's own text: control characters (\x05SummaryInformation) go.
    names = sorted("".join(char for char in name if char.isprintable()) for name in streams)
    listed = ", ".join(names[:8]) or "none"
    return LoadError(
        path,
        f"an OLE2 file that is neither a Word nor an Excel file (its streams: {listed})",
        "give the report as DOC, DOCX, WPS, XLS, XLSX, PDF or TXT",
    )


def _open(data: bytes) -> olefile.OleFileIO:
    # BytesIO, always: olefile takes a short bytes argument for a file name.
    return olefile.OleFileIO(io.BytesIO(data))


def _streams(data: bytes) -> set[str] | None:
    """The names of the file's top-level streams and storages, or None if its
    directory cannot be read."""
    try:
        with _open(data) as ole:
            return {entry[0] for entry in ole.listdir(streams=True, storages=True)}
    except (OSError, ValueError, IndexError):
        # olefile's own errors are OSErrors; a damaged sector table can also
        # surface as a ValueError or an IndexError from its parsing.
        return None


def _encrypted(data: bytes, streams: set[str]) -> bool:
    if {"EncryptedPackage", "EncryptionInfo"} & streams:
        return True
    if "WordDocument" not in streams:
        return False
    try:
        with _open(data) as ole:
            flags = ole.openstream("WordDocument").read(_FIB_FLAGS.stop)[_FIB_FLAGS]
    except (OSError, ValueError, IndexError):
        return False  # LibreOffice then says what it makes of the stream
    return len(flags) == 2 and bool(int.from_bytes(flags, "little") & _F_ENCRYPTED)
