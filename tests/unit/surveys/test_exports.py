"""Streaming CSV/XLSX exports and writing forms back to XLSForm."""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import load_workbook

from surveys import exports as X
from surveys.model import FormDefinition
from surveys.xlsform import load_form, validate_with_pyxform

SUBMITTED = dt.datetime(2024, 5, 6, 9, 30, tzinfo=dt.UTC)


def _responses(form: FormDefinition) -> list[X.ExportResponse]:
    return [
        X.ExportResponse(
            {
                "response_id": 1,
                "form_id": form.form_id,
                "submitted_at": SUBMITTED,
                "is_demo": False,
            },
            [
                ("consent", 0, "yes"),
                ("water_problems", 0, "taste other"),
                ("member_name", 1, "Ana"),
                ("member_age", 1, "41"),
                ("member_name", 2, "Léo"),
            ],
        ),
        X.ExportResponse({"response_id": 2, "is_demo": True}, [("consent", 0, "no")]),
    ]


def test_csv_one_row_per_response_with_kobo_choice_columns(household: FormDefinition) -> None:
    lines = list(
        X.iter_csv(household, _responses(household), meta_columns=("response_id", "is_demo"))
    )
    header = lines[0].rstrip("\r\n").split(",")
    assert header[:4] == ["response_id", "is_demo", "start", "end"]
    i = header.index("water_problems")
    assert header[i : i + 4] == [
        "water_problems",
        "water_problems/taste",
        "water_problems/shortage",
        "water_problems/other",
    ]
    first = lines[1].rstrip("\r\n").split(",")
    assert first[:2] == ["1", "0"]
    assert first[i : i + 4] == ["taste other", "1", "0", "1"]
    second = lines[2].rstrip("\r\n").split(",")
    assert second[i : i + 4] == ["", "", "", ""]  # unanswered: no 0/1 either
    assert len(lines) == 3


def test_csv_repeat_table(household: FormDefinition) -> None:
    text = "".join(X.iter_csv(household, _responses(household), table="roster"))
    assert text == (
        "response_id,repeat_index,member_name,member_sex,member_age\r\n1,1,Ana,,41\r\n1,2,Léo,,\r\n"
    )


def test_labels_in_a_chosen_language(household: FormDefinition) -> None:
    lines = list(
        X.iter_csv(
            household,
            _responses(household),
            use_labels=True,
            language="fr",
            meta_columns=("response_id",),
        )
    )
    header, first, _second = csv.reader(lines)
    assert "Acceptez-vous de participer ?" in header
    assert "Problèmes d'eau/Mauvais goût" in header
    row = dict(zip(header, first, strict=True))
    assert row["Acceptez-vous de participer ?"] == "Oui"
    assert row["Problèmes d'eau"] == "Mauvais goût, Autre"


def test_exports_are_lazy(household: FormDefinition) -> None:
    consumed = []

    def endless():  # type: ignore[no-untyped-def]
        n = 0
        while True:
            n += 1
            consumed.append(n)
            yield X.ExportResponse({"response_id": n}, [("consent", 0, "yes")])

    stream = X.iter_csv(household, endless())
    next(stream), next(stream), next(stream)
    assert consumed == [1, 2]


def test_xlsx_has_a_sheet_per_repeat(household: FormDefinition) -> None:
    out = io.BytesIO()
    X.write_xlsx(household, _responses(household), out)
    workbook = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    assert workbook.sheetnames == ["responses", "roster"]
    rows = list(workbook["responses"].iter_rows(values_only=True))
    assert rows[1][0] == 1 and rows[1][7] == "2024-05-06T09:30:00+00:00" and len(rows) == 3
    roster = list(workbook["roster"].iter_rows(values_only=True))
    assert roster[1][:3] == (1, 1, "Ana")
    workbook.close()


def test_form_round_trips_through_xlsform(
    logic: FormDefinition, all_types: FormDefinition, household: FormDefinition
) -> None:
    for form in (logic, all_types, household):
        data = X.form_to_xlsform(form)
        assert "<h:title>" in validate_with_pyxform(data, filename="again.xlsx")
        again = load_form(data, filename="again.xlsx", attachments=form.attachments)
        assert (again.form_id, again.version, again.title) == (
            form.form_id,
            form.version,
            form.title,
        )
        assert again.languages == form.languages
        assert again.choice_lists == form.choice_lists
        before = [
            (
                q.name,
                q.type,
                q.labels,
                q.hints,
                q.relevant,
                q.constraint,
                q.calculation,
                q.required,
                q.parameters,
                q.repeat_count,
                q.choice_filter,
                q.or_other,
                q.default,
                q.read_only,
                q.appearance,
            )
            for q in form.walk()
        ]
        after = [
            (
                q.name,
                q.type,
                q.labels,
                q.hints,
                q.relevant,
                q.constraint,
                q.calculation,
                q.required,
                q.parameters,
                q.repeat_count,
                q.choice_filter,
                q.or_other,
                q.default,
                q.read_only,
                q.appearance,
            )
            for q in again.walk()
        ]
        assert after == before
