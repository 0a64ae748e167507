"""The aidants' logbook: visits (passages), their audit trail, referents and referrals.

A visit is one person helped on the bus. It holds no name unless the person wants follow-up and
consents; that contact is erased after ``JOURNAL_RETENTION_DAYS`` (see services/journal.py).
Visits are never deleted: each change is kept in ``VisitChange`` (append-only). A referral hands
the person over to a referent or a service of the directory; the referent answers through a
signed, expiring link without an account.
"""

from __future__ import annotations

import datetime as dt
import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    event,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, created_at, int_pk, utcnow
from app.models.accounts import User
from app.models.programme import Service, Theme
from app.models.surveys import CollectionPoint, Neighbourhood

# Which themes a referent covers (many-to-many).
referent_themes = Table(
    "referent_themes",
    Base.metadata,
    Column("referent_id", ForeignKey("referents.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class Referent(Base):
    """A named person of a service who takes over when the bus cannot (managed by coordinators)."""

    __tablename__ = "referents"

    id: Mapped[int_pk]
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    # Any provider's meeting URL (https), opened from the tablet for a visio with the person.
    visio_url: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]

    service: Mapped[Service | None] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=referent_themes, order_by=Theme.name)

    @property
    def theme_codes(self) -> list[str]:
        """The codes of the themes they cover."""
        return [theme.code for theme in self.themes]

    @property
    def display_name(self) -> str:
        """Their name and service, as the aidant reads it."""
        return f"{self.name} ({self.service.name})" if self.service is not None else self.name

    @staticmethod
    def ordered():  # type: ignore[no-untyped-def]
        """Select every referent, active first, by name."""
        return select(Referent).order_by(Referent.active.desc(), Referent.name)


class Outcome(enum.Enum):
    """How a visit ended."""

    SOLVED = "solved"  # réglé sur place
    SOLVED_WITH_HELP = "solved_with_help"  # réglé avec aide
    REFERRED = "referred"  # orienté vers…
    CALL_BACK = "call_back"  # à rappeler


class Visit(Base):
    """One person helped on the bus (a line of the logbook)."""

    __tablename__ = "journal_visits"
    __table_args__ = (Index("ix_journal_visits_day", "day"),)

    id: Mapped[int_pk]
    # The hidden key of the entry form: a form sent twice (or replayed offline) records one visit.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    aidant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The day in Martigues (the day view and "editable the same day" use it).
    day: Mapped[dt.date]
    # Where the bus was: a neighbourhood or a collection point (or unknown).
    place_neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="RESTRICT")
    )
    place_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("collection_points.id", ondelete="RESTRICT")
    )
    # Codes of surveys/journal.py PROCEDURES and of the shared themes (derived from both).
    procedures: Mapped[list[Any]] = mapped_column(default=list)
    themes: Mapped[list[Any]] = mapped_column(default=list)
    age_band: Mapped[str | None] = mapped_column(String(16))
    # Where the person lives (optional).
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="RESTRICT")
    )
    outcome: Mapped[Outcome]
    minutes: Mapped[int | None]
    note: Mapped[str] = mapped_column(Text, default="")  # private to the team
    # Follow-up contact, only with the person's explicit consent; erased after the retention.
    contact_consent: Mapped[bool] = mapped_column(default=False)
    first_name: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    contact_erased_at: Mapped[datetime | None]
    # For "à rappeler": when an aidant called back.
    called_back_at: Mapped[datetime | None]
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    aidant: Mapped[User | None] = relationship()
    place_neighbourhood: Mapped[Neighbourhood | None] = relationship(
        foreign_keys=[place_neighbourhood_id]
    )
    place_point: Mapped[CollectionPoint | None] = relationship()
    neighbourhood: Mapped[Neighbourhood | None] = relationship(foreign_keys=[neighbourhood_id])
    # passive_deletes="all": the ORM never rewrites children on a delete (visits are never
    # deleted; the before_delete hook below says so).
    referrals: Mapped[list[Referral]] = relationship(
        back_populates="visit", order_by="Referral.id", passive_deletes="all"
    )
    changes: Mapped[list[VisitChange]] = relationship(
        back_populates="visit", order_by="VisitChange.id", passive_deletes="all"
    )

    @property
    def place_name(self) -> str:
        """Where the bus was, as people name it."""
        if self.place_point is not None:
            return self.place_point.name
        return self.place_neighbourhood.name if self.place_neighbourhood is not None else ""

    @property
    def place_key(self) -> str:
        """The place as a form value: "n<id>", "p<id>" or ""."""
        if self.place_point_id is not None:
            return f"p{self.place_point_id}"
        if self.place_neighbourhood_id is not None:
            return f"n{self.place_neighbourhood_id}"
        return ""

    @property
    def has_contact(self) -> bool:
        """True while a consented contact is kept."""
        return bool(self.contact_consent and (self.first_name or self.phone or self.email))


