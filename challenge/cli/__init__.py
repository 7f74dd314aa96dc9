"""The ``challenge`` command line (typer + rich).

Each command group lives in its own module and registers itself here;
``challenge --help`` lists them all.
"""

from __future__ import annotations

import logging

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
from evaluator import settings

app = typer.Typer(
    name="challenge",
    help="AstroCompress Challenge: build, test and submit lossless codecs for raw astronomical images.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
admin_app = typer.Typer(help="Organizer commands: hidden splits, evaluate, run the queue, campaigns, publish.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug details to stderr."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True),
) -> None:
    if version:
        typer.echo(f"astrocompress-challenge {__version__}")
        raise typer.Exit()
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
