"""Fixed-window counters shared by all worker processes: Redis when configured, else the database.

Used for login failures, Pass code lookups and questionnaire submissions. Counts live outside
any one process so that running several gunicorn workers (or several servers) cannot multiply
the allowance.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from flask import current_app
from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.db import db, utcnow
from app.models.throttle import ThrottleCounter


class Throttle(Protocol):
    """Counts events per key in a fixed time window."""

    def hit(self, key: str, window: int) -> int:
        """Count one event for ``key``; return the count in the current window."""

    def count(self, key: str) -> int:
        """Return the count in the current window (0 when expired)."""

    def reset(self, key: str) -> None:
        """Forget ``key``."""


class SqlThrottle:
    """Counters in the ``throttle_counters`` table, updated atomically by an upsert."""

    def hit(self, key: str, window: int) -> int:
        now = utcnow()
        expires = now + timedelta(seconds=window)
        table = ThrottleCounter.__table__
        insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(table).values(key=key, count=1, expires_at=expires)
        expired = table.c.expires_at < now
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((expired, 1), else_=table.c.count + 1),
                "expires_at": case((expired, expires), else_=table.c.expires_at),
            },
        ).returning(table.c.count)
        # Own transaction: the count must stick even if the request's work is rolled back.
        with db.engine.begin() as conn:
            return int(conn.execute(stmt).scalar_one())

    def count(self, key: str) -> int:
        with db.engine.connect() as conn:
            row = conn.execute(
                select(ThrottleCounter.count, ThrottleCounter.expires_at).where(
                    ThrottleCounter.key == key
                )
            ).first()
        if row is None:
            return 0
        expires_at = row.expires_at
        if expires_at.tzinfo is None:  # SQLite returns naive datetimes
            expires_at = expires_at.replace(tzinfo=utcnow().tzinfo)
        return 0 if expires_at < utcnow() else int(row.count)

    def reset(self, key: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(delete(ThrottleCounter).where(ThrottleCounter.key == key))


class RedisThrottle:
    """Counters in Redis with INCR and a TTL set on the first hit of a window."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)

    def hit(self, key: str, window: int) -> int:
        name = f"mairiebus:throttle:{key}"
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, window, nx=True)
        count, _ = pipe.execute()
        return int(count)

    def count(self, key: str) -> int:
        value = self._redis.get(f"mairiebus:throttle:{key}")
        return int(value) if value else 0

    def reset(self, key: str) -> None:
        self._redis.delete(f"mairiebus:throttle:{key}")


def get_throttle() -> Throttle:
    """Return the throttle backend configured for the current app (created once per app)."""
    throttle = current_app.extensions.get("mairiebus_throttle")
    if throttle is None:
        url = current_app.config.get("RATELIMIT_STORAGE_URI")
        throttle = RedisThrottle(url) if url and url.startswith("redis") else SqlThrottle()
        current_app.extensions["mairiebus_throttle"] = throttle
    return throttle


def client_key(prefix: str) -> str:
    """Throttle key for the requesting client (its address as seen after ProxyFix)."""
    from flask import request

    return f"{prefix}:ip:{request.remote_addr or 'unknown'}"
