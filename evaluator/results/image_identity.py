"""Which codec image a run measured: one type from the image's inspection to the record.

:class:`ImageIdentity` is what the sandbox reads of an image
(``evaluator.sandbox.image.image_info``), what the fingerprint of a run
carries (``evaluator.results.fingerprints.Fingerprint.image``) and what a record
stores: on disk its digest is the record's ``image_digest`` and the
fingerprint's ``image_digest``, its compressed size the fingerprint's
``image_compressed_bytes`` (the JSON keys readers of published records use).
"""

from __future__ import annotations

from dataclasses import dataclass

from evaluator.core.manifest import modes_near_lossless


@dataclass(frozen=True)
class ImageIdentity:
    digest: str  # RepoDigest when the image came from a registry, else the image id (sha256:...)
    id: str | None = None  # the local image id (sha256:...); None when read back from a record
    ref: str | None = None  # what the caller named (a tag, an id)
    compressed_size_bytes: int | None = None  # ``docker save | gzip`` size (label or measured)
    modes: str = "lossless"  # the image's ``org.astrocompress.modes`` label (no label: lossless-only, contract 1)

    @property
    def near_lossless(self) -> bool:
        return modes_near_lossless(self.modes)

    @property
    def short_id(self) -> str:
        """The first 12 hex digits of the image id (or digest): a default submission name."""
        return (self.id or self.digest).split(":")[-1][:12]


__all__ = ["ImageIdentity"]
