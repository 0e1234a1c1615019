"""Prints the warehouse's generated insights (the business_insights model) after a build."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from salesdw.readers import fetch_dicts, table_exists


def print_key_insights(connection: duckdb.DuckDBPyConnection, echo: Callable[[str], None]) -> None:
    if not table_exists(connection, "business_insights"):
        return
    rows = fetch_dicts(
        connection,
        "select severity, headline from business_insights order by display_order",
    )
    if rows:
        echo("key insights:")
    for row in rows:
        echo(f"  [{row['severity']}] {row['headline']}")
