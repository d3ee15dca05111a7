"""Web pages (HTML) saved from a portal: the article's text and its tables.

A page saved as a single file (a web archive, MHTML: ``.mht``, or a Word
document saved so and named ``.doc``) is unpacked with the standard library's
MIME parser, and its page read.

The bytes are decoded by their byte order mark, else by the charset the page
declares (the archive's Content-Type, ``<meta charset>``, an ``http-equiv``
Content-Type, an XML declaration) where the bytes bear it out, else by
`detect_encoding`. lxml's HTML parser (libxml2) reads the page: nothing in it
runs and nothing is fetched. What a browser does not show never becomes text:
scripts, styles, templates, comments, form controls and hidden elements are
dropped.

The article is picked by structure, not by any site's class names: what
announces itself as site furniture (``nav``, ``aside``, page-level ``header``
and ``footer``, ARIA landmarks, class or id words such as ``breadcrumb`` or
``share``) is dropped, then from ``body`` down the element holding most of
the text outside links is followed for as long as one child holds most of its
parent's, never past a table of figures. Navigation is mostly links and so
weighs nothing; lists of links left inside the article (share buttons,
related articles) are dropped. The heading just above the article (its
title, often outside the article's own block) is kept. (readability-lxml was
tried for this and drops small tables of figures whole, a report's core.)

A page with no block markup at all is text wrapped in tags: its line breaks
and tabs are kept as written.

Text is laid out as a browser shows it: block elements start lines, inline
ones do not, runs of white space collapse to one space (``&nbsp;`` is a space
that does not collapse; a full-width space stays). A table is written one row
per line, its cells separated by tabs, with ``rowspan``/``colspan`` expanded
into a full grid (a merged cell's text in every position it covers, as
`load.word` does), and recorded as a `Grid`. A table that lays out the page
rather than holding figures (one column, or a cell holding a whole article)
is read as the blocks it holds.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import lxml.html
from lxml import etree

from jixiao.document import Cell, Grid, Loaded
from jixiao.read.base import LoadError, TextBuilder
from jixiao.read.text import detect_encoding

# --- recognising and decoding ------------------------------------------------------

_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_LEADING_NOISE = re.compile(r"\A(?:\s+|<!--.*?-->|<\?xml[^>]*>)+", re.DOTALL)
_OPENS_AS_HTML = re.compile(r"<(?:!doctype\s+html|html)[\s>/]", re.IGNORECASE)
_EARLY_TAG = re.compile(r"<(?:head|body|table|meta)[\s>/]", re.IGNORECASE)
_EARLY = 512  # characters from the first tag within which a page tag must come


def looks_like_html(data: bytes) -> bool:
    """Whether `data` opens as a web page: after a BOM, white space and
    comments, a doctype or ``<html>``, or a tag soon followed by a page's
    ``<head>``, ``<body>``, ``<table>`` or ``<meta>``. Text that merely
    contains markup further on is not a page."""
    head = _head_text(data[:2048])
    if head is None:
        return False
    head = _LEADING_NOISE.sub("", head, count=1)
    if not head.startswith("<"):
        return False
    return bool(_OPENS_AS_HTML.match(head) or _EARLY_TAG.search(head[:_EARLY]))


# A web archive opens with mail headers, MIME-Version among them, and says it
# is a page with the parts it needs.
_ARCHIVE_HEADERS = re.compile(
    rb"\A(?:[\x21-\x39\x3b-\x7e]+:[^\n]*\n(?:[ \t][^\n]*\n)*)*?"
    rb"content-type:\s*multipart/related",
    re.IGNORECASE,
)


def is_web_archive(data: bytes) -> bool:
    """Whether `data` is a web page saved as one file (MHTML)."""
    head = data[:4096].replace(b"\r\n", b"\n")
    return b"mime-version:" in head.lower() and bool(_ARCHIVE_HEADERS.match(head))


def _unpack(path: Path, data: bytes) -> tuple[bytes, str | None]:
    """A web archive's page (the first HTML part, its transfer encoding undone)
    and the charset its headers give."""
    archive = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in archive.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and payload.strip():
                return payload, part.get_content_charset()
    raise LoadError(
        path,
        "a web archive (MHTML) with no page in it",
        "open it in a browser and save the page as HTML, or print it to PDF",
    )


def _head_text(head: bytes) -> str | None:
    """The first bytes as text: page tags are ASCII in every encoding but
    UTF-16, which is told by its BOM or its NUL bytes."""
    head = head.removeprefix(codecs.BOM_UTF8)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\0" in head[:200]:
        try:
            encoding = detect_encoding(head)
        except ValueError:
            return None
        return head.decode(encoding, errors="replace").lstrip("\ufeff")
    return head.decode("latin-1")


_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([a-z0-9._:-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"\A\s*<\?xml[^>]*?encoding\s*=\s*[\"']([a-z0-9._:-]+)", re.IGNORECASE)
# Labels browsers read as another encoding (the WHATWG Encoding Standard):
# a page labelled GB2312 routinely holds GBK characters beyond it, and GB18030
# is a superset of both.
_LABELS = {
    **dict.fromkeys(
        ("gb2312", "gbk", "x-gbk", "gb_2312", "gb_2312-80", "csgb2312", "chinese", "euc-cn"),
        "gb18030",
    ),
    **dict.fromkeys(("big5", "big5-hkscs", "cn-big5", "x-x-big5", "csbig5"), "big5hkscs"),
}
# Declarations a Chinese report's page can be taken at its word on. A Latin
# charset (a server's default) decodes any bytes and says nothing; a UTF-16
# label in a page whose tags read as ASCII is wrong by construction.
_TRUSTED = frozenset({"utf-8", "gb18030", "big5hkscs"})


def declared_encoding(data: bytes, label: str | None = None) -> str | None:
    """The Python codec of the charset `label` names (an archive's header),
    else the one a page declares in its first bytes; None where neither names
    one this module trusts."""
    if label is None:
        head = data[:8192]
        match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
        if match is None:
            return None
        label = match.group(1).decode("ascii")
    label = label.lower()
    label = _LABELS.get(label, label)
    try:
        codec = codecs.lookup(label).name
    except LookupError:
        return None
    return codec if codec in _TRUSTED else None


def _decode(path: Path, data: bytes, label: str | None = None) -> tuple[str, str]:
    """The page's encoding and text; `label`, the charset its archive names."""
    declared = None
    if not data.startswith(_BOMS):
        declared = declared_encoding(data, label) or declared_encoding(data)
    if declared is not None:
        try:
            return declared, data.decode(declared)
        except UnicodeDecodeError:
            pass  # mislabelled (a GBK page saying UTF-8): the bytes decide
    encoding: str | None
    try:
        encoding = detect_encoding(data)
    except ValueError:
        encoding = declared
    if encoding is None:
        raise LoadError(
            path,
            "cannot decode the page: not UTF-8, UTF-16 or GB18030",
            "open it in a browser and save it again as UTF-8",
        )
    # `detect_encoding` accepts a character cut off at the very end.
    return encoding, data.decode(encoding, errors="replace").lstrip("\ufeff")


# --- what a browser does not show --------------------------------------------------

# Elements whose content is never shown as text, or is not the page's own.
_UNSEEN = frozenset(
    {
        "head", "script", "style", "noscript", "template", "title", "iframe", "frame",
        "object", "embed", "applet", "svg", "math", "canvas", "video", "audio", "map",
        "input", "select", "button", "textarea", "datalist", "option",
    }
)  # fmt: skip
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Class rules of the page's own style sheets that hide what they match.
_HIDING_RULE = re.compile(
    r"((?:\.[\w-]+\s*,\s*)*\.[\w-]+)\s*\{[^}]*?(?:display\s*:\s*none|visibility\s*:\s*hidden)",
    re.IGNORECASE,
)
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _hidden_classes(root: etree._Element) -> frozenset[str]:
    names: set[str] = set()
    for style in root.iter("style"):
        for match in _HIDING_RULE.finditer(style.text_content()):
            names.update(name.strip().lstrip(".") for name in match.group(1).split(","))
    return frozenset(names)


def _is_hidden(element: etree._Element, hidden_classes: frozenset[str]) -> bool:
    if element.get("hidden") is not None or element.get("aria-hidden", "").lower() == "true":
        return True
    if _HIDDEN_STYLE.search(element.get("style", "")):
        return True
    return bool(hidden_classes.intersection(element.get("class", "").split()))


def _remove_unseen(root: etree._Element) -> None:
    hidden_classes = _hidden_classes(root)
    doomed = [
        element
        for element in root.iter()
        if element.tag in _UNSEEN or _is_hidden(element, hidden_classes)
    ]
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()  # its tail, the text after it, stays


# --- site furniture -----------------------------------------------------------

# As readability (Mozilla's and readability-lxml) judge class and id words: a
# word of site furniture marks an element unless a word of content does too
# ("article-header" is the article's).
_FURNITURE_WORDS = re.compile(
    r"banner|breadcrumb|crumb|comment|footer|header|menu|nav|related|share|sidebar|social"
    r"|sponsor|toolbar|pager|pagination|popup|copyright|advert|login|search|skip",
    re.IGNORECASE,
)
_CONTENT_WORDS = re.compile(r"article|body|content|main|text|column", re.IGNORECASE)
_FURNITURE_TAGS = frozenset({"nav", "aside", "menu"})
_FURNITURE_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"}
)
# A share of the page's text beyond which nothing is furniture, whatever its name.
_MOST = 0.5


