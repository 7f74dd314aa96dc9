"""Works for two items, then dies on the third encode."""
import os
import sys

from contract import raw_encode, serve

seen = 0


def encode(req):
    global seen
    seen += 1
    if seen == 3:
        print("crashing on purpose", file=sys.stderr, flush=True)
        os._exit(3)
    raw_encode(req)


sys.exit(serve(encode))
