"""Declarative base shared by every model, and the SQLAlchemy extension bound to it."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated, Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, Enum, MetaData, String, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, mapped_column, registry

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware current UTC time (the only clock models use)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base of every model; enums are stored by value so the database reads like the domain."""

    # Given through the registry: Flask-SQLAlchemy subclasses this base, and SQLAlchemy 2.1
    # refuses a class-level type_annotation_map next to an inherited registry.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: DateTime(timezone=True),
            dict: JSON,
            dict[str, Any]: JSON,
            list: JSON,
            list[Any]: JSON,
            enum.Enum: Enum(
                enum.Enum,
                native_enum=False,
                values_callable=lambda e: [m.value for m in e],
                validate_strings=True,
                length=32,
            ),
        },
    )


db = SQLAlchemy(model_class=Base)

int_pk = Annotated[int, mapped_column(primary_key=True)]
created_at = Annotated[datetime, mapped_column(default=utcnow)]
str80 = Annotated[str, mapped_column(String(80))]
str200 = Annotated[str, mapped_column(String(200))]


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):  # type: ignore[no-untyped-def]
    """Turn on foreign keys and WAL for SQLite: off by default, and the app relies on both."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except Exception:  # noqa: BLE001 - in-memory databases cannot use WAL; harmless
        pass
    cursor.close()
