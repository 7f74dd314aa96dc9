"""Decodes to int32 instead of uint16 (same values)."""
import sys

import numpy as np
from contract import raw_read, serve


def decode(req):
    np.save(req["output"], raw_read(req["input"]).astype(np.int32), allow_pickle=False)


sys.exit(serve(decode_file=decode))
