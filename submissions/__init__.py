"""Submissions: intake, the durable queue and its states, the submission store, the worker.

The leaderboard reads the queue through :class:`submissions.queue.SubmissionQueue`.
"""

from submissions.queue import Submission, SubmissionQueue, Transition  # noqa: F401
