"""Bad input, made here: each file ends with a clear error naming it, or with a
correct record; the batch never crashes and never hangs."""

from __future__ import annotations

import io
import random
import threading
import zipfile

import pytest
from conftest import SAMPLES
from fake_openai import FakeServer, Step

from jixiao.batch import Batch, Outcome
from jixiao.extract.llm import ModelClient, Settings
from jixiao.store import Store

SAMPLE = SAMPLES[0].read_text(encoding="utf-8")  # 11 indicator rows

# name → (content, what must come of it: an error's words, or None for a record)
CASES: dict[str, tuple[bytes, str | None]] = {
    "empty.txt": (b"", "empty"),
    "binary.txt": (random.Random(1).randbytes(20_000), "binary"),
    "huge.txt": ((SAMPLE * (50_000_000 // len(SAMPLE.encode()))).encode(), "too long"),
    "mixed-encodings.txt": (SAMPLE[:600].encode() + SAMPLE[600:].encode("gb18030"), "decode"),
    "renamed-zip.docx": (b"", "not a valid DOCX"),  # filled in below
    "no-pages.pdf": (
        (
            b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
        ),
        "no pages",
    ),
    "gb18030.txt": (SAMPLE.encode("gb18030"), None),
    "zero-width-and-controls.txt": (
        SAMPLE.replace("万元", "万\u200b元").replace("。", "。\u0007\u200d\ufeff").encode(),
        None,
    ),
    "html-and-script.txt": (
        ("<html><script>alert('x')</script><b>加粗</b>\n" + SAMPLE).encode(),
        None,
    ),
    "markup-inside-text.txt": (
        (SAMPLE + "\n<html><script>alert('x')</script><b>加粗</b>\n").encode(),
        None,
    ),
    "table-of-10000-rows.txt": (
        (
            "一级指标\t二级指标\t三级指标\t指标值\t实际完成值\t分值\t得分\n"
            + "\n".join(
                f"产出指标\t数量指标\t事项{n}\t≥{n % 90 + 1}次\t{n % 90 + 1}次\t1\t1"
                for n in range(10_000)
            )
        ).encode(),
        None,
    ),
    "thirty-heading-levels.txt": (
        "".join(
            f"{'.'.join(['1'] * (level + 1))} 第{level + 1}层\n本层说明{level}。\n"
            for level in range(30)
        ).encode(),
        None,
    ),
}


def _renamed_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a Word document")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    folder = tmp_path_factory.mktemp("bad")
    for name, (content, _) in CASES.items():
        (folder / name).write_bytes(_renamed_zip() if name.endswith(".docx") else content)
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('db') / 'jixiao.db'}")
    results: list[Outcome] = []
    # The model finds nothing: what is tested is what the files do to the batch.
    with FakeServer(lambda body: Step(content="{}")) as server:
        client = ModelClient(Settings(base_url=server.url, model="fake"), use_cache=False)
        batch = threading.Thread(
            target=Batch(store, client, workers=1).run,
            args=(sorted(folder.iterdir()), results.append),
        )
        batch.start()
        batch.join(timeout=180)
        assert not batch.is_alive(), "the batch hung"
    return {outcome.path.name: outcome for outcome in results}


@pytest.mark.parametrize("name", [n for n, (_, problem) in CASES.items() if problem])
def test_a_bad_file_is_a_clear_error(outcomes, name):
    outcome = outcomes[name]
    assert outcome.status == "failed"
    assert outcome.error.startswith(str(outcome.path) + ": ")
    assert CASES[name][1] in outcome.error and " — " in outcome.error  # what, then what to do


@pytest.mark.parametrize(
    "name",
    ["gb18030.txt", "zero-width-and-controls.txt", "html-and-script.txt", "markup-inside-text.txt"],
)
def test_an_odd_but_good_file_gives_its_record(outcomes, name):
    outcome = outcomes[name]
    assert outcome.status == "done", outcome.error
    assert len(outcome.report.indicators) == 11


def test_a_page_saved_as_text_is_read_as_a_page_and_its_script_dropped(outcomes):
    document = outcomes["html-and-script.txt"].report.document
    assert document.format == "html"
    assert "alert" not in document.text and document.text.startswith("加粗\n")


def test_markup_inside_a_text_report_stays_text(outcomes):
    document = outcomes["markup-inside-text.txt"].report.document
    assert document.format == "txt"
    assert "<html><script>alert('x')</script><b>加粗</b>" in document.text


def test_a_ten_thousand_row_table_is_read_whole(outcomes):
    outcome = outcomes["table-of-10000-rows.txt"]
    assert outcome.status == "done", outcome.error
    indicators = outcome.report.indicators
    assert len(indicators) == 10_000
    assert indicators[9_999].level3 == "事项9999" and indicators[9_999].actual.raw == "10次"


def test_thirty_heading_levels_are_no_trouble(outcomes):
    assert outcomes["thirty-heading-levels.txt"].status == "done"


def test_a_file_that_takes_too_long_is_stopped_and_the_batch_goes_on(tmp_path):
    """A report whose reading outlasts the limit (here a page of noise for the
    OCR, under a 1-second limit) is stopped with its worker; the next report
    is read on a new one."""
    import numpy as np
    from PIL import Image

    noise = tmp_path / "noise.png"
    pixels = np.random.default_rng(1).integers(0, 256, (3300, 2500), dtype=np.uint8)
    Image.fromarray(pixels).save(noise)
    store = Store(f"sqlite:///{tmp_path / 'jixiao.db'}")
    results: list[Outcome] = []
    with FakeServer(lambda body: Step(content="{}")) as server:
        # Two reports in flight: the second waits for the one worker, then
        # meets the pool being replaced.
        settings = Settings(base_url=server.url, model="fake", concurrency=2)
        client = ModelClient(settings, use_cache=False)
        Batch(store, client, workers=1, cpu_timeout=1.0).run([noise, SAMPLES[0]], results.append)
    outcomes = {outcome.path: outcome for outcome in results}
    assert outcomes[noise].status == "failed"
    assert outcomes[noise].error.startswith(f"{noise}: reading it took over 1 s")
    assert outcomes[SAMPLES[0]].status == "done", outcomes[SAMPLES[0]].error
