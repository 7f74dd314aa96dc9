"""The durable queue: a submission, its states and their transitions, the SQLite store, the daily limits."""
