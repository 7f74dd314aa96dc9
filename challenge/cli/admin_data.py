"""(placeholder: commands are added by the module's owner)"""

from __future__ import annotations

import typer


def register(app: typer.Typer, admin: typer.Typer) -> None:
    pass
