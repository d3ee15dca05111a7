"""Batch ingestion against a model that takes 300 ms to answer: reports per second
at concurrency 1 and 16, tokens per report, peak memory as the batch grows.

The reports are variants of the samples with their place names and figures
changed (lengths kept, so that they chunk alike). The model is the tests' fake
OpenAI-compatible server in a process of its own: it answers each request as
the real model answered the same request of the original sample (from the
cassettes), with the quotes taken from the variant's text at the same places.
A request the recording does not hold gets an empty answer, and is counted.

    python bench/ingest.py [--reports 500] [--serial 40] [--delay 0.3]

Ends with `speed-up at 16: S x` (goal ≥ 12) and `peak memory: M MB` (goal < 400,
flat as the batch grows): the memory of the batch's process and its workers.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

# The batch's worker processes import this module again, as they import the
# `jixiao` script: like the script, it imports the pipeline's heavy parts only
# where it uses them, so that the memory measured is what a user's batch takes.
if TYPE_CHECKING:
    from jixiao.batch import Outcome

SAMPLES = sorted((ROOT / "samples").glob("*.txt"))
PLACE_CHARACTERS = "安宁泰和丰平永兴长乐东阳南山清河白水云溪金城"
# Figures: a run of digits with a decimal point, or of three or more; years stay.
FIGURE = re.compile(r"\d+\.\d+|\d{3,}")
YEAR = re.compile(r"(19|20)\d\d")


def place_names() -> list[str]:
    """Each sample's place: the two characters its unit's name starts with."""
    gold = sorted((ROOT / "tests" / "gold").glob("*.json"))
    return [json.loads(path.read_text(encoding="utf-8"))["unit_name"][:2] for path in gold]


def vary(text: str, place: str, new_place: str, rng: random.Random) -> str:
    def figure(match: re.Match[str]) -> str:
        if YEAR.fullmatch(match.group()):
            return match.group()
        digits = [
            (
                rng.choice("123456789")
                if character != "0" and index == 0
                else rng.choice("0123456789")
            )
            if character.isdigit()
            else character
            for index, character in enumerate(match.group())
        ]
        if len(match.group()) > 1 and match.group()[0] == "0":
            digits[0] = "0"  # 0.95 stays a fraction
        return "".join(digits)

    return FIGURE.sub(figure, text.replace(place, new_place))


def make_variants(folder: Path, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    places = place_names()
    used = set(places)
    for number in range(count):
        sample = number % len(SAMPLES)
        new_place = "".join(rng.sample(PLACE_CHARACTERS, 2))
        used.add(new_place)
        text = SAMPLES[sample].read_text(encoding="utf-8")
        varied = vary(text, places[sample], new_place, rng)
        (folder / f"{number:04d}-{SAMPLES[sample].stem}.txt").write_text(varied, encoding="utf-8")
    return sorted(used)


# --- the model: in a process of its own, as a remote model would be ------------------


def _masker(places: list[str]):
    names = re.compile("|".join(map(re.escape, places)))

    def mask(text: str) -> str:
        return re.sub(r"\d", "0", names.sub("＊＊", text))

    return mask


def _serve(places: list[str], delay: float, ready, stop, report) -> None:
    from fake_openai import FakeServer

    recorded = recorded_model(places, delay)
    with FakeServer(recorded) as server:
        ready.put(server.url)
        stop.wait()
    report.put(recorded.unrecorded)


def recorded_model(places: list[str], delay: float):
    """The fake model's answers to the variants of the samples with `places`."""
    from fake_openai import Recorded

    mask = _masker(places)

    def key(body: dict) -> str:
        return mask(json.dumps(body, ensure_ascii=False, sort_keys=True))

    def said(body: dict) -> str:
        return "\n".join(message["content"] for message in body["messages"])

    def adapt(body: dict, recorded: dict, response: str) -> str:
        """The recorded answer with each quote re-read from the variant's text at
        the place the original quote stood."""
        original, variant = said(recorded), said(body)

        def requote(value):
            if isinstance(value, str) and value and (at := original.find(value)) >= 0:
                return variant[at : at + len(value)]
            if isinstance(value, list):
                return [requote(item) for item in value]
            if isinstance(value, dict):
                return {name: requote(item) for name, item in value.items()}
            return value

        completion = json.loads(response)
        message = completion["choices"][0]["message"]
        try:
            message["content"] = json.dumps(
                requote(json.loads(message["content"])), ensure_ascii=False
            )
        except (TypeError, ValueError):
            pass  # not JSON: the pipeline sees it as the model's invalid answer
        return json.dumps(completion, ensure_ascii=False)

    return Recorded(ROOT / "cassettes", delay=delay, key=key, adapt=adapt, fallback="{}")


