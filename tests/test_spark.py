"""The Spark engine builds the same warehouse as DuckDB: every table of the staging, warehouse, CLV and
business layers, marketing included, compared row by row, money to the cent, floats to a relative 1e-9, keys,
counts and text exactly.

One Spark build per test session (the JVM starts once, ~10-40 s; the whole build takes minutes on 2 cores).
Without Java or pyspark this FAILS with the reason: CI must have them (`pip install -e ".[spark]"`, Java 17).
"""

from __future__ import annotations

import math
import os
import shutil
import sys
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from salesdw.paths import Workspace
from salesdw.pipeline.build import BuildRequest
from salesdw.readers import open_published
from tests.helpers import BuildRun, build_warehouse, write_random_orders

FIXTURES = Path(__file__).parent / "fixtures"
MARKETING = FIXTURES / "marketing" / "attribution"
REL_TOLERANCE = 1e-9
# Tables that are engine bookkeeping, not results: file sizes and modification times as each reader sees
# them, and the raw text of rejected rows' file names (compared through stg_sales_rejected's other columns).
NOT_COMPARED = {"stg_sales__loaded_files", "stg_marketing__loaded_files"}
# The marts that are views (their tables' columns are compared anyway; these add what the views compute).
COMPARED_VIEWS = ("customer_clv", "customer_ltv", "customer_segments", "campaign_targets")
# Columns that measure the run, not the data.
NOT_COMPARED_COLUMNS = {"fit_seconds"}
SPARK_THREADS = "2"


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BuildRun, str, dict[str, Any]]]:
    """The same input built on both engines: a seeded order file, the bad-rows fixture and the marketing
    fixture's orders (three files), with the marketing fixture's files (tests/fixtures/marketing/attribution:
    both kinds, CSV and JSON lines, the click-tracking shape and bad rows)."""
    from salesdw.pipeline.spark import SparkUnavailable, check_spark_available

    try:
        check_spark_available()
    except SparkUnavailable as error:
        pytest.fail(f"the Spark equality test cannot run: {error}", pytrace=False)
    folder = tmp_path_factory.mktemp("spark_equality")
    raw = folder / "raw"
    raw.mkdir()
    write_random_orders(raw / "orders.csv", n_orders=1_500, seed=21, n_customers=400)
    shutil.copy(FIXTURES / "bad_rows.csv", raw / "bad_rows.csv")
    shutil.copy(MARKETING / "sales.csv", raw / "marketing_orders.csv")
    duck = build_warehouse(raw, folder / "duckdb", marketing_dir=MARKETING)
    assert duck.exit_code == 0, duck.output

    from salesdw.pipeline.spark import active_session, spark_schema
    from salesdw.pipeline.spark_build import run_spark_build

    lines: list[str] = []
    # Its own dbt target: the session's shared one holds the DuckDB manifest (a Spark parse would evict it).
    # One shuffle partition: the input is 1,500 rows, and every partition is a task on each of the build's
    # hundreds of queries (profiles.yml's default, 4, suits a laptop's real data).
    # Two threads (local[2]; the rest of the suite builds with one, conftest.py): Spark's work per statement
    # is in the JVM, outside Python's lock.
    settings = {
        "SALESDW_TARGET_DIR": str(folder / "spark_target"),
        "SALESDW_SPARK_PARTITIONS": "1",
        "SALESDW_THREADS": SPARK_THREADS,
    }
    previous = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        request = BuildRequest(raw_path=raw, marketing_dir=MARKETING)
        code = run_spark_build(request, Workspace(folder / "spark"), echo=lines.append)
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    output = "\n".join(lines)
    assert code == 0, output
    spark = {"session": active_session(), "schema": spark_schema(), "target": folder / "spark_target"}
    yield duck, output, spark


def _duck_tables(run: BuildRun) -> list[str]:
    with open_published(run.workspace.published_db) as connection:
        rows = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'main' "
            f"and (table_type = 'BASE TABLE' or table_name in {COMPARED_VIEWS}) order by 1"
        ).fetchall()
    seeds = {path.stem for path in (Path(__file__).parent.parent / "seeds").glob("*.csv")}
    return [name for (name,) in rows if name not in seeds and name not in NOT_COMPARED]


