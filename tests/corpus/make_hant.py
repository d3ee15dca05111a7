"""Remake hant.tsv, the character map of the traditional-character reports.

Needs OpenCC (pip install opencc), which the corpus itself does not:

    python -m tests.corpus.make_hant

Every text of every report whose spec asks for traditional characters is
converted phrase-aware (s2tw, Taiwan forms) and compared character by character; where one
simplified character comes out two ways, the commoner one wins.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import opencc

from .build import _convert
from .hant import _MAP
from .specs import reports

# Where the phrase rules misfire on our texts: 核 stays (核定, 审核; OpenCC
# takes it for 覆核), 发 is 發 (never 髮 in a budget report), 台 stays as
# place names write it.
OVERRIDES = {"核": "核", "发": "發", "台": "台"}


def main() -> None:
    converter = opencc.OpenCC("s2tw")
    seen: dict[str, Counter] = defaultdict(Counter)

    def collect(text: str) -> str:
        converted = converter.convert(text)
        if len(converted) == len(text):
            for simplified, traditional in zip(text, converted):
                if simplified != traditional:
                    seen[simplified][traditional] += 1
        return text

    for report in reports():
        if report.script != "hans":
            _convert(report, collect)
    chosen = {ch: counts.most_common(1)[0][0] for ch, counts in seen.items()} | OVERRIDES
    lines = [f"{ch}\t{chosen[ch]}" for ch in sorted(chosen) if chosen[ch] != ch]
    _MAP.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ambiguous = {ch: dict(counts) for ch, counts in seen.items() if len(counts) > 1}
    print(f"{len(lines)} characters; more than one reading: {ambiguous}")


if __name__ == "__main__":
    main()
