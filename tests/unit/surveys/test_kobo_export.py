"""KoboToolbox's export layout: group paths, split geopoints, Kobo's _ columns, media URLs."""

from __future__ import annotations

import datetime as dt

from surveys.exports import ExportResponse
from surveys.kobo_export import iter_kobo_tables
from surveys.xlsform import load_form

FORM = b"""
| survey |
| | type | name | label |
| | begin group | household | Household |
| | integer | hh_size | Size |
| | select_multiple needs | needs | Needs |
| | end group | | |
| | geopoint | home | Home |
| | image | photo | Photo |
| | begin repeat | member | Member |
| | text | member_name | Name |
| | end repeat | | |
| choices |
| | list_name | name | label |
| | needs | caf | CAF |
| | needs | tax | Taxes |
"""


def _responses() -> list[ExportResponse]:
    at = dt.datetime(2024, 5, 6, 9, 30, tzinfo=dt.UTC)
    first = ExportResponse(
        {"response_id": 7, "response_uuid": "u-7", "submitted_at": at, "form_version": "1"},
        [
            ("hh_size", 0, "3"),
            ("needs", 0, "tax"),
            ("home", 0, "43.405 5.048 12 4.5"),
            ("photo", 0, "u-7/photo-ab12.jpg"),
            ("member_name", 1, "Ana"),
            ("member_name", 2, "Léo"),
        ],
    )
    second = ExportResponse(
        {"response_id": 9, "response_uuid": "u-9", "submitted_at": at},
        [("hh_size", 0, "1"), ("member_name", 1, "Zoé")],
    )
    return [first, second]


def _tables() -> dict[str, list[list[object]]]:
    form = load_form(FORM, "kobo.md")
    tables: dict[str, list[list[object]]] = {}
    urls = "https://bus.example.org/admin/questionnaires/medias/".__add__
    for name, row in iter_kobo_tables(form, _responses(), media_url=urls):
        tables.setdefault(name, []).append(row)
    return tables


def test_main_table_has_group_paths_split_geopoint_and_kobo_columns() -> None:
    header, first, second = _tables()["responses"]
    row = dict(zip(header, first, strict=True))
    assert header[:9] == [
        "household/hh_size",
        "household/needs",
        "household/needs/caf",
        "household/needs/tax",
        "home",
        "_home_latitude",
        "_home_longitude",
        "_home_altitude",
        "_home_precision",
    ]
    assert row["household/needs/caf"] == "0" and row["household/needs/tax"] == "1"
    assert (row["_home_latitude"], row["_home_precision"]) == ("43.405", "4.5")
    assert row["photo"] == "https://bus.example.org/admin/questionnaires/medias/u-7/photo-ab12.jpg"
    assert (row["_id"], row["_uuid"], row["_index"]) == (7, "u-7", 1)
    assert row["_submission_time"] == "2024-05-06T09:30:00+00:00"
    assert dict(zip(header, second, strict=True))["_index"] == 2


def test_repeat_rows_point_at_their_parent_index() -> None:
    header, *rows = _tables()["member"]
    assert header == [
        "member/member_name",
        "_index",
        "_parent_table_name",
        "_parent_index",
        "_submission__id",
        "_submission__uuid",
    ]
    assert rows == [
        ["Ana", 1, "responses", 1, 7, "u-7"],
        ["Léo", 2, "responses", 1, 7, "u-7"],
        ["Zoé", 3, "responses", 2, 9, "u-9"],
    ]
