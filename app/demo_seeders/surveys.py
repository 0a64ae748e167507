"""Demo collection: Martigues neighbourhoods, collection points, the questionnaire, and a few
hundred synthetic but plausible responses spread over six months (all marked ``is_demo``).

Idempotent and safe on a database with real data: existing neighbourhoods and points (matched by
code) are left as they are, and only rows marked ``is_demo`` are ever removed. Responses are
generated from four rough profiles whose mix depends on the place (more seniors at the housing
estate, more families at Auchan asking for the CAF and school, on Wednesdays), so the dashboard
has patterns to find. ``--responses N`` makes sure N demo responses exist, with bulk inserts.
"""

from __future__ import annotations

import enum
import random
import uuid as uuidlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from sqlalchemy import Connection, Table, delete, func, insert, select, text

from app.extensions import db
from app.models import (
    Answer,
    Channel,
    CollectionPoint,
    FormVersion,
    Neighbourhood,
    PointKind,
    Response,
    ResponseStatus,
    User,
)
from app.services import collection as sites
from surveys.labels import THEMES

ORDER = 10
DEFAULT_RESPONSES = 300
BATCH = 2000
SEED = 20240506

Echo = Callable[[str], object]

# code, name, latitude, longitude (approximate centres)
NEIGHBOURHOODS = [
    ("canto_perdrix", "Canto Perdrix", 43.414, 5.036),
    ("boudeme", "Boudème", 43.408, 5.063),
    ("mas_de_pouane", "Mas de Pouane", 43.392, 5.035),
    ("ferrieres", "Ferrières", 43.409, 5.054),
    ("jonquieres", "Jonquières", 43.402, 5.049),
    ("ile", "L'Île", 43.405, 5.051),
    ("croix_sainte", "Croix-Sainte", 43.420, 5.045),
    ("notre_dame_des_marins", "Notre-Dame-des-Marins", 43.387, 5.051),
    ("paradis_saint_roch", "Paradis Saint-Roch", 43.397, 5.070),
    ("carro", "Carro", 43.331, 5.041),
    ("la_couronne", "La Couronne", 43.338, 5.071),
    ("lavera", "Lavéra", 43.387, 5.007),
    ("saint_pierre", "Saint-Pierre", 43.377, 5.116),
]

# code, name, kind, neighbourhood, latitude, longitude
POINTS = [
    (
        "residence-canto-perdrix",
        "Résidence Canto Perdrix",
        PointKind.HOUSING_ESTATE,
        "canto_perdrix",
        43.4152,
        5.0368,
    ),
    (
        "auchan",
        "Centre commercial Auchan",
        PointKind.SHOPPING_CENTRE,
        "croix_sainte",
        43.4218,
        5.0431,
    ),
    ("parc-figuerolles", "Parc de Figuerolles", PointKind.PARK, "mas_de_pouane", 43.398, 5.028),
    (
        "arret-canto-perdrix",
        "Arrêt du bus – Canto Perdrix",
        PointKind.BUS_STOP,
        "canto_perdrix",
        43.4131,
        5.0351,
    ),
    ("arret-boudeme", "Arrêt du bus – Boudème", PointKind.BUS_STOP, "boudeme", 43.4083, 5.0622),
    (
        "arret-mas-de-pouane",
        "Arrêt du bus – Mas de Pouane",
        PointKind.BUS_STOP,
        "mas_de_pouane",
        43.3925,
        5.0357,
    ),
    (
        "arret-ferrieres",
        "Arrêt du bus – Ferrières",
        PointKind.BUS_STOP,
        "ferrieres",
        43.4094,
        5.0547,
    ),
]

Weights = Sequence[tuple[str, float]]


@dataclass(frozen=True)
class Profile:
    """A rough kind of respondent: probabilities for each answer."""

    age: Weights
    gender: Weights
    household: Weights  # each code ticked with its probability
    needs: Weights
    equipment: Weights
    confidence: Weights
    helped_by: Weights
    frequency: Weights
    days: Weights
    times: Weights
    places: Weights
    wished: Weights
    reason: Weights


