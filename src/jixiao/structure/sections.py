"""Split a report into a tree of sections by its headings.

Reports number their headings in many styles (一、 （一） (一) 1、 1. （1） (1) ①),
mix them, skip numbers and restart them. No fixed list of levels survives
that, so a heading's place in the tree comes from its number: a heading
continues the list whose last number it follows (二 after 一, 四 after 二, （2）
after （一）), starts a new list under the current heading when it is number
one, and otherwise joins the level where its style was last seen.

A numbered line is a heading only when it reads like one: a short title, not a
sentence. ``1、负责宣传贯彻执行……法律法规。`` is an item of a list, and so is
a number inside a running paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache

import cn2an

MAX_TITLE_CHARS = 32

_CN_DIGITS = "一二三四五六七八九十"
_MARKER = re.compile(
    rf"""^(?:
        (?P<di>第(?P<di_n>[{_CN_DIGITS}\d]{{1,3}})[部分章节]+)\s*
      | (?P<cn_dun>(?P<cn_dun_n>[{_CN_DIGITS}]{{1,3}})\s*[、.])
      | (?P<paren>(?P<open>[（(])\s*(?P<paren_n>[{_CN_DIGITS}]{{1,3}}|\d{{1,2}})\s*[)）])
      | (?P<num_dun>(?P<num_dun_n>\d{{1,2}})\s*、)
      | (?P<num_dot>(?P<num_dot_n>\d{{1,2}})\s*[.．](?!\d))
      | (?P<circled>[①-⑳])
    )""",
    re.VERBOSE,
)
_APPENDIX = re.compile(r"^(附表|附件)\s*\d*\s*[:：]?")
_SENTENCE_END = re.compile(r"[。；;!！?？]")
_BOLD = "*"
_PLAIN_TITLE = re.compile(r"^[\u4e00-\u9fff“”\"、]{2,10}$")


@dataclass(frozen=True)
class Marker:
    """A heading's number and how it was written."""

    family: str  # dun (X、), paren ((X)), dot (X.), circled, di (第X部分)
    numeral: str  # cn or arabic
    width: str  # full or half, for parentheses; "" otherwise
    value: int
    number: str  # as written, without the punctuation: "一", "2"
    length: int  # characters the marker takes at the start of the title

    @property
    def keys(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """From strictest to loosest: the same style, the same style in either width
        of parentheses, the same punctuation with any numerals."""
        return (
            (self.family, self.numeral, self.width),
            (self.family, self.numeral),
            (self.family,),
        )


@dataclass
class Section:
    title: str
    level: int
    start: int  # text[start:end] is the heading line
    end: int
    number: str | None = None
    style: str = "plain"  # one of: 一、 （一） (一) 1、 1. （1） (1) ① 第一 plain appendix
    body_end: int = 0
    appendix: bool = False
    children: list[Section] = field(default_factory=list)
    marker: Marker | None = field(default=None, repr=False)
    # The last number seen per marker key among this section's children.
    _last: dict[tuple[str, ...], int] = field(default_factory=dict, repr=False)

    def walk(self) -> Iterator[Section]:
        yield self
        for child in self.children:
            yield from child.walk()

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "level": self.level,
            "number": self.number,
            "style": self.style,
            "appendix": self.appendix,
            "start": self.start,
            "end": self.end,
            "body_end": self.body_end,
            "children": [child.to_json() for child in self.children],
        }


@cache
def _cn_value(numeral: str) -> int:
    return int(cn2an.cn2an(numeral, "normal"))


def parse_marker(title: str) -> Marker | None:
    """The numbering marker at the start of a heading line, if any."""
    match = _MARKER.match(title)
    if not match:
        return None
    kind = ""
    for name in ("di", "cn_dun", "paren", "num_dun", "num_dot", "circled"):
        if match.group(name):
            kind = name
            break
    length = match.end()
    if kind == "circled":
        value = ord(match.group("circled")) - ord("①") + 1
        return Marker("circled", "arabic", "", value, match.group("circled"), length)
    if kind == "paren":
        number = match.group("paren_n")
        numeral = "arabic" if number.isdigit() else "cn"
        width = "full" if match.group("open") == "（" else "half"
        value = int(number) if number.isdigit() else _cn_value(number)
        return Marker("paren", numeral, width, value, number, length)
    number = match.group(f"{kind}_n")
    family = {"di": "di", "cn_dun": "dun", "num_dun": "dun", "num_dot": "dot"}[kind]
    numeral = "arabic" if number.isdigit() else "cn"
    value = int(number) if number.isdigit() else _cn_value(number)
    return Marker(family, numeral, "", value, number, length)


def _style_name(marker: Marker) -> str:
    sample = "一" if marker.numeral == "cn" else "1"
    if marker.family == "paren":
        return f"（{sample}）" if marker.width == "full" else f"({sample})"
    return {"dun": f"{sample}、", "dot": f"{sample}.", "circled": "①", "di": f"第{sample}"}[
        marker.family
    ]


def _strip_bold(line: str) -> tuple[str, int]:
    """The line without surrounding spaces and bold markers, and where it starts."""
    stripped = line.strip()
    offset = len(line) - len(line.lstrip())
    core = stripped.strip(_BOLD).strip()
    offset += stripped.index(core) if core else 0
    return core, offset


def heading_marker(line: str) -> tuple[Marker, str] | None:
    """The marker and title of a line that reads like a numbered heading."""
    core, _ = _strip_bold(line)
    marker = parse_marker(core)
    if marker is None:
        return None
    title = core[marker.length :].strip().strip(_BOLD).strip()
    if not title or len(title) > MAX_TITLE_CHARS:
        return None
    if _SENTENCE_END.search(title):
        return None
    return marker, title


