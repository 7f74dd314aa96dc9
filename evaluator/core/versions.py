"""Version numbers, each defined once.

Imports nothing: it is copied into codec base images beside the SDK.
"""

PLATFORM_VERSION = "0.1.0"  # the astrocompress-challenge distribution (pyproject.toml says the same)
CONTRACT_VERSION = "2"  # the JSON-lines codec contract (challenge/CONTRACT.md, DESIGN.md "The codec contract")
EVALUATOR_VERSION = "0.1.0"  # bump when anything that changes measured numbers changes
