"""Decodes to the wrong shape (one column short)."""
import sys

import numpy as np
from contract import raw_read, serve


def decode(req):
    np.save(req["output"], np.ascontiguousarray(raw_read(req["input"])[..., :-1]), allow_pickle=False)


sys.exit(serve(decode_file=decode))
