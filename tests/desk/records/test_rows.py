"""Staging rows as COPY text: every kind of value written as PostgreSQL's COPY FROM reads it."""

from datetime import date

from desk.records.rows import copy_text


def test_copy_text_escapes_what_copy_reads_as_syntax_and_writes_the_rest_as_it_is() -> None:
    rows = [
        ("Zoë", None, True, False, 3, date(2020, 1, 2)),
        ("a\tb\\c\nd\re", "\x01", "", '["1 High St"]', 0, date(2026, 12, 2)),
    ]
    assert (
        copy_text(rows)
        == (
            "Zoë\t\\N\tt\tf\t3\t2020-01-02\n"
            'a\\tb\\\\c\\nd\\re\t\x01\t\t["1 High St"]\t0\t2026-12-02\n'
        ).encode()
    )
    assert copy_text([]) == b""
