"""The bus programme: measured needs -> planner (surveys/planning.py) -> draft -> published.

Each function that changes something commits once. Errors carry French messages keyed by form
field (``ProgrammeError.messages``; the key "" is for the whole form), so views show them next
to the field that caused them.
"""

from __future__ import annotations

import calendar as calendar_module
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.db import utcnow
from app.i18n import current_language
from app.models.passes import Assessment, LevelResult, Pass
from app.models.programme import (
    EXPLANATION_ADDED,
    EXPLANATION_MOVED,
    HalfDay,
    Programme,
    ProgrammeStatus,
    Service,
    Slot,
    Theme,
)
from app.models.surveys import (
    Answer,
    CollectionPoint,
    Neighbourhood,
    Response,
    ResponseStatus,
)
from surveys import labels, planning
from surveys.calendar_feed import HalfDayHours, PublishedSlot, build_calendar
from surveys.directory import Directory, DirectoryEntry, for_needs, load_directory, search

PARIS: Final = ZoneInfo("Europe/Paris")
PLACE_KINDS: Final = ("neighbourhood", "point")
HOURS: Final = HalfDayHours()
# Days with a stop per page of the public calendar (keeps a phone page under 30 KB).
PAGE_DAYS: Final = 12
# How far back the iCalendar feed goes, so phones keep recent stops in their history.
FEED_PAST_MONTHS: Final = 3
# A Pass domain at a level below this counts as a need to learn the digital basics.
WEAK_LEVEL: Final = 2
# Questionnaire answers the planner reads (shared question names).
_QUESTIONS: Final = (
    "neighbourhood",
    "needs",
    "wished_services",
    "preferred_days",
    "preferred_times",
)
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class ProgrammeError(Exception):
    """A refused change; ``messages`` maps a form field ("" for the whole form) to French text."""

    def __init__(self, messages: Mapping[str, str] | str) -> None:
        self.messages = {"": messages} if isinstance(messages, str) else dict(messages)
        super().__init__(" ".join(self.messages.values()))


def paris_today() -> date:
    """Today's date in Martigues."""
    return datetime.now(PARIS).date()


# --------------------------------------------------------------------------- labels


def day_label(day: date) -> str:
    """French day label, e.g. "mercredi 14 mai"."""
    weekday = planning.WEEKDAY_LABELS[planning.WEEKDAYS[day.weekday()]]
    number = "1er" if day.day == 1 else str(day.day)
    return f"{weekday} {number} {planning.MONTH_LABELS[day.month - 1]}"


def _in_french() -> bool:
    return current_language().startswith("fr")


def local_day_label(day: date) -> str:
    """A day in the reader's language: "mardi 1er décembre" or "Tuesday 1 December"."""
    return day_label(day) if _in_french() else format_date(day, "EEEE d MMMM")


def local_month_label(year: int, month: int) -> str:
    """A month and year in the reader's language: "décembre 2026" or "December 2026"."""
    if _in_french():
        return month_label(year, month)
    return format_date(date(year, month, 1), "LLLL y")


def hours_label(half_day: str) -> str:
    """Opening hours of a half-day, e.g. "9 h – 12 h"."""
    start, end = HOURS.span(half_day)
    return f"{start.hour} h – {end.hour} h"


def month_label(year: int, month: int) -> str:
    """French month and year, e.g. "mai 2025"."""
    return planning.month_label(year, month)


def theme_label(code: str) -> str:
    """The shared label of a theme code in the reader's language (French by default)."""
    return labels.theme_label(code, short=False, language="fr" if _in_french() else "en")


# --------------------------------------------------------------------------- themes


def ensure_themes(session: Session) -> dict[str, Theme]:
    """Create the missing shared themes (active, with their French names); return all by code."""
    themes = {theme.code: theme for theme in session.scalars(select(Theme))}
    for code in planning.THEMES:
        if code not in themes:
            themes[code] = Theme(code=code, name=planning.THEME_LABELS[code], active=True)
            session.add(themes[code])
    session.flush()
    return themes


def create_missing_themes(session: Session) -> None:
    """Create the missing shared themes; commit."""
    ensure_themes(session)
    session.commit()


