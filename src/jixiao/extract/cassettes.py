"""Recording and replaying model traffic with vcrpy: one cassette per report.

Requests match on method, URL and body, so a changed prompt or chunking misses
its recording and fails with a message that says how to re-record. Credentials
never reach a cassette: request headers are filtered, response headers dropped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import vcr
import yaml
from vcr.cassette import Cassette

from jixiao.extract.llm import ReplayMissing

try:
    from yaml import CDumper as Dumper
    from yaml import CLoader as Loader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import Dumper, Loader

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


# Which recording holds which report, by the sha256 of its normalised text: a
# copy of a report under another name or in another encoding finds its recording.
INDEX = "index.json"


def cassette_path(directory: Path, report: Path, text: str) -> Path:
    """The recording of a report: the one made of its text, else the one named after it."""
    recorded = _index(directory).get(_digest(text))
    return directory / recorded if recorded else named_recording(directory, report)


def named_recording(directory: Path, report: Path) -> Path:
    return directory / f"{report.stem}.yaml"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _index(directory: Path) -> dict[str, str]:
    try:
        return json.loads((directory / INDEX).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def _remember(directory: Path, text: str, path: Path) -> None:
    index = _index(directory) | {_digest(text): path.name}
    partial = directory / (INDEX + ".partial")
    partial.write_text(json.dumps(index, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(directory / INDEX)


@contextlib.contextmanager
def cassette(directory: Path, report: Path, text: str, mode: CassetteMode) -> Iterator[Cassette]:
    """Replay (or record) the model traffic of one report, whose normalised text is `text`."""
    if mode == "record":
        path = named_recording(directory, report)
        directory.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)  # a recording is made whole, never patched
        _remember(directory, text, path)
    else:
        path = cassette_path(directory, report, text)
        if not path.is_file():
            raise ReplayMissing(
                f"{report}: {directory} holds no recording of this report (none of its"
                f" text, nor {path.name}); record one with --record {directory}, or drop"
                " --replay to ask the model"
            )
    with _recorder(mode).use_cassette(str(path)) as recording:
        yield recording
