"""Claims a 100 GB output with a sparse file (or the largest size the limits allow)."""
import os
import sys

from contract import serve


def encode(req):
    open(req["output"], "wb").close()
    for size in (100 << 30, 1 << 30, 64 << 20, (16 << 20) + 1, 4 << 20, (1 << 20) + 1):
        try:
            os.truncate(req["output"], size)
            print(f"sparse output of {size} bytes", file=sys.stderr, flush=True)
            return
        except OSError as exc:
            print(f"truncate to {size} refused: {exc}", file=sys.stderr, flush=True)


sys.exit(serve(encode))
