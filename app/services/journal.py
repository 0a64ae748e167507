"""The aidants' logbook: record and edit visits, refer people, follow up, erase, export.

Each function that changes something commits once. Errors carry French messages keyed by form
field (``JournalError.messages``; the key "" is for the whole form). Referral emails leave after
the referral is stored: if sending fails the referral stays, marked "e-mail non envoyé", and the
aidant can try again.
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, selectinload

from app.db import utcnow
from app.models.accounts import User
from app.models.journal import (
    Outcome,
    Referent,
    Referral,
    ReferralKind,
    ReferralStatus,
    Visit,
    VisitChange,
)
from app.models.programme import Programme, ProgrammeStatus, Service, Slot, Theme
from app.models.surveys import CollectionPoint, Neighbourhood
from app.services.programme import PARIS, paris_today
from surveys import journal as domain
from surveys import labels
from surveys.cells import safe_row

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud on the phone
TOKEN_SALT = "journal-referral"
PHONE_RE = re.compile(r"^\+?[0-9 .()-]{10,20}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PERSONAL_FIELDS = ("first_name", "phone", "email")
AUDITED_FIELDS = (
    "place",
    "procedures",
    "themes",
    "age_band",
    "neighbourhood_id",
    "outcome",
    "minutes",
    "note",
    "contact_consent",
    *PERSONAL_FIELDS,
)


class JournalError(Exception):
    """French messages keyed by form field ("" for the whole form)."""

    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__(" ".join(messages.values()))
        self.messages = messages


# --------------------------------------------------------------------------- places


def place_choices(session: Session) -> list[tuple[str, str]]:
    """Where the bus can be: every neighbourhood ("n<id>") and active collection point ("p<id>")."""
    choices = [
        (f"n{n.id}", n.name)
        for n in session.scalars(select(Neighbourhood).order_by(Neighbourhood.name))
    ]
    choices += [(f"p{p.id}", p.name) for p in session.scalars(CollectionPoint.active())]
    return choices


def todays_slot(session: Session, moment: datetime | None = None) -> Slot | None:
    """The published slot of the bus now (the afternoon one from 13 h), else today's other one."""
    local = (moment or datetime.now(UTC)).astimezone(PARIS)
    slots = session.scalars(
        select(Slot)
        .join(Programme)
        .where(
            Programme.status == ProgrammeStatus.PUBLISHED,
            Slot.date == local.date(),
            Slot.cancelled.is_(False),
        )
        .options(selectinload(Slot.neighbourhood), selectinload(Slot.collection_point))
    ).all()
    if not slots:
        return None
    wanted = "afternoon" if local.hour >= 13 else "morning"
    return next((s for s in slots if s.half_day.value == wanted), slots[0])


def _place_ids(session: Session, key: str) -> tuple[int | None, int | None]:
    if not key:
        return None, None
    kind, number = key[:1], key[1:]
    if kind in ("n", "p") and number.isdigit():
        model = Neighbourhood if kind == "n" else CollectionPoint
        if session.get(model, int(number)) is not None:
            return (int(number), None) if kind == "n" else (None, int(number))
    raise JournalError({"place": _("Choisissez où est le bus dans la liste.")})


# --------------------------------------------------------------------------- recording


@dataclass
class VisitInput:
    """What the entry form sends (already typed by the form; checked again here)."""

    place: str = ""
    procedures: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    outcome: str = ""
    referral_to: str = ""  # "r<referent id>" or "s<service id>" when the outcome is "referred"
    need: str = ""
    minutes: int | None = None
    age_band: str = ""
    neighbourhood_id: int | None = None
    note: str = ""
    contact_consent: bool = False
    first_name: str = ""
    phone: str = ""
    email: str = ""


