"""The options several commands share, each declared once.

Each ``*_option(text)`` gives the flag names of one option with a help text
(its most common one by default); the aliases below are those options with
their default help, ready for a signature::

    track: Track = "all"
    store: Annotated[str | None, store_option("Results store URL.")] = None

Defaults stay in the signatures (``= "all"``, ``= None``), as typer's
``Annotated`` style wants, so each command keeps its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from typer.models import OptionInfo

TRACK_HELP = "Track name, comma list, 'paper' or 'all'."
STORE_HELP = "Results store URL (default: the local store)."
DATA_HELP = "synthetic, a corpus folder, hub, or hidden:NAME."
QUEUE_HELP = "Queue folder."
PROFILE_HELP = "Hardware profile: cpu-1, cpu-8, gpu-1."
SPLIT_HELP = "Split of the data source."


def track_option(text: str = TRACK_HELP) -> OptionInfo:
    """``--track/-t``: what :func:`evaluator.core.tracks.select_tracks` (or ``get_track``) reads."""
    return typer.Option("--track", "-t", help=text)


def store_option(text: str = STORE_HELP) -> OptionInfo:
    """``--store``: a results store URL (fsspec URL or folder)."""
    return typer.Option("--store", help=text)


def data_option(text: str = DATA_HELP) -> OptionInfo:
    """``--data``: a data source spec (:func:`evaluator.data.data_source.resolve_source`)."""
    return typer.Option("--data", help=text)


def queue_option(text: str = QUEUE_HELP) -> OptionInfo:
    """``--queue``: the submission queue folder."""
    return typer.Option("--queue", help=text)


def profile_option(text: str = PROFILE_HELP) -> OptionInfo:
    """``--profile``: a hardware profile (:mod:`evaluator.sandbox.profiles`)."""
    return typer.Option("--profile", help=text)


def split_option(text: str = SPLIT_HELP) -> OptionInfo:
    """``--split``: a split of the data source (tiny_test, full_test, tiny_train, full_train)."""
    return typer.Option("--split", help=text)


def json_option(text: str | None = None) -> OptionInfo:
    """``--json``: machine-readable output instead of a table."""
    return typer.Option("--json", help=text)


def participant_option(text: str | None = None) -> OptionInfo:
    """``--participant``: a participant's (or team's) name."""
    return typer.Option("--participant", help=text)


def limit_option(text: str | None = None) -> OptionInfo:
    """``--limit``: show at most this many rows."""
    return typer.Option("--limit", help=text)


def host_option(text: str) -> OptionInfo:
    """``--host``: the address the leaderboard binds."""
    return typer.Option("--host", help=text)


def port_option(text: str) -> OptionInfo:
    """``--port``: the port the leaderboard listens on."""
    return typer.Option("--port", help=text)


def inprocess_option(text: str) -> OptionInfo:
    """``--inprocess``: run the codecs in this process, without Docker."""
    return typer.Option("--inprocess", help=text)


def sizes_option(text: str) -> OptionInfo:
    """``--sizes``: also measure ``docker save | gzip`` sizes."""
    return typer.Option("--sizes", help=text)


def reason_option() -> OptionInfo:
    """``--reason``: the reason recorded with a state change."""
    return typer.Option("--reason")


Track = Annotated[str, track_option()]
Store = Annotated[str | None, store_option()]
Data = Annotated[str, data_option()]
QueueDir = Annotated[Path | None, queue_option()]
Profile = Annotated[str, profile_option()]
Split = Annotated[str, split_option()]
