"""CSV exports of the published warehouse: campaign_targets for the campaign tool, channel_performance and
order_attribution for the marketing team.

Reads the published file through a short-lived read-only connection (never blocks a build) and writes with
DuckDB's COPY: DECIMAL money keeps two decimals (12.30, never 12.300000001), dates are ISO (YYYY-MM-DD),
there is a header and no index column. Filter values are bound as query parameters, never pasted into SQL;
they are checked first against the values the warehouse knows, so a typo is a clear error, not an empty
file. Every file is written to a temporary name beside the target and renamed: a reader sees the old file
or the new one, never half of one. Each table's columns, order and filters are one ExportSpec.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb

from salesdw.paths import Workspace
from salesdw.readers import WarehouseNotBuilt, open_published, table_exists

ATTRIBUTION_MODELS: tuple[str, ...] = ("first_touch", "last_touch", "linear", "time_decay", "position_based")
# The priorities campaign_targets assigns (its accepted_values test in models/business/_business.yml).
PRIORITIES: tuple[str, ...] = ("High", "Medium", "Low")
TIME_GRAINS: tuple[str, ...] = ("day", "week", "month")
BUILD_EXPORT_NAME = "campaign_targets.csv"


class ExportError(Exception):
    """An export that cannot be done, with a one-line message for the user."""


@dataclass(frozen=True)
class OptionalColumn:
    """A column written (just before the spec's last column) only when the table has it and, with
    needs_values, only when it holds a value (marketing columns are null in a build without marketing)."""

    name: str
    expression: str
    needs_values: bool = False


@dataclass(frozen=True)
class Filter:
    """One command-line filter: `--flag VALUE` (argparse dest `option`) keeps rows where
    `column <operator> value`. kind: "choice" (one of valid_values, any case; a fixed tuple, or SQL returning
    them, falling back to the exported column's values when that SQL's table is missing), "minimum" (a
    currency amount) or "date" (ISO)."""

    option: str
    flag: str
    column: str
    kind: str
    operator: str = "="
    valid_values: tuple[str, ...] | str = ()
    label: str = ""


@dataclass(frozen=True)
class ExportSpec:
    table: str
    columns: tuple[str, ...]
    order_by: str
    filters: tuple[Filter, ...]
    optional: tuple[OptionalColumn, ...] = ()
    # Output expressions for columns that need rounding on the way out (no float noise in the file).
    expressions: Mapping[str, str] = field(default_factory=dict)
    missing_hint: str = "run a full build first"


def _distinct(table: str, column: str) -> str:
    return f"select distinct {column} from {table} where {column} is not null order by 1"


CAMPAIGN_TARGETS = ExportSpec(
    table="campaign_targets",
    # The campaign tool's contract: these columns, in this order (customer_key, the join key, stays inside).
    columns=(
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
    ),
    # Stable row order: the campaign, then the most urgent and valuable customers first; ties by customer_key
    # (for integer ids the id itself, so they sort as numbers, not as text: '9' before '10').
    order_by="campaign_type, priority_rank, estimated_campaign_value desc, customer_key",
    filters=(
        # Campaign types from the campaigns seed, so a type with no targets today is still valid.
        Filter(
            "campaign_type",
            "--campaign-type",
            "campaign_type",
            "choice",
            valid_values="select campaign_type from campaigns order by campaign_type",
            label="campaign type",
        ),
        Filter("priority", "--priority", "priority", "choice", valid_values=PRIORITIES, label="priority"),
        Filter("min_value", "--min-value", "estimated_campaign_value", "minimum", operator=">="),
    ),
    # The probabilistic CLV layer's scores, rounded (a probability to 4 decimals, money to cents), and the
    # marketing channels (only when the warehouse has marketing data: null for everybody otherwise).
    optional=(
        OptionalColumn("p_alive", "round(p_alive, 4) as p_alive"),
        OptionalColumn("predicted_clv", "cast(round(predicted_clv, 2) as decimal(18, 2)) as predicted_clv"),
        OptionalColumn("acquisition_channel", "acquisition_channel", needs_values=True),
        OptionalColumn("last_touch_channel", "last_touch_channel", needs_values=True),
    ),
)

# The channels with credit or spend (a small table; order_attribution has the same channels).
_CHANNELS = "select distinct channel from channel_performance order by 1"
_MODEL_COLUMNS = tuple(
    f"{measure}_{model}"
    for model in ATTRIBUTION_MODELS
    for measure in ("attributed_orders", "attributed_revenue", "roas", "roi")
)
CHANNEL_PERFORMANCE = ExportSpec(
    table="channel_performance",
    columns=(
        "time_grain",
        "period_start_date",
        "channel",
        "campaign_id",
        "campaign_name",
        "impressions",
        "clicks",
        "conversions",
        "spend",
        "ctr",
        "cpc",
        "cpm",
        "conversion_rate",
        "cpa",
        *_MODEL_COLUMNS,
    ),
    order_by="case time_grain when 'day' then 1 when 'week' then 2 else 3 end, period_start_date, channel, "
    "campaign_id",
    filters=(
        Filter("grain", "--grain", "time_grain", "choice", valid_values=TIME_GRAINS, label="grain"),
        Filter("channel", "--channel", "channel", "choice", valid_values=_CHANNELS, label="channel"),
        Filter(
            "campaign",
            "--campaign",
            "campaign_id",
            "choice",
            valid_values=_distinct("channel_performance", "campaign_id"),
            label="campaign",
        ),
        Filter("date_from", "--from", "period_start_date", "date", operator=">="),
        Filter("date_to", "--to", "period_start_date", "date", operator="<="),
    ),
    missing_hint="build with marketing files (--marketing-dir) first",
)
ORDER_ATTRIBUTION = ExportSpec(
    table="order_attribution",
    columns=(
        "order_id",
        "customer_id",
        "order_date",
        "order_amount",
        "attribution_model",
        "touch_position",
        "touch_count",
        "event_time",
        "touch_date",
        "days_before_order",
        "channel",
        "campaign_id",
        "event_type",
        "credit_share",
        "credit_amount",
    ),
    order_by="order_date, order_id, case attribution_model "
    + " ".join(f"when '{model}' then {rank}" for rank, model in enumerate(ATTRIBUTION_MODELS))
    + " end, touch_position",
    filters=(
        Filter(
            "model", "--model", "attribution_model", "choice", valid_values=ATTRIBUTION_MODELS, label="model"
        ),
        Filter("channel", "--channel", "channel", "choice", valid_values=_CHANNELS, label="channel"),
        Filter("date_from", "--from", "order_date", "date", operator=">="),
        Filter("date_to", "--to", "order_date", "date", operator="<="),
    ),
    expressions={"credit_share": "round(credit_share, 6) as credit_share"},
    missing_hint="build with marketing files (--marketing-dir) first",
)
SPECS: dict[str, ExportSpec] = {
    spec.table: spec for spec in (CAMPAIGN_TARGETS, CHANNEL_PERFORMANCE, ORDER_ATTRIBUTION)
}
EXPORT_TABLES: tuple[str, ...] = tuple(SPECS)
# Kept for the campaign tool's contract tests.
CAMPAIGN_TARGETS_COLUMNS = CAMPAIGN_TARGETS.columns
CAMPAIGN_TARGETS_OPTIONAL_COLUMNS: tuple[str, ...] = tuple(
    column.name for column in CAMPAIGN_TARGETS.optional
)
# Every filter of every table, once (the command line offers them all; each table checks its own).
FILTERS: tuple[Filter, ...] = tuple(
    {item.option: item for spec in SPECS.values() for item in spec.filters}.values()
)


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


def _parse_date(flag: str, text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ExportError(f"{flag} {text!r}: not a date in the form YYYY-MM-DD") from None


def _choose(option: str, given: str, valid: Sequence[str]) -> str:
    """The valid value `given` names (case-insensitive), or a one-line error listing the valid ones."""
    for value in valid:
        if value.casefold() == given.strip().casefold():
            return value
    listed = ", ".join(valid) if valid else "(none: the warehouse has none)"
    raise ExportError(f"unknown {option} {given!r}; valid values: {listed}")


def _valid_values(connection: duckdb.DuckDBPyConnection, spec: ExportSpec, item: Filter) -> list[str]:
    if isinstance(item.valid_values, tuple):
        return list(item.valid_values)
    try:
        rows = connection.execute(item.valid_values).fetchall()
    except duckdb.CatalogException:
        rows = connection.execute(_distinct(spec.table, item.column)).fetchall()
    return [str(row[0]) for row in rows]


def check_filters(spec: ExportSpec, filters: Mapping[str, str]) -> None:
    """Every given filter must be one of the table's (a typo'd table/filter pair is one clear line)."""
    own = {item.option for item in spec.filters}
    flag_of = {item.option: item.flag for item in FILTERS}
    for option in filters:
        if option not in own:
            flags = ", ".join(item.flag for item in spec.filters)
            raise ExportError(
                f"{flag_of.get(option, option)} does not apply to {spec.table} (its filters: {flags})"
            )


def _where(
    connection: duckdb.DuckDBPyConnection, spec: ExportSpec, filters: Mapping[str, str]
) -> tuple[str, list[Any]]:
    """The WHERE clause (placeholders only) and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    for item in spec.filters:
        text = filters.get(item.option)
        if text is None:
            continue
        if item.kind == "choice":
            params.append(_choose(item.label, text, _valid_values(connection, spec, item)))
        elif item.kind == "minimum":
            params.append(parse_min_value(text))
        else:
            params.append(_parse_date(item.flag, text))
        clauses.append(f"{item.column} {item.operator} ${len(params)}")
    return (" where " + " and ".join(clauses) if clauses else ""), params


