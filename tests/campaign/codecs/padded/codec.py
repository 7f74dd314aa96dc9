"""A lossless but nondeterministic codec: raw pixels behind a shape header, then 1-64 random padding bytes.

The decoder reads exactly the pixels the header announces and ignores the rest,
so every round trip is exact while the compressed size changes from run to run
(the drift report must flag it as a reproducibility failure).
"""
import os
import struct
import sys

import numpy as np
from contract import serve


def encode(req):
    x = np.load(req["input"], allow_pickle=False)
    pad = os.urandom(1 + os.urandom(1)[0] % 64)
    with open(req["output"], "wb") as fh:
        fh.write(struct.pack("<B", x.ndim) + struct.pack(f"<{x.ndim}Q", *x.shape))
        fh.write(x.astype("<u2").tobytes() + pad)


def decode(req):
    with open(req["input"], "rb") as fh:
        data = fh.read()
    ndim = data[0]
    shape = struct.unpack(f"<{ndim}Q", data[1 : 1 + 8 * ndim])
    start = 1 + 8 * ndim
    n = int(np.prod(shape))
    np.save(req["output"], np.frombuffer(data[start : start + 2 * n], dtype="<u2").reshape(shape), allow_pickle=False)


sys.exit(serve(encode, decode))
