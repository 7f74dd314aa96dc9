"""Where the platform keeps things on this machine.

Everything lives under one home folder: ``$CHALLENGE_HOME`` when set, else
the user's data directory (``~/.local/share/astrocompress-challenge``).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir

APP = "astrocompress-challenge"


def home() -> Path:
    root = os.environ.get("CHALLENGE_HOME")
    path = Path(root).expanduser() if root else Path(user_data_dir(APP))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    root = os.environ.get("CHALLENGE_CACHE")
    path = Path(root).expanduser() if root else Path(user_cache_dir(APP))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_store_url() -> str:
    """The results store (an fsspec URL; a local folder by default)."""
    return os.environ.get("CHALLENGE_STORE") or str(home() / "results")


def default_queue_dir() -> Path:
    """The local submission store: queue database, image tars, manifests."""
    return home() / "submissions"


def synthetic_data_dir() -> Path:
    """Where the embedded synthetic default corpus is generated (cached)."""
    return cache_dir() / "synthetic"


def hidden_registry_dir() -> Path:
    """Organizer-registered hidden splits (manifests only; data stays where it is)."""
    return home() / "hidden-splits"