def _is_furniture(element: etree._Element) -> bool:
    tag = element.tag
    if tag in _FURNITURE_TAGS:
        return True
    if tag in ("header", "footer"):
        # The header of an article is its title; the page's is the site's.
        return not any(parent.tag in ("article", "main") for parent in element.iterancestors())
    if element.get("role", "").lower() in _FURNITURE_ROLES:
        return True
    names = f"{element.get('class', '')} {element.get('id', '')}"
    return bool(_FURNITURE_WORDS.search(names)) and not _CONTENT_WORDS.search(names)


def _remove_furniture(body: etree._Element) -> None:
    weights = _weights(body)
    total = weights[body]
    doomed = [
        element
        for element in body.iterdescendants()
        if _is_furniture(element)
        # A wrongly named wrapper of the article is not dropped with its name.
        and weights[element] < _MOST * total
        and next(element.iter("table"), None) is None
    ]
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()  # its tail, the text after it, stays


# --- picking the article ------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def _weights(root: etree._Element) -> dict[etree._Element, int]:
    """Characters of text outside links in each element (white space not counted)."""
    weights: dict[etree._Element, int] = {}

    def visit(element: etree._Element, in_link: bool) -> int:
        in_link = in_link or element.tag == "a"
        weight = 0 if in_link else _visible_length(element.text)
        for child in element:
            weight += visit(child, in_link)
            if not in_link:
                weight += _visible_length(child.tail)
        weights[element] = weight
        return weight

    visit(root, False)
    return weights


