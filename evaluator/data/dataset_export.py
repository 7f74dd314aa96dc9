"""Export the items of a track to a ``datasets.Dataset`` (DESIGN "Data": the project owns
its loader and can export to ``datasets``, since the corpus' loading scripts no longer run).

Columns: ``image_id``, ``image`` (the raw little-endian uint16 bytes, or nested
lists with ``image_format="array"``), ``shape``, ``dtype``, ``track``,
``exptime``, ``telescope``, ``source_file`` and ``meta`` (all meta as JSON).
:func:`image_from_row` turns a row back into the exact array.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from evaluator.core.tracks import Track
from evaluator.data.data_source import DataSource
from evaluator.data.items import Item

if TYPE_CHECKING:
    import datasets

ImageFormat = Literal["bytes", "array"]


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _row(track: Track, item: Item, image_format: ImageFormat) -> dict[str, Any]:
    data = np.ascontiguousarray(item.data, dtype=np.uint16)
    exptime = item.meta.get("exptime")
    return {
        "image_id": item.id,
        "image": data.astype("<u2").tobytes() if image_format == "bytes" else data.tolist(),
        "shape": list(data.shape),
        "dtype": "uint16",
        "track": track.name,
        "exptime": float(exptime) if isinstance(exptime, (int, float)) else None,
        "telescope": str(item.meta["telescope"]) if "telescope" in item.meta else None,
        "source_file": str(item.meta.get("source_file", "")),
        "meta": json.dumps(item.meta, default=_json_default, sort_keys=True),
    }


def iter_rows(source: DataSource, track: Track, image_format: ImageFormat = "bytes") -> Iterator[dict[str, Any]]:
    for item in source.iter_items(track):
        yield _row(track, item, image_format)


def to_hf_dataset(source: DataSource, track: Track, *, image_format: ImageFormat = "bytes",
                  limit: int | None = None) -> datasets.Dataset:
    """A ``datasets.Dataset`` with one row per test item of ``track`` in ``source``."""
    import datasets

    features = datasets.Features({
        "image_id": datasets.Value("string"),
        "image": datasets.Value("binary") if image_format == "bytes" else _nested(track.ndim),
        "shape": datasets.Sequence(datasets.Value("int64")),
        "dtype": datasets.Value("string"),
        "track": datasets.Value("string"),
        "exptime": datasets.Value("float64"),
        "telescope": datasets.Value("string"),
        "source_file": datasets.Value("string"),
        "meta": datasets.Value("string"),
    })
    rows = []
    for n, row in enumerate(iter_rows(source, track, image_format)):
        if limit is not None and n >= limit:
            break
        rows.append(row)
    ds = datasets.Dataset.from_list(rows, features=features) if rows else datasets.Dataset.from_dict(
        {k: [] for k in features}, features=features)
    return ds.with_format(None)


def _nested(ndim: int) -> Any:
    import datasets

    feature: Any = datasets.Value("uint16")
    for _ in range(ndim):
        feature = datasets.Sequence(feature)
    return feature


def image_from_row(row: dict[str, Any]) -> np.ndarray:
    """The exact uint16 array of an exported row."""
    shape = tuple(int(s) for s in row["shape"])
    image = row["image"]
    if isinstance(image, (bytes, bytearray, memoryview)):
        return np.frombuffer(bytes(image), dtype="<u2").reshape(shape).astype(np.uint16)
    return np.asarray(image, dtype=np.uint16).reshape(shape)
