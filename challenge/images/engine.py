"""The local Docker engine: connecting, checking images, streaming builds.

Every image the platform builds goes through here (docker SDK,
``docker.from_env()``), so engine errors read the same everywhere and name
the fix.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Callable, Iterable

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


class ImageBuildError(RuntimeError):
    """An image could not be built; the message says why and what to do."""


def report(progress: Progress | None, message: str) -> None:
    """Send one progress line to the caller's callback, or to the log."""
    if progress is not None:
        progress(message)
    else:
        log.info("%s", message)


def docker_client() -> Any:
    """Connect to the local engine (``DOCKER_HOST`` or the default socket)."""
    try:
        import docker  # noqa: PLC0415  (optional at import time of the package)
    except ImportError as exc:  # pragma: no cover - docker is a declared dependency
        raise ImageBuildError("the `docker` Python package is missing: pip install 'docker>=7'") from exc
    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:
        raise ImageBuildError(
            "cannot reach a Docker engine "
            f"({exc.__class__.__name__}: {exc}). Start it with `dockerd` "
            "(e.g. `nohup dockerd >/tmp/dockerd.log 2>&1 &`) or install it "
            "(`apt-get install docker.io`), then retry."
        ) from exc
    return client


def image_exists(client: Any, tag: str) -> bool:
    """True when the engine already holds ``tag`` (``docker image inspect``)."""
    import docker.errors  # noqa: PLC0415

    try:
        client.api.inspect_image(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


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
    and later, offline: ``pull=False``). Build output goes to ``progress``.
    """
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
            raise ImageBuildError(f"building {tag} failed: {chunk['error'].strip()}\n{detail}")
        text = chunk.get("stream")
        if text:
            for line in text.splitlines():
                if line.strip():
                    log_tail.append(line)
                    report(progress, line)
    return str(client.api.inspect_image(tag)["Id"])


def hash_parts(parts: Iterable[bytes | str]) -> str:
    """A hex SHA-256 over length-prefixed parts (unambiguous concatenation)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()