def export_columns(connection: duckdb.DuckDBPyConnection, spec: ExportSpec = CAMPAIGN_TARGETS) -> list[str]:
    """The select list: the spec's columns in their order, plus the optional ones the table has."""
    present = {
        row[0]
        for row in connection.execute(
            "select column_name from information_schema.columns where table_name = ?", [spec.table]
        ).fetchall()
    }
    missing = [name for name in spec.columns if name not in present]
    if missing:
        raise ExportError(f"{spec.table} lacks column(s) {', '.join(missing)}: rebuild the warehouse")
    optional = [
        column.expression
        for column in spec.optional
        if column.name in present and (not column.needs_values or _has_values(connection, spec, column.name))
    ]
    columns = [spec.expressions.get(name, name) for name in spec.columns]
    return [*columns[:-1], *optional, columns[-1]]


def _has_values(connection: duckdb.DuckDBPyConnection, spec: ExportSpec, column: str) -> bool:
    rows = connection.execute(f"select 1 from {spec.table} where {column} is not null limit 1").fetchall()
    return bool(rows)


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


def write_table(
    connection: duckdb.DuckDBPyConnection,
    spec: ExportSpec,
    out: Path,
    filters: Mapping[str, str] | None = None,
) -> int:
    """Writes the (filtered) table to `out` atomically; returns the number of rows written."""
    filters = {option: value for option, value in (filters or {}).items() if value is not None}
    check_filters(spec, filters)
    if not table_exists(connection, spec.table):
        raise ExportError(f"the published warehouse has no {spec.table} table: {spec.missing_hint}")
    where, params = _where(connection, spec, filters)
    out = Path(out).absolute()
    _check_writable(out)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    columns = ", ".join(export_columns(connection, spec))
    query = f"select {columns} from {spec.table}{where} order by {spec.order_by}"
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


def export_table(
    workspace: Workspace, table: str, out: Path, filters: Mapping[str, str] | None = None
) -> ExportResult:
    """The `export TABLE` command: the published warehouse's table to a CSV file."""
    if table not in SPECS:
        raise ExportError(f"unknown table {table!r}; valid values: {', '.join(EXPORT_TABLES)}")
    try:
        with open_published(workspace.published_db) as connection:
            rows = write_table(connection, SPECS[table], out, filters)
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
        result = export_table(workspace, CAMPAIGN_TARGETS.table, out)
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
