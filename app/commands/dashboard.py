"""``flask --app wsgi dashboard warm``: compute the dashboard's first page before anyone asks.

Run after a deploy or a data import (e.g. right after ``flask db upgrade``): the figures of the
page the dashboard opens on are computed once and written to the store the workers share
(``app.services.dashboard_store``), so no coordinator ever waits for a cold worker.
"""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from app.extensions import db

dashboard_cli = AppGroup("dashboard", help="Coordinators' dashboard.")


@dashboard_cli.command("warm")
def warm_command() -> None:
    """Compute the dashboard's first page and share it with every worker."""
    from app.services import dashboard as service

    store = service.shared_store()
    if store is None:
        raise click.ClickException(
            "Le partage des chiffres entre les processus est désactivé "
            "(DASHBOARD_SHARED_CACHE) : rien à préparer."
        )
    started = time.perf_counter()
    click.echo("1/2 Lecture des réponses et des résultats du Pass…")
    tables = service.cache().tables(db.session)
    click.echo(f"    {tables.version.responses} réponses envoyées.")
    click.echo("2/2 Calcul des chiffres de la première page du tableau de bord…")
    filters = service.DashboardFilters(demo=service.default_demo_choice(db.session))
    data = service.dashboard_data(db.session, filters)
    seconds = time.perf_counter() - started
    click.echo(
        f"Prêt en {seconds:.1f} s : {len(data.wide)} réponses comptées, "
        f"chiffres partagés dans {store.directory}."
    )


commands = [dashboard_cli]
