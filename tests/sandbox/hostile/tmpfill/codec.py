"""Fills /tmp with scratch files until the tmpfs cap stops it; reports the error."""
import sys

from contract import serve


def encode(req):
    chunk = b"\x00" * (256 << 10)  # files stay under the fsize ulimit (= output cap)
    i = 0
    while True:
        with open(f"/tmp/fill-{i}", "wb") as fh:
            for _ in range(2):
                fh.write(chunk)
        i += 1


sys.exit(serve(encode))