def _visible_length(text: str | None) -> int:
    return len(_SPACE.sub("", text)) if text else 0


_HEADINGS = ("h1", "h2", "h3")
_NAME_WORDS = re.compile(r"[-_\s]+")
# Text (the date and source line) there may be between a title and its article.
_TITLE_GAP = 200
# A child holding this share of its parent's text is where the article is.
_CONCENTRATED = 0.7
# A table whose text is no more than this share outside links is a menu.
_LINKISH_TABLE = 0.5


def _article(body: etree._Element) -> tuple[etree._Element, etree._Element | None]:
    """The element holding the article, and the heading above it outside it.

    The article is followed down into a child holding most of the text, and
    never past a table of figures it holds: a short report can be a line of
    text and a table.
    """
    weights = _weights(body)
    figures = [
        set(table.iterancestors())
        for table in body.iter("table")
        if _holds_figures(table, weights[table]) and not _is_layout(table)
    ]
    node = body
    while True:
        children = [child for child in _content_children(node) if weights[child]]
        if not children:
            break
        best = max(children, key=weights.__getitem__)
        if weights[best] < _CONCENTRATED * weights[node] or any(
            node in above and best not in above for above in figures
        ):
            break
        node = best
    return node, _title_above(body, node)


def _holds_figures(table: etree._Element, weight: int) -> bool:
    """Whether a table holds text of its own, not links (a menu laid out as a
    row of cells holds only links and separators)."""
    return weight > _LINKISH_TABLE * _visible_length(table.text_content())