def _duck_rows(run: BuildRun, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    with open_published(run.workspace.published_db) as connection:
        cursor = connection.execute(f"select * from {table}")
        columns = [item[0] for item in cursor.description]
        return columns, cursor.fetchall()


def _spark_rows(spark: dict[str, Any], table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    frame = spark["session"].table(f"{spark['schema']}.{table}")
    return list(frame.columns), [tuple(row) for row in frame.collect()]


def _normal(value: Any) -> Any:
    """A comparable form: money and decimals to the cent as text, instants as ISO text, NaN as None."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Exact columns first, floats rounded to 6 significant digits: the same order on both engines."""
    key = []
    for value in row:
        if isinstance(value, float):
            key.append((1, float(f"{value:.6g}"), ""))
        elif value is None:
            key.append((0, 0.0, ""))
        else:
            key.append((2, 0.0, str(value)))
    return tuple(key)


Rows = list[tuple[Any, ...]]


def _difference(table: str, columns: list[str], duck: Rows, spark: Rows) -> str:
    if len(duck) != len(spark):
        return f"{table}: {len(duck)} rows on DuckDB, {len(spark)} on Spark"
    duck_sorted = sorted((tuple(map(_normal, row)) for row in duck), key=_sort_key)
    spark_sorted = sorted((tuple(map(_normal, row)) for row in spark), key=_sort_key)
    for index, (left, right) in enumerate(zip(duck_sorted, spark_sorted, strict=True)):
        for column, a, b in zip(columns, left, right, strict=True):
            if column in NOT_COMPARED_COLUMNS:
                continue
            if type(a) is not type(b) and a is not None and b is not None:
                kinds = f"{type(a).__name__} {a!r} on DuckDB, {type(b).__name__} {b!r} on Spark"
                return f"{table}.{column}: {kinds}"
            if isinstance(a, float) or isinstance(b, float):
                both = a is not None and b is not None
                same = (both and math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=1e-12)) or a is b is None
            else:
                same = a == b
            if not same:
                return f"{table} row {index}, column {column}: DuckDB {a!r}, Spark {b!r}"
    return ""


def test_spark_builds_every_table_duckdb_builds(engines: tuple[BuildRun, str, dict[str, Any]]) -> None:
    duck, output, spark = engines
    existing = {row.tableName for row in spark["session"].sql(f"show tables in {spark['schema']}").collect()}
    missing = [table for table in _duck_tables(duck) if table not in existing]
    assert not missing, f"not built on Spark: {missing}\n{output}"


def test_spark_tables_equal_duckdb_row_by_row(engines: tuple[BuildRun, str, dict[str, Any]]) -> None:
    duck, _, spark = engines
    differences = []
    compared = 0
    for table in _duck_tables(duck):
        duck_columns, duck_rows = _duck_rows(duck, table)
        spark_columns, spark_rows = _spark_rows(spark, table)
        if sorted(duck_columns) != sorted(spark_columns):
            differences.append(f"{table}: columns {duck_columns} on DuckDB, {spark_columns} on Spark")
            continue
        order = [spark_columns.index(column) for column in duck_columns]
        spark_rows = [tuple(row[i] for i in order) for row in spark_rows]
        difference = _difference(table, duck_columns, duck_rows, spark_rows)
        if difference:
            differences.append(difference)
        compared += 1
    assert not differences, "\n".join(differences)
    # The marts that matter are among them, with rows (a vacuous comparison must not pass).
    marts = ("fact_sales", "dim_customer", "customer_clv", "customer_ltv", "campaign_targets")
    marketing = ("fact_ad_spend", "fact_touchpoints", "stg_marketing_rejected", "order_attribution")
    for table in (*marts, *marketing, "channel_performance", "channel_unit_economics", "marketing_insights"):
        assert _duck_rows(duck, table)[1], f"{table} is empty: the comparison would prove nothing"
    # Both formats of both kinds were read, clean rows and rejected ones (not only the CSV files).
    for table in ("stg_ad_spend__validated", "stg_touchpoints__validated"):
        columns, rows = _duck_rows(duck, table)
        # The touches' format is kept per file only (stg_marketing__loaded_files): their files' extension.
        seen = {
            (
                row[columns.index("source_format")]
                if "source_format" in columns
                else row[columns.index("source_file")].rsplit(".", 1)[-1],
                row[columns.index("row_outcome")],
            )
            for row in rows
        }
        assert {("csv", "clean"), ("jsonl", "clean"), ("csv", "rejected")} <= seen, (table, seen)
    assert compared >= 20


def test_spark_runner_output_names_the_engine_and_what_it_does_not_do(
    engines: tuple[BuildRun, str, dict[str, Any]],
) -> None:
    _, output, _ = engines
    assert "engine: Spark" in output
    assert "clv: clv_model_fit" in output
    assert "read the DuckDB warehouse" in output


def _listed_models(env: dict[str, str], *args: str) -> set[str]:
    """`dbt ls --resource-type model` as a plain dbt user runs it (parse only, no connection)."""
    from dbt.cli.main import dbtRunner

    from salesdw.paths import PROJECT_ROOT
    from salesdw.pipeline.dbt_invoke import environment

    command = ["--quiet", "ls", "--resource-type", "model", "--output", "name", *args]
    with environment(env):
        result = dbtRunner().invoke(
            [*command, "--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT)]
        )
    assert result.success, result.exception
    return set(result.result)


def test_plain_dbt_on_spark_leaves_out_the_python_models_by_itself(
    engines: tuple[BuildRun, str, dict[str, Any]],
) -> None:
    """selectors.yml's default on Spark: a plain `dbt build --target spark` needs no --exclude to remember
    (the runner computes the CLV tables); on DuckDB the default selects everything. Parsed in the targets
    the builds used, so dbt's partial parse keeps this quick."""
    duck, _, spark = engines
    env = {"SALESDW_DATA_DIR": str(duck.workspace.data_dir)}
    spark_env = {**env, "SALESDW_THREADS": SPARK_THREADS}
    on_spark = _listed_models(spark_env, "--target", "spark", "--target-path", str(spark["target"]))
    on_duckdb = _listed_models(env, "--target-path", str(duck.workspace.target_dir))
    python_models_and_readers = {"clv_model_fit", "int_clv_customer_scores", "clv_backtest", "customer_clv"}
    assert python_models_and_readers <= on_duckdb
    assert not python_models_and_readers & on_spark
    assert {"fact_sales", "stg_touchpoints__validated", "int_clv_distinct_histories"} <= on_spark


def test_missing_pyspark_is_one_line_with_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from salesdw.pipeline.spark import SparkUnavailable, check_spark_available

    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(SparkUnavailable) as raised:
        check_spark_available()
    assert str(raised.value) == (
        "the Spark engine needs pyspark and dbt-spark (pyspark is not installed): "
        'pip install -e ".[spark]" (dbt-spark[session] and pyspark)'
    )


def test_missing_java_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from salesdw.pipeline.spark import SparkUnavailable, check_spark_available

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SparkUnavailable, match=r"needs a Java runtime \(17 or 21\) and none was found"):
        check_spark_available()


def test_runner_exits_5_with_the_reason_when_spark_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from salesdw.pipeline.spark_build import EXIT_NO_SPARK, run_spark_build

    monkeypatch.setitem(sys.modules, "pyspark", None)
    lines: list[str] = []
    request = BuildRequest(raw_path=FIXTURES / "bad_rows.csv")
    code = run_spark_build(request, Workspace(tmp_path), lines.append)
    assert code == EXIT_NO_SPARK
    assert lines == [
        "error: the Spark engine needs pyspark and dbt-spark (pyspark is not installed): "
        'pip install -e ".[spark]" (dbt-spark[session] and pyspark)'
    ]
