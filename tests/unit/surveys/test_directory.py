"""'Who to ask' directory: shipped data, validation, search by theme and accent-free text."""

from __future__ import annotations

from pathlib import Path

import pytest

from surveys.directory import (
    Directory,
    DirectoryEntry,
    DirectoryError,
    for_needs,
    load_directory,
    normalize,
    parse_directory,
    search,
)
from surveys.planning import THEMES

# The only phone numbers the demo data may hold: well-known national lines.
NATIONAL_NUMBERS = {"3230", "3646", "3949", "0 809 401 401", "34 00", "3960", "39 39"}


def entry(code: str, themes: list[str], scope: str = "local", **fields: str) -> dict[str, object]:
    return {
        "code": code,
        "name": fields.pop("name", code.title()),
        "description": fields.pop("description", "Aide."),
        "themes": themes,
        "scope": scope,
        **fields,
    }


SMALL = parse_directory(
    {
        "is_demo": False,
        "notice": "Vérifié.",
        "entries": [
            entry("impots_web", ["taxes"], "national", name="Impôts en ligne"),
            entry("centre_impots", ["taxes"], name="Centre des Finances publiques"),
            entry(
                "guichet",
                ["taxes", "caf", "id_papers"],
                name="Guichet unique",
                description="Démarches : carte d'identité, allocations.",
            ),
            entry("ecole", ["school"], name="Service Éducation", where="Hôtel de Ville"),
        ],
    }
)


def codes(entries: list[DirectoryEntry]) -> list[str]:
    return [e.code for e in entries]


def test_shipped_directory_is_demo_with_only_known_national_numbers() -> None:
    directory = load_directory()
    assert directory.is_demo is True
    assert "à vérifier" in directory.notice
    assert len(directory.entries) >= 15
    assert not any(e.checked for e in directory.entries)
    assert {e.phone for e in directory.entries if e.phone} <= NATIONAL_NUMBERS
    assert all(not e.website or e.website.startswith("https://") for e in directory.entries)
    # Every theme has somebody to ask.
    covered = {t for e in directory.entries for t in e.themes}
    assert covered == set(THEMES)


def test_shipped_directory_answers_the_usual_needs() -> None:
    directory = load_directory()
    by_code = {e.code: e for e in directory.entries}
    assert by_code["finances_publiques"].phone == "0 809 401 401"
    assert by_code["caf_13"].phone == "3230"
    assert by_code["cpam_13"].phone == "3646"
    assert by_code["france_travail"].phone == "3949"
    assert "finances_publiques" in codes(search(directory, theme="taxes"))
    assert codes(search(directory, text="ameli"))[0] == "cpam_13"
    assert codes(search(directory, text="caf"))[0] == "caf_13"
    assert "ants" in codes(search(directory, text="PASSEPORT"))


def test_search_by_theme_puts_local_entries_first_then_file_order() -> None:
    assert codes(search(SMALL, theme="taxes")) == ["centre_impots", "guichet", "impots_web"]
    assert codes(search(SMALL, theme="school")) == ["ecole"]
    assert codes(search(SMALL, theme="energy")) == []
    assert codes(search(SMALL)) == ["centre_impots", "guichet", "ecole", "impots_web"]


def test_text_search_ignores_case_accents_and_punctuation() -> None:
    # Name matches first ("Impôts en ligne"), then the others, local first.
    assert codes(search(SMALL, text="impot")) == ["impots_web", "centre_impots", "guichet"]
    assert codes(search(SMALL, text="IMPÔTS")) == ["impots_web", "centre_impots", "guichet"]
    assert codes(search(SMALL, text="ecole")) == ["ecole"]
    assert codes(search(SMALL, text="hotel de ville")) == ["ecole"]
    assert codes(search(SMALL, text="carte d'IDENT")) == ["guichet"]
    # Every word must match, as a word start.
    assert codes(search(SMALL, text="impot ecole")) == []
    assert codes(search(SMALL, text="mpot")) == []
    assert codes(search(SMALL, theme="caf", text="allocation")) == ["guichet"]