def _content_children(node: etree._Element) -> list[etree._Element]:
    """The children the article may be followed into: a data table is part of
    the article, never the article itself; a layout table's cells may be."""
    return [child for child in node if child.tag != "table" or _is_layout(child)]


def _title_above(body: etree._Element, article: etree._Element) -> etree._Element | None:
    """The last heading before `article` with little text (links included:
    a menu is no gap to reach over) between them."""
    if article is body or next(article.iter("h1"), None) is not None:
        return None  # the page's only article, or one that has its title
    between = 0
    for element in _preceding(article):
        if element.tag in _HEADINGS or _is_titled(element):
            return element
        between += _visible_length(element.text) + _visible_length(element.tail)
        if between > _TITLE_GAP:
            return None
    return None


def _is_titled(element: etree._Element) -> bool:
    """An element its class or id calls a title ("title", "news-title", "art_title")."""
    names = f"{element.get('class', '')} {element.get('id', '')}".lower()
    return "title" in _NAME_WORDS.split(names)


def _preceding(element: etree._Element) -> Iterator[etree._Element]:
    """The elements before `element` in document order, nearest first, its
    ancestors left out."""
    for node in [element, *element.iterancestors()]:
        for sibling in node.itersiblings(preceding=True):
            yield from reversed(list(sibling.iter()))


# A container (list, block) whose text is mostly links, with several of them,
# is a list of links (share buttons, attachments' pages, related articles).
_LINK_LISTS = ("ul", "ol", "dl", "div", "section", "p", "span")
_LINKISH = 0.6


def _remove_link_lists(block: etree._Element) -> None:
    doomed = []
    for element in block.iterdescendants(*_LINK_LISTS):
        links = list(element.iter("a"))
        if len(links) < 2 or next(element.iter("table"), None) is not None:
            continue
        total = _visible_length(element.text_content())
        linked = sum(_visible_length(link.text_content()) for link in links)
        if total and linked >= _LINKISH * total:
            doomed.append(element)
    for element in doomed:
        if element.getparent() is not None and not any(
            ancestor in doomed for ancestor in element.iterancestors()
        ):
            element.drop_tree()  # its tail, the text after it, stays


# --- laying text out --------------------------------------------------------------

_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd",
        "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure",
        "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr",
        "html", "legend", "li", "listing", "main", "menu", "nav", "ol", "p", "plaintext",
        "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
        "ul", "xmp",
    }
)  # fmt: skip
_PREFORMATTED = frozenset({"pre", "listing", "plaintext", "xmp"})
_ROW_GROUPS = frozenset({"thead", "tbody", "tfoot"})
_COLLAPSIBLE = re.compile("[ \t\n\r\f]+")
_NBSP = "\xa0"


class _Flow:
    """Lines as a browser lays them out, each finished line handed to `emit`.

    Collapsible white space is a plain space while a line is open and
    `&nbsp;` stays U+00A0 until the line ends, so that only the first can
    collapse or be trimmed at the ends of a line.
    """

    def __init__(self, emit: Callable[[str], None]) -> None:
        self._emit = emit
        self._line = ""

    def inline(self, text: str | None, preformatted: bool = False) -> None:
        if not text:
            return
        if preformatted:
            first, *rest = text.replace("\r\n", "\n").split("\n")
            self._line += first.replace(" ", _NBSP)
            for piece in rest:
                self.line_break()
                self._line += piece.replace(" ", _NBSP)
            return
        text = _COLLAPSIBLE.sub(" ", text)
        if text.startswith(" ") and (not self._line or self._line.endswith(" ")):
            text = text[1:]
        self._line += text

    def block_edge(self) -> None:
        """Where a block starts or ends: a new line unless one has just begun."""
        line = self._line.strip(" ")
        if line:
            self._emit(line.replace(_NBSP, " "))
        self._line = ""

    def line_break(self) -> None:
        """A ``<br>``: the line ends, even an empty one."""
        self._emit(self._line.strip(" ").replace(_NBSP, " "))
        self._line = ""


