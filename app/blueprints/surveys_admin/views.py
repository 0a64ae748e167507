"""Coordinators: list and import questionnaires, see versions, download exports, archive."""

from __future__ import annotations

import mimetypes
import re
import tempfile
from pathlib import PurePath

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    send_from_directory,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from wtforms.fields.choices import SelectChoice

from app.blueprints.surveys_admin import bp
from app.blueprints.surveys_admin.forms import ActionForm, ExportForm, UploadForm
from app.errors import fail
from app.extensions import db
from app.models import Form, FormVersion
from app.security import coordinator_required
from app.services import exports as X
from app.services.forms import (
    get_form,
    import_form,
    list_forms,
    set_archived,
    version_summaries,
)
from surveys.errors import FormError, FormImportError
from surveys.model import FormDefinition


def _form_or_404(form_id: str) -> Form:
    form = get_form(db.session, form_id)
    if form is None or not form.versions:
        fail(404, _("Ce questionnaire n'existe pas."))
    return form


def _version_or_404(form: Form, version_pk: int) -> FormVersion:
    for version in form.versions:
        if version.id == version_pk:
            return version
    fail(404, _("Cette version du questionnaire n'existe pas."))


def _upload_name(upload: FileStorage) -> str:
    # Keep the name the form refers to (e.g. "towns.csv"); drop any folder a browser sent.
    name = PurePath((upload.filename or "").replace("\\", "/")).name
    return name[-255:]


def _export_form(definition: FormDefinition, formdata=None) -> ExportForm:  # type: ignore[no-untyped-def]
    choose = ExportForm(formdata=formdata)
    choose.language.choices = [SelectChoice("", _("Codes (comme dans le fichier XLSForm)"))] + [
        SelectChoice(lang, _("Libellés : %(language)s", language=lang))
        for lang in definition.languages
    ]
    if not definition.languages:
        choose.language.choices.append(SelectChoice("default", _("Libellés")))
    choose.table.choices = [SelectChoice(X.MAIN_TABLE, _("Les réponses (une ligne par personne)"))]
    choose.table.choices += [
        SelectChoice(name, _("Groupe répété « %(name)s »", name=name))
        for name in X.repeat_tables(definition)
    ]
    return choose


@bp.route("", methods=["GET", "POST"])
@coordinator_required
def forms():  # type: ignore[no-untyped-def]
    """List the questionnaires and import an XLSForm."""
    upload = UploadForm()
    import_errors: list[FormError] = []
    status = 200
    if upload.validate_on_submit():
        main = upload.file.data
        attachments = {_upload_name(f): f.read() for f in upload.attachments.data or []}
        try:
            result = import_form(
                db.session,
                main.read(),
                _upload_name(main),
                attachments,
                imported_by_id=current_user.id,
            )
        except FormImportError as error:
            db.session.rollback()
            import_errors = error.errors
            status = 400
        else:
            version = result.version
            if result.created:
                flash(
                    _(
                        "Questionnaire importé : « %(title)s », version %(version)s.",
                        title=version.title,
                        version=version.version,
                    ),
                    "success",
                )
            else:
                flash(
                    _(
                        "Ce fichier était déjà importé (version %(version)s) : rien n'a changé.",
                        version=version.version,
                    ),
                    "success",
                )
            for warning in result.warnings:
                flash(_("Attention : %(warning)s", warning=warning), "warning")
            return redirect(url_for("surveys_admin.form", form_id=version.form.form_id), code=303)
    elif upload.is_submitted():
        status = 400
    return render_template(
        "surveys_admin/forms.html",
        forms=list_forms(db.session),
        upload=upload,
        import_errors=import_errors,
        max_megabytes=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024),
    ), status


@bp.route("/<form_id>")
@coordinator_required
def form(form_id: str):  # type: ignore[no-untyped-def]
    """One questionnaire: its versions, downloads, archiving."""
    questionnaire = _form_or_404(form_id)
    definition = X.export_definition(questionnaire)
    versions = version_summaries(db.session, questionnaire)
    return render_template(
        "surveys_admin/form.html",
        questionnaire=questionnaire,
        versions=versions,
        submitted=sum(v.submitted for v in versions),
        drafts=sum(v.drafts for v in versions),
        export_form=_export_form(definition),
        action_form=ActionForm(),
    )