def save_theme(
    session: Session,
    theme: Theme | None,
    *,
    code: str,
    name: str,
    description: str = "",
    colour: str | None = None,
) -> Theme:
    """Create a theme (code from the shared list, not yet used) or edit one; commit."""
    errors: dict[str, str] = {}
    name = " ".join(name.split())
    if theme is None:
        if code not in planning.THEMES:
            errors["code"] = _("Choisissez un thème dans la liste.")
        elif session.scalar(select(Theme).where(Theme.code == code)) is not None:
            errors["code"] = _("Ce thème existe déjà : modifiez-le dans la liste.")
    if not name:
        errors["name"] = _("Indiquez le nom du thème.")
    elif len(name) > 120:
        errors["name"] = _("Le nom doit faire 120 caractères au plus.")
    if colour and not _COLOUR.match(colour):
        errors["colour"] = _(
            "La couleur s'écrit # suivi de 6 chiffres ou lettres, par ex. #0b4f8a."
        )
    if errors:
        raise ProgrammeError(errors)
    if theme is None:
        theme = Theme(code=code)
        session.add(theme)
    theme.name = name
    theme.description = description.strip()
    theme.colour = colour or None
    session.commit()
    return theme


def set_theme_active(session: Session, theme: Theme, active: bool) -> None:
    """Turn a theme on or off: the planner ignores inactive themes; commit."""
    theme.active = active
    session.commit()


# --------------------------------------------------------------------------- services


@dataclass(frozen=True)
class ServiceInput:
    """What a coordinator types about a service or partner."""

    name: str
    description: str = ""
    theme_ids: tuple[int, ...] = ()
    referent_name: str = ""
    referent_phone: str = ""
    referent_email: str = ""
    weekdays: tuple[str, ...] = planning.WORKING_WEEKDAYS
    half_days: tuple[str, ...] = planning.HALF_DAYS
    max_slots_per_month: int = 4


def save_service(session: Session, service: Service | None, data: ServiceInput) -> Service:
    """Create or edit a service or partner; commit."""
    errors: dict[str, str] = {}
    name = " ".join(data.name.split())
    if not name:
        errors["name"] = _("Indiquez le nom du service ou du partenaire.")
    themes = list(session.scalars(select(Theme).where(Theme.id.in_(data.theme_ids))))
    if not themes or len(themes) != len(set(data.theme_ids)):
        errors["themes"] = _("Cochez au moins un thème.")
    if not data.weekdays or any(d not in planning.WEEKDAYS for d in data.weekdays):
        errors["weekdays"] = _("Cochez au moins un jour.")
    if not data.half_days or any(h not in planning.HALF_DAYS for h in data.half_days):
        errors["half_days"] = _("Cochez le matin, l'après-midi ou les deux.")
    if not 0 <= data.max_slots_per_month <= 62:
        errors["max_slots_per_month"] = _("Indiquez un nombre entre 0 et 62.")
    if errors:
        raise ProgrammeError(errors)
    if service is None:
        service = Service(name=name)
        session.add(service)
    service.name = name
    service.description = data.description.strip()
    service.themes = themes
    service.referent_name = data.referent_name.strip()
    service.referent_phone = data.referent_phone.strip()
    service.referent_email = data.referent_email.strip()
    service.weekdays = [d for d in planning.WEEKDAYS if d in data.weekdays]
    service.half_days = [h for h in planning.HALF_DAYS if h in data.half_days]
    service.max_slots_per_month = data.max_slots_per_month
    session.commit()
    return service


def set_service_active(session: Session, service: Service, active: bool) -> None:
    """Turn a service on or off: the planner only calls active services; commit."""
    service.active = active
    session.commit()


# --------------------------------------------------------------------------- measured needs


@dataclass(frozen=True)
class Places:
    """The places the planner can send the bus to, by place key ("n<id>", "p<id>")."""

    names: dict[str, str]

    @staticmethod
    def load(session: Session) -> Places:
        """Every neighbourhood and active collection point, by key."""
        names = {f"n{n.id}": n.name for n in session.scalars(select(Neighbourhood))}
        names |= {f"p{p.id}": p.name for p in session.scalars(CollectionPoint.active())}
        return Places(names)


