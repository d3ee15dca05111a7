"""One rate limit for every caller of an endpoint: requests per minute, tokens per
minute, requests in flight, and the endpoint's own Retry-After.

A batch on one machine holds one `RateLimiter` for all its threads; a batch on
Ray holds one inside an actor that every worker asks (batch/cluster.py), so that
forty workers keep to the endpoint's limits as one caller would, instead of
earning forty times the 429s.

Requests are spaced, not counted per minute: 60 requests a minute start one a
second, never sixty in the first second, since endpoints enforce their limits
over windows much shorter than a minute. Tokens are spaced the same way, each
request charged its prompt and its `max_tokens` as it starts, the way hosted
endpoints count them.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from jixiao.extract.llm import LONGEST_WAIT, Settings

# How long a caller waits before asking again for a slot in flight: a slot frees
# when a call ends, which the limiter is not told of ahead.
_SLOT_POLL = 0.01


@dataclass
class Limits:
    """An endpoint's limits; None is no limit."""

    rpm: float | None = None
    tpm: float | None = None
    concurrency: int | None = None

    def __post_init__(self) -> None:
        for name in ("rpm", "tpm", "concurrency"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive, not {value}")


class RateLimiter:
    """The state of one endpoint's limits, and the calls that ask it.

    `try_acquire` never blocks (an actor answers it for the cluster); `slot`
    waits for one and frees it after the call. A slot whose caller died is freed
    after `lease` seconds, so a worker killed mid-call never shrinks the limit.
    """

    def __init__(
        self,
        limits: Limits,
        lease: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self.lease = lease
        self.clock = clock
        self._lock = threading.Lock()
        self._next_request = 0.0  # when the next request may start, for --rpm
        self._next_tokens = 0.0  # and for --tpm
        self._held_until = 0.0  # a Retry-After: nobody starts before then
        self._tickets = itertools.count(1)
        self._in_flight: dict[int, float] = {}  # ticket → when its lease ends
        self.granted = 0
        self.held_off = 0  # Retry-Afters heeded

    def try_acquire(self, tokens: int) -> tuple[int | None, float]:
        """A ticket to start a request of `tokens` now, or None and the seconds to
        wait before asking again."""
        with self._lock:
            now = self.clock()
            start = max(self._held_until, self._next_request, self._next_tokens)
            if start > now:
                return None, start - now
            for ticket, ends in list(self._in_flight.items()):
                if ends <= now:
                    del self._in_flight[ticket]
            concurrency = self.limits.concurrency
            if concurrency is not None and len(self._in_flight) >= concurrency:
                return None, _SLOT_POLL
            if self.limits.rpm:
                self._next_request = now + 60.0 / self.limits.rpm
            if self.limits.tpm:
                self._next_tokens = now + 60.0 * tokens / self.limits.tpm
            ticket = next(self._tickets)
            self._in_flight[ticket] = now + self.lease
            self.granted += 1
            return ticket, 0.0

    def release(self, ticket: int) -> None:
        with self._lock:
            self._in_flight.pop(ticket, None)

    def hold_off(self, seconds: float) -> None:
        """The endpoint asked for a pause (429 with Retry-After): no caller starts a
        request until it is over."""
        with self._lock:
            self._held_until = max(self._held_until, self.clock() + seconds)
            self.held_off += 1

    @contextmanager
    def slot(self, tokens: int) -> Iterator[None]:
        while True:
            ticket, wait = self.try_acquire(tokens)
            if ticket is not None:
                break
            time.sleep(wait)
        try:
            yield
        finally:
            self.release(ticket)


def lease_for(settings: Settings) -> float:
    """How long a request may hold its place in flight: its longest try, and a
    minute more; past that, its caller is taken for dead."""
    return settings.timeout * LONGEST_WAIT + 60.0
