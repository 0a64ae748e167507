"""Demo logbook: three demo referents and a month of visits with their referrals.

Visits are spread over the working days of the last 30 days, at the neighbourhoods of the demo
programme (or the known neighbourhoods), with plausible procedures, outcomes and times; about one
in six is referred, most referrals answered within a fortnight. Contacts use the fictional phone
range 06 39 98 xx xx reserved for fiction. Everything is marked ``is_demo``; ``remove`` deletes it
with bulk statements (the logbook refuses ORM deletions).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import delete, select

from app.extensions import db
from app.models import User
from app.models.journal import (
    Outcome,
    Referent,
    Referral,
    ReferralKind,
    ReferralStatus,
    Visit,
    VisitChange,
    referent_themes,
)
from app.models.programme import Service, Theme
from app.models.surveys import Neighbourhood
from app.services import journal as svc
from app.services.programme import PARIS, ensure_themes, paris_today
from surveys import journal as domain

ORDER = 50
DAYS = 30
# name, service name (from the programme's demo services), email, phone, visio, themes
DEMO_REFERENTS = [
    (
        "Sandrine Garcia",
        "CAF des Bouches-du-Rhône (démo)",
        "referente.caf@example.org",
        "04 00 00 00 11",
        "https://visio.example.org/caf-martigues",
        ["caf", "housing"],
    ),
    (
        "Marc Olivier",
        "Centre des finances publiques (démo)",
        "referent.impots@example.org",
        "04 00 00 00 12",
        "",
        ["taxes"],
    ),
    (
        "Leïla Benali",
        "Assurance maladie – CPAM (démo)",
        "referente.cpam@example.org",
        "04 00 00 00 13",
        "https://visio.example.org/cpam-martigues",
        ["health_insurance", "pension"],
    ),
]
FIRST_NAMES = ["Fatima", "Jean-Pierre", "Nadia", "Monique", "Karim", "Josiane", "Ahmed", "Colette"]
# Weights of procedures and outcomes, in the order of domain.PROCEDURES / OUTCOMES.
PROCEDURE_WEIGHTS = [9, 6, 4, 8, 5, 7, 3, 6, 4, 6, 3, 4, 2, 2, 2, 1, 2, 5, 4, 1]
OUTCOME_WEIGHTS = [50, 25, 16, 9]


def seed(echo: Callable[[str], object], responses: int | None = None) -> None:
    """Create the demo referents and a month of logbook entries, unless demo visits exist."""
    if db.session.scalar(select(Visit.id).where(Visit.is_demo.is_(True)).limit(1)) is not None:
        echo("Demo logbook already exists")
        return
    rng = random.Random(15)
    themes = ensure_themes(db.session)
    referents = _referents(themes)
    aidants = list(db.session.scalars(select(User).order_by(User.id)))
    places = list(db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.name)))
    if not places:
        echo("No neighbourhood yet: demo logbook skipped")
        return
    today = paris_today()
    visits = referrals = 0
    for offset in range(DAYS, 0, -1):
        day = today - timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        place = places[(day.toordinal() // 1) % len(places)]
        for _n in range(rng.randint(4, 10)):
            visit = _visit(rng, day, place, places, aidants)
            db.session.add(visit)
            db.session.flush()
            db.session.add(
                VisitChange(
                    visit=visit,
                    user_id=visit.aidant_id,
                    action="created",
                    fields={},
                    at=visit.created_at,
                )
            )
            visits += 1
            if visit.outcome is Outcome.REFERRED:
                db.session.add(_referral(rng, visit, referents))
                referrals += 1
    db.session.commit()
    echo(f"Demo logbook: {visits} visits and {referrals} referrals over {DAYS} days")


def _referents(themes: dict[str, Theme]) -> list[Referent]:
    found = []
    for name, service_name, email, phone, visio, codes in DEMO_REFERENTS:
        referent = db.session.scalar(select(Referent).where(Referent.email == email))
        if referent is None:
            service = db.session.scalar(select(Service).where(Service.name == service_name))
            referent = Referent(
                name=name,
                service=service,
                email=email,
                phone=phone,
                visio_url=visio,
                themes=[themes[code] for code in codes],
                is_demo=True,
            )
            db.session.add(referent)
        found.append(referent)
    db.session.flush()
    return found


def _visit(
    rng: random.Random, day, place: Neighbourhood, places: list[Neighbourhood], aidants: list[User]
) -> Visit:
    procedures = rng.choices(
        domain.PROCEDURE_CODES, weights=PROCEDURE_WEIGHTS, k=rng.choice([1, 1, 1, 2])
    )
    procedures = list(dict.fromkeys(procedures))
    outcome = Outcome(rng.choices(domain.OUTCOMES, weights=OUTCOME_WEIGHTS)[0])
    moment = datetime.combine(
        day, time(rng.choice([9, 10, 11, 14, 15, 16]), rng.randint(0, 59)), PARIS
    )
    consent = outcome in (Outcome.REFERRED, Outcome.CALL_BACK) and rng.random() < 0.6
    visit = Visit(
        idempotency_key=secrets.token_urlsafe(24),
        aidant_id=rng.choice(aidants).id if aidants else None,
        day=day,
        place_neighbourhood_id=place.id,
        procedures=procedures,
        themes=domain.visit_themes(procedures),
        age_band=rng.choice([None, *domain.AGE_BANDS, "65_74", "75_plus"]),
        neighbourhood_id=place.id if rng.random() < 0.7 else rng.choice(places).id,
        outcome=outcome,
        minutes=rng.choice(domain.MINUTES[:5]),
        contact_consent=consent,
        first_name=rng.choice(FIRST_NAMES) if consent else "",
        phone=f"06 39 98 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}" if consent else "",
        is_demo=True,
        created_at=moment.astimezone(UTC),
    )
    if outcome is Outcome.CALL_BACK and day < paris_today() - timedelta(days=3):
        visit.called_back_at = (moment + timedelta(days=2)).astimezone(UTC)
    return visit


def _referral(rng: random.Random, visit: Visit, referents: list[Referent]) -> Referral:
    matching = [r for r in referents if set(r.theme_codes) & set(visit.themes)] or referents
    referent = rng.choice(matching)
    created = visit.created_at
    age = (datetime.now(UTC) - created).days
    delay = rng.randint(1, 14)
    status = ReferralStatus.OPEN
    closed = None
    if delay <= age:
        status = rng.choices(
            [ReferralStatus.SOLVED, ReferralStatus.TAKEN, ReferralStatus.NOT_OURS],
            weights=[6, 3, 1],
        )[0]
        closed = created + timedelta(days=delay) if status.is_closed else None
    return Referral(
        reference=svc.new_reference(db.session),
        visit=visit,
        referent=referent,
        service=referent.service,
        kind=ReferralKind.EMAIL,
        status=status,
        need=svc.default_need(visit),
        created_by_id=visit.aidant_id,
        created_at=created,
        email_sent_at=created,
        answered_at=created + timedelta(days=delay) if status is not ReferralStatus.OPEN else None,
        closed_at=closed,
        is_demo=True,
    )


def remove(echo: Callable[[str], object]) -> None:
    """Delete the demo logbook and demo referents (bulk statements: no ORM deletion hooks)."""
    demo_visits = select(Visit.id).where(Visit.is_demo.is_(True))
    db.session.execute(delete(Referral).where(Referral.visit_id.in_(demo_visits)))
    db.session.execute(delete(VisitChange).where(VisitChange.visit_id.in_(demo_visits)))
    db.session.execute(delete(Visit).where(Visit.is_demo.is_(True)))
    demo_referents = select(Referent.id).where(Referent.is_demo.is_(True))
    db.session.execute(
        delete(referent_themes).where(referent_themes.c.referent_id.in_(demo_referents))
    )
    db.session.execute(delete(Referent).where(Referent.is_demo.is_(True)))
    db.session.commit()
    echo("Demo logbook removed")
