"""Migration 0005 builds what the models describe, on SQLite as on PostgreSQL, and comes undone."""

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade

from desk.app import create_app
from desk.core.extensions import db
from tests.conftest import TEST_CONFIG


def schema_drift() -> list[object]:
    with db.engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), db.metadata))


def test_postgresql_at_head_matches_the_models(ctx: Flask) -> None:
    assert schema_drift() == []


def test_sqlite_upgrades_matches_the_models_and_downgrades(tmp_path: Path) -> None:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/desk.db"})
    with app.app_context():
        upgrade()
        assert schema_drift() == []
        downgrade(revision="0004")
        inspector = sa.inspect(db.engine)
        assert "reviews" not in inspector.get_table_names()
        [child_id] = [c for c in inspector.get_columns("matches") if c["name"] == "child_id"]
        assert child_id["nullable"] is False
        upgrade()
        assert schema_drift() == []
        db.engine.dispose()
