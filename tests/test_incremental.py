"""Incremental loads from a directory of daily files: an incremental build after appending files gives exactly
the tables of a full rebuild; re-running changes nothing; a re-delivered file does not double-count; an order
that arrives again with another amount is quarantined in both paths; a changed input forces a full refresh.
Marketing files arrive the same way (a second batch of spend and touchpoints, a re-delivered touchpoint file,
a spend correction that conflicts with a loaded row) and the marketing tables are compared too.

One workspace and one raw directory for the whole module: dbt's partial parse stays warm (the profile holds
the database path, so a new workspace means a full re-parse).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from salesdw.inputs.input_check import check_raw_input
from salesdw.paths import PROJECT_ROOT
from salesdw.pipeline.incremental import full_refresh_reason
from salesdw.sample.generate import write_sales_csv
from salesdw.sample.marketing import write_marketing_files
from tests.helpers import BuildRun, build_warehouse

FIRST_DAYS = 20  # loaded by the first build; the rest of January arrives later
# The builds here skip dbt's data and unit tests: these tests compare the tables themselves (and check for
# duplicates), every other build of the suite runs the dbt tests (the unit tests of the incremental SQL
# included), and ~160 test nodes cost ~10-20 s per build.
MODELS_ONLY = {"extra_dbt_args": ["--exclude-resource-type", "test", "unit_test"]}
WAREHOUSE_TABLES = (
    "fact_sales",
    "dim_customer",
    "dim_date",
    "stg_sales_rejected",
    "stg_sales_reconciliation",
    "fact_ad_spend",
    "fact_touchpoints",
    "stg_marketing_rejected",
    "stg_marketing_reconciliation",
)
FIRST_MARKETING_DAY_OUT = "2021-01-21"  # marketing records before this day come with the first build


def business_tables() -> list[str]:
    """Every model of models/business and its subfolders (whatever the business layer holds when it runs)."""
    folder = PROJECT_ROOT / "models" / "business"
    return sorted(path.stem for path in folder.rglob("*") if path.suffix in {".sql", ".py"})


def every_model() -> list[str]:
    """Every model of the project, every layer (staging, warehouse, clv, business and their marketing
    subfolders), views included: whatever is incremental today or becomes so later is compared."""
    folder = PROJECT_ROOT / "models"
    return sorted(path.stem for path in folder.rglob("*") if path.suffix in {".sql", ".py"})


# load_id numbers the loads (2 for the appended rows, 1 on a full build) and fit_seconds is a stopwatch:
# the only columns that differ by design.
BY_DESIGN_DIFFERENT = ("load_id", "fit_seconds")


def snapshot(run: BuildRun, destination: Path) -> Path:
    shutil.copyfile(run.workspace.published_db, destination)
    return destination


def read_table(db_path: Path, table: str, ignore: tuple[str, ...] = ()) -> pd.DataFrame:
    with duckdb.connect(str(db_path), read_only=True) as connection:
        frame = connection.execute(f"select * from {table}").df()
    frame = frame.drop(columns=[column for column in ignore if column in frame.columns])
    frame = frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)
    return frame


def assert_same_tables(left: Path, right: Path, tables: list[str], ignore: tuple[str, ...] = ()) -> None:
    for table in tables:
        pd.testing.assert_frame_equal(
            read_table(left, table, ignore),
            read_table(right, table, ignore),
            check_exact=False,
            rtol=1e-9,
            obj=table,
        )


def write_changed_order(path: Path, daily_file: Path, row: int) -> tuple[int, float]:
    """A file holding one already-loaded order again, with its amount changed. Returns (order id, amount)."""
    frame = pd.read_csv(daily_file, dtype=str)
    order = frame.iloc[[row]].copy()
    order["Sales"] = f"{float(order['Sales'].iloc[0]) + 10:.2f}"
    order.to_csv(path, index=False)
    return int(order["Order ID"].iloc[0]), float(order["Sales"].iloc[0])


@pytest.fixture(scope="module")
def daily_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One month of generated orders, one file per day, and their marketing files in marketing/ (kept aside;
    tests copy what they need)."""
    folder = tmp_path_factory.mktemp("daily_source")
    write_sales_csv(None, 1_500, seed=11, start="2021-01-01", end="2021-01-31", daily_dir=folder)
    write_marketing_files(folder / "sales_*.csv", folder / "marketing", 11, "2021-01-01", "2021-01-31")
    return folder


