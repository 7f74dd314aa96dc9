"""A correct codec (raw bytes behind a shape header) that takes a while per request, so runs overlap."""
import sys
import time

from contract import raw_encode, serve


def encode(req):
    time.sleep(0.4)
    raw_encode(req)


sys.exit(serve(encode))
