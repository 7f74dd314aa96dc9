"""The inbox's encryption: the organizer's key pair, sealing and opening image archives, spotting plaintext.

A hosted inbox is public (a pull request's files can be downloaded by
anyone), so the image archive in a request is encrypted for the organizer
only, in the `age <https://age-encryption.org/v1>`_ format through
``pyrage`` (files interoperate with Debian's ``age`` tool):

- the organizer's *identity* (``AGE-SECRET-KEY-1...``) lives in
  :func:`identity_path` (``$CHALLENGE_HOME/inbox-identity.txt``, mode 0600),
  written in ``age-keygen``'s format so ``age -d -i FILE`` reads it too;
- its *recipient* (``age1...``) is published in the inbox repository
  (:data:`submissions.inbox.inbox.RECIPIENT_FILE`); ``challenge submit`` seals the
  ``docker save | gzip`` archive for it.

Sealing and opening stream (``pyrage.encrypt_io`` / ``decrypt_io`` on open
files): a 300 MB archive never sits in memory.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pyrage
from pyrage import x25519

from evaluator.core import settings
from evaluator.sdk.errors import BadInput, PlatformFault
from submissions.inbox.inbox import SubmissionStoreError

AGE_MAGIC = b"age-encryption.org/v1\n"  # every age file starts with it
GZIP_MAGIC = b"\x1f\x8b"
TAR_MAGIC = b"ustar"  # at offset 257 of a tar header block
IDENTITY_FILE = "inbox-identity.txt"
_SNIFF = 512


class InboxKeyError(BadInput, SubmissionStoreError):
    """The organizer's key or the published recipient is missing or unusable; the message says what to do."""


class SealError(PlatformFault, RuntimeError):
    """A sealed file could not be opened (wrong key, damaged, not age); the message says why."""


def identity_path() -> Path:
    """Where the organizer's identity is kept: ``$CHALLENGE_HOME/inbox-identity.txt``."""
    return settings.home() / IDENTITY_FILE


# -- keys ------------------------------------------------------------------------------------------------------

