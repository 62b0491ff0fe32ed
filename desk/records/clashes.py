"""What is wrong with a staged file as a whole: lines that clash with each other or the index."""

from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa

from desk.records.staged import children, index_children, redrawn


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
    """Staged lines whose `key` an earlier line already gave, with that earlier line.

    Keys given more than once are found by a hash aggregate, then joined back for their later
    lines: a window over every line sorts the whole file, which EXPLAIN ANALYZE at 1 million
    lines timed at 1.4-2.5x as long (drawn numbers 2.6 s against 1.1 s; sources 2.4 against 1.7).
    """
    groups = (
        sa.select(*key, sa.func.min(children.c.line).label("first"))
        .where(*(part.is_not(None) for part in key))
        .group_by(*key)
        .having(sa.func.count() > 1)
        .subquery()
    )
    return (
        sa.select(children.c.line, *key, groups.c.first)
        .join(groups, sa.and_(*(groups.c[part.name] == part for part in key)))
        .where(children.c.line != groups.c.first)
        .subquery()
    )


def drawn_clashes() -> sa.CompoundSelect[int]:
    """Lines whose drawn number is taken: by the index, by the file, or by an earlier line."""
    given = children.alias("given")
    drawn = repeats(children.c.drawn_number)
    # Joins, not EXISTS under OR: each part is then one hash join, whatever the file's size.
    return sa.union(
        sa.select(children.c.line).join(
            index_children, index_children.c.contactpoint_id == children.c.drawn_number
        ),
        sa.select(children.c.line).join(given, given.c.contactpoint_id == children.c.drawn_number),
        sa.select(drawn.c.line),
    )


def redrawn_clashes() -> sa.CompoundSelect[int]:
    """Of the lines just given new numbers (`redrawn`), those whose new number is taken too.

    Only they are asked about, against any other line's number: a redraw that clashes with a
    line that passed before can only be the redrawn line's to draw again, and the lines that
    passed cannot have begun to clash with each other. Each part is a hash join built on the
    few redrawn lines, so a round reads the file's numbers twice, however many lines it redrew.
    """
    given = children.alias("given")
    other = children.alias("other")
    return sa.union(
        sa.select(redrawn.c.line).join(
            index_children, index_children.c.contactpoint_id == redrawn.c.drawn_number
        ),
        sa.select(redrawn.c.line).join(given, given.c.contactpoint_id == redrawn.c.drawn_number),
        sa.select(redrawn.c.line).join(
            other,
            sa.and_(other.c.drawn_number == redrawn.c.drawn_number, other.c.line != redrawn.c.line),
        ),
    )
