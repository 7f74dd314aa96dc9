"""Entrypoint of the classical baseline codec images.

``python -m baselines.serve <codec> encode|decode`` serves one of
``baselines.classical.CODECS`` (the paper's settings) through the codec SDK,
so the image writes byte for byte the bitstream the in-process codec writes.
Each image's Dockerfile (``baselines/images/<codec>/``) fixes ``<codec>`` in
its ENTRYPOINT; the evaluator appends the mode.
"""

from __future__ import annotations

import sys

import imagecodecs

from baselines.classical import CODECS
from evaluator.codec_sdk import serve

USAGE = f"usage: python -m baselines.serve {{{','.join(CODECS)}}} encode|decode"


def main(argv: list[str] | None = None) -> int:
    """Serve the codec named by the first argument; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in CODECS:
        print(f"{USAGE}\ngot arguments: {args!r}", file=sys.stderr)
        return 2
    codec = CODECS[args[0]]
    return serve(
        codec.encode,
        codec.decode,
        name=codec.name,
        version=f"imagecodecs-{imagecodecs.__version__}",
        argv=args[1:],
    )


if __name__ == "__main__":
    sys.exit(main())
