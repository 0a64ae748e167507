"""Staff accounts: creation, authentication with throttling, password changes."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_app_context
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


# Words anyone would try first against a town hall's accounts, besides zxcvbn's own lists
# (which are mostly English): they count as guessable parts of a password.
LOCAL_WORDS = (
    "mairie",
    "martigues",
    "motdepasse",
    "azerty",
    "bonjour",
    "soleil",
    "aidant",
    "coordinateur",
    "coordinatrice",
)
MIN_PASSWORD_SCORE = 3  # zxcvbn: "safely unguessable", about 10^8 guesses or more


def check_password_strength(password: str, user_inputs: tuple[str, ...] = ()) -> None:
    """Refuse passwords that are short, common or trivial (``aaaaaaaaaa``, ``azertyuiop1``).

    zxcvbn estimates how many guesses an attacker would need, knowing the common-password lists,
    keyboard patterns, repeats and sequences; ``user_inputs`` (the email, the name) count as known.
    In production the published demo password is refused too.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _("Le mot de passe doit faire au moins %(n)d caractères.", n=MIN_PASSWORD_LENGTH)
        )
    if _is_production() and _is_demo_password(password):
        raise AccountError(
            _("Ce mot de passe de démonstration est public : choisissez-en un autre.")
        )
    from zxcvbn import zxcvbn

    inputs = [part for value in user_inputs for part in _words(value)]
    if zxcvbn(password[:100], user_inputs=[*LOCAL_WORDS, *inputs])["score"] < MIN_PASSWORD_SCORE:
        raise AccountError(
            _(
                "Ce mot de passe est trop facile à deviner (mot courant, suite de touches ou "
                "répétition). Choisissez par exemple trois ou quatre mots sans rapport entre eux."
            )
        )


def _words(value: str) -> list[str]:
    """The parts of an email or a name an attacker would try (``carole``, ``example``)."""
    import re

    value = value.lower()
    parts = [part for part in re.split(r"[^\w]+", value) if len(part) >= 3]
    joined = re.sub(r"[^\w]+", "", value.split("@")[0])  # nadia.benali -> nadiabenali
    return [*parts, joined] if len(joined) >= 3 else parts


def _is_demo_password(password: str) -> bool:
    """The password printed by ``flask demo`` and in the README, public by nature."""
    from app.demo_seeders.accounts import DEMO_PASSWORD

    return password == DEMO_PASSWORD


def _is_production() -> bool:
    return has_app_context() and current_app.config.get("MAIRIEBUS_ENV") == "production"


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
    check_password_strength(password, (email, display_name))
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
    """Replace ``user``'s password and end every session of the account."""
    check_password_strength(password, (user.email, user.display_name))
    user.password_hash = hash_password(password)
    user.end_sessions()
    session.commit()


def change_own_password(session: Session, user: User, current: str, new: str) -> None:
    """A staff member replaces their own password, proving they know the current one."""
    throttle = get_throttle()
    key = f"password-change:{user.id}"
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    if throttle.count(key) >= limit:
        raise TooManyAttempts
    if not _verify(user.password_hash, current):
        # A borrowed session must not become a way to guess the password.
        if throttle.hit(key, current_app.config["LOGIN_FAILURE_WINDOW"]) >= limit:
            raise TooManyAttempts
        raise AccountError(_("Le mot de passe actuel n'est pas le bon."))
    throttle.reset(key)
    if new == current:
        raise AccountError(_("Le nouveau mot de passe doit être différent de l'actuel."))
    set_password(session, user, new)


def disable_user(session: Session, user: User) -> None:
    """Disable an account: it can no longer log in and its open sessions end now."""
    user.active = False
    user.end_sessions()
    session.commit()


def end_sessions(session: Session, user: User) -> None:
    """End every session of ``user`` (logout)."""
    user.end_sessions()
    session.commit()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def temporary_password() -> str:
    """A random password a coordinator reads out to an aidant once."""
    return secrets.token_urlsafe(12)


def _keys(email: str, client: str) -> dict[str, str]:
    account = email.strip().lower()
    return {
        "account_client": f"login:account-client:{account}|{client}",
        "client": f"login:client:{client}",
        "account": f"login:account:{account}",
    }


def _limits() -> dict[str, int]:
    config = current_app.config
    return {
        "account_client": config["LOGIN_MAX_FAILURES"],
        "client": config["LOGIN_MAX_CLIENT_FAILURES"],
        "account": config["LOGIN_MAX_ACCOUNT_FAILURES"],
    }


def authenticate(session: Session, email: str, password: str, client: str) -> User | None:
    """Return the active user for these credentials, counting failures three ways.

    * per account and client (``LOGIN_MAX_FAILURES``, 5): one person's typos lock only their
      own account, on their own device or network;
    * per client (``LOGIN_MAX_CLIENT_FAILURES``, higher): the bus's shared address is locked only
      by a guessing attack on many accounts, not by one person's mistakes;
    * per account from all clients (``LOGIN_MAX_ACCOUNT_FAILURES``, higher): guessing one
      password from many addresses.

    Raises ``TooManyAttempts`` on the failure that reaches a limit, and from then on without
    checking the password (so a locked account cannot be probed) until the window ends. In
    production the published demo password never opens a session.
    """
    limits = _limits()
    window = current_app.config["LOGIN_FAILURE_WINDOW"]
    throttle = get_throttle()
    keys = _keys(email, client)
    if any(throttle.count(keys[name]) >= limits[name] for name in keys):
        raise TooManyAttempts
    user = session.scalar(User.by_email(email))
    # Unknown accounts are checked against a dummy hash: response times do not reveal accounts.
    ok = _verify(user.password_hash if user is not None else _dummy_hash(), password)
    if ok and _is_production() and _is_demo_password(password):
        current_app.logger.warning("Login with the published demo password refused for %s", email)
        ok = False
    if not ok or user is None or not user.active:
        counts = {name: throttle.hit(key, window) for name, key in keys.items()}
        if any(counts[name] >= limits[name] for name in keys):
            raise TooManyAttempts
        return None
    throttle.reset(keys["account_client"])
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
