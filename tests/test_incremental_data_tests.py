"""The data tests of the incremental models (fact_sales, dim_customer) check, in a daily build, only the keys
the latest load touched (macros/generic_tests.sql; why: DECISIONS.md, "Data tests of the daily build").
Here: the runner scopes them only in an incremental build on top of a warehouse it published itself with
the same code, and tests every row otherwise; scoped, they still fail on a key of the load held twice (the
new row beside an old one the build did not remove, or two new rows) and on a touched customer missing
from dim_customer; `dbt test` checks every row."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from salesdw.paths import Workspace
from salesdw.pipeline.dbt_invoke import BuildOutcome, run_dbt
from salesdw.pipeline.unchanged import code_hash, fingerprint_path, may_scope_data_tests
from salesdw.sample.generate import write_sales_csv
from tests.helpers import build_warehouse

FIRST_DAYS = 25
INCREMENTAL_TESTS = "test_name:incremental_unique test_name:incremental_relationships"


COMPILED_WAREHOUSE_TESTS = Path("compiled", "marketing_warehouse", "models", "warehouse", "_warehouse.yml")


def _compiled_test(target: Path, name: str) -> str:
    return (target / COMPILED_WAREHOUSE_TESTS / f"{name}.sql").read_text()


@pytest.fixture(scope="module")
def daily_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A warehouse built from the first days' files, then from one more day by an incremental runner build
    (every data test; its incremental ones scoped, since the runner published the first build itself)."""
    root = tmp_path_factory.mktemp("incremental_data_tests")
    source, raw, data = root / "source", root / "raw", root / "data"
    raw.mkdir()
    write_sales_csv(None, 1_200, seed=23, start="2021-01-01", end="2021-01-31", daily_dir=source)
    days = sorted(source.glob("sales_*.csv"))
    for path in days[:FIRST_DAYS]:
        shutil.copy2(path, raw / path.name)
    first = build_warehouse(raw, data)
    assert first.exit_code == 0, first.output
    first_sql = _compiled_test(first.workspace.target_dir, "incremental_unique_fact_sales_order_id__orders")
    shutil.copy2(days[FIRST_DAYS], raw / days[FIRST_DAYS].name)
    daily = build_warehouse(raw, data)
    assert daily.exit_code == 0, daily.output
    daily_sql = _compiled_test(daily.workspace.target_dir, "incremental_unique_fact_sales_order_id__orders")
    return {"raw": raw, "data": data, "daily": daily, "first_sql": first_sql, "daily_sql": daily_sql}


def test_the_runner_scopes_only_a_daily_build_on_its_own_warehouse(daily_build: dict[str, object]) -> None:
    # The first build (no warehouse yet) tests every row; the daily one only the latest load's order ids.
    assert "max(load_id)" not in str(daily_build["first_sql"])
    assert "max(load_id)" in str(daily_build["daily_sql"])


def _copy_of_the_daily_warehouse(daily_build: dict[str, object], tmp_path: Path, breakage: str = "") -> Path:
    """A data directory with a copy of the daily build's published warehouse, broken by `breakage` (SQL)."""
    data = tmp_path / "data"
    data.mkdir(parents=True)
    shutil.copyfile(Path(str(daily_build["data"])) / "warehouse.duckdb", data / "warehouse.duckdb")
    if breakage:
        with duckdb.connect(str(data / "warehouse.duckdb")) as connection:
            connection.execute(breakage)
    return data


