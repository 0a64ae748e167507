"""Fixed-window counters shared by all worker processes: Redis when configured, else the database.

Used for login failures, Pass code lookups and questionnaire submissions. Counts live outside
any one process so that running several gunicorn workers (or several servers) cannot multiply
the allowance.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any, Protocol

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


def _column_key(key: str) -> str:
    """``key`` as stored in the 200-character column: long ones (a 254-character email typed
    at the login form) end with a digest instead of failing the insert."""
    if len(key) <= 200:
        return key
    import hashlib

    return key[:130] + "#" + hashlib.sha256(key.encode()).hexdigest()


class SqlThrottle:
    """Counters in the ``throttle_counters`` table, updated atomically by an upsert."""

    def hit(self, key: str, window: int) -> int:
        key = _column_key(key)
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
        key = _column_key(key)
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
        key = _column_key(key)
        with db.engine.begin() as conn:
            conn.execute(delete(ThrottleCounter).where(ThrottleCounter.key == key))


class RedisThrottle:
    """Counters in Redis with INCR and a TTL set on the first hit of a window."""

    def __init__(self, url: str, timeout: float = 0.5) -> None:
        import redis

        # Short timeouts: a Redis that stops answering must not hold a resident's request.
        self._redis = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout
        )

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

    def ping(self) -> bool:
        return bool(self._redis.ping())

    def close(self) -> None:
        self._redis.close()


class FallbackThrottle:
    """Redis first; the database counters while Redis is unreachable.

    A Redis outage must not stop residents' submissions or staff logins: on a connection error
    or timeout the counters go to the database (shared by every worker too), a warning is
    logged, and Redis is tried again after ``retry_after`` seconds (one warning per worker and
    retry period while the outage lasts). Counts made
    during the outage stay in the database: the limits are approximate across the switch, never
    lifted.
    """

    def __init__(
        self, primary: RedisThrottle, fallback: Throttle, retry_after: float = 5.0
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.retry_after = retry_after
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def redis_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _call(self, method: str, *args: object) -> Any:
        import redis

        if not self.redis_down:
            try:
                return getattr(self.primary, method)(*args)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
                with self._lock:
                    first = self._down_until == 0.0 or not self.redis_down
                    self._down_until = time.monotonic() + self.retry_after
                if first:
                    current_app.logger.warning(
                        "Redis unreachable (%s): throttling counters use the database for now",
                        error,
                    )
        return getattr(self.fallback, method)(*args)

    def hit(self, key: str, window: int) -> int:
        return int(self._call("hit", key, window))

    def count(self, key: str) -> int:
        return int(self._call("count", key))

    def reset(self, key: str) -> None:
        self._call("reset", key)


def get_throttle() -> Throttle:
    """Return the throttle backend configured for the current app (created once per app)."""
    throttle = current_app.extensions.get("mairiebus_throttle")
    if throttle is None:
        url = current_app.config.get("RATELIMIT_STORAGE_URI")
        if url and url.startswith("redis"):
            throttle = FallbackThrottle(RedisThrottle(url), SqlThrottle())
        else:
            throttle = SqlThrottle()
        current_app.extensions["mairiebus_throttle"] = throttle
    return throttle


def redis_state() -> str:
    """``"ok"``, ``"down"`` or ``"not configured"``: what /healthz reports for Redis."""
    url = current_app.config.get("RATELIMIT_STORAGE_URI")
    if not (url and url.startswith("redis")):
        return "not configured"
    import redis

    probe = RedisThrottle(url)
    try:
        probe.ping()
    except (redis.RedisError, OSError):
        return "down"
    finally:
        probe.close()
    return "ok"


def client_key(prefix: str) -> str:
    """Throttle key for the requesting client (its address as seen after ProxyFix)."""
    from flask import request

    return f"{prefix}:ip:{request.remote_addr or 'unknown'}"
