"""A fake OpenAI-compatible server, for tests only: it answers each request with
the next step of a script, so that faults a recording cannot show (429, 5xx,
hangs, dropped connections, malformed JSON) can be made to happen."""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

import yaml


@dataclass
class Step:
    status: int = 200
    content: str | None = None  # the assistant message; None with status 200 means `body`
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False  # close the connection without answering
    cut: bool = False  # announce the whole body, send half of it, close


def reply(content: str) -> Step:
    return Step(content=content)


def completion(content: str) -> str:
    return json.dumps(
        {
            "id": "fake",
            "object": "chat.completion",
            "created": 0,
            "model": "fake-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
    )


class FakeServer:
    """Answers with the next of `steps`, or, given a function, with what it
    returns for each request body."""

    def __init__(self, steps: list[Step] | Callable[[dict], Step]) -> None:
        self.responder = steps if callable(steps) else None
        self.steps = [] if callable(steps) else list(steps)
        self.requests: list[tuple[float, dict]] = []
        self.authorizations: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length))
                server.requests.append((time.monotonic(), body))
                server.authorizations.append(self.headers.get("authorization", ""))
                if server.responder is not None:
                    step = server.responder(body)
                else:
                    step = server.steps.pop(0) if server.steps else Step(status=500, body="{}")
                if step.delay:
                    time.sleep(step.delay)
                if step.drop:
                    self.connection.close()
                    return
                body = step.body if step.body is not None else completion(step.content or "")
                data = body.encode()
                self.send_response(step.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in step.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(data[: len(data) // 2] if step.cut else data)
                except BrokenPipeError:
                    pass
                if step.cut:
                    self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def _canonical(body: dict) -> str:
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


class Recorded:
    """Answers each request as the real model did when the cassettes were
    recorded, after a fixed `delay`: the latency of a hosted model, with answers
    a real model gave. A request that was never recorded gets a 400, so that the
    report fails as it would against a model that refuses it.

    `key` says which requests count as the same (the exact body by default);
    `adapt` may rewrite a recorded answer for the request at hand; `fallback`,
    if given, is the answer to a request never recorded, instead of the 400."""

    def __init__(
        self,
        cassettes: Path,
        delay: float = 0.0,
        key: Callable[[dict], str] = _canonical,
        adapt: Callable[[dict, dict, str], str] | None = None,
        fallback: str | None = None,
    ) -> None:
        self.delay = delay
        self.key = key
        self.adapt = adapt
        self.fallback = fallback
        self.unrecorded = 0
        self.answers: dict[str, tuple[dict, str]] = {}
        for path in sorted(cassettes.glob("*.yaml")):
            for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
                request = json.loads(interaction["request"]["body"])
                response = interaction["response"]["body"]["string"]
                self.answers.setdefault(self.key(request), (request, response))
                self.answers.setdefault(self.key(_question(request)), (request, response))

    def __call__(self, body: dict) -> Step:
        # A re-ask the recording lacks (the model's earlier reply was spoiled on
        # purpose) gets the answer to the question it follows up.
        found = self.answers.get(self.key(body)) or self.answers.get(self.key(_question(body)))
        if found is None:
            self.unrecorded += 1
            if self.fallback is not None:
                return Step(content=self.fallback, delay=self.delay)
            return Step(status=400, body='{"error": {"message": "not in the recording"}}')
        request, response = found
        if self.adapt is not None:
            response = self.adapt(body, request, response)
        return Step(body=response, delay=self.delay)


def _question(body: dict) -> dict:
    """A request as first asked: its messages up to the model's first reply."""
    messages = body["messages"]
    replied = next((i for i, m in enumerate(messages) if m["role"] == "assistant"), len(messages))
    return {**body, "messages": messages[:replied], "question": True}


# --- faults, injected into recorded answers ----------------------------------------

_ERROR = '{"error": {"message": "injected fault"}}'
HANG = 1.5  # seconds: past the client timeout the fault tests set (1 s)


def _invent(good: Step) -> Step:
    """The recorded answer with every digit of its quotes changed: figures the
    source does not hold, in the shape the model would give them."""
    completion = json.loads(good.body or "{}")
    message = completion["choices"][0]["message"]
    message["content"] = re.sub(
        r"\d", lambda digit: str((int(digit.group()) + 3) % 10), message["content"]
    )
    return replace(good, body=json.dumps(completion, ensure_ascii=False))


FAULTS: dict[str, Callable[[Step], Step]] = {
    "429": lambda good: Step(status=429, body=_ERROR),
    "429 Retry-After": lambda good: Step(status=429, body=_ERROR, headers={"retry-after": "1"}),
    "500": lambda good: Step(status=500, body=_ERROR),
    "503": lambda good: Step(status=503, body=_ERROR),
    "hang past the timeout": lambda good: replace(good, delay=HANG),
    "dropped connection": lambda good: Step(drop=True),
    "malformed JSON": lambda good: Step(content="好的，以下是摘录结果：{"),
    "JSON cut off": lambda good: replace(good, cut=True),
    "wrong schema": lambda good: Step(content="[1, 2, 3]"),
    "invented numbers": _invent,
}


class Faulty:
    """Recorded answers with one kind of fault injected into the first attempt
    at a seeded-random `share` of the questions; a retry or re-ask of the same
    question gets the recorded answer. `always`, given, names text whose
    requests fail with a 500 every time (a model that keeps failing on one report)."""

    def __init__(
        self,
        recorded: Recorded,
        fault: Callable[[Step], Step] | None,
        share: float = 0.3,
        seed: int = 0,
        always: str | None = None,
    ) -> None:
        self.recorded = recorded
        self.fault = fault
        self.share = share
        self.random = random.Random(seed)
        self.always = always
        self.asked: Counter[str] = Counter()
        self.injected: list[Step] = []
        self.spoiled: list[str] = []  # the questions a fault was injected into
        self._lock = threading.Lock()

    def __call__(self, body: dict) -> Step:
        good = self.recorded(body)
        if self.always and self.always in json.dumps(body, ensure_ascii=False):
            return Step(status=500, body=_ERROR)
        question = _canonical(_question(body))
        with self._lock:
            self.asked[question] += 1
            inject = (
                self.fault is not None
                and self.asked[question] == 1
                and good.status == 200
                and self.random.random() < self.share
            )
            if inject:
                good = self.fault(good)
                self.injected.append(good)
                self.spoiled.append(question)
        return good