PROFILES: dict[str, Profile] = {
    "senior": Profile(
        age=[("60_74", 0.55), ("75_plus", 0.45)],
        gender=[("woman", 0.6), ("man", 0.37), ("no_answer", 0.03)],
        household=[("alone", 0.55), ("couple", 0.45)],
        needs=[
            ("pension", 0.5),
            ("health_insurance", 0.5),
            ("taxes", 0.45),
            ("energy", 0.25),
            ("digital_skills", 0.3),
            ("id_papers", 0.12),
            ("civil_status", 0.08),
        ],
        equipment=[("smartphone", 0.5), ("none", 0.3), ("tablet", 0.15), ("internet_home", 0.3)],
        confidence=[("not_at_all", 0.5), ("a_little", 0.35), ("fairly", 0.15)],
        helped_by=[("family", 0.55), ("nobody", 0.25), ("aidant", 0.15), ("social_worker", 0.1)],
        frequency=[
            ("weekly", 0.3),
            ("fortnightly", 0.35),
            ("monthly", 0.3),
            ("occasionally", 0.05),
        ],
        days=[("tuesday", 0.5), ("thursday", 0.5), ("monday", 0.3), ("friday", 0.25)],
        times=[("morning", 0.8), ("afternoon", 0.3)],
        places=[("near_home", 0.7), ("neighbourhood_centre", 0.4), ("market", 0.3)],
        wished=[
            ("health_insurance", 0.5),
            ("pension", 0.4),
            ("digital_skills", 0.4),
            ("taxes", 0.3),
        ],
        reason=[
            ("town_hall", 0.4),
            ("sent_by_centre", 0.3),
            ("heard_of_it", 0.3),
            ("passing_by", 0.2),
        ],
    ),
    "family": Profile(
        age=[("30_44", 0.7), ("18_29", 0.15), ("45_59", 0.15)],
        gender=[("woman", 0.75), ("man", 0.23), ("other", 0.02)],
        household=[
            ("young_children", 0.6),
            ("single_parent", 0.3),
            ("older_children", 0.2),
            ("couple", 0.4),
        ],
        needs=[
            ("caf", 0.7),
            ("school", 0.55),
            ("health_insurance", 0.35),
            ("housing", 0.2),
            ("taxes", 0.2),
            ("leisure", 0.2),
            ("other", 0.05),
        ],
        equipment=[
            ("smartphone", 0.9),
            ("computer", 0.35),
            ("internet_home", 0.6),
            ("tablet", 0.2),
        ],
        confidence=[("a_little", 0.35), ("fairly", 0.45), ("very", 0.2)],
        helped_by=[("nobody", 0.45), ("friend", 0.25), ("social_worker", 0.2), ("family", 0.2)],
        frequency=[
            ("weekly", 0.35),
            ("fortnightly", 0.35),
            ("monthly", 0.25),
            ("occasionally", 0.05),
        ],
        days=[("wednesday", 0.75), ("saturday", 0.45), ("monday", 0.1)],
        times=[("morning", 0.5), ("afternoon", 0.5)],
        places=[("shopping_centre", 0.65), ("park", 0.3), ("near_home", 0.3)],
        wished=[("caf", 0.6), ("school", 0.5), ("leisure", 0.3), ("health_insurance", 0.3)],
        reason=[
            ("passing_by", 0.45),
            ("curiosity", 0.3),
            ("heard_of_it", 0.3),
            ("sent_by_service", 0.1),
        ],
    ),
    "young": Profile(
        age=[("18_29", 0.85), ("under_18", 0.05), ("30_44", 0.1)],
        gender=[("man", 0.5), ("woman", 0.45), ("other", 0.05)],
        household=[("alone", 0.4), ("couple", 0.25), ("other", 0.35)],
        needs=[
            ("job_seeking", 0.6),
            ("housing", 0.4),
            ("caf", 0.3),
            ("id_papers", 0.35),
            ("health_insurance", 0.15),
            ("other", 0.08),
        ],
        equipment=[("smartphone", 0.97), ("computer", 0.2), ("internet_home", 0.4)],
        confidence=[("a_little", 0.2), ("fairly", 0.5), ("very", 0.3)],
        helped_by=[("nobody", 0.5), ("friend", 0.3), ("social_worker", 0.2)],
        frequency=[("fortnightly", 0.3), ("monthly", 0.4), ("occasionally", 0.3)],
        days=[("friday", 0.4), ("saturday", 0.5), ("monday", 0.3)],
        times=[("afternoon", 0.6), ("evening", 0.4)],
        places=[("shopping_centre", 0.5), ("near_home", 0.4), ("park", 0.3)],
        wished=[("job_seeking", 0.6), ("housing", 0.4), ("leisure", 0.3)],
        reason=[
            ("curiosity", 0.4),
            ("passing_by", 0.4),
            ("sent_by_service", 0.25),
            ("heard_of_it", 0.25),
        ],
    ),
    "worker": Profile(
        age=[("45_59", 0.7), ("30_44", 0.3)],
        gender=[("woman", 0.5), ("man", 0.48), ("no_answer", 0.02)],
        household=[("couple", 0.5), ("older_children", 0.4), ("alone", 0.2)],
        needs=[
            ("taxes", 0.5),
            ("id_papers", 0.35),
            ("energy", 0.3),
            ("housing", 0.25),
            ("pension", 0.2),
            ("civil_status", 0.1),
        ],
        equipment=[("smartphone", 0.85), ("computer", 0.5), ("internet_home", 0.7)],
        confidence=[("a_little", 0.3), ("fairly", 0.5), ("very", 0.2)],
        helped_by=[("nobody", 0.6), ("family", 0.3), ("aidant", 0.1)],
        frequency=[("monthly", 0.45), ("fortnightly", 0.3), ("occasionally", 0.25)],
        days=[("saturday", 0.55), ("monday", 0.3), ("friday", 0.3)],
        times=[("lunchtime", 0.45), ("evening", 0.5), ("morning", 0.15)],
        places=[("near_home", 0.5), ("shopping_centre", 0.4), ("market", 0.25)],
        wished=[("taxes", 0.5), ("id_papers", 0.4), ("energy", 0.3)],
        reason=[("passing_by", 0.5), ("town_hall", 0.3), ("heard_of_it", 0.25)],
    ),
}