def create_identity(path: Path, *, force: bool = False) -> str:
    """Generate a key pair, write the identity to ``path`` (mode 0600, age-keygen format); returns the recipient.

    Refuses to replace an existing file unless ``force`` (requests sealed for the old key could no longer be read).
    """
    if path.exists() and not force:
        raise InboxKeyError(f"an inbox key already exists at {path} (recipient {recipient_of(path)}); it was not "
                            "replaced. Pass --force to replace it: requests encrypted for the old key can then no "
                            "longer be read, so ingest them first")
    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    text = (f"# created: {datetime.now(UTC).isoformat(timespec='seconds')}\n"
            f"# public key: {recipient}\n{identity}\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)  # whatever the umask
        if force:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if someone created it meanwhile: never overwritten silently
    finally:
        tmp.unlink(missing_ok=True)
    return recipient


def _key_line(text: str, prefix: str) -> str | None:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return line if line.startswith(prefix) else None
    return None


def load_identity(path: Path) -> x25519.Identity:
    """The organizer's identity at ``path``; refuses a missing file or one others can read."""
    if not path.is_file():
        raise InboxKeyError(f"no inbox key at {path}: create one with `challenge admin inbox-key --inbox URL` "
                            "(or set CHALLENGE_HOME to the folder that holds it)")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise InboxKeyError(f"the inbox key {path} can be read by other users (mode {mode:04o}); "
                            f"run `chmod 600 {path}`")
    line = _key_line(path.read_text(errors="replace"), "AGE-SECRET-KEY-1")
    try:
        if line is None:
            raise ValueError("no AGE-SECRET-KEY-1 line")
        return x25519.Identity.from_str(line)
    except Exception as exc:  # noqa: BLE001  (pyrage.IdentityError and our own)
        raise InboxKeyError(f"{path} is not an age identity ({exc}); recreate it with "
                            "`challenge admin inbox-key --force`") from None


def recipient_of(path: Path) -> str:
    """The recipient (public key) of the identity at ``path``."""
    return str(load_identity(path).to_public())


def parse_recipient(text: str, where: str) -> x25519.Recipient:
    """The recipient published in ``where`` (its first line that is not a comment)."""
    line = _key_line(text, "age1")
    try:
        if line is None:
            raise ValueError("no age1... line")
        return x25519.Recipient.from_str(line)
    except Exception as exc:  # noqa: BLE001  (pyrage.RecipientError and our own)
        raise InboxKeyError(f"{where} does not hold an age recipient ({exc}); the organizers must publish theirs "
                            "with `challenge admin inbox-key --inbox URL`") from None


def recipient_text(recipient: str) -> str:
    """The content of the published recipient file."""
    return ("# The AstroCompress organizers' public key (age format, https://age-encryption.org).\n"
            "# `challenge submit --to` encrypts your image for it: only the organizers can read it.\n"
            f"{recipient}\n")


# -- sealing -----------------------------------------------------------------------------------------------------

class _Hashing(io.RawIOBase):
    """A write-only stream that hashes and counts what passes to ``raw``."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.size, self.hash = raw, 0, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self.hash.update(data)
        self.size += len(data)
        self.raw.write(data)
        return len(data)


def seal_file(src: Path, dest: Path, recipient: x25519.Recipient) -> int:
    """Encrypt ``src`` for ``recipient`` into ``dest`` (streaming); returns the sealed size."""
    tmp = dest.with_name(dest.name + ".part")
    with open(src, "rb") as fin, open(tmp, "wb") as fout:
        pyrage.encrypt_io(fin, fout, [recipient])
    tmp.replace(dest)
    return dest.stat().st_size


def open_sealed(src: Path, dest: Path, identity: x25519.Identity) -> tuple[str, int]:
    """Decrypt ``src`` into ``dest`` (streaming); returns the plaintext's SHA-256 and size.

    Raises :class:`SealError` (a plaintext file, another key, damage); ``dest`` is then not written."""
    problem = plaintext_reason(sniff(src))
    if problem:
        raise SealError(problem)
    tmp = dest.with_name(dest.name + ".part")
    try:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            sink = _Hashing(fout)
            pyrage.decrypt_io(fin, sink, [identity])
        tmp.replace(dest)
    except pyrage.DecryptError as exc:
        raise SealError(f"the encrypted image cannot be decrypted with the organizers' key ({exc}): it was "
                        "encrypted for another key or is damaged") from None
    finally:
        tmp.unlink(missing_ok=True)
    return sink.hash.hexdigest(), sink.size


def seal_bytes(data: bytes, recipient: x25519.Recipient) -> bytes:
    """A small value (e.g. the frozen image id) sealed for ``recipient``."""
    return bytes(pyrage.encrypt(data, [recipient]))


def open_bytes(data: bytes, identity: x25519.Identity) -> bytes:
    try:
        return bytes(pyrage.decrypt(data, [identity]))
    except pyrage.DecryptError as exc:
        raise SealError(f"the sealed request fields cannot be decrypted with the organizers' key ({exc})") from None


# -- spotting plaintext ----------------------------------------------------------------------------------------

def sniff(path: Path) -> bytes:
    """The first bytes of ``path`` (enough to tell age, gzip and tar apart)."""
    with open(path, "rb") as fh:
        return fh.read(_SNIFF)


def is_sealed(head: bytes) -> bool:
    return head.startswith(AGE_MAGIC)


def plaintext_reason(head: bytes) -> str:
    """Why a file starting with ``head`` is not an age file ("" when it is one)."""
    if is_sealed(head):
        return ""
    if head.startswith(GZIP_MAGIC):
        return "the image is not encrypted: the file is a gzip archive (it starts with the gzip header 1f 8b)"
    if len(head) >= 262 and head[257:262] == TAR_MAGIC:
        return "the image is not encrypted: the file is a tar archive"
    return "the image file is not age-encrypted (it does not start with `age-encryption.org/v1`)"
