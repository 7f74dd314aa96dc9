"""AstroCompress Challenge: participant side (CLI, codec SDK, scaffold)."""

from evaluator.core.versions import PLATFORM_VERSION as __version__

__all__ = ["__version__"]