def _codes(value: str, allowed: Iterable[str]) -> str:
    # Other forms may reuse a question name with other codes: keep only the shared ones.
    keep = set(allowed)
    return " ".join(code for code in value.split() if code in keep)


def _response_places(session: Session, place_kind: str) -> dict[int, str]:
    """Place key of each submitted response (neighbourhood or collection point)."""
    by_code = {n.code: n.id for n in session.scalars(select(Neighbourhood))}
    answered = dict(
        session.execute(
            select(Answer.response_id, Answer.value)
            .join(Response, Response.id == Answer.response_id)
            .where(
                Response.status == ResponseStatus.SUBMITTED,
                Answer.question == "neighbourhood",
                Answer.repeat_index == 0,
            )
        ).all()
    )
    rows = session.execute(
        select(
            Response.id,
            Response.neighbourhood_id,
            Response.collection_point_id,
            CollectionPoint.neighbourhood_id,
        )
        .outerjoin(CollectionPoint, CollectionPoint.id == Response.collection_point_id)
        .where(Response.status == ResponseStatus.SUBMITTED)
    ).all()
    places: dict[int, str] = {}
    for response_id, own, point, point_neighbourhood in rows:
        if place_kind == "point":
            if point is not None:
                places[response_id] = f"p{point}"
            continue
        # The person's own answer first, then the point's neighbourhood (shared codes rule).
        neighbourhood = own or by_code.get(answered.get(response_id, "")) or point_neighbourhood
        if neighbourhood is not None:
            places[response_id] = f"n{neighbourhood}"
    return places


def weak_pass_counts(session: Session) -> dict[str, int]:
    """Number of people per neighbourhood key whose latest level in some domain is below 2."""
    rows = session.execute(
        select(
            Assessment.id,
            Assessment.pass_id,
            Assessment.neighbourhood_id,
            Pass.neighbourhood_id,
            LevelResult.domain,
            LevelResult.level,
        )
        .join(LevelResult, LevelResult.assessment_id == Assessment.id)
        .outerjoin(Pass, Pass.id == Assessment.pass_id)
        .order_by(Assessment.started_at, Assessment.id, LevelResult.id)
    ).all()
    latest: dict[tuple[str, int], dict[str, int]] = {}
    where: dict[tuple[str, int], int] = {}
    for assessment_id, pass_id, at, pass_home, domain, level in rows:
        # A Pass is one person across sittings; an assessment without a Pass stands alone.
        person = ("pass", pass_id) if pass_id is not None else ("assessment", assessment_id)
        latest.setdefault(person, {})[domain] = level
        neighbourhood = pass_home or at or where.get(person)
        if neighbourhood is not None:
            where[person] = neighbourhood
    counts: dict[str, int] = {}
    for person, levels in latest.items():
        if person in where and any(level < WEAK_LEVEL for level in levels.values()):
            key = f"n{where[person]}"
            counts[key] = counts.get(key, 0) + 1
    return counts


def measured_needs(
    session: Session, place_kind: str = "neighbourhood", themes: Iterable[str] | None = None
) -> list[planning.PlaceNeeds]:
    """Requests per place from submitted questionnaires (and Pass levels, by neighbourhood)."""
    if place_kind not in PLACE_KINDS:
        raise ProgrammeError({"place_kind": _("Choisissez quartiers ou points de recueil.")})
    places = _response_places(session, place_kind)
    answers: dict[int, dict[str, Any]] = {rid: {"place": key} for rid, key in places.items()}
    rows = session.execute(
        select(Answer.response_id, Answer.question, Answer.value)
        .join(Response, Response.id == Answer.response_id)
        .where(
            Response.status == ResponseStatus.SUBMITTED,
            Answer.question.in_(_QUESTIONS[1:]),
            Answer.repeat_index == 0,
        )
    ).all()
    allowed = {
        "needs": planning.THEMES,
        "wished_services": planning.THEMES,
        "preferred_days": planning.WEEKDAYS,
        "preferred_times": planning.HALF_DAYS,
    }
    for response_id, question, value in rows:
        if response_id not in answers:
            continue  # no known place: nowhere to send the bus for this person
        answers[response_id][question] = _codes(value, allowed[question])
    weak = weak_pass_counts(session) if place_kind == "neighbourhood" else {}
    names = Places.load(session).names
    needs = planning.tally_place_needs(
        [answers[rid] for rid in sorted(answers)],
        names,
        {key: count for key, count in weak.items() if key in names},
    )
    needs = with_logbook_demand(session, needs, names, place_kind)
    if themes is None:
        return needs
    keep = set(themes)
    return [
        planning.PlaceNeeds(
            code=place.code,
            name=place.name,
            needs={t: n for t, n in place.needs.items() if t in keep},
            days=place.days,
            times=place.times,
            logbook={t: n for t, n in place.logbook.items() if t in keep},
        )
        for place in needs
    ]


