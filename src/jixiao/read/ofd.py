"""OFD files (GB/T 33190, China's fixed-layout format): each page's text in
reading order, its ruled tables as rows of cells.

An OFD is a ZIP of XML parts: OFD.xml names the document, Document.xml its
pages, and each page's Content.xml places text objects (their characters and
positions) and path objects (lines and shapes). ofdkit (standard library only,
tolerant of the faults common producers write) reads the pages' text objects,
templates included, and puts a page's text in reading order: lines by
baseline, left to right, prose in columns read column by column.

No library reads an OFD's tables, so the ruling lines are read here from the
page's path objects (straight strokes and hairline rectangles, the way
printers draw table rules), drawn on a blank image, and the page is laid out
as a scanned page is (`jixiao.read.ocr.lay_out`): a ruled table becomes one row
per line with its cells separated by tabs, merged cells written once. A page
without ruled tables keeps ofdkit's reading order.

A page that is a scanned image (an OFD made from a scanner's or a fax's
pages) has no text object: its image objects are drawn on a white page, which
is read by OCR as a scanned PDF page is.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import ofdkit
from lxml import etree

from jixiao.document import Loaded, Page
from jixiao.read.base import LoadError, TextBuilder

if TYPE_CHECKING:
    from jixiao.read.ocr import Box

_REEXPORT = "re-export it from the software that issued it, or convert it to PDF there"
# Pixels per millimetre of the image the rules are drawn on: a rule 1 mm from
# its neighbour stays apart, and an A4 page is 840 × 1188 pixels.
_SCALE = 4.0
# A stroke this much off the horizontal or vertical (mm) still counts as a rule,
# and a filled rectangle this thin is a rule too.
_STRAIGHT = 0.3
_HAIRLINE = 0.8
# A part of a page larger than this is not read for rules (ofdkit limits its own
# reads), nor a page larger than this (mm; A0 is 841 × 1189) drawn.
_MAX_CONTENT = 64 * 2**20
_MAX_SIDE = 1200.0
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def load_ofd(path: Path, data: bytes, digest: str) -> Loaded:
    # Imported here: jixiao.read.ocr imports this package, and OpenCV is slow to
    # load for the workers of a batch that holds no OFD.
    from jixiao.read.ocr import page_joint

    out = TextBuilder()
    pages: list[Page] = []
    previous = ""
    try:
        with ofdkit.open(data) as document, zipfile.ZipFile(io.BytesIO(data)) as archive:
            media = _media(archive)
            for number, page in enumerate(document.pages, 1):
                text = _page_text(page, archive)
                if not text.strip():
                    image = _page_image(path, number, page, archive, media)
                    pages.append(Page(number, out.length, out.length, image=image))
                    continue
                if out.length:
                    out.add(page_joint(previous))
                pages.append(Page(number, *out.add(text)))
                previous = text
    except (ofdkit.OFDError, zipfile.BadZipFile) as error:
        raise LoadError(path, f"a damaged OFD ({error})", _REEXPORT) from error
    if not pages:
        raise LoadError(path, "the OFD has no pages", _REEXPORT)
    text = out.text()
    if not text.strip() and not any(page.image for page in pages):
        raise LoadError(
            path,
            "the OFD has no text and no images (its text is drawn as shapes)",
            "convert it to PDF with the software that issued it: jixiao reads a PDF's"
            " page images by OCR",
        )
    return Loaded(path=path, format="ofd", text=text, sha256=digest, pages=pages)


# Pixels per millimetre of a scanned page drawn for OCR: 200 dpi.
_IMAGE_SCALE = 200 / 25.4


def _media(archive: zipfile.ZipFile) -> dict[str, str]:
    """The archive's path of each multimedia resource (a page's image), by ID:
    the resource files the documents name (PublicRes, DocumentRes), each
    holding its media under its own base folder."""
    media: dict[str, str] = {}
    entry = _content(archive, "OFD.xml")
    for root in entry.iter("{*}DocRoot") if entry is not None else ():
        document_path = (root.text or "").strip().lstrip("/")
        document = _content(archive, document_path)
        if document is None:
            continue
        for listed in (*document.iter("{*}PublicRes"), *document.iter("{*}DocumentRes")):
            res_path = posixpath.join(posixpath.dirname(document_path), (listed.text or "").strip())
            res = _content(archive, res_path)
            if res is None:
                continue
            base = posixpath.join(posixpath.dirname(res_path), res.get("BaseLoc", ""))
            for item in res.iter("{*}MultiMedia"):
                file = item.find("{*}MediaFile")
                if item.get("ID") and file is not None and file.text:
                    name = file.text.strip()
                    where = name.lstrip("/") if name.startswith("/") else posixpath.join(base, name)
                    media[item.get("ID", "")] = posixpath.normpath(where)
    return media


def _page_image(
    path: Path, number: int, page: ofdkit.Page, archive: zipfile.ZipFile, media: dict[str, str]
) -> bytes | None:
    """A page without text as the image a scanner made of it: its image objects
    drawn where they stand on a white page, as PNG; None for a blank page."""
    from PIL import Image, UnidentifiedImageError

    content = _content(archive, page.location)
    if content is None:
        return None
    x0, y0, width, height = page.box
    if not (0 < width <= _MAX_SIDE and 0 < height <= _MAX_SIDE):
        return None
    canvas: Image.Image | None = None
    for element in content.iter("{*}ImageObject"):
        boundary = _numbers(element.get("Boundary"), 4)
        name = media.get(element.get("ResourceID", ""))
        if boundary is None or name is None:
            continue
        try:
            with Image.open(io.BytesIO(archive.read(name))) as source:
                size = (
                    max(1, round(boundary[2] * _IMAGE_SCALE)),
                    max(1, round(boundary[3] * _IMAGE_SCALE)),
                )
                picture = source.convert("L").resize(size)
        except KeyError:
            continue  # a resource the package does not hold: nothing drawn there
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
            raise LoadError(
                path,
                f"page {number} is an image jixiao cannot decode ({posixpath.basename(name)})",
                "convert the OFD to PDF with the software that issued it, or print it to PDF",
            ) from error
        if canvas is None:
            canvas = Image.new(
                "L", (round(width * _IMAGE_SCALE), round(height * _IMAGE_SCALE)), 255
            )
        canvas.paste(
            picture,
            (round((boundary[0] - x0) * _IMAGE_SCALE), round((boundary[1] - y0) * _IMAGE_SCALE)),
        )
    if canvas is None:
        return None
    out = io.BytesIO()
    canvas.save(out, "PNG")
    return out.getvalue()


def _page_text(page: ofdkit.Page, archive: zipfile.ZipFile) -> str:
    """The page's text: laid out around its ruled tables where it has any."""
    import cv2
    import numpy as np

    from jixiao.read.ocr import lay_out, page_text

    x0, y0, width, height = page.box
    if not (0 < width <= _MAX_SIDE and 0 < height <= _MAX_SIDE):
        return page.text()
    rules = np.full((round(height * _SCALE) + 1, round(width * _SCALE) + 1), 255, np.uint8)
    count = 0
    for (x1, y1), (x2, y2) in _rules(archive, page.location):
        start = (round((x1 - x0) * _SCALE), round((y1 - y0) * _SCALE))
        end = (round((x2 - x0) * _SCALE), round((y2 - y0) * _SCALE))
        cv2.line(rules, start, end, 0, 2)
        count += 1
    if count < 6:  # fewer than a table of two rows and two columns has
        return page.text()
    boxes = [box for run in page.runs if (box := _box(run, x0, y0)) is not None]
    return page_text(lay_out(_unique(boxes), rules))[0]


