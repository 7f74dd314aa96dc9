"""Writes its output until the filesystem refuses, then claims success."""
import sys

from contract import serve


def encode(req):
    chunk = b"\xff" * (1 << 20)
    with open(req["output"], "wb") as fh:
        try:
            while True:
                fh.write(chunk)
                fh.flush()
        except OSError as exc:
            print(f"output write stopped: {exc}", file=sys.stderr, flush=True)


sys.exit(serve(encode))