def with_logbook_demand(
    session: Session,
    needs: Sequence[planning.PlaceNeeds],
    names: Mapping[str, str],
    place_kind: str,
) -> list[planning.PlaceNeeds]:
    """Add the visits of the aidants' logbook to the questionnaires' requests, place by place."""
    from app.services.journal import logbook_demand

    demand = {
        key: value for key, value in logbook_demand(session, place_kind).items() if key in names
    }
    merged = []
    for place in needs:
        extra = demand.pop(place.code, {})
        combined = dict(place.needs)
        for theme, count in extra.items():
            combined[theme] = combined.get(theme, 0) + count
        merged.append(
            planning.PlaceNeeds(
                code=place.code,
                name=place.name,
                needs=dict(sorted(combined.items(), key=lambda kv: planning.THEMES.index(kv[0]))),
                days=place.days,
                times=place.times,
                logbook=extra,
            )
        )
    for code in sorted(demand):
        extra = demand[code]
        merged.append(
            planning.PlaceNeeds(
                code=code,
                name=names[code],
                needs=dict(sorted(extra.items(), key=lambda kv: planning.THEMES.index(kv[0]))),
                logbook=extra,
            )
        )
    return sorted(merged, key=lambda place: place.code)


# --------------------------------------------------------------------------- proposing


@dataclass(frozen=True)
class ProposalSettings:
    """What the coordinator chooses before proposing a month."""

    year: int
    month: int
    place_kind: str = "neighbourhood"
    weekdays: tuple[str, ...] = planning.WORKING_WEEKDAYS
    half_days: tuple[str, ...] = planning.HALF_DAYS
    days_off: tuple[date, ...] = ()
    max_slots: int | None = None
    min_visits: int = 1

    def as_dict(self) -> dict[str, Any]:
        """The settings as JSON-friendly values (kept on the programme)."""
        return {
            "place_kind": self.place_kind,
            "weekdays": list(self.weekdays),
            "half_days": list(self.half_days),
            "days_off": [d.isoformat() for d in self.days_off],
            "max_slots": self.max_slots,
            "min_visits": self.min_visits,
        }


def get_programme(session: Session, year: int, month: int) -> Programme | None:
    """The programme of a month, draft or published."""
    return session.scalar(select(Programme).where(Programme.year == year, Programme.month == month))


def planner_services(session: Session, active_themes: set[str]) -> list[planning.Service]:
    """Active services with their active themes, as the planner reads them (code = id)."""
    result = []
    for service in session.scalars(select(Service).where(Service.active.is_(True))):
        codes = tuple(code for code in service.theme_codes if code in active_themes)
        if not codes or not service.weekdays or not service.half_days:
            continue
        result.append(
            planning.Service(
                code=str(service.id),
                name=service.name,
                themes=codes,
                weekdays=tuple(service.weekdays),
                half_days=tuple(service.half_days),
                max_slots=service.max_slots_per_month,
            )
        )
    return result


def _place_ids(key: str) -> tuple[int | None, int | None]:
    """(neighbourhood_id, collection_point_id) of a place key."""
    if len(key) > 1 and key[0] in "np" and key[1:].isdigit():
        number = int(key[1:])
        return (number, None) if key[0] == "n" else (None, number)
    return (None, None)


