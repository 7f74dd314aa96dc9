"""AstroCompress Challenge: participant side (CLI, codec SDK, scaffold)."""

__version__ = "0.1.0"