MIX_BY_KIND: dict[PointKind | None, Weights] = {
    PointKind.HOUSING_ESTATE: [("senior", 0.55), ("family", 0.2), ("young", 0.1), ("worker", 0.15)],
    PointKind.SHOPPING_CENTRE: [
        ("family", 0.55),
        ("worker", 0.2),
        ("young", 0.15),
        ("senior", 0.1),
    ],
    PointKind.PARK: [("family", 0.45), ("young", 0.3), ("senior", 0.15), ("worker", 0.1)],
    PointKind.BUS_STOP: [("senior", 0.4), ("family", 0.25), ("worker", 0.2), ("young", 0.15)],
    PointKind.OTHER: [("senior", 0.3), ("family", 0.3), ("worker", 0.2), ("young", 0.2)],
    None: [("senior", 0.45), ("family", 0.25), ("worker", 0.15), ("young", 0.15)],
}

HEARD_HOW = [
    ("flyer", 0.35),
    ("town_magazine", 0.3),
    ("word_of_mouth", 0.45),
    ("social_networks", 0.2),
    ("social_worker", 0.15),
]
THEME_ORDER = list(THEMES)
NEEDS_OTHER = [
    "Une aide pour la cantine scolaire",
    "Refaire ma carte vitale",
    "Un dossier de la MDPH",
    "Comprendre une facture d'eau",
    "Prendre rendez-vous à la préfecture",
]
COMMENTS = [
    "Merci, l'équipe est très gentille.",
    "Venir plus souvent le mercredi, pour les mamans.",
    "Il faudrait passer aussi le samedi matin au marché.",
    "Besoin d'aide pour la déclaration des impôts au printemps.",
    "Très pratique, je n'ai pas de voiture pour aller à la mairie.",
    "Des ateliers pour apprendre à utiliser mon téléphone.",
    "Pouvoir imprimer des papiers dans le bus.",
    "Un passage près de l'école à la sortie des classes.",
]


def _pick(rng: random.Random, weights: Weights) -> str:
    codes = [code for code, _w in weights]
    return rng.choices(codes, weights=[w for _c, w in weights])[0]


