"""The model client: any OpenAI-compatible endpoint, through `openai` + `instructor`.

Two retry loops, kept apart on purpose:

- transport failures (429 honouring Retry-After, 5xx, timeouts, dropped
  connections) are retried here with `tenacity`, exponential backoff with
  jitter, a bounded number of attempts; the SDK's own retries are off
  (``max_retries=0``) so that there is exactly one such loop;
- validation failures are re-asked by instructor, which sends the model its
  reply and the error (``reasks`` times, default 2).

A client given a `Limiter` (batch/limiter.py) asks it before every HTTP request,
those of both loops included, and tells it of every 429's Retry-After.

Answers are cached on disk by (endpoint, model, prompt version, request), so
that running a report again costs no tokens.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from pydantic import BaseModel, ValidationError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from jixiao.errors import JixiaoError
from jixiao.structure.chunks import estimate_tokens

# instructor logs every failed attempt; our own errors say what matters, once.
logging.getLogger("instructor").setLevel(logging.CRITICAL)

MODES = {
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "tools": instructor.Mode.TOOLS,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
}
LOCAL_BASE_URL = "http://127.0.0.1:8080/v1"
LOCAL_MODEL = "qwen2.5-coder-1.5b-instruct"


# How OpenAI, vLLM, llama.cpp and others word a prompt longer than the context.
_CONTEXT_EXCEEDED = re.compile(
    r"context.{0,20}(length|window|size)|too long|maximum.{0,30}tokens", re.IGNORECASE
)


class ModelError(JixiaoError):
    """A model call that will not succeed by trying again: says what to do."""


class ContextTooLong(ModelError):
    """A request longer than the model's context: split it and ask again."""


class OutputTooLong(ModelError):
    """An answer that max_tokens cut off: asked again the same way it is cut again,
    so the request is split, or given up with the reason."""


class ReplayMissing(ModelError):
    """A request that the cassette being replayed does not hold."""


@dataclass(frozen=True)
class Settings:
    """How to reach the model; `from_env` reads the JIXIAO_* variables."""

    base_url: str = LOCAL_BASE_URL
    model: str = LOCAL_MODEL
    api_key: str = field(default="", repr=False)
    timeout: float = 60.0  # the first try's; each try after a failure gets twice as long
    concurrency: int = 1
    # llama.cpp-style local servers take response_format json_object, not json_schema.
    mode: str = "json"
    reasks: int = 2
    attempts: int = 5
    backoff: float = 0.5  # seconds before the first retry; doubles, with jitter, up to 30
    max_tokens: int = 800
    cache_dir: Path | None = None

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        env = os.environ
        values: dict[str, Any] = {
            "base_url": env.get("JIXIAO_BASE_URL", LOCAL_BASE_URL),
            "model": env.get("JIXIAO_MODEL", LOCAL_MODEL),
            "api_key": env.get("JIXIAO_API_KEY") or env.get("OPENAI_API_KEY") or "",
            "timeout": float(env.get("JIXIAO_TIMEOUT", 60)),
            "concurrency": int(env.get("JIXIAO_CONCURRENCY", 1)),
            "mode": env.get("JIXIAO_MODE", "json"),
            "reasks": int(env.get("JIXIAO_REASKS", 2)),
        }
        cache = env.get("JIXIAO_CACHE_DIR", str(Path.home() / ".cache" / "jixiao"))
        values["cache_dir"] = Path(cache) if cache else None
        values.update({key: value for key, value in overrides.items() if value is not None})
        if values["mode"] not in MODES:
            raise ModelError(
                f"unknown instructor mode {values['mode']!r}: use one of {', '.join(MODES)}"
            )
        return cls(**values)


@dataclass
class Answer:
    """What one request brought back: the parsed reply (or the last raw reply when
    it never validated, for field-by-field rejection), and what it cost."""

    data: dict[str, Any] | None
    valid: bool
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    error: str | None = None


@dataclass
class CallLog:
    """One request as the store keeps it: which prompt, what came back, what it cost."""

    prompt: str  # name@version
    request_key: str  # the request's cache key
    cached: bool
    valid: bool
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    error: str | None
    response: dict[str, Any] | None


def _is_transient(error: BaseException) -> bool:
    if _missing_recording(error):
        return False
    if isinstance(error, openai.APIStatusError):
        return error.status_code == 429 or error.status_code >= 500
    return isinstance(error, openai.APITimeoutError | openai.APIConnectionError)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """An exception and the ones it came from (chains may loop: re-raising an
    inner error from a handler makes the outer one its context)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _missing_recording(error: BaseException) -> bool:
    return any(
        type(e).__name__ == "CannotOverwriteExistingCassetteException" for e in _chain(error)
    )


def _retry_after(headers: Any) -> float | None:
    """The seconds a response's Retry-After asks for (at most two minutes)."""
    try:
        return min(float(headers.get("retry-after", "")), 120.0)
    except ValueError:
        return None  # none, or an HTTP date, which no endpoint we know of sends


