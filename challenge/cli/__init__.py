"""The ``challenge`` command line (typer + rich).

Each command group lives in its own module and registers itself here;
``challenge --help`` lists them all.
"""

from __future__ import annotations

import logging
import os

import typer

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
        from challenge import __version__  # noqa: PLC0415

        typer.echo(f"astrocompress-challenge {__version__}")
        raise typer.Exit()
    logging.basicConfig(
        level=logging.DEBUG if verbose else getattr(logging, os.environ.get("CHALLENGE_LOG", "WARNING")),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )


def _register() -> None:
    from challenge.cli import (  # noqa: PLC0415  (each module adds its commands)
        admin_campaign,
        admin_data,
        admin_evaluate,
        admin_publish,
        admin_queue,
        data_cmd,
        demo_cmd,
        leaderboard_cmd,
        participant,
        tracks_cmd,
    )

    for module in (tracks_cmd, data_cmd, participant, leaderboard_cmd, demo_cmd,
                   admin_data, admin_evaluate, admin_queue, admin_campaign, admin_publish):
        module.register(app, admin_app)


_register()


def main() -> None:
    app()
