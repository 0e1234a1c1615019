"""The build summary: per-layer status and timing from dbt's results, row counts from the warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

from salesdw.pipeline.dbt_invoke import LAYERS, NodeResult
from salesdw.readers import fetch_dicts, table_exists


@dataclass(frozen=True)
class LayerSummary:
    layer: str
    status: str
    models: int
    model_seconds: float
    tests: int
    test_seconds: float
    failed: int


def _seconds(node: NodeResult) -> float:
    if node.started_at and node.completed_at:
        return (node.completed_at - node.started_at).total_seconds()
    return 0.0


def summarise_layers(nodes: tuple[NodeResult, ...]) -> list[LayerSummary]:
    """Seconds spent in each layer's models and in its tests: node times summed (dbt runs a DAG on two
    threads, so layers overlap in time and the sums add up to more than the wall clock)."""
    summaries = []
    # Models, seeds and tests; the on-run-end hook and the exposures are bookkeeping (a failing hook is
    # still reported by the build, as a failed node).
    counted = [node for node in nodes if node.resource_type in {"model", "seed", "test", "unit_test"}]
    for layer in (*LAYERS, "other"):
        members = [node for node in counted if node.layer == layer]
        if not members:
            continue
        models = [node for node in members if node.resource_type in {"model", "seed"}]
        tests = [node for node in members if node.resource_type in {"test", "unit_test"}]
        failed = sum(node.failed for node in members)
        skipped = sum(node.status == "skipped" for node in members)
        status = "failed" if failed else ("skipped" if skipped == len(members) else "success")
        summaries.append(
            LayerSummary(
                layer=layer,
                status=status,
                models=len(models),
                model_seconds=sum(map(_seconds, models)),
                tests=len(tests),
                test_seconds=sum(map(_seconds, tests)),
                failed=failed,
            )
        )
    return summaries


def dbt_wall_seconds(nodes: tuple[NodeResult, ...]) -> float:
    starts = [node.started_at for node in nodes if node.started_at]
    ends = [node.completed_at for node in nodes if node.completed_at]
    return (max(ends) - min(starts)).total_seconds() if starts and ends else 0.0


def format_layers(summaries: list[LayerSummary], wall_seconds: float | None = None) -> str:
    header = f"{'layer':<10} {'status':<8} {'models':>7} {'seconds':>8} {'tests':>6} {'seconds':>8}"
    lines = [header, "-" * len(header)]
    for item in summaries:
        lines.append(
            f"{item.layer:<10} {item.status:<8} {item.models:>7} {item.model_seconds:>8.2f}"
            f" {item.tests:>6} {item.test_seconds:>8.2f}"
        )
    if wall_seconds is not None:
        lines.append(f"dbt ran {sum(s.models + s.tests for s in summaries)} nodes in {wall_seconds:.2f} s")
    return "\n".join(lines)


def warehouse_counts(connection: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Row counts and totals of a built warehouse (one query per table, all cheap aggregates)."""
    reconciliation = fetch_dicts(
        connection,
        """
        select raw_row_count, clean_row_count, return_row_count, rejected_row_count,
            collapsed_duplicate_count, source_file_count, is_reconciled
        from stg_sales_reconciliation
        """,
    )[0]
    returns = fetch_dicts(
        connection,
        "select count(*) as return_count, sum(returned_amount) as returned_amount from fact_returns",
    )[0]
    customers = fetch_dicts(
        connection,
        "select count(*) as customer_count, sum(lifetime_revenue) as revenue from dim_customer",
    )[0]
    dates = fetch_dicts(
        connection,
        "select min(order_date) as first_order_date, max(order_date) as last_order_date from fact_sales",
    )[0]
    return {**reconciliation, **customers, **dates, **returns}


def format_counts(counts: dict[str, Any]) -> str:
    """The row reconciliation, customers, revenue and dates. Returns appear only when the data has some."""
    revenue = counts["revenue"] or Decimal(0)
    return_rows = counts.get("return_row_count") or 0
    returned = counts.get("returned_amount") or Decimal(0)
    revenue_line = f"revenue   ${revenue:,.2f}"
    if counts.get("return_count"):
        net = revenue - returned
        revenue_line += f" gross - ${returned:,.2f} in {counts['return_count']:,} return(s) = ${net:,.2f} net"
    return "\n".join(
        [
            f"rows      raw {counts['raw_row_count']:,} = clean {counts['clean_row_count']:,}"
            + (f" + returns {return_rows:,}" if return_rows else "")
            + f" + rejected {counts['rejected_row_count']:,}"
            f" + collapsed duplicates {counts['collapsed_duplicate_count']:,}"
            f" ({counts['source_file_count']} file(s))",
            f"customers {counts['customer_count']:,}",
            revenue_line,
            f"orders    {counts['first_order_date']} to {counts['last_order_date']}",
        ]
    )


def marketing_summary(connection: duckdb.DuckDBPyConnection) -> str | None:
    """A line per marketing source kind with files: raw = clean + rejected + collapsed (None without any)."""
    if not table_exists(connection, "stg_marketing_reconciliation"):
        return None
    rows = fetch_dicts(
        connection,
        "select * from stg_marketing_reconciliation where source_file_count > 0 order by source_kind",
    )
    labels = {"ad_spend": "ad spend", "touchpoints": "touches"}
    lines = [
        f"{labels.get(row['source_kind'], row['source_kind']):<10}"
        f"raw {row['raw_row_count']:,} = clean {row['clean_row_count']:,}"
        f" + rejected {row['rejected_row_count']:,}"
        f" + collapsed duplicates {row['collapsed_duplicate_count']:,} ({row['source_file_count']} file(s))"
        for row in rows
    ]
    return "\n".join(lines) or None
