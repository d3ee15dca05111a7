"""The model client's retry paths, against a fake local server (tests only)."""

import json

import pytest
from fake_openai import FakeServer, Step, reply

from jixiao.extract import StaffingAnswer
from jixiao.extract.llm import ModelClient, ModelError, Settings

CHUNK = "核定人员编制45名，2024年实际在职人数41人。"
MESSAGES = [{"role": "user", "content": "原文：\n" + CHUNK}]
GOOD = json.dumps({"authorized": "45名", "actual": "41人"}, ensure_ascii=False)


def client(server, **settings):
    defaults = {
        "base_url": server.url,
        "model": "fake-model",
        "api_key": "sk-test",
        "backoff": 0.01,
        "attempts": 4,
        "timeout": 2.0,
    }
    return ModelClient(Settings(**{**defaults, **settings}), use_cache=False)


def ask(server, **settings):
    return client(server, **settings).ask(StaffingAnswer, MESSAGES, "staffing@1", {"chunk": CHUNK})


@pytest.mark.parametrize(
    "fault",
    [
        Step(status=429, body='{"error": {"message": "slow down"}}'),
        Step(status=500, body='{"error": {"message": "boom"}}'),
        Step(status=503, body='{"error": {"message": "busy"}}'),
        Step(delay=3.0, content=GOOD),  # past the 2 s timeout
        Step(drop=True),
    ],
    ids=["429", "500", "503", "timeout", "dropped"],
)
def test_transient_failures_are_retried(fault):
    with FakeServer([fault, reply(GOOD)]) as server:
        answer = ask(server)
    assert answer.valid and answer.data == {"authorized": "45名", "actual": "41人"}
    assert len(server.requests) == 2


def test_a_slow_answer_gets_more_time_each_try_and_every_wait_is_told():
    told: list[str] = []
    with FakeServer([Step(delay=1.5, content=GOOD), Step(delay=1.5, content=GOOD)]) as server:
        model = client(server, timeout=1.0)
        model.on_wait = told.append
        answer = model.ask(StaffingAnswer, MESSAGES, "staffing@1", {"chunk": CHUNK})
    # The first try gives up after 1 s; the second may take 2 s, time enough.
    assert answer.valid and len(server.requests) == 2
    (message,) = told
    assert "no answer within 1 s" in message and "(try 2 of 4)" in message
    assert [model.attempt_timeout(n) for n in range(1, 6)] == [1, 2, 4, 4, 4]


def test_retry_after_is_honoured():
    with FakeServer(
        [Step(status=429, body="{}", headers={"retry-after": "1"}), reply(GOOD)]
    ) as server:
        assert ask(server).valid
    (first, _), (second, _) = server.requests
    assert second - first >= 0.9


def test_attempts_are_bounded():
    with (
        FakeServer([Step(status=500, body="{}")] * 10) as server,
        pytest.raises(ModelError, match="kept failing after 3 attempts"),
    ):
        ask(server, attempts=3)
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "API key"),
        (403, "API key"),
        (400, "rejected the request"),
        (404, "refused the request \\(404\\).*JIXIAO_MODEL"),
    ],
)
def test_permanent_errors_fail_fast(status, words):
    with (
        FakeServer([Step(status=status, body='{"error": {"message": "no"}}')] * 3) as server,
        pytest.raises(ModelError, match=words) as raised,
    ):
        ask(server)
    assert len(server.requests) == 1
    assert "sk-test" not in str(raised.value)


def test_malformed_json_is_reasked_with_the_error():
    with FakeServer([reply('{"authorized": "45名", "act'), reply(GOOD)]) as server:
        answer = ask(server)
    assert answer.valid
    second = server.requests[1][1]["messages"]
    assert len(second) > len(MESSAGES)  # the bad reply and the error went back


def test_invented_figure_is_reasked_then_left_invalid():
    invented = json.dumps({"authorized": "50名", "actual": "41人"}, ensure_ascii=False)
    with FakeServer([reply(invented)] * 3) as server:
        answer = ask(server, reasks=2)
    assert not answer.valid
    assert answer.data == {
        "authorized": "50名",
        "actual": "41人",
    }  # kept for field-by-field rejection
    assert "不在原文中" in json.dumps(server.requests[1][1], ensure_ascii=False)
    assert len(server.requests) == 3


def test_wrong_schema_is_reasked():
    with FakeServer(
        [reply('{"authorized": ["45名"], "actual": {"n": 41}}'), reply(GOOD)]
    ) as server:
        answer = ask(server)
    assert answer.valid and answer.data["actual"] == "41人"
    assert len(server.requests) == 2


def test_answers_are_cached_by_prompt_version(tmp_path):
    with FakeServer([reply(GOOD), reply(GOOD)]) as server:
        settings = Settings(base_url=server.url, model="m", backoff=0.01, cache_dir=tmp_path)
        cached = ModelClient(settings)
        first = cached.ask(StaffingAnswer, MESSAGES, "staffing@1", {"chunk": CHUNK})
        again = cached.ask(StaffingAnswer, MESSAGES, "staffing@1", {"chunk": CHUNK})
        other = cached.ask(StaffingAnswer, MESSAGES, "staffing@2", {"chunk": CHUNK})
    assert not first.cached and again.cached and not other.cached
    assert again.data == first.data
    assert len(server.requests) == 2