def propose_month(
    session: Session,
    settings: ProposalSettings,
    *,
    created_by_id: int | None = None,
    is_demo: bool = False,
    needs: Sequence[planning.PlaceNeeds] | None = None,
    today: date | None = None,
) -> Programme:
    """Plan a month from the measured needs and save it as a draft (replacing a draft); commit.

    Days already past are never proposed: in the current month the plan starts today.
    """
    if not 2000 <= settings.year <= 2100 or not 1 <= settings.month <= 12:
        raise ProgrammeError({"month": _("Choisissez un mois valide.")})
    today = today or paris_today()
    if (settings.year, settings.month) < (today.year, today.month):
        raise ProgrammeError(
            {"month": _("Ce mois est passé : choisissez ce mois-ci ou un suivant.")}
        )
    past = frozenset(
        date(settings.year, settings.month, day)
        for day in range(1, today.day)
        if (settings.year, settings.month) == (today.year, today.month)
    )
    existing = get_programme(session, settings.year, settings.month)
    if existing is not None and existing.is_published:
        raise ProgrammeError(
            {
                "month": _(
                    "Le programme de ce mois est déjà publié. Dépubliez-le pour en "
                    "proposer un nouveau."
                )
            }
        )
    outside = [d for d in settings.days_off if (d.year, d.month) != (settings.year, settings.month)]
    if outside:
        raise ProgrammeError(
            {
                "days_off": _(
                    "Ces jours ne sont pas dans le mois choisi : %(days)s.",
                    days=", ".join(d.strftime("%d/%m/%Y") for d in outside),
                )
            }
        )
    themes = ensure_themes(session)
    active = {code for code, theme in themes.items() if theme.active}
    if needs is None:
        needs = measured_needs(session, settings.place_kind, active)
    constraints = planning.Constraints(
        weekdays=settings.weekdays,
        half_days=settings.half_days,
        days_off=frozenset(settings.days_off) | past,
        min_visits=settings.min_visits,
        max_slots=settings.max_slots,
    )
    try:
        plan = planning.plan_month(
            settings.year,
            settings.month,
            needs,
            seasons=seasons(),
            services=planner_services(session, active),
            constraints=constraints,
        )
    except planning.PlanningError as error:
        session.rollback()
        raise ProgrammeError(" ".join(error.messages)) from None
    if existing is not None:
        session.delete(existing)
        # The new month must not meet the old one in the (year, month) unique index.
        session.flush()
    programme = Programme(
        year=settings.year,
        month=settings.month,
        status=ProgrammeStatus.DRAFT,
        created_by_id=created_by_id,
        settings=settings.as_dict(),
        is_demo=is_demo,
    )
    for proposed in plan:
        neighbourhood_id, point_id = _place_ids(proposed.place)
        programme.slots.append(
            Slot(
                date=proposed.date,
                half_day=HalfDay(proposed.half_day),
                neighbourhood_id=neighbourhood_id,
                collection_point_id=point_id,
                theme=themes[proposed.theme],
                service_id=int(proposed.service) if proposed.service else None,
                explanation=proposed.explanation,
                explanation_en=proposed.explanation_en,
                score=proposed.score,
            )
        )
    session.add(programme)
    session.commit()
    return programme


@cache
def seasons() -> tuple[planning.Season, ...]:
    """The shipped seasons of procedures (surveys/seasons.yaml), read once."""
    return planning.load_seasons()


def parse_days_off(text: str, year: int, month: int) -> tuple[date, ...]:
    """Read days off typed as "9/05", "09/05/2025", "2025-05-09" or "9" (day of the month)."""
    days: list[date] = []
    bad: list[str] = []
    for token in re.split(r"[\s,;]+", text.strip()):
        if not token:
            continue
        try:
            if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", token):
                y, m, d = (int(part) for part in token.split("-"))
            elif re.fullmatch(r"\d{1,2}(/\d{1,2}(/\d{4})?)?", token):
                parts = [int(part) for part in token.split("/")]
                d = parts[0]
                m = parts[1] if len(parts) > 1 else month
                y = parts[2] if len(parts) > 2 else year
            else:
                raise ValueError(token)
            days.append(date(y, m, d))
        except ValueError:
            bad.append(token)
    if bad:
        raise ProgrammeError(
            {
                "days_off": _(
                    "Date illisible : « %(dates)s ». Écrivez par exemple 9/05 ou 09/05/2025, "
                    "séparés par des virgules.",
                    dates=" », « ".join(bad),
                )
            }
        )
    return tuple(sorted(set(days)))


