"""Which checkpoint serves a track, derived from the track table's fields: no list of track names.

A neural model's checkpoint is ``checkpoints/<model>-<name>.pt``; which one codes a track follows
from the track's fields (`evaluator.core.tracks.Track`: dataset, ndim, paper, correlated):

- a model that takes a 3D item's frames as channels (``frames_as_channels``, `baselines.model_names`)
  has a 3-frame checkpoint per 3D *paper* track, named after it and trained on it;
- every other track (2D, and 3D/4D items coded as a first frame plus residuals) is served by the
  1-frame checkpoint trained on the paper tracks of the same dataset whose items are of the same kind
  (residual items -- a 2D correlated track such as ``jwst-2d-res`` -- or plain ones); named after
  that track when one feeds it, else after the tracks' shared prefix (IDF's ``sdss``);
- a track whose dataset has no such paper track is not served (`NoCheckpoint` says why), nor is a
  near-lossless variant (the neural baselines are lossless).

A new track on an existing dataset therefore picks its checkpoint by itself. Inside a baseline image
(which carries no track table) the same answers come from ``serving.json``, written next to this module
when the image's build context is staged (`serving_json`, `baselines.baseline_images`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from evaluator.sdk.errors import BadInput

SERVING_FILE = Path(__file__).resolve().parent / "serving.json"
"""Inside a baseline image: every track's plan per model (written at staging, absent in the repository)."""


class NoCheckpoint(BadInput, LookupError):
    """No checkpoint of this model serves the track; the message says why."""

    def __str__(self) -> str:  # LookupError quotes its message otherwise
        return str(self.args[0])


@dataclass(frozen=True)
class CheckpointPlan:
    """The checkpoint that serves one track: its file name, input layout and training tracks."""

    model: str
    name: str  # the file is ``<model>-<name>.pt``
    frames: int  # planes the network takes at once (3: a 3D item's frames as channels)
    residual_input: bool  # 2D items are residuals modulo 2^16 (shifted by 2^15 first)
    tracks: tuple[str, ...]  # the paper tracks whose training items feed it

    @property
    def filename(self) -> str:
        return f"{self.model}-{self.name}.pt"


def _plans_from_tracks(model: str, frames_as_channels: bool) -> dict[str, CheckpointPlan | str]:
    from evaluator.core.tracks import ALL_TRACKS, TRACKS, Track  # noqa: PLC0415 - absent inside a baseline image

    def residual(t: Track) -> bool:
        return t.ndim == 2 and t.correlated

    def own_frames(t: Track) -> bool:
        return frames_as_channels and t.paper and t.ndim == 3

    out: dict[str, CheckpointPlan | str] = {}
    for track in ALL_TRACKS.values():
        if track.near_lossless:
            out[track.name] = f"{model} is a lossless baseline: it does not code near-lossless track {track.name!r}"
            continue
        if own_frames(track):
            out[track.name] = CheckpointPlan(model, track.name, 3, False, (track.name,))
            continue
        group = tuple(t.name for t in TRACKS.values() if t.paper and not own_frames(t)
                      and t.dataset == track.dataset and residual(t) == residual(track))
        if not group:
            items = "residual" if residual(track) else "plain"
            out[track.name] = (f"no {model} checkpoint serves track {track.name!r}: no paper track of dataset "
                               f"{track.dataset} with {items} items trains one")
            continue
        name = group[0] if len(group) == 1 else os.path.commonprefix(group).rstrip("-") or track.dataset.lower()
        out[track.name] = CheckpointPlan(model, name, 1, residual(track), group)
    return out


def plans(model: str, frames_as_channels: bool) -> dict[str, CheckpointPlan | str]:
    """Every track's plan for ``model`` (a `CheckpointPlan`, or the reason none serves it)."""
    try:
        return _plans_from_tracks(model, frames_as_channels)
    except ImportError:  # inside a baseline image: the table written when its context was staged
        if not SERVING_FILE.is_file():
            raise
        table = json.loads(SERVING_FILE.read_text())[model]
        return {t: v if isinstance(v, str) else CheckpointPlan(**{**v, "tracks": tuple(v["tracks"])})
                for t, v in table.items()}


def checkpoint_plan(model: str, frames_as_channels: bool, track: str) -> CheckpointPlan:
    """The plan of the checkpoint serving ``track``; `NoCheckpoint` (with the reason) when none does."""
    table = plans(model, frames_as_channels)
    if track not in table:
        raise NoCheckpoint(f"unknown track {track!r} for {model}; known: {', '.join(table)}")
    plan = table[track]
    if isinstance(plan, str):
        raise NoCheckpoint(plan)
    return plan


def serving_json(models: dict[str, bool]) -> str:
    """The serving table of ``models`` (name -> frames as channels), as a baseline image carries it."""
    table = {m: {t: p if isinstance(p, str) else asdict(p) for t, p in _plans_from_tracks(m, f).items()}
             for m, f in models.items()}
    return json.dumps(table, indent=1, sort_keys=True) + "\n"
