"""The fingerprint of a run: everything a runtime number depends on, typed.

:func:`evaluator.sandbox.profiles.fingerprint` measures one (CPU model, cores and
memory granted, GPU, Docker, contract and evaluator versions, the image, the
data). It travels through a run as a :class:`Fingerprint` and becomes JSON
only at the storage boundary: :meth:`Fingerprint.to_json` gives the flat
mapping a record stores (the keys below, unchanged since the first records),
:meth:`Fingerprint.from_json` reads one back. Keys the class does not know
(older or hand-written fingerprints) are kept in ``extra`` so a round trip
never loses them.
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
    inprocess_codec: str | None = None  # written only when set
    extra: JsonObject = field(default_factory=dict)  # keys read from a record that this class does not know

    def to_json(self) -> FingerprintJson:
        """The flat mapping a record stores (same keys and values as every earlier record)."""
        out: JsonObject = dict(self.extra)
        for f in fields(self):
            if f.name in ("image", "extra"):
                continue
            value = getattr(self, f.name)
            if f.name == "inprocess_codec" and value is None:
                continue
            out[f.name] = value
        if self.image is not None:
            out["image_digest"], out["image_compressed_bytes"] = self.image.digest, self.image.compressed_size_bytes
        else:  # no image (in-process), or one read back without a digest: its keys as they were
            out.setdefault("image_digest", None)
            out.setdefault("image_compressed_bytes", None)
        return out

    @classmethod
    def from_json(cls, data: FingerprintJson) -> Fingerprint:
        """A stored fingerprint (unknown keys go to ``extra``; no ``profile`` key: ``""``).

        ``from_json(fp.to_json()) == fp`` up to the image's local id and ref, which records do not keep.
        """
        raw: JsonObject = dict(data)
        image = None
        digest, size = raw.get("image_digest"), raw.get("image_compressed_bytes")
        if isinstance(digest, str) and digest and (size is None or isinstance(size, int)):
            image = ImageIdentity(digest, compressed_size_bytes=size)
            del raw["image_digest"]
            raw.pop("image_compressed_bytes", None)
        known = {f.name for f in fields(cls)} - {"image", "extra"}
        values = {k: raw.pop(k) for k in list(raw) if k in known}
        values.setdefault("profile", "")
        return cls(**values, image=image, extra=raw)  # type: ignore[arg-type]  # stored JSON, trusted shape


__all__ = ["Fingerprint", "FingerprintJson"]
