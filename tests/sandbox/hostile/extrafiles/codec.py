"""Writes a side file beside its output."""
import os
import sys

from contract import raw_encode, serve


def encode(req):
    raw_encode(req)
    with open(os.path.join(os.path.dirname(req["output"]), "side-channel.txt"), "w") as fh:
        fh.write("hello decoder")


sys.exit(serve(encode))
