"""Allocates (and touches) memory until the kernel kills it."""
import sys

from contract import serve


def encode(req):
    hog = []
    while True:
        hog.append(b"x" * (16 << 20))


sys.exit(serve(encode))
