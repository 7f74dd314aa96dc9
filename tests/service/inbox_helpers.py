"""Helpers for the inbox tests (imported by name): an image archive shaped like ``docker save``'s, the organizer's
key published in an inbox, and a request sent the way ``challenge submit`` sends it (encrypted)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub_recorder import RecordingHfApi
from pyrage import x25519

from submissions.inbox.inbox import Inbox
from submissions.inbox.inbox_crypto import create_identity, parse_recipient, seal_file
from submissions.inbox.inbox_image import seal_fields

ORGANIZER = "organizer"


@dataclass(frozen=True)
class FakeImage:
    tar: Path  # gzip-compressed, like `docker save | gzip`
    image_id: str  # sha256:<hex>
    layers: tuple[str, ...]  # layer digests (hex)
    sha256: str  # of the .tar.gz file

    def secrets(self) -> list[str]:
        """Hex strings that would tell which image this is."""
        return [self.image_id.split(":", 1)[1], *self.layers]


def fake_image(folder: Path, i: int) -> FakeImage:
    """A small archive with docker save's layout: ``<id>.json``, ``<layer>/layer.tar``, ``manifest.json``."""
    layer_tar = io.BytesIO()
    with tarfile.open(fileobj=layer_tar, mode="w") as lt:
        data = f"#!/bin/sh\n# codec {i}: the participant's secret sauce\n".encode() * 50
        info = tarfile.TarInfo("codec/encode.sh")
        info.size = len(data)
        lt.addfile(info, io.BytesIO(data))
    layer = layer_tar.getvalue()
    layer_hex = hashlib.sha256(layer).hexdigest()
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_hex}"]}, "n": i}).encode()
    image_hex = hashlib.sha256(config).hexdigest()
    members = {f"{image_hex}.json": config, f"{layer_hex}/layer.tar": layer,
               "manifest.json": json.dumps([{"Config": f"{image_hex}.json", "RepoTags": None,
                                             "Layers": [f"{layer_hex}/layer.tar"]}]).encode()}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, blob in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tf.addfile(info, io.BytesIO(blob))
    path = folder / f"image{i}.tar.gz"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw.getvalue(), compresslevel=1, mtime=0))
    return FakeImage(path, f"sha256:{image_hex}", (layer_hex,), hashlib.sha256(path.read_bytes()).hexdigest())


@dataclass(frozen=True)
class OrganizerKeys:
    identity_file: Path
    recipient: x25519.Recipient


def publish_keys(box: Inbox, folder: Path, api: RecordingHfApi | None = None) -> OrganizerKeys:
    """What `challenge admin inbox-key --inbox` does: a key pair, the recipient on the inbox's main branch."""
    path = folder / "organizer-identity.txt"
    recipient = create_identity(path)
    user = api.user if api else None
    if api:
        api.user = ORGANIZER
    box.publish_recipient(recipient)
    if api and user:
        api.user = user
    return OrganizerKeys(path, x25519.Recipient.from_str(recipient))


def request_fields(image: FakeImage, i: int, participant: str = "mallory") -> dict[str, Any]:
    return {"participant": participant, "name": f"codec{i}", "image_digest": image.image_id,
            "tar_sha256": image.sha256, "manifest": {"name": f"codec{i}"}, "tracks": ["keck"],
            "image_ref": f"astrocompress/codec-codec{i}:{image.image_id[7:19]}", "image_size_bytes": 1234}


def send_sealed(box: Inbox, fields: dict[str, Any], image: FakeImage, folder: Path) -> str:
    """What `challenge submit --to` sends: the archive and the identifying fields sealed for the published key."""
    text = box.recipient()
    assert text is not None, "the organizer has not published a recipient"
    recipient = parse_recipient(text, box.url)
    sealed = folder / f"{image.tar.name}.{len(list(folder.glob('*.age')))}.age"
    seal_file(image.tar, sealed, recipient)
    return box.put_request(seal_fields(fields, recipient), sealed)


def leaks(blob: bytes, secrets: list[str]) -> list[str]:
    """What in ``blob`` gives an image away: a gzip start, a tar header in any 512-byte block, a digest."""
    found = []
    if blob[:2] == b"\x1f\x8b":
        found.append("gzip magic at the start")
        try:
            blob = gzip.decompress(blob)
        except OSError:
            pass
    for off in range(0, len(blob), 512):
        if blob[off + 257:off + 262] == b"ustar":
            found.append(f"tar header at offset {off}")
            break
    text = blob.decode("latin-1").lower()
    found += [f"digest {s[:12]}..." for s in secrets if s.lower() in text]
    return found
