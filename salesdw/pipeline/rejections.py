"""Rejected rows in words: the screen of a build stopped by the staging gate, and the short summary of a build
that rejected some rows.

The gate is the dbt test input_makes_a_warehouse on stg_sales (macros/generic_tests.sql): it fails when the
latest load's rows were all rejected, or more than the max_rejected_row_share var of them, or no order is
left. `dbt build` then skips everything downstream of staging, and the runner explains why from the staging
tables of the working copy (the quarantine, the reasons seed with what to change); the published warehouse
is not touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from salesdw.inputs.spec import InputSpec
from salesdw.pipeline.dbt_invoke import BuildOutcome
from salesdw.readers import fetch_dicts, open_published, table_exists

GATE_TEST = "input_makes_a_warehouse"
SHORT_SUMMARY_REASONS = 5

Printer = Callable[[str], None]


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    rows: int
    examples: tuple[str, ...]
    description: str
    what_to_change: str


@dataclass(frozen=True)
class LoadRejections:
    """The latest load's rows by outcome, and its rejected rows by reason (most frequent first)."""

    rows_read: int
    clean: int
    returns: int
    rejected: int
    collapsed: int
    file_count: int
    reasons: tuple[ReasonCount, ...]

    @property
    def rejected_share(self) -> float:
        return self.rejected / self.rows_read if self.rows_read else 0.0


def row_label(spec: InputSpec | None) -> str:
    """How the rejection summary names source_row_index: the file's own index column, or the position."""
    return "index" if spec is None or "row_index" in spec.columns else "row"


def gate_failed(outcome: BuildOutcome) -> bool:
    return any(node.name == GATE_TEST and node.failed for node in outcome.nodes)


_OUTCOMES_SQL = """
    select
        count(*) as rows_read,
        count(*) filter (where row_outcome = 'clean') as clean,
        count(*) filter (where row_outcome = 'return') as returns,
        count(*) filter (where row_outcome = 'rejected') as rejected,
        count(*) filter (where row_outcome = 'collapsed_duplicate') as collapsed,
        count(distinct source_file) as file_count
    from stg_sales__validated
    where load_id = (select max(load_id) from stg_sales__validated)
"""

# Per reason: its count and the first two distinct raw values of the field the reason is about (the seed's
# raw_field), where they were found. A line-item file's amount is quantity x unit price.
_REASONS_SQL = """
    with rejected as (
        select
            rejected.rejection_reason,
            rejected.source_file,
            rejected.source_row_index,
            case reasons.raw_field
                when 'raw_order_id' then rejected.raw_order_id
                when 'raw_customer_id' then rejected.raw_customer_id
                when 'raw_date' then rejected.raw_date
                when 'raw_quantity' then rejected.raw_quantity
                when 'raw_unit_price' then rejected.raw_unit_price
                -- A line-item file's amount is quantity x unit price: show both.
                else case
                    when rejected.raw_quantity is null and rejected.raw_unit_price is null
                        then rejected.raw_sales
                    else coalesce(rejected.raw_quantity, '') || ' x ' || coalesce(rejected.raw_unit_price, '')
                end
            end as example
        from stg_sales_rejected as rejected
        inner join rejection_reasons as reasons
            on rejected.rejection_reason = reasons.rejection_reason
        where rejected.load_id = (select max(load_id) from stg_sales__validated)
    ),

    example_values as (
        -- Each value where it first occurs, and where again (when a reason has one value only, as an
        -- empty field, the second example is its second row).
        select
            rejection_reason,
            example,
            arg_min(source_file, source_row_index) as source_file,
            list(source_row_index order by source_file, source_row_index)[1:2] as source_rows
        from rejected
        group by rejection_reason, example
    ),

    first_examples as (
        select
            rejection_reason,
            list(
                struct_pack(value := example, source_file := source_file, source_rows := source_rows)
                order by source_file, source_rows[1]
            )[1:2] as examples
        from example_values
        group by rejection_reason
    ),

    counted as (
        select
            rejection_reason,
            count(*) as row_count
        from rejected
        group by rejection_reason
    )

    select
        counted.rejection_reason,
        counted.row_count,
        first_examples.examples,
        reasons.description,
        reasons.what_to_change
    from counted
    inner join first_examples
        on counted.rejection_reason = first_examples.rejection_reason
    inner join rejection_reasons as reasons
        on counted.rejection_reason = reasons.rejection_reason
    order by counted.row_count desc, reasons.check_order
"""


def read_load_rejections(
    connection: duckdb.DuckDBPyConnection, row_label: str = "row"
) -> LoadRejections | None:
    """The latest load's outcome counts and reasons, or None when staging was not built. row_label names
    source_row_index: `row` (the position in the file) or `index` (the file's own row index column)."""
    if not all(table_exists(connection, name) for name in ("stg_sales__validated", "stg_sales_rejected")):
        return None
    outcomes = fetch_dicts(connection, _OUTCOMES_SQL)[0]
    reasons = tuple(
        ReasonCount(
            row["rejection_reason"],
            row["row_count"],
            _examples(row["examples"], row_label),
            row["description"],
            row["what_to_change"],
        )
        for row in fetch_dicts(connection, _REASONS_SQL)
    )
    return LoadRejections(reasons=reasons, **outcomes)


