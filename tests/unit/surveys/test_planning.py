"""Programme planner: each rule checked on hand-made needs with hand-worked expectations.

Calendar facts used below: 1 April 2025 is a Tuesday (Wednesdays 2, 9, 16, 23, 30; Thursdays
3, 10, 17, 24), Easter Monday is 21 April 2025; 1 January 2025 is a Wednesday (a holiday).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from surveys.planning import (
    Constraints,
    PlaceNeeds,
    PlanningError,
    Season,
    Service,
    Slot,
    available_half_days,
    easter_sunday,
    french_public_holidays,
    plan_month,
    tally_place_needs,
)

D = dt.date
TAX_SEASON = Season("taxes", (4, 5), 2.0, "c'est la période de la déclaration des revenus", "…")


def cells(slots: list[Slot]) -> list[tuple[dt.date, str]]:
    return [(s.date, s.half_day) for s in slots]


# --------------------------------------------------------------------------- holidays


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (1818, D(1818, 3, 22)),  # earliest possible date
        (1943, D(1943, 4, 25)),  # latest possible date
        (2000, D(2000, 4, 23)),
        (2008, D(2008, 3, 23)),
        (2019, D(2019, 4, 21)),
        (2024, D(2024, 3, 31)),
        (2025, D(2025, 4, 20)),
        (2026, D(2026, 4, 5)),
        (2038, D(2038, 4, 25)),
    ],
)
def test_easter_sunday_known_dates(year: int, easter: dt.date) -> None:
    assert easter_sunday(year) == easter


def test_french_public_holidays_2025() -> None:
    assert french_public_holidays(2025) == {
        D(2025, 1, 1): "Jour de l'an",
        D(2025, 4, 21): "Lundi de Pâques",
        D(2025, 5, 1): "Fête du Travail",
        D(2025, 5, 8): "Victoire 1945",
        D(2025, 5, 29): "Ascension",
        D(2025, 6, 9): "Lundi de Pentecôte",
        D(2025, 7, 14): "Fête nationale",
        D(2025, 8, 15): "Assomption",
        D(2025, 11, 1): "Toussaint",
        D(2025, 11, 11): "Armistice 1918",
        D(2025, 12, 25): "Noël",
    }


def test_movable_holidays_2024() -> None:
    days = french_public_holidays(2024)
    assert days[D(2024, 4, 1)] == "Lundi de Pâques"
    assert days[D(2024, 5, 9)] == "Ascension"
    assert days[D(2024, 5, 20)] == "Lundi de Pentecôte"


def test_easter_before_gregorian_calendar_is_refused() -> None:
    with pytest.raises(PlanningError, match="trop ancienne"):
        easter_sunday(1500)


# --------------------------------------------------------------------------- capacity


def test_april_2025_capacity_skips_weekends_and_easter_monday() -> None:
    free = available_half_days(2025, 4, Constraints())
    # 22 weekdays minus Easter Monday = 21 days, two half-days each.
    assert len(free) == 42
    assert free[:3] == [
        (D(2025, 4, 1), "morning"),
        (D(2025, 4, 1), "afternoon"),
        (D(2025, 4, 2), "morning"),
    ]
    assert all(day != D(2025, 4, 21) and day.weekday() < 5 for day, _ in free)


def test_days_off_and_half_days_reduce_capacity() -> None:
    constraints = Constraints(days_off=frozenset({D(2025, 4, 2)}), half_days=("morning",))
    free = available_half_days(2025, 4, constraints)
    assert len(free) == 20
    assert (D(2025, 4, 2), "morning") not in free


def test_may_2025_thursdays_lose_three_holidays() -> None:
    # Thursdays of May 2025: 1 (Fête du Travail), 8 (Victoire 1945), 15, 22, 29 (Ascension).
    only_thursdays = Constraints(weekdays=("thursday",))
    assert [
        day for day, half in available_half_days(2025, 5, only_thursdays) if half == "morning"
    ] == [
        D(2025, 5, 15),
        D(2025, 5, 22),
    ]
    all_thursdays = Constraints(weekdays=("thursday",), skip_public_holidays=False)
    assert len(available_half_days(2025, 5, all_thursdays)) == 10


# --------------------------------------------------------------------------- the rules


def test_most_needed_theme_of_each_place_gets_a_slot() -> None:
    places = [
        PlaceNeeds("canto_perdrix", "Canto Perdrix", {"caf": 10, "taxes": 8}),
        PlaceNeeds("boudeme", "Boudème", {"school": 6, "caf": 5}),
        PlaceNeeds("ferrieres", "Ferrières", {"energy": 2, "leisure": 1}),
    ]
    slots = plan_month(2025, 1, places, constraints=Constraints(max_slots=3))
    assert sorted((s.place, s.theme) for s in slots) == [
        ("boudeme", "school"),
        ("canto_perdrix", "caf"),
        ("ferrieres", "energy"),
    ]


def test_when_capacity_is_short_the_smallest_place_waits() -> None:
    places = [
        PlaceNeeds("ferrieres", "Ferrières", {"energy": 2, "leisure": 1}),
        PlaceNeeds("canto_perdrix", "Canto Perdrix", {"caf": 10, "taxes": 8}),
        PlaceNeeds("boudeme", "Boudème", {"school": 6, "caf": 5}),
    ]
    slots = plan_month(2025, 1, places, constraints=Constraints(max_slots=2))
    assert sorted((s.place, s.theme) for s in slots) == [
        ("boudeme", "school"),
        ("canto_perdrix", "caf"),
    ]


def test_season_weighting_puts_taxes_first_in_april_only() -> None:
    # 10 tax requests x 2.0 in April = 20 > 12 CAF requests; in January 10 < 12.
    place = PlaceNeeds("lavera", "Lavéra", {"caf": 12, "taxes": 10})
    one = Constraints(max_slots=1)
    april = plan_month(2025, 4, [place], seasons=[TAX_SEASON], constraints=one)
    january = plan_month(2025, 1, [place], seasons=[TAX_SEASON], constraints=one)
    assert [s.theme for s in april] == ["taxes"]
    assert [s.theme for s in january] == ["caf"]
    assert april[0].explanation == (
        "Lavéra, mardi matin : 45 % des demandes y concernent les impôts, "
        "et c'est la période de la déclaration des revenus."
    )
    assert april[0].score == 20.0
    # In English too; the season's clause is French here because TAX_SEASON gives no English.
    assert april[0].explanation_en == (
        "Lavéra, Tuesday morning: 45% of the requests there are about taxes, "
        "and c'est la période de la déclaration des revenus."
    )


def test_shipped_seasons_give_english_reasons() -> None:
    from surveys.planning import load_seasons

    place = PlaceNeeds("lavera", "Lavéra", {"caf": 12, "taxes": 10})
    april = plan_month(
        2025, 4, [place], seasons=load_seasons(), constraints=Constraints(max_slots=1)
    )
    assert april[0].explanation_en == (
        "Lavéra, Tuesday morning: 45% of the requests there are about taxes, "
        "and it is income tax return time."
    )
    assert "déclaration des revenus" in april[0].explanation


def test_season_weighting_moves_visits_between_places() -> None:
    # April: A = 10 taxes x 2 = 20 beats B = 15 CAF, so A's visit comes first; March: B first.
    places = [
        PlaceNeeds("a", "Quartier A", {"taxes": 10}),
        PlaceNeeds("b", "Quartier B", {"caf": 15}),
    ]
    one = Constraints(max_slots=1)
    assert [
        s.place for s in plan_month(2025, 4, places, seasons=[TAX_SEASON], constraints=one)
    ] == ["a"]
    assert [
        s.place for s in plan_month(2025, 3, places, seasons=[TAX_SEASON], constraints=one)
    ] == ["b"]


def test_requested_day_and_half_day_are_preferred_and_visits_spread() -> None:
    place = PlaceNeeds(
        "carro",
        "Carro",
        {"caf": 4},
        days={"thursday": 5, "monday": 1},
        times={"afternoon": 3},
    )
    slots = plan_month(2025, 4, [place], constraints=Constraints(max_slots=2))
    # First Thursday afternoon; the second visit goes 14 days later (spread), not a week later.
    assert cells(slots) == [(D(2025, 4, 3), "afternoon"), (D(2025, 4, 17), "afternoon")]
    assert slots[0].explanation == (
        "Carro, jeudi après-midi : 100 % des demandes y concernent la CAF, "
        "et c'est le créneau le plus demandé."
    )
    # score = 4 (first CAF visit) x (1 + fit 2 / 2); the second CAF visit's quotient is 4/3.
    assert [s.score for s in slots] == [8.0, 2.67]


def test_two_places_wanting_the_same_half_day_take_turns() -> None:
    wants = {"days": {"wednesday": 3}, "times": {"morning": 3}}
    places = [
        PlaceNeeds("small", "Petit quartier", {"caf": 5}, **wants),  # type: ignore[arg-type]
        PlaceNeeds("big", "Grand quartier", {"caf": 10}, **wants),  # type: ignore[arg-type]
    ]
    slots = plan_month(2025, 4, places, constraints=Constraints(max_slots=2))
    assert [(s.date, s.half_day, s.place) for s in slots] == [
        (D(2025, 4, 2), "morning", "big"),
        (D(2025, 4, 9), "morning", "small"),
    ]


def test_fairness_visits_follow_demand_without_starving_small_places() -> None:
    places = [
        PlaceNeeds("a", "A", {"caf": 60}),
        PlaceNeeds("b", "B", {"taxes": 30}),
        PlaceNeeds("c", "C", {"school": 10}),
    ]
    slots = plan_month(2025, 1, places, constraints=Constraints(max_slots=10))
    # Sainte-Laguë: A1 B1 C1 (guaranteed), A2 (20), A3 (12), B2 (10), A4 (8.57), A5 (6.67),
    # B3 (6), A6 (5.45).
    assert Counter(s.place for s in slots) == {"a": 6, "b": 3, "c": 1}


def test_max_visits_caps_a_place_and_min_visits_guarantees() -> None:
    places = [
        PlaceNeeds("a", "A", {"caf": 60}),
        PlaceNeeds("b", "B", {"taxes": 30}),
        PlaceNeeds("c", "C", {"school": 10}, min_visits=2),
    ]
    capped = plan_month(2025, 1, places, constraints=Constraints(max_slots=9, max_visits=4))
    # A1 B1 C1 C2 (C's minimum), A2 A3 B2 A4 (cap), B3 (6 > 3.33).
    assert Counter(s.place for s in capped) == {"a": 4, "b": 3, "c": 2}


def test_themes_inside_a_place_follow_weights_with_stable_ties() -> None:
    place = PlaceNeeds("jonquieres", "Jonquières", {"caf": 50, "taxes": 30, "id_papers": 20})
    slots = plan_month(2025, 1, [place], constraints=Constraints(max_slots=5))
    # caf 50, taxes 30, id_papers 20, caf 16.7, then taxes 10 = caf 10: taxes is first in THEMES.
    assert Counter(s.theme for s in slots) == {"caf": 2, "taxes": 2, "id_papers": 1}


def test_no_double_booking_and_services_respected() -> None:
    places = [
        PlaceNeeds(
            f"p{i}", f"Lieu {i}", {"caf": 3 + i, "taxes": 2 * i, "energy": 1}, days={"tuesday": i}
        )
        for i in range(1, 6)
    ]
    services = [
        Service("caf13", "la CAF", ("caf",), weekdays=("tuesday", "thursday"), max_slots=3),
        Service("dgfip", "les Finances publiques", ("taxes",), half_days=("morning",), max_slots=2),
        Service(
            "ccas", "le CCAS", ("energy", "caf"), max_slots=2, days_off=frozenset({D(2025, 4, 8)})
        ),
    ]
    slots = plan_month(2025, 4, places, services=services)
    assert len(slots) == 42
    assert len(set(cells(slots))) == len(slots)  # one place per half-day for the one bus
    by_code = {s.code: s for s in services}
    used = Counter(s.service for s in slots if s.service)
    assert used["caf13"] == 3 and used["dgfip"] == 2 and used["ccas"] == 2
    booked = [(s.service, s.date, s.half_day) for s in slots if s.service]
    assert len(set(booked)) == len(booked)  # a service is never in two places at once
    for slot in slots:
        if slot.service:
            service = by_code[slot.service]
            assert slot.theme in service.themes
            assert ("monday", "tuesday", "wednesday", "thursday", "friday")[
                slot.date.weekday()
            ] in service.weekdays
            assert slot.half_day in service.half_days
            assert slot.date not in service.days_off
    assert slots == sorted(slots, key=lambda s: (s.date, s.half_day != "morning"))


def test_service_comes_aboard_when_available_then_plain_slot() -> None:
    place = PlaceNeeds(
        "canto_perdrix",
        "Canto Perdrix",
        {"caf": 10},
        days={"wednesday": 4, "tuesday": 2},
        times={"morning": 1},
    )
    caf = Service(
        "caf13",
        "CAF des Bouches-du-Rhône",
        ("caf",),
        weekdays=("tuesday",),
        half_days=("morning",),
        max_slots=1,
    )
    slots = plan_month(2025, 4, [place], services=[caf], constraints=Constraints(max_slots=2))
    # Tuesday morning: 0.5 + 1 + service 1 + 0.5 = 3.0 beats Wednesday morning 2.5.
    # Then the service is used up: Wednesday morning 14+ days away (2.5) wins.
    assert [(s.date, s.half_day, s.service) for s in slots] == [
        (D(2025, 4, 1), "morning", "caf13"),
        (D(2025, 4, 16), "morning", None),
    ]
    assert slots[0].explanation == (
        "Canto Perdrix, mardi matin : 100 % des demandes y concernent la CAF ; "
        "CAF des Bouches-du-Rhône sera à bord."
    )
    assert slots[1].explanation == (
        "Canto Perdrix, mercredi matin : 100 % des demandes y concernent la CAF, "
        "et c'est le créneau le plus demandé."
    )


def test_service_day_off_moves_it_to_next_week() -> None:
    place = PlaceNeeds(
        "canto_perdrix",
        "Canto Perdrix",
        {"caf": 10},
        days={"wednesday": 4, "tuesday": 2},
        times={"morning": 1},
    )
    caf = Service(
        "caf13",
        "CAF",
        ("caf",),
        weekdays=("tuesday",),
        half_days=("morning",),
        days_off=frozenset({D(2025, 4, 1)}),
    )
    slots = plan_month(2025, 4, [place], services=[caf], constraints=Constraints(max_slots=1))
    assert [(s.date, s.service) for s in slots] == [(D(2025, 4, 8), "caf13")]


def test_least_used_service_is_chosen_among_equals() -> None:
    place = PlaceNeeds("ile", "L'Île", {"energy": 10})
    services = [
        Service("ccas", "le CCAS", ("energy",)),
        Service("edf", "un fournisseur", ("energy",)),
    ]
    slots = plan_month(2025, 4, [place], services=services, constraints=Constraints(max_slots=3))
    assert [s.service for s in slots] == ["ccas", "edf", "ccas"]


def test_days_off_and_holidays_are_never_planned() -> None:
    place = PlaceNeeds(
        "mas_de_pouane", "Mas de Pouane", {"school": 3}, days={"monday": 2}, times={"morning": 1}
    )
    off = frozenset({D(2025, 4, 7), D(2025, 4, 14)})
    slots = plan_month(2025, 4, [place], constraints=Constraints(days_off=off, max_slots=2))
    # The only Monday left is 28 April (21 is Easter Monday); then the farthest morning.
    assert cells(slots) == [(D(2025, 4, 1), "morning"), (D(2025, 4, 28), "morning")]
    full = plan_month(2025, 4, [place], constraints=Constraints(days_off=off))
    assert len(full) == 38
    assert not {s.date for s in full} & (off | {D(2025, 4, 21)})


def test_exact_explanation_of_the_issue_example() -> None:
    place = PlaceNeeds(
        "canto_perdrix",
        "Canto Perdrix",
        {"caf": 38, "taxes": 32, "id_papers": 30},
        days={"wednesday": 12, "monday": 3},
        times={"morning": 9, "afternoon": 4},
    )
    slots = plan_month(2025, 1, [place], constraints=Constraints(max_slots=1))
    # 1 January is a holiday, so the first Wednesday is the 8th.
    assert slots == [
        Slot(
            date=D(2025, 1, 8),
            half_day="morning",
            place="canto_perdrix",
            theme="caf",
            service=None,
            score=76.0,
            explanation=(
                "Canto Perdrix, mercredi matin : 38 % des demandes y concernent la CAF, "
                "et c'est le créneau le plus demandé."
            ),
            explanation_en=(
                "Canto Perdrix, Wednesday morning: 38% of the requests there are about the CAF, "
                "and it is the most requested slot."
            ),
        )
    ]


def test_explanation_wording_for_day_ties_and_rounding() -> None:
    place = PlaceNeeds("ile", "L'Île", {"caf": 1, "other": 7}, days={"tuesday": 2, "friday": 2})
    slots = plan_month(2025, 4, [place], constraints=Constraints(max_slots=4))
    # Themes: other 7, other 2.33, other 1.4, then other 1 = caf 1 (caf first in THEMES).
    # Days: Tuesday 1st, then 14+ days away (15th, 29th), then the 8th (7 days from both).
    assert [(s.date.day, s.theme) for s in slots] == [
        (1, "other"),
        (8, "caf"),
        (15, "other"),
        (29, "other"),
    ]
    assert {s.half_day for s in slots} == {"morning"}
    assert slots[0].explanation == (
        "L'Île, mardi matin : 88 % des demandes y concernent d'autres démarches, "
        "et c'est l'un des jours les plus demandés."
    )
    assert slots[1].explanation == (
        "L'Île, mardi matin : 13 % des demandes y concernent la CAF, "
        "et c'est l'un des jours les plus demandés."
    )


def test_deterministic_whatever_the_input_order() -> None:
    places = [
        PlaceNeeds("b", "B", {"caf": 5, "taxes": 5}, days={"friday": 1}),
        PlaceNeeds("a", "A", {"caf": 5, "taxes": 5}, days={"friday": 1}),
        PlaceNeeds("c", "C", {"leisure": 2}),
    ]
    first = plan_month(2025, 6, places)
    assert first == plan_month(2025, 6, list(reversed(places)))
    # Equal demand: "a" comes before "b" and takes the first Friday.
    assert [(s.date, s.place) for s in first if s.date.weekday() == 4][:2] == [
        (D(2025, 6, 6), "a"),
        (D(2025, 6, 6), "b"),
    ]


def test_places_without_requests_and_zero_capacity() -> None:
    places = [PlaceNeeds("a", "A", {"caf": 0}), PlaceNeeds("b", "B", {})]
    assert plan_month(2025, 4, places) == []
    assert (
        plan_month(
            2025, 4, [PlaceNeeds("c", "C", {"caf": 1})], constraints=Constraints(max_slots=0)
        )
        == []
    )


def test_bad_input_lists_every_problem_in_french() -> None:
    places = [
        PlaceNeeds("a", "A", {"caf": -1, "impots": 2, "taxes": True}),  # type: ignore[dict-item]
        PlaceNeeds("a", "A", {"caf": 1}, days={"dimanche": 1}, min_visits=3, max_visits=2),
    ]
    services = [Service("s", "S", ("cantine",), weekdays=("funday",))]
    with pytest.raises(PlanningError) as error:
        plan_month(2025, 13, places, services=services)
    assert error.value.messages == [
        "Le mois doit être compris entre 1 et 12 (reçu : 13).",
        "Lieu « a » : le nombre pour « caf » doit être un entier positif ou nul.",
        "Lieu « a » : le thème « impots » n'existe pas.",
        "Lieu « a » : le nombre pour « taxes » doit être un entier positif ou nul.",
        "Lieu « a » apparaît deux fois.",
        "Lieu « a » : le jour « dimanche » n'existe pas.",
        "Lieu « a » : le minimum de passages (3) dépasse le maximum (2).",
        "Service « s » : le thème « cantine » n'existe pas.",
        "Service « s » : le jour « funday » n'existe pas.",
    ]


def test_bad_constraints_are_reported() -> None:
    with pytest.raises(PlanningError) as error:
        available_half_days(2025, 4, Constraints(weekdays=("lundi",), half_days=("evening",)))
    assert error.value.messages == [
        "Jour de travail inconnu : « lundi ».",
        "Demi-journée inconnue : « evening » (matin : morning, après-midi : afternoon).",
    ]


# --------------------------------------------------------------------------- from answers


def test_tally_place_needs_counts_answers_and_pass_results() -> None:
    responses = [
        {
            "place": "boudeme",
            "needs": "caf taxes",
            "wished_services": "caf leisure",
            "preferred_days": "wednesday",
            "preferred_times": "morning lunchtime",
        },
        {
            "place": "boudeme",
            "needs": "caf",
            "preferred_days": "wednesday friday",
            "preferred_times": "afternoon evening",
        },
        {"place": "carro", "needs": "school", "preferred_days": None, "preferred_times": ""},
        {"place": None, "needs": "caf"},
    ]
    names = {"boudeme": "Boudème", "carro": "Carro"}
    tallied = tally_place_needs(responses, names, weak_pass={"carro": 4, "boudeme": 0})
    assert tallied == [
        PlaceNeeds(
            "boudeme",
            "Boudème",
            {"taxes": 1, "caf": 2, "leisure": 1},
            days={"wednesday": 2, "friday": 1},
            times={"morning": 1, "afternoon": 1},
        ),
        PlaceNeeds("carro", "Carro", {"school": 1, "digital_skills": 4}),
    ]


def test_tally_place_needs_refuses_unknown_codes_and_missing_names() -> None:
    responses = [{"place": "lavera", "needs": "impots", "preferred_days": "sunday funday"}]
    with pytest.raises(PlanningError) as error:
        tally_place_needs(responses, {}, weak_pass={"lavera": -2})
    assert error.value.messages == [
        "Réponse n° 1 : le thème « impots » n'existe pas.",
        "Réponse n° 1 : le jour « funday » n'existe pas.",
        "Pass, lieu « lavera » : le nombre doit être un entier positif ou nul.",
        "Lieu « lavera » : il manque son nom en français.",
    ]


def test_explanation_wording_for_half_day_only_and_day_only() -> None:
    afternoons = PlaceNeeds("x", "La Couronne", {"caf": 2}, times={"afternoon": 2})
    (slot,) = plan_month(2025, 4, [afternoons], constraints=Constraints(max_slots=1))
    assert (slot.date, slot.half_day) == (D(2025, 4, 1), "afternoon")
    assert slot.explanation == (
        "La Couronne, mardi après-midi : 100 % des demandes y concernent la CAF, "
        "et c'est le moment de la journée le plus demandé."
    )
    fridays = PlaceNeeds("y", "Saint-Pierre", {"caf": 2}, days={"friday": 3}, times={"morning": 2})
    only_afternoons = Constraints(max_slots=1, half_days=("afternoon",))
    (slot,) = plan_month(2025, 4, [fridays], constraints=only_afternoons)
    assert (slot.date, slot.half_day) == (D(2025, 4, 4), "afternoon")
    assert slot.explanation == (
        "Saint-Pierre, vendredi après-midi : 100 % des demandes y concernent la CAF, "
        "et c'est le jour le plus demandé."
    )
