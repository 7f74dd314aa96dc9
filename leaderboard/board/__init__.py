"""The board's state: filters, frames, caches, refresh and prewarm, what each tab shows."""
