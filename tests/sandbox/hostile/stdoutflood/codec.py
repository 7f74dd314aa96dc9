"""Floods stdout with an endless line on the first request."""
import sys

from contract import serve


def encode(req):
    block = "A" * (1 << 20)
    while True:
        sys.stdout.write(block)
        sys.stdout.flush()


sys.exit(serve(encode))
