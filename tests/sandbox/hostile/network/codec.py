"""Tries to reach the network on every encode; reports an escape if anything connects."""
import socket
import sys

from contract import raw_encode, serve

TARGETS = [("8.8.8.8", 53), ("1.1.1.1", 443), ("172.17.0.1", 2375), ("172.17.0.1", 22)]


def encode(req):
    reached = []
    for host, port in TARGETS:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                reached.append(f"{host}:{port}")
        except OSError as exc:
            print(f"connect {host}:{port} blocked: {exc}", file=sys.stderr, flush=True)
    try:
        socket.getaddrinfo("pypi.org", 443)
        reached.append("dns:pypi.org")
    except OSError as exc:
        print(f"dns blocked: {exc}", file=sys.stderr, flush=True)
    names = [n for _, n in socket.if_nameindex()]
    if names != ["lo"]:
        reached.append(f"interfaces {names}")
    if reached:
        raise RuntimeError("ESCAPE: network reachable: " + ", ".join(reached))
    raw_encode(req)


sys.exit(serve(encode))
