"""A fork bomb on the first encode: the pids limit stops it, the deadline kills it."""
import os
import sys
import time

from contract import serve


def encode(req):
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.01)


sys.exit(serve(encode))
