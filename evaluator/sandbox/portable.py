"""The portable-decode check in the sandbox: a fresh decoder container per environment of the table.

``evaluator.results.portability`` holds the environments and the sample; this module
runs them. Per environment, in table order: start one fresh decoder
container of the same image (same hardening and limits, only the
environment differs), decode every sampled bitstream with the same checks as
a normal decode (``evaluator.sandbox.round_trip.decode_item``: output folder,
size cap, ``.npy`` header, bit-for-bit against the evaluator's own copy),
stop and remove it. Every environment runs (each result is recorded); within
one, the first item that fails ends it. Failures are returned, never raised:
they do not fail the track.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

from evaluator.core.failures import CodecFailure, failure_kind
from evaluator.results.portability import PORTABLE_ENVS, EnvRun, PortableEnv, PortableRun, Sample
from evaluator.sandbox.container import CodecContainer
from evaluator.sandbox.round_trip import decode_item

STDERR_TAIL_CHARS = 2000


def run_portable_check(
    make_decoder: Callable[[PortableEnv], CodecContainer],
    samples: Sequence[Sample],
    next_request: Callable[[], str],
    *,
    cores: int,
    gpus: int = 0,
    envs: Iterable[PortableEnv] | None = None,
) -> PortableRun | None:
    """Decode ``samples`` again under each environment: one :class:`EnvRun` each, in order.

    A run granted no GPU skips the environments that need one (``PortableEnv.gpu_only``: ``cpu-decode``).

    ``make_decoder(env)`` returns a decoder container (not started) with that
    environment's variables; ``next_request()`` the next request id. None
    when there is nothing to check (no samples, no environments).
    """
    t0 = time.perf_counter()
    runs: list[EnvRun] = []
    for env in (PORTABLE_ENVS.values() if envs is None else envs):
        if not env.applies(gpus):
            continue
        if not samples:
            break
        t_env = time.perf_counter()
        decoder = make_decoder(env)
        done, failure = 0, None
        try:
            decoder.start()
            for sample in samples:
                done += 1
                try:
                    decode_item(decoder, next_request(), sample.bitstream, sample.original)
                except CodecFailure as exc:
                    exc.item_id = sample.item_id if failure_kind(exc.kind).scope == "item" else None
                    raise
        except CodecFailure as exc:
            failure = exc
        finally:
            try:
                decoder.stop()
            finally:
                decoder.remove()
        runs.append(EnvRun(env.name, env.variables(cores), done, failure, time.perf_counter() - t_env,
                           decoder.stderr.last(STDERR_TAIL_CHARS) if decoder.stderr.total else ""))
    return PortableRun(runs, time.perf_counter() - t0) if runs else None
