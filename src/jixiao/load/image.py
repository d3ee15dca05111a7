"""Images (a scanned page): no text, one page carrying the image for OCR."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jixiao.document import Loaded, Page
from jixiao.load.base import LoadError
from jixiao.load.pdf import mupdf, mupdf_errors

if TYPE_CHECKING:
    import pymupdf

# Formats an OCR engine takes as they are (PNG, JPEG); the others are converted to PNG.
_AS_IS_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def load_image(path: Path, data: bytes, digest: str) -> Loaded:
    try:
        pixmap = mupdf().Pixmap(data)
        image = data if data.startswith(_AS_IS_MAGIC) else _png(pixmap)
    except mupdf_errors() as error:
        raise LoadError(
            path,
            "not a readable image (damaged, or not an image)",
            "re-export or re-scan it as PNG or JPEG",
        ) from error
    return Loaded(path=path, format="image", text="", sha256=digest, pages=[Page(1, image=image)])


def _png(pixmap: pymupdf.Pixmap) -> bytes:
    """PNG bytes of an image; PNG holds grey or RGB, so CMYK is converted first."""
    if pixmap.n - pixmap.alpha > 3:
        pixmap = mupdf().Pixmap(mupdf().csRGB, pixmap)
    return pixmap.tobytes("png")
