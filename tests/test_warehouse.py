"""The star schema on a seeded random fixture, checked against pandas on the same file."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from salesdw.bench.run import layer_seconds
from salesdw.paths import PROJECT_ROOT, RUN_NODES_FILE
from tests.helpers import BuildRun, build_warehouse


def test_customer_figures_match_pandas(random_build: tuple[BuildRun, pd.DataFrame]) -> None:
    run, frame = random_build
    expected = frame.groupby("Customer ID").agg(
        first_order_date=("Date", "min"),
        last_order_date=("Date", "max"),
        order_count=("Order ID", "count"),
        lifetime_revenue=("Sales", "sum"),
    )
    actual = run.query(
        "select customer_id::bigint as customer_id, first_order_date, last_order_date, order_count, "
        "lifetime_revenue::double as lifetime_revenue, cohort_month from dim_customer"
    ).set_index("customer_id")
    assert len(actual) == len(expected) == frame["Customer ID"].nunique()
    actual = actual.loc[expected.index]
    assert (actual.first_order_date.dt.date.values == expected.first_order_date.values).all()
    assert (actual.last_order_date.dt.date.values == expected.last_order_date.values).all()
    assert (actual.order_count.values == expected.order_count.values).all()
    assert actual.lifetime_revenue.values == pytest.approx(expected.lifetime_revenue.values, abs=0.005)
    first_months = pd.to_datetime(expected.first_order_date).dt.to_period("M").dt.start_time
    assert (actual.cohort_month.values == first_months.values).all()


def test_purchase_days_and_last_order_match_pandas(random_build: tuple[BuildRun, pd.DataFrame]) -> None:
    """dim_customer's one pass also gives what the CLV inputs and churn trend need: distinct purchase days,
    the first day's value (all its orders) and the last order's amount (last day, highest order id)."""
    run, frame = random_build
    first_days = frame[frame["Date"] == frame.groupby("Customer ID")["Date"].transform("min")]
    last_orders = frame.sort_values(["Date", "Order ID"]).groupby("Customer ID").tail(1)
    expected = pd.DataFrame(
        {
            "purchase_days": frame.groupby("Customer ID")["Date"].nunique(),
            "first_order_day_value": first_days.groupby("Customer ID")["Sales"].sum(),
            "last_order_amount": last_orders.set_index("Customer ID")["Sales"],
        }
    )
    actual = run.query(
        "select customer_id::bigint as customer_id, purchase_days, "
        "first_order_day_value::double as first_order_day_value, "
        "last_order_amount::double as last_order_amount from dim_customer"
    ).set_index("customer_id")
    actual = actual.loc[expected.index]
    assert (expected.purchase_days < frame.groupby("Customer ID").size()).any()  # same-day orders exist
    assert (actual.purchase_days.values == expected.purchase_days.values).all()
    for column in ("first_order_day_value", "last_order_amount"):
        assert actual[column].values == pytest.approx(expected[column].values, abs=0.005)


def test_yaml_descriptions_are_comments_in_the_warehouse(random_build: tuple[BuildRun, pd.DataFrame]) -> None:
    run, _ = random_build
    docs = yaml.safe_load((PROJECT_ROOT / "models" / "warehouse" / "_warehouse.yml").read_text())
    dim_customer = next(model for model in docs["models"] if model["name"] == "dim_customer")
    table_comment = run.query("select comment from duckdb_tables() where table_name = 'dim_customer'")
    assert table_comment.comment[0] == dim_customer["description"].strip()
    column_comments = run.query(
        "select column_name, comment from duckdb_columns() where table_name = 'dim_customer'"
    ).set_index("column_name")["comment"]
    for column in dim_customer["columns"]:
        assert column_comments[column["name"]] == column["description"].strip()
    view_comment = run.query(
        "select comment from duckdb_views() where view_name = 'int_customer_purchase_history'"
    )
    assert view_comment.comment[0].startswith("One row per customer")


def test_fact_revenue_and_orders_match_pandas(random_build: tuple[BuildRun, pd.DataFrame]) -> None:
    run, frame = random_build
    totals = run.query("select count(*) as orders, sum(amount)::double as revenue from fact_sales").iloc[0]
    assert totals.orders == len(frame)
    assert totals.revenue == pytest.approx(frame["Sales"].sum(), abs=0.01)


def test_dim_date_covers_the_data_in_whole_months(random_build: tuple[BuildRun, pd.DataFrame]) -> None:
    run, frame = random_build
    dates = run.query(
        "select min(calendar_date) as first, max(calendar_date) as last, count(*) as days, "
        "count(*) filter (where is_weekend) as weekend_days from dim_date"
    ).iloc[0]
    assert dates.first.date() == pd.Timestamp(min(frame["Date"])).replace(day=1).date()
    assert dates.last.date() == (pd.Timestamp(max(frame["Date"])) + pd.offsets.MonthEnd(0)).date()
    assert dates.days == (dates.last - dates.first).days + 1
    expected_weekend = pd.date_range(dates.first, dates.last).day_of_week.isin([5, 6]).sum()
    assert dates.weekend_days == expected_weekend


def test_dim_date_attributes(random_build: tuple[BuildRun, pd.DataFrame]) -> None:
    run, _ = random_build
    day = run.query("select * from dim_date where calendar_date = date '2021-01-03'").iloc[0]
    # 2021-01-03 is a Sunday in ISO week 53 of 2020.
    assert (day.date_key, day.day_of_week, day.is_weekend, day.iso_week, day.iso_year) == (
        20210103,
        7,
        True,
        53,
        2020,
    )
    assert (day.month_number, day.quarter_number, day.year_number, day.year_month) == (1, 1, 2021, "2021-01")


def test_every_fact_joins_its_dimensions(random_build: tuple[BuildRun, pd.DataFrame]) -> None:
    run, _ = random_build
    orphans = run.query(
        """
        select count(*) as n
        from fact_sales
        left join dim_customer using (customer_key)
        left join dim_date on fact_sales.order_date_key = dim_date.date_key
        where dim_customer.customer_key is null or dim_date.date_key is null
        """
    ).n[0]
    assert orphans == 0


def test_summary_prints_layers_and_counts(random_build: tuple[BuildRun, pd.DataFrame]) -> None:
    run, frame = random_build
    for layer in ("staging", "warehouse"):
        assert any(line.startswith(layer) and "success" in line for line in run.output.splitlines())
    assert f"raw {len(frame):,} = clean {len(frame):,} + rejected 0" in run.output
    assert f"customers {frame['Customer ID'].nunique():,}" in run.output
    assert f"${frame['Sales'].sum():,.2f}" in run.output


def test_rebuild_gives_identical_tables(random_build: tuple[BuildRun, pd.DataFrame], tmp_path: Path) -> None:
    run, _ = random_build
    raw = Path(run.workspace.data_dir).parent / "orders.csv"
    again = build_warehouse(raw, tmp_path / "again")
    assert again.exit_code == 0, again.output
    sql = "select * from dim_customer order by customer_id"
    pd.testing.assert_frame_equal(run.query(sql), again.query(sql))


def test_the_runner_writes_run_results_and_layers_not_dbt_manifest(
    random_build: tuple[BuildRun, pd.DataFrame], tmp_path: Path
) -> None:
    """The runner's DuckDB build runs dbt with --no-write-json and writes run_results.json (the next daily
    build's node order) and run_nodes.json (the benchmark's layers) itself; dbt's manifest.json is not
    written by it."""
    run, _ = random_build
    raw = Path(run.workspace.data_dir).parent / "orders.csv"
    target = run.workspace.target_dir
    manifest = target / "manifest.json"
    manifest_before = manifest.stat().st_mtime_ns if manifest.exists() else None
    started = time.time_ns()
    again = build_warehouse(raw, tmp_path / "again")
    assert again.exit_code == 0, again.output
    results = json.loads((target / "run_results.json").read_text())
    assert (target / "run_results.json").stat().st_mtime_ns >= started
    nodes = json.loads((target / RUN_NODES_FILE).read_text())
    assert set(nodes) == {result["unique_id"] for result in results["results"]}
    assert (manifest.stat().st_mtime_ns if manifest.exists() else None) == manifest_before
    layers = layer_seconds(target)
    # Every column the benchmark reports for a build without marketing files has its nodes.
    assert {"seeds", "staging", "warehouse", "business", "clv", "tests", "hooks"} <= {
        layer for layer, seconds in layers.items() if seconds > 0
    }, layers
    assert nodes["model.marketing_warehouse.clv_model_fit"]["language"] == "python"
