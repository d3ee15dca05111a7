"""Corpus reports as OFD files, written part by part after the structure of
GB/T 33190: OFD.xml names the document, Doc_0/Document.xml its pages and
fonts, and each Doc_0/Pages/Page_N/Content.xml places text objects (TextObject:
a boundary, a font size, and a TextCode with its characters' positions) and
the tables' ruling lines (PathObject: a boundary and an outline).

No open tool writes OFD as the issuing software of government offices does (a
report printed to OFD: A4, text in 宋体, tables ruled, merged cells drawn
merged with their text in the middle), so this module does, for the tests.
Positions are in millimetres from the page's top left; a character of a
Chinese font is as wide as its size, a Latin one about half.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from .model import LEFT, UP, Report, Table

NS = "http://www.ofdspec.org/2016"
WIDTH, HEIGHT, MARGIN = 210.0, 297.0, 25.0
PROSE, SMALL = 3.7, 3.2  # 10.5 pt and 9 pt, in mm


def advances(text: str, size: float) -> list[float]:
    return [size if unicodedata.east_asian_width(ch) in "WF" else size * 0.55 for ch in text]


def text_object(x: float, baseline: float, size: float, text: str) -> str:
    """A line of text starting at `x`, standing on `baseline`."""
    steps = advances(text, size)
    width = sum(steps)
    deltas = f' DeltaX="{" ".join(f"{step:.3f}" for step in steps[:-1])}"' if len(text) > 1 else ""
    return (
        f'<ofd:TextObject ID="{{id}}" Boundary="{x:.3f} {baseline - size:.3f} {width:.3f}'
        f' {size * 1.3:.3f}" Font="2" Size="{size}"><ofd:FillColor Value="0 0 0"/>'
        f'<ofd:TextCode X="0" Y="{size:.3f}"{deltas}>{escape(text)}</ofd:TextCode></ofd:TextObject>'
    )


def box_object(left: float, top: float, right: float, bottom: float) -> str:
    """A cell's border, stroked 0.25 mm wide."""
    w, h = right - left, bottom - top
    return (
        f'<ofd:PathObject ID="{{id}}" Boundary="{left:.3f} {top:.3f} {w:.3f} {h:.3f}"'
        ' LineWidth="0.25" Stroke="true" Fill="false"><ofd:StrokeColor Value="0 0 0"/>'
        f"<ofd:AbbreviatedData>M 0 0 L {w:.3f} 0 L {w:.3f} {h:.3f} L 0 {h:.3f} C"
        "</ofd:AbbreviatedData></ofd:PathObject>"
    )


@dataclass
class Sheets:
    """A4 pages of page objects, filled from the top like a printed report."""

    pages: list[list[str]] = field(default_factory=list)
    y: float = HEIGHT

    def room(self, height: float) -> None:
        if self.y + height > HEIGHT - MARGIN:
            self.pages.append([])
            self.y = MARGIN

    @staticmethod
    def wrap(text: str, size: float, width: float) -> list[str]:
        lines = [""]
        for ch in text:
            if lines[-1] and sum(advances(lines[-1] + ch, size)) > width:
                lines.append("")
            lines[-1] += ch
        return lines

    def prose(self, paragraph: str) -> None:
        step = PROSE * 1.6
        for line in self.wrap(paragraph.strip(), PROSE, WIDTH - 2 * MARGIN):
            self.room(step)
            self.pages[-1].append(text_object(MARGIN, self.y + PROSE, PROSE, line))
            self.y += step

    def table(self, table: Table) -> None:
        """The table across the text width, each merged cell one box with its
        text in the middle; a table never splits over pages."""
        pad, step, rows = SMALL * 0.5, SMALL * 1.35, table.rows
        spans = {}
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                if isinstance(cell, str):
                    right = c
                    while right + 1 < table.width and row[right + 1] is LEFT:
                        right += 1
                    down = r
                    while down + 1 < len(rows) and rows[down + 1][c] is UP:
                        down += 1
                    spans[r, c] = (down, right)
        natural = [2 * pad + 2 * SMALL] * table.width
        for (r, c), (_, right) in spans.items():
            if right == c:
                natural[c] = max(natural[c], sum(advances(str(rows[r][c]), SMALL)) + 2 * pad)
        scale = min(1.0, (WIDTH - 2 * MARGIN) / sum(natural))
        xs = [MARGIN]
        for width in natural:
            xs.append(xs[-1] + width * scale)
        wrapped = {
            (r, c): self.wrap(str(rows[r][c]), SMALL, xs[right + 1] - xs[c] - 2 * pad)
            for (r, c), (_, right) in spans.items()
        }
        heights = [step + 2 * pad] * len(rows)
        for (r, c), (down, _) in spans.items():
            if down == r:
                heights[r] = max(heights[r], len(wrapped[r, c]) * step + 2 * pad)
        self.room(sum(heights))
        ys = [self.y]
        for height in heights:
            ys.append(ys[-1] + height)
        for (r, c), (down, right) in spans.items():
            left, top, end, bottom = xs[c], ys[r], xs[right + 1], ys[down + 1]
            self.pages[-1].append(box_object(left, top, end, bottom))
            lines = wrapped[r, c]
            y = (top + bottom - len(lines) * step) / 2
            for line in lines:
                if line:
                    self.pages[-1].append(text_object(left + pad, y + SMALL, SMALL, line))
                y += step
        self.y = ys[-1] + PROSE


def render_ofd(report: Report) -> bytes:
    """The report as an OFD file."""
    sheets = Sheets()
    for block in report.body:
        if isinstance(block, Table):
            sheets.table(block)
        else:
            sheets.prose(block)
    return write_ofd(sheets.pages)


def write_ofd(pages: list[list[str]]) -> bytes:
    """An OFD of pages given as their page objects (XML with `{id}` where the
    object's ID goes), in the order the file holds them."""
    page_list = "".join(
        f'<ofd:Page ID="{100 + n}" BaseLoc="Pages/Page_{n}/Content.xml"/>'
        for n in range(len(pages))
    )
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    parts = {
        "OFD.xml": (
            f'{head}<ofd:OFD xmlns:ofd="{NS}" Version="1.1" DocType="OFD"><ofd:DocBody>'
            "<ofd:DocInfo><ofd:DocID>6a1b2c3d4e5f40718293a4b5c6d7e8f9</ofd:DocID>"
            "<ofd:CreationDate>2025-03-28</ofd:CreationDate></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
        ),
        "Doc_0/Document.xml": (
            f'{head}<ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
            "<ofd:MaxUnitID>99999</ofd:MaxUnitID><ofd:PageArea>"
            f"<ofd:PhysicalBox>0 0 {WIDTH} {HEIGHT}</ofd:PhysicalBox></ofd:PageArea>"
            "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
            f"<ofd:Pages>{page_list}</ofd:Pages></ofd:Document>"
        ),
        "Doc_0/PublicRes.xml": (
            f'{head}<ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts>'
            '<ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>'
        ),
    }
    for n, objects in enumerate(pages):
        first = 1000 * (n + 1)
        body = "".join(item.replace("{id}", str(first + k + 1)) for k, item in enumerate(objects))
        parts[f"Doc_0/Pages/Page_{n}/Content.xml"] = (
            f'{head}<ofd:Page xmlns:ofd="{NS}"><ofd:Content>'
            f'<ofd:Layer ID="{first}" Type="Body">{body}</ofd:Layer></ofd:Content></ofd:Page>'
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()
