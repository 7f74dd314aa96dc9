"""The host folders of one sandboxed run, and the reaper of folders left by dead evaluators.

A :class:`Workspace` is four folders under ``settings.run_dir()`` (or the
system temp folder): encoder in/out and decoder in/out. The *in* folders are
bind-mounted read-only at ``/work/in``; the *out* folders at ``/work/out``,
as size-capped tmpfs mounts when the evaluator runs as root. The decoder's
``/work/in`` only ever holds bitstreams, never an original.

Each run folder names its evaluator (pid and process start time) in an
``owner`` file; :func:`reap_stale_workspaces` (run by every new workspace)
unmounts and removes the folders whose evaluator died without cleaning up
(``kill -9``), never those of a live one.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Final

import numpy as np
import psutil

from evaluator.core import settings
from evaluator.sandbox.policy import TMPFS_FLAGS

log = logging.getLogger(__name__)

OUT_FOLDERS: Final = ("enc-out", "dec-out")  # the folders a workspace may have mounted a tmpfs on


def _uid_gid(user: str) -> tuple[int, int]:
    u, _, g = user.partition(":")
    return int(u), int(g or u)


def _unmount(d: Path) -> None:
    subprocess.run(["umount", "-l", str(d)], capture_output=True, check=False)


class Workspace:
    """Four host folders per run: encoder in/out, decoder in/out. Removed by :meth:`cleanup`.

    Output folders are size-capped tmpfs mounts when this process may mount
    (root); otherwise plain folders, where the fsize ulimit caps each file
    and every request is followed by a scan (a warning says so).
    """

    PREFIX: Final = "astrocompress-run-"
    OWNER: Final = "owner"  # "<pid> <process start time>" of the evaluator that made the folder

    def __init__(self, user: str, out_bytes: int, base: str | None = None, *, tmpfs_out: bool = True) -> None:
        base = base or settings.run_dir() or tempfile.gettempdir()
        reap_stale_workspaces(Path(base))
        self.root = Path(tempfile.mkdtemp(prefix=self.PREFIX, dir=base))
        (self.root / self.OWNER).write_text(_owner_token(os.getpid()))
        self.uid, self.gid = _uid_gid(user)
        self.enc_in, self.enc_out = self.root / "enc-in", self.root / OUT_FOLDERS[0]
        self.dec_in, self.dec_out = self.root / "dec-in", self.root / OUT_FOLDERS[1]
        self.mounted: list[Path] = []
        self.is_root = hasattr(os, "geteuid") and os.geteuid() == 0
        for d in (self.enc_in, self.dec_in):
            d.mkdir()
            self._own(d, 0o500 if self.is_root else 0o755)
        for d in (self.enc_out, self.dec_out):
            d.mkdir()
            if not (tmpfs_out and self._mount_tmpfs(d, out_bytes)):
                self._own(d, 0o700 if self.is_root else 0o777)

    def _own(self, d: Path, mode: int) -> None:
        if self.is_root:
            os.chown(d, self.uid, self.gid)
        os.chmod(d, mode)

    def _mount_tmpfs(self, d: Path, size: int) -> bool:
        if not self.is_root or not shutil.which("mount"):
            return False
        opts = f"size={size},nr_inodes=256,mode=0700,uid={self.uid},gid={self.gid},{TMPFS_FLAGS}"
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "astrocompress-out", str(d)],
                           capture_output=True, text=True, check=False)
        if r.returncode != 0:
            log.warning("cannot mount a tmpfs for /work/out (%s); using a plain folder", r.stderr.strip())
            return False
        self.mounted.append(d)
        return True

    def resize(self, out_bytes: int) -> None:
        for d in self.mounted:
            subprocess.run(["mount", "-o", f"remount,size={out_bytes}", str(d)], capture_output=True, check=False)

    @staticmethod
    def write_input(folder: Path, name: str, data: bytes | bytearray | np.ndarray) -> Path:
        """Create ``folder/name`` (read-only, never through a symlink) holding ``data`` (an array as ``.npy``)."""
        path = folder / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444)
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, np.ndarray):
                np.save(fh, data, allow_pickle=False)
            else:
                fh.write(data)
        return path

    @staticmethod
    def clear(folder: Path) -> None:
        for entry in os.scandir(folder):
            try:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass

    def cleanup(self) -> None:
        for d in self.mounted:
            _unmount(d)
        self.mounted.clear()
        shutil.rmtree(self.root, ignore_errors=True)


def _owner_token(pid: int) -> str:
    try:
        return f"{pid} {psutil.Process(pid).create_time():.3f}"
    except Exception:  # noqa: BLE001  (process gone)
        return f"{pid} gone"


def reap_stale_workspaces(base: Path) -> int:
    """Unmount and remove run folders whose evaluator process died without cleaning up (kill -9).

    Folders of live evaluators (another run on this machine) are left alone.
    """
    n = 0
    for d in base.glob(f"{Workspace.PREFIX}*"):
        try:
            token = (d / Workspace.OWNER).read_text().strip()
            pid = int(token.split()[0])
        except (OSError, ValueError, IndexError):
            continue  # not ours, or still being created
        if _owner_token(pid) == token:
            continue  # its evaluator is alive
        for sub in OUT_FOLDERS:
            _unmount(d / sub)
        shutil.rmtree(d, ignore_errors=True)
        log.warning("removed the stale run folder %s (its evaluator, pid %d, is gone)", d, pid)
        n += 1
    return n
