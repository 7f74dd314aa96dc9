"""Every setting the platform reads from the environment, in one place.

Each ``CHALLENGE_*`` variable is read here and nowhere else; the rest of the
code calls these functions (they read the environment on every call, so a
test or a long-running service that changes a variable sees the change).

| variable | meaning | default |
|---|---|---|
| ``CHALLENGE_HOME`` | all the platform writes (store, queue, logs) | ``~/.local/share/astrocompress-challenge`` |
| ``CHALLENGE_CACHE`` | caches: wheels, root images, synthetic data, Hub files | ``~/.cache/astrocompress-challenge`` |
| ``CHALLENGE_STORE`` | the results store (any fsspec URL) | ``$CHALLENGE_HOME/results`` |
| ``CHALLENGE_RUN_DIR`` | where the sandbox makes its per-run folders | the system temp folder |
| ``CHALLENGE_DAILY_LIMIT`` | submissions per participant per 24 h | ``submissions.queue.limits.DEFAULT_PER_DAY`` |
| ``CHALLENGE_LOG`` | log level of the CLI (``DEBUG``, ``INFO``, ...) | ``WARNING`` |
| ``CHALLENGE_PARTICIPANT`` | participant name for ``challenge submit`` | ``$USER`` |
| ``CHALLENGE_BASE_FROM`` | a registry image to start codec bases from | (debootstrap) |
| ``CHALLENGE_DEBIAN_MIRROR`` | the Debian mirror debootstrap uses | ``http://deb.debian.org/debian`` |
| ``CHALLENGE_PORTABLE_ENVS`` | comma-separated portable-check environments a profile that names none checks | ``all`` |
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir

from evaluator.sdk.errors import BadInput

APP = "astrocompress-challenge"
DEFAULT_DEBIAN_MIRROR = "http://deb.debian.org/debian"

HOME_ENV = "CHALLENGE_HOME"
CACHE_ENV = "CHALLENGE_CACHE"
STORE_ENV = "CHALLENGE_STORE"
RUN_DIR_ENV = "CHALLENGE_RUN_DIR"
DAILY_LIMIT_ENV = "CHALLENGE_DAILY_LIMIT"
LOG_ENV = "CHALLENGE_LOG"
PARTICIPANT_ENV = "CHALLENGE_PARTICIPANT"
BASE_FROM_ENV = "CHALLENGE_BASE_FROM"
MIRROR_ENV = "CHALLENGE_DEBIAN_MIRROR"
PORTABLE_ENVS_ENV = "CHALLENGE_PORTABLE_ENVS"


class SettingError(BadInput, ValueError):
    """An environment variable has a value the platform cannot use."""


def _get(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def home() -> Path:
    """The platform's home folder (created on first use)."""
    root = _get(HOME_ENV)
    path = Path(root).expanduser() if root else Path(user_data_dir(APP))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """The cache folder (created on first use)."""
    root = _get(CACHE_ENV)
    path = Path(root).expanduser() if root else Path(user_cache_dir(APP))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_store_url() -> str:
    """The results store (an fsspec URL; a local folder by default)."""
    return _get(STORE_ENV) or str(home() / "results")


def default_queue_dir() -> Path:
    """The local submission store: queue database, image tars, manifests."""
    return home() / "submissions"


def synthetic_data_dir() -> Path:
    """Where the embedded synthetic default corpus is generated (cached)."""
    return cache_dir() / "synthetic"


def hidden_registry_dir() -> Path:
    """Organizer-registered hidden splits (manifests only; data stays where it is)."""
    return home() / "hidden-splits"


def organizer_log_dir() -> Path:
    """Codec logs of hidden-data runs: for organizers only, never shown to participants."""
    d = home() / "organizer-logs"
    d.mkdir(parents=True, exist_ok=True)
    return d


def build_log_dir() -> Path:
    """Full output of every image build (the terminal shows one line per image)."""
    d = home() / "logs" / "builds"
    d.mkdir(parents=True, exist_ok=True)
    return d


def run_dir() -> str | None:
    """Parent folder of the sandbox's per-run folders (None: the system temp folder)."""
    return _get(RUN_DIR_ENV)


def daily_limit() -> int | None:
    """Submissions per participant per window, when the organizer set one."""
    raw = _get(DAILY_LIMIT_ENV)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise SettingError(f"{DAILY_LIMIT_ENV} must be an integer, got {raw!r}") from None


def log_level() -> str:
    return (_get(LOG_ENV) or "WARNING").upper()


def participant_name() -> str:
    """Who submits: ``$CHALLENGE_PARTICIPANT``, else the login name."""
    return _get(PARTICIPANT_ENV) or _get("USER") or "anonymous"


def author_name() -> str | None:
    """The author written into a new codec's manifest (git's, else the login name)."""
    return _get("GIT_AUTHOR_NAME") or _get("USER")


def base_from_registry() -> str | None:
    """The registry image to start codec bases from instead of debootstrap, if configured."""
    return _get(BASE_FROM_ENV)


def debian_mirror() -> str:
    return _get(MIRROR_ENV) or DEFAULT_DEBIAN_MIRROR


def portable_env_names() -> tuple[str, ...] | None:
    """The portable-check environments to run when a profile names none (None: every one of the table).

    Fewer environments cost fewer decoder containers; a record checked under only some of them is never
    called *portable* (``PortableCheck.complete``). Names are checked against the table where they are used.
    """
    value = _get(PORTABLE_ENVS_ENV)
    if value is None or value == "all":
        return None
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    if not names:
        raise SettingError(f"{PORTABLE_ENVS_ENV} names no environment; set it to 'all' (or unset it) "
                           "to check every one")
    return names
