"""Image builds keep the terminal short: one progress line per build, the full output in a log file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evaluator.images.engine import ImageBuildError, build_log_path, stream_build


class _Api:
    """The two engine-API calls ``stream_build`` makes, answering with the engine's chunk shapes."""

    def __init__(self, chunks: list[dict[str, str]]) -> None:
        self.chunks = chunks

    def build(self, **_: Any) -> Iterator[dict[str, str]]:
        yield from self.chunks

    def inspect_image(self, tag: str) -> dict[str, str]:
        return {"Id": "sha256:" + "ab" * 32}


class _Client:
    def __init__(self, chunks: list[dict[str, str]]) -> None:
        self.api = _Api(chunks)


STEPS = [{"stream": f"Step {i}/40 : RUN something\n ---> Running in {i:012x}\n"} for i in range(40)]


def test_one_progress_line_per_build_and_the_steps_in_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path))
    lines: list[str] = []
    image_id = stream_build(_Client(STEPS), tmp_path, "astrocompress/codec:1/../x y", progress=lines.append)
    assert image_id.startswith("sha256:")
    assert len(lines) == 1 and lines[0].startswith("built astrocompress/codec:1/../x y in ")
    log = build_log_path("astrocompress/codec:1/../x y")
    assert log.parent == tmp_path / "logs" / "builds" and str(log) in lines[0]
    assert log.name == "astrocompress_codec_1_.._x_y.log"  # the tag cannot escape the log folder
    text = log.read_text()
    assert text.count("Step ") == 40 and "Running in" in text


def test_a_failed_build_quotes_its_last_lines_and_names_the_log(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path))
    lines: list[str] = []
    chunks = [*STEPS, {"error": "The command '/bin/sh -c false' returned a non-zero code: 1"}]
    with pytest.raises(ImageBuildError) as err:
        stream_build(_Client(chunks), tmp_path, "bad", progress=lines.append)
    message = str(err.value)
    assert "returned a non-zero code: 1" in message and "Step 39/40" in message and "Step 5/40" not in message
    assert str(build_log_path("bad")) in message
    assert lines == []
    assert "non-zero code" in build_log_path("bad").read_text()
