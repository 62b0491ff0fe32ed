"""Many rows into a table at once: PostgreSQL's COPY, or one executemany where there is none."""

from collections.abc import Sequence

import sqlalchemy as sa


def write_rows(
    connection: sa.Connection, table: sa.Table, rows: Sequence[dict[str, object]]
) -> None:
    """Insert the rows (each naming every column it sets) in the connection's transaction."""
    if not rows:
        return
    columns = list(rows[0])
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), list(rows))
        return
    # COPY is a single round trip for the batch; an executemany is one statement per row.
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    names = ", ".join(columns)
    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])
