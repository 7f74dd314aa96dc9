"""The public leaderboard: Gradio app, results-store reader, tables, plots, Hub publishing.

``leaderboard.app.build_app(store_url)`` is the entry point; DESIGN.md
"Results, queue, publishing" describes what it shows.
"""