class _Page:
    """The article's text, its tables as grids."""

    def __init__(self) -> None:
        self.out = TextBuilder()
        self.grids: list[Grid] = []
        self._recent: list[str] = []  # non-empty lines since the last table
        self.flow = _Flow(self._line)

    def _line(self, line: str) -> None:
        self.out.add(line + "\n")
        if line.strip():
            self._recent.append(line.strip())

    def walk(self, element: etree._Element, preformatted: bool = False) -> None:
        _walk(element, self.flow, preformatted, self.table)

    def table(self, table: etree._Element) -> None:
        self.flow.block_edge()
        caption = table.find("caption")
        if caption is not None:
            self.walk(caption)
            self.flow.block_edge()
        grid = _add_grid(self.out, table, caption="\n".join(self._recent[-2:]))
        if grid is not None:
            self.grids.append(grid)
            self._recent = []


def _walk(
    element: etree._Element,
    flow: _Flow,
    preformatted: bool,
    on_table: Callable[[etree._Element], None],
) -> None:
    """Lay out `element` and its content (not its tail) into `flow`."""
    tag = element.tag
    if tag == "br":
        flow.line_break()
        return
    if tag == "table" and not _is_layout(element):
        on_table(element)
        return
    block = tag in _BLOCKS
    preformatted = preformatted or tag in _PREFORMATTED
    if block:
        flow.block_edge()
    flow.inline(element.text, preformatted)
    for child in element:
        _walk(child, flow, preformatted, on_table)
        flow.inline(child.tail, preformatted)
    if block:
        flow.block_edge()


# --- tables -----------------------------------------------------------------------

_CELLS = ("td", "th")
_SPAN = re.compile(r"\d+")
_MAX_COLSPAN = 1000  # as browsers clip it
# Grid positions beyond any report's tables (the longest run to some thousands
# of cells): a few spans can ask for millions, each of them a `Cell`.
_MAX_POSITIONS = 500_000
# Text beyond which a cell holding a table of its own, or many blocks, is
# taken for an article: a value's cell (a goal, a reason) runs to a few
# hundred characters and seldom holds a table.
_ARTICLE_CELL = 500
_LONG_CELL = 2000
_ALL_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def _rows(table: etree._Element) -> list[etree._Element]:
    """The table's own rows (not those of tables nested in its cells)."""
    rows = []
    for child in table:
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in _ROW_GROUPS:
            rows.extend(row for row in child if row.tag == "tr")
    return rows


def _cells(row: etree._Element) -> list[etree._Element]:
    return [cell for cell in row if cell.tag in _CELLS]


def _is_layout(table: etree._Element) -> bool:
    """Whether a table lays out the page rather than holding figures: one
    column, or a cell holding what only an article holds (a heading, a table
    of its own among much text, or a long run of blocks)."""
    rows = [_cells(row) for row in _rows(table)]
    if all(len(cells) <= 1 for cells in rows):
        return True
    if next(table.iter(*_ALL_HEADINGS), None) is not None:
        return True
    return any(_holds_an_article(cell) for cells in rows for cell in cells if len(cell))


def _holds_an_article(cell: etree._Element) -> bool:
    length = _visible_length(cell.text_content())
    if length <= _ARTICLE_CELL:
        return False
    if next(cell.iter("table"), None) is not None:
        return True
    blocks = sum(element.tag in _BLOCKS or element.tag == "br" for element in cell.iter())
    return blocks > 3 and length > _LONG_CELL


def _span(value: str | None, limit: int) -> int:
    match = _SPAN.search(value or "")
    span = int(match.group()) if match else 1
    # rowspan="0" spans the rest of the table.
    return limit if span == 0 else max(1, min(span, limit))


class _TooLarge(Exception):
    """A table whose spans would expand past any report's size."""


def _expand(rows: list[etree._Element]) -> list[list[tuple[etree._Element, bool] | None]]:
    """The full grid: each position's cell element and whether the cell began
    in a row above; None where no cell reaches."""
    placed: dict[tuple[int, int], tuple[etree._Element, bool]] = {}
    width = 0
    for r, row in enumerate(rows):
        c = 0
        for cell in _cells(row):
            while (r, c) in placed:
                c += 1
            down = _span(cell.get("rowspan"), len(rows) - r)
            across = _span(cell.get("colspan"), _MAX_COLSPAN)
            if len(placed) + down * across > _MAX_POSITIONS:
                raise _TooLarge
            for dr in range(down):
                for dc in range(across):
                    placed.setdefault((r + dr, c + dc), (cell, dr > 0))
            c += across
            width = max(width, c)
    return [[placed.get((r, c)) for c in range(width)] for r in range(len(rows))]