# --- memory ----------------------------------------------------------------------------


def _tree_memory(pid: int) -> int:
    """Memory of a process and its descendants, in bytes: the proportional set
    size, so that pages the worker processes share are counted once, not once
    per process as resident sizes would."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            total += int(re.search(r"Pss:\s+(\d+)", rollup).group(1)) * 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += map(int, (task / "children").read_text().split())
        except (OSError, AttributeError):
            continue
    return total


class MemoryWatch:
    def __init__(self, exclude: int) -> None:
        self.exclude = exclude  # the fake model's process is not the batch's memory
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, _tree_memory(os.getpid()) - _tree_memory(self.exclude))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# --- the runs ---------------------------------------------------------------------------


@dataclass
class Tally:
    """What the bench keeps of each report: counts, not records, so that its own
    memory does not grow with the batch it measures."""

    reports: int = 0
    failed: list[str] = field(default_factory=list)
    done: int = 0
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, outcome: Outcome) -> None:
        self.reports += 1
        if outcome.status == "failed":
            self.failed.append(outcome.error or str(outcome.path))
        elif outcome.report is not None:
            self.done += 1
            self.calls += outcome.report.usage.calls
            self.prompt_tokens += outcome.report.usage.prompt_tokens
            self.completion_tokens += outcome.report.usage.completion_tokens


def run(files: list[Path], url: str, concurrency: int, database: Path, watch=None):
    from jixiao.batch import Batch
    from jixiao.extract.llm import ModelClient, Settings
    from jixiao.store import Store

    client = ModelClient(Settings(base_url=url, concurrency=concurrency), use_cache=False)
    store = Store(f"sqlite:///{database}")
    tally = Tally()
    checkpoints: dict[int, float] = {}

    def collect(outcome: Outcome) -> None:
        tally.add(outcome)
        if watch is not None and tally.reports in (len(files) // 5, len(files) // 2, len(files)):
            checkpoints[tally.reports] = watch.peak

    started = time.perf_counter()
    Batch(store, client).run(files, collect)
    seconds = time.perf_counter() - started
    store.close()
    return tally, seconds, checkpoints


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--serial", type=int, default=40, help="reports run at concurrency 1")
    parser.add_argument("--delay", type=float, default=0.3, help="the model's answer time")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        (folder / "reports").mkdir()
        places = make_variants(folder / "reports", arguments.reports, arguments.seed)
        files = sorted((folder / "reports").glob("*.txt"))
        print(f"variants: {len(files)} of {len(SAMPLES)} samples, names and figures varied")

        context = multiprocessing.get_context("spawn")
        ready, report, stop = context.Queue(), context.Queue(), context.Event()
        model = context.Process(
            target=_serve, args=(places, arguments.delay, ready, stop, report), daemon=True
        )
        model.start()
        url = ready.get(timeout=60)

        serial, serial_seconds, _ = run(files[: arguments.serial], url, 1, folder / "serial.db")
        serial_rate = serial.reports / serial_seconds
        print(
            f"concurrency 1: {serial.reports} reports in {serial_seconds:.1f} s,"
            f" {serial_rate:.2f} reports/s"
        )

        watch = MemoryWatch(exclude=model.pid)
        parallel, parallel_seconds, checkpoints = run(files, url, 16, folder / "parallel.db", watch)
        watch.stop()
        parallel_rate = parallel.reports / parallel_seconds
        print(
            f"concurrency 16: {parallel.reports} reports in {parallel_seconds:.1f} s,"
            f" {parallel_rate:.2f} reports/s"
        )
        stop.set()
        unrecorded = report.get(timeout=30)
        model.join(timeout=30)

    done = serial.done + parallel.done
    calls = serial.calls + parallel.calls
    prompt = serial.prompt_tokens + parallel.prompt_tokens
    completion = serial.completion_tokens + parallel.completion_tokens
    failed = serial.failed + parallel.failed
    print(f"failed reports: {len(failed)}; requests not in the recording: {unrecorded} of {calls}")
    for error in failed[:5]:
        print(f"  {error}")
    print(
        f"tokens per report: {(prompt + completion) / done:,.0f}"
        f" ({prompt / done:,.0f} prompt + {completion / done:,.0f} completion,"
        f" {calls / done:.1f} calls)"
    )
    print(
        "peak memory after "
        + ", ".join(
            f"{n} reports: {peak / 2**20:.0f} MB" for n, peak in sorted(checkpoints.items())
        )
    )
    print(f"speed-up at 16: {parallel_rate / serial_rate:.1f} x")
    print(f"peak memory: {watch.peak / 2**20:.0f} MB")


if __name__ == "__main__":
    main()
