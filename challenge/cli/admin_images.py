"""``challenge admin images``: build the offline images by hand.

    challenge admin images base [--variant torch|archive]
    challenge admin images baselines [--sizes]
    challenge admin images build FOLDER [--tag TAG] [--sizes]

Set ``CHALLENGE_BASE_FROM=debian:bookworm-slim`` to start from a registry
image instead of debootstrap (online).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer
from rich.console import Console
from rich.table import Table

from baselines.baseline_images import ensure_baseline_images
from challenge.cli.errors import fail
from challenge.cli.options import sizes_option
from evaluator.images import BuiltImage, build_codec_image, ensure_base_image
from evaluator.images.codec_base import REPOSITORIES, Variant

images_app = typer.Typer(help="Build the offline images: the codec base, the baselines, a codec folder.",
                         no_args_is_help=True)
_err = Console(stderr=True)
# ImageBuildError, EngineUnavailable (evaluator.sdk.errors.PlatformFault): challenge/cli/errors.py reports them, exit 1.


def _progress(message: str) -> None:
    _err.print(message, markup=False, highlight=False, style="dim")


def _table(images: dict[str, BuiltImage], sizes: bool) -> Table:
    table = Table("codec", "tag", "size (MB)", "docker save | gzip (MB)")
    for name, built in images.items():
        packed = built.measure_compressed_size() if sizes else built.compressed_size_bytes
        table.add_row(name, built.tag, f"{built.size_bytes / 1e6:.1f}", "" if packed is None else f"{packed / 1e6:.1f}")
    return table


@images_app.command("base")
def base_cmd(variant: str = typer.Option(
        "python", "--variant",
        help="python, torch (adds CPU torch) or archive (adds fpack, bzip2, zstd, xz).")) -> None:
    """Build (or find) the codec base image and print its tag."""
    if variant not in REPOSITORIES:
        fail(f"--variant must be one of {', '.join(REPOSITORIES)}, got {variant!r}")
    typer.echo(ensure_base_image(cast(Variant, variant), progress=_progress))


@images_app.command("baselines")
def baselines_cmd(sizes: Annotated[bool, sizes_option("Also measure docker save | gzip sizes.")] = False) -> None:
    """Build (or find) every baseline image."""
    Console().print(_table(ensure_baseline_images(progress=_progress), sizes))


@images_app.command("build")
def build_cmd(
    folder: Path = typer.Argument(..., help="A codec folder (Dockerfile + codec.toml)."),
    tag: str | None = typer.Option(None, "--tag", help="Tag the image so (default: content hash)."),
    sizes: Annotated[bool, sizes_option("Also measure docker save | gzip size.")] = False,
) -> None:
    """Build a codec folder's image."""
    built = build_codec_image(folder, tag=tag, progress=_progress)
    Console().print(_table({folder.name: built}, sizes))


def register(app: typer.Typer, admin: typer.Typer) -> None:
    admin.add_typer(images_app, name="images")