def _tick(rng: random.Random, weights: Weights, order: Sequence[str] | None = None) -> list[str]:
    """Each code ticked with its probability; at least the likeliest one."""
    chosen = [code for code, p in weights if rng.random() < p]
    if not chosen:
        chosen = [max(weights, key=lambda item: item[1])[0]]
    if order is not None:
        rank = {code: i for i, code in enumerate(order)}
        chosen.sort(key=lambda code: rank.get(code, len(rank)))
    return chosen


def _ordered(choices: dict[str, list[str]], name: str, codes: list[str]) -> str:
    """Codes in the form's choice order, space-separated (XForm convention)."""
    order = choices.get(name, [])
    rank = {code: i for i, code in enumerate(order)}
    return " ".join(sorted(set(codes), key=lambda code: rank.get(code, len(rank))))


def synthetic_answers(
    rng: random.Random,
    kind: PointKind | None,
    neighbourhood: str | None,
    order: dict[str, list[str]],
) -> dict[str, str]:
    """One plausible set of answers (question name -> XForm value) for a place."""
    profile = PROFILES[_pick(rng, MIX_BY_KIND.get(kind, MIX_BY_KIND[None]))]
    reason = _tick(rng, profile.reason)
    answers = {"reason": _ordered(order, "reason", reason)}
    if "heard_of_it" in reason:
        answers["heard_how"] = _ordered(order, "heard_how", _tick(rng, HEARD_HOW))
    answers["age_band"] = _pick(rng, profile.age)
    if rng.random() < 0.85:
        answers["gender"] = _pick(rng, profile.gender)
    codes = [code for code, *_rest in NEIGHBOURHOODS]
    if neighbourhood and rng.random() < 0.7:
        answers["neighbourhood"] = neighbourhood
    else:
        answers["neighbourhood"] = rng.choice([*codes, "other"])
    if rng.random() < 0.9:
        answers["household"] = _ordered(order, "household", _tick(rng, profile.household))
    needs = _tick(rng, profile.needs)
    answers["needs"] = _ordered(order, "needs", needs)
    if "other" in needs:
        answers["needs_other"] = rng.choice(NEEDS_OTHER)
    if rng.random() < 0.9:
        answers["equipment"] = _ordered(order, "equipment", _tick(rng, profile.equipment))
    if rng.random() < 0.9:
        answers["confidence"] = _pick(rng, profile.confidence)
    if rng.random() < 0.85:
        answers["helped_by"] = _ordered(order, "helped_by", _tick(rng, profile.helped_by))
    if rng.random() < 0.9:
        answers["frequency"] = _pick(rng, profile.frequency)
    if rng.random() < 0.9:
        answers["preferred_days"] = _ordered(order, "preferred_days", _tick(rng, profile.days))
    if rng.random() < 0.85:
        answers["preferred_times"] = _ordered(order, "preferred_times", _tick(rng, profile.times))
    if rng.random() < 0.8:
        answers["preferred_place"] = _ordered(order, "preferred_place", _tick(rng, profile.places))
    if rng.random() < 0.75:
        answers["wished_services"] = _ordered(order, "wished_services", _tick(rng, profile.wished))
    if rng.random() < 0.2:
        answers["comment"] = rng.choice(COMMENTS)
    return answers


# --------------------------------------------------------------------------- seeding


def _seed_places(echo: Echo) -> list[CollectionPoint]:
    created = 0
    for code, name, lat, lon in NEIGHBOURHOODS:
        if sites.neighbourhood_by_code(db.session, code) is None:
            sites.ensure_neighbourhood(db.session, code, name, lat, lon)
            created += 1
    db.session.commit()
    echo(f"Neighbourhoods: {created} added, {len(NEIGHBOURHOODS) - created} already there")
    points = []
    for code, name, kind, hood, lat, lon in POINTS:
        point = sites.point_by_code(db.session, code)
        if point is None:
            data = sites.PointData(name, kind, hood, lat, lon)
            point = sites.create_point(db.session, data, code=code, is_demo=True)
        elif not point.is_demo:
            continue  # a real point with this code: never touch it, never fill it with fakes
        if not point.links:
            sites.attach_form(db.session, point, sites.DEFAULT_FORM_ID)
        points.append(point)
    echo(f"Demo collection points: {len(points)}")
    return points