def _dbt(
    daily_build: dict[str, object], tmp_path: Path, command: str, data: Path, scope: str
) -> BuildOutcome:
    """`dbt COMMAND --select` the incremental data tests on the data directory `data`, as a plain dbt command
    (a `dbt build` starts a working copy from its published warehouse, publishes it if every test passed)."""
    return run_dbt(
        [
            command,
            "--select",
            INCREMENTAL_TESTS,
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        {
            "SALESDW_DATA_DIR": str(data),
            "SALES_RAW_PATH": str(Path(str(daily_build["raw"])) / "*.csv"),
            "SALESDW_TEST_SCOPE": scope,
            "SALESDW_NO_EXPORT": "1",
        },
    )


def _failures(outcome: BuildOutcome) -> dict[str, tuple[str, int | None]]:
    return {
        node.name.split("__")[0]: (node.status, node.failures)
        for node in outcome.nodes
        if node.resource_type == "test"
    }


def _failing_rows(compiled_sql: str, database: Path) -> int:
    with duckdb.connect() as connection:
        connection.execute(f"attach '{database}' as warehouse (read_only)")
        return len(connection.execute(compiled_sql).fetchall())


LATEST_ORDERS = (
    "select order_id from stg_sales__validated"
    " where load_id = (select max(load_id) from stg_sales__validated)"
)
TOUCHED_CUSTOMERS = f"select distinct customer_key from fact_sales where order_id in ({LATEST_ORDERS})"
ORPHAN_ORDERS = (
    "select count(*) from fact_sales where customer_key not in (select customer_key from dim_customer)"
)
# What an incremental build can break (it deletes and inserts only the latest load's orders and customers): a
# key of the load held twice (the new row beside an old version it failed to delete, or two new rows), and a
# touched customer missing from dim_customer while fact_sales keeps their orders.
DAILY_BREAKAGES = {
    "incremental_unique_fact_sales_order_id__orders": f"""
        insert into fact_sales select * from fact_sales
        where order_id = (select min(order_id) from fact_sales where order_id in ({LATEST_ORDERS}))
    """,
    "incremental_unique_dim_customer_customer_key__customers": f"""
        insert into dim_customer select * from dim_customer
        where customer_key = (select min(customer_key) from ({TOUCHED_CUSTOMERS}))
    """,
    "incremental_relationships_fact_sales_customer_key__customer_key__customers__ref_dim_customer_": f"""
        delete from dim_customer
        where customer_key = (select max(customer_key) from ({TOUCHED_CUSTOMERS}))
    """,
}


def test_scoped_tests_fail_on_what_a_daily_build_can_break(
    daily_build: dict[str, object], tmp_path: Path
) -> None:
    """A scoped `dbt build` of the incremental tests passes on the daily warehouse; each scoped query it ran
    (compiled SQL) returns the broken key on a copy broken in the way it guards."""
    intact = _copy_of_the_daily_warehouse(daily_build, tmp_path / "intact")
    outcome = _dbt(daily_build, tmp_path, "build", intact, "latest_load")
    assert set(_failures(outcome).values()) == {("pass", 0)}, [node.describe() for node in outcome.nodes]
    assert len(_failures(outcome)) == len(DAILY_BREAKAGES)
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    compiled = {result["unique_id"].split(".")[2]: result["compiled_code"] for result in results}
    for name, breakage in DAILY_BREAKAGES.items():
        sql = compiled[name]
        assert "max(load_id)" in sql, sql
        broken = _copy_of_the_daily_warehouse(daily_build, tmp_path / name, breakage) / "warehouse.duckdb"
        with duckdb.connect(str(broken), read_only=True) as connection:
            orphans = connection.execute(ORPHAN_ORDERS).fetchall()[0][0]
        expected = orphans if name.startswith("incremental_relationships") else 1
        assert expected >= 1
        assert _failing_rows(sql, broken) == expected, name


def test_dbt_test_checks_every_row(daily_build: dict[str, object], tmp_path: Path) -> None:
    """Rows the latest load did not touch, broken: `dbt test` (never scoped, whatever the environment says)
    fails on them."""
    breakage = f"""
        create temp table old as
            select order_id, customer_key from fact_sales
            where order_id not in ({LATEST_ORDERS}) and customer_key not in ({TOUCHED_CUSTOMERS})
            order by order_id limit 2;
        insert into fact_sales select * from fact_sales where order_id = (select min(order_id) from old);
        insert into dim_customer select * from dim_customer
            where customer_key = (select max(customer_key) from old);
        delete from dim_customer where customer_key = (select min(customer_key) from old);
    """
    data = _copy_of_the_daily_warehouse(daily_build, tmp_path, breakage)
    outcome = _dbt(daily_build, tmp_path, "test", data, "latest_load")
    failures = _failures(outcome)
    assert failures["incremental_unique_fact_sales_order_id"] == ("fail", 1)
    assert failures["incremental_unique_dim_customer_customer_key"] == ("fail", 1)
    assert failures["incremental_relationships_fact_sales_customer_key"][0] == "fail"


def test_scope_needs_the_runners_own_unchanged_warehouse_and_code(tmp_path: Path) -> None:
    """may_scope_data_tests: only when the published file is the one the runner's last build
    published (size, modification time), with this code and no extra dbt arguments then or now."""
    workspace = Workspace(tmp_path)
    workspace.published_db.write_bytes(b"warehouse")
    fingerprint = {"code": code_hash(), "settings": {"extra_dbt_args": []}}
    assert not may_scope_data_tests(workspace, fingerprint)  # no record: a plain dbt build's

    def record(**changes: object) -> None:
        stat = workspace.published_db.stat()
        recorded = {**fingerprint, "published": [stat.st_size, stat.st_mtime_ns], **changes}
        fingerprint_path(workspace).write_text(json.dumps(recorded))

    record()
    assert may_scope_data_tests(workspace, fingerprint)
    assert not may_scope_data_tests(
        workspace, {**fingerprint, "settings": {"extra_dbt_args": ["--exclude", "x"]}}
    )
    record(code="another")
    assert not may_scope_data_tests(workspace, fingerprint)
    record(settings={"extra_dbt_args": ["--exclude-resource-type", "test"]})
    assert not may_scope_data_tests(workspace, fingerprint)
    record()
    # Written by something else after the runner published it (a notebook opened it read-write).
    stat = workspace.published_db.stat()
    os.utime(workspace.published_db, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert not may_scope_data_tests(workspace, fingerprint)


WRITER = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1])  # a notebook that opened the published file read-write
print("open", flush=True)
sys.stdin.readline()
"""


@pytest.mark.parametrize("full_refresh", [True, False])
def test_a_writer_on_the_published_file_stops_the_runner_in_one_line(
    daily_build: dict[str, object], full_refresh: bool
) -> None:
    """Another process writing the published file stops the build with its one line (exit 3) and leaves the
    published warehouse unchanged: found by the working copy, which the runner starts in a thread before dbt
    (dbt_session.EarlyStart; a full refresh), or by the runner's check of the loaded files."""
    published = Path(str(daily_build["data"])) / "warehouse.duckdb"
    before = (published.stat().st_size, published.stat().st_mtime_ns)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(published)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "open"
        raw, data = Path(str(daily_build["raw"])), Path(str(daily_build["data"]))
        run = build_warehouse(raw, data, rebuild=True, full_refresh=full_refresh)
    finally:
        writer.communicate("\n", timeout=60)
    assert run.exit_code == 3, run.output
    assert f"{published} is open for writing in another process" in run.output, run.output
    assert (published.stat().st_size, published.stat().st_mtime_ns) == before