def _box(run: ofdkit.TextRun, x0: float, y0: float) -> Box | None:
    """A text run as a box of the page, in the rules' pixels; its characters'
    edges spread evenly over its width (OFD gives the run's, not each one's)."""
    count = len(run.text)
    if not count:
        return None
    size = run.size or 3.5
    left, width = (run.x - x0) * _SCALE, (run.width or size * count) * _SCALE
    edges = tuple((left + width * n / count, left + width * (n + 1) / count) for n in range(count))
    top, bottom = (run.y - y0 - 0.85 * size) * _SCALE, (run.y - y0 + 0.15 * size) * _SCALE
    from jixiao.read.ocr import Box

    box = Box(run.text, top, bottom, edges, (1.0,) * count)
    return box._part(0, count)


def _unique(boxes: list[Box]) -> list[Box]:
    """Boxes drawn twice at one spot (how some producers make bold) once."""
    seen: set[tuple[str, int, int]] = set()
    unique = []
    for box in boxes:
        key = (box.text, round(box.left), round(box.top))
        if key not in seen:
            seen.add(key)
            unique.append(box)
    return unique


Point = tuple[float, float]


def _rules(archive: zipfile.ZipFile, location: str | None) -> Iterator[tuple[Point, Point]]:
    """The straight horizontal and vertical strokes of a page's path objects,
    in millimetres on the page."""
    content = _content(archive, location)
    if content is None:
        return
    for element in content.iter("{*}PathObject"):
        boundary = _numbers(element.get("Boundary"), 4)
        data = element.find("{*}AbbreviatedData")
        if boundary is None or data is None or not data.text:
            continue
        ctm = _numbers(element.get("CTM"), 6) or (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        for outline in _outlines(data.text):
            points = [_place(point, ctm, boundary) for point in outline]
            yield from _straight(points)


def _content(archive: zipfile.ZipFile, location: str | None) -> etree._Element | None:
    """A page's Content.xml, or None where ofdkit found the page's text without
    it (a page whose content stands elsewhere, or none)."""
    names = {name.lstrip("/").lower(): name for name in archive.namelist()}
    name = names.get((location or "").lstrip("/").lower())
    if name is None or archive.getinfo(name).file_size > _MAX_CONTENT:
        return None
    try:
        return etree.fromstring(archive.read(name), _PARSER)
    except (etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, OSError):
        # ofdkit read the text from a repaired copy, or said the part is damaged.
        return None


def _numbers(value: str | None, count: int) -> tuple[float, ...] | None:
    try:
        numbers = tuple(float(part) for part in (value or "").split())
    except ValueError:
        return None
    return numbers if len(numbers) == count else None


_TOKEN = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# How many numbers each drawing command takes (GB/T 33190, 9.3.2).
_ARITY = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}


