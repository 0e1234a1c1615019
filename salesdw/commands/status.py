"""`run_pipeline.py status`: the last runs and what the published warehouse holds now."""

from __future__ import annotations

import argparse
from typing import Any

import duckdb

from salesdw.paths import Workspace
from salesdw.pipeline.run_log import last_successful_run, read_runs
from salesdw.readers import WarehouseNotBuilt, open_published, warehouse_facts

HELP = "show the last runs and the published warehouse's as-of date and row counts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--last", type=int, default=10, help="how many runs to show (default 10)")


def run(args: argparse.Namespace, workspace: Workspace) -> int:
    print(format_runs(read_runs(workspace, last=args.last)))
    print()
    print(format_warehouse(workspace))
    return 0


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "-"


def _input_name(run: dict[str, Any]) -> str:
    inputs = run.get("inputs") or []
    if len(inputs) > 1:
        return f"{len(inputs)} files"
    path = inputs[0]["path"] if inputs else run.get("input", "")
    return path.rsplit("/", 1)[-1] or path


def _detail(run: dict[str, Any]) -> str:
    nodes = run.get("failing_nodes") or []
    if nodes:
        detail = "failing: " + ", ".join(node.split(".")[-1] for node in nodes[:3])
    else:
        detail = str(run.get("message") or "")
    # Runs of a plain `dbt build` (or run, seed, ...) are named as such; the runner's are the default.
    command = str(run.get("command") or "build")
    return f"{command}: {detail}" if command.startswith("dbt ") else detail


def format_runs(runs: list[dict[str, Any]]) -> str:
    """A compact table, oldest first: start (UTC), seconds, status, input, rows in/clean/rejected, detail."""
    if not runs:
        return "no runs recorded yet"
    header = (
        f"{'started (UTC)':<19} {'secs':>6} {'status':<11} {'input':<24} {'in':>9} {'clean':>9} {'rej':>7}"
    )
    lines = [header, "-" * len(header)]
    for run in runs:
        counts = run.get("counts") or {}
        seconds = run.get("seconds")
        line = (
            f"{str(run.get('started_at', ''))[:19].replace('T', ' '):<19} "
            f"{(f'{seconds:.1f}' if isinstance(seconds, (int, float)) else '-'):>6} "
            f"{run.get('status', '?'):<11} {_input_name(run)[:24]:<24} "
            f"{_count(counts.get('raw_row_count')):>9} {_count(counts.get('clean_row_count')):>9} "
            f"{_count(counts.get('rejected_row_count')):>7}"
        )
        detail = _detail(run)
        lines.append(f"{line}  {detail[:100]}" if detail else line)
    return "\n".join(lines)


def format_warehouse(workspace: Workspace) -> str:
    try:
        with open_published(workspace.published_db) as connection:
            facts = warehouse_facts(connection)
    except WarehouseNotBuilt:
        return (
            f"no published warehouse yet at {workspace.published_db}: build it with `python run_pipeline.py`"
        )
    except duckdb.Error as error:
        return f"published warehouse {workspace.published_db} could not be read: {error}"
    last = last_successful_run(workspace)
    as_of = (last or {}).get("as_of_date")
    as_of_text = f"{as_of} (--as-of-date)" if as_of else f"{facts.get('last_order_date')} (last order date)"
    revenue = facts.get("revenue")
    return "\n".join(
        [
            f"published warehouse {workspace.published_db}",
            f"  as of      {as_of_text}",
            f"  rows       raw {_count(facts.get('raw_row_count'))}"
            f", clean {_count(facts.get('clean_row_count'))}"
            f", rejected {_count(facts.get('rejected_row_count'))}"
            f", collapsed duplicates {_count(facts.get('collapsed_duplicate_count'))}",
            f"  customers  {_count(facts.get('customer_count'))}",
            f"  orders     {_count(facts.get('order_count'))}"
            f" ({facts.get('first_order_date')} to {facts.get('last_order_date')})",
            f"  revenue    {f'${revenue:,.2f}' if revenue is not None else '-'}",
        ]
    )
