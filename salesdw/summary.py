"""The build summary: per-layer status and timing from dbt's results, row counts from the warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

from salesdw.dbt_invoke import LAYERS, NodeResult
from salesdw.readers import fetch_dicts


@dataclass(frozen=True)
class LayerSummary:
    layer: str
    status: str
    seconds: float
    models: int
    tests: int
    failed: int


def summarise_layers(nodes: tuple[NodeResult, ...]) -> list[LayerSummary]:
    """Wall-clock span of each layer's nodes (layers overlap a little: dbt runs a DAG, not stages)."""
    summaries = []
    for layer in (*LAYERS, "other"):
        members = [node for node in nodes if node.layer == layer]
        if not members:
            continue
        starts = [node.started_at for node in members if node.started_at]
        ends = [node.completed_at for node in members if node.completed_at]
        seconds = (max(ends) - min(starts)).total_seconds() if starts and ends else 0.0
        failed = sum(node.failed for node in members)
        skipped = sum(node.status == "skipped" for node in members)
        status = "failed" if failed else ("skipped" if skipped == len(members) else "success")
        summaries.append(
            LayerSummary(
                layer=layer,
                status=status,
                seconds=seconds,
                models=sum(node.resource_type in {"model", "seed"} for node in members),
                tests=sum(node.resource_type in {"test", "unit_test"} for node in members),
                failed=failed,
            )
        )
    return summaries


def format_layers(summaries: list[LayerSummary]) -> str:
    header = f"{'layer':<10} {'status':<8} {'seconds':>8} {'models':>7} {'tests':>6}"
    lines = [header, "-" * len(header)]
    for item in summaries:
        lines.append(
            f"{item.layer:<10} {item.status:<8} {item.seconds:>8.2f} {item.models:>7} {item.tests:>6}"
        )
    return "\n".join(lines)


def warehouse_counts(connection: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Row counts and totals of a built warehouse (one query per table, all cheap aggregates)."""
    reconciliation = fetch_dicts(
        connection,
        """
        select raw_row_count, clean_row_count, rejected_row_count, collapsed_duplicate_count,
            source_file_count, is_reconciled
        from stg_sales_reconciliation
        """,
    )[0]
    customers = fetch_dicts(
        connection,
        "select count(*) as customer_count, sum(lifetime_revenue) as revenue from dim_customer",
    )[0]
    dates = fetch_dicts(
        connection,
        "select min(order_date) as first_order_date, max(order_date) as last_order_date from fact_sales",
    )[0]
    return {**reconciliation, **customers, **dates}


def format_counts(counts: dict[str, Any]) -> str:
    revenue = counts["revenue"] or Decimal(0)
    return "\n".join(
        [
            f"rows      raw {counts['raw_row_count']:,} = clean {counts['clean_row_count']:,}"
            f" + rejected {counts['rejected_row_count']:,}"
            f" + collapsed duplicates {counts['collapsed_duplicate_count']:,}"
            f" ({counts['source_file_count']} file(s))",
            f"customers {counts['customer_count']:,}",
            f"revenue   ${revenue:,.2f}",
            f"orders    {counts['first_order_date']} to {counts['last_order_date']}",
        ]
    )
