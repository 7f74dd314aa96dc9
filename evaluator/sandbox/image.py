"""What the sandbox reads from a codec image before running it: its identity (id, digest, size label, modes) and user.

:func:`image_info` inspects a local image (``image_error`` when it is absent);
:func:`resolve_user` turns the image's ``USER`` into the numeric ``uid:gid``
the containers run as, never root (a root image runs as
:data:`~evaluator.sandbox.policy.NOBODY`). A user *name* is looked up in the
image's own ``/etc/passwd`` and ``/etc/group``, read without running the
image (a stopped probe container and ``get_archive``).
"""

from __future__ import annotations

import io
import logging
import tarfile
from dataclasses import dataclass
from typing import Any

from evaluator.core.failures import CodecFailure
from evaluator.core.manifest import LABEL_MODES
from evaluator.results.image_identity import ImageIdentity
from evaluator.sandbox.policy import LABEL, NOBODY

log = logging.getLogger(__name__)

SIZE_LABEL = "org.astrocompress.compressed-size"  # an image may carry its measured compressed size
_MAX_PROBE_BYTES = 4 << 20  # a passwd or group file larger than this is not read


@dataclass(frozen=True)
class ImageInfo:
    """An inspected local image: which image it is (what records keep) and the user its containers run as."""

    identity: ImageIdentity  # ref, id, digest, compressed size, modes
    user: str  # "uid:gid" the containers run as, never root

    @property
    def id(self) -> str:
        """The local image id (sha256:...) containers are created from."""
        return self.identity.id or self.identity.digest


def _read_image_file(client: Any, image_id: str, path: str) -> str | None:
    """Read a small text file from an image without running it (create + get_archive)."""
    container = client.api.create_container(image_id, command=["true"], network_disabled=True,
                                            labels={LABEL: "probe"})["Id"]
    try:
        stream, _ = client.api.get_archive(container, path)
        buf = io.BytesIO()
        for chunk in stream:
            buf.write(chunk)
            if buf.tell() > _MAX_PROBE_BYTES:
                return None
        buf.seek(0)
        with tarfile.open(fileobj=buf) as tar:
            member = tar.next()
            if member is None or not member.isfile():
                return None
            fh = tar.extractfile(member)
            return fh.read().decode("utf-8", errors="replace") if fh else None
    except Exception:  # noqa: BLE001  (no such file in the image)
        return None
    finally:
        client.api.remove_container(container, force=True)


def _lookup(table: str | None, name: str) -> tuple[int, int] | None:
    """Fields 3 and 4 of the ``name`` line of a passwd (uid, gid) or group (gid, ...) table."""
    for line in (table or "").splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[0] == name:
            try:
                return int(parts[2]), int(parts[3])
            except ValueError:
                return None
    return None


def resolve_user(client: Any, image_id: str, configured: str) -> str:
    """The numeric ``uid:gid`` to run as: the image's user unless it is root (then 65534)."""
    configured = (configured or "").strip()
    if not configured:
        return NOBODY
    user, _, group = configured.partition(":")
    uid: int | None
    gid: int | None = None
    if user.isdigit():
        uid = int(user)
    else:
        entry = _lookup(_read_image_file(client, image_id, "/etc/passwd"), user)
        uid, gid = entry if entry else (None, None)
    if group:
        if group.isdigit():
            gid = int(group)
        else:
            g = _lookup(_read_image_file(client, image_id, "/etc/group"), group)
            gid = g[0] if g else None  # /etc/group: name:x:gid:members -> parts[2]
    if uid is None or uid == 0:
        if uid == 0:
            log.warning("image %s runs as root; the sandbox runs it as %s instead", image_id[:19], NOBODY)
        return NOBODY
    if gid is None or gid == 0:
        gid = 65534
    return f"{uid}:{gid}"


def image_info(client: Any, image: str, compressed_size_bytes: int | None = None) -> ImageInfo:
    """Inspect a local image: id, digest, the user it will run as. ``image_error`` if absent."""
    import docker  # noqa: PLC0415  (optional: this module imports without Docker)

    try:
        img = client.images.get(image)
    except docker.errors.ImageNotFound:
        raise CodecFailure(
            "image_error", f"image {image!r} is not on this machine; build it (challenge build) or pull it first"
        ) from None
    except docker.errors.APIError as exc:
        raise CodecFailure("image_error", f"cannot inspect image {image!r}: {exc}") from None
    attrs = img.attrs
    digests = attrs.get("RepoDigests") or []
    user = resolve_user(client, img.id, (attrs.get("Config") or {}).get("User") or "")
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    if compressed_size_bytes is None:
        label = labels.get(SIZE_LABEL)
        compressed_size_bytes = int(label) if label and str(label).isdigit() else None
    identity = ImageIdentity(digest=digests[0] if digests else img.id, id=img.id, ref=image,
                             compressed_size_bytes=compressed_size_bytes,
                             modes=str(labels.get(LABEL_MODES) or "lossless"))
    return ImageInfo(identity, user)
