"""OFD files (GB/T 33190, China's fixed-layout format): each page's text in
reading order, read by ofdkit.

An OFD is a ZIP of XML parts: OFD.xml names the document, Document.xml its
pages, and each page's Content.xml places text objects (their characters and
positions) and paths. ofdkit (standard library only, tolerant of the faults
common producers write) gathers a page's text objects, templates included,
and puts them in reading order: lines by baseline, left to right, prose in
columns read column by column.

Tables come out as lines, a cell a piece set apart by wide spaces: a table
whose cells do not wrap reads like a table laid out with spaces; a cell
wrapped over several lines breaks its row, since the ruling lines that would
join them are not read. An OFD whose pages are scanned images has no text to
read: the error says to convert it to PDF, whose pages jixiao reads by OCR.
"""

from __future__ import annotations

from pathlib import Path

import ofdkit

from jixiao.document import Loaded, Page
from jixiao.load.base import LoadError, TextBuilder

_REEXPORT = "re-export it from the software that issued it, or convert it to PDF there"


def load_ofd(path: Path, data: bytes, digest: str) -> Loaded:
    out = TextBuilder()
    pages: list[Page] = []
    try:
        with ofdkit.open(data) as document:
            for number, page in enumerate(document.pages, 1):
                text = page.text()
                if out.length and text:
                    out.add("\n")
                pages.append(Page(number, *out.add(text)))
    except ofdkit.OFDError as error:
        raise LoadError(path, f"a damaged OFD ({error})", _REEXPORT) from error
    if not pages:
        raise LoadError(path, "the OFD has no pages", _REEXPORT)
    text = out.text()
    if not text.strip():
        raise LoadError(
            path,
            "the OFD has no text (its pages are images, or its text is drawn as shapes)",
            "convert it to PDF with the software that issued it: jixiao reads a PDF's"
            " page images by OCR",
        )
    return Loaded(path=path, format="ofd", text=text, sha256=digest, pages=pages)
