"""Benchmark inputs: generated sales files (and, with marketing, their marketing files), cached under a
directory keyed by order count and seed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from salesdw.sample.generate import write_sales_csv

DEFAULT_CACHE_DIR = Path("/tmp/salesdw_bench")
#: One year, as every benchmark since the start (the generator's default range is the sample's two years):
#: cached inputs and earlier measurements stay comparable.
BENCH_START = "2021-01-01"
BENCH_END = "2021-12-31"
#: The appended file of the incremental run: one more day of orders, 1% of the base size.
INCREMENT_FRACTION = 0.01
INCREMENT_DAY = "2022-01-01"


@dataclass(frozen=True)
class BenchInput:
    """One size's files: the base CSV alone in `directory`, and an appended daily file beside it."""

    orders: int
    seed: int
    directory: Path

    @property
    def base_file(self) -> Path:
        return self.directory / "sales_base.csv"

    @property
    def increment_file(self) -> Path:
        return self.directory / "sales_increment.csv"

    @property
    def all_files_glob(self) -> str:
        return str(self.directory / "sales_*.csv")

    @property
    def marketing_dir(self) -> Path:
        """Marketing files consistent with the base file (generated on demand, see bench_marketing)."""
        return self.directory / "marketing"


def bench_input(cache_dir: Path, orders: int, seed: int) -> BenchInput:
    """The cached input for `orders` and `seed`, generated on first use (deterministic, so safe to reuse)."""
    item = BenchInput(orders, seed, cache_dir / f"orders_{orders}_seed_{seed}")
    item.directory.mkdir(parents=True, exist_ok=True)
    marker = item.directory / "generated.json"
    if not (marker.exists() and item.base_file.exists()):
        result = write_sales_csv(item.base_file, orders, seed=seed, start=BENCH_START, end=BENCH_END)
        marker.write_text(json.dumps({"orders": orders, "seed": seed, "seconds": result.seconds}))
    remove_increment(item)
    return item


def bench_marketing(item: BenchInput) -> Path:
    """The marketing files of the size's base file (spend, touchpoints CSV, click-tracking JSON lines; ~2
    touches per order), generated on first use and cached beside it."""
    from salesdw.sample.marketing import write_marketing_files

    marker = item.marketing_dir / "generated.json"
    if not marker.exists():
        result = write_marketing_files(item.base_file, item.marketing_dir, item.seed, BENCH_START, BENCH_END)
        marker.write_text(json.dumps({"touchpoints": result.touchpoints, "seconds": result.seconds}))
    return item.marketing_dir


def write_increment(item: BenchInput) -> int:
    """Writes 1% more orders as one new daily file (a day after the base range, order ids after the base's).

    Returns the number of orders written. Customer ids come from another seed: mostly new customers.
    """
    import duckdb

    rows = max(1, round(item.orders * INCREMENT_FRACTION))
    staging = item.directory / "increment.tmp"
    write_sales_csv(staging, rows, seed=item.seed + 1, start=INCREMENT_DAY, end=INCREMENT_DAY)
    offset = item.orders  # the base's ids are ORDER_ID_START + 0 .. orders - 1: no overlap
    source = str(staging).replace("'", "''")
    target = str(item.increment_file).replace("'", "''")
    with duckdb.connect() as connection:
        connection.execute(
            f"""copy (
                select "Unnamed: 0", "Date", "Customer ID", "Order ID" + {offset} as "Order ID", "Sales"
                from read_csv('{source}', all_varchar = false, header = true, delim = ',')
            ) to '{target}' (format csv, header true, delimiter ',')"""
        )
    staging.unlink()
    return rows


def remove_increment(item: BenchInput) -> None:
    item.increment_file.unlink(missing_ok=True)
    (item.directory / "increment.tmp").unlink(missing_ok=True)