def _check(session: Session, data: VisitInput) -> dict[str, Any]:
    """Validate ``data``; return the visit's column values or raise JournalError."""
    errors: dict[str, str] = {}
    procedures = [code for code in dict.fromkeys(data.procedures) if code]
    unknown = [code for code in procedures if code not in domain.PROCEDURES_BY_CODE]
    if unknown:
        errors["procedures"] = _("Cette démarche n'existe pas dans la liste.")
    themes = [code for code in dict.fromkeys(data.themes) if code]
    if any(code not in labels.THEMES for code in themes):
        errors["themes"] = _("Ce thème n'existe pas dans la liste.")
    if not procedures and not themes and "procedures" not in errors:
        errors["procedures"] = _("Choisissez au moins une démarche ou un thème.")
    if data.outcome not in domain.OUTCOMES:
        errors["outcome"] = _("Choisissez comment s'est terminé le passage.")
    if data.minutes is not None and not 1 <= data.minutes <= 480:
        errors["minutes"] = _("Le temps passé va de 1 à 480 minutes.")
    if data.age_band and data.age_band not in domain.AGE_BANDS:
        errors["age_band"] = _("Choisissez une tranche d'âge dans la liste.")
    if (
        data.neighbourhood_id is not None
        and session.get(Neighbourhood, data.neighbourhood_id) is None
    ):
        errors["neighbourhood_id"] = _("Choisissez un quartier dans la liste.")
    first_name, phone, email = (data.first_name.strip(), data.phone.strip(), data.email.strip())
    if data.contact_consent:
        if not phone and not email:
            errors["phone"] = _(
                "Pour être recontactée, la personne donne un téléphone ou un e-mail."
            )
        if phone and not PHONE_RE.match(phone):
            errors["phone"] = _(
                "Écrivez le téléphone avec 10 chiffres, par exemple 06 12 34 56 78."
            )
        if email and not EMAIL_RE.match(email):
            errors["email"] = _("Écrivez l'e-mail en entier, par exemple nom@exemple.fr.")
    elif first_name or phone or email:
        errors["contact_consent"] = _(
            "Cochez l'accord de la personne pour garder ses coordonnées, ou effacez-les."
        )
    try:
        place_neighbourhood_id, place_point_id = _place_ids(session, data.place)
    except JournalError as error:
        errors.update(error.messages)
        place_neighbourhood_id = place_point_id = None
    if errors:
        raise JournalError(errors)
    return {
        "place_neighbourhood_id": place_neighbourhood_id,
        "place_point_id": place_point_id,
        "procedures": procedures,
        "themes": domain.visit_themes(procedures, themes),
        "age_band": data.age_band or None,
        "neighbourhood_id": data.neighbourhood_id,
        "outcome": Outcome(data.outcome),
        "minutes": data.minutes,
        "note": data.note.strip(),
        "contact_consent": data.contact_consent,
        "first_name": first_name if data.contact_consent else "",
        "phone": phone if data.contact_consent else "",
        "email": email if data.contact_consent else "",
    }


def visit_errors(session: Session, data: VisitInput) -> dict[str, str]:
    """Every French message about ``data`` (empty when it can be recorded)."""
    try:
        _check(session, data)
    except JournalError as error:
        return error.messages
    return {}


def referral_target(session: Session, value: str) -> Referent | Service:
    """The referent ("r<id>") or directory service ("s<id>") chosen in the form."""
    kind, number = value[:1], value[1:]
    if number.isdigit():
        if kind == "r":
            referent = session.get(Referent, int(number))
            if referent is not None and referent.active:
                return referent
        if kind == "s":
            service = session.get(Service, int(number))
            if service is not None and service.active:
                return service
    raise JournalError({"referral_to": _("Choisissez vers qui orienter la personne.")})


def find_visit_by_key(session: Session, key: str) -> Visit | None:
    """The visit recorded with this form key (a form sent twice records one visit)."""
    return session.scalar(select(Visit).where(Visit.idempotency_key == key))


def record_visit(
    session: Session,
    data: VisitInput,
    *,
    aidant_id: int | None,
    key: str,
    today: date | None = None,
) -> tuple[Visit, bool]:
    """Record a visit (and its referral when referred); commit. Returns (visit, newly created)."""
    existing = find_visit_by_key(session, key)
    if existing is not None:
        return existing, False
    values = _check(session, data)
    target = None
    if values["outcome"] is Outcome.REFERRED and data.referral_to:
        target = referral_target(session, data.referral_to)
    visit = Visit(idempotency_key=key, aidant_id=aidant_id, day=today or paris_today(), **values)
    session.add(visit)
    session.flush()
    session.add(
        VisitChange(visit=visit, user_id=aidant_id, action="created", fields=_snapshot(visit))
    )
    if target is not None:
        _add_referral(session, visit, target, data.need, aidant_id)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # the same form, sent twice at the same moment
        existing = find_visit_by_key(session, key)
        if existing is None:
            raise
        return existing, False
    return visit, True


