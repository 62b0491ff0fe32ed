"""Migration 0011 turns practitioners' free-text local authorities into codes, or empties them."""

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from desk.app import create_app
from desk.core.extensions import db
from tests.conftest import TEST_CONFIG

READ = sa.text("SELECT id, local_authority FROM practitioners")


def test_known_names_become_codes_and_unknown_ones_empty(tmp_path: Path) -> None:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/desk.db"})
    with app.app_context():
        upgrade(revision="0009")
        for pid, authority in (("40000001", "Rochdale Borough Council"), ("40000002", "Gotham")):
            db.session.execute(
                sa.text(
                    "INSERT INTO practitioners (id, name, organisation, role, local_authority, "
                    "pin_hash, status, vetted_on, created_at, failed_attempts, "
                    "totp_secret_encrypted) VALUES (:id, 'N', 'O', 'R', :la, 'h', 'active', "
                    ":day, :day, 0, 'x')"
                ),
                {"id": pid, "la": authority, "day": date(2026, 1, 1)},
            )
        db.session.commit()
        upgrade()
        stored = {pid: la for pid, la in db.session.execute(READ)}
        assert stored == {"40000001": "E08000005", "40000002": None}
        db.session.remove()
        downgrade(revision="0009")
        stored = {pid: la for pid, la in db.session.execute(READ)}
        assert stored == {"40000001": "Rochdale", "40000002": ""}
        db.session.remove()
        db.engine.dispose()
