"""An untrusted codec image as an encoder and a decoder container (DESIGN.md "Sandbox").

:class:`SandboxedCodec` starts two containers of the image, ``encode`` and
``decode``, each with its own host folders (``evaluator.sandbox.workspace``):
they share no writable volume, and only the counted bitstream passes from
one to the other (``evaluator.sandbox.round_trip``). Containers stay up
across items (startup is timed apart), so the per-request overhead is one
JSON line each way; an item bigger than the containers were sized for
restarts both with a larger output cap. After the last item,
:meth:`SandboxedCodec.check_portable` stops both and decodes a sample again
in fresh decoder containers under other environments
(``evaluator.sandbox.portable``).

Containers and folders are removed in ``finally`` blocks, also on
KeyboardInterrupt; what an evaluator killed outright leaves is reaped by the
next run (``reap_stale_workspaces``, ``remove_stale_containers``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np

from evaluator.results.portability import PortableEnv, PortableRun, Sample
from evaluator.sandbox.container import CodecContainer, ContainerRun
from evaluator.sandbox.docker_engine import docker_client
from evaluator.sandbox.image import ImageInfo, image_info
from evaluator.sandbox.policy import fsize_limit, out_mount_bytes
from evaluator.sandbox.portable import run_portable_check
from evaluator.sandbox.profiles import Grant, Profile
from evaluator.sandbox.profiles import grant as grant_profile
from evaluator.sandbox.round_trip import RoundTrip, decode_item, encode_item, round_trip
from evaluator.sandbox.workspace import Workspace
from evaluator.sdk.server import TRACK_ENV

log = logging.getLogger(__name__)


@dataclass
class SandboxedCodec:
    """An encoder and a decoder container for one track; use as a context manager.

    ``encode(array)`` returns the bitstream and the encode seconds;
    ``decode(bitstream, original)`` checks the round trip and returns the
    decode seconds. ``startup_s`` is the slower of the two startups.
    """

    image: str
    profile: Profile
    info: ImageInfo | None = None
    client: Any = None
    granted: Grant | None = None
    startup_s: float | None = None
    tmpfs_out: bool = True  # False: plain host folders for /work/out (what a non-root evaluator gets)
    track: str | None = None  # named to both containers as $ASTROCOMPRESS_TRACK (evaluator.sdk.server.TRACK_ENV)
    _seq: int = 0
    _fsize: int = 0
    _enc: CodecContainer | None = None
    _dec: CodecContainer | None = None
    _portable: list[CodecContainer] = field(default_factory=list)  # the portable check's decoders
    _ws: Workspace | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self, first_raw_bytes: int) -> float:
        """Start both containers sized for items up to ``first_raw_bytes``; returns startup seconds."""
        self.client = self.client or docker_client()
        self.info = self.info or image_info(self.client, self.image)
        self.granted = self.granted or grant_profile(self.profile)
        self._fsize = fsize_limit(self.profile, first_raw_bytes)
        self._ws = Workspace(self.info.user, out_mount_bytes(self._fsize), tmpfs_out=self.tmpfs_out)
        self.startup_s = self._start_containers()
        return self.startup_s

    def codec_info(self) -> dict[str, Any]:
        """What the encoder said of itself in its ready line (``info``: parameters, weights hash, ...)."""
        info = (self._enc.ready if self._enc is not None else {}).get("info")
        return dict(info) if isinstance(info, dict) else {}

    def track_env(self) -> dict[str, str]:
        """What every container of this run is told besides the thread settings: the track."""
        return {TRACK_ENV: self.track} if self.track else {}

    def _container_run(self) -> ContainerRun:
        assert self.info is not None and self.granted is not None, "open() first"
        return ContainerRun(self.client, self.info, self.profile, self.granted, self.run_id)

    def _start_containers(self) -> float:
        assert self._ws is not None and self.info is not None and self.granted is not None
        run = self._container_run()
        self._enc = CodecContainer(run, "encode", self._ws.enc_in, self._ws.enc_out, self._fsize, env=self.track_env())
        self._dec = CodecContainer(run, "decode", self._ws.dec_in, self._ws.dec_out, self._fsize, env=self.track_env())
        t_enc = self._enc.start()
        t_dec = self._dec.start()
        return max(t_enc, t_dec)

    def _ensure_capacity(self, raw_bytes: int) -> None:
        """A bigger item than the containers were sized for: resize /work/out and restart both."""
        need = fsize_limit(self.profile, raw_bytes)
        if need <= self._fsize:
            return
        log.info("item needs an output cap of %d bytes (> %d): restarting the codec containers", need - 1,
                 self._fsize - 1)
        self._stop_containers()
        self._fsize = need
        assert self._ws is not None
        self._ws.resize(out_mount_bytes(need))
        self._start_containers()

    def _next_request(self, raw_bytes: int) -> str:
        """The id of the next item's requests, once the containers can take ``raw_bytes``."""
        assert self._ws is not None
        self._ensure_capacity(raw_bytes)
        self._seq += 1
        return f"{self._seq:06d}"

    def encode(self, array: np.ndarray) -> tuple[bytes | bytearray, float]:
        rid = self._next_request(array.nbytes)
        assert self._enc is not None
        return encode_item(self._enc, rid, array)

    def decode(self, bitstream: bytes | bytearray, original: np.ndarray) -> float:
        assert self._ws is not None and self._dec is not None
        return decode_item(self._dec, f"{self._seq:06d}", bitstream, original)

    def round_trip(self, array: np.ndarray, max_abs_error: int = 0) -> RoundTrip:
        rid = self._next_request(array.nbytes)
        assert self._enc is not None and self._dec is not None
        return round_trip(self._enc, self._dec, rid, array, max_abs_error)

    def check_portable(self, samples: Sequence[Sample]) -> PortableRun | None:
        """After the last round trip: stop both containers, decode ``samples`` again under other environments."""
        self._stop_containers()  # their work is done; a fresh decoder must not share their memory limit

        def decoder(env: PortableEnv) -> CodecContainer:
            assert self._ws is not None and self.info is not None and self.granted is not None
            c = CodecContainer(self._container_run(), "decode", self._ws.dec_in, self._ws.dec_out, self._fsize,
                               env={**self.track_env(), **env.variables(self.granted.cores)},
                               who=f"decoder ({env.name} environment)")
            self._portable.append(c)
            return c

        def next_request() -> str:
            self._seq += 1
            return f"{self._seq:06d}"

        assert self.granted is not None
        return run_portable_check(decoder, samples, next_request, cores=self.granted.cores,
                                  gpus=self.granted.gpus, envs=self.profile.portable_env_table())

    def _containers(self) -> list[CodecContainer]:
        return [c for c in (self._enc, self._dec, *self._portable) if c is not None]

    def stderr_text(self) -> dict[str, str]:
        return {c.role if c in (self._enc, self._dec) else c.who: c.stderr.text() for c in self._containers()}

    def stderr_tail(self, n: int = 2000) -> str:
        parts = []
        for c in self._containers():
            if c.stderr.total:
                parts.append(f"--- {c.who} stderr (last {n} chars) ---\n{c.stderr.last(n)}")
        return "\n".join(parts)

    def _stop_containers(self) -> None:
        for c in self._containers():
            if c.removed:
                continue
            try:
                c.stop()
            finally:
                c.remove()

    def close(self) -> None:
        try:
            self._stop_containers()
        finally:
            if self._ws is not None:
                self._ws.cleanup()
                self._ws = None
