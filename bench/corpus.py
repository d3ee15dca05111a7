"""The development corpus through the pipeline, scored against its gold files.

    python bench/corpus.py [--misses]

`tests/corpus/` holds reports of other units than the samples, each written in
one table layout of ../shared/LAYOUTS.md (its gold names the `family`). A
report whose model traffic was recorded (`cassettes/corpus/<name>.yaml`, made
with `--record`) goes through the whole pipeline offline; the others through
everything but the model: their tables, which need none. Scalar fields (the
title block, staffing, budget, score) are scored on the recorded reports only,
since most of them need the model.

Prints a line per layout family, `FAMILY: rows R, fields F, scalars S`, then
the share of the text's numbers left unread, the false source flags, the facts
not in the source, the prompt tokens per report token, and last
`corpus: rows R, fields F, scalars S`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from jixiao.batch import run_one
from jixiao.check import run_checks
from jixiao.evaluate import Score, score_report
from jixiao.extract import from_tables
from jixiao.extract.cassettes import named_recording
from jixiao.extract.llm import ModelClient, Settings
from jixiao.records import Report
from jixiao.structure import prepare
from jixiao.structure.chunks import estimate_tokens
from jixiao.structure.numbers import find_quantities

CORPUS = ROOT / "tests" / "corpus"
CASSETTES = ROOT / "cassettes" / "corpus"


def unread_numbers(report: Report) -> tuple[int, int]:
    """Numbers of the text inside a stretch the record lists as unread, and all of them."""
    text = report.document.text
    numbers = find_quantities(text)
    unread = sum(
        1
        for number in numbers
        if any(region.start <= number.start < region.end for region in report.unread)
    )
    return unread, len(numbers)


def model_tokens(text: str, url: str | None) -> int | None:
    """Tokens the model's own tokenizer makes of `text` (llama-cpp-python's server
    answers at /extras/tokenize), or None when no such server answers."""
    if not url:
        return None
    import httpx

    try:
        answer = httpx.post(f"{url}/extras/tokenize", json={"input": text}, timeout=5)
        return len(answer.json()["tokens"])
    except (httpx.HTTPError, KeyError, ValueError):
        return None


def false_flags(gold: dict, report: Report) -> int:
    """Source-inconsistency verdicts beyond those the gold lists: each one accuses a
    source of a disagreement its author did not put in."""
    flagged = sum(1 for check in report.checks if check.status == "source_inconsistency")
    return max(0, flagged - len(gold.get("source_inconsistencies", [])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list what was missed")
    parser.add_argument(
        "--tokenizer",
        default="http://127.0.0.1:8080",
        help="a llama-cpp-python server whose tokenizer counts the report tokens "
        "(else they are estimated from the characters)",
    )
    args = parser.parse_args()
    client = ModelClient(Settings(), use_cache=False)
    families: dict[str, dict[str, Score]] = defaultdict(lambda: {"all": Score(), "model": Score()})
    unread = numbers = flags = recorded = 0
    prompt_tokens = report_tokens = 0
    tokenizer = "estimated"
    golds = sorted(CORPUS.glob("*.json"))
    recorded_any = any(
        named_recording(
            CASSETTES, CORPUS / json.loads(p.read_text(encoding="utf-8"))["file"]
        ).exists()
        for p in golds
    )
    if not golds:
        sys.exit(f"{CORPUS}: no gold files; build the corpus with `python tests/corpus/build.py`")
    for gold_path in golds:
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        source = CORPUS / gold["file"]
        if named_recording(CASSETTES, source).exists():
            report = run_one(source, client, CASSETTES, "replay")
            recorded += 1
            prompt_tokens += report.usage.prompt_tokens
            counted = model_tokens(report.document.text, args.tokenizer)
            if counted is not None:
                tokenizer = "the model's tokenizer"
            report_tokens += (
                counted if counted is not None else estimate_tokens(report.document.text)
            )
            kind = "model"
        else:
            prepared = prepare(source)
            report = from_tables(prepared)
            run_checks(report, prepared.tables)
            kind = "all"
        score = score_report(gold, report.model_dump(mode="json"))
        families[gold["family"]][kind].add(score)
        if kind == "model":
            families[gold["family"]]["all"].add(score)
        if kind == "model" or not recorded_any:
            # Coverage is the whole pipeline's: on recorded reports, once there are any.
            got_unread, got_numbers = unread_numbers(report)
            unread += got_unread
            numbers += got_numbers
        flags += false_flags(gold, report)
    total = Score()
    scalars = Score()
    for family, scores in sorted(families.items()):
        total.add(scores["all"])
        scalars.add(scores["model"])
        print(f"{family}: {_line(scores['all'], scores['model'])}")
        if args.misses:
            for miss in scores["all"].misses:
                print(f"    {miss}")
    over = "the recorded reports" if recorded_any else "tables only, no model"
    print(f"unread numbers: {unread / max(numbers, 1):.1%} ({unread} of {numbers}, {over})")
    print(f"false source flags: {flags}")
    print(f"facts not in source: {total.facts_not_in_source} of {total.facts}")
    if recorded:
        ratio = prompt_tokens / max(report_tokens, 1)
        print(
            f"prompt tokens per report token: {ratio:.2f} "
            f"(report tokens: {tokenizer}; {recorded} recorded reports)"
        )
    print(f"corpus: {_line(total, scalars)} ({len(golds)} reports, {recorded} with the model)")


def _line(every: Score, recorded: Score) -> str:
    ratios = every.ratios()
    scalars = f"{recorded.ratios()['scalar fields right']:.2f}" if recorded.scalars else "n/a"
    return (
        f"rows {ratios['indicator rows found']:.2f}, "
        f"fields {ratios['indicator fields right']:.2f}, "
        f"scalars {scalars}, "
        f"projects {ratios['project fields right']:.2f}"
    )


if __name__ == "__main__":
    main()
