"""Upgrading an empty database to head yields exactly the models (no autogenerate diff)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from app import create_app
from app.db import db
from tests.conftest import _sqlalchemy_url, base_config, test_database_url


def _empty_database(tmp_path: Path) -> tuple[str, callable]:  # type: ignore[valid-type]
    url = _sqlalchemy_url(test_database_url(tmp_path))
    if not url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'migrations.sqlite'}", lambda: None
    name = f"mairiebus_migr_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _db = url.rsplit("/", 1)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"{base}/{name}", drop


def test_upgrade_to_head_matches_models(tmp_path: Path) -> None:
    url, drop = _empty_database(tmp_path)
    try:
        app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=url))
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(
                    MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata
                )
            db.engine.dispose()
        assert diff == []
    finally:
        drop()


def test_migrations_have_one_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    directory = Path(__file__).resolve().parents[2] / "migrations"
    config = Config()
    config.set_main_option("script_location", os.fspath(directory))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