def _value(visit: Visit, name: str) -> Any:
    if name == "place":
        return visit.place_key
    value = getattr(visit, name)
    return value.value if isinstance(value, Outcome) else value


def _snapshot(visit: Visit) -> dict[str, Any]:
    """The audited fields of a new visit; personal ones only say whether they were given."""
    return {
        name: (bool(_value(visit, name)) if name in PERSONAL_FIELDS else _value(visit, name))
        for name in AUDITED_FIELDS
    }


def can_edit(visit: Visit, today: date | None = None) -> bool:
    """A visit can be corrected on the day it was recorded only."""
    return visit.day == (today or paris_today()) and visit.contact_erased_at is None


def update_visit(
    session: Session,
    visit: Visit,
    data: VisitInput,
    *,
    user_id: int | None,
    today: date | None = None,
) -> bool:
    """Correct a visit of today, keeping who changed what; commit. False when nothing changed."""
    if not can_edit(visit, today):
        raise JournalError({"": _("Un passage se corrige seulement le jour même.")})
    values = _check(session, data)
    before = {name: _value(visit, name) for name in AUDITED_FIELDS}
    for name, value in values.items():
        setattr(visit, name, value)
    session.flush()
    changed = {}
    for name in AUDITED_FIELDS:
        after = _value(visit, name)
        if after != before[name]:
            # Personal data never goes to the trail: erasing it must leave no copy.
            changed[name] = (
                True if name in PERSONAL_FIELDS or name == "note" else [before[name], after]
            )
    if not changed:
        session.rollback()
        return False
    session.add(VisitChange(visit=visit, user_id=user_id, action="updated", fields=changed))
    session.commit()
    return True


def mark_called_back(session: Session, visit: Visit, *, user_id: int | None) -> None:
    """Note that an aidant called the person back; commit."""
    if visit.called_back_at is None:
        visit.called_back_at = utcnow()
        session.add(VisitChange(visit=visit, user_id=user_id, action="called_back", fields={}))
        session.commit()


def day_visits(session: Session, day: date) -> list[Visit]:
    """The visits of one day, latest first."""
    return list(
        session.scalars(
            select(Visit)
            .where(Visit.day == day)
            .options(*_visit_loads())
            .order_by(Visit.created_at.desc(), Visit.id.desc())
        )
    )


def _visit_loads() -> list[Any]:
    return [
        selectinload(Visit.place_neighbourhood),
        selectinload(Visit.place_point),
        selectinload(Visit.neighbourhood),
        selectinload(Visit.aidant),
        selectinload(Visit.referrals)
        .selectinload(Referral.referent)
        .selectinload(Referent.service),
        selectinload(Visit.referrals).selectinload(Referral.service),
    ]


def get_visit(session: Session, visit_id: int) -> Visit | None:
    """One visit with what its pages show."""
    return session.scalar(select(Visit).where(Visit.id == visit_id).options(*_visit_loads()))


# --------------------------------------------------------------------------- referrals


def new_reference(session: Session) -> str:
    """A fresh referral number like "OR-7K3M9Q" (unique, easy to read aloud)."""
    while True:
        code = "OR-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _i in range(6))
        if session.scalar(select(Referral.id).where(Referral.reference == code)) is None:
            return code


def _add_referral(
    session: Session,
    visit: Visit,
    target: Referent | Service,
    need: str,
    user_id: int | None,
    kind: ReferralKind | None = None,
) -> Referral:
    referent = target if isinstance(target, Referent) else None
    service = target if isinstance(target, Service) else target.service
    if kind is None:
        email = (
            referent.email if referent is not None else (service.referent_email if service else "")
        )
        kind = ReferralKind.EMAIL if email else ReferralKind.DIRECTORY
    referral = Referral(
        reference=new_reference(session),
        visit=visit,
        referent=referent,
        service=service,
        kind=kind,
        need=need.strip() or default_need(visit),
        created_by_id=user_id,
    )
    session.add(referral)
    session.flush()
    return referral


def default_need(visit: Visit) -> str:
    """What the person needs, from the visit's procedures and themes (French)."""
    parts = [
        domain.PROCEDURES_BY_CODE[c].label
        for c in visit.procedures
        if c in domain.PROCEDURES_BY_CODE
    ]
    covered = {
        domain.PROCEDURES_BY_CODE[c].theme
        for c in visit.procedures
        if c in domain.PROCEDURES_BY_CODE
    }
    parts += [
        labels.THEME_LABELS[t]
        for t in visit.themes
        if t not in covered and t in labels.THEME_LABELS
    ]
    return " ; ".join(parts)


