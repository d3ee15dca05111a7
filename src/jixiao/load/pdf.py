"""PDF files: the text layer page by page; a page without one carries its image for OCR."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from jixiao.document import Loaded, Page
from jixiao.load.base import LoadError, TextBuilder

if TYPE_CHECKING:
    import pymupdf


@cache
def mupdf() -> ModuleType:
    """pymupdf, imported with the first PDF or image: importing it costs a process
    over 100 MB, which the workers of a batch of text and Word files need not pay."""
    import pymupdf

    return pymupdf


def mupdf_errors() -> tuple[type[BaseException], ...]:
    # FileDataError is a RuntimeError, but mupdf's own errors (FzErrorFormat, ...)
    # derive from Exception only.
    return (RuntimeError, ValueError, mupdf().mupdf.FzErrorBase)


_PAGE_DPI = 200

_REEXPORT = "re-export or re-download it, or convert it to TXT"


def load_pdf(path: Path, data: bytes, digest: str) -> Loaded:
    out = TextBuilder()
    pages: list[Page] = []
    with _open_pdf(path, data) as document:
        try:
            _read_pages(document, out, pages)
        except mupdf_errors() as error:
            raise LoadError(
                path, f"a damaged PDF (page {len(pages) + 1} cannot be read)", _REEXPORT
            ) from error
    return Loaded(path=path, format="pdf", text=out.text(), sha256=digest, pages=pages)


def _read_pages(document: pymupdf.Document, out: TextBuilder, pages: list[Page]) -> None:
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
        document = mupdf().open(stream=data, filetype="pdf")
    except mupdf_errors() as error:
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
