"""Images (scanned pages): no text, a page per image carrying it for OCR.

A multi-page TIFF (what a scanner's document feeder writes) is a page per
frame; every other image is one page.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, UnidentifiedImageError

from jixiao.document import Loaded, Page
from jixiao.read.base import LoadError
from jixiao.read.pdf import mupdf, mupdf_errors

if TYPE_CHECKING:
    import pymupdf

# Formats an OCR engine takes as they are (PNG, JPEG); the others are converted to PNG.
_AS_IS_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*")


def load_image(path: Path, data: bytes, digest: str) -> Loaded:
    frames = _tiff_frames(data) if data.startswith(_TIFF_MAGIC) else []
    if len(frames) > 1:
        pages = [Page(number, image=frame) for number, frame in enumerate(frames, 1)]
        return Loaded(path=path, format="image", text="", sha256=digest, pages=pages)
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


def _tiff_frames(data: bytes) -> list[bytes]:
    """Each frame of a multi-page TIFF as PNG bytes (MuPDF reads only the first);
    none for a single page or a TIFF Pillow cannot read, which MuPDF then reads
    or rejects."""
    try:
        with Image.open(io.BytesIO(data)) as tiff:
            count = getattr(tiff, "n_frames", 1)
            frames = []
            for number in range(count if count > 1 else 0):
                tiff.seek(number)
                frame = tiff if tiff.mode in ("1", "L", "RGB") else tiff.convert("RGB")
                out = io.BytesIO()
                frame.save(out, "PNG")
                frames.append(out.getvalue())
            return frames
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return []


def _png(pixmap: pymupdf.Pixmap) -> bytes:
    """PNG bytes of an image; PNG holds grey or RGB, so CMYK is converted first."""
    if pixmap.n - pixmap.alpha > 3:
        pixmap = mupdf().Pixmap(mupdf().csRGB, pixmap)
    return pixmap.tobytes("png")
