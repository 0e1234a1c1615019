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
    """A short-lived read-only connection: it never blocks a build, which writes a different file (the working
    copy) and publishes it by an atomic rename; an open connection keeps reading the file it opened."""
    if not db_path.exists():
        raise WarehouseNotBuilt(f"no warehouse at {db_path}: build it first with `python run_pipeline.py`")
    connection = attach_read_only(db_path)
    try:
        yield connection
    finally:
        connection.close()


def attach_read_only(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory connection with the file attached read-only and selected (`use`).

    Not `duckdb.connect(path, read_only=True)`: DuckDB caches one database instance per path in a process,
    so while any connection to the path is open (a notebook's), a new connect returns that cached instance,
    i.e. the old warehouse from before the last publish. ATTACH always opens the file now at the path."""
    connection = duckdb.connect(":memory:")
    try:
        path = str(db_path).replace("'", "''")
        alias = db_path.stem.replace('"', '""')
        connection.execute(f"attach '{path}' as \"{alias}\" (read_only)")
        connection.execute(f'use "{alias}"')
    except BaseException:
        connection.close()
        raise
    return connection


def fetch_dicts(
    connection: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    """Rows as dictionaries keyed by column name."""
    cursor = connection.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def table_exists(connection: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = connection.execute(
        "select count(*) from information_schema.tables where table_name = ?", [name]
    ).fetchall()
    return bool(rows[0][0])


_QUERIES = {
    "stg_sales_reconciliation": "select raw_row_count, clean_row_count, rejected_row_count, "
    "collapsed_duplicate_count from stg_sales_reconciliation",
    "dim_customer": "select count(*) as customer_count, sum(lifetime_revenue) as revenue from dim_customer",
    "fact_sales": "select count(*) as order_count, min(order_date) as first_order_date, "
    "max(order_date) as last_order_date from fact_sales",
}
# A staging-only warehouse (built with --select) has no fact_sales: its clean orders are in stg_sales.
_ORDERS_FALLBACK = ("stg_sales", _QUERIES["fact_sales"].replace("from fact_sales", "from stg_sales"))


def warehouse_facts(connection: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Row counts and totals from whichever core tables exist (cheap aggregates; never fails on a partial
    warehouse, e.g. one built with --select)."""
    facts: dict[str, Any] = {}
    for table, sql in _QUERIES.items():
        if table_exists(connection, table):
            rows = fetch_dicts(connection, sql)
            if rows:
                facts.update(rows[0])
    table, sql = _ORDERS_FALLBACK
    if "order_count" not in facts and table_exists(connection, table):
        facts.update(fetch_dicts(connection, sql)[0])
    return facts