def refer(
    session: Session,
    visit: Visit,
    target_value: str,
    need: str,
    *,
    user_id: int | None,
    kind: ReferralKind | None = None,
) -> Referral:
    """Refer the person of ``visit`` to a referent or service; commit (the email is separate)."""
    target = referral_target(session, target_value)
    if kind is ReferralKind.VISIO and not (isinstance(target, Referent) and target.visio_url):
        raise JournalError({"referral_to": _("Ce référent n'a pas de lien de visio.")})
    referral = _add_referral(session, visit, target, need, user_id, kind)
    if visit.outcome is not Outcome.REFERRED and kind is not ReferralKind.VISIO:
        session.add(
            VisitChange(
                visit=visit,
                user_id=user_id,
                action="updated",
                fields={"outcome": [visit.outcome.value, Outcome.REFERRED.value]},
            )
        )
        visit.outcome = Outcome.REFERRED
    session.add(
        VisitChange(
            visit=visit,
            user_id=user_id,
            action="referred",
            fields={"reference": referral.reference},
        )
    )
    session.commit()
    return referral


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def referral_token(referral: Referral) -> str:
    """The signed token of the referent's answer page."""
    return _serializer().dumps({"id": referral.id, "ref": referral.reference})


def link_days() -> int:
    """How long the referent's link works, in days."""
    return int(current_app.config.get("JOURNAL_LINK_DAYS", 60))


def referral_from_token(session: Session, token: str) -> Referral:
    """The referral behind a referent's link; JournalError when forged or expired."""
    try:
        data = _serializer().loads(token, max_age=link_days() * 86400)
    except SignatureExpired:
        raise JournalError(
            {
                "": _(
                    "Ce lien a expiré. Répondez à l'équipe du Mairie Bus par e-mail ou par téléphone."
                )
            }
        ) from None
    except BadSignature:
        raise JournalError(
            {"": _("Ce lien n'est pas valable. Vérifiez qu'il est copié en entier.")}
        ) from None
    referral = session.get(Referral, data.get("id")) if isinstance(data, dict) else None
    if referral is None or referral.reference != data.get("ref"):
        raise JournalError(
            {"": _("Ce lien n'est pas valable. Vérifiez qu'il est copié en entier.")}
        )
    return referral


def answer_link(referral: Referral) -> str:
    """The full URL the referent opens to answer."""
    base = current_app.config["MAIRIEBUS_BASE_URL"].rstrip("/")
    return base + url_for("journal.referral_answer", token=referral_token(referral))


def referral_email(referral: Referral) -> tuple[str, str]:
    """The subject and French text of the email to the referent."""
    visit = referral.visit
    lines = [
        _("Bonjour,"),
        "",
        _(
            "Un aidant du Mairie Bus vous oriente une personne (référence %(ref)s).",
            ref=referral.reference,
        ),
        "",
        _("Sa demande : %(need)s", need=referral.need),
    ]
    if visit.place_name:
        lines.append(
            _(
                "Reçue au bus : %(place)s, le %(day)s.",
                place=visit.place_name,
                day=visit.day.strftime("%d/%m/%Y"),
            )
        )
    lines.append("")
    if visit.has_contact:
        lines.append(_("La personne accepte d'être contactée :"))
        if visit.first_name:
            lines.append(_("Prénom : %(name)s", name=visit.first_name))
        if visit.phone:
            lines.append(_("Téléphone : %(phone)s", phone=visit.phone))
        if visit.email:
            lines.append(_("E-mail : %(email)s", email=visit.email))
    else:
        lines.append(
            _(
                "La personne n'a pas laissé de coordonnées : elle vous contactera en donnant la référence %(ref)s.",
                ref=referral.reference,
            )
        )
    lines += [
        "",
        _("Quand vous l'aurez prise en charge, dites-le-nous en un clic (sans compte) :"),
        answer_link(referral),
        _("Ce lien marche pendant %(days)d jours.", days=link_days()),
        "",
        _("Merci, l'équipe du Mairie Bus"),
    ]
    subject = _(
        "Mairie Bus – orientation %(ref)s : %(need)s",
        ref=referral.reference,
        need=referral.need[:80],
    )
    return subject, "\n".join(lines)