# --------------------------------------------------------------------------- editing


@dataclass(frozen=True)
class SlotInput:
    """A slot as the coordinator edits it."""

    date: date
    half_day: str
    place_key: str
    theme_id: int
    service_id: int | None = None
    note: str = ""
    cancelled: bool = False


@dataclass
class _Resolved:
    neighbourhood_id: int | None
    point_id: int | None
    theme: Theme
    service: Service | None
    errors: dict[str, str] = field(default_factory=dict)


def _check_slot(
    session: Session, programme: Programme, data: SlotInput, slot: Slot | None
) -> _Resolved:
    errors: dict[str, str] = {}
    if (data.date.year, data.date.month) != (programme.year, programme.month):
        errors["date"] = _(
            "Choisissez une date en %(month)s.",
            month=local_month_label(programme.year, programme.month),
        )
    if data.half_day not in planning.HALF_DAYS:
        errors["half_day"] = _("Choisissez le matin ou l'après-midi.")
    neighbourhood_id, point_id = _place_ids(data.place_key)
    if data.place_key not in Places.load(session).names and (
        slot is None or data.place_key != slot.place_key
    ):
        errors["place"] = _("Choisissez un lieu dans la liste.")
    theme = session.get(Theme, data.theme_id)
    if theme is None:
        errors["theme"] = _("Choisissez un thème dans la liste.")
    service = session.get(Service, data.service_id) if data.service_id is not None else None
    if data.service_id is not None and service is None:
        errors["service"] = _("Choisissez un service dans la liste.")
    if not errors:
        taken = session.scalar(
            select(Slot).where(
                Slot.programme_id == programme.id,
                Slot.date == data.date,
                Slot.half_day == HalfDay(data.half_day),
                Slot.id != (slot.id if slot is not None else -1),
            )
        )
        if taken is not None:
            day, place = local_day_label(data.date), taken.place_name
            if data.half_day == "morning":
                errors["date"] = _(
                    "Le bus est déjà prévu le %(day)s matin (%(place)s). Choisissez une autre "
                    "demi-journée, ou modifiez ce créneau-là.",
                    day=day,
                    place=place,
                )
            else:
                errors["date"] = _(
                    "Le bus est déjà prévu le %(day)s après-midi (%(place)s). Choisissez une "
                    "autre demi-journée, ou modifiez ce créneau-là.",
                    day=day,
                    place=place,
                )
    if errors:
        raise ProgrammeError(errors)
    assert theme is not None
    return _Resolved(neighbourhood_id, point_id, theme, service)


def _commit_slot(session: Session, programme: Programme, data: SlotInput) -> None:
    try:
        session.commit()
    except IntegrityError:
        # Two coordinators booking the same half-day at once: the unique index decides.
        session.rollback()
        raise ProgrammeError(
            {
                "date": _(
                    "Le bus est déjà prévu le %(day)s à cette demi-journée.",
                    day=local_day_label(data.date),
                )
            }
        ) from None


def add_slot(session: Session, programme: Programme, data: SlotInput) -> Slot:
    """Add a slot chosen by hand (refused if that half-day is taken); commit."""
    resolved = _check_slot(session, programme, data, None)
    slot = Slot(
        programme=programme,
        date=data.date,
        half_day=HalfDay(data.half_day),
        neighbourhood_id=resolved.neighbourhood_id,
        collection_point_id=resolved.point_id,
        theme=resolved.theme,
        service=resolved.service,
        explanation=EXPLANATION_ADDED,
        score=None,
        note=data.note.strip(),
        cancelled=data.cancelled,
    )
    session.add(slot)
    _commit_slot(session, programme, data)
    return slot


