"""CSV exports of the published warehouse: `campaign_targets` for the campaign tool.

Reads the published file through a short-lived read-only connection (never blocks a build) and writes with
DuckDB's COPY: DECIMAL money keeps two decimals (12.30, never 12.300000001), dates are ISO (YYYY-MM-DD),
there is a header and no index column. Filter values are bound as query parameters, never pasted into SQL;
they are checked first against the values the warehouse knows, so a typo is a clear error, not an empty
file. Every file is written to a temporary name beside the target and renamed: a reader sees the old file
or the new one, never half of one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb

from salesdw.paths import Workspace
from salesdw.readers import WarehouseNotBuilt, open_published, table_exists

EXPORT_TABLES = ("campaign_targets",)

# The campaign tool's contract: these columns, in this order (customer_key, the join key, stays inside).
CAMPAIGN_TARGETS_COLUMNS: tuple[str, ...] = (
    "campaign_type",
    "customer_id",
    "segment",
    "priority",
    "priority_rank",
    "estimated_campaign_value",
    "expected_response_rate",
    "projected_12m_value",
    "churn_risk_score",
    "ltv_percentile",
    "order_count",
    "lifetime_revenue",
    "last_order_date",
    "recency_days",
    "target_reason",
)
# Written (just before target_reason) only when the warehouse has them: the probabilistic CLV layer's scores,
# rounded here so the file carries no float noise (a probability to 4 decimals, money to cents).
OPTIONAL_COLUMN_EXPRESSIONS: dict[str, str] = {
    "p_alive": "round(p_alive, 4) as p_alive",
    "predicted_clv": "cast(round(predicted_clv, 2) as decimal(18, 2)) as predicted_clv",
}
CAMPAIGN_TARGETS_OPTIONAL_COLUMNS: tuple[str, ...] = tuple(OPTIONAL_COLUMN_EXPRESSIONS)
# Stable row order: the campaign, then the most urgent and valuable customers first; ties by customer_key
# (for integer ids the id itself, so they sort as numbers, not as text: '9' before '10').
CAMPAIGN_TARGETS_ORDER = "campaign_type, priority_rank, estimated_campaign_value desc, customer_key"
# The priorities campaign_targets assigns (its accepted_values test in models/business/_business.yml).
PRIORITIES: tuple[str, ...] = ("High", "Medium", "Low")
BUILD_EXPORT_NAME = "campaign_targets.csv"


class ExportError(Exception):
    """An export that cannot be done, with a one-line message for the user."""


@dataclass(frozen=True)
class CampaignFilters:
    campaign_type: str | None = None
    priority: str | None = None
    min_value: Decimal | None = None


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int


def parse_min_value(text: str) -> Decimal:
    """A currency amount such as 100 or 49.90 (a `$` and thousands commas are accepted)."""
    try:
        value = Decimal(text.strip().lstrip("$").replace(",", ""))
    except InvalidOperation:
        raise ExportError(f"--min-value {text!r}: not a number (e.g. 100 or 49.90)") from None
    if not value.is_finite():
        raise ExportError(f"--min-value {text!r}: not a finite number")
    return value


def _choose(option: str, given: str, valid: Sequence[str]) -> str:
    """The valid value `given` names (case-insensitive), or a one-line error listing the valid ones."""
    for value in valid:
        if value.casefold() == given.strip().casefold():
            return value
    listed = ", ".join(valid) if valid else "(none: the warehouse has none)"
    raise ExportError(f"unknown {option} {given!r}; valid values: {listed}")


def valid_campaign_types(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Campaign types from the `campaigns` seed (so a type with no targets today is still valid)."""
    if table_exists(connection, "campaigns"):
        sql = "select campaign_type from campaigns order by campaign_type"
    else:
        sql = "select distinct campaign_type from campaign_targets order by campaign_type"
    return [row[0] for row in connection.execute(sql).fetchall()]


