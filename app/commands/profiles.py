"""``flask --app wsgi profiles show [--json]``: the dashboard's personas and key figures."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from app.extensions import db

profiles_cli = AppGroup("profiles", help="Personas (profils types) and key figures.")


def _check_codes(form_id: str | None, point: str | None, neighbourhood: str | None) -> None:
    """Exit 1 with a plain message when a filter names nothing (a typo must not print zeros)."""
    from sqlalchemy import select

    from app.models import CollectionPoint, Form, Neighbourhood

    checks = (
        (form_id, Form.form_id, "Aucun questionnaire « {} ». Voir : flask --app wsgi surveys list"),
        (
            point,
            CollectionPoint.code,
            "Aucun point de recueil « {} ». Voir : flask --app wsgi sites list",
        ),
        (neighbourhood, Neighbourhood.code, "Aucun quartier « {} »."),
    )
    for value, column, message in checks:
        if value is not None and db.session.scalar(select(column).where(column == value)) is None:
            raise click.ClickException(message.format(value))


@profiles_cli.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option(
    "--demo",
    # The keys of app.services.dashboard.DEMO_CHOICES, written out so that loading the CLI does
    # not import the dashboard service (pandas and numpy, about a second and 60 MB).
    type=click.Choice(["real", "all", "demo"]),
    default=None,
    help="real: real answers only; all: with demo answers; demo: demo only "
    "(default: as the dashboard, real when there are real answers).",
)
@click.option("--form", "form_id", default=None, help="Only this questionnaire (form_id).")
@click.option("--point", default=None, help="Only this collection point (code).")
@click.option("--neighbourhood", default=None, help="Only this neighbourhood (code).")
def show_command(
    as_json: bool,
    demo: str | None,
    form_id: str | None,
    point: str | None,
    neighbourhood: str | None,
) -> None:
    """Print the personas and key figures the dashboard shows (same filters, same cache)."""
    from app.services import dashboard as service
    from surveys.analytics import format_figure

    _check_codes(form_id, point, neighbourhood)
    filters = service.DashboardFilters(
        form_id=form_id,
        collection_point=point,
        neighbourhood=neighbourhood,
        demo=demo or service.default_demo_choice(db.session),
    )
    try:
        data = service.dashboard_data(db.session, filters)
    except service.DashboardError as error:
        raise click.ClickException(str(error)) from error
    summary = service.profiles_summary(data)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    key = data.key
    click.echo("Chiffres clés")
    click.echo(f"  Réponses : {format_figure(key['responses'])}")
    click.echo(
        f"  Avec un aidant : {format_figure(key['assisted'])} "
        f"({format_figure(key['assisted_percent'], percent=True)})"
    )
    click.echo(f"  Points de recueil : {format_figure(key['collection_points'])}")
    click.echo(f"  Quartiers : {format_figure(key['neighbourhoods'])}")
    click.echo(f"  Pass informatique : {format_figure(key['passes'])}")
    click.echo("")
    click.echo("Profils types")
    click.echo(f"  {data.personas.criterion}")
    for persona in data.personas.personas:
        click.echo("")
        click.echo(
            f"  {persona.number}. {persona.sentence} "
            f"({persona.count} personnes sur {persona.total}, "
            f"{format_figure(persona.percent, percent=True)})"
        )
        for title, traits in (
            ("Réponses communes", persona.defining),
            ("Besoins", persona.needs),
            ("Attentes", persona.expectations),
        ):
            if traits:
                listed = ", ".join(f"{t.label} ({t.count})" for t in traits)
                click.echo(f"     {title} : {listed}")
        click.echo(f"     Fiabilité : {persona.confidence}")
    if data.personas.hidden_people:
        hidden = data.personas.hidden_people
        click.echo("")
        click.echo(
            "  Personnes dans des groupes trop petits pour être montrés : "
            f"{format_figure(hidden if hidden >= 5 else None)}"
        )


commands = [profiles_cli]
