"""Publishing to the Hub: the results dataset (tables, card), the Space bundle and its import closure."""