def _where(connection: duckdb.DuckDBPyConnection, filters: CampaignFilters) -> tuple[str, list[Any]]:
    """The WHERE clause (placeholders only) and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    if filters.campaign_type is not None:
        params.append(_choose("campaign type", filters.campaign_type, valid_campaign_types(connection)))
        clauses.append(f"campaign_type = ${len(params)}")
    if filters.priority is not None:
        params.append(_choose("priority", filters.priority, PRIORITIES))
        clauses.append(f"priority = ${len(params)}")
    if filters.min_value is not None:
        params.append(filters.min_value)
        clauses.append(f"estimated_campaign_value >= ${len(params)}")
    return (" where " + " and ".join(clauses) if clauses else ""), params


def export_columns(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The select list: the contract's columns in their order, plus the optional ones the warehouse has."""
    present = {
        row[0]
        for row in connection.execute(
            "select column_name from information_schema.columns where table_name = 'campaign_targets'"
        ).fetchall()
    }
    optional = [expression for name, expression in OPTIONAL_COLUMN_EXPRESSIONS.items() if name in present]
    missing = [name for name in CAMPAIGN_TARGETS_COLUMNS if name not in present]
    if missing:
        raise ExportError(f"campaign_targets lacks column(s) {', '.join(missing)}: rebuild the warehouse")
    return [*CAMPAIGN_TARGETS_COLUMNS[:-1], *optional, CAMPAIGN_TARGETS_COLUMNS[-1]]


def _check_writable(out: Path) -> None:
    if out.is_dir():
        raise ExportError(f"cannot write {out}: it is a directory; give a file name such as {out / 'x.csv'}")
    parent = out.parent
    if not parent.is_dir():
        raise ExportError(f"cannot write {out}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write {out}: no permission to write in {parent}")


def _sql_string(text: str) -> str:
    """A SQL string literal (only for the output path, which COPY cannot take as a parameter)."""
    return "'" + text.replace("'", "''") + "'"


def write_campaign_targets(
    connection: duckdb.DuckDBPyConnection, out: Path, filters: CampaignFilters | None = None
) -> int:
    """Writes the (filtered) campaign targets to `out` atomically; returns the number of rows written."""
    if not table_exists(connection, "campaign_targets"):
        raise ExportError("the published warehouse has no campaign_targets table: run a full build first")
    where, params = _where(connection, filters or CampaignFilters())
    out = Path(out).absolute()
    _check_writable(out)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    query = (
        f"select {', '.join(export_columns(connection))} from campaign_targets{where} "
        f"order by {CAMPAIGN_TARGETS_ORDER}"
    )
    try:
        rows = connection.execute(
            f"copy ({query}) to {_sql_string(str(temporary))} (format csv, header true)", params
        ).fetchall()
        os.replace(temporary, out)
    except (duckdb.IOException, OSError) as error:
        raise ExportError(f"cannot write {out}: {str(error).splitlines()[0]}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return int(rows[0][0])


def export_campaign_targets(
    workspace: Workspace, out: Path, filters: CampaignFilters | None = None
) -> ExportResult:
    """The `export campaign_targets` command: the published warehouse's targets to a CSV file."""
    try:
        with open_published(workspace.published_db) as connection:
            rows = write_campaign_targets(connection, out, filters)
    except WarehouseNotBuilt as error:
        raise ExportError(str(error)) from None
    return ExportResult(Path(out).absolute(), rows)


def refresh_build_export(workspace: Workspace, echo: Callable[[str], None] = print) -> ExportResult | None:
    """After a build has published: rewrite <export_dir>/campaign_targets.csv from the published warehouse,
    so the file is always in step with it. Never raises: a failure is reported, and the previous file is
    removed (a stale list is worse than none); the published warehouse is not affected either way."""
    out = workspace.export_dir / BUILD_EXPORT_NAME
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        result = export_campaign_targets(workspace, out)
    except (ExportError, duckdb.Error, OSError) as error:
        with suppress(OSError):
            out.unlink(missing_ok=True)
        echo(f"warning: could not refresh {out} ({error}); the old file was removed")
        return None
    echo(f"exported {result.rows:,} campaign targets to {result.path}")
    return result


def drop_build_export(workspace: Workspace, echo: Callable[[str], None] = print) -> None:
    """A build run without the export (--no-export): the previous build's file no longer matches the
    warehouse, and a stale list is worse than none, so it goes."""
    out = workspace.export_dir / BUILD_EXPORT_NAME
    if out.exists():
        out.unlink()
        echo(f"note: removed {out} (it was the previous build's); `export campaign_targets` writes it anew")
