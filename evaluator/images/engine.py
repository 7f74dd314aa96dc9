"""Image builds on the local engine: streaming a build, progress lines, input hashes.

Every image the platform builds goes through :func:`stream_build`, so build
errors read the same everywhere and name the fix; the engine connection is
``evaluator.sandbox.docker_engine``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from evaluator.core.settings import build_log_dir
from evaluator.sandbox.docker_engine import docker_client, image_exists
from evaluator.sdk.errors import PlatformFault

__all__ = ["ImageBuildError", "Progress", "docker_client", "hash_parts", "image_exists", "report", "stream_build"]

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


class ImageBuildError(PlatformFault, RuntimeError):
    """An image could not be built; the message says why and what to do."""


def report(progress: Progress | None, message: str) -> None:
    """Send one progress line to the caller's callback, or to the log."""
    if progress is not None:
        progress(message)
    else:
        log.info("%s", message)


def stream_build(
    client: Any,
    context: Path,
    tag: str,
    *,
    buildargs: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> str:
    """``docker build`` ``context`` as ``tag``; return the image id.

    Uses the classic builder through the engine API (works on Docker 20.10
    and later, offline: ``pull=False``). The build's own output goes to a log
    file (:func:`build_log_path`); ``progress`` gets one line when it ends
    ("built ..."), and a failure quotes the last lines and the log's path.
    """
    log_path = build_log_path(tag)
    started = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log_file:
        image_id = _build(client, context, tag, buildargs, labels, log_file, log_path)
    report(progress, f"built {tag} in {time.monotonic() - started:.0f} s (log: {log_path})")
    return image_id


def build_log_path(tag: str) -> Path:
    """Where the full output of building ``tag`` is written (one file per tag, the latest build)."""
    return build_log_dir() / (re.sub(r"[^A-Za-z0-9_.-]+", "_", tag) + ".log")


def _build(client: Any, context: Path, tag: str, buildargs: dict[str, str] | None,
           labels: dict[str, str] | None, log_file: TextIO, log_path: Path) -> str:
    log_tail: list[str] = []
    chunks: Iterable[dict[str, Any]] = client.api.build(
        path=str(context),
        tag=tag,
        buildargs=buildargs or {},
        labels=labels or {},
        rm=True,
        forcerm=True,
        pull=False,
        decode=True,
    )
    for chunk in chunks:
        if "error" in chunk:
            detail = "\n".join(log_tail[-20:])
            log_file.write(chunk["error"])
            raise ImageBuildError(f"building {tag} failed: {chunk['error'].strip()}\n{detail}\n"
                                  f"(full build log: {log_path})")
        text = chunk.get("stream")
        if text:
            for line in text.splitlines():
                if line.strip():
                    log_tail.append(line)
                    del log_tail[:-20]
                    log_file.write(line + "\n")
    return str(client.api.inspect_image(tag)["Id"])


def hash_parts(parts: Iterable[bytes | str]) -> str:
    """A hex SHA-256 over length-prefixed parts (unambiguous concatenation)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()
