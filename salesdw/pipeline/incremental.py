"""Decides whether a build may be incremental: only when every file already loaded is still there, unchanged.

The warehouse records each loaded raw file (stg_sales__loaded_files, and stg_marketing__loaded_files for the
marketing files: path, size, modification time, the analysis date and input spec it was judged with).
Appending files keeps the build incremental; a loaded file that vanished or changed, another analysis date
or another input spec would leave stale rows behind, so the runner rebuilds from scratch instead and says
why in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from salesdw.inputs.input_check import InputReport
from salesdw.readers import fetch_dicts, open_published, table_exists

LOADED_FILES_TABLE = "stg_sales__loaded_files"
MARKETING_LOADED_FILES_TABLE = "stg_marketing__loaded_files"
#: Incremental tables whose stored columns changed: (table, a column only the earlier layout has, what
#: changed). Rows cannot be appended to a table of the earlier layout, so such a warehouse is rebuilt.
RETIRED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("stg_touchpoints__validated", "raw_event_time", "rejected touches keep one raw_record column"),
    ("stg_touchpoints__validated", "source_format", "the touches' format is kept per file"),
)
# DuckDB reports modification times in microseconds; allow for rounding.
_MTIME_TOLERANCE_SECONDS = 0.001


@dataclass(frozen=True)
class LoadedFile:
    path: str
    size: int | None
    modified_at: datetime | None


def read_loaded_files(
    connection: duckdb.DuckDBPyConnection, table: str = LOADED_FILES_TABLE
) -> tuple[list[LoadedFile], set[str]]:
    """The files the warehouse holds and the analysis date(s) they were judged against ('' = none)."""
    if table != LOADED_FILES_TABLE and not table_exists(connection, table):
        return [], set()
    rows = fetch_dicts(
        connection, f"select source_file, file_bytes, file_modified_at, as_of_date from {table}"
    )
    files = [LoadedFile(row["source_file"], row["file_bytes"], row["file_modified_at"]) for row in rows]
    return files, {row["as_of_date"] or "" for row in rows}


def earlier_layout(connection: duckdb.DuckDBPyConnection) -> str | None:
    """What changed in the first incremental table that still has an earlier layout, or None."""
    for table, column, change in RETIRED_COLUMNS:
        if has_column(connection, table, column):
            return f"the warehouse was built with an earlier layout of {table} ({change})"
    return None


def has_column(connection: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    query = "select column_name from information_schema.columns where table_name = ? and column_name = ?"
    return bool(fetch_dicts(connection, query, [table, column]))


def read_loaded_specs(connection: duckdb.DuckDBPyConnection) -> set[str] | None:
    """The input spec(s) the loaded rows were read with ('' = the default columns); None when the warehouse
    predates input specs (and text ids: its tables have other types, so it must be rebuilt)."""
    if not has_column(connection, LOADED_FILES_TABLE, "input_spec"):
        return None
    rows = fetch_dicts(connection, f"select distinct input_spec from {LOADED_FILES_TABLE}")
    return {row["input_spec"] or "" for row in rows}


def file_changed(loaded: LoadedFile, path: Path) -> str | None:
    """Why a loaded file no longer matches what is on disk, or None when it is unchanged."""
    if not path.is_file():
        return f"{loaded.path} was loaded before but is no longer in the input"
    stat = path.stat()
    if loaded.size is not None and stat.st_size != loaded.size:
        return f"{loaded.path} changed size since it was loaded ({loaded.size:,} -> {stat.st_size:,} bytes)"
    if loaded.modified_at is not None:
        delta = abs(stat.st_mtime - loaded.modified_at.timestamp())
        if delta > _MTIME_TOLERANCE_SECONDS:
            return f"{loaded.path} was modified since it was loaded"
    return None


def full_refresh_reason(
    published_db: Path,
    report: InputReport,
    as_of_date: str | None,
    marketing_files: tuple[Path, ...] = (),
    input_spec: str = "",
) -> str | None:
    """One line saying why the next build must start from scratch, or None when incremental is safe.
    input_spec is the SALESDW_INPUT_SPEC text of this build ('' for the default columns)."""
    if not published_db.exists():
        return None
    with open_published(published_db) as connection:
        if not table_exists(connection, LOADED_FILES_TABLE):
            return "the warehouse does not record its loaded files yet"
        loaded, as_of_dates = read_loaded_files(connection)
        marketing, marketing_dates = read_loaded_files(connection, MARKETING_LOADED_FILES_TABLE)
        specs = read_loaded_specs(connection)
        layout = earlier_layout(connection)
    if specs is None:
        return "the warehouse was built before ids became text and input specs existed"
    if layout:
        return layout
    if specs and specs != {input_spec}:
        return "the input spec changed since the loaded rows were read"
    wanted = as_of_date or ""
    as_of_dates |= marketing_dates
    if as_of_dates and as_of_dates != {wanted}:
        before = ", ".join(sorted(value or "the last order date" for value in as_of_dates))
        return f"the analysis date changed ({before} -> {wanted or 'the last order date'})"
    current = {str(path) for path in (*report.files, *marketing_files)}
    for item in (*loaded, *marketing):
        if item.path not in current:
            return f"{item.path} was loaded before but is no longer in the input"
        reason = file_changed(item, Path(item.path))
        if reason:
            return reason
    return None
