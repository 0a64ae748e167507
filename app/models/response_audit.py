"""Append-only log of questionnaire responses deleted by coordinators.

The response and its answers are gone; the log keeps what identifies the deletion (the
response's public id, its questionnaire, where and when it was given), who deleted it and why,
never the answers themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from app.db import Base, int_pk, utcnow


class ResponseAuditError(RuntimeError):
    """Raised when code tries to change or remove a row of the deletion log."""


class ResponseDeletion(Base):
    """One deleted response: what it was, who deleted it, when and why (rows never change)."""

    __tablename__ = "response_deletions"

    id: Mapped[int_pk]
    response_uuid: Mapped[str] = mapped_column(String(36), index=True)
    form_id: Mapped[str] = mapped_column(String(100))
    form_version: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime | None]
    collection_point: Mapped[str] = mapped_column(String(160), default="")
    channel: Mapped[str] = mapped_column(String(32), default="")
    was_demo: Mapped[bool] = mapped_column(default=False)
    answer_count: Mapped[int] = mapped_column(default=0)
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who, as text kept even if the account goes.
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    reason: Mapped[str] = mapped_column(String(300))


@event.listens_for(ResponseDeletion, "before_update")
def _refuse_update(mapper: Mapper[Any], connection: Any, target: ResponseDeletion) -> None:
    raise ResponseAuditError("response_deletions is append-only: rows cannot be changed")


@event.listens_for(ResponseDeletion, "before_delete")
def _refuse_delete(mapper: Mapper[Any], connection: Any, target: ResponseDeletion) -> None:
    raise ResponseAuditError("response_deletions is append-only: rows cannot be deleted")