def _waiter(backoff: float):
    backoff_wait = wait_random_exponential(multiplier=backoff, max=30)

    def wait(state: RetryCallState) -> float:
        """Backoff with jitter, or as long as the server's Retry-After asks."""
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, openai.APIStatusError):
            asked = _retry_after(error.response.headers)
            if asked is not None:
                return asked
        return backoff_wait(state)

    return wait


class Limiter(Protocol):
    """The endpoint's limits, shared by every caller (batch/limiter.py)."""

    def slot(self, tokens: int) -> AbstractContextManager[object]:
        """Wait until a request of `tokens` may start; free its place when it ends."""
        ...

    def hold_off(self, seconds: float) -> None:
        """The endpoint asked every caller to wait `seconds` (a 429's Retry-After)."""
        ...


# The HTTP library the SDK is built on (httpx, or httpx2 in its later releases):
# a transport handed to the SDK must be of that library.
_http = importlib.import_module(openai.DefaultHttpxClient.__mro__[1].__module__.partition(".")[0])


class _LimitedTransport(_http.BaseTransport):  # type: ignore[name-defined]
    """Each HTTP request waits for the limiter: a first try, a retry and an
    instructor re-ask alike, since the endpoint counts them all."""

    def __init__(self, limiter: Limiter) -> None:
        self.limiter = limiter
        self.inner = _http.HTTPTransport()

    def handle_request(self, request: Any) -> Any:
        with self.limiter.slot(_request_tokens(request)):
            response = self.inner.handle_request(request)
        if response.status_code == 429:
            asked = _retry_after(response.headers)
            if asked is not None:
                self.limiter.hold_off(asked)
        return response

    def close(self) -> None:
        self.inner.close()


def _request_tokens(request: Any) -> int:
    """What a request costs against tokens per minute as endpoints count it: its
    prompt, and the answer's whole budget."""
    try:
        body = json.loads(request.content)
        prompt = "".join(str(message.get("content") or "") for message in body["messages"])
        return estimate_tokens(prompt) + int(body.get("max_tokens") or 0)
    except (ValueError, KeyError, TypeError, AttributeError):
        return 0  # not a chat request: nothing to count


