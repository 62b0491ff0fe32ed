"""`flask practitioners import`: CSV and JSON Lines, checked whole, idempotent by ID."""

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from desk.core.extensions import db
from tests.stored import audit_data, stored_practitioner
from verification.models import Practitioner

HEADER = "practitioner_id,name,organisation,role,local_authority,phones,vetted_on,trained_on\n"
ROWS = [
    "41000001,Ada Brook,Camden Council,Social worker,E09000007,07700 900201,2025-03-01,2025-04-01",
    "41000002,Ben Crane,Birmingham CT,Health visitor,E08000025,"
    "+447700900202;+447700900203,2024-06-30,",
]


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def csv_file(tmp_path: Path, *rows: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(rows) + "\n")
    return path


def count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Practitioner)) or 0


def test_a_csv_file_enrols_its_practitioners_without_a_pin_or_token(
    app: Flask, tmp_path: Path
) -> None:
    code, output = run(app, "practitioners", "import", str(csv_file(tmp_path, *ROWS)))
    assert code == 0, output
    assert "Added 2, updated 0, unchanged 0 (of 2 lines)." in output
    ada = stored_practitioner(app, "41000001")
    assert (ada.local_authority, ada.pin_hash, ada.has_token) == ("E09000007", None, False)
    assert [p.number for p in ada.phones] == ["+447700900201"]
    ben = stored_practitioner(app, "41000002")
    assert ben.trained_on is None
    assert sorted(p.number for p in ben.phones) == ["+447700900202", "+447700900203"]
    [imported] = audit_data(app, "practitioners.imported")
    assert (imported["added"], imported["lines"], imported["file"]) == (2, 2, "people.csv")


def test_a_reimport_updates_and_says_what_changed(app: Flask, tmp_path: Path) -> None:
    assert run(app, "practitioners", "import", str(csv_file(tmp_path, *ROWS)))[0] == 0
    moved = (
        ROWS[0]
        .replace("Camden Council", "Camden Children's Services")
        .replace("07700 900201", "07700 900209")
    )
    code, output = run(app, "practitioners", "import", str(csv_file(tmp_path, moved, ROWS[1])))
    assert code == 0, output
    assert "Added 0, updated 1, unchanged 1 (of 2 lines)." in output
    assert "41000001: organisation, phones" in output
    ada = stored_practitioner(app, "41000001")
    assert ada.organisation == "Camden Children's Services"
    assert [p.number for p in ada.phones] == ["+447700900209"]
    assert audit_data(app, "practitioner.updated")[0]["fields"] == ["organisation", "phones"]
    # The same file again changes nothing.
    code, output = run(app, "practitioners", "import", str(csv_file(tmp_path, moved, ROWS[1])))
    assert "Added 0, updated 0, unchanged 2" in output


def test_json_lines_enrol_the_same(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_text(
        json.dumps(
            {
                "practitioner_id": "41000003",
                "name": "Cai Dunn",
                "organisation": "Cambridgeshire CC",
                "role": "Teacher",
                "local_authority": "E10000003",
                "phones": ["07700 900204"],
                "vetted_on": "2025-01-02",
                "trained_on": "2025-01-03",
            }
        )
        + "\n"
    )
    code, output = run(app, "practitioners", "import", str(path))
    assert code == 0, output
    assert stored_practitioner(app, "41000003").vetted_on.isoformat() == "2025-01-02"


@pytest.mark.parametrize("check_only", [False, True])
def test_every_bad_line_is_named_and_nothing_is_written(
    app: Flask, tmp_path: Path, check_only: bool
) -> None:
    bad = csv_file(
        tmp_path,
        ROWS[0],
        "4100000X,No One,Org,Role,E09000007,,2025-01-01,",
        "41000004,Dee Eve,Org,Role,Rochdale,,2025-01-01,",
        "41000005,Eli Fox,Org,Role,E09000007,not a phone,2025-01-01,",
        "41000006,Fay Gill,Org,Role,E09000007,,01/02/2025,",
        "41000007,Gus Hale,Org,Role,E09000007,,2099-01-01,",
        ROWS[0],
        "41000008,,Org,Role,E09000007,,2025-01-01,",
        ROWS[1],
    )
    args = ["practitioners", "import", str(bad)] + (["--check"] if check_only else [])
    code, output = run(app, *args)
    assert code != 0
    assert [line for line in output.splitlines() if line.startswith("line ")] == [
        "line 3: practitioner_id '4100000X' is not 8 digits",
        "line 4: local_authority 'Rochdale' is not an English authority's ONS code",
        "line 5: 'not a phone' is not a phone number",
        "line 6: vetted_on '01/02/2025' is not a date (YYYY-MM-DD)",
        "line 7: vetted_on 2099-01-01 is in the future",
        "line 8: practitioner 41000001 is in the file already",
        "line 9: name is missing",
    ]
    assert "7 of 9 lines have problems: nothing was written." in output
    assert count(app) == 0
    assert audit_data(app, "practitioners.imported") == []


def test_a_header_without_a_required_field_is_refused(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("practitioner_id,name\n41000001,Ada\n")
    code, output = run(app, "practitioners", "import", str(path))
    assert code != 0 and "line 1: the header lacks organisation, role" in output


def test_dates_are_updated_in_bulk_all_or_none(app: Flask, tmp_path: Path) -> None:
    assert run(app, "practitioners", "import", str(csv_file(tmp_path, *ROWS)))[0] == 0
    path = tmp_path / "dates.csv"
    path.write_text(
        "practitioner_id,vetted_on,trained_on\n41000001,2026-01-05,\n49999999,,2026-01-01\n"
    )
    code, output = run(app, "practitioners", "dates", str(path))
    assert code != 0 and "line 3: no practitioner 49999999" in output
    assert stored_practitioner(app, "41000001").vetted_on.isoformat() == "2025-03-01"
    path.write_text(
        "practitioner_id,vetted_on,trained_on\n41000001,2026-01-05,\n41000002,,2026-01-01\n"
    )
    code, output = run(app, "practitioners", "dates", str(path))
    assert code == 0, output
    assert "Updated 2, unchanged 0." in output
    assert stored_practitioner(app, "41000001").vetted_on.isoformat() == "2026-01-05"
    assert stored_practitioner(app, "41000002").trained_on.isoformat() == "2026-01-01"
    changes = [d["changes"] for d in audit_data(app, "practitioner.dates_changed")]
    assert changes[0] == {"vetted_on": ["2025-03-01", "2026-01-05"]}


def test_letters_issue_codes_a_page_each_to_a_private_file(app: Flask, tmp_path: Path) -> None:
    assert run(app, "practitioners", "import", str(csv_file(tmp_path, *ROWS)))[0] == 0
    out = tmp_path / "letters.pdf"
    code, output = run(app, "practitioners", "letters", str(out), "--awaiting")
    assert code == 0, output
    assert "Wrote 2 letters" in output
    assert out.stat().st_mode & 0o777 == 0o600
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 2
    assert stored_practitioner(app, "41000001").activation_hash is not None
    assert [d["delivery"] for d in audit_data(app, "practitioner.activation_issued")] == [
        "letter",
        "letter",
    ]
    # Now neither is awaiting a code.
    code, output = run(app, "practitioners", "letters", str(out), "--awaiting")
    assert "Wrote 0 letters" in output