def send_referral_email(session: Session, referral: Referral) -> bool:
    """Email the referent; store whether it left; commit. True when it was sent."""
    from app.mail import MailError, send_email

    to = referral.recipient_email
    if referral.kind is not ReferralKind.EMAIL or not to:
        return False
    subject, text = referral_email(referral)
    try:
        send_email(to, subject, text)
    except MailError as error:
        referral.email_error = str(error)
        session.commit()
        return False
    referral.email_sent_at = utcnow()
    referral.email_error = ""
    session.commit()
    return True


def answer_referral(session: Session, referral: Referral, status: str) -> None:
    """The referent's answer: taken over, solved, or not theirs; commit."""
    try:
        new = ReferralStatus(status)
    except ValueError:
        raise JournalError({"status": _("Choisissez une des réponses proposées.")}) from None
    if new is ReferralStatus.OPEN:
        raise JournalError({"status": _("Choisissez une des réponses proposées.")})
    referral.status = new
    referral.answered_at = utcnow()
    referral.closed_at = utcnow() if new.is_closed else None
    session.add(
        VisitChange(
            visit_id=referral.visit_id,
            user_id=None,
            action="referral_answered",
            fields={"reference": referral.reference, "status": new.value},
        )
    )
    session.commit()


def follow_ups(
    session: Session, today: date | None = None, days: int | None = None
) -> list[Referral]:
    """Referrals still open (or only taken over) after ``days`` days, oldest first."""
    days = int(current_app.config.get("JOURNAL_FOLLOW_UP_DAYS", 7)) if days is None else days
    limit = datetime.combine(today or paris_today(), time(), PARIS) - timedelta(days=days)
    return list(
        session.scalars(
            select(Referral)
            .where(
                Referral.status.in_((ReferralStatus.OPEN, ReferralStatus.TAKEN)),
                Referral.created_at <= limit.astimezone(UTC),
            )
            .options(
                selectinload(Referral.visit),
                selectinload(Referral.referent).selectinload(Referent.service),
                selectinload(Referral.service),
            )
            .order_by(Referral.created_at, Referral.id)
        )
    )


def to_call_back(session: Session) -> list[Visit]:
    """Visits "à rappeler" nobody called back yet, oldest first."""
    return list(
        session.scalars(
            select(Visit)
            .where(Visit.outcome == Outcome.CALL_BACK, Visit.called_back_at.is_(None))
            .options(*_visit_loads())
            .order_by(Visit.day, Visit.id)
        )
    )


def referral_targets(session: Session) -> tuple[list[Referent], list[Service]]:
    """Active referents and active directory services, for the "orienter vers" choices."""
    referents = list(
        session.scalars(
            select(Referent)
            .where(Referent.active.is_(True))
            .options(selectinload(Referent.service), selectinload(Referent.themes))
            .order_by(Referent.name)
        )
    )
    services = list(
        session.scalars(
            select(Service)
            .where(Service.active.is_(True))
            .options(selectinload(Service.themes))
            .order_by(Service.name)
        )
    )
    return referents, services


@dataclass
class ReferentInput:
    """What the referent form sends."""

    name: str
    service_id: int | None = None
    email: str = ""
    phone: str = ""
    visio_url: str = ""
    theme_ids: list[int] = field(default_factory=list)
    active: bool = True


def save_referent(session: Session, referent: Referent | None, data: ReferentInput) -> Referent:
    """Create or change a referent; commit."""
    if data.service_id is not None and session.get(Service, data.service_id) is None:
        raise JournalError({"service_id": _("Choisissez un service dans la liste.")})
    if data.visio_url and not data.visio_url.startswith("https://"):
        raise JournalError({"visio_url": _("Le lien de visio commence par https://")})
    target = referent if referent is not None else Referent(name="")
    target.service_id = data.service_id
    target.name = data.name.strip()
    target.email = data.email.strip()
    target.phone = data.phone.strip()
    target.visio_url = data.visio_url.strip()
    target.active = data.active
    target.themes = list(session.scalars(select(Theme).where(Theme.id.in_(data.theme_ids))))
    session.add(target)
    session.commit()
    return target


# --------------------------------------------------------------------------- retention


