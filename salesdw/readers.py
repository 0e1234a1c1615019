"""Read-only access to the published warehouse, for the runner's summary, exports and notebooks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb


class WarehouseNotBuilt(Exception):
    """The published warehouse does not exist yet."""


@contextmanager
def open_published(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection: it never blocks a build, which writes a different file."""
    if not db_path.exists():
        raise WarehouseNotBuilt(
            f"no warehouse at {db_path}: build it first with `python run_pipeline.py`"
        )
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        yield connection
    finally:
        connection.close()


def fetch_dicts(connection: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[
    dict[str, Any]
]:
    """Rows as dictionaries keyed by column name."""
    cursor = connection.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def table_exists(connection: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = connection.execute(
        "select count(*) from information_schema.tables where table_name = ?", [name]
    ).fetchall()
    return bool(rows[0][0])