def _choice_orders(version: FormVersion) -> dict[str, list[str]]:
    from app.services.forms import load_definition

    definition = load_definition(version)
    orders: dict[str, list[str]] = {}
    for question in definition.walk():
        if question.list_name and question.list_name in definition.choice_lists:
            orders[question.name] = definition.choice_lists[question.list_name].codes()
    return orders


def seed(echo: Echo, responses: int | None = None) -> None:
    """Add the demo neighbourhoods, points, questionnaire and responses (idempotent)."""
    version = sites.ensure_default_form(db.session)
    if version is None:
        echo("The Mairie Bus questionnaire file is missing: no demo responses.")
        return
    points = _seed_places(echo)
    wanted = DEFAULT_RESPONSES if responses is None else max(0, responses)
    existing = int(
        db.session.scalar(select(func.count()).select_from(Response).where(Response.is_demo)) or 0
    )
    missing = wanted - existing
    if missing <= 0:
        echo(f"Demo responses: {existing} already there")
        return
    aidant_id = db.session.scalar(select(User.id).where(User.email == "aidant@example.org"))
    added = seed_responses(version, points, missing, aidant_id=aidant_id, seed=SEED + existing)
    echo(f"Demo responses: {added} added ({existing + added} in all)")


def seed_responses(
    version: FormVersion,
    points: Sequence[CollectionPoint],
    count: int,
    *,
    aidant_id: int | None = None,
    seed: int = SEED,
    now: datetime | None = None,
    progress: bool = True,
) -> int:
    """Insert ``count`` submitted demo responses with bulk inserts; return how many."""
    rng = random.Random(seed)
    moment = now or datetime.now(UTC)
    order = _choice_orders(version)
    hood_ids = dict(db.session.execute(select(Neighbourhood.code, Neighbourhood.id)).all())
    places = [
        (point.id, point.kind, point.neighbourhood.code if point.neighbourhood else None)
        for point in points
    ]
    # Stops of the bus itself (no collection point): an aidant on board in a neighbourhood.
    bus_hoods = [
        code
        for code in ("canto_perdrix", "boudeme", "mas_de_pouane", "ferrieres")
        if code in hood_ids
    ]
    responses_table = Response.__table__
    answers_table = Answer.__table__
    insert_responses = insert(responses_table).returning(
        responses_table.c.id, sort_by_parameter_order=True
    )
    done = 0
    bar = click.progressbar(length=count, label="Demo responses", file=None) if progress else None
    try:
        if bar is not None:
            bar.__enter__()
        while done < count:
            size = min(BATCH, count - done)
            response_rows = []
            answer_sets = []
            for _ in range(size):
                if places and (not bus_hoods or rng.random() < 0.85):
                    point_id, kind, hood = rng.choice(places)
                else:
                    point_id, kind, hood = None, None, rng.choice(bus_hoods) if bus_hoods else None
                answers = synthetic_answers(rng, kind, hood, order)
                assisted = point_id is None or rng.random() < (
                    0.35 if kind is PointKind.BUS_STOP else 0.2
                )
                submitted = _random_moment(rng, moment)
                started = submitted - timedelta(seconds=rng.randint(150, 600))
                answered_hood = hood_ids.get(answers.get("neighbourhood", ""))
                response_rows.append(
                    {
                        "uuid": str(uuidlib.UUID(int=rng.getrandbits(128), version=4)),
                        "form_version_id": version.id,
                        "collection_point_id": point_id,
                        "neighbourhood_id": answered_hood
                        if answers.get("neighbourhood") != "other"
                        else None,
                        "channel": Channel.ASSISTED if assisted else Channel.SELF,
                        "aidant_id": aidant_id if assisted else None,
                        "language": "en" if rng.random() < 0.04 else "fr",
                        "status": ResponseStatus.SUBMITTED,
                        "started_at": started,
                        "updated_at": submitted,
                        "submitted_at": submitted,
                        "is_demo": True,
                    }
                )
                meta = {
                    "start": started.isoformat(timespec="seconds"),
                    "today": started.date().isoformat(),
                    "end": submitted.isoformat(timespec="seconds"),
                }
                answer_sets.append({**meta, **answers})
            connection = db.session.connection()
            ids = _insert_responses(connection, insert_responses, response_rows)
            rows = [
                (rid, q, 0, v)
                for rid, answers in zip(ids, answer_sets, strict=True)
                for q, v in answers.items()
            ]
            _insert_answers(connection, answers_table, rows)
            db.session.commit()
            done += size
            if bar is not None:
                bar.update(size)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    return done