def retention_days() -> int:
    """Days a consented contact is kept after the last referral closed (or the visit, if none)."""
    return int(current_app.config.get("JOURNAL_RETENTION_DAYS", 92))


def erase_expired_contacts(session: Session, now: datetime | None = None) -> int:
    """Erase names, phones and emails past the retention period; commit. Returns how many.

    The clock starts when the visit's last referral closed, or at the end of the visit's day
    when it had none; a referral still open keeps the contact (the referent needs it).
    """
    now = now or utcnow()
    limit = now - timedelta(days=retention_days())
    referrals_of = Referral.visit_id == Visit.id
    still_open = exists().where(referrals_of, Referral.closed_at.is_(None))
    any_referral = exists().where(referrals_of)
    last_closed = select(func.max(Referral.closed_at)).where(referrals_of).scalar_subquery()
    # A visit's day ends at midnight in Martigues: the last day that has fully passed the limit.
    last_day = (limit.astimezone(PARIS) - timedelta(days=1)).date()
    expired = list(
        session.scalars(
            select(Visit.id).where(
                Visit.contact_erased_at.is_(None),
                (Visit.first_name != "") | (Visit.phone != "") | (Visit.email != ""),
                ~still_open,
                or_(
                    and_(any_referral, last_closed <= limit),
                    and_(~any_referral, Visit.day <= last_day),
                ),
            )
        )
    )
    for chunk in (expired[i : i + 500] for i in range(0, len(expired), 500)):
        session.execute(
            update(Visit)
            .where(Visit.id.in_(chunk))
            .values(first_name="", phone="", email="", contact_erased_at=now),
            execution_options={"synchronize_session": False},
        )
        session.execute(
            insert(VisitChange),
            [
                {
                    "visit_id": number,
                    "user_id": None,
                    "at": now,
                    "action": "contact_erased",
                    "fields": {},
                }
                for number in chunk
            ],
        )
    session.commit()
    session.expire_all()
    return len(expired)


