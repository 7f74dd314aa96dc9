"""The public leaderboard: Gradio app, results-store reader, tables, plots, Hub publishing.

``leaderboard.app.page.build_app(store_url)`` is the entry point; DESIGN.md
"Results, queue, publishing" describes what it shows.
"""

import os

# Before any module of this package imports gradio: no usage analytics from the board.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
