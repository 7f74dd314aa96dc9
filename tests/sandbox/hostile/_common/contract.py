"""A minimal contract server for the test codecs (no SDK: each codec controls every byte).

``serve(encode_file, decode_file)``: each handler gets the request dict and
must write ``req["output"]``; an exception becomes ``{"ok": false}``.
``raw_encode`` / ``raw_decode`` are a correct (uncompressed) codec to build on.
"""

import json
import struct
import sys

import numpy as np


def raw_encode(req):
    x = np.load(req["input"], allow_pickle=False)
    with open(req["output"], "wb") as fh:
        fh.write(struct.pack("<B", x.ndim) + struct.pack(f"<{x.ndim}Q", *x.shape))
        fh.write(x.astype("<u2").tobytes())


def raw_read(path):
    with open(path, "rb") as fh:
        data = fh.read()
    ndim = data[0]
    shape = struct.unpack(f"<{ndim}Q", data[1 : 1 + 8 * ndim])
    return np.frombuffer(data[1 + 8 * ndim :], dtype="<u2").reshape(shape)


def raw_decode(req):
    np.save(req["output"], raw_read(req["input"]), allow_pickle=False)


def answer(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve(encode_file=raw_encode, decode_file=raw_decode, ready=True):
    role = sys.argv[1]
    handler = encode_file if role == "encode" else decode_file
    if ready:
        answer({"ready": True, "name": "test-codec"})
    for line in sys.stdin:
        req = json.loads(line)
        try:
            handler(req)
            answer({"id": req["id"], "ok": True})
        except Exception as exc:  # noqa: BLE001
            print(f"request {req['id']} failed: {exc!r}", file=sys.stderr, flush=True)
            answer({"id": req["id"], "ok": False, "error": f"{type(exc).__name__}: {exc}"})
    return 0
