"""``flask --app wsgi programme …``: propose, publish and export the bus programme."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.services import programme as svc

programme_cli = AppGroup("programme", help="Plan and publish the bus programme.")


def _month(value: str) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in value.split("-"))
    except ValueError:
        raise click.BadParameter("écrivez le mois comme 2025-05") from None
    if not 1 <= month <= 12:
        raise click.BadParameter("le mois va de 01 à 12")
    return year, month


@programme_cli.command("propose")
@click.argument("month")
@click.option("--days-off", default="", help='Days without the bus, e.g. "9/05, 23/05".')
@click.option("--by-point", is_flag=True, help="Plan by collection point, not neighbourhood.")
@click.option("--max-slots", type=int, default=None, help="Most half-days in the month.")
@click.option("--publish", "publish_now", is_flag=True, help="Publish the proposal at once.")
def propose_command(
    month: str, days_off: str, by_point: bool, max_slots: int | None, publish_now: bool
) -> None:
    """Propose MONTH (YYYY-MM) from the measured needs, as a draft (replacing a draft)."""
    year, number = _month(month)
    try:
        settings = svc.ProposalSettings(
            year=year,
            month=number,
            place_kind="point" if by_point else "neighbourhood",
            days_off=svc.parse_days_off(days_off, year, number),
            max_slots=max_slots,
        )
        programme = svc.propose_month(db.session, settings)
        if publish_now:
            svc.publish(db.session, programme)
    except svc.ProgrammeError as error:
        raise click.ClickException(" ".join(error.messages.values())) from None
    for slot in programme.ordered_slots:
        click.echo(slot.explanation)
    state = "published" if programme.is_published else "draft"
    click.echo(f"{len(programme.slots)} half-days proposed for {month} ({state}).")


@programme_cli.command("publish")
@click.argument("month")
def publish_command(month: str) -> None:
    """Publish the draft of MONTH (YYYY-MM)."""
    year, number = _month(month)
    programme = svc.get_programme(db.session, year, number)
    if programme is None:
        raise click.ClickException(f"No programme for {month}.")
    try:
        svc.publish(db.session, programme)
    except svc.ProgrammeError as error:
        raise click.ClickException(" ".join(error.messages.values())) from None
    click.echo(f"Programme {month} published.")


@programme_cli.command("ics")
def ics_command() -> None:
    """Print the public iCalendar feed (what /calendrier.ics serves)."""
    body = svc.calendar_feed(
        db.session, svc.paris_today(), current_app.config["MAIRIEBUS_BASE_URL"]
    )
    click.echo(body.decode("utf-8"), nl=False)


commands = [programme_cli]
