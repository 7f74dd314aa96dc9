"""Lossy by one count in one pixel."""
import sys

import numpy as np
from contract import raw_read, serve


def decode(req):
    x = raw_read(req["input"]).copy()
    x[1, 2] += 1
    np.save(req["output"], x, allow_pickle=False)


sys.exit(serve(decode_file=decode))
