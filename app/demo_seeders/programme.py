"""Demo programme: demo partners, and published programmes for this month and the next.

This month's programme starts today (the planner never proposes a day already past), so the
public calendar and its feed have stops to show on the day the demo is installed.

The month is planned from whatever needs the database holds (the questionnaire and Pass demo
seeders run first); on an empty database it falls back to small plausible needs in a few
neighbourhoods. Everything it creates is marked ``is_demo`` and removed by ``remove``, except
neighbourhood rows it had to add (shared reference data, without a demo flag).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import delete, exists, select

from app.extensions import db
from app.models.programme import Programme, Service, Slot, Theme
from app.models.surveys import Neighbourhood
from app.services import programme as svc
from surveys import labels, planning

ORDER = 40

_WEEK = list(planning.WORKING_WEEKDAYS)
# name, what they do, themes, weekdays, half-days, max half-days a month
DEMO_SERVICES: list[tuple[str, str, list[str], list[str], list[str], int]] = [
    (
        "CAF des Bouches-du-Rhône (démo)",
        "Dossiers d'allocations, prime d'activité, RSA, aide au logement.",
        ["caf", "housing"],
        ["tuesday", "thursday"],
        ["morning", "afternoon"],
        4,
    ),
    (
        "Centre des finances publiques (démo)",
        "Déclaration des revenus, avis d'impôt, espace particulier.",
        ["taxes"],
        ["monday", "wednesday", "friday"],
        ["morning"],
        4,
    ),
    (
        "Assurance maladie – CPAM (démo)",
        "Carte Vitale, compte Ameli, complémentaire santé solidaire.",
        ["health_insurance"],
        ["wednesday", "thursday"],
        ["afternoon"],
        3,
    ),
    (
        "France Travail (démo)",
        "Inscription, actualisation, CV et candidatures en ligne.",
        ["job_seeking"],
        ["monday", "tuesday"],
        ["morning", "afternoon"],
        3,
    ),
    (
        "Mairie – État civil (démo)",
        "Rendez-vous carte d'identité et passeport, actes d'état civil.",
        ["id_papers", "civil_status"],
        _WEEK,
        ["morning"],
        4,
    ),
]

# Small plausible needs when no questionnaire nor Pass exists yet.
FALLBACK_NEEDS: dict[str, dict[str, int]] = {
    "canto_perdrix": {"caf": 9, "health_insurance": 4, "digital_skills": 5, "housing": 3},
    "boudeme": {"taxes": 4, "id_papers": 5, "digital_skills": 3},
    "mas_de_pouane": {"job_seeking": 6, "caf": 4, "energy": 2},
    "ferrieres": {"pension": 4, "health_insurance": 5, "taxes": 3},
    "jonquieres": {"school": 3, "caf": 3, "id_papers": 2},
    "carro": {"digital_skills": 4, "pension": 3},
}
# Where the bus parks in each neighbourhood (plausible demo places, not official addresses).
DEMO_STOPS: dict[str, tuple[str, str]] = {
    "canto_perdrix": ("Parking de la Maison de quartier", "Avenue Marcel Cachin"),
    "boudeme": ("Place devant le groupe scolaire", "Chemin de Boudème"),
    "mas_de_pouane": ("Parking du centre social", "Boulevard du 14 Juillet"),
    "ferrieres": ("Place des Aires", "Place des Aires"),
    "jonquieres": ("Cours du 4 Septembre", "Cours du 4 Septembre"),
    "ile": ("Quai Brescon", "Quai Brescon"),
    "croix_sainte": ("Parking du gymnase", "Avenue Émile Zola"),
    "notre_dame_des_marins": ("Place de l'église", "Chemin de Notre-Dame-des-Marins"),
    "paradis_saint_roch": ("Parking de la résidence", "Rue du Paradis"),
    "carro": ("Parking du port", "Quai Jean Verandy"),
    "la_couronne": ("Place de la gare", "Avenue de la Gare"),
    "lavera": ("Parking de l'école", "Avenue de Lavéra"),
    "saint_pierre": ("Place du village", "Route de Saint-Pierre"),
}
FALLBACK_DAYS: dict[str, int] = {"tuesday": 3, "wednesday": 4, "friday": 2}
FALLBACK_TIMES: dict[str, int] = {"morning": 5, "afternoon": 3}


def _fallback_needs() -> list[planning.PlaceNeeds]:
    places = []
    for code, needs in FALLBACK_NEEDS.items():
        row = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == code))
        if row is None:
            row = Neighbourhood(code=code, name=labels.NEIGHBOURHOOD_LABELS[code])
            db.session.add(row)
            db.session.flush()
        places.append(
            planning.PlaceNeeds(
                code=f"n{row.id}",
                name=row.name,
                needs=needs,
                days=FALLBACK_DAYS,
                times=FALLBACK_TIMES,
            )
        )
    return places


def _months(today: date) -> list[tuple[int, int]]:
    return [(today.year, today.month), svc.next_month(today)]


def seed(echo: Callable[[str], object], responses: int | None = None) -> None:
    """Publish demo programmes for this month and the next (a month that has one is kept)."""
    today = svc.paris_today()
    months = [m for m in _months(today) if svc.get_programme(db.session, *m) is None]
    for year, month in _months(today):
        if (year, month) not in months:
            echo(f"Programme for {svc.month_label(year, month)} already exists")
    if not months:
        return
    existing = set(db.session.scalars(select(Theme.code)))
    themes = svc.ensure_themes(db.session)
    for code, theme in themes.items():
        if code not in existing:
            theme.is_demo = True
    for name, description, codes, weekdays, half_days, most in DEMO_SERVICES:
        if db.session.scalar(select(Service).where(Service.name == name)) is None:
            db.session.add(
                Service(
                    name=name,
                    description=description,
                    themes=[themes[code] for code in codes],
                    referent_name="Référent de démonstration",
                    referent_phone="04 00 00 00 00",
                    referent_email="referent@example.org",
                    weekdays=weekdays,
                    half_days=half_days,
                    max_slots_per_month=most,
                    is_demo=True,
                )
            )
    db.session.flush()
    active = {code for code, theme in themes.items() if theme.active}
    needs = svc.measured_needs(db.session, "neighbourhood", active)
    if not any(sum(place.needs.values()) for place in needs):
        needs = _fallback_needs()
    _give_stops()
    for year, month in months:
        label = svc.month_label(year, month)
        try:
            programme = svc.propose_month(
                db.session,
                svc.ProposalSettings(year=year, month=month),
                is_demo=True,
                needs=needs,
                today=today,
            )
        except svc.ProgrammeError as error:
            # E.g. installed on the last Saturday of a month: no working day is left in it.
            echo(f"No demo programme for {label}: {error}")
            continue
        svc.publish(db.session, programme)
        echo(f"Demo programme for {label} published ({len(programme.slots)} half-days)")


def _give_stops() -> None:
    """Name where the bus parks in the demo neighbourhoods that have no stop yet."""
    for code, (stop, address) in DEMO_STOPS.items():
        row = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == code))
        if row is not None and not row.stop_name:
            row.stop_name, row.stop_address = stop, address
    db.session.flush()


def remove(echo: Callable[[str], object]) -> None:
    """Delete demo programmes, demo services and the demo themes no real slot uses."""
    for programme in db.session.scalars(select(Programme).where(Programme.is_demo.is_(True))):
        db.session.delete(programme)
    db.session.flush()
    db.session.execute(delete(Service).where(Service.is_demo.is_(True)))
    db.session.execute(
        delete(Theme).where(Theme.is_demo.is_(True), ~exists().where(Slot.theme_id == Theme.id))
    )
    db.session.flush()  # remove_demo commits once, for all areas
    echo("Demo programme removed")
