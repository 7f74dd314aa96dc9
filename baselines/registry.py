"""The baseline registry: every baseline codec the platform ships, bound to its implementation.

One :class:`BaselineSpec` per row of the catalog (`baselines.catalog`: name, title, kind, the
paper's Table 1 column, image folder ``baselines/images/<kind>/<name>/`` whose ``codec.toml``
is its manifest, profile, demo tracks) adds how to make it in this process and the weights
it needs. Everything else reads this table: the image entrypoint
(``python -m baselines.serve <name>``), the image builds
(``baselines.baseline_images``), ``challenge admin evaluate-baselines``, the
demo and campaigns (the leaderboard, without imagecodecs or torch, reads the catalog).

Imports nothing heavy: the neural factories import torch only when called,
so classical images (no torch) load this module too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from baselines.archive import get_archive_codec
from baselines.catalog import CATALOG, CatalogRow
from baselines.classical import get_codec
from baselines.classical.near_lossless import get_near_lossless_codec
from baselines.model_names import OUR_MODELS, OurModel, param_text  # noqa: F401  (the registry's names)
from baselines.neural.track_plan import NoCheckpoint, checkpoint_plan
from evaluator.sdk.named_table import NamedTable

if TYPE_CHECKING:  # the images carry the SDK, not the evaluator: a type only
    from evaluator.run.inprocess import PythonCodec


@dataclass(frozen=True)
class BaselineSpec(CatalogRow):
    """A catalog row (`baselines.catalog`) bound to its implementation."""

    factory: Callable[[], PythonCodec] = field(kw_only=True)  # the in-process codec (name, title, encode, decode)
    weights: tuple[str, ...] = field(default=(), kw_only=True)  # checkpoint files (baselines/neural/checkpoints/)

    def skip_reason(self, track: str) -> str | None:
        """Why this baseline does not code ``track`` (a neural one with no checkpoint for it), else None."""
        if not self.neural:
            return None
        try:
            plan = checkpoint_plan(self.name, OUR_MODELS[self.name].frames_as_channels, track)
        except NoCheckpoint as e:
            return str(e)
        if plan.filename not in self.weights:
            return (f"no {self.name} checkpoint {plan.filename} serves track {track!r}: train one with "
                    f"python -m baselines.neural.train --model {self.name} --track {track}")
        return None


CHECKPOINTS = Path(__file__).resolve().parent / "neural" / "checkpoints"


def _neural_codec(model: str) -> PythonCodec:
    from baselines.neural.multi import MultiTrackCodec  # noqa: PLC0415  (heavy optional: torch)

    return MultiTrackCodec(model).preload()


FACTORY_OF_KIND: dict[tuple[str, bool], Callable[[str], PythonCodec]] = {
    ("classical", False): get_codec,
    ("classical", True): get_near_lossless_codec,
    ("neural", False): _neural_codec,
    ("archive", False): get_archive_codec,
}
"""(kind, near-lossless) -> how a baseline of that kind is made in this process, by name."""


def _bind(row: CatalogRow) -> BaselineSpec:
    make = FACTORY_OF_KIND[(row.kind, row.near_lossless)]
    weights = tuple(sorted(p.name for p in CHECKPOINTS.glob(f"{row.name}-*") if p.suffix in (".pt", ".json"))) \
        if row.neural else ()
    return BaselineSpec(**{f: getattr(row, f) for f in CatalogRow.__dataclass_fields__},
                        factory=lambda: make(row.name), weights=weights)


BASELINE_TABLE: tuple[BaselineSpec, ...] = tuple(_bind(row) for row in CATALOG)

BASELINES: NamedTable[BaselineSpec] = NamedTable("baseline", BASELINE_TABLE)


def baseline_submission(name: str) -> str:
    """The submission id of a baseline's records."""
    return BASELINES[name].submission


def select_baselines(names: str | list[str] | None) -> list[BaselineSpec]:
    """``None``/``"all"``: every baseline; else a comma list (or list) of names, in table order."""
    if names is None or names == "all":
        return list(BASELINE_TABLE)
    wanted = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
    chosen = {BASELINES[n].name for n in wanted if n}  # UnknownName lists the known ones
    return [b for b in BASELINE_TABLE if b.name in chosen]
