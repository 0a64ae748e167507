"""``flask --app wsgi badges list | bake ID -o FILE.png | verify FILE.png | revoke ID | rotate-key``.

There is no ``badges issue``: badges are issued by the Pass (self-assessment, aidant checks).
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.commands import write_output
from app.extensions import db
from app.services import badges as service

badges_cli = AppGroup("badges", help="Open Badges awarded to Passes.")


@badges_cli.command("list")
def list_command() -> None:
    """One line per award: assertion id, recipient email (when known), badge, date, status."""
    for award in service.list_awards(db.session):
        email = service.recipient_email(award) or "-"
        if award.is_revoked:
            state = "revoked"
        elif award.is_superseded:
            state = "superseded"
        else:
            state = "valid"
        click.echo(
            "\t".join(
                [
                    award.uuid,
                    email,
                    f"{award.domain}-{award.level} ({award.name})",
                    award.issued_at.strftime("%Y-%m-%d"),
                    f"{award.status.value} {state}",
                ]
            )
        )


@badges_cli.command("bake")
@click.argument("assertion_id")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="PNG file to write.",
)
def bake_command(assertion_id: str, output: Path) -> None:
    """Write the baked PNG (2.0 Assertion and 3.0 credential) of one award."""
    award = service.find_award(db.session, assertion_id)
    if award is None:
        raise click.ClickException(f"Aucun badge avec l'identifiant {assertion_id}.")
    if award.is_revoked:
        click.echo(f"Attention : ce badge a été retiré ({award.revocation_reason}).", err=True)
    write_output(output, service.baked_png(award))
    click.echo(f"{output} ({award.name})")


@badges_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--email", default=None, help="Check that the badge belongs to this email.")
@click.option("--pass-code", default=None, help="Check that the badge belongs to this Pass.")
def verify_command(file: Path, email: str | None, pass_code: str | None) -> None:
    """Verify a badge file (PNG or JSON); exit 0 when valid, 1 when not."""
    from badges.baking import MAX_PNG_BYTES

    with file.open("rb") as handle:
        data = handle.read(MAX_PNG_BYTES + 1)
    if len(data) > MAX_PNG_BYTES:
        click.echo("Ce fichier n'a pas pu être lu.\n- Le fichier est trop gros (8 Mo au maximum).")
        raise SystemExit(1)
    verdict = service.verify_data(db.session, data, email=email, pass_code=pass_code)
    click.echo(verdict.headline)
    for detail in verdict.details:
        click.echo(f"- {detail}")
    raise SystemExit(0 if verdict.valid else 1)


@badges_cli.command("revoke")
@click.argument("assertion_id")
@click.option("--reason", required=True, help="Why the badge is withdrawn (shown publicly).")
def revoke_command(assertion_id: str, reason: str) -> None:
    """Revoke one award: 410 on its documents, listed in both revocation lists."""
    award = service.find_award(db.session, assertion_id)
    if award is None:
        raise click.ClickException(f"Aucun badge avec l'identifiant {assertion_id}.")
    try:
        service.revoke(db.session, award, reason, by="cli")
    except service.BadgeError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Badge retiré : {award.uuid} ({award.name}).")


@badges_cli.command("rotate-key")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def rotate_key_command(yes: bool) -> None:
    """Sign new badges with a new key; earlier public keys stay published, badges still verify."""
    if not yes:
        click.confirm(
            "Créer une nouvelle clé de signature ? L'ancienne clé privée sera supprimée "
            "(sa clé publique reste publiée).",
            abort=True,
        )
    try:
        old, new = service.rotate_key()
    except (service.BadgeError, OSError) as error:
        message = error.message if isinstance(error, service.BadgeError) else str(error)
        raise click.ClickException(message) from error
    click.echo(f"Ancienne clé (toujours publiée, ne signe plus) : {old}")
    click.echo(f"Nouvelle clé de signature : {new}")
    click.echo(f"Clés publiées : {service.key_history_path()}")


commands = [badges_cli]
