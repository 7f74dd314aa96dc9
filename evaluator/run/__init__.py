"""Running a codec on tracks: the per-track loop, the sandboxed and in-process evaluations,
per-item error statistics."""
