"""Tell residents before the bus comes: subscriptions, reminders, one-click unsubscribe, purge.

Flow: a resident subscribes (email, neighbourhoods, optionally the procedure they will come for)
-> a confirmation email -> the click confirms (double opt-in). The day before each published stop
in a chosen neighbourhood, ``notify send-due`` (cron) creates one delivery per subscriber and stop
and queues it; the worker sends the email with what to bring and an RFC 8058 one-click
unsubscribe. Unsubscribing deletes the subscription and its deliveries: no personal data is left.
Subscriptions without a click for 12 months, and unconfirmed ones after 7 days, are deleted.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from app import queue
from app.db import db, utcnow
from app.i18n import current_language
from app.mail import MailError, build_message, send_message, smtp_connection
from app.models.notify import Delivery, DeliveryStatus, Subscription
from app.models.programme import Programme, ProgrammeStatus, Slot
from app.models.surveys import CollectionPoint, Neighbourhood
from app.services import programme as programme_svc
from app.sms import SmsError, get_sender, sms_enabled
from surveys import procedures

KEEP_WITHOUT_CLICK = timedelta(days=365)
KEEP_UNCONFIRMED = timedelta(days=7)


class NotifyError(Exception):
    """A subscription request cannot be accepted; ``messages`` maps fields to French sentences."""

    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__(" ".join(messages.values()))
        self.messages = messages


# --------------------------------------------------------------------------- subscriptions


def new_token() -> str:
    return secrets.token_urlsafe(32)


def by_token(session: Session, token: str) -> Subscription | None:
    """The subscription a link's token designates, or None."""
    if not token or len(token) > 64:
        return None
    return session.scalar(select(Subscription).where(Subscription.token == token))


def subscribe(
    session: Session,
    email: str,
    neighbourhood_codes: Sequence[str],
    procedure: str | None = None,
    language: str = "fr",
    phone: str | None = None,
) -> Subscription:
    """Record (or renew) an unconfirmed subscription and send the confirmation email.

    An address already confirmed keeps its choices and receives a note with its own links, so
    nobody can change another person's choices or learn whether an address is subscribed.
    """
    known = {n.code for n in session.scalars(select(Neighbourhood))}
    chosen = [code for code in dict.fromkeys(neighbourhood_codes) if code in known]
    if not chosen:
        raise NotifyError({"neighbourhoods": _("Choisissez au moins un quartier.")})
    if procedure and procedures.by_code(procedure) is None:
        procedure = None
    address = email.strip()
    existing = session.scalar(select(Subscription).where(Subscription.email == address))
    if existing is not None and existing.confirmed:
        session.commit()
        _dispatch(send_already_subscribed, existing.id)
        return existing
    if existing is None:
        existing = Subscription(email=address, token=new_token())
        session.add(existing)
    existing.neighbourhoods = chosen
    existing.procedure = procedure
    existing.language = language[:10]
    existing.phone = phone or None
    existing.created_at = utcnow()
    session.commit()
    _dispatch(send_confirmation, existing.id)
    return existing


def confirm(session: Session, token: str) -> Subscription | None:
    """Confirm the subscription (double opt-in); None for an unknown or deleted one."""
    subscription = by_token(session, token)
    if subscription is None:
        return None
    now = utcnow()
    if subscription.confirmed_at is None:
        subscription.confirmed_at = now
    subscription.last_click_at = now
    session.commit()
    return subscription


