"""How a reader learns what changed in a local results store, without reading it all.

Two mechanisms, both for stores in a local folder (a hosted store lists
through fsspec):

- :class:`LocalListing`: a full listing that re-reads only folders whose
  mtime changed (a 20,000-record store: ~0.4 s, every folder stat'ed);
- :class:`ChangeJournal`: an append-only file beside ``records/`` where the
  store notes the key of every record it writes or deletes, so a reader that
  remembers where it stopped re-reads just those keys (milliseconds).

The journal is a shortcut, not the truth: files put into ``records/`` by
other means (a copy, a download) are not in it, so readers still list the
whole store now and then (``leaderboard.data.store_reader.FULL_LISTING_S``).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass
from typing import BinaryIO

from evaluator.core.json_types import FileInfo

log = logging.getLogger(__name__)

JOURNAL_NAME = "changes.journal"  # at the store root, beside records/
HEADER = "# astrocompress change journal "  # + the journal's id: its first line

RACY_NS = 2_000_000_000  # a folder changed this recently is listed again next time (coarse timestamps)


class LocalListing:
    """``fs.find(base, detail=True)`` for a local folder, re-reading only folders whose mtime changed.

    A store replaces a file by renaming a temporary into its folder, which
    changes the folder's mtime, so an unchanged folder has unchanged files: a
    refresh of a 20,000-record store stats each folder and reads only the
    changed ones. A folder modified within ``RACY_NS`` of a listing is read
    again the next time (timestamps are coarse). A file edited in place,
    without a rename, is seen when its folder next changes.
    """

    def __init__(self) -> None:
        self._dirs: dict[str, tuple[int, list[str], dict[str, FileInfo]]] = {}

    def find(self, base: str) -> dict[str, FileInfo]:
        now = time.time_ns()
        out: dict[str, FileInfo] = {}
        seen: set[str] = set()
        stack = [base]
        while stack:
            folder = stack.pop()
            try:
                mtime = os.stat(folder).st_mtime_ns
            except FileNotFoundError:  # removed while listing
                continue
            seen.add(folder)
            cached = self._dirs.get(folder)
            if cached is not None and cached[0] == mtime:
                subdirs, files = cached[1], cached[2]
            else:
                subdirs, files = self._read(folder)
                if now - mtime > RACY_NS:
                    self._dirs[folder] = (mtime, subdirs, files)
                else:
                    self._dirs.pop(folder, None)
            out.update(files)
            stack.extend(subdirs)
        for folder in [d for d in self._dirs if d not in seen]:
            del self._dirs[folder]
        return out

    @staticmethod
    def _read(folder: str) -> tuple[list[str], dict[str, FileInfo]]:
        subdirs: list[str] = []
        files: dict[str, FileInfo] = {}
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            return subdirs, files
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    subdirs.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    files[entry.path] = {"size": st.st_size, "mtime": st.st_mtime}
            except FileNotFoundError:
                continue
        return subdirs, files




@dataclass(frozen=True)
class JournalCursor:
    """Where a reader stopped in a journal: the journal's identity (its first line) and a byte offset."""

    journal: str
    offset: int


class ChangeJournal:
    """Append-only list of changed record keys, one per line (``<submission>/<track>/<profile>/<split>``).

    The first line names the journal (a random id, written when the file is
    created), so a reader notices a journal that was replaced, even on a file
    system that re-uses inodes. Appends are single ``O_APPEND`` writes, so
    concurrent writers (several evaluator workers on one machine) never
    interleave a line. A writer that cannot append (read-only store, full
    disk) logs it and goes on: readers see the change at their next full
    listing.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def _create(self) -> None:
        """Create the journal with its id line, atomically (a hard link fails if another writer won)."""
        tmp = f"{self.path}.tmp-{uuid.uuid4().hex}"
        with open(tmp, "wb") as fh:
            fh.write(f"{HEADER}{uuid.uuid4().hex}\n".encode())
        try:
            os.link(tmp, self.path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)

    def append(self, key: str) -> None:
        line = (key.replace("\n", "") + "\n").encode()
        try:
            if not os.path.exists(self.path):
                self._create()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError as exc:
            log.warning("could not note %s in the change journal %s (%s); readers see it at their next full "
                        "listing", key, self.path, exc)

    def cursor(self) -> JournalCursor | None:
        """The journal's end now (None when there is no journal yet)."""
        try:
            with open(self.path, "rb") as fh:
                journal = _identity(fh)
                return JournalCursor(journal, os.fstat(fh.fileno()).st_size)
        except FileNotFoundError:
            return None

    def since(self, cursor: JournalCursor | None) -> tuple[list[str], JournalCursor | None] | None:
        """Keys noted after ``cursor`` (each once, in order) and the new cursor.

        None when the journal cannot say: it was replaced or truncated since
        the cursor (the reader must list everything). A journal that appears
        after a ``None`` cursor is read from its start.
        """
        try:
            fh = open(self.path, "rb")
        except FileNotFoundError:
            return ([], None) if cursor is None else None
        with fh:
            journal = _identity(fh)
            size = os.fstat(fh.fileno()).st_size
            if cursor is not None and (cursor.journal != journal or size < cursor.offset):
                return None
            start = cursor.offset if cursor is not None else fh.tell()
            fh.seek(start)
            data = fh.read()
        end = data.rfind(b"\n") + 1  # a line still being written is read next time
        keys = list(dict.fromkeys(line.decode("utf-8", "replace") for line in data[:end].splitlines()
                                  if line and not line.startswith(HEADER.encode())))
        return keys, JournalCursor(journal, start + end)


def _identity(fh: BinaryIO) -> str:
    """The journal's id line (empty for a file without one); leaves ``fh`` after it."""
    first = fh.readline()
    if not first.startswith(HEADER.encode()) or not first.endswith(b"\n"):
        fh.seek(0)
        return ""
    return first[len(HEADER):].decode("ascii", "replace").strip()
