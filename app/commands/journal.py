"""``flask --app wsgi journal …``: export the aidants' logbook, erase expired contacts."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.commands import write_output
from app.extensions import db
from app.models.journal import Visit
from app.services import journal as svc

journal_cli = AppGroup("journal", help="The aidants' logbook (journal du bus).")


def _month(value: str) -> tuple[int, int]:
    year_text, _sep, month_text = value.strip().partition("-")
    if not (len(year_text) == 4 and year_text.isdigit() and month_text.isdigit()):
        raise click.BadParameter("écrivez le mois comme 2026-11")
    year, month = int(year_text), int(month_text)
    if not 1 <= month <= 12:
        raise click.BadParameter("le mois va de 01 à 12")
    return year, month


@journal_cli.command("export")
@click.option("--month", "month", required=True, help="The month to export, YYYY-MM.")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write: .xlsx for Excel, .csv otherwise.",
)
def export_command(month: str, output: Path) -> None:
    """Export the logbook of one month (one visit a line, no names, formulas neutralised)."""
    try:
        year, number = _month(month)
    except click.BadParameter as error:
        error.param_hint = "'--month'"
        raise
    start, end = svc.month_range(year, number)
    total = (
        db.session.scalar(
            select(func.count()).select_from(Visit).where(Visit.day >= start, Visit.day <= end)
        )
        or 0
    )
    with click.progressbar(
        length=total, label="Export du journal", file=sys.stderr, show_pos=True
    ) as bar:
        rows = svc.export_rows(db.session, start, end, progress=bar.update)
    fmt = "xlsx" if output.suffix.lower() == ".xlsx" else "csv"
    write_output(output, svc.export_bytes(rows, fmt))
    click.echo(f"{len(rows)} visits of {month} written to {output} ({fmt}).")


@journal_cli.command("purge")
def purge_command() -> None:
    """Erase names, phones and emails kept longer than JOURNAL_RETENTION_DAYS."""
    erased = svc.erase_expired_contacts(db.session)
    click.echo(f"{erased} contact(s) erased.")


commands = [journal_cli]
