"""Which codec image a run measured: one type from ``challenge submit`` to the record.

:class:`ImageIdentity` is frozen where an image enters the platform
(``submissions.submit`` after the build, the hosted inbox's ingest, a
baseline's build), kept by the queue (``Submission.image``), carried by each
evaluation task (``EvaluationTask.image``) and by ``ImageRun.image``; the
sandbox inspects the image again (``evaluator.sandbox.image.image_info``) and
refuses to run one whose id is not the frozen one. The fingerprint of a run
carries it (``evaluator.results.fingerprints.Fingerprint.image``) and a
record stores it once: on disk its digest is the fingerprint's
``image_digest``, its compressed size the fingerprint's
``image_compressed_bytes`` (the JSON keys readers of published records use).
"""

from __future__ import annotations

from collections.abc import Mapping
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
    def run_ref(self) -> str:
        """What Docker runs: the local id when known (the frozen image itself), else the name or digest."""
        return self.id or self.ref or self.digest

    @classmethod
    def frozen(cls, image_id: str, *, ref: str | None = None, compressed_size_bytes: int | None = None,
               modes: str = "lossless") -> ImageIdentity:
        """A locally built or loaded image, frozen by its id (``sha256:...``: its digest until it is pushed)."""
        return cls(digest=image_id, id=image_id, ref=ref, compressed_size_bytes=compressed_size_bytes, modes=modes)

    @classmethod
    def named(cls, ref: str) -> ImageIdentity:
        """An image known only by the name given (not inspected yet): the sandbox inspects it and the
        record keeps what it found; until then its name stands for its digest (a campaign's shard key)."""
        return cls(digest=ref, ref=ref)

    def to_json(self) -> dict[str, str | int | None]:
        return {"digest": self.digest, "id": self.id, "ref": self.ref,
                "compressed_size_bytes": self.compressed_size_bytes, "modes": self.modes}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ImageIdentity:
        """An identity as :meth:`to_json` wrote it (unknown keys ignored)."""
        size = data.get("compressed_size_bytes")
        return cls(digest=str(data["digest"]), id=_opt_str(data.get("id")), ref=_opt_str(data.get("ref")),
                   compressed_size_bytes=size if isinstance(size, int) and not isinstance(size, bool) else None,
                   modes=str(data.get("modes") or "lossless"))

    @property
    def short_id(self) -> str:
        """The first 12 hex digits of the image id (or digest): a default submission name."""
        return (self.id or self.digest).split(":")[-1][:12]


def _opt_str(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


__all__ = ["ImageIdentity"]
