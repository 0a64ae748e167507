"""Staff accounts: creation, authentication with throttling, password changes."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import Role, User
from app.services.throttle import get_throttle

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A plain-French reason why an account operation was refused."""


class TooManyAttempts(Exception):
    """Login refused because of repeated failures for this account or client."""


def hash_password(password: str) -> str:
    """Argon2id hash of ``password``."""
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    """Validated, lower-cased email (no DNS lookup: the bus may be offline)."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise AccountError(_("Cette adresse e-mail n'est pas valide.")) from error


def check_password_strength(password: str) -> None:
    """Refuse passwords that are too short to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _("Le mot de passe doit faire au moins %(n)d caractères.", n=MIN_PASSWORD_LENGTH)
        )


def create_user(
    session: Session,
    email: str,
    password: str,
    role: Role,
    display_name: str = "",
    organisation: str = "",
) -> User:
    """Create a staff account; refuses duplicates and weak passwords."""
    email = normalise_email(email)
    check_password_strength(password)
    if session.scalar(User.by_email(email)) is not None:
        raise AccountError(_("Un compte existe déjà avec cette adresse e-mail."))
    user = User(
        email=email,
        role=role,
        password_hash=hash_password(password),
        display_name=display_name.strip(),
        organisation=organisation.strip(),
    )
    session.add(user)
    session.commit()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Replace ``user``'s password."""
    check_password_strength(password)
    user.password_hash = hash_password(password)
    session.commit()


def temporary_password() -> str:
    """A random password a coordinator reads out to an aidant once."""
    return secrets.token_urlsafe(12)


def _keys(email: str, client: str) -> tuple[str, str]:
    return f"login:account:{email.strip().lower()}", f"login:client:{client}"


def authenticate(session: Session, email: str, password: str, client: str) -> User | None:
    """Return the active user for these credentials, counting failures per account and client.

    Raises ``TooManyAttempts`` on the failure that reaches the limit, and from then on without
    checking the password (so a locked account cannot be probed) until the window ends.
    """
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    window = current_app.config["LOGIN_FAILURE_WINDOW"]
    throttle = get_throttle()
    account_key, client_key = _keys(email, client)
    if throttle.count(account_key) >= limit or throttle.count(client_key) >= limit:
        raise TooManyAttempts
    user = session.scalar(User.by_email(email))
    ok = False
    if user is not None:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    else:
        # Spend the same time as a real check so response times do not reveal accounts.
        try:
            _hasher.verify(_dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            pass
    if not ok or user is None or not user.active:
        failures = max(throttle.hit(account_key, window), throttle.hit(client_key, window))
        if failures >= limit:
            raise TooManyAttempts
        return None
    throttle.reset(account_key)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.commit()
    return user


@cache
def _dummy_hash() -> str:
    """A hash to check unknown accounts against, made on first use.

    Not at import: an argon2 hash takes about half a second and 64 MB, which every CLI command
    and worker start would otherwise pay.
    """
    return _hasher.hash("not-a-real-password")
