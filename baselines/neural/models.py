"""The neural models' table: catalog name -> `ModelSpec` (``SPEC`` of ``baselines/neural/<name>.py``).

The names are the neural rows of the baseline catalog (`baselines.catalog.NEURAL_BASELINES`); each
names the module holding its model (`baselines.neural.model_api`). Adding a neural baseline is its
module and its catalog row (and its checkpoint files); nothing here lists models.
"""

from __future__ import annotations

from importlib import import_module

from baselines.catalog import NEURAL_BASELINES
from baselines.model_names import OUR_MODELS
from baselines.neural.model_api import ModelSpec
from evaluator.sdk.named_table import NamedTable


def _spec(name: str) -> ModelSpec:
    spec = getattr(import_module(f"baselines.neural.{name}"), "SPEC", None)
    if not isinstance(spec, ModelSpec) or spec.name != name:
        raise TypeError(f"baselines/neural/{name}.py must export SPEC, the ModelSpec named {name!r}")
    return spec


MODELS: NamedTable[ModelSpec] = NamedTable("neural baseline model", tuple(_spec(n) for n in NEURAL_BASELINES))


def frames_as_channels(model: str) -> bool:
    """Whether ``model`` takes a 3D paper track's frames as channels (`baselines.model_names`)."""
    return OUR_MODELS[model].frames_as_channels
