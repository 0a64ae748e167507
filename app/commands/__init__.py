"""CLI command modules: each exposes ``commands``, a list of click commands or groups."""

from __future__ import annotations

from pathlib import Path

import click


def write_output(path: Path, data: bytes) -> None:
    """Write a command's output file; a missing folder or a refused write is a plain error."""
    try:
        path.write_bytes(data)
    except FileNotFoundError:
        raise click.ClickException(f"Le dossier « {path.parent} » n'existe pas.") from None
    except PermissionError:
        raise click.ClickException(f"Pas le droit d'écrire « {path} ».") from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise click.ClickException(f"Impossible d'écrire « {path} » : {reason}.") from None
