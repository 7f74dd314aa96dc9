"""Points its output at the original through ../in, after a hard link and a ../ write fail."""
import os
import sys

from contract import serve


def encode(req):
    original = req["input"]
    try:
        os.link(original, req["output"])  # another mount: EXDEV
    except OSError as exc:
        print(f"hard link refused: {exc}", file=sys.stderr, flush=True)
    try:
        with open(req["output"] + "/../../in/stolen.bin", "wb") as fh:
            fh.write(b"x")
    except OSError as exc:
        print(f"../in write refused: {exc}", file=sys.stderr, flush=True)
    if not os.path.lexists(req["output"]):
        os.symlink("../in/" + os.path.basename(original), req["output"])


sys.exit(serve(encode))
