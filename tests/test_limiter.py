"""The endpoint's limits, shared by every caller: the limiter alone on a clock of
its own, then model clients that share one in front of the fake server."""

from __future__ import annotations

import json
import threading
import time

import pytest
from fake_openai import FakeServer, Step, reply

from jixiao.batch.limiter import Limits, RateLimiter
from jixiao.extract import StaffingAnswer
from jixiao.extract.llm import ModelClient, Settings

CHUNK = "核定人员编制45名，2024年实际在职人数41人。"
MESSAGES = [{"role": "user", "content": "原文：\n" + CHUNK}]
GOOD = json.dumps({"authorized": "45名", "actual": "41人"}, ensure_ascii=False)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_requests_per_minute_are_spaced_not_burst():
    clock = Clock()
    limiter = RateLimiter(Limits(rpm=120), clock=clock)
    first, _ = limiter.try_acquire(10)
    assert first is not None
    ticket, wait = limiter.try_acquire(10)
    assert ticket is None and wait == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.try_acquire(10)[0] is not None


def test_tokens_per_minute_space_requests_by_their_size():
    clock = Clock()
    limiter = RateLimiter(Limits(tpm=6000), clock=clock)
    assert limiter.try_acquire(1000)[0] is not None
    # 1,000 tokens of 6,000 a minute: the next request waits 10 s, whatever its size.
    ticket, wait = limiter.try_acquire(10)
    assert ticket is None and wait == pytest.approx(10.0)
    clock.now += 10
    assert limiter.try_acquire(3000)[0] is not None
    assert limiter.try_acquire(10)[1] == pytest.approx(30.0)


def test_requests_in_flight_are_bounded_and_a_dead_callers_slot_comes_back():
    clock = Clock()
    limiter = RateLimiter(Limits(concurrency=2), lease=60, clock=clock)
    first, _ = limiter.try_acquire(1)
    second, _ = limiter.try_acquire(1)
    assert first is not None and second is not None
    assert limiter.try_acquire(1)[0] is None
    limiter.release(first)
    third, _ = limiter.try_acquire(1)
    assert third is not None
    # The holder of `second` died and never releases it: its lease runs out.
    assert limiter.try_acquire(1)[0] is None
    clock.now += 60
    assert limiter.try_acquire(1)[0] is not None


def test_a_retry_after_holds_every_caller():
    clock = Clock()
    limiter = RateLimiter(Limits(), clock=clock)
    limiter.hold_off(2.0)
    assert limiter.try_acquire(1) == (None, pytest.approx(2.0))
    clock.now += 2.0
    assert limiter.try_acquire(1)[0] is not None


@pytest.mark.parametrize("value", [0, -5])
def test_a_limit_must_be_positive(value):
    with pytest.raises(ValueError, match="rpm must be positive"):
        Limits(rpm=value)


def _client(server, limiter: RateLimiter | None) -> ModelClient:
    settings = Settings(
        base_url=server.url, model="fake-model", api_key="sk-test", backoff=0.01, timeout=5.0
    )
    return ModelClient(settings, use_cache=False, limiter=limiter)


def _ask(client: ModelClient) -> None:
    answer = client.ask(StaffingAnswer, MESSAGES, "staffing@1", {"chunk": CHUNK})
    assert answer.valid


def _after_a_429(limiter: RateLimiter | None) -> tuple[float, list[float]]:
    """Two workers, each its own client: the first meets a 429 asking for 1 s;
    the second asks just after. The seconds from the 429 to each later request."""
    answers = iter([Step(status=429, body="{}", headers={"retry-after": "1"})])

    def respond(body: dict) -> Step:
        return next(answers, reply(GOOD))

    with FakeServer(respond) as server:
        first = threading.Thread(target=_ask, args=(_client(server, limiter),))
        first.start()
        while not server.requests:
            time.sleep(0.01)
        time.sleep(0.2)  # the 429 has reached the first worker
        _ask(_client(server, limiter))
        first.join()
    refused = server.requests[0][0]
    return refused, [at - refused for at, _ in server.requests[1:]]


def test_a_429_seen_by_one_worker_slows_every_worker():
    _, later = _after_a_429(RateLimiter(Limits()))
    assert len(later) == 2
    assert min(later) >= 0.95


def test_without_a_shared_limiter_the_other_worker_does_not_wait():
    """The control: the test above fails when nothing is shared."""
    _, later = _after_a_429(None)
    assert min(later) < 0.5


def test_every_request_waits_for_the_limiter_reasks_included():
    """instructor's re-ask of a malformed answer is a request too: 2 s apart at 30 a minute."""
    limiter = RateLimiter(Limits(rpm=30))
    with FakeServer([reply("not json"), reply(GOOD)]) as server:
        _ask(_client(server, limiter))
    (first, _), (second, _) = server.requests
    assert second - first >= 1.95
    assert limiter.granted == 2