def _aware(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- export


EXPORT_COLUMNS = (
    "reference_passage",
    "date",
    "lieu_du_bus",
    "demarches",
    "themes",
    "issue",
    "orientations",
    "minutes",
    "tranche_age",
    "quartier_habitant",
    "aidant",
    "demo",
)


def month_range(year: int, month: int) -> tuple[date, date]:
    """First and last day of a month."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def export_rows(session: Session, start: date, end: date, progress: Any = None) -> list[list[Any]]:
    """One row per visit between two days (no contact, no private note), formulas neutralised."""
    in_range = (Visit.day >= start, Visit.day <= end)
    referred: dict[int, list[str]] = {}
    names = (
        select(
            Referral.visit_id,
            Referral.reference,
            Referral.status,
            func.coalesce(Referent.name, Service.name, ""),
        )
        .join(Visit, Visit.id == Referral.visit_id)
        .outerjoin(Referent, Referent.id == Referral.referent_id)
        .outerjoin(Service, Service.id == Referral.service_id)
        .where(*in_range)
        .order_by(Referral.id)
    )
    for visit_id, reference, status, to_name in session.execute(names):
        referred.setdefault(visit_id, []).append(f"{reference} {to_name} ({status.value})")
    bus_n, lives = aliased(Neighbourhood), aliased(Neighbourhood)
    query = (
        select(
            Visit.id,
            Visit.day,
            func.coalesce(CollectionPoint.name, bus_n.name, ""),
            Visit.procedures,
            Visit.themes,
            Visit.outcome,
            Visit.minutes,
            Visit.age_band,
            func.coalesce(lives.name, ""),
            func.coalesce(User.email, ""),
            Visit.is_demo,
        )
        .outerjoin(bus_n, bus_n.id == Visit.place_neighbourhood_id)
        .outerjoin(CollectionPoint, CollectionPoint.id == Visit.place_point_id)
        .outerjoin(lives, lives.id == Visit.neighbourhood_id)
        .outerjoin(User, User.id == Visit.aidant_id)
        .where(*in_range)
        .order_by(Visit.day, Visit.id)
    )
    rows = []
    for (
        number,
        day,
        place,
        procedures,
        themes,
        outcome,
        minutes,
        age,
        lives_in,
        aidant,
        demo,
    ) in session.execute(query):
        row = [
            number,
            day.isoformat(),
            place,
            " ; ".join(
                domain.PROCEDURES_BY_CODE[c].label
                for c in procedures or ()
                if c in domain.PROCEDURES_BY_CODE
            ),
            " ; ".join(labels.THEME_SHORT_LABELS.get(t, t) for t in themes or ()),
            domain.OUTCOME_LABELS[outcome.value],
            " ; ".join(referred.get(number, ())),
            minutes,
            domain.AGE_BAND_LABELS.get(age or "", ""),
            lives_in,
            aidant,
            "oui" if demo else "non",
        ]
        rows.append(safe_row(row))
        if progress is not None:
            progress(1)
    return rows


def export_bytes(rows: Sequence[Sequence[Any]], fmt: str) -> bytes:
    """The rows as CSV (UTF-8 with BOM, ';' for French Excel) or XLSX."""
    import pandas as pd

    frame = pd.DataFrame(list(rows), columns=list(EXPORT_COLUMNS))
    frame["minutes"] = frame["minutes"].astype("Int64")
    if fmt == "csv":
        return frame.to_csv(index=False, sep=";").encode("utf-8-sig")
    if fmt == "xlsx":
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, sheet_name="journal")
        return buffer.getvalue()
    raise JournalError({"format": _("Choisissez le format CSV ou Excel (xlsx).")})


# --------------------------------------------------------------------------- figures


def figures(
    session: Session, start: date | None = None, end: date | None = None, demo: str = "all"
) -> domain.JournalFigures:
    """The dashboard's Journal section for the chosen dates (demo: "all", "real" or "demo")."""
    # Plain columns, no ORM objects: a year of a busy bus is tens of thousands of visits.
    bus_n, lives = aliased(Neighbourhood), aliased(Neighbourhood)
    query = (
        select(
            Visit.day,
            func.coalesce(CollectionPoint.name, bus_n.name, ""),
            func.coalesce(lives.name, ""),
            Visit.themes,
            Visit.procedures,
            Visit.outcome,
            Visit.minutes,
        )
        .outerjoin(bus_n, bus_n.id == Visit.place_neighbourhood_id)
        .outerjoin(CollectionPoint, CollectionPoint.id == Visit.place_point_id)
        .outerjoin(lives, lives.id == Visit.neighbourhood_id)
    )
    referrals_query = select(Referral.created_at, Referral.closed_at, Referral.status).join(Visit)
    conditions = []
    if start is not None:
        conditions.append(Visit.day >= start)
    if end is not None:
        conditions.append(Visit.day <= end)
    if demo in ("real", "demo"):
        conditions.append(Visit.is_demo.is_(demo == "demo"))
    visits = [
        domain.VisitRow(
            date=day,
            place=place,
            neighbourhood=lives_in,
            themes=tuple(themes or ()),
            procedures=tuple(procedures or ()),
            outcome=outcome.value,
            minutes=minutes,
        )
        for day, place, lives_in, themes, procedures, outcome, minutes in session.execute(
            query.where(*conditions)
        )
    ]
    referrals = [
        domain.ReferralRow(
            created=_aware(created),
            closed=_aware(closed) if closed else None,
            status=status.value,
        )
        for created, closed, status in session.execute(referrals_query.where(*conditions))
    ]
    return domain.journal_figures(visits, referrals)


def logbook_demand(
    session: Session, place_kind: str, themes: Iterable[str] | None = None
) -> dict[str, dict[str, int]]:
    """Visits per place key and theme from the logbook (for the planner), last 12 months."""
    since = paris_today() - timedelta(days=365)
    rows = session.execute(
        select(
            Visit.place_neighbourhood_id, Visit.place_point_id, Visit.neighbourhood_id, Visit.themes
        ).where(Visit.day >= since)
    ).all()
    keep = set(themes) if themes is not None else None
    pairs = []
    for place_n, place_p, lives_in, visit_themes in rows:
        if place_kind == "point":
            key = f"p{place_p}" if place_p is not None else ""
        else:
            # Where the person lives says most about a neighbourhood's needs; else where the bus was.
            number = lives_in if lives_in is not None else place_n
            key = f"n{number}" if number is not None else ""
        pairs.append((key, [t for t in visit_themes or [] if keep is None or t in keep]))
    return domain.theme_demand(pairs)


def theme_ids(session: Session) -> dict[str, int]:
    """Theme ids by code."""
    return {code: number for number, code in session.execute(select(Theme.id, Theme.code))}
