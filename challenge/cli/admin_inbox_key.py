"""``challenge admin inbox-key``: the organizer's encryption key pair for the hosted inbox.

Creates the age identity under ``CHALLENGE_HOME`` (mode 0600; an existing
one is never replaced without ``--force``), prints the recipient, and with
``--inbox`` publishes the recipient in the inbox (``inbox-recipient.txt`` on
the Hub dataset's main branch, with the organizer's token; or in the
folder). ``challenge submit --to`` encrypts every image for it.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from challenge.cli.errors import USAGE_ERROR, WORK_FAILED, fail
from submissions.inbox.inbox import SubmissionStoreError
from submissions.inbox.inbox_crypto import create_identity, identity_path, recipient_of
from submissions.inbox.inbox_url import open_inbox

console = Console()


def inbox_key_cmd(
    inbox: str | None = typer.Option(None, "--inbox", help="Publish the recipient in this inbox "
                                     "(hf://datasets/ORG/submissions with your token, or a folder inbox)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing key (requests encrypted for the old "
                               "one can no longer be read: ingest them first)."),
    key_file: Path | None = typer.Option(None, "--key-file", help="Where the identity is kept "
                                         "(default: $CHALLENGE_HOME/inbox-identity.txt)."),
) -> None:
    """Create the inbox's encryption key pair (age), keep the secret half, publish the public half."""

    path = key_file or identity_path()
    # InboxUrlError (a bad --inbox) and InboxKeyError (an unusable key file) are bad input: exit 2 (cli/errors.py)
    box = open_inbox(inbox) if inbox else None
    if path.exists() and not force:
        recipient = recipient_of(path)
        if box is None:
            fail(f"an inbox key already exists at {path} (recipient {recipient}); it was not replaced. Publish it "
                 "with --inbox URL, or pass --force to replace it (requests encrypted for the old key can then no "
                 "longer be read)", code=USAGE_ERROR)
        console.print(f"kept the existing inbox key {path}", soft_wrap=True, highlight=False)
    else:
        try:
            recipient = create_identity(path, force=force)
        except OSError as exc:
            fail(f"cannot write the inbox key {path}: {exc}", code=WORK_FAILED)
        console.print(f"[green]created[/] the inbox key {path} (mode 0600: keep it secret, back it up)",
                      soft_wrap=True, highlight=False)
    console.print(f"recipient: {recipient}", soft_wrap=True, highlight=False, markup=False)
    if box is None:
        console.print("publish it with `challenge admin inbox-key --inbox hf://datasets/ORG/submissions`",
                      markup=False, highlight=False)
        return
    try:
        where = box.publish_recipient(recipient)
    except (SubmissionStoreError, OSError) as exc:
        fail(f"could not publish the recipient in {box.url}: {exc}", code=WORK_FAILED)
    except Exception as exc:  # Hub errors: authentication, permissions, network
        fail(f"could not publish the recipient in {box.url} ({type(exc).__name__}): {exc}; check that your token "
             "(`hf auth login`, HF_TOKEN) can write to the inbox repository", code=WORK_FAILED)
    console.print(f"[green]published[/] the recipient: {where}", soft_wrap=True, highlight=False)


def register(app: typer.Typer, admin: typer.Typer) -> None:
    admin.command("inbox-key")(inbox_key_cmd)
