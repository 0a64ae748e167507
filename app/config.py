"""Configuration read from environment variables, with safe defaults for a first run.

Every setting has a development default so `make run` works with no environment at all; the
production mode (``MAIRIEBUS_ENV=production``) refuses to start when a default would be unsafe.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class UnsafeConfiguration(RuntimeError):
    """Raised at start-up when production settings are missing or unsafe."""


def database_url(raw: str | None, instance_path: Path) -> str:
    """Return the SQLAlchemy URL for ``raw`` (``postgresql://`` goes through psycopg 3)."""
    if not raw:
        return f"sqlite:///{instance_path / 'mairiebus.sqlite'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def load_secret_key(instance_path: Path) -> str:
    """Return the secret key kept in the instance folder, creating it once on first start."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(48)
    # Create with owner-only permissions; O_EXCL so two workers starting together agree.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def build_config(instance_path: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask configuration mapping from the environment."""
    env = os.environ if env is None else env
    production = env.get("MAIRIEBUS_ENV", "development").lower() == "production"
    base_url = env.get("MAIRIEBUS_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    https = urlsplit(base_url).scheme == "https"
    config: dict[str, Any] = {
        "MAIRIEBUS_ENV": "production" if production else "development",
        "MAIRIEBUS_BASE_URL": base_url,
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL"), instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or None,
        # Uploads (XLSForms, photos, badges to verify) are the largest requests we accept.
        "MAX_CONTENT_LENGTH": int(env.get("MAIRIEBUS_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)),
        "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "WTF_CSRF_TIME_LIMIT": None,  # a resident may leave a page open for hours
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "LANGUAGES": ("fr", "en"),
        "MAIRIEBUS_PROXY_FIX": env.get("MAIRIEBUS_PROXY_FIX", "0") == "1",
        # Brotli/gzip of pages and text files, when no reverse proxy compresses them.
        "COMPRESS_RESPONSES": env.get("MAIRIEBUS_COMPRESS", "0") == "1",
        "LOGIN_MAX_FAILURES": 5,  # per account and client
        "LOGIN_MAX_CLIENT_FAILURES": 20,  # per client, all accounts (the bus shares one address)
        "LOGIN_MAX_ACCOUNT_FAILURES": 20,  # per account, all clients
        "LOGIN_FAILURE_WINDOW": 15 * 60,
        # Questionnaire throttling per client (aidants' tablets are exempt from the first).
        "COLLECT_SUBMISSIONS_PER_HOUR": int(env.get("COLLECT_SUBMISSIONS_PER_HOUR", 30)),
        "COLLECT_STARTS_PER_HOUR": int(env.get("COLLECT_STARTS_PER_HOUR", 120)),
        # A draft left this long without an answer is no longer offered (shared devices).
        "COLLECT_DRAFT_IDLE_MINUTES": int(env.get("COLLECT_DRAFT_IDLE_MINUTES", 180)),
        # First visits (no cookie) of the QR start, Pass start and home pages served from a
        # per-worker store (app/page_cache.py): seconds a page may be kept; 0 turns it off.
        "PAGE_CACHE_SECONDS": float(env.get("PAGE_CACHE_SECONDS", 60)),
        "TOWN_NAME": env.get("MAIRIEBUS_TOWN_NAME", "Ville de Martigues"),
        "CONTACT_EMAIL": env.get("MAIRIEBUS_CONTACT_EMAIL", "mairiebus@example.org"),
        # Outgoing email (app/mail.py): smtp://, smtp+starttls:// or smtps:// URL; none sends nothing.
        "MAIL_URL": env.get("MAIL_URL") or None,
        "MAIL_FROM": env.get("MAIL_FROM") or None,
        # Logbook: days a consented contact is kept after its last referral closed (3 months),
        # days before an open referral shows in the follow-ups, days a referent's link works.
        "JOURNAL_RETENTION_DAYS": int(env.get("JOURNAL_RETENTION_DAYS", 92)),
        "JOURNAL_FOLLOW_UP_DAYS": int(env.get("JOURNAL_FOLLOW_UP_DAYS", 7)),
        "JOURNAL_LINK_DAYS": int(env.get("JOURNAL_LINK_DAYS", 60)),
        # Background jobs (reminders) on RQ; `flask --app wsgi worker` runs them.
        "REDIS_URL": env.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
        "QUEUE_NAME": env.get("MAIRIEBUS_QUEUE", "mairiebus"),
        # Reminders by text message: off unless a provider URL is given (app/sms.py).
        "SMS_PROVIDER_URL": env.get("SMS_PROVIDER_URL") or None,
        "SMS_PROVIDER_TOKEN": env.get("SMS_PROVIDER_TOKEN") or None,
    }
    if production:
        check_production(config, env)
    return config


MIN_SECRET_KEY_GUESSES_LOG10 = 30  # about 100 bits


def secret_key_guesses_log10(key: str) -> float:
    """How many guesses (log10) zxcvbn estimates ``key`` would take: repeats, sequences, words
    and placeholders (``changeme`` x 4, ``abcdef…``) score low; ``secrets.token_urlsafe(48)``
    scores 64 (zxcvbn's cap for 64 characters), ``secrets.token_hex(16)`` 32."""
    from zxcvbn import zxcvbn

    return float(zxcvbn(key[:100])["guesses_log10"])


def check_production(config: Mapping[str, Any], env: Mapping[str, str]) -> None:
    """Refuse to start in production with settings that would be unsafe, saying why."""
    problems = []
    if not env.get("SECRET_KEY") or len(env["SECRET_KEY"]) < 32:
        problems.append("SECRET_KEY must be set to a random value of at least 32 characters.")
    elif secret_key_guesses_log10(env["SECRET_KEY"]) < MIN_SECRET_KEY_GUESSES_LOG10:
        problems.append(
            "SECRET_KEY looks guessable (repeated or few distinct characters); generate one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'."
        )
    if not env.get("DATABASE_URL"):
        problems.append("DATABASE_URL must be set (PostgreSQL recommended).")
    if not str(config["MAIRIEBUS_BASE_URL"]).startswith("https://"):
        problems.append("MAIRIEBUS_BASE_URL must be the public https:// address.")
    if problems:
        raise UnsafeConfiguration("Refusing to start in production: " + " ".join(problems))
