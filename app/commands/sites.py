"""``flask --app wsgi sites …``: collection points, their public URLs and QR codes."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.commands import write_output
from app.extensions import db
from app.models import CollectionLink
from app.services import collection as sites

sites_cli = AppGroup("sites", help="Collection points: list them, write their QR codes.")


@sites_cli.command("list")
@click.option("--active", "active_only", is_flag=True, help="Leave archived points out.")
def list_command(active_only: bool) -> None:
    """One line per collection point: code, name, public URL (tab-separated; archived marked)."""
    points = sites.list_points(db.session, include_archived=not active_only)
    if not points:
        click.echo("No collection point yet.", err=True)
    for point in points:
        url = sites.point_url(point) or "-"
        suffix = "\tarchived" if point.archived else ""
        click.echo(f"{point.code}\t{point.name}\t{url}{suffix}")


@sites_cli.command("qr")
@click.argument("code")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="File to write: .png (default) or .svg.",
)
@click.option(
    "--scale",
    type=click.IntRange(1, 100),
    default=10,
    show_default=True,
    help="Pixels per module (PNG).",
)
def qr_command(code: str, output: Path, scale: int) -> None:
    """Write the QR code of a point (its code) or of a link (its short code)."""
    point = sites.point_by_code(db.session, code)
    link = sites.main_link(point) if point is not None else sites.find_link(db.session, code)
    if point is not None and link is None:
        raise click.ClickException(f"Point {code} has no questionnaire attached.")
    if link is None:
        known = db.session.scalars(select(CollectionLink.code)).all()
        hint = " (known link codes: " + ", ".join(sorted(known)[:10]) + ")" if known else ""
        raise click.ClickException(f"No collection point or link with code {code!r}{hint}.")
    url = sites.link_url(link)
    if output.suffix.lower() == ".svg":
        write_output(output, sites.qr_svg(url))
    else:
        write_output(output, sites.qr_png(url, scale))
    click.echo(f"{output}\t{url}")


@sites_cli.command("stop")
@click.argument("neighbourhood")
@click.option(
    "--name", "stop_name", required=True, help='Where the bus parks, e.g. "Place des Aires".'
)
@click.option("--address", default="", help="Its street address, if it helps to find it.")
def stop_command(neighbourhood: str, stop_name: str, address: str) -> None:
    """Set where the bus stops in a neighbourhood (shown on /calendrier and in the feed)."""
    try:
        row = sites.set_bus_stop(db.session, neighbourhood, stop_name, address)
    except sites.SiteError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{row.code}\t{row.stop_name}\t{row.stop_address or '-'}")


commands = [sites_cli]
