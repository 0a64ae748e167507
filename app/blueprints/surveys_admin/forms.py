"""Forms of the questionnaires pages: upload an XLSForm, choose an export."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, MultipleFileField
from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice

FORM_EXTENSIONS = ("xlsx", "xlsm", "xls", "csv", "md")
LIST_EXTENSIONS = ("csv", "xml")


class UploadForm(FlaskForm):
    """An XLSForm file and the list files its select_*_from_file questions name."""

    file = FileField(
        _l("Fichier du questionnaire (XLSForm)"),
        validators=[
            FileRequired(_l("Choisissez le fichier du questionnaire.")),
            FileAllowed(
                FORM_EXTENSIONS,
                _l(
                    "Ce fichier n'est pas un tableur XLSForm. Choisissez un fichier .xlsx, "
                    ".xls, .csv ou .md."
                ),
            ),
        ],
    )
    attachments = MultipleFileField(
        _l("Listes jointes (facultatif)"),
        validators=[
            FileAllowed(
                LIST_EXTENSIONS,
                _l("Une liste jointe doit être un fichier .csv ou .xml."),
            )
        ],
    )


class ExportForm(FlaskForm):
    """Which download: CSV or Excel, codes or labels, which table (read from the query string)."""

    class Meta:
        csrf = False  # a download changes nothing

    format = RadioField(
        _l("Format"),
        choices=[
            SelectChoice("xlsx", _l("Excel (.xlsx), un onglet par tableau")),
            SelectChoice("csv", _l("CSV (un tableau par fichier)")),
        ],
        default="xlsx",
    )
    language = SelectField(_l("Réponses écrites en"), default="")
    table = SelectField(_l("Tableau (pour le CSV)"), default="responses")
    layout = RadioField(
        _l("Colonnes"),
        choices=[
            SelectChoice("default", _l("Mairie Bus (une colonne par question)")),
            SelectChoice("kobo", _l("KoboToolbox (chemins de groupes, _id, _uuid, _index…)")),
        ],
        default="default",
    )


class ActionForm(FlaskForm):
    """An empty form: only its CSRF token, for buttons that change something."""
