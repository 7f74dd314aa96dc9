"""Names for JSON-shaped values: what a record, a manifest or a codec's ``info`` holds when it is free-form.

A value that has a known shape gets a dataclass or a TypedDict instead (``evaluator.results.fingerprints``,
``evaluator.core.schema``); these aliases are for what really is free-form (a participant's codec.toml, the
``info`` mapping a codec sends in its ready line, file metadata of a store's listing).
"""

from __future__ import annotations

from typing import TypeAlias

JsonScalar: TypeAlias = str | int | float | bool | None
JsonValue: TypeAlias = JsonScalar | list["JsonValue"] | dict[str, "JsonValue"]
JsonObject: TypeAlias = dict[str, JsonValue]

FileInfo: TypeAlias = dict[str, object]
"""One file's metadata in a store listing (fsspec's ``info``: ``size``, ``mtime``, ...; keys vary by file system)."""

__all__ = ["FileInfo", "JsonObject", "JsonScalar", "JsonValue"]
