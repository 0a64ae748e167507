"""Command-line interface: ``flask --app wsgi users …``, ``flask --app wsgi demo``."""

from __future__ import annotations

import functools
import getpass
import sys

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.models import Role, User
from app.services.accounts import AccountError, create_user, disable_user

users_cli = AppGroup("users", help="Manage staff accounts (coordinators and aidants).")


def _read_password() -> str:
    """Read the password from standard input: one line when piped, hidden and twice on a terminal."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mot de passe : ")
    second = getpass.getpass("Encore une fois : ")
    if first != second:
        raise click.ClickException("Les deux mots de passe ne sont pas identiques.")
    return first


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--organisation", default="", help="Organisation shown on validated badges.")
def create_user_command(email: str, role: str, display_name: str, organisation: str) -> None:
    """Create a staff account; the password is read from standard input."""
    password = _read_password()
    try:
        user = create_user(db.session, email, password, Role(role), display_name, organisation)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.role.value} {user.email}")


@users_cli.command("list")
def list_users_command() -> None:
    """List staff accounts."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        state = "active" if user.active else "disabled"
        click.echo(f"{user.email}\t{user.role.value}\t{state}")


@users_cli.command("disable")
@click.argument("email")
def disable_user_command(email: str) -> None:
    """Disable a staff account."""
    user = db.session.scalar(User.by_email(email))
    if user is None:
        raise click.ClickException(f"No account for {email}")
    disable_user(db.session, user)
    click.echo(f"Disabled {user.email}")


@click.command("demo")
@with_appcontext
@click.option(
    "--responses",
    type=click.IntRange(min=0),
    default=None,
    help="Number of synthetic questionnaire responses.",
)
@click.option("--remove", is_flag=True, help="Remove all demo content instead of adding it.")
def demo_command(responses: int | None, remove: bool) -> None:
    """Seed demo content (idempotent, safe on a database that already holds real data)."""
    from flask import current_app

    from app.demo import remove_demo, seed_demo

    if current_app.config.get("MAIRIEBUS_ENV") == "production" and not remove:
        raise click.ClickException(
            "Refusing to seed demo content in production: its accounts have a published "
            "password. Use a development instance, or create real accounts with `users create`."
        )
    if remove:
        remove_demo(echo=click.echo)
        return
    seed_demo(responses=responses, echo=click.echo)


def register_cli(app: Flask) -> None:
    """Attach every command group to ``app``."""
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    from app.discovery import submodules

    for module in submodules("app.commands"):
        for command in getattr(module, "commands", []):
            app.cli.add_command(command)
    for name, command in app.cli.commands.items():
        if name != "db":  # Flask-Migrate's own commands create the schema
            _explain_missing_schema(command)


UPGRADE_FIRST = (
    "The database is not set up or is out of date: run flask --app wsgi db upgrade first."
)


def is_missing_schema(error: BaseException) -> bool:
    """True for "no such table/column" (SQLite) and undefined table/column (PostgreSQL)."""
    from sqlalchemy import exc

    if not isinstance(error, exc.OperationalError | exc.ProgrammingError):
        return False
    code = getattr(getattr(error, "orig", None), "sqlstate", None)
    text = str(getattr(error, "orig", error))
    return code in ("42P01", "42703") or "no such table" in text or "no such column" in text


def _explain_missing_schema(command: click.Command) -> None:
    """Wrap ``command`` (and a group's subcommands) so a missing schema prints one line."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _explain_missing_schema(sub)
    callback = command.callback
    if callback is None or getattr(callback, "_explains_schema", False):
        return

    @functools.wraps(callback)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return callback(*args, **kwargs)
        except Exception as error:
            if is_missing_schema(error):
                raise click.ClickException(UPGRADE_FIRST) from None
            raise

    wrapper._explains_schema = True  # type: ignore[attr-defined]
    command.callback = wrapper
