"""Open Badges awarded to Passes, and their append-only audit log.

An :class:`Award` keeps exactly what was issued (the OB 2.0 Assertion and the signed OB 3.0
credential, as JSON) so the verifier can compare a baked copy field by field, plus the image
that was rendered for it. It never holds a name: only the hashed recipient, and the aidant's
organisation for validated levels.

Deleting a Pass erases the personal part of its awards (recipient hash and salt, the link to
the Pass) and revokes them: see ``_erase_awards_of_deleted_pass`` below and
``app.services.badges.erase_pass_awards``.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, LargeBinary, String, Table, event, insert, update
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from app.db import Base, created_at, int_pk, utcnow
from app.models.passes import LevelStatus, Pass

# Stored in the award and served in the public revocation list (issued content): stays French.
# Pages show it in the reader's language: see Award.revocation_reason_text.
ERASED_REASON = "Badge effacé à la demande de son titulaire."
ERASED_REASON_LABEL = _l("Badge effacé à la demande de son titulaire.")


class AwardEventKind(enum.Enum):
    """What happened to an award."""

    ISSUED = "issued"
    REVOKED = "revoked"


class AuditLogError(RuntimeError):
    """Raised when code tries to change or delete an audit log row."""


class Award(Base):
    """A badge given to a Pass: one domain and level, self-declared or validated."""

    __tablename__ = "awards"
    __table_args__ = (Index("ix_awards_pass_domain_level", "pass_id", "domain", "level"),)

    id: Mapped[int_pk]
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    # Indexed by ix_awards_pass_domain_level (pass_id first).
    pass_id: Mapped[int | None] = mapped_column(ForeignKey("passes.id", ondelete="SET NULL"))
    domain: Mapped[str] = mapped_column(String(60))
    level: Mapped[int]
    status: Mapped[LevelStatus]
    # Organisation only: an aidant's name never appears on a badge.
    aidant_organisation: Mapped[str | None] = mapped_column(String(160))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    recipient_type: Mapped[str] = mapped_column(String(10))  # "email" or "id"
    recipient_identity: Mapped[str] = mapped_column(String(80))  # "sha256$<hex>", "" once erased
    recipient_salt: Mapped[str] = mapped_column(String(64))
    # Frozen copies of what was issued, compared with baked copies by the verifier.
    assertion_json: Mapped[dict[str, Any]]
    credential_json: Mapped[dict[str, Any]]
    # The rendered (unbaked) PNG, kept so a later Pillow or font change cannot make the
    # app's own downloads look like a swapped image.
    image_png: Mapped[bytes] = mapped_column(LargeBinary)
    image_fingerprint: Mapped[str] = mapped_column(String(64))
    show_name: Mapped[bool] = mapped_column(default=False)
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("awards.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(String(300))
    erased_at: Mapped[datetime | None]
    is_demo: Mapped[bool] = mapped_column(default=False)
    # Position in the W3C Bitstring Status Lists (list = index // LIST_SIZE); None for
    # credentials issued before the lists existed (they carry no credentialStatus).
    status_index: Mapped[int | None] = mapped_column(unique=True)
    created_at: Mapped[created_at]

    pass_: Mapped[Pass | None] = relationship()
    events: Mapped[list[AwardEvent]] = relationship(
        back_populates="award", order_by="AwardEvent.id", viewonly=True
    )

    @property
    def is_revoked(self) -> bool:
        """Whether the award was revoked (or erased with its Pass)."""
        return self.revoked_at is not None

    @property
    def is_superseded(self) -> bool:
        """A self-declared award replaced by the validated badge of the same level."""
        return self.superseded_by_id is not None

    @property
    def name(self) -> str:
        """The badge title as issued (from the frozen credential)."""
        return str(self.credential_json.get("name", f"{self.domain} {self.level}"))

    def is_expired(self, now: datetime | None = None) -> bool:
        """Whether the award has an expiry date in the past."""
        if self.expires_at is None:
            return False
        return _aware(self.expires_at) <= (now or utcnow())

    @property
    def issued_on_text(self) -> str:
        """Issue date as French readers write it (04/03/2025)."""
        return _aware(self.issued_at).strftime("%d/%m/%Y")

    @property
    def revocation_reason_text(self) -> str:
        """The revocation reason for a page: the erasure reason translated, others as typed."""
        if self.revocation_reason == ERASED_REASON:
            return str(ERASED_REASON_LABEL)
        return self.revocation_reason or ""

    @property
    def revoked_on_text(self) -> str:
        """Revocation date in French format, or an empty string."""
        return _aware(self.revoked_at).strftime("%d/%m/%Y") if self.revoked_at else ""


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes: they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class AwardEvent(Base):
    """Append-only log of awards issued and revoked (rows refuse UPDATE and DELETE)."""

    __tablename__ = "award_events"

    id: Mapped[int_pk]
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AwardEventKind]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who, as text kept even if the account goes: "coordinator@…", "cli", "system".
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    reason: Mapped[str] = mapped_column(String(300), default="")

    award: Mapped[Award] = relationship(back_populates="events")


@event.listens_for(AwardEvent, "before_update")
def _refuse_update(mapper: Mapper[Any], connection: Any, target: AwardEvent) -> None:
    raise AuditLogError("award_events is append-only: rows cannot be changed")


@event.listens_for(AwardEvent, "before_delete")
def _refuse_delete(mapper: Mapper[Any], connection: Any, target: AwardEvent) -> None:
    raise AuditLogError("award_events is append-only: rows cannot be deleted")


def erase_values(now: datetime) -> dict[str, Any]:
    """Column values that erase the personal part of an award (used by the Pass hook)."""
    return {
        "pass_id": None,
        "recipient_identity": "",
        "recipient_salt": "",
        "erased_at": now,
        "show_name": False,
    }


@event.listens_for(Pass, "before_delete")
def _erase_awards_of_deleted_pass(mapper: Mapper[Any], connection: Any, target: Pass) -> None:
    """Deleting a Pass through the ORM erases and revokes its awards in the same flush.

    The foreign key's ON DELETE SET NULL alone would leave the hashed email and its salt
    behind; the frozen JSON documents are scrubbed by ``erase_pass_awards`` (which the Pass
    pages call first); this hook is the safety net for the columns and the revocation.
    """
    now = utcnow()
    table: Table = Award.__table__  # type: ignore[assignment]
    events: Table = AwardEvent.__table__  # type: ignore[assignment]
    rows = connection.execute(
        table.select()
        .where(table.c.pass_id == target.id)
        .with_only_columns(
            table.c.id, table.c.revoked_at, table.c.assertion_json, table.c.credential_json
        )
    ).all()
    for row in rows:
        values = erase_values(now)
        values["assertion_json"] = scrub_assertion(row.assertion_json)
        values["credential_json"] = scrub_credential(row.credential_json)
        if row.revoked_at is None:
            values["revoked_at"] = now
            values["revocation_reason"] = ERASED_REASON
            connection.execute(
                insert(events).values(
                    award_id=row.id,
                    kind=AwardEventKind.REVOKED.value,
                    at=now,
                    actor_label="system",
                    reason=ERASED_REASON,
                )
            )
        connection.execute(update(table).where(table.c.id == row.id).values(**values))


def scrub_assertion(document: dict[str, Any] | None) -> dict[str, Any]:
    """The issued Assertion without its recipient (hash and salt)."""
    return {k: v for k, v in (document or {}).items() if k != "recipient"}


def scrub_credential(document: dict[str, Any] | None) -> dict[str, Any]:
    """The issued credential without the subject's identifier (hash and salt)."""
    scrubbed = dict(document or {})
    subject = scrubbed.get("credentialSubject")
    if isinstance(subject, dict):
        scrubbed["credentialSubject"] = {k: v for k, v in subject.items() if k != "identifier"}
    return scrubbed
