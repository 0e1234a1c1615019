"""dbt's unit tests (`unit_tests:` in the models' YAML) run here: the runner skips them in production builds
because they test the SQL against hand-made inputs, not the data. Also: our own generic data tests catch
what they promise to catch, on a built warehouse that is then broken on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from salesdw.paths import PROJECT_ROOT
from salesdw.pipeline.dbt_invoke import BuildOutcome, run_dbt
from tests.helpers import BuildRun


def _declared_unit_tests() -> set[str]:
    names: set[str] = set()
    for path in (PROJECT_ROOT / "models").rglob("*.yml"):
        for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests", []):
            names.add(test["name"])
    return names


def _dbt_test_on_a_copy(
    run: BuildRun, tmp_path: Path, select: str, breakage: str = "", env: dict[str, str] | None = None
) -> BuildOutcome:
    """`dbt test --select SELECT` against a copy of the built warehouse, after running `breakage` (SQL) on it.
    (Unit tests read their parents' column types from a built database, so they need one too.)"""
    # `dbt test` reads the published warehouse of SALESDW_DATA_DIR (read-only): a copy, broken on purpose.
    database = tmp_path / "warehouse.duckdb"
    shutil.copyfile(run.workspace.published_db, database)
    if breakage:
        with duckdb.connect(str(database)) as connection:
            connection.execute(breakage)
    return run_dbt(
        [
            "test",
            "--select",
            select,
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        {
            "SALESDW_DATA_DIR": str(tmp_path),
            "SALES_RAW_PATH": str(run.workspace.data_dir.parent / "orders.csv"),
            **(env or {}),
        },
    )


def test_every_dbt_unit_test_passes(random_build: tuple[BuildRun, pd.DataFrame], tmp_path: Path) -> None:
    run, _ = random_build
    outcome = _dbt_test_on_a_copy(run, tmp_path, "test_type:unit")
    statuses = {node.name: node.status for node in outcome.nodes if node.resource_type == "unit_test"}
    declared = _declared_unit_tests()
    assert len(declared) >= 10
    assert set(statuses) == declared
    failed = {name: status for name, status in statuses.items() if status != "pass"}
    assert not failed, [node.describe() for node in outcome.nodes if node.failed]
    assert outcome.success


def test_one_row_per_key_of_catches_missing_doubled_and_unknown_keys(
    random_build: tuple[BuildRun, pd.DataFrame], tmp_path: Path
) -> None:
    """int_customer_ltv (the table behind the customer_ltv view) must hold each dim_customer key once: drop
    one customer, double another, add a key dim_customer does not have. Two failing rows: the missing key,
    and the row counts (one more than dim_customer's; the test compares counts instead of grouping the keys,
    DECISIONS.md "Data tests of the daily build"); customer_segments, a view over customer_ltv and so over
    the broken table, fails the same way."""
    run, _ = random_build
    keys = run.query("select customer_key from customer_ltv order by customer_key limit 2")["customer_key"]
    missing, doubled = (int(key) for key in keys)
    breakage = f"""
        create temp table doubled as select * from int_customer_ltv where customer_key = {doubled};
        delete from int_customer_ltv where customer_key = {missing};
        insert into int_customer_ltv select * from doubled;
        update doubled set customer_key = -1;
        insert into int_customer_ltv select * from doubled;
    """
    select = " ".join(
        f"test_name:one_row_per_key_of,{model}" for model in ("int_customer_ltv", "customer_segments")
    )
    outcome = _dbt_test_on_a_copy(run, tmp_path, select, breakage)
    tests = [node for node in outcome.nodes if node.resource_type == "test"]
    results = {node.name.split("_customer_key")[0]: node for node in tests}
    assert set(results) == {"one_row_per_key_of_int_customer_ltv", "one_row_per_key_of_customer_segments"}
    for model in ("int_customer_ltv", "customer_segments"):
        assert results[f"one_row_per_key_of_{model}"].status == "fail"
        assert results[f"one_row_per_key_of_{model}"].failures == 2


def test_one_row_per_key_of_catches_a_doubled_key_beside_a_missing_one(
    random_build: tuple[BuildRun, pd.DataFrame], tmp_path: Path
) -> None:
    """The case the row counts cannot see: int_customer_ltv loses one customer and holds another twice (as
    many rows as dim_customer). The missing key is the failing row; the doubled one cannot hide it."""
    run, _ = random_build
    keys = run.query("select customer_key from int_customer_ltv order by customer_key desc limit 2")[
        "customer_key"
    ]
    missing, doubled = (int(key) for key in keys)
    breakage = f"""
        delete from int_customer_ltv where customer_key = {missing};
        insert into int_customer_ltv select * from int_customer_ltv where customer_key = {doubled};
    """
    outcome = _dbt_test_on_a_copy(run, tmp_path, "test_name:one_row_per_key_of,int_customer_ltv", breakage)
    tests = [node for node in outcome.nodes if node.resource_type == "test"]
    assert [(node.status, node.failures) for node in tests] == [("fail", 1)], [
        node.describe() for node in tests
    ]


def test_clv_consistency_test_fails_on_every_customer_the_scores_miss(
    random_build: tuple[BuildRun, pd.DataFrame], tmp_path: Path
) -> None:
    """customer_clv is a view (dim_customer's histories joined to int_clv_customer_scores) with no key test of
    its own: assert_clv_outputs_consistent checks that every customer was scored. When the scores lose one
    distinct history, its customers vanish from customer_clv, and the test fails on each of them."""
    run, _ = random_build
    history = run.query(
        "select frequency, recency_weeks, age_weeks, count(*) as customers from customer_clv "
        "group by all order by customers desc, frequency, recency_weeks, age_weeks limit 1"
    ).iloc[0]
    assert history["customers"] >= 2  # the most common history: a vacuous break would prove nothing
    breakage = f"""
        delete from int_clv_customer_scores
        where frequency = {history["frequency"]} and recency_weeks = {history["recency_weeks"]}
            and age_weeks = {history["age_weeks"]};
    """
    outcome = _dbt_test_on_a_copy(run, tmp_path, "assert_clv_outputs_consistent", breakage)
    tests = [node for node in outcome.nodes if node.resource_type == "test"]
    assert [(node.status, node.failures) for node in tests] == [("fail", int(history["customers"]))], [
        node.describe() for node in tests
    ]


def test_data_tests_that_replaced_unfailable_ones_fail_on_what_they_guard(
    random_build: tuple[BuildRun, pd.DataFrame], tmp_path: Path
) -> None:
    """Each can fail (tests/README.md says why each exists): a month whose new customers did not all order
    in it, an edited rule seed with a negative churn weight, and a plain dbt run whose as_of_date var lies
    before orders already loaded (the runner would rebuild from scratch)."""
    run, frame = random_build
    last = pd.Timestamp(max(frame["Date"]))
    breakage = """
        update monthly_metrics set new_customers = new_customers + 1
        where month_start_date = (select max(month_start_date) from monthly_metrics);
        update int_business_rules set churn_weight_frequency = -0.25;
        -- int_analysis_date as a plain `dbt build` with the earlier var rebuilds it (the orders stay).
        update int_analysis_date set as_of_date = last_order_date - 1, as_of_date_source = 'as_of_date var';
    """
    select = (
        "assert_new_customers_ordered_in_their_first_month assert_no_order_after_the_as_of_date "
        "test_name:expression_is_true,int_business_rules"
    )
    earlier = {"SALESDW_AS_OF_DATE": (last - pd.Timedelta(days=1)).date().isoformat()}
    outcome = _dbt_test_on_a_copy(run, tmp_path, select, breakage, earlier)
    tests = {
        node.name.split("_int_business_rules")[0]: node
        for node in outcome.nodes
        if node.resource_type == "test"
    }
    assert set(tests) == {
        "assert_new_customers_ordered_in_their_first_month",
        "assert_no_order_after_the_as_of_date",
        "expression_is_true",
    }
    assert all(node.status == "fail" and node.failures == 1 for node in tests.values()), [
        node.describe() for node in tests.values()
    ]


def test_key_tests_fail_once_per_repeated_or_null_key(
    random_build: tuple[BuildRun, pd.DataFrame], tmp_path: Path
) -> None:
    """primary_key and unique_combination find repeated keys by a sort on DuckDB (repeated_key_rows,
    macros/cross_engine.sql) and still fail with one row per key held more than once, and primary_key with
    one row for its null keys: the rows a group-by gives, counted here by pandas on the broken tables. A
    date held three times, one held twice, two null date keys (their calendar dates doubled too), and
    cohort cells doubled and tripled, and a cell with a null month held twice (nulls equal, as grouped)."""
    run, _ = random_build
    breakage = """
        create temp table extra_dates as
            select * from dim_date where date_key = (select min(date_key) from dim_date)
            union all select * from dim_date where date_key = (select min(date_key) from dim_date)
            union all select * from dim_date where date_key = (select max(date_key) from dim_date)
            union all select * replace (cast(null as integer) as date_key) from dim_date
                where date_key in (select date_key from dim_date order by date_key desc limit 2 offset 5);
        insert into dim_date select * from extra_dates;
        create temp table extra_cells as
            select * from cohort_retention order by cohort_month, months_since_first_order limit 2;
        insert into cohort_retention select * from extra_cells;
        insert into cohort_retention select * from extra_cells limit 1;
        create temp table null_month as
            select * replace (cast(null as date) as cohort_month) from extra_cells limit 1;
        insert into cohort_retention select * from null_month union all select * from null_month;
    """
    select = "test_name:primary_key,dim_date test_name:unique_combination,cohort_retention"
    outcome = _dbt_test_on_a_copy(run, tmp_path, select, breakage)
    failures = {
        node.name.split("__")[0]: (node.status, node.failures)
        for node in outcome.nodes
        if node.resource_type == "test"
    }
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        dates = connection.execute("select date_key, calendar_date from dim_date").df()
        cells = connection.execute("select cohort_month, months_since_first_order from cohort_retention").df()

    def repeated_or_null(frame: pd.DataFrame, columns: list[str], null_fails: bool) -> int:
        sizes = frame.groupby(columns, dropna=False).size()
        keys = sizes.index.to_frame(index=False)
        failing = sizes.to_numpy() > 1
        if null_fails:
            failing |= keys.isna().any(axis=1).to_numpy()
        return int(failing.sum())

    expected = {
        "primary_key_dim_date_date_key": repeated_or_null(dates, ["date_key"], True),
        "primary_key_dim_date_calendar_date": repeated_or_null(dates, ["calendar_date"], True),
        "unique_combination_cohort_retention_cohort_month": repeated_or_null(
            cells, ["cohort_month", "months_since_first_order"], False
        ),
    }
    # Date keys: the tripled, the doubled and the null key; calendar dates: those two and the null keys' two
    # dates (not null there); cells: the doubled, the tripled and the doubled one with a null month.
    assert expected == {
        "primary_key_dim_date_date_key": 3,
        "primary_key_dim_date_calendar_date": 4,
        "unique_combination_cohort_retention_cohort_month": 3,
    }
    assert {name: failures.get(name) for name in expected} == {
        name: ("fail", count) for name, count in expected.items()
    }


def test_one_row_per_key_or_empty_passes_only_empty_or_complete(
    random_build: tuple[BuildRun, pd.DataFrame], tmp_path: Path
) -> None:
    """customer_acquisition holds every customer once, or no row at all when the build has no marketing files
    (this build has none): empty passes, one customer's row alone fails (every other key is missing, and the
    counts differ)."""
    run, _ = random_build
    customers = int(run.query("select count(*) as n from dim_customer")["n"][0])
    assert int(run.query("select count(*) as n from customer_acquisition")["n"][0]) == 0
    select = "test_name:one_row_per_key_of,customer_acquisition"
    (tmp_path / "empty").mkdir()
    (tmp_path / "partial").mkdir()
    empty = _dbt_test_on_a_copy(run, tmp_path / "empty", select)
    assert [(node.status, node.failures) for node in empty.nodes if node.resource_type == "test"] == [
        ("pass", 0)
    ]
    one_row = """
        insert into customer_acquisition (customer_key, customer_id, first_order_date, acquisition_month)
        select customer_key, customer_id, first_order_date, cohort_month
        from dim_customer order by customer_key limit 1
    """
    partial = _dbt_test_on_a_copy(run, tmp_path / "partial", select, one_row)
    assert [(node.status, node.failures) for node in partial.nodes if node.resource_type == "test"] == [
        ("fail", customers)  # the customers - 1 missing keys, and the counts (1 against customers)
    ]
