"""``challenge status --from URL``: the queue snapshot the organizer published, for participants.

Reads ``queue/snapshot.json`` of a results dataset (:mod:`submissions.service.queue_snapshot`)
at any fsspec URL: ``hf://datasets/ORG/results`` through huggingface_hub's file
system (a private dataset needs ``huggingface-cli login``), ``file://`` or a folder.
Each pending submission shows its position (1 = next to run on its profile), and
a last line says when the organizer's service last ran (``service last seen``),
with a warning when that is too long ago.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from challenge.cli.console_style import fmt_number
from challenge.cli.errors import fail
from submissions.service.queue_snapshot import (
    QueueSnapshot,
    SnapshotEntry,
    SnapshotMissing,
    read_snapshot,
)
from submissions.service.service_heartbeat import seen_text

STATE_COLORS = {"finished": "green", "failed": "red", "cancelled": "dim", "running": "yellow", "loading": "yellow"}


def load(source: str) -> QueueSnapshot:
    """The snapshot at ``source``; every failure is of the URL the user gave: bad input, exit 2."""
    try:
        return read_snapshot(source)
    except SnapshotMissing:
        raise  # says what to do; cli/errors.py reports it
    except ValueError as exc:
        fail(f"{source}: {exc}")
    except Exception as exc:  # noqa: BLE001  (network, authentication, a repository that does not exist)
        fail(f"could not read the queue snapshot of {source} ({type(exc).__name__}: {exc}); check the URL "
             "(hf://datasets/ORG/NAME), the network, and for a private dataset `huggingface-cli login`")


def _detail(entry: SnapshotEntry) -> str:
    lines = [escape(entry.reason)] if entry.state != "finished" or not entry.scores else []
    for s in entry.scores:
        where = f"{s.track} ({s.profile}, {s.split})"
        if s.status == "ok":
            lines.append(f"{escape(where)}: {fmt_number(s.ratio_mean)}x")
        else:
            lines.append(f"{escape(where)}: [red]{escape(s.failure_kind or s.status)}[/]: {escape(s.message or '')}")
    return "\n".join(lines)


def _state(entry: SnapshotEntry) -> str:
    """The state, with the position of a pending submission (1 = next to run on its profile)."""
    if entry.position is None:
        return entry.state
    return f"{entry.state} #{entry.position}" + (f" on {entry.profile}" if entry.profile else "")


def _print_seen(snap: QueueSnapshot, console: Console) -> None:
    """When the organizer's service last ran; yellow when it is stale (or never reported)."""
    now = time.time()
    stale = snap.service is None or snap.service.stale(now)
    console.print(seen_text(snap.service, now), style="yellow" if stale else "dim", markup=False, highlight=False)


def print_status(source: str, participant: str | None, as_json: bool, limit: int, console: Console) -> None:
    """Print the snapshot's entries (of ``participant``), newest first, at most ``limit``."""
    snap = load(source)
    entries = snap.of(participant)[:limit]
    if as_json:
        typer.echo(json.dumps({"source": source, "as_of": snap.as_of, "counts": snap.counts,
                               "service": asdict(snap.service) if snap.service else None,
                               "service_seen": seen_text(snap.service, time.time()),
                               "submissions": [asdict(e) for e in entries]}, indent=2))
        return
    if not entries:
        who = f" of {participant}" if participant else ""
        console.print(f"no submissions{who} in the queue snapshot of {source} (last change {snap.as_of or '-'})")
        _print_seen(snap, console)
        return
    table = Table(title=f"submissions at {source} (last change {snap.as_of})", box=box.SIMPLE_HEAD)
    table.add_column("id", no_wrap=True)
    for col in ("participant", "codec", "state"):
        table.add_column(col, no_wrap=True, overflow="fold")
    table.add_column("reason / scores (mean ratio)")
    table.add_column("updated", no_wrap=True)
    for e in entries:
        color = STATE_COLORS.get(e.state, "white")
        table.add_row(e.id, escape(e.participant), escape(e.name), f"[{color}]{escape(_state(e))}[/]", _detail(e),
                      e.updated_at)
    console.print(table)
    console.print("[dim]" + " | ".join(f"{state}: {n}" for state, n in snap.counts.items()) + "[/dim]")
    _print_seen(snap, console)
    if participant:  # the submitter's own public-data logs (hidden-data logs are never published)
        for e in entries:
            for s in e.scores:
                if s.log:
                    console.print(f"[bold]{e.id} {s.track} ({s.split}) log:[/]")
                    console.print(s.log, markup=False, highlight=False)
