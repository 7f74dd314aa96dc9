"""Submissions arriving: the inbox (local or a Hub dataset), sealed images, the submission store,
ingest into the queue."""
