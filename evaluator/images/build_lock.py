"""One image build at a time per machine (parallel test runs share the cache)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from evaluator.core.settings import cache_dir


@contextmanager
def build_lock(name: str = "images") -> Iterator[None]:
    """Hold an exclusive file lock under ``cache_dir()`` while building."""
    path = cache_dir() / f"{name}.lock"
    with path.open("a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
