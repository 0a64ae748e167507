"""``flask --app wsgi notify send-due`` (cron) and ``flask --app wsgi worker`` (background jobs)."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask.cli import AppGroup
from redis.exceptions import RedisError

from app.extensions import db
from app.services import notify as svc

notify_cli = AppGroup("notify", help="Reminders to residents before the bus comes.")


@notify_cli.command("send-due")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Act as if today were this date (YYYY-MM-DD); default: today in Martigues.",
)
def send_due_command(today) -> None:  # type: ignore[no-untyped-def]
    """Queue tomorrow's reminders (each sent once), then delete stale subscriptions."""
    day: date | None = today.date() if today else None

    def progress(ids):  # type: ignore[no-untyped-def]
        # Only used when the queue is down and reminders are sent from here.
        with click.progressbar(ids, label="Sending reminders", file=sys.stderr) as bar:
            yield from bar

    report = svc.send_due(db.session, day, progress=progress)
    click.echo(f"{report.stops} stop(s) tomorrow, {report.created} new reminder(s).")
    if report.queued:
        click.echo(f"{report.queued} reminder(s) queued for the worker.")
    if report.sent_inline or report.failed_inline:
        click.echo(
            f"Queue unavailable: {report.sent_inline} sent now, {report.failed_inline} not sent "
            "(they will be retried at the next run)."
        )
    click.echo(f"{report.purged} stale subscription(s) deleted.")
    if report.failed_inline:
        raise SystemExit(1)


@notify_cli.command("purge")
def purge_command() -> None:
    """Delete subscriptions without a click for 12 months, and unconfirmed ones after 7 days."""
    click.echo(f"{svc.purge(db.session)} stale subscription(s) deleted.")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then stop.")
def worker_command(burst: bool) -> None:
    """Run background jobs (reminder emails) from the Redis queue until stopped."""
    from app.queue import run_worker

    try:
        run_worker(burst=burst)
    except RedisError as error:
        raise click.ClickException(f"Redis is unreachable ({error}); check REDIS_URL.") from None


commands = [notify_cli, worker_command]