def _examples(examples: list[dict[str, Any]], row_label: str) -> tuple[str, ...]:
    """Two examples, e.g. `'05/01/2021' (sales.csv row 8)`. A reason with one value only (an empty field)
    shows that value with its first two rows."""
    shown = []
    for example in examples:
        value = example["value"]
        text = "(empty)" if value is None else f"'{value}'"
        rows = [str(row) for row in example["source_rows"] if row is not None]
        rows = rows if len(examples) == 1 else rows[:1]
        label = {"row": "rows", "index": "indexes"}[row_label] if len(rows) > 1 else row_label
        where = f" {label} {', '.join(rows)}" if rows else ""
        shown.append(f"{text} ({Path(str(example['source_file'])).name}{where})")
    return tuple(shown)


def read_rejections_of(db_path: Path, row_label: str = "row") -> LoadRejections | None:
    try:
        with open_published(db_path) as connection:
            return read_load_rejections(connection, row_label)
    except (duckdb.Error, OSError):
        return None


def format_gate_screen(
    load: LoadRejections, max_share: float, spec_name: str, published_db: Path, working_db: Path
) -> list[str]:
    """The one screen of a build the data cannot make: what was read, why it was rejected, what to change."""
    if load.rejected == load.rows_read:
        verdict = f"all {load.rows_read:,} rows read were rejected"
    elif load.clean == 0:
        verdict = f"none of the {load.rows_read:,} rows read is an order"
    else:
        verdict = (
            f"{load.rejected:,} of {load.rows_read:,} rows read were rejected ({load.rejected_share:.1%}, "
            f"more than the {max_share:.0%} allowed: --max-rejected-share, the max_rejected_row_share var)"
        )
    top = load.reasons[0] if load.reasons else None
    headline = f"error: the data cannot make a warehouse: {verdict}"
    if top:
        example = f", e.g. {top.examples[0]}" if top.examples else ""
        headline += f"; the top reason is {top.reason} ({top.rows:,} rows{example})"
    lines = [
        headline,
        f"input spec: {spec_name}",
        f"  rows read             {load.rows_read:>12,}  ({load.file_count} file(s))",
        f"  orders (clean rows)   {load.clean:>12,}",
        f"  returns               {load.returns:>12,}",
        f"  collapsed duplicates  {load.collapsed:>12,}",
        f"  rejected              {load.rejected:>12,}",
    ]
    if load.reasons:
        lines.append("rejected rows by reason, with two example raw values and what to change:")
    for item in load.reasons:
        lines.append(f"  {item.reason:<32} {item.rows:>10,}  e.g. {', '.join(item.examples)}")
        lines.append(f"      {item.description}")
        lines.append(f"      what to change: {item.what_to_change}")
    if load.rejected < load.rows_read and load.clean == 0:
        lines.append("  no row is an order: every row read is a return or a duplicate")
    lines.append(
        f"The published warehouse ({published_db}) was not touched; the rejected rows are in "
        f"stg_sales_rejected of the working copy ({working_db})."
    )
    return lines


def format_short_summary(load: LoadRejections) -> list[str]:
    """A build that rejected rows says so: the reasons, counts and examples, no advice."""
    if not load.rejected:
        return []
    lines = [
        f"rejected  {load.rejected:,} of {load.rows_read:,} rows read ({load.rejected_share:.1%}); "
        "the rows are in stg_sales_rejected:"
    ]
    for item in load.reasons[:SHORT_SUMMARY_REASONS]:
        lines.append(f"  {item.reason:<32} {item.rows:>10,}  e.g. {', '.join(item.examples)}")
    hidden = load.reasons[SHORT_SUMMARY_REASONS:]
    if hidden:
        lines.append(f"  and {len(hidden)} more reason(s), {sum(item.rows for item in hidden):,} rows")
    return lines


def max_rejected_share() -> float:
    """The max_rejected_row_share var as dbt_project.yml sets it (for the screen's words only)."""
    import yaml

    from salesdw.paths import PROJECT_ROOT

    project = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())
    return float(project["vars"]["max_rejected_row_share"])


def unusable_input_screen(
    working_db: Path,
    published_db: Path,
    spec_name: str,
    max_share: float | None = None,
    row_label: str = "row",
) -> list[str]:
    """The gate's screen, read from the working copy (its staging tables were built)."""
    load = read_rejections_of(working_db, row_label)
    if load is None:
        return [
            "error: the data cannot make a warehouse (the staging gate input_makes_a_warehouse failed); "
            "the rejected rows could not be read back",
            f"The published warehouse ({published_db}) was not touched.",
        ]
    share = max_rejected_share() if max_share is None else max_share
    return format_gate_screen(load, share, spec_name, published_db, working_db)
