"""A minimal JSON-lines client for codec containers (tests only).

The real sandbox runner lives in ``evaluator/``; this client applies the
hardening flags the contract promises (CONTRACT.md "Sandbox") so the
baseline images are checked under the same constraints.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

SANDBOX_FLAGS = [
    "--network", "none",
    "--read-only",
    "--tmpfs", "/tmp:rw,size=64m",
    "--cap-drop", "ALL",
    "--security-opt", "no-new-privileges",
    "--ipc", "private",
    "--user", "10001:10001",
    "--pids-limit", "256",
    "--memory", "4g", "--memory-swap", "4g",
    "--log-driver", "none",
]


class CodecContainer:
    """``docker run -i IMAGE MODE`` with /work/in (ro) and /work/out mounted."""

    def __init__(self, image: str, mode: str, in_dir: Path, out_dir: Path) -> None:
        os.chmod(out_dir, 0o777)  # the codec runs as uid 10001
        self.proc = subprocess.Popen(
            ["docker", "run", "-i", "--rm", *SANDBOX_FLAGS,
             "-v", f"{in_dir}:/work/in:ro", "-v", f"{out_dir}:/work/out:rw", image, mode],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.ready = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"codec container closed stdout; stderr:\n{err}")
        return json.loads(line)

    def request(self, item_id: str, input_name: str, output_name: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        msg = {"id": item_id, "input": f"/work/in/{input_name}", "output": f"/work/out/{output_name}"}
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self, timeout: float = 60) -> tuple[int, str, str]:
        """Send EOF; return (exit code, remaining stdout, stderr)."""
        try:  # communicate() closes stdin: that is the EOF
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        return self.proc.returncode, out, err