RESPONSE_COLUMNS = (
    "uuid",
    "form_version_id",
    "collection_point_id",
    "neighbourhood_id",
    "channel",
    "aidant_id",
    "language",
    "status",
    "started_at",
    "updated_at",
    "submitted_at",
    "is_demo",
)


def _insert_responses(
    connection: Connection, statement: Any, rows: list[dict[str, Any]]
) -> list[int]:
    """Bulk insert responses and return their ids in order.

    PostgreSQL: ids are taken from the sequence first, then the rows go in by COPY (a big
    multi-row INSERT … RETURNING costs more in query building than in the database).
    """
    if connection.dialect.name != "postgresql":
        return list(connection.execute(statement, rows).scalars().all())
    ids = list(
        connection.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence('responses', 'id')) "
                "FROM generate_series(1, :n)"
            ),
            {"n": len(rows)},
        ).scalars()
    )
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    columns = ", ".join(("id", *RESPONSE_COLUMNS))
    with cursor.copy(f"COPY responses ({columns}) FROM STDIN") as copy:
        for rid, row in zip(ids, rows, strict=True):
            values = [row[name] for name in RESPONSE_COLUMNS]
            values = [v.value if isinstance(v, enum.Enum) else v for v in values]
            copy.write_row((rid, *values))
    return [int(i) for i in ids]


def _insert_answers(
    connection: Connection, table: Table, rows: list[tuple[int, str, int, str]]
) -> None:
    """Bulk insert answer rows: COPY on PostgreSQL (several times faster), executemany elsewhere."""
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(
            "COPY answers (response_id, question, repeat_index, value) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        return
    keys = ("response_id", "question", "repeat_index", "value")
    connection.execute(insert(table), [dict(zip(keys, row, strict=True)) for row in rows])


def _random_moment(rng: random.Random, now: datetime) -> datetime:
    """A weekday opening hour within the last six months (the bus works Monday to Saturday)."""
    for _ in range(20):
        day = now - timedelta(days=rng.randint(0, 182))
        if day.weekday() < 6:
            break
    hour = rng.choice([9, 9, 10, 10, 11, 11, 12, 14, 14, 15, 15, 16, 17])
    moment = day.replace(
        hour=hour, minute=rng.randint(0, 59), second=rng.randint(0, 59), microsecond=0
    )
    return min(moment, now)


def remove(echo: Echo) -> None:
    """Delete demo responses and demo points (real ones and the questionnaire stay)."""
    demo_ids = select(Response.id).where(Response.is_demo.is_(True)).scalar_subquery()
    db.session.execute(delete(Answer).where(Answer.response_id.in_(demo_ids)))
    removed = db.session.execute(delete(Response).where(Response.is_demo.is_(True))).rowcount
    points = db.session.scalars(
        select(CollectionPoint).where(CollectionPoint.is_demo.is_(True))
    ).all()
    from app.models.programme import Slot

    kept = []
    for point in points:
        if db.session.scalar(select(Slot.id).where(Slot.collection_point_id == point.id).limit(1)):
            # A real programme plans the bus there: the point stays, archived, so the published
            # programme keeps its places (remove the slots in the planner, then run this again).
            point.archived = True
            kept.append(point.name)
        else:
            db.session.delete(point)
    db.session.flush()  # remove_demo commits once, for all areas
    echo(f"Demo collection removed: {removed} responses, {len(points) - len(kept)} points")
    for name in kept:
        echo(f"Demo point kept, archived: {name} (used by a programme's slots)")