class VisitChange(Base):
    """One change of a visit (who, when, which fields): the logbook's audit trail, append-only."""

    __tablename__ = "journal_visit_changes"

    id: Mapped[int_pk]
    visit_id: Mapped[int] = mapped_column(
        ForeignKey("journal_visits.id", ondelete="RESTRICT"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[created_at]
    # "created", "updated", "called_back", "contact_erased"…
    action: Mapped[str] = mapped_column(String(32))
    # field -> [before, after]; personal fields only say that they changed, never their values.
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    visit: Mapped[Visit] = relationship(back_populates="changes")
    user: Mapped[User | None] = relationship()


class ReferralStatus(enum.Enum):
    """Where a referral stands; the last three close it."""

    OPEN = "open"  # envoyée, sans réponse
    TAKEN = "taken"  # pris en charge
    SOLVED = "solved"  # réglé
    NOT_OURS = "not_ours"  # pas de notre ressort

    @property
    def is_closed(self) -> bool:
        """Solved or declined: nothing left to follow."""
        return self in (ReferralStatus.SOLVED, ReferralStatus.NOT_OURS)


class ReferralKind(enum.Enum):
    """By email to the referent, or a visio opened from the tablet."""

    EMAIL = "email"
    VISIO = "visio"
    DIRECTORY = "directory"  # a service of the directory without email: paper slip only


class Referral(Base):
    """A hand-over of a visit's person to a referent or a service (orientation)."""

    __tablename__ = "journal_referrals"
    __table_args__ = (Index("ix_journal_referrals_status", "status"),)

    id: Mapped[int_pk]
    # The number written on the paper slip and in the email, e.g. "OR-7K3M9Q".
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    visit_id: Mapped[int] = mapped_column(
        ForeignKey("journal_visits.id", ondelete="RESTRICT"), index=True
    )
    referent_id: Mapped[int | None] = mapped_column(ForeignKey("referents.id", ondelete="SET NULL"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    kind: Mapped[ReferralKind]
    status: Mapped[ReferralStatus] = mapped_column(default=ReferralStatus.OPEN)
    # What the person needs, in the aidant's words (sent to the referent).
    need: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
    email_sent_at: Mapped[datetime | None]
    email_error: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    is_demo: Mapped[bool] = mapped_column(default=False)

    visit: Mapped[Visit] = relationship(back_populates="referrals")
    referent: Mapped[Referent | None] = relationship()
    service: Mapped[Service | None] = relationship()

    @property
    def to_name(self) -> str:
        """Who the person was referred to."""
        if self.referent is not None:
            return self.referent.display_name
        return self.service.name if self.service is not None else ""

    @property
    def recipient_email(self) -> str:
        """Where the referral email goes: the referent's, else the service's referent."""
        if self.referent is not None and self.referent.email:
            return self.referent.email
        return self.service.referent_email if self.service is not None else ""

    @property
    def contact_phone(self) -> str:
        """The phone the person can call (the referent's, else the service's)."""
        if self.referent is not None and self.referent.phone:
            return self.referent.phone
        return self.service.referent_phone if self.service is not None else ""

    @property
    def email_failed(self) -> bool:
        """An email was due and did not leave."""
        return self.kind is ReferralKind.EMAIL and self.email_sent_at is None


@event.listens_for(VisitChange, "before_update")
def _refuse_change_edit(mapper, connection, target):  # type: ignore[no-untyped-def]
    raise ValueError("The logbook's audit trail is append-only.")


@event.listens_for(VisitChange, "before_delete")
@event.listens_for(Visit, "before_delete")
def _refuse_delete(mapper, connection, target):  # type: ignore[no-untyped-def]
    # Demo data is removed with bulk DELETE statements, which do not pass here.
    raise ValueError("Logbook visits and their history are never deleted.")