def record_click(session: Session, token: str) -> bool:
    """A click on a reminder's link: the subscription is wanted for 12 more months."""
    updated = session.execute(
        update(Subscription)
        .where(Subscription.token == token, Subscription.confirmed_at.is_not(None))
        .values(last_click_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(updated.rowcount)


def unsubscribe(session: Session, token: str) -> bool:
    """Delete the subscription and everything sent to it; False if it was already gone."""
    subscription = by_token(session, token)
    if subscription is None:
        return False
    session.execute(delete(Delivery).where(Delivery.subscription_id == subscription.id))
    session.delete(subscription)
    session.commit()
    return True


def purge(session: Session, now: datetime | None = None) -> int:
    """Delete subscriptions without a click for 12 months and unconfirmed ones after 7 days."""
    moment = now or utcnow()
    stale = select(Subscription.id).where(
        (Subscription.last_click_at < moment - KEEP_WITHOUT_CLICK)
        | (
            Subscription.confirmed_at.is_(None)
            & (Subscription.created_at < moment - KEEP_UNCONFIRMED)
        )
    )
    ids = list(session.scalars(stale))
    if ids:
        session.execute(delete(Delivery).where(Delivery.subscription_id.in_(ids)))
        session.execute(delete(Subscription).where(Subscription.id.in_(ids)))
    session.commit()
    return len(ids)


# --------------------------------------------------------------------------- reminders due


def slot_neighbourhood_code(slot: Slot) -> str | None:
    """The neighbourhood a stop serves: its own, or its collection point's."""
    if slot.neighbourhood is not None:
        return slot.neighbourhood.code
    point = slot.collection_point
    if point is not None and point.neighbourhood is not None:
        return point.neighbourhood.code
    return None


def stops_on(session: Session, day: date) -> list[Slot]:
    """Published, not cancelled stops on ``day``."""
    slots = session.scalars(
        select(Slot)
        .join(Programme)
        .where(
            Programme.status == ProgrammeStatus.PUBLISHED,
            Slot.date == day,
            Slot.cancelled.is_(False),
        )
        .options(
            selectinload(Slot.neighbourhood),
            selectinload(Slot.collection_point).selectinload(CollectionPoint.neighbourhood),
            selectinload(Slot.theme),
            selectinload(Slot.service),
        )
    ).all()
    return sorted(slots, key=Slot.sort_key)


@dataclass
class SendReport:
    stops: int = 0
    created: int = 0
    queued: int = 0
    sent_inline: int = 0
    failed_inline: int = 0
    purged: int = 0


def create_due_deliveries(session: Session, today: date) -> tuple[int, list[int]]:
    """Create the missing deliveries for tomorrow's stops; return (stops, new delivery ids)."""
    tomorrow = today + timedelta(days=1)
    stops = stops_on(session, tomorrow)
    if not stops:
        return 0, []
    by_code: dict[str, list[int]] = {}
    for slot in stops:
        code = slot_neighbourhood_code(slot)
        if code:
            by_code.setdefault(code, []).append(slot.id)
    pairs: list[dict[str, object]] = []
    rows = session.execute(
        select(Subscription.id, Subscription.neighbourhoods).where(
            Subscription.confirmed_at.is_not(None)
        )
    )
    for subscription_id, codes in rows:
        for code in codes or []:
            for slot_id in by_code.get(code, []):
                pairs.append({"subscription_id": subscription_id, "slot_id": slot_id})
    if not pairs:
        return len(stops), []
    slot_ids = [slot.id for slot in stops]
    before = set(session.scalars(select(Delivery.id).where(Delivery.slot_id.in_(slot_ids))))
    insert = pg_insert if _dialect(session) == "postgresql" else sqlite_insert
    for start in range(0, len(pairs), 1000):
        statement = insert(Delivery).values(
            [
                {
                    **pair,
                    "status": DeliveryStatus.QUEUED,
                    "attempts": 0,
                    "created_at": utcnow(),
                }
                for pair in pairs[start : start + 1000]
            ]
        )
        session.execute(statement.on_conflict_do_nothing())
    session.commit()
    after = session.scalars(select(Delivery.id).where(Delivery.slot_id.in_(slot_ids)))
    return len(stops), sorted(set(after) - before)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def send_due(
    session: Session,
    today: date | None = None,
    progress: Callable[[Iterable[int]], Iterable[int]] | None = None,
) -> SendReport:
    """Queue tomorrow's reminders (each once), then purge stale subscriptions.

    Deliveries still queued from an earlier run (Redis was down, the worker crashed) are queued
    again; the job itself skips a delivery already sent.
    """
    day = today or programme_svc.paris_today()
    report = SendReport()
    report.stops, created = create_due_deliveries(session, day)
    report.created = len(created)
    tomorrow = day + timedelta(days=1)
    pending = list(
        session.scalars(
            select(Delivery.id)
            .join(Slot)
            .where(Slot.date == tomorrow, Delivery.status == DeliveryStatus.QUEUED)
            .order_by(Delivery.id)
        )
    )
    batches = [pending[i : i + BATCH_SIZE] for i in range(0, len(pending), BATCH_SIZE)]
    queued_batches = queue.enqueue_many(run_job, [("deliver_reminders", b) for b in batches])
    report.queued = len(pending) if batches and queued_batches == len(batches) else 0
    if pending and report.queued == 0:
        current_app.logger.warning("Queue down: sending %d reminders inline", len(pending))
        ids: Iterable[int] = progress(pending) if progress else pending
        try:
            with smtp_connection() as send:
                for delivery_id in ids:
                    try:
                        if deliver_reminder(delivery_id, send):
                            report.sent_inline += 1
                    except MailError:
                        report.failed_inline += 1
        except MailError:
            report.failed_inline = len(pending) - report.sent_inline
    report.purged = purge(session)
    return report


# --------------------------------------------------------------------------- jobs


def _dispatch(send: Callable[[int], object], subscription_id: int) -> None:
    """Queue a resident's email; without Redis, send it now (a warning is logged)."""
    if queue.enqueue(run_job, send.__name__, subscription_id) is None:
        send(subscription_id)


JOBS: dict[str, Callable[[Any], object]] = {}
# Reminders go in batches: one job and one SMTP connection for this many emails.
BATCH_SIZE = 100


def run_job(name: str, argument: Any) -> object:
    """Entry point of every queued job: run it, then release the worker's database session."""
    try:
        return JOBS[name](argument)
    finally:
        db.session.remove()


def _link(endpoint: str, token: str) -> str:
    base = current_app.config["MAIRIEBUS_BASE_URL"].rstrip("/")
    paths = {
        "confirm": f"/rappels/confirmer/{token}",
        "unsubscribe": f"/rappels/desinscription/{token}",
        "calendar": f"/rappels/calendrier/{token}",
    }
    return base + paths[endpoint]


def sms_text(subject: str, token: str) -> str:
    """The reminder by text message: the email's subject and the link that stops everything."""
    link = _link("unsubscribe", token)
    return _("%(subject)s. Ne plus recevoir de rappels : %(link)s", subject=subject, link=link)


def _unsubscribe_headers(token: str) -> dict[str, str]:
    # RFC 8058: mail clients show an "unsubscribe" button that POSTs to this URL.
    return {
        "List-Unsubscribe": f"<{_link('unsubscribe', token)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _names(codes: Iterable[str]) -> str:
    found = {n.code: n.name for n in db.session.scalars(select(Neighbourhood))}
    return ", ".join(found.get(code, code) for code in codes)


def send_confirmation(subscription_id: int) -> bool:
    """Job: the double opt-in email. Raises MailError so the queue retries."""
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None or subscription.confirmed:
        return False
    with force_locale(subscription.language):
        text = "\n\n".join(
            [
                _("Bonjour,"),
                _(
                    "Vous avez demandé à être prévenu·e quand le bus Mairie Bus vient près de chez vous (%(places)s).",
                    places=_names(subscription.neighbourhoods),
                ),
                _("Pour confirmer, ouvrez ce lien :") + "\n" + _link("confirm", subscription.token),
                _(
                    "Si ce n'est pas vous, ne faites rien : sans confirmation, votre adresse est effacée dans 7 jours."
                ),
                current_app.config["TOWN_NAME"],
            ]
        )
        message = build_message(
            subscription.email, _("Confirmez pour être prévenu·e du passage du bus"), text
        )
    send_message(message)
    return True


def send_already_subscribed(subscription_id: int) -> bool:
    """Job: someone asked again for a confirmed address; remind its owner of their links."""
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None:
        return False
    with force_locale(subscription.language):
        text = "\n\n".join(
            [
                _("Bonjour,"),
                _(
                    "Vous êtes déjà inscrit·e pour être prévenu·e du passage du bus (%(places)s).",
                    places=_names(subscription.neighbourhoods),
                ),
                _("Pour changer de quartiers, désinscrivez-vous puis inscrivez-vous de nouveau :")
                + "\n"
                + _link("unsubscribe", subscription.token),
                current_app.config["TOWN_NAME"],
            ]
        )
        message = build_message(
            subscription.email,
            _("Vous êtes déjà inscrit·e"),
            text,
            headers=_unsubscribe_headers(subscription.token),
        )
    send_message(message)
    return True


def reminder_text(subscription: Subscription, slot: Slot) -> tuple[str, str]:
    """Subject and body of a reminder (in the subscriber's language)."""
    day = programme_svc.local_day_label(slot.date)
    hours = programme_svc.hours_label(slot.half_day.value)
    subject = _("Le bus passe demain à %(place)s", place=slot.place_name)
    lines = [
        _("Bonjour,"),
        _(
            "Le bus Mairie Bus sera %(day)s, de %(hours)s, à %(place)s.",
            day=day,
            hours=hours,
            place=slot.place_name,
        ),
        _("Thème : %(theme)s.", theme=programme_svc.theme_label(slot.theme.code)),
    ]
    if slot.service is not None:
        lines.append(_("À bord : %(service)s.", service=slot.service.name))
    if slot.note:
        lines.append(slot.note)
    procedure = procedures.by_code(subscription.procedure, subscription.language)
    if procedure is not None:
        documents = "\n".join(f"- {line}" for line in procedure.documents)
        lines.append(
            _("Vous venez pour %(name)s. Pensez à apporter :", name=procedure.name)
            + "\n"
            + documents
        )
    lines += [
        _("Tout le programme :") + "\n" + _link("calendar", subscription.token),
        _("Ne plus recevoir ces messages :") + "\n" + _link("unsubscribe", subscription.token),
        current_app.config["TOWN_NAME"],
    ]
    return subject, "\n\n".join(lines)


def deliver_reminder(delivery_id: int, send: Callable[[EmailMessage], None]) -> bool:
    """Send one reminder, once: False when there is nothing (more) to send; MailError on failure."""
    delivery = db.session.get(Delivery, delivery_id, options=[selectinload(Delivery.subscription)])
    if delivery is None or delivery.status is DeliveryStatus.SENT:
        return False  # unsubscribed meanwhile, or a second run of the same job
    subscription = delivery.subscription
    slot = db.session.get(Slot, delivery.slot_id)
    if slot is None or slot.cancelled:
        return False
    delivery.attempts += 1
    with force_locale(subscription.language):
        subject, text = reminder_text(subscription, slot)
        short_text = sms_text(subject, subscription.token)
        message = build_message(
            subscription.email, subject, text, headers=_unsubscribe_headers(subscription.token)
        )
    try:
        send(message)
    except MailError:
        if delivery.attempts > len(queue.RETRY_INTERVALS):
            delivery.status = DeliveryStatus.FAILED
        db.session.commit()
        raise
    if subscription.phone and sms_enabled():
        try:
            get_sender().send(subscription.phone, short_text)
        except SmsError as error:
            current_app.logger.warning("SMS reminder not sent: %r", error)
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = utcnow()
    db.session.commit()
    return True


def deliver_reminders(delivery_ids: list[int]) -> int:
    """Job: send a batch of reminders over one SMTP connection; return how many were sent.

    A failure raises MailError so the queue retries the batch later; reminders already sent are
    skipped on the retry.
    """
    sent = 0
    with smtp_connection() as send:
        for delivery_id in delivery_ids:
            if deliver_reminder(delivery_id, send):
                sent += 1
    return sent


JOBS.update(
    send_confirmation=send_confirmation,
    send_already_subscribed=send_already_subscribed,
    deliver_reminders=deliver_reminders,
)


# --------------------------------------------------------------------------- demand per stop


@dataclass
class StopDemand:
    """Who said they would come to a stop: subscribers of its neighbourhood, by procedure."""

    subscribers: int = 0
    by_procedure: list[tuple[str, int]] = field(default_factory=list)


def demand_per_stop(session: Session, slots: Sequence[Slot]) -> dict[int, StopDemand]:
    """Expected demand for each slot, from confirmed subscriptions of its neighbourhood."""
    per_code: dict[str, Counter[str | None]] = {}
    rows = session.execute(
        select(Subscription.neighbourhoods, Subscription.procedure).where(
            Subscription.confirmed_at.is_not(None)
        )
    )
    for codes, procedure in rows:
        for code in codes or []:
            per_code.setdefault(code, Counter())[procedure] += 1
    result: dict[int, StopDemand] = {}
    for slot in slots:
        counts = per_code.get(slot_neighbourhood_code(slot) or "", Counter())
        named = []
        for code, count in counts.most_common():
            procedure = procedures.by_code(code, current_language()) if code else None
            if procedure is not None:
                named.append((procedure.name, count))
        result[slot.id] = StopDemand(sum(counts.values()), named)
    return result
