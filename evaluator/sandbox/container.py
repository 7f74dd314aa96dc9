"""The lifecycle of one codec container: create, attach, start, request, classify a failure, stop, remove.

A :class:`CodecContainer` is one running ``IMAGE encode`` or ``IMAGE decode``
server with the host config of ``evaluator.sandbox.policy``. Its stdin,
stdout and stderr travel over one attach socket (``evaluator.sandbox.protocol``):
JSON lines each way, stderr kept bounded (:class:`~evaluator.sandbox.protocol.StderrTail`).

Two layers of timeout (STYLE.md): the protocol client waits at most the
startup or request timeout, and a watchdog thread kills the container at the
hard deadline (that timeout + the profile's grace) whatever happens inside.
After a failure the container is stopped and the failure classified: OOM
kill, an output over the cap, a crash with its exit code.

Containers carry :data:`~evaluator.sandbox.policy.LABEL`;
:func:`remove_stale_containers` removes those an evaluator killed outright
left behind.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluator.core.failures import CodecFailure
from evaluator.results.portability import device_env, thread_env
from evaluator.sandbox.docker_engine import docker_client
from evaluator.sandbox.image import ImageInfo
from evaluator.sandbox.policy import LABEL, host_config_kwargs
from evaluator.sandbox.profiles import Grant, Profile
from evaluator.sandbox.protocol import Answer, JsonLinesClient, StderrTail
from evaluator.sandbox.verify import oversized_output

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ContainerRun:
    """What every container of one sandboxed run shares: the engine, the image, the profile and grant, the run id."""

    client: Any  # a docker client
    info: ImageInfo
    profile: Profile
    granted: Grant
    run_id: str  # labels every container of the run (cleanup finds them by it)


class CodecContainer:
    """One running ``IMAGE encode`` or ``IMAGE decode`` server."""

    def __init__(self, run: ContainerRun, role: str, in_dir: Path, out_dir: Path, fsize: int, *,
                 env: Mapping[str, str] | None = None, who: str | None = None) -> None:
        self.client, self.info, self.role = run.client, run.info, role
        self.profile, self.granted = run.profile, run.granted
        self.in_dir, self.out_dir, self.fsize, self.run_id = in_dir, out_dir, fsize, run.run_id
        self.env_overrides = dict(env or {})  # over the normal environment (the portable-decode check)
        self.who = who or f"{role}r"  # "encoder" / "decoder"
        self.id: str | None = None
        self.stderr = StderrTail(run.profile.stderr_keep_bytes)
        self.proto: JsonLinesClient | None = None
        self.ready: dict[str, Any] = {}
        self._killed_by_deadline = False
        self._killed = False
        self.removed = False

    # hard outer deadline ---------------------------------------------------------------

    def _deadline(self, seconds: float) -> threading.Timer:
        def fire() -> None:
            self._killed_by_deadline = True
            log.warning("%s %s passed its hard deadline of %.1f s; killing it", self.who, self.id, seconds)
            self.kill()

        t = threading.Timer(seconds, fire)
        t.daemon = True
        t.start()
        return t

    def kill(self) -> None:
        if self.id is None or self._killed:
            return
        self._killed = True
        if self.proto is not None:
            self.proto.discard()  # a stdout flood must not hold the kill (see JsonLinesClient.discard)
        try:
            self.client.api.kill(self.id)
        except Exception:  # noqa: BLE001  (already gone)
            pass

    def start(self) -> float:
        """Create, attach, start, wait for ``{"ready": true}``; returns the startup seconds."""
        env = {**thread_env(self.granted.cores), **device_env(self.granted.gpus), **self.env_overrides}
        hc = self.client.api.create_host_config(**host_config_kwargs(
            self.profile, self.granted, in_dir=self.in_dir, out_dir=self.out_dir, fsize=self.fsize))
        t0 = time.perf_counter()
        try:
            self.id = self.client.api.create_container(
                self.info.id, command=[self.role], stdin_open=True, user=self.info.user, environment=env,
                host_config=hc, labels={LABEL: self.run_id, f"{LABEL}.role": self.role}, hostname="codec",
            )["Id"]
            sock = self.client.api.attach_socket(self.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            raw = getattr(sock, "_sock", sock)
            self.proto = JsonLinesClient(raw, line_cap=self.profile.line_cap_bytes, stderr=self.stderr, name=self.who)
            self.proto.start()
            self.client.api.start(self.id)
        except CodecFailure:
            raise
        except Exception as exc:  # noqa: BLE001
            raise CodecFailure("startup_failed", f"Docker could not start the {self.who}: {exc}") from None
        timer = self._deadline(self.profile.startup_timeout_s + self.profile.kill_grace_s)
        try:
            self.ready = self.proto.wait_ready(self.profile.startup_timeout_s)
        except CodecFailure as exc:
            kind = "startup_timeout" if exc.kind == "timeout" or self._killed_by_deadline else exc.kind
            if kind == "startup_timeout":
                msg = (f"the {self.who} did not print {{\"ready\": true}} within "
                       f"{self.profile.startup_timeout_s:.0f} s")
            else:
                msg = exc.message
            raise self._classify(CodecFailure(kind, msg, exited=exc.exited)) from None
        finally:
            timer.cancel()
        return time.perf_counter() - t0

    def request(self, req_id: str, in_name: str, out_name: str, timeout: float, *, max_abs_error: int = 0) -> Answer:
        """One request (``/work/in/in_name`` -> ``/work/out/out_name``); returns its seconds and the codec's report."""
        assert self.proto is not None
        timer = self._deadline(timeout + self.profile.kill_grace_s)
        try:
            return self.proto.request(req_id, f"/work/in/{in_name}", f"/work/out/{out_name}", timeout,
                                      max_abs_error=max_abs_error)
        except CodecFailure as exc:
            failure = exc
            if self._killed_by_deadline:
                failure = CodecFailure("timeout", f"the {self.who} was killed by the hard deadline of "
                                       f"{timeout + self.profile.kill_grace_s:.1f} s on request {req_id}")
            elif exc.kind == "timeout":
                failure = CodecFailure("timeout", exc.message + f" (limit: {timeout:.1f} s for this item size)")
            raise self._classify(failure) from None
        finally:
            timer.cancel()

    def _classify(self, exc: CodecFailure) -> CodecFailure:
        """After a failure: stop the container, then look for OOM or an oversized output."""
        state = self._state(wait=exc.exited)
        self.kill()
        if not state:
            state = self._state(wait=False)
        if state.get("OOMKilled"):
            return CodecFailure("oom", f"the {self.who} ran out of memory (limit {self.granted.memory_bytes >> 20} MiB "
                                f"for profile {self.profile.name}) and was killed by the kernel")
        big = oversized_output(self.out_dir, self.fsize - 1)
        if big and exc.kind in ("crash", "timeout", "protocol"):
            return CodecFailure("output_too_large", f"the {self.who} wrote more than the cap of "
                                f"{self.fsize - 1} bytes to /work/out ({big})")
        if exc.kind == "crash" and state.get("Status") == "exited":
            code = state.get("ExitCode")
            return CodecFailure("crash", f"{exc.message}; exit code {code}"
                                + (" (killed by SIGKILL)" if code == 137 and not self._killed else ""))
        return exc

    def _state(self, wait: bool) -> dict[str, Any]:
        if self.id is None:
            return {}
        try:
            if wait:
                try:
                    self.client.api.wait(self.id, timeout=3)
                except Exception:  # noqa: BLE001  (still running)
                    pass
            return self.client.api.inspect_container(self.id).get("State") or {}
        except Exception:  # noqa: BLE001
            return {}

    def stop(self, timeout: float = 5.0) -> None:
        """Close stdin (the contract's EOF = exit 0) and give it ``timeout`` seconds, then kill."""
        if self.proto is not None:
            self.proto.close_stdin()
        if self.id is not None and not self._killed:
            try:
                self.client.api.wait(self.id, timeout=timeout)
            except Exception:  # noqa: BLE001
                self.kill()

    def remove(self) -> None:
        self.removed = True
        try:
            if self.proto is not None:
                self.proto.drain(2.0)  # stderr still in flight (stdout and stderr are not ordered)
                self.proto.close()
        finally:
            if self.id is not None:
                try:
                    self.client.api.remove_container(self.id, force=True)
                except Exception as exc:  # noqa: BLE001
                    log.warning("could not remove container %s: %s", self.id[:12], exc)


def remove_stale_containers(client: Any | None = None) -> int:
    """Remove containers evaluators left behind (e.g. after ``kill -9``); returns how many.

    It removes *every* container with the evaluator's label: call it only when
    no evaluation is running on this Docker engine.
    """
    client = client or docker_client()
    n = 0
    for c in client.api.containers(all=True, filters={"label": LABEL}):
        try:
            client.api.remove_container(c["Id"], force=True)
            n += 1
        except Exception as exc:  # noqa: BLE001
            log.warning("could not remove %s: %s", c["Id"][:12], exc)
    return n
