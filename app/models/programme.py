"""The bus programme: themes, services and partners who come aboard, monthly programmes, slots.

A programme is one month (unique by year and month), first a draft proposed by the planner
(``surveys/planning.py``) from the measured needs, then published for residents. A slot is one
half-day at one place (a neighbourhood or a collection point) on one theme, with the service
aboard if any; a programme holds at most one slot per date and half-day (one bus).
"""

from __future__ import annotations

import datetime as dt
import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, created_at, int_pk, utcnow
from app.i18n import current_language
from app.models.surveys import CollectionPoint, Neighbourhood

# Stored in Slot.explanation, French like the planner's sentences; pages translate these two
# (see Slot.explanation_text).
EXPLANATION_ADDED = "Créneau ajouté par la coordination."
EXPLANATION_MOVED = "Créneau modifié par la coordination."
_EXPLANATION_LABELS = {
    EXPLANATION_ADDED: _l("Créneau ajouté par la coordination."),
    EXPLANATION_MOVED: _l("Créneau modifié par la coordination."),
}

# Which themes a service or partner can answer (many-to-many).
service_themes = Table(
    "service_themes",
    Base.metadata,
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class Theme(Base):
    """A theme of the bus (taxes, CAF, ID papers…), keyed by a shared theme code."""

    __tablename__ = "themes"

    id: Mapped[int_pk]
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    # A "#rrggbb" colour for flyers and the planner; None uses the default.
    colour: Mapped[str | None] = mapped_column(String(7))
    active: Mapped[bool] = mapped_column(default=True)
    is_demo: Mapped[bool] = mapped_column(default=False)

    @staticmethod
    def ordered():  # type: ignore[no-untyped-def]
        """Select every theme, by name."""
        return select(Theme).order_by(Theme.name)


class Service(Base):
    """A municipal service or a partner who can come aboard, with its referent."""

    __tablename__ = "services"

    id: Mapped[int_pk]
    name: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    referent_name: Mapped[str] = mapped_column(String(120), default="")
    referent_phone: Mapped[str] = mapped_column(String(40), default="")
    referent_email: Mapped[str] = mapped_column(String(254), default="")
    # Weekday codes (monday…saturday) and half-day codes (morning, afternoon) it can come.
    weekdays: Mapped[list[Any]] = mapped_column(default=list)
    half_days: Mapped[list[Any]] = mapped_column(default=list)
    max_slots_per_month: Mapped[int] = mapped_column(default=4)
    active: Mapped[bool] = mapped_column(default=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]

    themes: Mapped[list[Theme]] = relationship(secondary=service_themes, order_by=Theme.name)

    @property
    def theme_codes(self) -> list[str]:
        """The codes of the themes it covers."""
        return [theme.code for theme in self.themes]

    @staticmethod
    def ordered():  # type: ignore[no-untyped-def]
        """Select every service, active first, by name."""
        return select(Service).order_by(Service.active.desc(), Service.name)


class ProgrammeStatus(enum.Enum):
    """A draft is only seen by coordinators; a published programme is public."""

    DRAFT = "draft"
    PUBLISHED = "published"


class HalfDay(enum.Enum):
    """Morning (9 h–12 h) or afternoon (14 h–17 h)."""

    MORNING = "morning"
    AFTERNOON = "afternoon"


class Programme(Base):
    """The bus's programme for one month."""

    __tablename__ = "programmes"
    __table_args__ = (UniqueConstraint("year", "month", name="uq_programmes_year_month"),)

    id: Mapped[int_pk]
    year: Mapped[int]
    month: Mapped[int]
    status: Mapped[ProgrammeStatus] = mapped_column(default=ProgrammeStatus.DRAFT)
    published_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # What the planner was given (days off, weekdays, place kind…), shown back to the coordinator.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_demo: Mapped[bool] = mapped_column(default=False)

    slots: Mapped[list[Slot]] = relationship(
        back_populates="programme",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Slot.date",  # then by half-day in Python: "afternoon" < "morning"
    )

    @property
    def is_published(self) -> bool:
        return self.status is ProgrammeStatus.PUBLISHED

    @property
    def ordered_slots(self) -> list[Slot]:
        """The slots in calendar order (morning before afternoon)."""
        return sorted(self.slots, key=Slot.sort_key)


class Slot(Base):
    """One half-day of the bus at one place on one theme."""

    __tablename__ = "slots"
    __table_args__ = (
        # One bus: one slot per date and half-day within a programme (a month).
        UniqueConstraint("programme_id", "date", "half_day", name="uq_slots_programme_half_day"),
        CheckConstraint(
            "(neighbourhood_id IS NULL) <> (collection_point_id IS NULL)", name="one_place"
        ),
        Index("ix_slots_date", "date"),
    )

    id: Mapped[int_pk]
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    date: Mapped[dt.date]
    half_day: Mapped[HalfDay]
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="RESTRICT")
    )
    collection_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("collection_points.id", ondelete="RESTRICT")
    )
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="RESTRICT"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    # The planner's one-sentence reason (or a note that the coordinator chose it by hand).
    explanation: Mapped[str] = mapped_column(Text, default="")
    # The planner's reason in English (empty for slots planned before it existed, or by hand).
    explanation_en: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float | None]
    # Extra French text for residents (what to bring…).
    note: Mapped[str] = mapped_column(Text, default="")
    cancelled: Mapped[bool] = mapped_column(default=False)
    # Raised at each change of a published slot, so calendar apps update their copy.
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    programme: Mapped[Programme] = relationship(back_populates="slots")
    neighbourhood: Mapped[Neighbourhood | None] = relationship()
    collection_point: Mapped[CollectionPoint | None] = relationship()
    theme: Mapped[Theme] = relationship()
    service: Mapped[Service | None] = relationship()

    @property
    def explanation_text(self) -> str:
        """The explanation for a page, in the reader's language where the planner wrote both."""
        label = _EXPLANATION_LABELS.get(self.explanation or "")
        if label is not None:
            return str(label)
        if self.explanation_en and not current_language().startswith("fr"):
            return self.explanation_en
        return self.explanation or ""

    @property
    def place_name(self) -> str:
        """The name residents read: the collection point's, else the neighbourhood's."""
        if self.collection_point is not None:
            return self.collection_point.name
        return self.neighbourhood.name if self.neighbourhood is not None else ""

    @property
    def stop_name(self) -> str:
        """Where exactly the bus parks: the point's name, else the neighbourhood's stop."""
        if self.collection_point is not None:
            return self.collection_point.name
        if self.neighbourhood is not None:
            return self.neighbourhood.stop_name or self.neighbourhood.name
        return ""

    @property
    def stop_address(self) -> str:
        """The street address of the stop, empty when the coordination has not given one."""
        if self.collection_point is not None:
            return self.collection_point.address
        return self.neighbourhood.stop_address if self.neighbourhood is not None else ""

    @property
    def coordinates(self) -> tuple[float, float] | None:
        """(latitude, longitude) of the stop: the point's, else the neighbourhood's, if known."""
        for place in (self.collection_point, self.neighbourhood):
            if place is not None and place.latitude is not None and place.longitude is not None:
                return (place.latitude, place.longitude)
        return None

    @property
    def neighbourhood_code(self) -> str | None:
        """The code of the neighbourhood the stop is in (a point's own neighbourhood)."""
        if self.collection_point is not None:
            hood = self.collection_point.neighbourhood
            return hood.code if hood is not None else None
        return self.neighbourhood.code if self.neighbourhood is not None else None

    def sort_key(self) -> tuple[dt.date, int, int]:
        """Calendar order: date, then morning before afternoon."""
        return (self.date, 0 if self.half_day is HalfDay.MORNING else 1, self.id or 0)

    @property
    def place_key(self) -> str:
        """The place as a form value: "n<id>" for a neighbourhood, "p<id>" for a point."""
        if self.collection_point_id is not None:
            return f"p{self.collection_point_id}"
        return f"n{self.neighbourhood_id}"
