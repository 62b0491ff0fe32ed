"""The children index migrates on SQLite, the demo database, as well as on PostgreSQL."""

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from desk.app import create_app
from desk.core.extensions import db
from desk.records.search import Criteria, search
from tests.conftest import TEST_CONFIG
from tests.desk.records.factories import make_child


def test_sqlite_upgrade_search_and_downgrade(tmp_path: Path) -> None:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/desk.db"})
    with app.app_context():
        upgrade()
        amelia = make_child(shielded=True)
        db.session.commit()
        by_birth = Criteria(family_name="Smyth", date_of_birth=date(2015, 3, 14))
        by_postcode = Criteria(family_name="O'Neill", given_name="Amelia", postcode="OL16 1AA")
        assert search(by_birth).matches == (amelia,)
        assert search(by_postcode).matches == ()
        db.session.remove()
        downgrade(revision="0001")
        tables = sa.inspect(db.engine).get_table_names()
        assert "children" not in tables and "audit_events" in tables
        db.engine.dispose()