def test_for_needs_ranks_by_needs_covered() -> None:
    assert codes(for_needs(SMALL, ["caf", "taxes", "caf"])) == [
        "guichet",
        "centre_impots",
        "impots_web",
    ]
    assert codes(for_needs(SMALL, [])) == []


def test_unknown_theme_is_a_french_error() -> None:
    with pytest.raises(DirectoryError) as error:
        search(SMALL, theme="impots")
    assert error.value.messages == ["Le thème « impots » n'existe pas."]
    with pytest.raises(DirectoryError):
        for_needs(SMALL, ["caf", "cantine"])


def test_normalize_and_phone_link() -> None:
    assert normalize("  Œuvres d'Été — n°1 ") == "oeuvres d ete n 1"
    centre = DirectoryEntry("c", "C", "D.", ("taxes",), "local", phone="0 809 401 401")
    assert centre.phone_uri == "tel:0809401401"
    assert DirectoryEntry("c", "C", "D.", ("taxes",), "local").phone_uri == ""


def test_parse_keeps_fields() -> None:
    directory = parse_directory(
        {
            "entries": [
                entry(
                    "caf_13",
                    ["caf"],
                    phone="3230",
                    phone_note="service gratuit",
                    website="https://www.caf.fr",
                    when="sur rendez-vous",
                )
            ]
        }
    )
    assert directory == Directory(
        entries=(
            DirectoryEntry(
                code="caf_13",
                name="Caf_13",
                description="Aide.",
                themes=("caf",),
                scope="local",
                when="sur rendez-vous",
                phone="3230",
                phone_note="service gratuit",
                website="https://www.caf.fr",
            ),
        ),
        is_demo=True,
        notice="",
    )


def test_parse_lists_every_problem() -> None:
    data = {
        "is_demo": "yes",
        "entries": [
            entry("Bad Code", ["caf"]),
            entry("a", ["impots"], scope="regional"),
            entry("b", [], phone="01 23 ab", website="http://example.org"),
            {**entry("c", ["caf"]), "phone": 3230, "checked": "oui", "fax": "x"},
            entry("d", ["caf"], name=""),
            entry("ok", ["caf"]),
            entry("ok", ["taxes"]),
            "France Services",
        ],
    }
    with pytest.raises(DirectoryError) as error:
        parse_directory(data, "annuaire.yaml")
    assert error.value.messages == [
        "annuaire.yaml, entrée n° 1 : « code » doit être en minuscules, chiffres et _.",
        "annuaire.yaml, entrée n° 2 : « scope » doit être local ou national.",
        "annuaire.yaml, entrée n° 2 : le thème « impots » n'existe pas.",
        "annuaire.yaml, entrée n° 3 : numéro de téléphone illisible « 01 23 ab ».",
        "annuaire.yaml, entrée n° 3 : le site doit commencer par https://.",
        "annuaire.yaml, entrée n° 3 : « themes » doit être une liste de thèmes.",
        "annuaire.yaml, entrée n° 4 : champ inconnu « fax ».",
        "annuaire.yaml, entrée n° 4 : écrivez le numéro de téléphone entre guillemets.",
        "annuaire.yaml, entrée n° 4 : « checked » doit valoir true ou false.",
        "annuaire.yaml, entrée n° 5 : « name » est obligatoire.",
        "annuaire.yaml, entrée n° 7 : le code « ok » est en double.",
        "annuaire.yaml, entrée n° 8 : chaque entrée doit avoir des champs (code, name…).",
        "annuaire.yaml : « is_demo » doit valoir true ou false.",
    ]


def test_load_reports_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError) as error:
        load_directory(tmp_path / "absent.yaml")
    assert error.value.messages == ["L'annuaire « absent.yaml » est introuvable."]
    broken = tmp_path / "broken.yaml"
    broken.write_text("entries: [\n  - code: x\n", encoding="utf-8")
    with pytest.raises(DirectoryError, match="broken.yaml n'est pas un YAML lisible"):
        load_directory(broken)
    with pytest.raises(DirectoryError) as error:
        parse_directory({"entrees": []})
    assert error.value.messages == ["directory.yaml : il faut une liste « entries »."]
