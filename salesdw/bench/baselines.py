"""The two yardsticks of the benchmark, each run in its own process (`python -m salesdw.bench.baselines`).

* floor: DuckDB reading and type-casting the CSV and grouping it by customer once; no pipeline can beat it.
* pandas: what a user would write instead: the customer summary (recency, frequency, monetary) and the
  monthly metrics (revenue, orders, active and new customers) from the CSV.

Each prints one JSON line: {"seconds": ..., "rows": ...}; seconds exclude interpreter start-up and imports.
"""

from __future__ import annotations

import argparse
import json
import time


def duckdb_floor(path: str, memory_limit: str | None = None) -> dict[str, float]:
    import duckdb

    connection = duckdb.connect()
    connection.execute("set enable_progress_bar = false")
    if memory_limit:
        connection.execute(f"set memory_limit = '{memory_limit}'")
    started = time.perf_counter()
    quoted = path.replace("'", "''")
    rows = connection.execute(
        f"""
        select count(*) from (
            select
                cast("Customer ID" as bigint) as customer_id,
                count(cast("Order ID" as bigint)) as frequency,
                sum(cast("Sales" as decimal(18, 2))) as monetary,
                max(cast("Date" as date)) as last_order_date
            from read_csv('{quoted}', all_varchar = true, header = true, delim = ',', quote = '"',
                escape = '"')
            group by customer_id
        )
        """
    ).fetchall()[0][0]
    return {"seconds": time.perf_counter() - started, "rows": float(rows)}


def pandas_alternative(path: str) -> dict[str, float]:
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_csv(
        path,
        usecols=["Date", "Customer ID", "Order ID", "Sales"],
        dtype={"Customer ID": "int64", "Order ID": "int64", "Sales": "float64"},
        parse_dates=["Date"],
    )
    frame = frame.drop_duplicates("Order ID")
    as_of = frame["Date"].max()
    customers = frame.groupby("Customer ID").agg(
        first_order=("Date", "min"),
        last_order=("Date", "max"),
        frequency=("Order ID", "count"),
        monetary=("Sales", "sum"),
    )
    customers["recency_days"] = (as_of - customers["last_order"]).dt.days
    customers["average_order_value"] = customers["monetary"] / customers["frequency"]
    frame["month"] = frame["Date"].dt.to_period("M")
    cohort = customers["first_order"].dt.to_period("M").rename("cohort")
    frame = frame.join(cohort, on="Customer ID")
    monthly = frame.groupby("month").agg(
        revenue=("Sales", "sum"), orders=("Order ID", "count"), active_customers=("Customer ID", "nunique")
    )
    monthly["new_customers"] = cohort.value_counts().reindex(monthly.index, fill_value=0)
    monthly["average_order_value"] = monthly["revenue"] / monthly["orders"]
    return {"seconds": time.perf_counter() - started, "rows": float(len(customers) + len(monthly))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("which", choices=["floor", "pandas"])
    parser.add_argument("csv")
    parser.add_argument("--memory-limit")
    args = parser.parse_args(argv)
    result = (
        duckdb_floor(args.csv, args.memory_limit) if args.which == "floor" else pandas_alternative(args.csv)
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