def update_slot(session: Session, slot: Slot, data: SlotInput) -> Slot:
    """Change a slot (refused if the new half-day is taken); commit."""
    programme = slot.programme
    resolved = _check_slot(session, programme, data, slot)
    moved = (
        slot.date != data.date
        or slot.half_day.value != data.half_day
        or slot.place_key != data.place_key
        or slot.theme_id != resolved.theme.id
    )
    changed = moved or (
        slot.service_id != (resolved.service.id if resolved.service else None)
        or slot.note != data.note.strip()
        or slot.cancelled != data.cancelled
    )
    slot.date = data.date
    slot.half_day = HalfDay(data.half_day)
    slot.neighbourhood_id = resolved.neighbourhood_id
    slot.collection_point_id = resolved.point_id
    slot.theme = resolved.theme
    slot.service = resolved.service
    slot.note = data.note.strip()
    slot.cancelled = data.cancelled
    if moved:
        # The planner's reason no longer holds once the coordinator moved the slot.
        slot.explanation = EXPLANATION_MOVED
        slot.score = None
    if changed and programme.is_published:
        slot.sequence += 1
    _commit_slot(session, programme, data)
    return slot


def delete_slot(session: Session, slot: Slot) -> None:
    """Delete a slot; commit."""
    session.delete(slot)
    session.commit()


def publish(session: Session, programme: Programme) -> None:
    """Publish a month for residents (it needs at least one slot); commit."""
    if not programme.slots:
        raise ProgrammeError(_("Ajoutez au moins un créneau avant de publier ce mois."))
    programme.status = ProgrammeStatus.PUBLISHED
    programme.published_at = utcnow()
    session.commit()


def unpublish(session: Session, programme: Programme) -> None:
    """Take a month back to draft (residents no longer see it); commit."""
    programme.status = ProgrammeStatus.DRAFT
    programme.published_at = None
    session.commit()


def delete_programme(session: Session, programme: Programme) -> None:
    """Delete a draft month and its slots; commit."""
    if programme.is_published:
        raise ProgrammeError(_("Dépubliez ce mois avant de le supprimer."))
    session.delete(programme)
    session.commit()


# --------------------------------------------------------------------------- public side


def feed_start(today: date) -> date:
    """First day the iCalendar feed carries: the same day FEED_PAST_MONTHS months ago."""
    year, month = divmod(today.year * 12 + today.month - 1 - FEED_PAST_MONTHS, 12)
    month += 1
    last = calendar_module.monthrange(year, month)[1]
    return date(year, month, min(today.day, last))


def _with_places() -> tuple[Any, ...]:
    return (
        selectinload(Slot.neighbourhood),
        selectinload(Slot.collection_point).selectinload(CollectionPoint.neighbourhood),
        selectinload(Slot.theme),
        selectinload(Slot.service),
    )


def published_slots_from(session: Session, start: date) -> list[Slot]:
    """Every published slot on ``start`` or later (no end: all the future), in calendar order."""
    slots = session.scalars(
        select(Slot)
        .join(Programme)
        .where(Programme.status == ProgrammeStatus.PUBLISHED, Slot.date >= start)
        .options(*_with_places())
    ).all()
    return sorted(slots, key=Slot.sort_key)


def upcoming_slots(session: Session, today: date, neighbourhood: str | None = None) -> list[Slot]:
    """Published slots from today on, optionally only in one neighbourhood (by code)."""
    slots = published_slots_from(session, today)
    if neighbourhood:
        slots = [slot for slot in slots if slot.neighbourhood_code == neighbourhood]
    return slots


@dataclass(frozen=True)
class CalendarPage:
    """One page of the public calendar: some days, and where the next page starts."""

    days: list[tuple[date, list[Slot]]]
    next_start: date | None


def calendar_page(slots: Sequence[Slot], start: date, max_days: int = PAGE_DAYS) -> CalendarPage:
    """The days with a stop from ``start`` on, at most ``max_days`` of them per page."""
    days = by_day([slot for slot in slots if slot.date >= start])
    if len(days) > max_days:
        return CalendarPage(days[:max_days], days[max_days][0])
    return CalendarPage(days, None)


