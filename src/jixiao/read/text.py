"""Plain text files: the encoding is detected from the bytes, never assumed."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from jixiao.document import Loaded
from jixiao.read.base import LoadError, empty

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


def load_txt(path: Path, data: bytes, digest: str) -> Loaded:
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
        raise empty(path)
    return Loaded(path=path, format="txt", text=text, sha256=digest, encoding=encoding)


def _binary(path: Path) -> LoadError:
    return LoadError(
        path,
        "binary content of no report format (not text, Word, PDF or an image)",
        "open it in the program that made it and save it as DOCX, PDF or plain text",
    )
