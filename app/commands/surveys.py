"""``flask --app wsgi surveys …``: import XLSForms, list forms, export responses.

Output contract (scripts rely on it): ``import`` prints, as its last line on standard output, a
sentence ending with the form id; on a refused file it prints the plain-French error list
(sheet, row, column, question per error) and exits with status 1. Warnings and progress bars go
to standard error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from app.extensions import db
from app.services import exports as X
from app.services.forms import get_form, import_form, list_forms
from surveys.errors import FormImportError

surveys_cli = AppGroup("surveys", help="Questionnaires (XLSForms): import, list, export.")


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        _fail(f"Impossible de lire {what} « {path} ».")
        raise  # unreachable: _fail exits


@surveys_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--attach",
    "attachments",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A list file (CSV/XML) for select_one_from_file questions; repeat for several.",
)
def import_command(file: Path, attachments: tuple[Path, ...]) -> None:
    """Import an XLSForm FILE as a new version of its form."""
    data = _read(file, "le fichier")
    files = {path.name: _read(path, "la liste jointe") for path in attachments}
    try:
        result = import_form(db.session, data, file.name, files)
    except FormImportError as error:
        db.session.rollback()
        click.echo(str(error))
        sys.exit(1)
    for warning in result.warnings:
        click.echo(f"Attention : {warning}", err=True)
    version = result.version
    form_id = version.form.form_id
    if result.created:
        click.echo(f"Imported form {form_id} version {version.version}: {form_id}")
    else:
        click.echo(
            f"Form {form_id} version {version.version} already imported (same file): {form_id}"
        )


@surveys_cli.command("list")
def list_command() -> None:
    """List forms: form_id, title, versions, submitted responses (tab-separated)."""
    for summary in list_forms(db.session):
        title = summary.title + (" [archived]" if summary.archived else "")
        click.echo(f"{summary.form_id}\t{title}\t{summary.versions}\t{summary.submitted}")


@surveys_cli.command("export")
@click.argument("form_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "xlsform"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--labels",
    "language",
    default=None,
    help="Labels in this language (e.g. fr, en) instead of codes.",
)
@click.option(
    "--layout",
    type=click.Choice(["default", "kobo"]),
    default="default",
    show_default=True,
    help="kobo: KoboToolbox's columns (group/question, geopoint split, _id, _uuid, _index…).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_command(form_id: str, fmt: str, language: str | None, layout: str, output: Path) -> None:
    """Export the submitted responses of FORM_ID (all versions), or its newest XLSForm."""
    form = get_form(db.session, form_id)
    if form is None or not form.versions:
        _fail(f"Aucun questionnaire « {form_id} ». Voyez la liste : flask surveys list")
        return
    if not output.parent.is_dir():
        _fail(f"Le dossier « {output.parent} » n'existe pas.")
    if fmt == "xlsform":
        _export_xlsform(form, output, language)
        return
    try:
        definition = X.export_definition(form)
        options = X.ExportOptions(X.resolve_language(definition, language), layout=layout)
    except X.ExportError as error:
        _fail(str(error))
        return
    total = X.count_submitted(db.session, form)
    with click.progressbar(
        length=total, label="Export des réponses", file=sys.stderr, show_pos=True
    ) as bar:
        if fmt == "csv":
            paths = X.write_csv_files(db.session, form, output, options, progress=bar.update)
        else:
            with output.open("wb") as handle:
                X.write_xlsx_export(db.session, form, handle, options, progress=bar.update)
            paths = [output]
    written = ", ".join(str(p) for p in paths)
    click.echo(f"Exported {total} submitted responses of {form.form_id} to {written}")


def _export_xlsform(form, output: Path, language: str | None) -> None:  # type: ignore[no-untyped-def]
    version = form.versions[-1]
    if language:
        click.echo("--labels ne sert pas pour --format xlsform : ignoré.", err=True)
    output.write_bytes(X.xlsform_bytes(version))
    for filename, content in X.attachments_of(version):
        # The form names its list files; they go beside it so it imports again as it is.
        (output.parent / filename).write_bytes(content)
        click.echo(f"Liste jointe écrite : {output.parent / filename}", err=True)
    click.echo(f"Exported XLSForm of {form.form_id} version {version.version} to {output}")


commands = [surveys_cli]
