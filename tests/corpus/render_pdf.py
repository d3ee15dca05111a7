"""A corpus report as a PDF, made by other programs than jixiao: LibreOffice
converts the report's Word file (`render_docx`), or chromium prints it as an
HTML page with real `rowspan`/`colspan` merges, a header repeated on every page
a table runs over, and a running head and footer with page numbers.

Both programs run as untrusted-document converters: a private profile folder,
no restore, a timeout after which the whole process group is killed.
"""

from __future__ import annotations

import html
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from .model import LEFT, UP, Report, Table
from .render import render_docx
from .soffice import ConversionError, convert, run


def render_pdfs(reports: list[Report], out: Path) -> dict[str, Path]:
    """Each report as a PDF that LibreOffice made from its Word file, by key;
    every page has a running head (the unit) and a footer 第 n 页 共 m 页, and
    a table that runs over a page repeats its first row there."""
    words = out / "docx"
    words.mkdir(parents=True, exist_ok=True)
    sources = []
    for report in reports:
        source = words / f"{report.key}.docx"
        render_docx(report, source)
        add_running_head(source, report.unit_name)
        repeat_header_rows(source)
        sources.append(source)
    made = convert(sources, "pdf", out)
    return {report.key: path for report, path in zip(reports, made, strict=True)}


def add_running_head(path: Path, head: str) -> None:
    """Give a Word file a running head and a footer with Word's page fields."""
    import docx  # python-docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def field(paragraph, instruction: str) -> None:
        for kind in ("begin", None, "end"):
            run = paragraph.add_run()
            if kind is None:
                code = OxmlElement("w:instrText")
                code.set(qn("xml:space"), "preserve")
                code.text = instruction
            else:
                code = OxmlElement("w:fldChar")
                code.set(qn("w:fldCharType"), kind)
            run._r.append(code)

    document = docx.Document(str(path))
    section = document.sections[0]
    section.header.paragraphs[0].text = head
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("第 ")
    field(footer, "PAGE")
    footer.add_run(" 页 共 ")
    field(footer, "NUMPAGES")
    footer.add_run(" 页")
    document.save(str(path))


CONTINUED = "续表"


def render_continued_pdf(report: Report, out: Path, rows_before: int) -> Path:
    """The report as LibreOffice prints its Word file when the author cut its
    last table in two by hand, as is done over a page break: the first
    `rows_before` rows, a 续表 paragraph that starts a new page, the rest under
    a repeat of the header row."""
    import docx  # python-docx

    index = max(n for n, block in enumerate(report.body) if isinstance(block, Table))
    table = report.body[index]
    # A cell merged down over the cut is left empty below it.
    going_on = ["" if cell is UP else cell for cell in table.rows[rows_before]]
    parts = [
        Table(table.rows[:rows_before]),
        CONTINUED,
        Table([table.rows[0], going_on, *table.rows[rows_before + 1 :]]),
    ]
    cut = replace(report, body=[*report.body[:index], *parts, *report.body[index + 1 :]])
    source = out.with_suffix(".docx")
    render_docx(cut, source)
    document = docx.Document(str(source))
    for paragraph in document.paragraphs:
        if paragraph.text == CONTINUED:
            paragraph.paragraph_format.page_break_before = True
    document.save(str(source))
    add_running_head(source, report.unit_name)
    (made,) = convert([source], "pdf", out.parent)
    return made


def repeat_header_rows(path: Path) -> None:
    """Mark each table's first row of a Word file as its header, which Word and
    LibreOffice repeat at the top of every page the table runs over."""
    import docx  # python-docx
    from docx.oxml import OxmlElement

    document = docx.Document(str(path))
    for table in document.tables:
        table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    document.save(str(path))


# --- HTML printed by chromium -------------------------------------------------

_STYLE = """
@page { size: %s; margin: 20mm 16mm; }
body { font-family: "Noto Serif CJK SC", serif; font-size: 11pt; }
table { border-collapse: collapse; width: 100%%; margin: 6pt 0; }
td, th { border: 0.8pt solid #000; padding: 2pt 3pt; font-size: 9.5pt; }
th { font-weight: normal; }
.columns { column-count: 2; column-gap: 9mm; }
p:first-of-type { text-shadow: 0.4px 0 0 #000; }
"""
# Tables laid out by spacing alone, as many PDFs print them: no ruling line.
_UNRULED = "td, th { border: none; }"


def render_html(
    report: Report, page: str = "A4", two_columns: bool = False, ruled: bool = True
) -> str:
    """The report as a web page: paragraphs, the first made bold by a shadow
    (which prints its text twice, a hair apart), and tables whose first row is
    a <thead> (a browser repeats it on every page the table runs over). With
    `two_columns`, the prose between the title and the first table is set in
    two columns; without `ruled`, the tables have no lines."""
    style = _STYLE % page + ("" if ruled else _UNRULED)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(report.unit_name)}</title><style>{style}</style>",
        "</head><body>",
    ]
    first_table = next(n for n, block in enumerate(report.body) if isinstance(block, Table))
    for n, block in enumerate(report.body):
        if two_columns and n == 1:
            parts.append("<div class='columns'>")
        if isinstance(block, str):
            parts.append(f"<p>{html.escape(block)}</p>")
        else:
            parts.append(_html_table(block))
        if two_columns and n == first_table - 1:
            parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_table(table: Table) -> str:
    rows = []
    for r, row in enumerate(table.rows):
        cells = []
        for c, cell in enumerate(row):
            if not isinstance(cell, str):
                continue
            span = 1
            while c + span < table.width and row[c + span] is LEFT:
                span += 1
            down = 1
            while r + down < len(table.rows) and table.rows[r + down][c] is UP:
                down += 1
            tag = "th" if r == 0 else "td"
            spans = (f" colspan='{span}'" if span > 1 else "") + (
                f" rowspan='{down}'" if down > 1 else ""
            )
            cells.append(f"<{tag}{spans}>{html.escape(cell)}</{tag}>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead>{rows[0]}</thead><tbody>{''.join(rows[1:])}</tbody></table>"


def chromium_to_pdf(page: Path, out: Path) -> Path:
    """An HTML file printed to PDF by headless chromium, with its running head
    (date, title) and footer (address, page x/y) on every page."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise ConversionError("chromium is missing: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        run(
            [
                chromium,
                "--headless",
                "--no-sandbox",  # tests run as root in CI containers
                "--disable-gpu",
                "--disable-extensions",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--print-to-pdf={out}",
                page.as_uri(),
            ]
        )
    if not out.exists():
        raise ConversionError(f"chromium wrote no {out.name}")
    return out


def render_chromium_pdf(
    report: Report, out: Path, page: str = "A4", two_columns: bool = False, ruled: bool = True
) -> Path:
    """The report printed by chromium from its web page (see `render_html`)."""
    source = out.with_suffix(".html")
    source.write_text(render_html(report, page, two_columns, ruled), encoding="utf-8")
    return chromium_to_pdf(source, out)
