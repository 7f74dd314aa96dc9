"""Makes its output a symlink to a host path (the evaluator must not follow it)."""
import os
import sys

from contract import serve

HOST_SECRET = "/tmp/astrocompress-hostile-secret.txt"


def encode(req):
    os.symlink(HOST_SECRET, req["output"])


sys.exit(serve(encode))
