"""The fingerprint of a run: everything a runtime number depends on, typed.

:func:`evaluator.sandbox.profiles.fingerprint` measures one (CPU model, cores and
memory granted, GPU, Docker, contract and evaluator versions, the image, the
data). It travels through a run as a :class:`Fingerprint` and becomes JSON
only at the storage boundary: :meth:`Fingerprint.to_json` gives the flat
mapping a record stores (the keys below, unchanged since the first records),
:meth:`Fingerprint.from_json` reads one back. Keys the class does not know
(older or hand-written fingerprints) are kept in ``extra`` and the known keys
a stored mapping lacked in ``absent``, so a round trip neither loses a key nor
adds one: ``Fingerprint.from_json(x).to_json() == x``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TypeAlias

from evaluator.core.json_types import JsonObject
from evaluator.results.image_identity import ImageIdentity

FingerprintJson: TypeAlias = JsonObject
"""A fingerprint as records store it: the :class:`Fingerprint` fields by name (the image as ``image_digest`` and
``image_compressed_bytes``; ``inprocess_codec`` only when set). Paper cells and older records may have fewer or
other keys, so readers treat it as free-form JSON and :meth:`Fingerprint.from_json` keeps what it does not know."""


@dataclass(frozen=True)
class Fingerprint:
    profile: str
    cpu_model: str | None = None
    cores_granted: int | None = None
    cpuset: str | None = None  # which cores of the host this run leased; None: not pinned (in-process)
    memory_granted_bytes: int | None = None
    gpu_model: str | None = None
    gpu_driver: str | None = None
    docker_version: str | None = None
    contract_version: str | None = None
    evaluator_version: str | None = None
    image: ImageIdentity | None = None  # stored as image_digest and image_compressed_bytes
    data_label: str | None = None
    dataset_revision: str | None = None
    synthetic: bool = False
    hostname: str | None = None
    python: str | None = None
    inprocess_codec: str | None = None  # written only when set (or when read back from a record that had it)
    extra: JsonObject = field(default_factory=dict)  # keys read from a record that this class does not know
    # known keys to leave out of to_json while they hold their default: those a stored fingerprint lacked
    # (from_json), and inprocess_codec for a new one; a key whose value is set is always written
    absent: frozenset[str] = frozenset({"inprocess_codec"})

    def __post_init__(self) -> None:
        # only keys still at their default are left out, so equal values give equal fingerprints
        object.__setattr__(self, "absent", frozenset(k for k in self.absent if self._unset(k)))

    def _unset(self, key: str) -> bool:
        """Whether the JSON key ``key`` holds its default (the image keys: no image, no size)."""
        if key == "image_digest":
            return self.image is None
        if key == "image_compressed_bytes":
            return self.image is None or self.image.compressed_size_bytes is None
        if key not in _DEFAULTS:
            return False
        return bool(getattr(self, key) == _DEFAULTS[key])

    def to_json(self) -> FingerprintJson:
        """The flat mapping a record stores (same keys and values as every earlier record).

        For a fingerprint read by :meth:`from_json`: exactly the mapping it was read from.
        """
        out: JsonObject = dict(self.extra)
        for f in fields(self):
            if f.name not in _DEFAULTS or f.name in self.absent:
                continue
            out[f.name] = getattr(self, f.name)
        if self.image is not None:
            out["image_digest"] = self.image.digest
            if "image_compressed_bytes" not in self.absent:
                out["image_compressed_bytes"] = self.image.compressed_size_bytes
        else:  # no image (in-process), or one read back without a digest (its keys, in extra, as they were)
            for key in ("image_digest", "image_compressed_bytes"):
                if key not in self.absent:
                    out.setdefault(key, None)
        return out

    @classmethod
    def from_json(cls, data: FingerprintJson) -> Fingerprint:
        """A stored fingerprint (unknown keys go to ``extra``; no ``profile`` key: ``""``).

        ``from_json(x).to_json() == x`` for every JSON object ``x`` (the keys it lacked are remembered in
        ``absent``), and ``from_json(fp.to_json()) == fp`` up to the image's local id, ref and modes, which
        records do not keep.
        """
        raw: JsonObject = dict(data)
        absent = {k for k in (*_DEFAULTS, "image_digest", "image_compressed_bytes") if k not in raw}
        image = None
        digest, size = raw.get("image_digest"), raw.get("image_compressed_bytes")
        if isinstance(digest, str) and digest and (size is None or isinstance(size, int)):
            image = ImageIdentity(digest, compressed_size_bytes=size)
            del raw["image_digest"]
            raw.pop("image_compressed_bytes", None)
        values = {k: raw.pop(k) for k in list(raw) if k in _DEFAULTS}
        values.setdefault("profile", "")
        return cls(**values, image=image, extra=raw, absent=frozenset(absent))  # type: ignore[arg-type]  # stored JSON


_DEFAULTS: dict[str, object] = {
    f.name: ("" if f.name == "profile" else f.default)
    for f in fields(Fingerprint) if f.name not in ("image", "extra", "absent")
}
"""The fingerprint's flat JSON keys (less the image's two) and the value each takes when a stored mapping lacks it."""


__all__ = ["Fingerprint", "FingerprintJson"]
