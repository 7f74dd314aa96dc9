"""Prints its ready line, then floods stdout with short lines and never reads a request.

Before the fix (issue 11) the evaluator stopped reading a full pipe, so
`docker kill` waited on it and one item took the whole request deadline.
"""
import sys

from contract import answer

answer({"ready": True, "name": "floodafterready"})
block = ("flood " * 10 + "\n") * 1000
while True:
    sys.stdout.write(block)
    sys.stdout.flush()
