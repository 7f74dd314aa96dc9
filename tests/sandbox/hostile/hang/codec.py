"""Becomes ready, then never answers a request."""
import sys
import time

from contract import serve


def encode(req):
    while True:
        time.sleep(3600)


sys.exit(serve(encode))
