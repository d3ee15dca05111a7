"""Which field a table's column title, row label or form label names.

The words live in `vocabulary/` as data, one synonym a line, so that a new
synonym seen in a report is a one-line change. A label is compared as a reader
would: traditional characters read as simplified, spaces, pinyin glosses and
parenthesised units dropped. A label not listed is cut into words by jieba,
with the listed synonyms and the domain terms as its only dictionary, and is
named by its last word when that word is listed: Chinese compounds put their
head last (年度指标值 is a kind of 指标值, 预算执行率 a kind of 执行率, while
指标解释 is no kind of 指标).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

VOCABULARY = Path(__file__).parent / "vocabulary"

# A gloss a mirror site adds after a converted character: 項(xiàng)目.
_PINYIN = re.compile(r"[(（][a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹ]+[)）]")
# A unit or a bracketed aside in a title: 执行率(%), 得分（分）, 全年预算数（调整后）.
_ASIDE = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")
# A list marker or 其中 before a row label: 一、 （二） 1. ①
_MARKER = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．)）]|[①-⑳]|其中)+"
)
_PUNCTUATION = re.compile(r"[\s:：、，,。；;“”\"'‘’·•*\-—_/|()（）\[\]【】]+")


@dataclass(frozen=True)
class Vocabulary:
    """The synonyms of one kind of label (``columns``, ``rows``, ``form``)."""

    name: str
    synonyms: dict[str, str]  # normalised synonym → field

    def field_of(self, label: str) -> str | None:
        """The field `label` names, or None when it names none of this vocabulary's."""
        if len(label) > _LONGEST_LABEL:
            return None
        readings = _readings(label)
        for text in readings:
            if text in self.synonyms:
                return self.synonyms[text]
        for text in readings:
            # Only a label ending in a synonym can have one as its last word.
            if not any(text[-size:] in self.synonyms for size in self.sizes):
                continue
            last = _cutter().lcut(text, HMM=False)[-1]
            if last in self.synonyms:
                return self.synonyms[last]
        return None

    @property
    def sizes(self) -> frozenset[int]:
        return _sizes(self.name)


# A title, row or form label is a few words; a longer cell is a value.
_LONGEST_LABEL = 32
# Labels recur from table to table and report to report: each is read once.
_SEEN = 1 << 14


@lru_cache(maxsize=_SEEN)
def normalise_label(label: str) -> str:
    """A label as it is compared: simplified characters, no spaces, glosses or punctuation."""
    return _bare_words(simplified(_PINYIN.sub("", unicodedata.normalize("NFKC", label))))


def clear_caches() -> None:
    """Forget every label read so far, as a new process would (for benchmarks)."""
    for cached in (
        normalise_label,
        _readings,
        column_field,
        row_field,
        form_field,
        form_synonym,
        is_title,
        title_fields,
    ):
        cached.cache_clear()


def _bare_words(text: str) -> str:
    return _PUNCTUATION.sub("", _MARKER.sub("", text.strip()))


@lru_cache(maxsize=_SEEN)
def _readings(label: str) -> tuple[str, ...]:
    """The label without its bracketed asides (a unit, an alternative name), then whole."""
    # One conversion serves both readings: brackets are the same in either script.
    text = simplified(_PINYIN.sub("", unicodedata.normalize("NFKC", label)))
    readings = dict.fromkeys([_bare_words(_ASIDE.sub("", text)), _bare_words(text)])
    return tuple(reading for reading in readings if reading)


def without_glosses(text: str) -> str:
    """`text` in simplified characters without the pinyin a mirror site put after
    converted characters (預(yù)算 → 预算): how a reader takes its words."""
    return simplified(_PINYIN.sub("", text))


def simplified(text: str) -> str:
    """`text` in simplified characters, for matching words only: the source's own
    characters are what facts quote."""
    if text.isascii():
        return text
    return _converter().convert(text)


def same_length_simplified(text: str) -> str:
    """`text` in simplified characters line by line, a line the conversion would
    lengthen or shorten (a phrase mapped to another) left as it is, so that every
    offset into the text still holds."""
    if text.isascii():
        return text
    lines = text.split("\n")
    converted = [simplified(line) for line in lines]
    return "\n".join(
        new if len(new) == len(old) else old for old, new in zip(lines, converted, strict=True)
    )


@cache
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def _lines(name: str) -> list[list[str]]:
    path = VOCABULARY / f"{name}.txt"
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            rows.append(line.split())
    return rows


@cache
def _sizes(name: str) -> frozenset[int]:
    return frozenset(len(synonym) for synonym in vocabulary(name).synonyms)


