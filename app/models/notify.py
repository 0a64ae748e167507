"""Residents' reminders: "tell me when the bus comes near me" subscriptions and their deliveries.

A subscription holds the only personal data (an email, optionally a phone number). It is
confirmed by a click (double opt-in), deleted at once by the one-click unsubscribe, and deleted after 12
months without a click. A delivery is one reminder for one stop (slot): unique per pair, so a
reminder is sent at most once however often ``notify send-due`` runs; deliveries go with their
subscription.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, created_at, int_pk, utcnow


class Subscription(Base):
    """A resident's wish to be told before the bus comes to some neighbourhoods."""

    __tablename__ = "reminder_subscriptions"

    id: Mapped[int_pk]
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    # Random, unguessable: the capability in every link (confirm, unsubscribe, stay subscribed).
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # Neighbourhood codes chosen by the resident.
    neighbourhoods: Mapped[list[Any]] = mapped_column(default=list)
    # What they will come for (a code of surveys/procedures.yaml), if they said.
    procedure: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(10), default="fr")
    created_at: Mapped[created_at]
    confirmed_at: Mapped[datetime | None]
    # Last click on any of our links (confirmation included): 12 months without one deletes it.
    last_click_at: Mapped[datetime] = mapped_column(default=utcnow)

    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="subscription", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class DeliveryStatus(enum.Enum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class Delivery(Base):
    """One reminder of one stop to one subscriber."""

    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "slot_id", name="uq_reminder_deliveries_pair"),
        Index("ix_reminder_deliveries_slot", "slot_id"),
    )

    id: Mapped[int_pk]
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("reminder_subscriptions.id", ondelete="CASCADE")
    )
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"))
    status: Mapped[DeliveryStatus] = mapped_column(default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[created_at]
    sent_at: Mapped[datetime | None]

    subscription: Mapped[Subscription] = relationship(back_populates="deliveries")
