"""Import XLSForm files (.xlsx, .xls, .csv, .md) through pyxform into the engine's own model.

pyxform reads the workbook and validates it (it is the reference converter Kobo and ODK use); we
then build our own dataclasses from its JSON and add the checks pyxform leaves to ODK Validate
(expressions), collecting every problem with its sheet, row, column and question name.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

from surveys import expressions as ex
from surveys.errors import ExpressionError, FormError, FormImportError
from surveys.model import (
    DEFAULT_LANGUAGE_KEY,
    EMPTY_META_TYPES,
    QUESTION_TYPES,
    Choice,
    ChoiceList,
    FormDefinition,
    FormIssueNote,
    Question,
    language_code,
)

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".md")
MAX_FORM_BYTES = 10 * 1024 * 1024
# An .xlsx is a zip: a few MB can expand to gigabytes (a "zip bomb") and hold a worker until it
# is killed. Real XLSForms expand to a few MB at most (the shipped one: about 100 KB).
MAX_FORM_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_FORM_ZIP_ENTRIES = 500

# Raw `type` words (after alias folding) -> our type names.
_TYPE_ALIASES = {
    "text": "text",
    "string": "text",
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "time": "time",
    "note": "note",
    "range": "range",
    "acknowledge": "acknowledge",
    "geopoint": "geopoint",
    "gps": "geopoint",
    "location": "geopoint",
    "image": "image",
    "photo": "image",
    "file": "file",
    "calculate": "calculate",
    "hidden": "hidden",
    "start": "start",
    "end": "end",
    "today": "today",
    "deviceid": "deviceid",
    "username": "username",
    "phonenumber": "phonenumber",
    "simserial": "simserial",
    "subscriberid": "subscriberid",
    "select_one": "select_one",
    "select1": "select_one",
    "select_multiple": "select_multiple",
    "select_one_from_file": "select_one_from_file",
    "select_multiple_from_file": "select_multiple_from_file",
    "rank": "rank",
}
# Types pyxform accepts that the web answers another way (the value is still right).
_TYPE_ALIASES.update(
    {
        "datetime": "datetime",
        "barcode": "barcode",
        "audio": "audio",
        "video": "video",
        "geotrace": "geotrace",
        "geoshape": "geoshape",
        "osm": "file",
        "trigger": "acknowledge",
        "email": "email",
        "imei": "deviceid",
        "start-geopoint": "start-geopoint",
        "audit": "audit",
        "background-audio": "background-audio",
        "background-geopoint": "background-geopoint",
    }
)
# Types that declare data the web cannot reach: the row is dropped with a warning.
_DROPPED_TYPES = {
    "xml-external": "données externes (xml-external) : non chargées ici",
    "csv-external": "données externes (csv-external) : non chargées ici",
    "select_one_external": "liste externe (select_one_external) : proposée comme texte libre",
}
# Meta fields a browser cannot provide: accepted, left empty, and listed as a warning.
_EMPTY_META = set(EMPTY_META_TYPES)

_EXPRESSION_COLUMNS = ("relevant", "constraint", "calculation", "choice_filter", "repeat_count")
_KNOWN_SURVEY_COLUMNS = {
    "type",
    "name",
    "label",
    "hint",
    "required",
    "required_message",
    "constraint",
    "constraint_message",
    "relevant",
    "calculation",
    "default",
    "choice_filter",
    "read_only",
    "appearance",
    "parameters",
    "repeat_count",
    "trigger",
}
_COLUMN_ALIASES = {
    "relevance": "relevant",
    "calculate": "calculation",
    "readonly": "read_only",
    "constraining_message": "constraint_message",
    "caption": "label",
}
# Columns with no meaning on a web form: accepted, reported once per column as a warning.
_WARNED_COLUMNS = {
    "image": "les images des libellés ne sont pas affichées",
    "big-image": "les grandes images ne sont pas affichées",
    "audio": "les sons des libellés ne sont pas joués",
    "video": "les vidéos des libellés ne sont pas affichées",
    "media": "les médias des libellés ne sont pas affichés",
    "save_to": "les entités ODK n'existent pas ici : rien n'est enregistré dans une entité",
    "body": "attribut d'affichage propre à ODK Collect, sans effet ici",
    "bind": "attribut propre à ODK Collect, sans effet ici",
    "instance": "attribut propre à ODK Collect, sans effet ici",
    "intent": "les applications externes ne s'ouvrent pas depuis un navigateur",
}
# Columns with no effect on answers here: accepted, listed as a warning.
_IGNORED_COLUMNS = {"guidance_hint", "label_short", "tag", "sms_field"}
_IGNORED_SHEETS = {
    "entities": "Feuille « entities » ignorée : les entités ODK n'existent pas ici.",
    "osm": "Feuille « osm » ignorée : les cartes OpenStreetMap ne sont pas proposées.",
}
_IGNORED_SETTINGS = {
    "style": "Réglage « style » ignoré : la mise en page est celle du Mairie Bus.",
    "public_key": "Réglage « public_key » ignoré : les réponses ne sont pas chiffrées ainsi.",
    "submission_url": "Réglage « submission_url » ignoré : les réponses restent ici.",
}
_YES = {"yes", "true", "true()", "1", "oui", "vrai"}
_NO = {"", "no", "false", "false()", "0", "non", "faux"}
_FILE_LIST = re.compile(r"\.(csv|xml|geojson)$", re.IGNORECASE)


# --------------------------------------------------------------------------- public API


def load_form(
    source: bytes | str | PathLike[str],
    filename: str | None = None,
    attachments: Mapping[str, bytes] | None = None,
) -> FormDefinition:
    """Import an XLSForm from bytes or a path; raise FormImportError listing every problem."""
    attachments = dict(attachments or {})
    data, filename = _read_source(source, filename)
    raw = _read_workbook(data, filename)
    errors, notes = _check_raw(raw, attachments)
    pyxform_json: dict[str, Any] | None = None
    try:
        pyxform_json = _run_pyxform(raw)
    except FormImportError as exc:
        seen_rows = {(e.sheet, e.row) for e in errors}
        errors.extend(e for e in exc.errors if (e.sheet, e.row) not in seen_rows or e.row is None)
    if errors or pyxform_json is None:
        raise FormImportError(errors or [FormError("Questionnaire illisible.")])
    return _build(raw, pyxform_json, attachments, notes, filename)


def validate_with_pyxform(source: bytes | str | PathLike[str], filename: str | None = None) -> str:
    """Convert a form to XForm XML with pyxform (proof that Kobo/ODK accept it)."""
    data, filename = _read_source(source, filename)
    raw = _read_workbook(data, filename)
    return _run_pyxform(raw, want_xml=True)["__xform__"]  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- reading


def _read_source(
    source: bytes | str | PathLike[str], filename: str | None
) -> tuple[bytes, str | None]:
    if isinstance(source, bytes):
        data = source
    else:
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FormImportError([FormError(f"Fichier introuvable : {path.name}.")]) from exc
        filename = filename or path.name
    if len(data) > MAX_FORM_BYTES:
        raise FormImportError([FormError("Le fichier est trop gros (10 Mo au plus).")])
    if not data.strip():
        raise FormImportError([FormError("Le fichier est vide.")])
    return data, filename


class _Raw:
    """The workbook as pyxform read it, plus the sheet names we care about."""

    def __init__(self, definition: Any) -> None:
        self.definition = definition
        self.survey: list[dict[str, str]] = list(definition.survey or [])
        self.choices: list[dict[str, str]] = list(definition.choices or [])
        self.settings: dict[str, str] = dict((definition.settings or [{}])[0] or {})
        self.sheet_names: list[str] = [s.lower() for s in (definition.sheet_names or [])]
        self.stem: str | None = definition.fallback_form_name


def _read_workbook(data: bytes, filename: str | None) -> _Raw:
    from pyxform.errors import PyXFormError
    from pyxform.xls2json_backends import get_xlsform

    file_type = None
    stem = None
    if filename:
        suffix = Path(filename).suffix.lower()
        stem = Path(filename).stem
        if suffix not in SUPPORTED_SUFFIXES:
            raise FormImportError(
                [
                    FormError(
                        "Format non pris en charge : envoyez un fichier .xlsx, .xls, .csv ou .md."
                    )
                ]
            )
        file_type = suffix
    if data[:4] == b"PK\x03\x04":
        check_zip_size(data)
    try:
        definition = get_xlsform(data, file_type=file_type)
    except (PyXFormError, ValueError, KeyError, IndexError, TypeError, OSError) as exc:
        raise FormImportError(
            [
                FormError(
                    "Ce fichier n'est pas un questionnaire XLSForm lisible "
                    "(.xlsx, .xls, .csv ou tableau markdown).",
                    detail=str(exc),
                )
            ]
        ) from exc
    except Exception as exc:  # noqa: BLE001 - any reader failure must become a French error
        raise FormImportError(
            [FormError("Ce fichier est illisible ou abîmé.", detail=type(exc).__name__)]
        ) from exc
    raw = _Raw(definition)
    if stem and not raw.stem:
        raw.stem = stem
    return raw


def check_zip_size(
    data: bytes,
    max_bytes: int = MAX_FORM_UNZIPPED_BYTES,
    max_entries: int = MAX_FORM_ZIP_ENTRIES,
) -> None:
    """Refuse a zip (.xlsx) whose content would expand beyond ``max_bytes``, before any parsing.

    The sizes come from the zip's central directory; a member that claims less than it holds
    cannot expand further, since Python's zipfile stops reading a member at its declared size.
    """
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FormImportError(
            [FormError("Ce fichier est illisible ou abîmé.", detail=type(exc).__name__)]
        ) from exc
    total = sum(member.file_size for member in members)
    if len(members) > max_entries or total > max_bytes:
        raise FormImportError(
            [
                FormError(
                    "Ce fichier se décompresse en beaucoup trop de données "
                    f"({total // (1024 * 1024)} Mo, {max_bytes // (1024 * 1024)} Mo au plus) : "
                    "ce n'est pas un questionnaire normal. Enregistrez le questionnaire à nouveau "
                    "depuis votre tableur, puis réessayez."
                )
            ]
        )


def _run_pyxform(raw: _Raw, want_xml: bool = False) -> dict[str, Any]:
    from pyxform.builder import create_survey_element_from_dict
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import workbook_to_json

    warnings: list[str] = []
    try:
        result: dict[str, Any] = workbook_to_json(
            workbook_dict=raw.definition,
            form_name=None,
            fallback_form_name=raw.stem,
            default_language=None,
            warnings=warnings,
        )
        survey = create_survey_element_from_dict(result)
        xml = survey.to_xml(validate=False, warnings=warnings)
    except PyXFormError as exc:
        raise FormImportError([_locate(translate_pyxform_error(exc), raw)]) from exc
    except Exception as exc:  # noqa: BLE001 - pyxform may fail in many ways on odd files
        # A library's internal message (a TypeError's "__init__() got an unexpected keyword
        # argument") means nothing to a coordinator: say what to look at instead.
        error = FormError(
            "Le convertisseur XLSForm n'a pas pu lire ce questionnaire. Vérifiez les colonnes "
            "type, name, parameters et les réglages de la feuille settings.",
        )
        raise FormImportError([_locate(error, raw, str(exc))]) from exc
    if want_xml:
        result["__xform__"] = xml
    return result


# --------------------------------------------------------------------------- pyxform errors

_ROW_RE = re.compile(r"\[row\s*:\s*(\d+)\]")
_SHEET_RE = re.compile(r"'(survey|choices|settings|entities|external_choices)' sheet", re.I)
_COLUMN_RE = re.compile(r"the '([^']+)' value is invalid")
_TRANSLATIONS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"Could not find the name '([^']+)'"),
        "La référence ${{{0}}} ne correspond à aucune question.",
    ),
    (re.compile(r"Unknown question type '([^']+)'"), "Type de question inconnu : « {0} »."),
    (
        re.compile(r"Unmatched '(begin[_ ]\w+)'"),
        "« {0} » n'a pas de fin (end_group ou end_repeat).",
    ),
    (re.compile(r"Unmatched '(end[_ ]\w+)'"), "« {0} » n'a pas de début correspondant."),
    (
        re.compile(r"Names must begin with a letter"),
        "Nom invalide : il commence par une lettre ou « _ », "
        "puis lettres, chiffres, « _ », « - » ou « . ».",
    ),
    (re.compile(r"must be unique"), "Ce nom est déjà utilisé par une autre question."),
    (re.compile(r"[Dd]uplicate"), "Valeur en double : chaque nom doit être unique."),
    (
        re.compile(r"List name not in choices sheet: (\S+)"),
        "La liste de choix « {0} » n'existe pas dans la feuille « choices ».",
    ),
    (
        re.compile(r"should be a choices sheet"),
        "Il manque la feuille « choices » (colonnes list_name, name, label).",
    ),
    (
        re.compile(r"[Ss]urvey sheet.*(missing|empty)|no 'survey' sheet|must have a sheet named"),
        "Il manque la feuille « survey » ou ses colonnes type et name.",
    ),
    (
        re.compile(r"[Qq]uestion or group with no name"),
        "Il manque le nom (colonne name) de cette question.",
    ),
    (re.compile(r"[Nn]o label or hint"), "Il manque le libellé (colonne label) de cette question."),
    (re.compile(r"parameter"), "Paramètres invalides (colonne parameters)."),
    (
        re.compile(r"Missing calculation"),
        "Il manque le calcul (colonne calculation) de cette ligne « calculate ».",
    ),
    (
        re.compile(r"Choice filter not supported with or_other"),
        "Un filtre de choix (choice_filter) ne va pas avec « or_other » : "
        "ajoutez un choix « other » à la liste à la place.",
    ),
    (
        re.compile(r"List name not in columns sheet: (\S+)"),
        "La liste « {0} » de la boucle n'existe pas dans la feuille « choices ».",
    ),
]


_QUOTED = re.compile(r"['\"“«]\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*['\"”»]")


def _locate(error: FormError, raw: _Raw, text: str | None = None) -> FormError:
    """Give a row to an error pyxform left without one, from a question name it quotes."""
    if error.row is not None:
        return error
    names: dict[str, int] = {}
    for index, row in enumerate(raw.survey):
        name = str(row.get("name", "") or "").strip()
        if name:
            names.setdefault(name, index + 2)
    for candidate in _QUOTED.findall(text or error.detail or ""):
        if candidate in names:
            return dataclasses.replace(
                error,
                row=names[candidate],
                sheet=error.sheet or "survey",
                name=error.name or candidate,
            )
    return error


def translate_pyxform_error(exc: Exception) -> FormError:
    """Turn one pyxform exception into a located, plain-French FormError."""
    text = str(exc)
    context: dict[str, Any] = dict(getattr(exc, "context", None) or {})
    row = context.get("row")
    if row is None:
        match = _ROW_RE.search(text)
        row = int(match.group(1)) if match else None
    sheet = context.get("sheet")
    if sheet is None:
        match = _SHEET_RE.search(text)
        sheet = match.group(1).lower() if match else ("survey" if row is not None else None)
    column = context.get("column")
    if column is None:
        match = _COLUMN_RE.search(text)
        column = match.group(1) if match else None
    message = "Le convertisseur XLSForm refuse ce questionnaire (détail en anglais ci-dessous)."
    for pattern, template in _TRANSLATIONS:
        match = pattern.search(text)
        if match:
            message = template.format(*match.groups())
            break
    return FormError(
        message=message,
        sheet=sheet,
        row=int(row) if row is not None else None,
        column=column,
        detail=text,
    )


# --------------------------------------------------------------------------- our checks


def _fold_type(raw_type: str) -> tuple[str, str | None, bool]:
    """Return (our type or marker, list/file name, or_other) for a raw `type` cell."""
    text = " ".join(raw_type.strip().split())
    lowered = text.lower()
    for marker in (
        "begin_group",
        "begin_repeat",
        "begin_loop",
        "end_group",
        "end_repeat",
        "end_loop",
    ):
        spaced = marker.replace("_", " ")
        if lowered in (marker, spaced) or lowered.startswith((marker + " ", spaced + " ")):
            return marker, None, False
    for multi, single in (
        ("select one from file", "select_one_from_file"),
        ("select multiple from file", "select_multiple_from_file"),
        ("select all that apply", "select_multiple"),
        ("select one", "select_one"),
        ("select multiple", "select_multiple"),
    ):
        if lowered.startswith(multi + " "):
            text = single + text[len(multi) :]
            lowered = text.lower()
            break
    parts = text.split(" ")
    word = parts[0].lower()
    or_other = len(parts) >= 3 and parts[-1].lower() == "or_other"
    arg = parts[1] if len(parts) > 1 else None
    if word == "datetime" or word == "date" and arg and arg.lower() == "time":
        return "datetime", None, False
    return _TYPE_ALIASES.get(word, word), arg, or_other


def _split_header(header: str) -> tuple[str, str | None]:
    base, _, rest = header.partition("::")
    base = base.strip().lower()
    return _COLUMN_ALIASES.get(base, base), (rest.strip() or None)


def _check_raw(
    raw: _Raw, attachments: Mapping[str, bytes]
) -> tuple[list[FormError], list[FormIssueNote]]:
    errors: list[FormError] = []
    notes: list[FormIssueNote] = []
    if "survey" not in raw.sheet_names and not raw.survey:
        return [FormError("Il manque la feuille « survey ».", sheet="survey")], notes
    for sheet, what in _IGNORED_SHEETS.items():
        if sheet in raw.sheet_names:
            notes.append(FormIssueNote(what, sheet))
    for key, what in _IGNORED_SETTINGS.items():
        if str(raw.settings.get(key) or "").strip():
            notes.append(FormIssueNote(what, "settings", 2, key))

    names_in_survey: dict[str, int] = {}
    list_names = {row.get("list_name", "").strip() for row in raw.choices}
    for index, row in enumerate(raw.survey):
        if row.get("name"):
            names_in_survey.setdefault(str(row["name"]).strip(), index + 2)

    reported_columns: set[str] = set()
    for index, row in enumerate(raw.survey):
        row_number = index + 2
        name = str(row.get("name", "")).strip() or None
        raw_type = str(row.get("type", "")).strip()
        for header, value in row.items():
            if header is None or value in (None, ""):
                continue
            base, _lang = _split_header(str(header))
            if base in _WARNED_COLUMNS:
                if header not in reported_columns:
                    reported_columns.add(str(header))
                    notes.append(
                        FormIssueNote(
                            f"Colonne « {header} » ignorée : {_WARNED_COLUMNS[base]}.",
                            "survey",
                            row_number,
                            str(header),
                            name,
                        )
                    )
            elif (
                base not in _KNOWN_SURVEY_COLUMNS
                and not base.startswith(("$", "kobo--"))
                and header not in reported_columns
            ):
                reported_columns.add(str(header))
                why = "sans effet ici" if base in _IGNORED_COLUMNS else "inconnue"
                notes.append(
                    FormIssueNote(
                        f"Colonne « {header} » ignorée ({why}).", "survey", row_number, str(header)
                    )
                )
        if any("last-saved#" in str(v) for v in row.values() if isinstance(v, str)):
            notes.append(
                FormIssueNote(
                    "${last-saved#…} reste vide : il n'y a pas de réponse précédente "
                    "sur un navigateur.",
                    "survey",
                    row_number,
                    None,
                    name,
                )
            )
        if not raw_type:
            continue
        qtype, arg, _ = _fold_type(raw_type)
        if qtype in _DROPPED_TYPES:
            notes.append(
                FormIssueNote(
                    f"Type « {raw_type} » : {_DROPPED_TYPES[qtype]}.",
                    "survey",
                    row_number,
                    "type",
                    name,
                )
            )
            continue
        if qtype not in QUESTION_TYPES and not qtype.startswith(("begin_", "end_")):
            errors.append(
                FormError(
                    f"Type de question inconnu : « {raw_type} ».",
                    sheet="survey",
                    row=row_number,
                    column="type",
                    name=name,
                )
            )
            continue
        if qtype in _EMPTY_META:
            notes.append(
                FormIssueNote(
                    f"Le champ « {raw_type.split()[0]} » restera vide : "
                    "un navigateur ne le fournit pas.",
                    "survey",
                    row_number,
                    "type",
                    name,
                )
            )
        if qtype.endswith("_from_file"):
            if not arg or not _FILE_LIST.search(arg):
                errors.append(
                    FormError(
                        "Indiquez un fichier de liste .csv, .xml ou .geojson après le type.",
                        sheet="survey",
                        row=row_number,
                        column="type",
                        name=name,
                    )
                )
            elif arg not in attachments:
                # Like ODK Central: the form waits as a draft until its files are attached.
                notes.append(
                    FormIssueNote(
                        f"Fichier manquant « {arg} » : le questionnaire peut être essayé, "
                        "mais pas proposé aux habitants avant que ce fichier soit joint.",
                        "survey",
                        row_number,
                        "type",
                        name,
                    )
                )
            else:
                try:
                    _read_list_file(arg, attachments[arg])
                except ValueError as exc:
                    errors.append(
                        FormError(
                            str(exc), sheet="survey", row=row_number, column="type", name=name
                        )
                    )
        elif qtype in ("select_one", "select_multiple", "rank") and arg and arg not in list_names:
            if raw.choices or "choices" in raw.sheet_names:
                errors.append(
                    FormError(
                        f"La liste de choix « {arg} » n'existe pas dans la feuille « choices ».",
                        sheet="survey",
                        row=row_number,
                        column="type",
                        name=name,
                    )
                )
        for column in (*_EXPRESSION_COLUMNS, "required"):
            value = _cell(row, column)
            if not value:
                continue
            if column == "required" and value.strip().lower() in _YES | _NO:
                continue
            errors.extend(
                _check_expression(value, column, row_number, name, names_in_survey, list_names)
            )
        default = _cell(row, "default")
        if default and _looks_dynamic(default):
            errors.extend(
                _check_expression(default, "default", row_number, name, names_in_survey, list_names)
            )
    for index, row in enumerate(raw.choices):
        for header, value in row.items():
            if header is None or value in (None, ""):
                continue
            base, _lang = _split_header(str(header))
            if base in _WARNED_COLUMNS and header not in reported_columns:
                reported_columns.add(str(header))
                notes.append(
                    FormIssueNote(
                        f"Colonne « {header} » ignorée : {_WARNED_COLUMNS[base]}.",
                        "choices",
                        index + 2,
                        str(header),
                        str(row.get("name", "")) or None,
                    )
                )
    return errors, notes


def _cell(row: Mapping[str, Any], column: str) -> str:
    for header, value in row.items():
        if header is None or value in (None, ""):
            continue
        base, lang = _split_header(str(header))
        if base == column and lang is None:
            return str(value).strip()
    return ""


def _looks_dynamic(value: str) -> bool:
    return "${" in value or "(" in value


def _check_expression(
    text: str,
    column: str,
    row: int,
    name: str | None,
    names: Mapping[str, int],
    list_names: set[str],
) -> list[FormError]:
    try:
        expr = ex.parse(text)
    except ExpressionError as exc:
        return [
            FormError(
                f"Expression invalide : {exc}", sheet="survey", row=row, column=column, name=name
            )
        ]
    found: list[FormError] = []
    for ref in sorted(ex.references(expr) - set(names)):
        found.append(
            FormError(
                f"La référence ${{{ref}}} ne correspond à aucune question.",
                sheet="survey",
                row=row,
                column=column,
                name=name,
            )
        )
    return found


# --------------------------------------------------------------------------- list files


def _read_list_file(filename: str, data: bytes) -> list[dict[str, str]]:
    """Read an attached CSV or XML choice list into rows with at least name and label."""
    if filename.lower().endswith(".geojson"):
        return _read_geojson(filename, data)
    if filename.lower().endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(f"Le fichier « {filename} » doit être encodé en UTF-8.") from exc
        sample = text[:2048]
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        rows = [{(k or "").strip(): (v or "").strip() for k, v in r.items()} for r in reader]
    else:
        from defusedxml import ElementTree as SafeET

        try:
            root = SafeET.fromstring(data)
        except Exception as exc:  # noqa: BLE001 - defusedxml raises several error types
            raise ValueError(f"Le fichier « {filename} » n'est pas un XML lisible.") from exc
        rows = []
        for item in root.iter("item"):
            rows.append({child.tag: (child.text or "").strip() for child in item})
    if not rows or "name" not in rows[0]:
        raise ValueError(f"Le fichier « {filename} » doit avoir une colonne « name ».")
    if not any(key.split("::")[0] == "label" for key in rows[0]):
        raise ValueError(f"Le fichier « {filename} » doit avoir une colonne « label ».")
    return rows


def _read_geojson(filename: str, data: bytes) -> list[dict[str, str]]:
    """Features of a GeoJSON FeatureCollection as choices (ODK: `id` and `title` properties)."""
    import json

    try:
        collection = json.loads(data.decode("utf-8-sig"))
        features = collection["features"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"Le fichier « {filename} » n'est pas un GeoJSON lisible.") from exc
    rows: list[dict[str, str]] = []
    for feature in features if isinstance(features, list) else []:
        if not isinstance(feature, dict):
            continue
        props = feature.get("properties") or {}
        name = props.get("id", feature.get("id"))
        if name in (None, ""):
            raise ValueError(f"Le fichier « {filename} » : chaque lieu doit avoir un « id ».")
        row = {str(k): str(v) for k, v in props.items() if isinstance(v, str | int | float)}
        row["name"] = str(name)
        row["label"] = str(props.get("title") or props.get("label") or name)
        geometry = feature.get("geometry") or {}
        if geometry.get("type") == "Point":
            lon, lat = geometry.get("coordinates", [0, 0])[:2]
            row["geometry"] = f"{lat} {lon} 0 0"
        rows.append(row)
    if not rows:
        raise ValueError(f"Le fichier « {filename} » ne contient aucun lieu.")
    return rows


# --------------------------------------------------------------------------- building


def _text_dict(value: Any, default_key: str) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if v not in (None, "")}
    return {default_key: str(value)}


def _parse_parameters(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    params: dict[str, str] = {}
    if isinstance(value, str):
        for part in value.replace(";", " ").replace(",", " ").split():
            key, _, val = part.partition("=")
            if key:
                params[key.strip()] = val.strip()
    return params


class _Builder:
    def __init__(
        self,
        raw: _Raw,
        data: dict[str, Any],
        attachments: Mapping[str, bytes],
        notes: list[FormIssueNote],
    ) -> None:
        self.raw = raw
        self.data = data
        self.attachments = attachments
        self.notes = notes
        self.errors: list[FormError] = []
        self.rows: dict[str, int] = {}
        self.or_other: set[str] = set()
        for index, row in enumerate(raw.survey):
            if row.get("name"):
                self.rows.setdefault(str(row["name"]).strip(), index + 2)
                if _fold_type(str(row.get("type", "")))[2]:
                    self.or_other.add(str(row["name"]).strip())
        self.languages: list[str] = []
        self.choice_lists: dict[str, ChoiceList] = {}
        self.seen_names: set[str] = set()
        self.missing_files: list[str] = []

    def note_language(self, labels: dict[str, str]) -> None:
        for lang in labels:
            if lang != DEFAULT_LANGUAGE_KEY and lang not in self.languages:
                self.languages.append(lang)

    def build(self) -> FormDefinition:
        settings = {str(k): str(v) for k, v in self.raw.settings.items() if v not in (None, "")}
        declared = settings.get("default_language") or ""
        default_key = declared or DEFAULT_LANGUAGE_KEY
        self.default_key = default_key
        for list_name, rows in (self.data.get("choices") or {}).items():
            self.choice_lists[list_name] = self.make_list(list_name, rows)
        questions = [
            q for q in (self.question(c) for c in self.data.get("children", [])) if q is not None
        ]
        default_language = declared
        if not default_language:
            french = [lang for lang in self.languages if language_code(lang) == "fr"]
            if french:
                default_language = french[0]
            elif self.languages:
                default_language = self.languages[0]
            else:
                default_language = DEFAULT_LANGUAGE_KEY
        if default_language != DEFAULT_LANGUAGE_KEY and default_language not in self.languages:
            self.languages.insert(0, default_language)
        languages = sorted(self.languages, key=lambda lang: lang != default_language)
        if self.errors:
            raise FormImportError(self.errors)
        return FormDefinition(
            form_id=str(self.data.get("id_string") or settings.get("form_id") or "form"),
            version=str(self.data.get("version") or settings.get("version") or ""),
            title=str(self.data.get("title") or settings.get("form_title") or ""),
            default_language=default_language,
            languages=languages,
            questions=questions,
            choice_lists=self.choice_lists,
            settings=settings,
            warnings=self.notes,
            attachments=dict(self.attachments),
            missing_files=list(self.missing_files),
        )

    def make_list(self, list_name: str, rows: list[dict[str, Any]]) -> ChoiceList:
        choices = []
        for row in rows:
            labels = _text_dict(row.get("label"), self.default_key)
            self.note_language(labels)
            extra = {
                str(k): str(v)
                for k, v in row.items()
                if k not in ("name", "label", "media") and isinstance(v, str | int | float)
            }
            choices.append(Choice(str(row.get("name", "")), labels, extra))
        return ChoiceList(list_name, tuple(choices))

    def file_list(self, filename: str) -> str:
        key = Path(filename).stem
        if filename not in self.attachments:
            if filename not in self.missing_files:
                self.missing_files.append(filename)
            self.choice_lists.setdefault(key, ChoiceList(key, ()))
            return key
        if key not in self.choice_lists or not self.choice_lists[key].choices:
            rows = _read_list_file(filename, self.attachments[filename])
            choices = []
            for row in rows:
                labels: dict[str, str] = {}
                for column, value in row.items():
                    base, _, lang = column.partition("::")
                    if base == "label" and value:
                        labels[lang.strip() or self.default_key] = value
                extra = {k: v for k, v in row.items() if k != "name" and not k.startswith("label")}
                choices.append(Choice(row["name"], labels, extra))
            self.choice_lists[key] = ChoiceList(key, tuple(choices))
        return key

    def question(self, node: dict[str, Any]) -> Question | None:
        jtype = str(node.get("type", ""))
        name = str(node.get("name", ""))
        control = node.get("control") or {}
        if jtype == "group" and name == "meta" and control.get("bodyless"):
            return None  # pyxform's own instanceID block: the web layer keeps response ids.
        if jtype in ("xml-external", "csv-external", "entity"):
            return None  # declarations, not questions (listed as warnings by _check_raw)
        if jtype == "loop":
            return self.loop(node)
        bind = node.get("bind") or {}
        itemset = node.get("itemset")
        qtype = self.map_type(jtype, itemset)
        if name in self.seen_names:
            # The long answer table is keyed by question name, so names must be form-unique.
            self.errors.append(
                FormError(
                    "Ce nom est déjà utilisé ailleurs dans le questionnaire : "
                    "chaque nom doit être unique.",
                    sheet="survey",
                    row=self.rows.get(name),
                    column="name",
                    name=name,
                )
            )
        self.seen_names.add(name)
        labels = _text_dict(node.get("label"), self.default_key)
        hints = _text_dict(node.get("hint"), self.default_key)
        self.note_language(labels)
        self.note_language(hints)
        required_raw = str(bind.get("required", "")).strip()
        required = required_raw.lower() in _YES
        required_expr = None
        if required_raw and required_raw.lower() not in _YES | _NO:
            required_expr = required_raw
        read_only_raw = str(bind.get("readonly", "")).strip().lower()
        question = Question(
            name=name,
            type=qtype,
            labels=labels,
            hints=hints,
            required=required,
            required_expr=required_expr,
            required_message=_text_dict(bind.get("jr:requiredMsg"), self.default_key),
            constraint=bind.get("constraint") or None,
            constraint_message=_text_dict(bind.get("jr:constraintMsg"), self.default_key),
            relevant=bind.get("relevant") or None,
            calculation=bind.get("calculate") or None,
            default=str(node["default"]) if node.get("default") not in (None, "") else None,
            choice_filter=node.get("choice_filter") or None,
            read_only=read_only_raw in _YES,
            appearance=control.get("appearance") or None,
            parameters=_parse_parameters(node.get("parameters")),
            repeat_count=(control.get("jr:count") or None) if qtype == "repeat" else None,
            row=self.rows.get(name),
            trigger=tuple(str(t) for t in node.get("trigger") or ()),
        )
        if qtype in ("select_one", "select_multiple", "rank"):
            question.list_name = str(node.get("list_name") or itemset or "")
            question.or_other = name in self.or_other
        elif qtype.endswith("_from_file") and itemset:
            question.list_name = self.file_list(str(itemset))
        if qtype == "text" and name.endswith("_other") and isinstance(node.get("label"), str):
            if node["label"] == "Specify other.":
                # pyxform's generated or_other question: give it labels people can read.
                question.labels = self.localised("Précisez :", "Please specify:")
        self.compile(question)
        if qtype in ("group", "repeat"):
            for child in node.get("children") or []:
                built = self.question(child)
                if built is not None:
                    question.children.append(built)
        return question

    def localised(self, french: str, english: str) -> dict[str, str]:
        labels: dict[str, str] = {}
        for lang in self.languages or [self.default_key]:
            labels[lang] = english if language_code(lang) == "en" else french
        return labels

    def loop(self, node: dict[str, Any]) -> Question:
        """`begin loop over list`: one section per choice, names suffixed with its code."""
        import copy

        group = Question(
            name=str(node.get("name", "")),
            type="group",
            labels=_text_dict(node.get("label"), self.default_key),
            relevant=(node.get("bind") or {}).get("relevant") or None,
            row=self.rows.get(str(node.get("name", ""))),
        )
        self.compile(group)
        self.seen_names.add(group.name)
        for column in node.get("columns") or []:
            code = str(column.get("name", ""))
            col_labels = _text_dict(column.get("label"), self.default_key)
            section = Question(
                name=f"{group.name}_{code}", type="group", labels=col_labels, row=group.row
            )
            for child in node.get("children") or []:
                twin = copy.deepcopy(child)
                twin["name"] = f"{child.get('name')}_{code}"
                self.rows.setdefault(twin["name"], self.rows.get(str(child.get("name")), 0))
                twin["label"] = _loop_label(child.get("label"), col_labels, self.default_key)
                built = self.question(twin)
                if built is not None:
                    section.children.append(built)
            group.children.append(section)
        return group

    def map_type(self, jtype: str, itemset: Any) -> str:
        jtype = {"dateTime": "datetime", "select one external": "text"}.get(jtype, jtype)
        from_file = isinstance(itemset, str) and bool(_FILE_LIST.search(itemset))
        if jtype == "select one":
            return "select_one_from_file" if from_file else "select_one"
        if jtype == "select all that apply":
            return "select_multiple_from_file" if from_file else "select_multiple"
        if jtype in ("group", "repeat", "rank"):
            return jtype
        return _TYPE_ALIASES.get(jtype, jtype)

    def compile(self, question: Question) -> None:
        columns = {
            "relevant": question.relevant,
            "constraint": question.constraint,
            "calculation": question.calculation,
            "choice_filter": question.choice_filter,
            "repeat_count": question.repeat_count,
            "required": question.required_expr,
        }
        if question.default and _looks_dynamic(question.default):
            columns["default"] = question.default
        for column, text in columns.items():
            if not text:
                continue
            try:
                question.compiled[column] = ex.parse(text)
            except ExpressionError as exc:
                self.errors.append(
                    FormError(
                        f"Expression invalide : {exc}",
                        sheet="survey",
                        row=question.row,
                        column=column,
                        name=question.name,
                    )
                )
                continue
            for list_name in ex.instance_names(question.compiled[column]):
                if list_name not in self.choice_lists:
                    self.errors.append(
                        FormError(
                            f"instance('{list_name}') : cette liste de choix n'existe pas.",
                            sheet="survey",
                            row=question.row,
                            column=column,
                            name=question.name,
                        )
                    )


def _loop_label(label: Any, column_labels: dict[str, str], default_key: str) -> Any:
    """Fill pyxform's %(label)s placeholder of a loop row with the column's label."""
    if isinstance(label, dict):
        return {
            lang: str(text).replace(
                "%(label)s", column_labels.get(lang) or next(iter(column_labels.values()), "")
            )
            for lang, text in label.items()
        }
    if isinstance(label, str):
        filler = column_labels.get(default_key) or next(iter(column_labels.values()), "")
        return label.replace("%(label)s", filler)
    return label


def _build(
    raw: _Raw,
    data: dict[str, Any],
    attachments: Mapping[str, bytes],
    notes: list[FormIssueNote],
    filename: str | None,
) -> FormDefinition:
    builder = _Builder(raw, data, attachments, notes)
    # Our "other" choice label: pyxform writes an English "Other" in every language.
    form = builder.build()
    for question in form.walk():
        if question.or_other and question.list_name in form.choice_lists:
            clist = form.choice_lists[question.list_name]
            fixed = tuple(
                Choice(c.name, builder.localised("Autre", "Other"), c.extra)
                if c.name == "other" and set(c.labels.values()) == {"Other"}
                else c
                for c in clist.choices
            )
            form.choice_lists[question.list_name] = ChoiceList(clist.name, fixed)
    return form
