"""Campaigns: re-evaluating every submission when hardware or rules change, sharded over a Dask
cluster, with history and drift."""