def _add_grid(out: TextBuilder, table: etree._Element, caption: str) -> Grid | None:
    """Write `table` one row per line into `out`; its grid, or None if it has no cells."""
    texts: dict[etree._Element, str] = {}
    grid_rows: list[list[Cell]] = []
    start = end = out.length
    for row in _expand(_rows(table)):
        if all(place is None or place[1] for place in row):
            continue  # a row with no cell of its own
        cells = []
        for index, place in enumerate(row):
            if index:
                out.add("\t")
            if place is None:
                cells.append(Cell("", *out.add("")))
                continue
            element, merged_above = place
            if element not in texts:
                texts[element] = _cell_text(element)
            text = texts[element]
            cells.append(Cell(text, *out.add(text), merged_above=merged_above))
        grid_rows.append(cells)
        end = out.length
        out.add("\n")
    if not grid_rows:
        return None
    return Grid(rows=grid_rows, start=start, end=end, from_file=True, caption=caption)


def _cell_text(cell: etree._Element) -> str:
    """A cell's text on one line: its lines, and the rows of a table nested
    in it (cells separated by spaces), joined by spaces."""
    if not len(cell):  # the common case, at a fraction of the cost
        return _COLLAPSIBLE.sub(" ", cell.text or "").replace(_NBSP, " ").strip(" ")
    lines: list[str] = []
    flow = _Flow(lines.append)

    def nested(table: etree._Element) -> None:
        flow.block_edge()
        for row in _rows(table):
            lines.append(" ".join(filter(None, (_cell_text(inner) for inner in _cells(row)))))

    flow.inline(cell.text)
    for child in cell:
        _walk(child, flow, False, nested)
        flow.inline(child.tail)
    flow.block_edge()
    return " ".join(line.replace("\t", " ").strip(" ") for line in lines if line.strip())


# --- the loader -----------------------------------------------------------------------

_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*>")


def load_html(path: Path, data: bytes, digest: str) -> Loaded:
    label = None
    if is_web_archive(data):
        data, label = _unpack(path, data)
    encoding, source = _decode(path, data, label)
    # lxml refuses text that declares its own encoding, and control characters.
    source = _CONTROLS.sub("", _XML_DECLARATION.sub("", source, count=1))
    # The parser drops comments (Word's conditional ones too) and processing
    # instructions.
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = lxml.html.document_fromstring(source, parser=parser)
    except etree.ParserError as error:  # "Document is empty"
        raise _no_text(path) from error
    _remove_unseen(root)
    body = root.find("body")
    if body is None:
        body = root
    try:
        page = _read_body(body)
    except _TooLarge:
        raise LoadError(
            path,
            f"a table whose merged cells span more than {_MAX_POSITIONS:,} cells",
            "check that the page holds a report; save its tables as a spreadsheet",
        ) from None
    text = page.out.text()
    if not text.strip():
        raise _no_text(path)
    return Loaded(
        path=path, format="html", text=text, sha256=digest, encoding=encoding, grids=page.grids
    )


def _read_body(body: etree._Element) -> _Page:
    page = _Page()
    if not any(element.tag in _BLOCKS or element.tag == "br" for element in body.iterdescendants()):
        # No block markup at all: text wrapped in tags, whose line breaks are its author's.
        page.walk(body, preformatted=True)
    else:
        _remove_furniture(body)
        article, title = _article(body)
        _remove_link_lists(article)
        if title is not None:
            page.walk(title)
        page.walk(article)
    page.flow.block_edge()
    return page


def _no_text(path: Path) -> LoadError:
    return LoadError(
        path,
        "the page has no article text (it may hold only images, frames, or content"
        " its scripts fetch)",
        "open it in a browser, let it load, and save it as a complete page or print it to PDF",
    )