class ModelClient:
    """Asks the model for one response model at a time; retries, caches, counts."""

    def __init__(
        self, settings: Settings, *, use_cache: bool = True, limiter: Limiter | None = None
    ) -> None:
        self.settings = settings
        self.use_cache = use_cache and settings.cache_dir is not None
        raw = openai.OpenAI(
            base_url=settings.base_url,
            # The SDK insists on a key even for servers that need none.
            api_key=settings.api_key or "not-needed",
            timeout=settings.timeout,
            max_retries=0,
            http_client=(
                openai.DefaultHttpxClient(transport=_LimitedTransport(limiter))
                if limiter is not None
                else None
            ),
        )
        self._client = instructor.from_openai(raw, mode=MODES[settings.mode])
        # Shared by every report of a batch: at most `concurrency` requests are in
        # flight, however many reports run side by side.
        self._slots = threading.BoundedSemaphore(max(1, settings.concurrency))
        self.log: list[CallLog] | None = None
        # Told each time a request is tried again, and why: a batch's progress
        # says so, instead of minutes of silence before an endpoint is given up.
        self.on_wait: Callable[[str], None] | None = None

    def for_report(self) -> ModelClient:
        """A client for one report: the same connection and limit, its own call log."""
        client = copy.copy(self)
        client.log = []
        return client

    def cache_key(self, prompt_version: str, messages: list[dict[str, str]], schema: str) -> str:
        payload = json.dumps(
            [self.settings.base_url, self.settings.model, prompt_version, schema, messages],
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()

    def ask(
        self,
        response_model: type[BaseModel],
        messages: list[dict[str, str]],
        prompt_version: str,
        context: dict[str, Any],
    ) -> Answer:
        key = self.cache_key(prompt_version, messages, response_model.__name__)
        started = time.perf_counter()
        answer = self._cached(key, response_model, context)
        if answer is None:
            answer = self._ask(response_model, messages, context)
            if answer.valid and self.use_cache:
                self._store(key, answer)
        if self.log is not None:
            self.log.append(
                CallLog(
                    prompt=prompt_version,
                    request_key=key,
                    cached=answer.cached,
                    valid=answer.valid,
                    prompt_tokens=answer.prompt_tokens,
                    completion_tokens=answer.completion_tokens,
                    seconds=time.perf_counter() - started,
                    error=answer.error,
                    response=answer.data,
                )
            )
        return answer

    def _cached(self, key: str, model: type[BaseModel], context: dict[str, Any]) -> Answer | None:
        if not self.use_cache:
            return None
        path = self.settings.cache_dir / key[:2] / f"{key}.json"  # type: ignore[operator]
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            model.model_validate(data, context=context)
        except (ValueError, ValidationError):
            return None  # a stale or damaged entry is asked again
        return Answer(data=data, valid=True, cached=True)

    def _store(self, key: str, answer: Answer) -> None:
        path = self.settings.cache_dir / key[:2] / f"{key}.json"  # type: ignore[operator]
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(answer.data, ensure_ascii=False), encoding="utf-8")
        partial.replace(path)  # never a half-written entry

    def _ask(
        self, response_model: type[BaseModel], messages: list[dict[str, str]], context: dict
    ) -> Answer:
        try:
            result, completion = self._create(response_model, messages, context)
        except IncompleteOutputException:
            raise OutputTooLong(
                f"the answer outran the output budget of {self.settings.max_tokens} tokens"
            ) from None
        except InstructorRetryException as error:
            if any(isinstance(e, IncompleteOutputException) for e in _chain(error)):
                raise OutputTooLong(
                    f"the answer outran the output budget of {self.settings.max_tokens} tokens"
                ) from None
            usage = error.total_usage
            return Answer(
                data=_last_reply(error.last_completion),
                valid=False,
                prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
                error=str(error.__cause__ or error).splitlines()[0][:300],
            )
        except (openai.AuthenticationError, openai.PermissionDeniedError) as error:
            raise ModelError(
                f"the endpoint {self.settings.base_url} refused the API key ({error.status_code}):"
                " set JIXIAO_API_KEY (or OPENAI_API_KEY) to a valid key"
            ) from None
        except openai.BadRequestError as error:
            if _CONTEXT_EXCEEDED.search(str(error)):
                raise ContextTooLong(_short(error)) from None
            raise ModelError(
                f"the endpoint {self.settings.base_url} rejected the request ({error.status_code}):"
                f" {_short(error)}; check JIXIAO_MODEL and JIXIAO_MODE"
            ) from None
        except openai.APIError as error:
            if _missing_recording(error):
                raise ReplayMissing(
                    "a model request is not in the cassette (the prompt, the chunking or the"
                    " model changed): re-record with `make record`"
                ) from None
            if isinstance(error, openai.APIStatusError) and not _is_transient(error):
                raise ModelError(
                    f"the endpoint {self.settings.base_url} refused the request"
                    f" ({error.status_code}): {_short(error)}; check JIXIAO_BASE_URL and"
                    " JIXIAO_MODEL"
                ) from None
            raise ModelError(
                f"the model at {self.settings.base_url} kept failing after"
                f" {self.settings.attempts} attempts: {_short(error)}"
            ) from None
        usage = completion.usage
        return Answer(
            data=result.model_dump(mode="json"),
            valid=True,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        )

    def _create(self, response_model, messages, context):
        retrying = Retrying(
            retry=retry_if_exception(_is_transient),
            wait=_waiter(self.settings.backoff),
            stop=stop_after_attempt(self.settings.attempts),
            before_sleep=self._waiting,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                try:
                    with self._slots:
                        return self._client.chat.completions.create_with_completion(
                            model=self.settings.model,
                            response_model=response_model,
                            messages=messages,
                            max_retries=self.settings.reasks,
                            context=context,
                            temperature=0,
                            max_tokens=self.settings.max_tokens,
                            timeout=self.attempt_timeout(attempt.retry_state.attempt_number),
                        )
                except InstructorRetryException as error:
                    # instructor wraps transport failures too: hand them to our own
                    # retry loop (and error messages) instead of counting them as re-asks.
                    transport = _api_error(error)
                    if transport is not None:
                        raise transport  # its __cause__ tells a missing recording apart
                    raise
        raise AssertionError("unreachable: tenacity returns or raises")  # pragma: no cover

    def attempt_timeout(self, attempt: int) -> float:
        """Seconds the `attempt`-th try of a request may take: short at first, so that
        a hung endpoint is noticed soon, doubling after each failure (a slow model on
        a long request gets its time), up to `LONGEST_WAIT` times the first."""
        return self.settings.timeout * min(2 ** (attempt - 1), LONGEST_WAIT)

    def _waiting(self, state: RetryCallState) -> None:
        if self.on_wait is None:
            return
        error = state.outcome.exception() if state.outcome else None
        reason = (
            f"no answer within {self.attempt_timeout(state.attempt_number):g} s"
            if isinstance(error, openai.APITimeoutError)
            else _short(error)
            if error
            else "no answer"
        )
        sleep = state.next_action.sleep if state.next_action else 0.0
        self.on_wait(
            f"the model at {self.settings.base_url}: {reason}; asking again in {sleep:.0f} s"
            f" (try {state.attempt_number + 1} of {self.settings.attempts})"
        )


# A try may take up to this many times the first one's timeout.
LONGEST_WAIT = 4


def _api_error(error: BaseException) -> openai.APIError | None:
    return next((e for e in _chain(error) if isinstance(e, openai.APIError)), None)


def _last_reply(completion: Any) -> dict[str, Any] | None:
    """The JSON of the model's last reply, however the mode carried it."""
    try:
        message = completion.choices[0].message
        text = message.content or message.tool_calls[0].function.arguments
    except (AttributeError, IndexError, TypeError):
        return None
    text = text.strip().removeprefix("```json").removeprefix("```").removesuffix("```")
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _short(error: BaseException) -> str:
    return str(error).splitlines()[0][:200]
