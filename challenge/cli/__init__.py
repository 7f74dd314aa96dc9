"""The ``challenge`` command line (typer + rich).

Each command group lives in its own module and registers itself here;
``challenge --help`` lists them all.
"""

from __future__ import annotations

import logging
from importlib import metadata

import typer

from challenge import __version__
from challenge.cli import (
    admin_campaign,
    admin_campaigns,
    admin_data,
    admin_evaluate,
    admin_images,
    admin_inbox_key,
    admin_publish,
    admin_queue,
    admin_serve,
    data_cmd,
    demo_cmd,
    leaderboard_cmd,
    participant,
    tracks_cmd,
)
from challenge.cli.errors import MappedGroup, set_verbose
from evaluator.core import settings
from evaluator.core.versions import CONTRACT_VERSION

DISTRIBUTION = "astrocompress-challenge"  # pyproject.toml's [project] name

app = typer.Typer(
    name="challenge",
    help="AstroCompress Challenge: build, test and submit lossless codecs for raw astronomical images.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    cls=MappedGroup,
)
admin_app = typer.Typer(help="Organizer commands: hidden splits, evaluate, run the queue, campaigns, publish.",
                        no_args_is_help=True)
app.add_typer(admin_app, name="admin")


def version_line() -> str:
    """The installed distribution's version and the codec contract it speaks."""
    try:
        version = metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        version = f"{__version__} (not installed)"
    return f"{DISTRIBUTION} {version} (codec contract {CONTRACT_VERSION})"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(version_line())
        raise typer.Exit()


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v",
                                 help="Log debug details and show tracebacks of errors on stderr."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True,
                                 callback=_print_version),
) -> None:
    set_verbose(verbose)
    logging.basicConfig(
        level=logging.DEBUG if verbose else getattr(logging, settings.log_level(), logging.WARNING),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )


def _register() -> None:
    for module in (tracks_cmd, data_cmd, participant, leaderboard_cmd, demo_cmd,
                   admin_data, admin_evaluate, admin_queue, admin_campaign, admin_campaigns, admin_publish,
                   admin_images, admin_serve, admin_inbox_key):
        module.register(app, admin_app)


_register()


def main() -> None:
    app()
