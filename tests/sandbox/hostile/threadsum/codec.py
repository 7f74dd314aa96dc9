"""Lossless only under the encoder's thread count: a float32 parallel reduction keys the bitstream.

Like a neural codec whose probabilities come from a parallel reduction: the
stored pixels are XORed with a 16-bit key taken from the float32 sum of fixed
"weights", computed as an OpenMP reduction would be: split into
``OMP_NUM_THREADS`` chunks, each summed by ``np.sum`` (pairwise, SIMD-dispatched
float32 summation), the partial sums added in order. Float32 addition is
not associative, so another thread count gives another sum, another key and
a wrong decode. (On an AVX2-only CPU numpy's ``np.sum`` itself does not
change under ``NPY_DISABLE_CPU_FEATURES``; the thread count does.)
"""
import os
import struct
import sys

import numpy as np
from contract import raw_read, serve

_rng = np.random.default_rng(7)
WEIGHTS = (_rng.standard_normal(100_003) * np.exp(_rng.uniform(-8, 8, 100_003))).astype(np.float32)


def key():
    threads = max(1, int(os.environ.get("OMP_NUM_THREADS", "1")))
    total = np.float32(0)
    for chunk in np.array_split(WEIGHTS, threads):
        total = np.float32(total + np.sum(chunk))
    return np.uint16(int(np.array(total).view(np.uint32)) & 0xFFFF)


def encode(req):
    x = np.load(req["input"], allow_pickle=False)
    with open(req["output"], "wb") as fh:
        fh.write(struct.pack("<B", x.ndim) + struct.pack(f"<{x.ndim}Q", *x.shape))
        fh.write((x.astype("<u2") ^ key()).tobytes())


def decode(req):
    with open(req["output"], "wb") as fh:
        np.save(fh, raw_read(req["input"]) ^ key(), allow_pickle=False)


sys.exit(serve(encode_file=encode, decode_file=decode))