def looks_like_heading(line: str) -> bool:
    """Whether a line reads like a numbered heading or the start of an appendix."""
    core, _ = _strip_bold(line)
    return heading_marker(line) is not None or bool(_APPENDIX.match(core)) and len(core) <= 40


def _continues_inline_list(previous: str, marker: Marker) -> bool:
    """``附表：1. 评分表`` followed by ``2. 基础数据表``: the second line carries on a
    list that the previous line opened mid-line, so it is no heading."""
    if marker.numeral != "arabic" or marker.family not in ("dot", "dun"):
        return False
    punctuation = "[.．](?!\\d)" if marker.family == "dot" else "、"
    inline = re.compile(rf"(?<=[：:\s])(\d{{1,2}})\s*{punctuation}")
    return any(int(m.group(1)) == marker.value - 1 for m in inline.finditer(previous))


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str


def _lines(text: str) -> list[_Line]:
    lines = []
    position = 0
    for raw in text.split("\n"):
        lines.append(_Line(position, position + len(raw), raw))
        position += len(raw) + 1
    return lines


# A marker, a title of MAX_TITLE_CHARS and bold markers around them.
_LONGEST_HEADING_LINE = MAX_TITLE_CHARS + 16


def _inside(spans: Sequence[tuple[int, int]], position: int) -> bool:
    return any(start <= position < end for start, end in spans)


def _plain_heading(lines: list[_Line], index: int) -> bool:
    """An unnumbered heading (``基本支出`` over its paragraph): a short phrase with no
    punctuation or digits, right under a heading or after a finished sentence, and
    followed by a real paragraph."""
    core = lines[index].text.strip()
    if not _PLAIN_TITLE.match(core):
        return False
    following = next(
        (text for i in range(index + 1, len(lines)) if (text := lines[i].text.strip())), ""
    )
    if len(following) < 30 or looks_like_heading(following) or "\t" in following:
        return False
    preceding = next(
        (text for i in range(index - 1, -1, -1) if (text := lines[i].text.strip())), ""
    )
    return bool(preceding) and (looks_like_heading(preceding) or preceding[-1] in "。；;")


def build_sections(text: str, skip: Sequence[tuple[int, int]] = ()) -> list[Section]:
    """The top-level sections of `text`, each with its subsections.

    `skip` holds spans (tables) whose lines are never headings.
    """
    root = Section(title="", level=0, start=0, end=0)
    stack: list[Section] = [root]
    lines = _lines(text)
    in_body = False
    previous = ""
    for index, line in enumerate(lines):
        # Paragraphs are far longer than any heading: most lines stop here.
        if (
            len(line.text) > _LONGEST_HEADING_LINE
            and len(line.text.strip()) > _LONGEST_HEADING_LINE
        ):
            previous = line.text
            continue
        if not line.text.strip() or _inside(skip, line.start):
            if line.text.strip():
                previous = line.text
            continue
        core, offset = _strip_bold(line.text)
        start, end = line.start + offset, line.start + offset + len(core)
        section: Section | None = None
        parent: Section | None = None
        if _APPENDIX.match(core) and len(core) <= 40:
            section = Section(
                title=core, level=1, start=start, end=end, style="appendix", appendix=True
            )
            parent = root
        elif found := heading_marker(line.text):
            marker, title = found
            if not _continues_inline_list(previous, marker):
                section = Section(
                    title=title,
                    level=0,
                    start=start,
                    end=end,
                    number=marker.number,
                    style=_style_name(marker),
                    marker=marker,
                )
                parent = _parent_for(stack, marker)
        elif in_body and _plain_heading(lines, index):
            section = Section(title=core, level=0, start=start, end=end)
            parent = stack[-2] if stack[-1].style == "plain" and len(stack) > 1 else stack[-1]
        previous = line.text
        if section is None or parent is None:
            continue
        in_body = True
        while stack[-1] is not parent:
            stack.pop()
        section.level = parent.level + 1
        parent.children.append(section)
        if section.marker:
            for key in section.marker.keys:
                parent._last[key] = section.marker.value
        stack.append(section)
    _close(root, len(text))
    return root.children


def _parent_for(stack: list[Section], marker: Marker) -> Section:
    """The open section a heading with this marker belongs under."""
    value = marker.value
    exact, any_width, any_numeral = marker.keys
    open_sections = list(reversed(stack))
    # Continues a list: the same style, then the same style in either width.
    for key in (exact, any_width):
        for section in open_sections:
            if section._last.get(key) == value - 1:
                return section
    # Skips ahead in a list of the same style (二 then 四).
    for section in open_sections:
        if exact in section._last and section._last[exact] < value:
            return section
    # Continues a list written with other numerals (1、 then 二、, （一） then （2）).
    for section in open_sections:
        if section._last.get(any_numeral) == value - 1:
            return section
    if value == 1:
        return stack[-1]
    # Restarts or goes back (六、 after 七、): the level where the style was seen.
    for section in open_sections:
        if exact in section._last:
            return section
    return stack[-1]


def _close(section: Section, end: int) -> None:
    """Set each section's body_end: up to its next sibling, or its parent's end."""
    for current, following in zip(section.children, section.children[1:] + [None]):
        current.body_end = following.start if following else end
        _close(current, current.body_end)


def flatten(sections: Sequence[Section]) -> list[Section]:
    return [node for section in sections for node in section.walk()]
