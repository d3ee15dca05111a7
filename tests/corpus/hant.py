"""Simplified → traditional characters, the way a mirror site converts a page.

The map (hant.tsv, one `simplified<TAB>traditional` pair a line) holds the
characters the corpus's traditional reports use. It was made with OpenCC's
phrase-aware s2t on those reports' text (make_hant.py); keeping it as data
means the corpus builds without OpenCC, and a character missing from it simply
stays simplified, as on real mirror sites.
"""

from __future__ import annotations

from pathlib import Path

_MAP = Path(__file__).with_name("hant.tsv")


def _table() -> dict[int, str]:
    if not _MAP.exists():
        return {}
    pairs = (line.split("\t") for line in _MAP.read_text(encoding="utf-8").splitlines() if line)
    return {ord(simplified): traditional for simplified, traditional in pairs}


_TABLE = _table()

# Pinyin some mirror sites add after a converted character: a few common ones,
# none of which occurs in a unit's name, so that names stay readable.
PINYIN = {
    "項": "xiàng",
    "績": "jì",
    "預": "yù",
    "費": "fèi",
    "撥": "bō",
    "決": "jué",
    "況": "kuàng",
    "實": "shí",
    "標": "biāo",
    "評": "píng",
}


def convert(text: str) -> str:
    return text.translate(_TABLE)


def with_pinyin(text: str) -> str:
    """`項目` → `項(xiàng)目` for the characters in PINYIN."""
    return "".join(f"{ch}({PINYIN[ch]})" if ch in PINYIN else ch for ch in text)
