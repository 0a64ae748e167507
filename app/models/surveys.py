"""Questionnaires (XLSForms and their versions), collection points, responses and answers.

Answers are stored in a long table (response, question, repeat index, value) that pandas reads
as it is; see ``surveys/README.md`` for the shapes.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from app.db import Base, created_at, int_pk, utcnow


class Form(Base):
    """A questionnaire, known by its XLSForm ``form_id``; each import adds a version."""

    __tablename__ = "forms"

    id: Mapped[int_pk]
    form_id: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[created_at]
    archived: Mapped[bool] = mapped_column(default=False)

    versions: Mapped[list[FormVersion]] = relationship(
        back_populates="form", order_by="FormVersion.id", cascade="all, delete-orphan"
    )

    @property
    def current_version(self) -> FormVersion | None:
        """The most recently imported version (new responses use it)."""
        return self.versions[-1] if self.versions else None


class FormVersion(Base):
    """One imported XLSForm file; never changed once it has responses."""

    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("form_pk", "version", name="uq_form_versions_form_version"),)

    id: Mapped[int_pk]
    form_pk: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    default_language: Mapped[str] = mapped_column(String(60), default="")
    source_filename: Mapped[str] = mapped_column(String(255))
    # The workbook is read only when its parsed definition is not cached yet (every page of
    # a questionnaire loads its version): deferred, so pages do not fetch it each time.
    source: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    source_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[created_at]
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    form: Mapped[Form] = relationship(back_populates="versions")
    attachments: Mapped[list[FormAttachment]] = relationship(
        cascade="all, delete-orphan", order_by="FormAttachment.filename"
    )


class FormAttachment(Base):
    """A list file (CSV/XML) uploaded with a form for ``select_*_from_file`` questions."""

    __tablename__ = "form_attachments"
    __table_args__ = (
        UniqueConstraint("version_id", "filename", name="uq_form_attachments_version_filename"),
    )

    id: Mapped[int_pk]
    version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Neighbourhood(Base):
    """A neighbourhood of the town (Canto Perdrix, Boudème, …)."""

    __tablename__ = "neighbourhoods"

    id: Mapped[int_pk]
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    # Where the bus parks when it comes to this neighbourhood, as residents find it.
    stop_name: Mapped[str] = mapped_column(String(160), default="", server_default="")
    stop_address: Mapped[str] = mapped_column(String(200), default="", server_default="")


class PointKind(enum.Enum):
    """What kind of place a collection point is."""

    HOUSING_ESTATE = "housing_estate"
    SHOPPING_CENTRE = "shopping_centre"
    PARK = "park"
    BUS_STOP = "bus_stop"
    OTHER = "other"


class CollectionPoint(Base):
    """Where answers are collected: a housing estate, Auchan, a park, a bus stop."""

    __tablename__ = "collection_points"

    id: Mapped[int_pk]
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[PointKind]
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="SET NULL")
    )
    # Street address residents can find ("Avenue de Lattre de Tassigny"), empty if unknown.
    address: Mapped[str] = mapped_column(String(200), default="", server_default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    active_from: Mapped[date | None]
    active_until: Mapped[date | None]
    archived: Mapped[bool] = mapped_column(default=False)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]

    neighbourhood: Mapped[Neighbourhood | None] = relationship()
    links: Mapped[list[CollectionLink]] = relationship(
        back_populates="collection_point", cascade="all, delete-orphan"
    )

    @staticmethod
    def active():  # type: ignore[no-untyped-def]
        """Select the points that are not archived."""
        return select(CollectionPoint).where(CollectionPoint.archived.is_(False))


class CollectionLink(Base):
    """A questionnaire offered at a collection point, reached by a short typeable code."""

    __tablename__ = "collection_links"
    __table_args__ = (
        UniqueConstraint("form_pk", "collection_point_id", name="uq_collection_links_form_point"),
    )

    id: Mapped[int_pk]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    form_pk: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    collection_point_id: Mapped[int] = mapped_column(
        ForeignKey("collection_points.id", ondelete="CASCADE")
    )
    created_at: Mapped[created_at]

    form: Mapped[Form] = relationship()
    collection_point: Mapped[CollectionPoint] = relationship(back_populates="links")


class Channel(enum.Enum):
    """Who held the phone or tablet."""

    SELF = "self"
    ASSISTED = "assisted"


class ResponseStatus(enum.Enum):
    """A response is a draft until submitted; a submitted response is immutable."""

    DRAFT = "draft"
    SUBMITTED = "submitted"


def _new_uuid() -> str:
    return str(uuid.uuid4())


class Response(Base):
    """One person's answers to one form version."""

    __tablename__ = "responses"
    __table_args__ = (
        Index("ix_responses_version_status", "form_version_id", "status"),
        Index("ix_responses_submitted_at", "submitted_at"),
    )

    id: Mapped[int_pk]
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=_new_uuid)
    form_version_id: Mapped[int] = mapped_column(
        ForeignKey("form_versions.id", ondelete="RESTRICT")
    )
    collection_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("collection_points.id", ondelete="SET NULL")
    )
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="SET NULL")
    )
    channel: Mapped[Channel] = mapped_column(default=Channel.SELF)
    aidant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(10), default="fr")
    status: Mapped[ResponseStatus] = mapped_column(default=ResponseStatus.DRAFT)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    # Hash of the resume token kept in the respondent's cookie (the token itself is not stored).
    draft_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The engine's answers dict and the current page while a draft; cleared on submission.
    draft_state: Mapped[dict[str, Any] | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    is_demo: Mapped[bool] = mapped_column(default=False)

    form_version: Mapped[FormVersion] = relationship()
    collection_point: Mapped[CollectionPoint | None] = relationship()
    neighbourhood: Mapped[Neighbourhood | None] = relationship()
    answers: WriteOnlyMapped[Answer] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class Answer(Base):
    """One value of one question in one response (the long table)."""

    __tablename__ = "answers"
    __table_args__ = (
        Index("ix_answers_response", "response_id"),
        Index("ix_answers_question", "question"),
    )

    id: Mapped[int_pk]
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(200))
    repeat_index: Mapped[int] = mapped_column(default=0)
    # Positions of the enclosing instances of a repeat inside a repeat, dotted ("2" = second
    # household for a member's answer); "" outside nested repeats.
    repeat_parent: Mapped[str] = mapped_column(String(64), default="", server_default="")
    value: Mapped[str] = mapped_column(Text)
