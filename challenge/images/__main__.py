"""``python -m challenge.images``: build the offline images by hand.

    python -m challenge.images base [--variant torch]
    python -m challenge.images baselines [--sizes]
    python -m challenge.images build FOLDER [--tag TAG] [--sizes]

Set ``CHALLENGE_BASE_FROM=debian:bookworm-slim`` to start from a registry
image instead of debootstrap (online).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from challenge.images import (
    BuiltImage,
    ImageBuildError,
    build_codec_image,
    ensure_base_image,
    ensure_baseline_images,
)


def _table(images: dict[str, BuiltImage], sizes: bool) -> Table:
    table = Table("codec", "tag", "size (MB)", "docker save | gzip (MB)")
    for name, built in images.items():
        packed = built.measure_compressed_size() if sizes else built.compressed_size_bytes
        table.add_row(name, built.tag, f"{built.size_bytes / 1e6:.1f}", "" if packed is None else f"{packed / 1e6:.1f}")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m challenge.images", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    base = sub.add_parser("base", help="build (or find) the codec base image")
    base.add_argument("--variant", choices=["python", "torch"], default="python")
    baselines = sub.add_parser("baselines", help="build (or find) the classical baseline images")
    baselines.add_argument("--sizes", action="store_true", help="also measure docker save | gzip sizes")
    build = sub.add_parser("build", help="build a codec folder (Dockerfile + codec.toml)")
    build.add_argument("folder", type=Path)
    build.add_argument("--tag")
    build.add_argument("--sizes", action="store_true")
    args = parser.parse_args(argv)

    console = Console(stderr=True)
    logging.basicConfig(level=logging.WARNING)

    def progress(message: str) -> None:
        console.print(message, markup=False, highlight=False, style="dim")

    out = Console()
    try:
        if args.command == "base":
            out.print(ensure_base_image(args.variant, progress=progress))
        elif args.command == "baselines":
            out.print(_table(ensure_baseline_images(progress=progress), args.sizes))
        else:
            built = build_codec_image(args.folder, tag=args.tag, progress=progress)
            out.print(_table({args.folder.name: built}, args.sizes))
    except ImageBuildError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
