"""Staff accounts: coordinators and aidants. Residents never have an account."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, created_at, int_pk


class Role(enum.Enum):
    """What a staff member may do."""

    COORDINATOR = "coordinator"
    AIDANT = "aidant"


class User(UserMixin, Base):
    """A coordinator or an aidant numérique who logs in."""

    __tablename__ = "users"

    id: Mapped[int_pk]
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    organisation: Mapped[str] = mapped_column(String(160), default="")
    role: Mapped[Role]
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]
    last_login_at: Mapped[datetime | None]
    # Part of every session cookie; bumped on logout, password change and disabling, which
    # ends every session of this account on the server side (a copied cookie stops working).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    def get_id(self) -> str:
        """Identifier stored in the session cookie: the account id and its session version."""
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """Invalidate every session of this account (the caller commits)."""
        self.session_version = (self.session_version or 1) + 1

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts through this.
        return self.active

    @property
    def is_coordinator(self) -> bool:
        return self.role is Role.COORDINATOR

    @property
    def is_aidant(self) -> bool:
        return self.role is Role.AIDANT

    @staticmethod
    def by_email(email: str):  # type: ignore[no-untyped-def]
        """Select the user with this email, compared case-insensitively."""
        return select(User).where(User.email == email.strip().lower())
