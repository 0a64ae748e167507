"""The Pass informatique: a resident's record reached by its code, its assessments and levels.

Deleting a Pass keeps its assessments, level results and observations as anonymous rows
(``assessments.pass_id`` becomes NULL), so the dashboard's counts by domain and level stay right
while nothing links them to a person any more.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, created_at, int_pk, utcnow
from app.models.surveys import Channel


class Pass(Base):
    """A resident's Pass: no account, reached by its code; personal data only with consent."""

    __tablename__ = "passes"

    id: Mapped[int_pk]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254))
    consent_at: Mapped[datetime | None]
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_at]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_demo: Mapped[bool] = mapped_column(default=False)
    # Badges issued without an email name this random "urn:uuid:…" (hashed) as recipient,
    # so the holder can later prove with their Pass code that a badge is theirs.
    badge_recipient: Mapped[str | None] = mapped_column(String(45))

    # No delete cascade: the database sets pass_id NULL and the anonymous results stay.
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="pass_",
        order_by="Assessment.started_at",
        cascade="save-update, merge",
        passive_deletes=True,
    )

    @staticmethod
    def by_code(code: str):  # type: ignore[no-untyped-def]
        """Select the Pass with this canonical code."""
        return select(Pass).where(Pass.code == code)


class AssessmentKind(enum.Enum):
    """A self-assessment, or one run by an aidant with the person."""

    SELF = "self"
    AIDANT = "aidant"


class Assessment(Base):
    """One dated sitting of the Pass self-assessment, alone or with an aidant."""

    __tablename__ = "assessments"
    __table_args__ = (Index("ix_assessments_pass_id", "pass_id"),)

    id: Mapped[int_pk]
    pass_id: Mapped[int | None] = mapped_column(ForeignKey("passes.id", ondelete="SET NULL"))
    kind: Mapped[AssessmentKind]
    channel: Mapped[Channel] = mapped_column(default=Channel.SELF)
    aidant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # The adaptive engine's state while in progress, then its final answers.
    state: Mapped[dict[str, Any] | None]
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="SET NULL")
    )
    # Hash of the resume token kept in the resident's HttpOnly cookie (never the token itself);
    # cleared when the assessment ends.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    pass_: Mapped[Pass | None] = relationship(back_populates="assessments")
    results: Mapped[list[LevelResult]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    observations: Mapped[list[Observation]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class LevelStatus(enum.Enum):
    """Self-declared by the person, or validated by an aidant who saw it done."""

    SELF_DECLARED = "self_declared"
    VALIDATED = "validated"


class LevelResult(Base):
    """The level reached in one domain at one assessment (read by pandas for the dashboard)."""

    __tablename__ = "level_results"
    __table_args__ = (Index("ix_level_results_domain", "domain"),)

    id: Mapped[int_pk]
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(60))
    level: Mapped[int]
    status: Mapped[LevelStatus]


class Observation(Base):
    """A practical check an aidant saw the person do."""

    __tablename__ = "observations"

    id: Mapped[int_pk]
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(60))
    level: Mapped[int]
    observed: Mapped[bool] = mapped_column(default=True)
    # What the aidant saw: "alone", "with_help" or "not_yet" (badges.scoring.ANSWERS);
    # ``observed`` is True only for "alone".
    outcome: Mapped[str] = mapped_column(String(16), default="alone")


class AidantNote(Base):
    """A private note an aidant keeps on a Pass (seen by aidants and coordinators only)."""

    __tablename__ = "aidant_notes"

    id: Mapped[int_pk]
    pass_id: Mapped[int] = mapped_column(ForeignKey("passes.id", ondelete="CASCADE"))
    aidant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_at]
