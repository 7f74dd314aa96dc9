"""(placeholder: ``challenge admin campaign`` is added by its owner)"""

from __future__ import annotations

import typer


def register(app: typer.Typer, admin: typer.Typer) -> None:
    pass
