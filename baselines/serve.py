"""Entrypoint of the baseline codec images.

``python -m baselines.serve <baseline> encode|decode`` serves one baseline of
``baselines.registry.BASELINES`` through the codec SDK, so the image writes
byte for byte the bitstream the in-process codec writes. The image's
Dockerfile (generated from ``baselines/images/<kind>/Dockerfile.template``)
fixes ``<baseline>`` in its ENTRYPOINT; the evaluator appends the mode.
"""

from __future__ import annotations

import sys
from importlib import metadata

from baselines.registry import BASELINES
from evaluator.sdk.server import TrackSpecific, current_track, serve

USAGE = f"usage: python -m baselines.serve {{{','.join(BASELINES)}}} encode|decode"


def _version(spec_kind: str) -> str:
    package = "imagecodecs" if spec_kind == "classical" else "torch"
    try:
        return f"{package}-{metadata.version(package)}"
    except metadata.PackageNotFoundError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    """Serve the baseline named by the first argument; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in BASELINES:
        print(f"{USAGE}\ngot arguments: {args!r}", file=sys.stderr)
        return 2
    spec = BASELINES[args[0]]
    codec = spec.factory()  # loads (and hash-checks) the weights of a neural baseline
    track = current_track()
    if track and isinstance(codec, TrackSpecific):  # a model per track: the evaluator names the track
        codec = codec.for_track(track)
    info = getattr(codec, "info", None)  # a neural baseline names its checkpoint (params, weights sha256)
    version = str(getattr(codec, "version", "")) if spec.kind == "archive" else _version(spec.kind)  # the tool's
    return serve(codec.encode, codec.decode, name=spec.name, version=version, argv=args[1:],
                 info=dict(info) if isinstance(info, dict) else None)


if __name__ == "__main__":
    sys.exit(main())