@cache
def vocabulary(name: str) -> Vocabulary:
    """The vocabulary in ``vocabulary/<name>.txt``: ``field synonym`` a line."""
    synonyms: dict[str, str] = {}
    for parts in _lines(name):
        if len(parts) < 2:
            raise ValueError(
                f"{VOCABULARY / name}.txt: “{' '.join(parts)}” needs a field and a synonym"
            )
        field, synonym = parts[0], "".join(parts[1:])
        synonyms[normalise_label(synonym)] = field
    return Vocabulary(name, synonyms)


@cache
def _cutter():
    """A jieba tokenizer whose only dictionary is the domain terms and every synonym:
    jieba's general dictionary would cut titles at words that are no field."""
    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer(str(VOCABULARY / "terms.dict"))
    # Listed synonyms outweigh the terms they contain, so that 年初预算数 stays whole.
    for name in ("columns", "rows", "form"):
        for synonym in vocabulary(name).synonyms:
            tokenizer.add_word(synonym, freq=1000 * len(synonym))
    return tokenizer


@lru_cache(maxsize=_SEEN)
def title_fields(text: str) -> frozenset[str]:
    """The column fields whose titles stand in `text`, a line of titles run together
    (``执行率(%)执行率权重执行率得分``) or a whole row flattened onto a line."""
    columns = vocabulary("columns").synonyms
    return frozenset(
        columns[word]
        for word in _cutter().lcut(normalise_label(text), HMM=False)
        if word in columns
    )


@lru_cache(maxsize=_SEEN)
def is_title(text: str) -> bool:
    """Whether `text` reads as a column title: it holds a listed title or domain term
    (年度, 项目, 变动情况 …), as a form's filled-in value (某县某局) does not."""
    cutter = _cutter()
    return any(
        len(word) > 1 and cutter.FREQ.get(word)
        for word in cutter.lcut(normalise_label(text), HMM=False)
    )


def cut_words(text: str) -> list[str]:
    """`text` cut into the listed synonyms and domain terms, and what lies between them."""
    return _cutter().lcut(text, HMM=False)


@lru_cache(maxsize=_SEEN)
def column_field(title: str) -> str | None:
    return vocabulary("columns").field_of(title)


@lru_cache(maxsize=_SEEN)
def row_field(label: str) -> str | None:
    return vocabulary("rows").field_of(label)


# The labels of a project's form that a value fills in beside them.
FORM_VALUES = frozenset({"project_name", "supervisor", "implementer"})


@lru_cache(maxsize=_SEEN)
def form_synonym(label: str) -> str | None:
    """The form field `label` is listed for, word for word, a bracketed unit
    aside (no head-word guess: a value such as 某某局资金使用单位 must not read
    as a label)."""
    synonyms = vocabulary("form").synonyms
    return next((synonyms[text] for text in _readings(label) if text in synonyms), None)


@lru_cache(maxsize=_SEEN)
def form_field(label: str) -> str | None:
    return vocabulary("form").field_of(label)


@cache
def standard_levels() -> dict[str, frozenset[str]]:
    """The standard template's first-level families, each with the second-level
    labels under it (``vocabulary/levels.txt``)."""
    return {
        normalise_label(family): frozenset(normalise_label(name) for name in names)
        for family, *names in _lines("levels")
    }


@cache
def family_of_level2(label: str) -> str | None:
    """The first-level family a standard second-level label belongs to."""
    label = normalise_label(label)
    return next((family for family, names in standard_levels().items() if label in names), None)


def level_of(label: str) -> str:
    """The level a label of the standard template stands at: a family of the
    first level (产出指标), one of the second (数量指标, or any other name ending
    in 指标 under a first-level family), or an indicator's own name."""
    label = normalise_label(label)
    if label in standard_levels():
        return "level1"
    if family_of_level2(label) or label.endswith("指标"):
        return "level2"
    return "level3"


def column_role(text: str) -> str | None:
    """The field a column title names: None for no title, ``other`` for a title
    the vocabulary does not know."""
    if not text.strip():
        return None
    return column_field(text) or "other"


def column_roles(titles: Sequence[str]) -> list[str | None]:
    """The contract field each indicator-table column holds. Of two columns that
    name the indicator (绩效指标 beside 三级指标), the first is a title over the
    level columns, its merged cell left of them."""
    roles = [column_role(title) for title in titles]
    names = [index for index, role in enumerate(roles) if role == "level3"]
    for index in names[:-1]:
        roles[index] = "group"
    return roles
