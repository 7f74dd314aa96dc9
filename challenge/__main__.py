"""``python -m challenge``: the CLI from whatever environment runs it (tests use this)."""

from challenge.cli import main

main()