def split_marketing(source: Path, target: Path, batch: int) -> None:
    """Batch 1: the marketing records dated before FIRST_MARKETING_DAY_OUT; batch 2: the rest (text as is)."""
    for name, column in (("ad_spend", "date"), ("touchpoints", "event_time")):
        frame = pd.read_csv(source / f"{name}.csv", dtype=str, keep_default_na=False)
        early = frame[column].str[:10] < FIRST_MARKETING_DAY_OUT
        frame[early if batch == 1 else ~early].to_csv(target / f"{name}_{batch}.csv", index=False)
    lines = (source / "touchpoints_clicks.jsonl").read_text().splitlines()
    kept = [
        line
        for line in lines
        if (json.loads(line)["timestamp"][:10] < FIRST_MARKETING_DAY_OUT) == (batch == 1)
    ]
    (target / f"touchpoints_clicks_{batch}.jsonl").write_text("".join(line + "\n" for line in kept))


@pytest.fixture(scope="module")
def builds(daily_files: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The sequence of builds the tests check: first days, incremental append, re-run, full refresh."""
    root = tmp_path_factory.mktemp("incremental")
    raw, data, snaps, marketing = root / "raw", root / "data", root / "snapshots", root / "marketing"
    for folder in (raw, snaps, marketing):
        folder.mkdir()
    days = sorted(daily_files.glob("sales_*.csv"))
    for path in days[:FIRST_DAYS]:
        shutil.copy2(path, raw / path.name)
    split_marketing(daily_files / "marketing", marketing, batch=1)
    options = {**MODELS_ONLY, "marketing_dir": marketing}

    first = build_warehouse(raw, data, **options)
    assert first.exit_code == 0, first.output

    for path in days[FIRST_DAYS:]:
        shutil.copy2(path, raw / path.name)
    # A file delivered twice under another name, and a loaded order arriving again with another amount.
    shutil.copy2(days[2], raw / "sales_2021-01-03_redelivered.csv")
    conflict_id, _ = write_changed_order(raw / "sales_2021-01-31_correction.csv", days[4], row=3)
    # The same for marketing: the second batch, a touchpoint file delivered twice, and a spend row of the
    # first batch again with another amount (both versions become conflicting_duplicate_spend_row).
    split_marketing(daily_files / "marketing", marketing, batch=2)
    shutil.copy2(marketing / "touchpoints_1.csv", marketing / "touchpoints_1_redelivered.csv")
    correction = pd.read_csv(marketing / "ad_spend_1.csv", dtype=str).iloc[[5]]
    correction["spend"] = f"{float(correction['spend'].iloc[0]) + 1:.2f}"
    correction.to_csv(marketing / "ad_spend_correction.csv", index=False)

    incremental = build_warehouse(raw, data, **options)
    assert incremental.exit_code == 0, incremental.output
    after_append = snapshot(incremental, snaps / "incremental.duckdb")
    # --rebuild: dbt runs on the same files (an empty load), which must change nothing.
    again = build_warehouse(raw, data, rebuild=True, **options)
    assert again.exit_code == 0, again.output
    after_rerun = snapshot(again, snaps / "rerun.duckdb")
    # Without it, the runner sees nothing changed and does not start dbt.
    published_before = again.workspace.published_db.stat().st_mtime_ns
    unchanged = build_warehouse(raw, data, **options)
    assert unchanged.exit_code == 0, unchanged.output
    assert unchanged.output.startswith("nothing changed: the "), unchanged.output
    assert "building from" not in unchanged.output
    assert unchanged.workspace.published_db.stat().st_mtime_ns == published_before
    full = build_warehouse(raw, data, full_refresh=True, **options)
    assert full.exit_code == 0, full.output
    after_full = snapshot(full, snaps / "full.duckdb")
    return {
        "raw": raw,
        "data": data,
        "marketing": marketing,
        "days": days,
        "conflict_id": conflict_id,
        "incremental": incremental,
        "after_append": after_append,
        "after_rerun": after_rerun,
        "unchanged": unchanged,
        "after_full": after_full,
    }


def test_incremental_after_append_equals_full_refresh(builds: dict[str, object]) -> None:
    assert "note: full refresh" not in builds["incremental"].output  # type: ignore[attr-defined]
    tables = every_model()
    assert {*WAREHOUSE_TABLES, *business_tables(), "dim_customer", "customer_clv"} <= set(tables)
    assert_same_tables(builds["after_append"], builds["after_full"], tables, ignore=BY_DESIGN_DIFFERENT)  # type: ignore[arg-type]


def test_incremental_parsed_only_the_new_files(builds: dict[str, object]) -> None:
    with duckdb.connect(str(builds["after_append"]), read_only=True) as connection:
        loads = dict(
            connection.execute("select load_id, count(*) from stg_sales__loaded_files group by 1").fetchall()
        )
    days = builds["days"]
    assert loads == {1: FIRST_DAYS, 2: len(days) - FIRST_DAYS + 2}  # type: ignore[arg-type]
    with duckdb.connect(str(builds["after_append"]), read_only=True) as connection:
        marketing_loads = dict(
            connection.execute(
                "select load_id, count(*) from stg_marketing__loaded_files group by 1"
            ).fetchall()
        )
        collapsed = connection.execute(
            "select count(*) from stg_touchpoints__validated where row_outcome = 'collapsed_duplicate'"
        ).fetchall()[0][0]
        conflicts = connection.execute(
            "select count(*) from stg_marketing_rejected "
            "where rejection_reason = 'conflicting_duplicate_spend_row'"
        ).fetchall()[0][0]
    assert marketing_loads == {1: 3, 2: 5}
    redelivered = len(pd.read_csv(Path(builds["marketing"]) / "touchpoints_1.csv"))  # type: ignore[arg-type]
    assert collapsed == redelivered > 0
    assert conflicts == 2


def test_rerun_on_the_same_files_changes_nothing(builds: dict[str, object]) -> None:
    assert_same_tables(builds["after_append"], builds["after_rerun"], every_model(), ignore=("fit_seconds",))  # type: ignore[arg-type]


def test_redelivered_file_does_not_double_count(builds: dict[str, object], daily_files: Path) -> None:
    redelivered = str(Path(builds["raw"]) / "sales_2021-01-03_redelivered.csv")  # type: ignore[arg-type]
    with duckdb.connect(str(builds["after_append"]), read_only=True) as connection:
        outcomes = dict(
            connection.execute(
                "select row_outcome, count(*) from stg_sales__validated where source_file = ? group by 1",
                [redelivered],
            ).fetchall()
        )
        orders, duplicated = connection.execute(
            "select count(*), count(*) - count(distinct order_id) from fact_sales"
        ).fetchone()
    day_rows = len(pd.read_csv(daily_files / "sales_2021-01-03.csv"))
    assert outcomes == {"collapsed_duplicate": day_rows}
    assert duplicated == 0
    assert orders == 1_500 - 1  # every generated order once, minus the conflicting one


def test_changed_amount_quarantines_every_version(builds: dict[str, object]) -> None:
    conflict_id = builds["conflict_id"]
    for snapshot_path in (builds["after_append"], builds["after_full"]):
        with duckdb.connect(str(snapshot_path), read_only=True) as connection:
            in_fact = connection.execute(
                "select count(*) from fact_sales where order_id = ?", [conflict_id]
            ).fetchone()[0]
            reasons = connection.execute(
                "select rejection_reason, count(*) from stg_sales_rejected "
                "where try_cast(raw_order_id as bigint) = ? group by 1",
                [conflict_id],
            ).fetchall()
        assert in_fact == 0
        assert reasons == [("conflicting_duplicate_order_id", 2)]


def test_changed_or_removed_input_file_forces_a_full_refresh(builds: dict[str, object]) -> None:
    raw, data = Path(builds["raw"]), Path(builds["data"])  # type: ignore[arg-type]
    removed = raw / "sales_2021-01-31_correction.csv"
    removed.unlink()
    run = build_warehouse(raw, data, marketing_dir=builds["marketing"], **MODELS_ONLY)
    assert run.exit_code == 0, run.output
    assert f"note: full refresh: {removed} was loaded before but is no longer in the input" in run.output
    conflict_id = builds["conflict_id"]
    assert run.query("select count(*) as n from fact_sales where order_id = ?", [conflict_id]).n[0] == 1
    assert run.query("select count(*) as n from stg_sales_rejected").n[0] == 0


def test_a_relation_of_the_other_kind_is_replaced(daily_files: Path, tmp_path: Path) -> None:
    """The project's table and view materializations (macros/materializations/duckdb.sql) replace a relation
    of the other kind, as a warehouse of an older layout holds: customer_clv was a table before wave 7. After
    the next daily build it is a view again (one row per customer), and a table that was a view is a table."""
    raw, data = tmp_path / "raw", tmp_path / "data"
    raw.mkdir()
    days = sorted(daily_files.glob("sales_*.csv"))
    for path in days[:FIRST_DAYS]:
        shutil.copy2(path, raw / path.name)
    first = build_warehouse(raw, data, **MODELS_ONLY)
    assert first.exit_code == 0, first.output
    with duckdb.connect(str(first.workspace.published_db)) as connection:
        connection.execute(
            """
            create table old_customer_clv as select * from customer_clv;
            drop view customer_clv;
            alter table old_customer_clv rename to customer_clv;
            create table old_monthly as select * from monthly_metrics;
            drop table monthly_metrics;
            create view monthly_metrics as select * from old_monthly;
            """
        )
    for path in days[FIRST_DAYS:]:
        shutil.copy2(path, raw / path.name)
    second = build_warehouse(raw, data, **MODELS_ONLY)
    assert second.exit_code == 0, second.output
    assert "note: full refresh" not in second.output
    kinds = second.query(
        "select table_name, table_type from information_schema.tables "
        "where table_name in ('customer_clv', 'monthly_metrics')"
    )
    assert dict(zip(kinds["table_name"], kinds["table_type"], strict=True)) == {
        "customer_clv": "VIEW",
        "monthly_metrics": "BASE TABLE",
    }
    counts = second.query(
        "select (select count(*) from customer_clv) as clv, "
        "(select count(*) from dim_customer) as customers, "
        "(select count(*) from monthly_metrics) as months, "
        "(select sum(orders) from monthly_metrics) as orders, "
        "(select count(*) from fact_sales) as facts"
    ).iloc[0]
    assert counts["clv"] == counts["customers"] > 0
    assert counts["months"] == 1 and counts["orders"] == counts["facts"] > 0  # January, every order


def _loaded_files_db(path: Path, rows: list[tuple[str, int, datetime, str | None]]) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "create table stg_sales__loaded_files (source_file varchar, file_bytes bigint, "
            "file_modified_at timestamptz, raw_row_count bigint, as_of_date varchar, input_spec varchar, "
            "load_id integer)"
        )
        for source_file, size, modified, as_of in rows:
            connection.execute(
                "insert into stg_sales__loaded_files values (?, ?, ?, 1, ?, null, 1)",
                [source_file, size, modified, as_of],
            )
    return path


def test_full_refresh_reasons(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    header = "Unnamed: 0,Date,Customer ID,Order ID,Sales\n"
    day1, day2 = raw / "sales_1.csv", raw / "sales_2.csv"
    day1.write_text(header + "0,2021-01-01,1,1,10.00\n")
    day2.write_text(header + "0,2021-01-02,2,2,20.00\n")
    stat = day1.stat()
    modified = datetime.fromtimestamp(stat.st_mtime, tz=timezone.utc)
    report = check_raw_input(raw)

    assert full_refresh_reason(tmp_path / "missing.duckdb", report, None) is None
    appended = _loaded_files_db(tmp_path / "a.duckdb", [(str(day1), stat.st_size, modified, None)])
    assert full_refresh_reason(appended, report, None) is None
    assert "analysis date changed" in (full_refresh_reason(appended, report, "2021-06-30") or "")
    resized = _loaded_files_db(tmp_path / "b.duckdb", [(str(day1), stat.st_size + 1, modified, None)])
    assert "changed size" in (full_refresh_reason(resized, report, None) or "")
    vanished = _loaded_files_db(tmp_path / "c.duckdb", [(str(raw / "gone.csv"), 1, modified, None)])
    assert "no longer in the input" in (full_refresh_reason(vanished, report, None) or "")
    older = modified.replace(year=modified.year - 1)
    touched = _loaded_files_db(tmp_path / "d.duckdb", [(str(day1), stat.st_size, older, None)])
    assert "modified since it was loaded" in (full_refresh_reason(touched, report, None) or "")
    # Marketing files: loaded ones are checked the same way (kept and unchanged: incremental).
    spend = tmp_path / "ad_spend.csv"
    spend.write_text("date,channel,campaign_id,impressions,clicks,conversions,spend\n")
    spend_stat = spend.stat()
    spend_modified = datetime.fromtimestamp(spend_stat.st_mtime, tz=timezone.utc)
    with_marketing = _loaded_files_db(tmp_path / "e.duckdb", [(str(day1), stat.st_size, modified, None)])
    with duckdb.connect(str(with_marketing)) as connection:
        connection.execute(
            "create table stg_marketing__loaded_files as select * from stg_sales__loaded_files where false"
        )
        connection.execute(
            "insert into stg_marketing__loaded_files values (?, ?, ?, 1, null, null, 1)",
            [str(spend), spend_stat.st_size, spend_modified],
        )
    assert full_refresh_reason(with_marketing, report, None, (spend,)) is None
    assert f"{spend} was loaded before but is no longer in the input" == full_refresh_reason(
        with_marketing, report, None, ()
    )
    # A touch staging table of the earlier layout (one raw column per field) cannot take appended rows.
    with duckdb.connect(str(with_marketing)) as connection:
        connection.execute("create table stg_touchpoints__validated (source_file text, raw_event_time text)")
    assert full_refresh_reason(with_marketing, report, None, (spend,)) == (
        "the warehouse was built with an earlier layout of stg_touchpoints__validated "
        "(rejected touches keep one raw_record column)"
    )
    with duckdb.connect(str(with_marketing)) as connection:
        connection.execute("alter table stg_touchpoints__validated rename raw_event_time to raw_record")
    assert full_refresh_reason(with_marketing, report, None, (spend,)) is None
