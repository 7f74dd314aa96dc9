"""Fixtures for the archive codec tests: the host's own tools (scripts/install.sh installs them) and Docker."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # archive_host_tools