@bp.route("/<form_id>/export")
@coordinator_required
def export(form_id: str):  # type: ignore[no-untyped-def]
    """Download the submitted responses of every version, as CSV (streamed) or XLSX."""
    questionnaire = _form_or_404(form_id)
    definition = X.export_definition(questionnaire)
    choose = _export_form(definition, request.args)
    if not choose.validate():
        fail(400, _("Ce choix d'export n'est pas possible. Revenez à la page et réessayez."))
    language = choose.language.data or None
    options = X.ExportOptions(
        X.resolve_language(definition, language) if language else None,
        layout=choose.layout.data if choose.layout.data in X.LAYOUTS else "default",
    )
    if choose.format.data == "csv":
        table = choose.table.data or X.MAIN_TABLE
        chunks = X.iter_csv_export(db.session, questionnaire, table, options, definition)
        name = X.export_filename(questionnaire, "csv", table)
        return current_app.response_class(
            stream_with_context(chunks),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    # openpyxl needs to finish the zip before the first byte can be sent: build it in a
    # temporary file (deleted when closed, i.e. once sent) rather than in memory.
    output = tempfile.TemporaryFile()
    try:
        X.write_xlsx_export(db.session, questionnaire, output, options)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    return send_file(
        output,
        mimetype=X.XLSX_MIMETYPE,
        as_attachment=True,
        download_name=X.export_filename(questionnaire, "xlsx"),
    )


@bp.route("/<form_id>/versions/<int:version_pk>/xlsform")
@coordinator_required
def version_xlsform(form_id: str, version_pk: int):  # type: ignore[no-untyped-def]
    """Download one version written back as an XLSForm .xlsx (Kobo and ODK import it)."""
    version = _version_or_404(_form_or_404(form_id), version_pk)
    output = tempfile.SpooledTemporaryFile(max_size=2 * 1024 * 1024)
    output.write(X.xlsform_bytes(version))
    output.seek(0)
    return send_file(
        output,
        mimetype=X.XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"{_safe(form_id)}-{_safe(version.version)}.xlsx",
    )


@bp.route("/<form_id>/versions/<int:version_pk>/source")
@coordinator_required
def version_source(form_id: str, version_pk: int):  # type: ignore[no-untyped-def]
    """Download the file exactly as it was imported."""
    version = _version_or_404(_form_or_404(form_id), version_pk)
    mimetype = mimetypes.guess_type(version.source_filename)[0] or "application/octet-stream"
    output = tempfile.SpooledTemporaryFile(max_size=2 * 1024 * 1024)
    output.write(version.source)
    output.seek(0)
    return send_file(
        output, mimetype=mimetype, as_attachment=True, download_name=version.source_filename
    )


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


@bp.route("/medias/<uuid>/<filename>")
@coordinator_required
def media(uuid: str, filename: str):  # type: ignore[no-untyped-def]
    """A file a respondent uploaded (the URLs of the KoboToolbox export layout)."""
    from app.services.responses import upload_root

    if not re.fullmatch(r"[A-Za-z0-9-]{8,64}", uuid):
        fail(404, _("Ce fichier n'existe pas."))
    return send_from_directory(upload_root() / uuid, filename, as_attachment=True)


@bp.route("/<form_id>/archive", methods=["POST"])
@coordinator_required
def archive(form_id: str):  # type: ignore[no-untyped-def]
    """Archive a questionnaire: no longer offered; its responses stay and can be exported."""
    return _set_archived(form_id, True)


@bp.route("/<form_id>/unarchive", methods=["POST"])
@coordinator_required
def unarchive(form_id: str):  # type: ignore[no-untyped-def]
    """Bring an archived questionnaire back."""
    return _set_archived(form_id, False)


def _set_archived(form_id: str, archived: bool):  # type: ignore[no-untyped-def]
    if not ActionForm().validate_on_submit():
        fail(400, _("Le formulaire a expiré. Rechargez la page et recommencez."))
    questionnaire = _form_or_404(form_id)
    set_archived(db.session, questionnaire, archived)
    if archived:
        flash(_("Questionnaire archivé. Ses réponses restent disponibles."), "success")
    else:
        flash(_("Questionnaire de nouveau actif."), "success")
    return redirect(url_for("surveys_admin.form", form_id=form_id), code=303)
