"""Recording and replaying model traffic with vcrpy: one cassette per report.

Requests match on method, URL and body, so a changed prompt or chunking misses
its recording and fails with a message that says how to re-record. Credentials
never reach a cassette: request headers are filtered, response headers dropped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import vcr
import yaml
from vcr.cassette import Cassette

try:
    from yaml import CDumper as Dumper
    from yaml import CLoader as Loader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import Dumper, Loader  # type: ignore[assignment]

CassetteMode = Literal["replay", "record"]
_SECRET_HEADERS = ["authorization", "api-key", "x-api-key", "openai-organization", "cookie"]


class _ReadableYaml:
    """YAML that keeps Chinese as Chinese, so that cassettes read well in diffs."""

    @staticmethod
    def serialize(cassette: dict) -> str:
        return yaml.dump(cassette, Dumper=Dumper, allow_unicode=True)

    @staticmethod
    def deserialize(text: str) -> dict:
        return yaml.load(text, Loader=Loader)


def _clean_response(response: dict) -> dict:
    response["headers"] = {}
    return response


def _recorder(mode: CassetteMode) -> vcr.VCR:
    recorder = vcr.VCR(
        match_on=["method", "scheme", "host", "port", "path", "query", "body"],
        filter_headers=_SECRET_HEADERS,
        before_record_response=_clean_response,
        record_mode="none" if mode == "replay" else "new_episodes",
        decode_compressed_response=True,
    )
    recorder.register_serializer("readable-yaml", _ReadableYaml)
    recorder.serializer = "readable-yaml"
    return recorder


def cassette_path(directory: Path, report: Path) -> Path:
    return directory / f"{report.stem}.yaml"


@contextlib.contextmanager
def cassette(directory: Path, report: Path, mode: CassetteMode) -> Iterator[Cassette]:
    """Replay (or record) the model traffic of one report."""
    path = cassette_path(directory, report)
    if mode == "record":
        directory.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)  # a recording is made whole, never patched
    with _recorder(mode).use_cassette(str(path)) as recording:
        yield recording
