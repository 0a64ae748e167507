"""The logbook's pure parts: procedures search, themes of a visit, figures under the k = 5 rule."""

from __future__ import annotations

import datetime as dt

from surveys import journal


def test_search_ignores_accents_and_case_and_needs_every_word() -> None:
    found = [p.code for p in journal.search_procedures("carte vitale")]
    assert found == ["ameli_vitale"]
    assert [p.code for p in journal.search_procedures("DÉCLARATION impot")] == ["taxes_return"]
    assert {p.code for p in journal.search_procedures("apl")} == {"caf_housing_aid"}
    assert journal.search_procedures("") == list(journal.PROCEDURES)


def test_visit_themes_from_procedures_and_direct_themes_in_shared_order() -> None:
    themes = journal.visit_themes(["france_travail_update", "caf_declaration"], ["leisure", "nope"])
    assert themes == ["caf", "job_seeking", "leisure"]
    assert journal.visit_themes(["unknown"]) == []


def test_every_procedure_belongs_to_a_shared_theme() -> None:
    from surveys import labels

    assert all(p.theme in labels.THEMES for p in journal.PROCEDURES)
    assert len(set(journal.PROCEDURE_CODES)) == len(journal.PROCEDURES)


def _visit(
    day: int, outcome: str, place: str = "Canto Perdrix", lives: str = ""
) -> journal.VisitRow:
    return journal.VisitRow(
        date=dt.date(2026, 11, day),
        place=place,
        neighbourhood=lives,
        themes=("caf",),
        procedures=("caf_declaration",),
        outcome=outcome,
        minutes=10,
    )


def test_figures_hide_every_count_under_five() -> None:
    visits = [_visit(2, "solved", lives="Boudème") for _ in range(6)]
    visits += [_visit(3, "referred", place="Ferrières", lives="Boudème") for _ in range(2)]
    start = dt.datetime(2026, 11, 3, 10, tzinfo=dt.UTC)
    referrals = [
        journal.ReferralRow(created=start, closed=start + dt.timedelta(days=d), status="solved")
        for d in (1, 2, 3, 4, 10)
    ] + [journal.ReferralRow(created=start, closed=None, status="open")]
    figures = journal.journal_figures(visits, referrals)
    assert figures.visits == 8 and not figures.hidden
    assert figures.per_day == [(dt.date(2026, 11, 2), 6), (dt.date(2026, 11, 3), None)]
    assert figures.per_place == [("Canto Perdrix", 6), ("Ferrières", None)]
    shares = {share.code: (share.count, share.percent) for share in figures.outcomes}
    assert shares["solved"] == (6, 75)
    assert shares["referred"] == (None, None)
    assert figures.top_procedures == [
        ("Boudème", [("CAF : déclaration trimestrielle, RSA, prime d'activité", 8)])
    ]
    assert figures.referrals == 6
    assert figures.referrals_open is None  # one open referral: fewer than 5
    assert figures.referral_days_median == 3.0


def test_figures_of_a_quiet_period_are_hidden() -> None:
    figures = journal.journal_figures([_visit(2, "solved") for _ in range(4)], [])
    assert figures.hidden and figures.referral_days_median is None


def test_theme_demand_counts_a_theme_once_per_visit() -> None:
    demand = journal.theme_demand([("n1", ["caf", "caf", "taxes"]), ("n1", ["caf"]), ("", ["caf"])])
    assert demand == {"n1": {"caf": 2, "taxes": 1}}
