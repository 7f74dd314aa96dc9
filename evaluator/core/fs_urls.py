"""Opening a URL or folder the user gave (``--store``, ``--data``), with errors a user can act on.

fsspec says ``ValueError: Protocol not known`` for a misspelt scheme and an
``ImportError`` for a scheme whose package is missing; a remote source that
cannot be reached raises ``OSError`` or, through huggingface_hub, an
``httpx`` error. These are bad input (``evaluator.sdk.errors.BadInput``): the
functions here translate them where the user's value is used.
"""

from __future__ import annotations

from typing import Any

from fsspec import AbstractFileSystem
from fsspec.core import url_to_fs

from evaluator.sdk.errors import BadInput

URL_FIX = ("use a folder path or an fsspec URL such as file:///srv/store, memory://name "
           "or hf://datasets/ORG/NAME (the scheme's package installed)")
OFFLINE_FIX = ("check the URL and the network (a Hub URL needs huggingface.co), "
               "or use the offline synthetic corpus (--data synthetic)")


class UrlError(BadInput, ValueError):
    """A URL whose scheme fsspec does not know, or whose package is not installed."""

    fix = URL_FIX


class SourceUnreachable(BadInput, OSError):
    """A remote source (the Hub, a bucket) that cannot be reached or refuses the request."""

    fix = OFFLINE_FIX


def url_filesystem(url: str, *, what: str, **storage_options: Any) -> tuple[AbstractFileSystem, str]:
    """``fsspec.core.url_to_fs(url)``, or :class:`UrlError` naming ``what`` (e.g. ``results store``)."""
    try:
        fs, root = url_to_fs(url, **storage_options)
        return fs, str(root)
    except (ValueError, ImportError) as exc:
        raise UrlError(f"{what} {url!r}: {exc}") from exc


def unreachable_errors() -> tuple[type[BaseException], ...]:
    """What reading a remote file raises when its source cannot be reached (``except unreachable_errors():``)."""
    errors: list[type[BaseException]] = [OSError]
    try:
        import httpx  # huggingface_hub's transport; absent where no Hub access is installed
    except ImportError:
        return tuple(errors)
    errors.append(httpx.HTTPError)
    return tuple(errors)