def calendar_neighbourhoods(session: Session) -> list[Neighbourhood]:
    """Neighbourhoods residents can pick on the calendar: every one, by name."""
    return list(session.scalars(select(Neighbourhood).order_by(Neighbourhood.name)))


def map_url(coordinates: tuple[float, float] | None) -> str | None:
    """A link to the stop on OpenStreetMap (opens the phone's browser or map app)."""
    if coordinates is None:
        return None
    lat, lon = (f"{value:.5f}" for value in coordinates)
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"


def month_slots(session: Session, programme: Programme) -> list[Slot]:
    """A programme's slots in calendar order, places loaded."""
    slots = session.scalars(
        select(Slot).where(Slot.programme_id == programme.id).options(*_with_places())
    ).all()
    return sorted(slots, key=Slot.sort_key)


def by_day(slots: Sequence[Slot]) -> list[tuple[date, list[Slot]]]:
    """Group slots (already in calendar order) by date."""
    days: list[tuple[date, list[Slot]]] = []
    for slot in slots:
        if days and days[-1][0] == slot.date:
            days[-1][1].append(slot)
        else:
            days.append((slot.date, [slot]))
    return days


def stop_location(slot: Slot) -> str:
    """The stop in one line: "Parking de la Maison de quartier, 12 avenue…, Canto Perdrix"."""
    parts = [slot.stop_name, slot.stop_address]
    if slot.place_name not in parts:
        parts.append(slot.place_name)
    return ", ".join(part for part in parts if part)


def published_slot(slot: Slot) -> PublishedSlot:
    """The slot as the calendar feed reads it."""
    return PublishedSlot(
        id=slot.id,
        date=slot.date,
        half_day=slot.half_day.value,
        place_name=slot.place_name,
        location=stop_location(slot),
        geo=slot.coordinates,
        theme=slot.theme.code,
        service_name=slot.service.name if slot.service is not None else None,
        note=slot.note or None,
        sequence=slot.sequence,
        cancelled=slot.cancelled,
    )


def calendar_feed(
    session: Session, today: date, base_url: str, now: datetime | None = None
) -> bytes:
    """The iCalendar file of every published slot of the past 3 months and of all the future."""
    host = urlsplit(base_url).netloc or "localhost"
    return build_calendar(
        [published_slot(slot) for slot in published_slots_from(session, feed_start(today))],
        host=host,
        now=now or datetime.now(UTC),
        url=base_url.rstrip("/") + "/calendrier",
    )


def published_months(session: Session, today: date) -> list[Programme]:
    """Published programmes of this month and later, for flyer links."""
    return list(
        session.scalars(
            select(Programme)
            .where(
                Programme.status == ProgrammeStatus.PUBLISHED,
                Programme.year * 12 + Programme.month >= today.year * 12 + today.month,
            )
            .order_by(Programme.year, Programme.month)
        )
    )


def next_stops_for(
    session: Session, themes: Iterable[str], today: date, limit: int = 3
) -> list[Slot]:
    """The next published slots on any of these themes (for "à qui s'adresser")."""
    wanted = set(themes)
    return [
        s for s in upcoming_slots(session, today) if s.theme.code in wanted and not s.cancelled
    ][:limit]


# --------------------------------------------------------------------------- who to ask


def directory() -> Directory:
    """The shipped directory of services and partners, in the reader's language."""
    return _directory("fr" if _in_french() else "en")


@cache
def _directory(language: str) -> Directory:
    """The shipped directory (surveys/directory.yaml) in one language, read once."""
    return load_directory(language=language)


def search_directory(theme: str | None, text: str | None) -> list[DirectoryEntry]:
    """Directory entries for a theme and/or words (DirectoryError on an unknown theme)."""
    return search(directory(), theme or None, text or None)


def directory_for_needs(themes: Iterable[str], limit: int = 4) -> list[DirectoryEntry]:
    """The entries that answer a person's needs (unknown codes are ignored)."""
    known = [code for code in themes if code in planning.THEMES]
    return for_needs(directory(), known)[:limit] if known else []


def next_month(today: date) -> tuple[int, int]:
    """(year, month) of the month after today's."""
    return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
