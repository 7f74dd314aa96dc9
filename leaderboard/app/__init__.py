"""The Gradio page: ``leaderboard.app.page.page.build_app(store_url)`` is the entry point.

Its header, tabs, about pages, URL state and front-end assets live beside it.
"""
