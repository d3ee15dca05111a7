"""The samples end to end, replayed offline from the recorded cassettes."""

import re
from decimal import Decimal

import pytest
from conftest import GOLD, ROOT, SAMPLES
from fake_openai import FakeServer, reply

from jixiao import extract as extract_module
from jixiao.batch.ingest import run_one, write_record
from jixiao.evaluate import evaluate, iter_facts
from jixiao.extract import StaffingAnswer
from jixiao.extract.cassettes import cassette
from jixiao.extract.llm import ModelClient, ReplayMissing, Settings
from jixiao.structure import prepare
from jixiao.structure.numbers import parse_quantity

CASSETTES = ROOT / "cassettes"


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    client = ModelClient(Settings(), use_cache=False)
    reports = {}
    for path in SAMPLES:
        report = run_one(path, client, CASSETTES, "replay")
        write_record(report, out, path)
        reports[path.name[:3]] = report
    return out, reports


def test_every_fact_is_at_its_offsets(records):
    _, reports = records
    for report in reports.values():
        text = report.document.text
        facts = list(iter_facts(report.model_dump(mode="json")))
        assert facts
        for fact in facts:
            assert text[fact["start"] : fact["end"]] == fact["raw"]


def test_every_number_is_the_number_its_raw_says(records):
    _, reports = records
    for report in reports.values():
        for fact in iter_facts(report.model_dump(mode="json")):
            if isinstance(fact["value"], str):
                continue
            quantity = parse_quantity(fact["raw"])
            assert quantity is not None, fact
            allowed = {quantity.base_value, quantity.number}
            if fact["unit"] == "元" and quantity.unit is None:
                allowed |= {quantity.number * m for m in (10**4, 10**8, 1000)}
            assert Decimal(str(fact["value"])) in allowed, fact


def test_scores_against_gold(records):
    out, _ = records
    score, missing = evaluate(GOLD, out)
    assert missing == []
    ratios = score.ratios()
    assert score.facts_not_in_source == 0
    assert ratios["indicator rows found"] >= 0.95
    assert ratios["indicator fields right"] >= 0.95
    assert ratios["scalar fields right"] >= 0.80, score.misses


def test_each_sample_has_the_region_its_unit_name_writes(records):
    _, reports = records
    regions = {
        name: (report.region.province, report.region.city, report.region.county)
        for name, report in reports.items()
    }
    assert regions == {
        "000": ("湖南省", "怀化市", "辰溪县"),
        "001": ("湖南省", "衡阳市", "祁东县"),
        "002": ("四川省", "遂宁市", "大英县"),
        "003": ("甘肃省", "庆阳市", "合水县"),
    }
    for report in reports.values():
        county = report.region.named.county
        assert county is not None and county.raw == report.region.county
        assert report.unit_name.start <= county.start < report.unit_name.end


def test_tables_cost_no_tokens(records):
    _, reports = records
    for report in reports.values():
        assert report.indicators
        assert report.usage.table_tokens_saved > 0
        assert report.usage.calls > 0 and report.usage.prompt_tokens > 0


def test_a_changed_prompt_misses_its_recording(monkeypatch):
    original = extract_module.prompt

    def changed(name):
        version, text = original(name)
        return version, text + "\n- 新规则。"

    monkeypatch.setattr(extract_module, "prompt", changed)
    client = ModelClient(Settings(), use_cache=False)
    with pytest.raises(ReplayMissing, match="make record"):
        run_one(SAMPLES[0], client, CASSETTES, "replay")


def test_no_key_reaches_a_cassette(tmp_path):
    secret = "sk-test-0123456789abcdef"
    chunk = "核定人员编制45名。"
    with FakeServer([reply('{"authorized": "45名", "actual": null}')]) as server:
        settings = Settings(base_url=server.url, model="fake", api_key=secret)
        client = ModelClient(settings, use_cache=False)
        with cassette(tmp_path, SAMPLES[0], SAMPLES[0].read_text(encoding="utf-8"), "record"):
            client.ask(
                StaffingAnswer, [{"role": "user", "content": chunk}], "staffing@1", {"chunk": chunk}
            )
    recorded = next(tmp_path.glob("*.yaml")).read_text(encoding="utf-8")
    assert "45名" in recorded  # readable Chinese, not \\u escapes
    assert secret not in recorded and "Bearer" not in recorded


def test_recorded_reasks_replay_with_the_validation_error():
    """The local model quoted something not in its lines; the validator's message
    went back to it and its second answer was kept: both requests replay."""
    reasked = [
        path
        for path in SAMPLES
        if re.search("不在原文中|里没有数字", (CASSETTES / f"{path.stem}.yaml").read_text())
    ]
    assert reasked, "no recording holds a re-ask"
    client = ModelClient(Settings(), use_cache=False)
    prepared = prepare(reasked[0])
    with cassette(CASSETTES, reasked[0], prepared.document.text, "replay") as recording:
        report = extract_module.extract(prepared, client)
    assert recording.play_count == len(recording.data) > report.usage.calls
