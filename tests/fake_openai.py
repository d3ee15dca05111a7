"""A fake OpenAI-compatible server, for tests only: it answers each request with
the next step of a script, so that faults a recording cannot show (429, 5xx,
hangs, dropped connections, malformed JSON) can be made to happen."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


@dataclass
class Step:
    status: int = 200
    content: str | None = None  # the assistant message; None with status 200 means `body`
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False  # close the connection without answering


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
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length))
                server.requests.append((time.monotonic(), body))
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
                    self.wfile.write(data)
                except BrokenPipeError:
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
