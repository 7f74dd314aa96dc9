"""Declares USER root and tries to write outside /work/out: all of it must fail."""
import os
import subprocess
import sys

from contract import raw_encode, serve

WRITES = ["/etc/astrocompress-escape", "/codec/escape", "/usr/escape", "/escape", "/work/in/escape",
          "/work/escape"]


def encode(req):
    escapes = []
    if os.getuid() == 0 or os.geteuid() == 0:
        escapes.append("running as uid 0")
    for path in WRITES:
        try:
            with open(path, "w") as fh:
                fh.write("x")
            escapes.append(f"wrote {path}")
        except OSError as exc:
            print(f"write {path} refused: {exc}", file=sys.stderr, flush=True)
    try:
        os.setuid(0)
        escapes.append("setuid(0) worked")
    except OSError:
        pass
    # /tmp is writable scratch but noexec
    script = "/tmp/run.sh"
    with open(script, "w") as fh:
        fh.write("#!/bin/sh\necho hi\n")
    os.chmod(script, 0o755)
    try:
        subprocess.run([script], check=True, capture_output=True)
        escapes.append("executed a file from /tmp")
    except OSError as exc:
        print(f"exec from /tmp refused: {exc}", file=sys.stderr, flush=True)
    if escapes:
        raise RuntimeError("ESCAPE: " + "; ".join(escapes))
    raw_encode(req)


sys.exit(serve(encode))
