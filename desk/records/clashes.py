"""What is wrong with a staged file as a whole: lines that clash with each other or the index."""

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from desk.records.staged import children, index_children


def same_child(index: sa.Table) -> tuple[sa.ColumnElement[bool], ...]:
    """The staged line and the index row are one child: same source, same ID there."""
    return (index.c.source == children.c.source, index.c.source_id == children.c.source_id)


Wording = Callable[[sa.Row[Any]], str]


def clashes() -> Iterator[tuple[sa.Subquery, Wording]]:
    """Queries for lines that clash, each with how to word one of its rows."""
    yield (
        repeats(children.c.source, children.c.source_id),
        lambda row: f"{row.source} {row.source_id} is already on line {row.first}",
    )
    yield (
        repeats(children.c.contactpoint_id),
        lambda row: f"ContactPoint number {row.contactpoint_id} is already on line {row.first}",
    )
    holder = index_children.alias("holder")
    yield (
        sa.select(children.c.line, children.c.contactpoint_id)
        .join(holder, holder.c.contactpoint_id == children.c.contactpoint_id)
        .where(
            sa.or_(holder.c.source != children.c.source, holder.c.source_id != children.c.source_id)
        )
        .subquery(),
        lambda row: f"ContactPoint number {row.contactpoint_id} is another child's",
    )
    # A ContactPoint number is for life: a source sending a new one is a mistake.
    yield (
        sa.select(
            children.c.line,
            children.c.contactpoint_id.label("given"),
            index_children.c.contactpoint_id.label("held"),
        )
        .join(index_children, sa.and_(*same_child(index_children)))
        .where(index_children.c.contactpoint_id != children.c.contactpoint_id)
        .subquery(),
        lambda row: f"this child already has ContactPoint number {row.held}, not {row.given}",
    )


def repeats(*key: sa.Column[Any]) -> sa.Subquery:
    """Staged lines whose `key` an earlier line already gave, with that earlier line."""
    first = sa.func.min(children.c.line).over(partition_by=key).label("first")
    given = sa.select(children.c.line, *key, first).where(*(part.is_not(None) for part in key))
    lines = given.subquery()
    return sa.select(lines).where(lines.c.line != lines.c.first).subquery()


def drawn_clashes(redrawn: Sequence[int] | None = None) -> sa.CompoundSelect[int]:
    """Lines whose drawn number is taken: by the index, by the file, or by an earlier line.

    With `redrawn`, only those lines are asked about (numbers drawn again after a clash), by
    any other line's number: a redraw that clashes with a line that already passed can only be
    the redrawn line's to draw again, and the lines that passed before cannot have begun to
    clash with each other. So only the first pass reads the whole file's numbers twice over.
    """
    given = children.alias("given")
    if redrawn is not None:
        mine = children.alias("mine")
        asked = mine.c.line.in_(list(redrawn))
        other = children.alias("other")
        return sa.union(
            sa.select(mine.c.line)
            .join(index_children, index_children.c.contactpoint_id == mine.c.drawn_number)
            .where(asked),
            sa.select(mine.c.line)
            .join(given, given.c.contactpoint_id == mine.c.drawn_number)
            .where(asked),
            sa.select(mine.c.line)
            .join(
                other,
                sa.and_(other.c.drawn_number == mine.c.drawn_number, other.c.line != mine.c.line),
            )
            .where(asked),
        )
    first = sa.func.min(children.c.line).over(partition_by=children.c.drawn_number).label("first")
    drawn = sa.select(children.c.line, first).where(children.c.drawn_number.is_not(None)).subquery()
    # Joins, not EXISTS under OR: each part is then one hash join, whatever the file's size.
    return sa.union(
        sa.select(children.c.line).join(
            index_children, index_children.c.contactpoint_id == children.c.drawn_number
        ),
        sa.select(children.c.line).join(given, given.c.contactpoint_id == children.c.drawn_number),
        sa.select(drawn.c.line).where(drawn.c.line != drawn.c.first),
    )
