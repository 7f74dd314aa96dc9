"""Submissions: intake, the durable queue and its states, the submission store, the worker.

The leaderboard reads the queue through :class:`submissions.queue.submission_queue.SubmissionQueue`.
"""

from submissions.queue.submission_queue import Submission, SubmissionQueue, Transition  # noqa: F401