def _outlines(data: str) -> Iterator[list[Point]]:
    """The straight-line outlines of a path's abbreviated data: each run of
    move and line commands, a closing command adding its first point again.
    Curves end an outline (rules are straight)."""
    tokens = _TOKEN.findall(data)
    outline: list[Point] = []
    position = 0
    while position < len(tokens):
        command = tokens[position]
        arity = _ARITY.get(command)
        if arity is None:  # a stray number, or a command of no known kind
            position += 1
            continue
        try:
            numbers = [float(token) for token in tokens[position + 1 : position + 1 + arity]]
        except ValueError:
            return
        if len(numbers) < arity:
            return
        position += 1 + arity
        if command in "SM":
            if len(outline) > 1:
                yield outline
            outline = [(numbers[0], numbers[1])]
        elif command == "L" and outline:
            outline.append((numbers[0], numbers[1]))
        elif command == "C" and len(outline) > 1:
            outline.append(outline[0])
        elif command in "QBA":
            if len(outline) > 1:
                yield outline
            outline = [(numbers[-2], numbers[-1])]
    if len(outline) > 1:
        yield outline


def _place(point: Point, ctm: tuple[float, ...], boundary: tuple[float, ...]) -> Point:
    """A point of a path object on the page: through the object's matrix, then
    from its boundary's corner."""
    a, b, c, d, e, f = ctm
    x, y = point
    return boundary[0] + a * x + c * y + e, boundary[1] + b * x + d * y + f


def _straight(points: list[Point]) -> Iterator[tuple[Point, Point]]:
    """The horizontal and vertical strokes of an outline; a hairline-thin
    rectangle (a rule drawn as a filled shape) as its middle line."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
    if bottom - top < _HAIRLINE < right - left:
        yield (left, (top + bottom) / 2), (right, (top + bottom) / 2)
        return
    if right - left < _HAIRLINE < bottom - top:
        yield ((left + right) / 2, top), ((left + right) / 2, bottom)
        return
    for (x1, y1), (x2, y2) in pairwise(points):
        if abs(y2 - y1) < _STRAIGHT or abs(x2 - x1) < _STRAIGHT:
            yield (x1, y1), (x2, y2)
