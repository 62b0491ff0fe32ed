"""What every benchmark prints: a table for people, or with --json one JSON object for machines.

Both carry the machine the figures came from, since a figure means nothing without it.
"""

import json
import os
import platform
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p95 and p99 of timings given in seconds, in milliseconds."""
    if len(seconds) < 2:
        only = seconds[0] * 1000 if seconds else float("nan")
        return {"p50_ms": only, "p95_ms": only, "p99_ms": only}
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {"p50_ms": cuts[49] * 1000, "p95_ms": cuts[94] * 1000, "p99_ms": cuts[98] * 1000}


def machine(database_url: str | None = None) -> dict[str, Any]:
    """The machine a run happened on: CPU, cores, memory, Python and, if given, PostgreSQL."""
    found: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(_memory_kib() / 1024 / 1024, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
    }
    if database_url:
        engine = sa.create_engine(database_url)
        with engine.connect() as connection:
            found["database"] = connection.execute(sa.text("SELECT version()")).scalar_one()
        engine.dispose()
    return found


def emit(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    result: Mapping[str, Any],
    *,
    as_json: bool,
) -> None:
    """Print `rows` as a table under `title`, or `result` (with the machine) as one JSON object."""
    if as_json:
        print(json.dumps(result, indent=None, default=str))
        return
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(column), *(len(row[n]) for row in cells)) for n, column in enumerate(columns)]
    print(title)
    print("  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True)))
    print("  ".join("-" * width for width in widths))
    for values, row in zip(rows, cells, strict=True):
        # Numbers line up on the right, words on the left.
        print(
            "  ".join(
                cell.rjust(width) if _is_number(value) else cell.ljust(width)
                for cell, width, value in zip(row, widths, values, strict=True)
            )
        )
    host = result.get("machine", {})
    if host:
        print(
            f"\nmachine: {host.get('cpu')}, {host.get('cores')} cores, "
            f"{host.get('memory_gib')} GiB, Python {host.get('python')}"
        )
        if "database" in host:
            print(f"database: {host['database']}")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_kib() -> int:
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
