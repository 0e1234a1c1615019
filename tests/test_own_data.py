"""Your own data: each real-world shape of sales export in tests/fixtures/own_data/ is built end to end with
its input spec, and the warehouse's figures are checked against an independent pandas reading of the same
file, to the cent: orders, customers, gross revenue, returns, net revenue, per customer, and raw = clean +
returns + rejected + collapsed duplicates. The specs are the README's examples (checked here too).

The builds share one workspace (one database path keeps dbt's partial parse warm; each build replaces the
previous warehouse, since its spec differs from the one the loaded rows were read with)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from salesdw.outputs.report import execute_notebook
from salesdw.paths import PROJECT_ROOT, Workspace
from salesdw.pipeline.build import EXIT_BAD_INPUT
from salesdw.pipeline.dbt_invoke import run_dbt
from tests.helpers import BuildRun, build_warehouse
from tests.test_reliability_support import file_state, run_log_rows

FIXTURES = Path(__file__).parent / "fixtures" / "own_data"
CENT = Decimal("0.01")
MAX_ID_LENGTH = 128
CANCELLATION = re.compile(r"C[0-9]+")


# ---- the reference: what each row of a file should become, computed in pandas without the warehouse ----


def canonical_id(text: object) -> str | None:
    """Ids are text; integer-like ids lose leading zeros and a pandas '.0'; empty or too long is no id."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    value = str(text).strip()
    if re.fullmatch(r"[0-9]{1,18}(\.0+)?", value):
        return str(int(value.split(".")[0]))
    return value if 1 <= len(value) <= MAX_ID_LENGTH else None


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Row:
    """One raw row as the reference judges it: reason None and is_return False is an order row."""

    order_id: str | None
    customer_id: str | None
    order_date: date | None
    amount: Decimal | None
    is_return: bool = False
    reason: str | None = None
    identity: tuple[object, ...] = ()
    collapsed: bool = False


def judge(rows: list[Row], grain: str) -> list[Row]:
    """Cross-row rules: exact duplicates collapse (first copy kept); an order (or return) whose rows
    disagree is rejected as a whole."""
    seen: set[tuple[object, ...]] = set()
    for row in rows:
        if row.reason is None:
            if row.identity in seen:
                row.collapsed = True
            seen.add(row.identity)
    groups: dict[tuple[object, ...], list[Row]] = {}
    for row in rows:
        if row.reason is None:
            groups.setdefault((row.order_id, row.is_return), []).append(row)
    for members in groups.values():
        kept = [row for row in members if not row.collapsed]
        fields = [(row.customer_id, row.order_date) for row in kept]
        if grain == "orders":
            fields = [(row.customer_id, row.order_date, row.amount) for row in kept]
        if len(set(fields)) > 1:
            reason = "conflicting_order_lines" if grain == "lines" else "conflicting_duplicate_order_id"
            for row in members:
                row.reason, row.collapsed = reason, False
    return rows


def amount_checks(row: Row, amount: Decimal | None, negative_is_return: bool) -> Row:
    if row.reason is not None:
        return row
    if amount is None:
        row.reason = "invalid_amount"
    elif amount < 0 and not (row.is_return or negative_is_return):
        row.reason = "negative_amount"
    elif cents(abs(amount)) == 0:
        row.reason = "zero_amount"
    else:
        row.is_return = row.is_return or amount < 0
    row.amount = None if amount is None else cents(amount)
    return row


def id_and_date_checks(row: Row, raw_customer: object, has_order_id: bool = True) -> Row:
    if has_order_id and row.order_id is None:
        row.reason = "missing_order_id"
    elif row.customer_id is None:
        row.reason = "missing_customer_id" if not str(raw_customer or "").strip() else "invalid_customer_id"
    elif row.order_date is None:
        row.reason = "unparseable_date"
    return row


def parse_date(text: str, fmt: str) -> date | None:
    try:
        return datetime.strptime(text.strip(), fmt).date()
    except ValueError:
        return None


def cdnow_rows(path: Path) -> list[Row]:
    frame = pd.read_csv(path, dtype=str)
    rows = []
    for position, record in enumerate(frame.itertuples(index=False), start=1):
        row = Row(
            f"{path.name}:{position}",
            canonical_id(record.customer_no),
            parse_date(record.purchased, "%Y%m%d"),
            None,
            identity=(f"{path.name}:{position}",),
        )
        rows.append(
            amount_checks(id_and_date_checks(row, record.customer_no), Decimal(record.dollars), False)
        )
    return judge(rows, "orders")


def online_retail_rows(path: Path) -> list[Row]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = []
    for record in frame.itertuples(index=False):
        row = Row(
            canonical_id(record.InvoiceNo),
            canonical_id(record.CustomerID),
            parse_date(record.InvoiceDate, "%m/%d/%Y %H:%M"),
            None,
            is_return=bool(CANCELLATION.fullmatch(record.InvoiceNo.strip())),
            identity=tuple(record),
        )
        row = id_and_date_checks(row, record.CustomerID)
        if row.reason is None and not record.Quantity.strip():
            row.reason = "invalid_quantity"
        if row.reason is None:
            quantity, price = Decimal(record.Quantity), Decimal(record.UnitPrice)
            row.is_return = row.is_return or quantity < 0
            row = amount_checks(row, quantity * price, False)
        rows.append(row)
    return judge(rows, "lines")


def shopify_rows(path: Path) -> list[Row]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = []
    for record in frame.itertuples(index=False):
        created = record._3  # "Created at"
        row = Row(
            canonical_id(record.Name), canonical_id(record.Email), parse_date(created[:10], "%Y-%m-%d"), None
        )
        amount = Decimal(record.Total.replace("$", "").replace(",", ""))
        row = amount_checks(id_and_date_checks(row, record.Email), amount, False)
        row.identity = (row.order_id, row.customer_id, row.order_date, row.amount)
        rows.append(row)
    return judge(rows, "orders")


def stripe_rows(path: Path) -> list[Row]:
    # DuckDB only reads the file (pandas needs pyarrow for Parquet); the judging is pandas and Python.
    with duckdb.connect() as connection:
        frame = connection.execute(f"select * from read_parquet('{path}')").df()
    rows = []
    for record in frame.itertuples(index=False):
        customer = None if record.customer is None or pd.isna(record.customer) else record.customer
        row = Row(canonical_id(record.charge_id), canonical_id(customer), record.created.date(), None)
        row = amount_checks(id_and_date_checks(row, customer), Decimal(str(record.amount)), True)
        row.identity = (row.order_id, row.is_return, row.customer_id, row.order_date, row.amount)
        rows.append(row)
    return judge(rows, "orders")


def woocommerce_rows(path: Path) -> list[Row]:
    rows = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        email = (record.get("billing") or {}).get("email")
        row = Row(
            canonical_id(record["id"]),
            canonical_id(email),
            parse_date(record["date_created"][:10], "%Y-%m-%d"),
            None,
        )
        try:
            amount: Decimal | None = Decimal(str(record["total"]))
        except ArithmeticError:
            amount = None
        row = amount_checks(id_and_date_checks(row, email), amount, False)
        row.identity = (row.order_id, row.customer_id, row.order_date, row.amount)
        rows.append(row)
    return judge(rows, "orders")


def german_amount(text: str) -> Decimal | None:
    """1.234,50 / 3 456,78 / 99,00 EUR; 12.50 (a decimal point) is ambiguous in a decimal-comma file."""
    value = text.replace("€", "").strip()
    if not re.fullmatch(r"-?([0-9]{1,3}([. ][0-9]{3})+|[0-9]+)(,[0-9]+)?", value):
        return None
    return Decimal(value.replace(".", "").replace(" ", "").replace(",", "."))


def erp_rows(path: Path) -> list[Row]:
    frame = pd.read_csv(path, dtype=str, sep=";", encoding="utf-8-sig", keep_default_na=False)
    rows = []
    for record in frame.itertuples(index=False):
        row = Row(
            canonical_id(record.Belegnummer),
            canonical_id(record.Kundennummer),
            parse_date(record.Belegdatum, "%d.%m.%Y"),
            None,
        )
        row = amount_checks(id_and_date_checks(row, record.Kundennummer), german_amount(record.Betrag), True)
        row.identity = (row.order_id, row.is_return, row.customer_id, row.order_date, row.amount)
        rows.append(row)
    return judge(rows, "orders")


@dataclass(frozen=True)
class Shape:
    file: str
    reference: Callable[[Path], list[Row]]
    # What the fixture was written to contain (so a reference that judged nothing would fail too).
    expected_reasons: dict[str, int]
    returns: int
    collapsed: int

    @property
    def path(self) -> Path:
        return FIXTURES / self.file

    @property
    def spec(self) -> Path:
        return FIXTURES / (self.path.stem + ".spec.yml")


SHAPES = {
    "cd_seller_log": Shape("cdnow_log.csv", cdnow_rows, {"zero_amount": 4}, 0, 0),
    "invoice_lines": Shape(
        "online_retail_lines.csv",
        online_retail_rows,
        {"missing_customer_id": 6, "conflicting_order_lines": 2, "invalid_quantity": 1, "zero_amount": 1},
        7,
        2,
    ),
    "email_ids": Shape(
        "shopify_orders_emails.csv", shopify_rows, {"missing_customer_id": 2, "zero_amount": 1}, 0, 1
    ),
    "parquet": Shape(
        "stripe_charges.parquet", stripe_rows, {"missing_customer_id": 1, "zero_amount": 1}, 3, 0
    ),
    "json_lines": Shape(
        "woocommerce_orders.jsonl", woocommerce_rows, {"missing_customer_id": 1, "invalid_amount": 1}, 0, 0
    ),
    "semicolon_decimal_comma": Shape(
        "erp_export_de.csv", erp_rows, {"unparseable_date": 1, "invalid_amount": 1}, 1, 0
    ),
}


FILES_WITH_CAMPAIGN_TARGETS = {"cdnow_log.csv", "shopify_orders_emails.csv", "stripe_charges.parquet"}


@pytest.fixture(scope="module")
def workspace_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("own_data")


@pytest.fixture(scope="module", params=sorted(SHAPES))
def shape_build(request: pytest.FixtureRequest, workspace_dir: Path) -> Iterator[tuple[Shape, BuildRun]]:
    shape = SHAPES[request.param]
    run = build_warehouse(shape.path, workspace_dir / "data", input_spec=shape.spec)
    assert run.exit_code == 0, run.output
    yield shape, run


def test_figures_match_pandas_to_the_cent(shape_build: tuple[Shape, BuildRun]) -> None:
    shape, run = shape_build
    rows = shape.reference(shape.path)
    orders = [row for row in rows if row.reason is None and not row.collapsed and not row.is_return]
    returns = [row for row in rows if row.reason is None and not row.collapsed and row.is_return]
    rejected = [row for row in rows if row.reason is not None]
    reasons = pd.Series([row.reason for row in rejected], dtype=object).value_counts().to_dict()
    assert reasons == shape.expected_reasons
    assert (len(returns), sum(row.collapsed for row in rows)) == (shape.returns, shape.collapsed)

    counts = run.query("select * from stg_sales_reconciliation").iloc[0]
    assert counts.raw_row_count == len(rows)
    assert counts.clean_row_count == len(orders)
    assert counts.return_row_count == len(returns)
    assert counts.rejected_row_count == len(rejected)
    assert counts.collapsed_duplicate_count == sum(row.collapsed for row in rows)
    assert counts.is_reconciled
    actual_reasons = run.query("select rejection_reason, count(*) as n from stg_sales_rejected group by 1")
    assert dict(zip(actual_reasons.rejection_reason, actual_reasons.n, strict=True)) == reasons

    gross = sum((row.amount for row in orders), Decimal(0))
    returned = sum((abs(row.amount) for row in returns), Decimal(0))
    order_count = len({row.order_id for row in orders})
    return_count = len({row.order_id for row in returns})
    facts = run.query(
        "select count(*) as orders, count(distinct customer_id) as customers, sum(amount)::varchar as gross "
        "from fact_sales"
    ).iloc[0]
    assert (facts.orders, Decimal(facts.gross)) == (order_count, gross)
    assert facts.customers == len({row.customer_id for row in orders})
    fact_returns = run.query(
        "select count(*) as n, coalesce(sum(returned_amount), 0)::varchar as returned from fact_returns"
    ).iloc[0]
    assert (fact_returns.n, Decimal(fact_returns.returned)) == (return_count, returned)

    monthly = run.query(
        "select sum(revenue)::varchar as gross, sum(returned_amount)::varchar as returned, "
        "sum(net_revenue)::varchar as net, sum(orders) as orders from monthly_metrics"
    ).iloc[0]
    assert Decimal(monthly.gross) == gross
    assert Decimal(monthly.returned) == returned
    assert Decimal(monthly.net) == gross - returned
    assert monthly.orders == order_count


def test_customer_gross_returns_and_net_match_pandas(shape_build: tuple[Shape, BuildRun]) -> None:
    shape, run = shape_build
    rows = [row for row in shape.reference(shape.path) if row.reason is None and not row.collapsed]
    frame = pd.DataFrame(
        {
            "customer_id": [row.customer_id for row in rows],
            "gross": [row.amount if not row.is_return else Decimal(0) for row in rows],
            "returned": [abs(row.amount) if row.is_return else Decimal(0) for row in rows],
            "is_order": [not row.is_return for row in rows],
        }
    )
    expected = frame.groupby("customer_id").agg(gross=("gross", "sum"), returned=("returned", "sum"))
    expected = expected[frame.groupby("customer_id")["is_order"].any()]  # customers are who ordered
    actual = run.query(
        "select dim_customer.customer_id, lifetime_revenue::varchar as gross, "
        "dim_customer.returned_amount::varchar as returned, dim_customer.net_revenue::varchar as net, "
        "customer_ltv.monetary_total::varchar as monetary, customer_ltv.return_rate "
        "from dim_customer inner join customer_ltv using (customer_key)"
    ).set_index("customer_id")
    assert sorted(actual.index) == sorted(expected.index)
    for customer, figures in expected.iterrows():
        got = actual.loc[customer]
        assert Decimal(got.gross) == figures.gross, customer
        assert Decimal(got.returned) == figures.returned, customer
        assert Decimal(got.net) == Decimal(got.monetary) == figures.gross - figures.returned, customer
        assert got.return_rate == pytest.approx(float(figures.returned / figures.gross), abs=5e-5)


def test_views_give_back_each_customers_id(shape_build: tuple[Shape, BuildRun]) -> None:
    """int_customer_ltv and int_campaign_targets store the id text of non-integer customers only; the
    customer_ltv and campaign_targets views give every id back from the key. Against the reference: the
    customers are exactly those who ordered, with their ids as the reference reads them (e-mails, text and
    integer ids alike), and each target carries its customer's id."""
    shape, run = shape_build
    rows = shape.reference(shape.path)
    customers = {
        row.customer_id for row in rows if row.reason is None and not row.collapsed and not row.is_return
    }
    assert set(run.query("select customer_id from customer_ltv")["customer_id"]) == customers
    targets = run.query(
        "select campaign_targets.customer_id, dim_customer.customer_id as dim_id "
        "from campaign_targets inner join dim_customer using (customer_key)"
    )
    # The fixtures big enough for campaign targets cover integer ids (CDNOW), e-mails (Shopify) and text
    # ids (Stripe); the others have none, so the comparison below is never silently empty where it counts.
    assert (len(targets) > 0) == (shape.file in FILES_WITH_CAMPAIGN_TARGETS)
    assert (targets["customer_id"] == targets["dim_id"]).all()
    assert set(targets["customer_id"]) <= customers


def test_readme_shows_each_spec() -> None:
    """The README's "Your own data" examples are these specs, so the documented ones are the tested ones."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    for shape in SHAPES.values():
        body = "\n".join(line for line in shape.spec.read_text().splitlines() if not line.startswith("#"))
        assert body.strip() in readme, shape.spec.name


# ---- a file that cannot make a warehouse: exit 2 and one screen in words ----

STAGING_ONLY = ["--select", "+path:models/staging", "--indirect-selection", "cautious"]


@pytest.fixture(scope="module")
def published_staging(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose published warehouse is an earlier, good (staging-only) build."""
    data = tmp_path_factory.mktemp("unusable") / "data"
    good = SHAPES["email_ids"]
    run = build_warehouse(good.path, data, input_spec=good.spec, extra_dbt_args=STAGING_ONLY)
    assert run.exit_code == 0, run.output
    return data


def test_all_rows_rejected_stops_with_exit_2_and_says_why(published_staging: Path, tmp_path: Path) -> None:
    """The CD log with a spec that forgot date_format: every YYYYMMDD date is unparseable."""
    spec = tmp_path / "no_date_format.yml"
    spec.write_text("columns:\n  customer_id: customer_no\n  order_date: purchased\n  amount: dollars\n")
    published = published_staging / "warehouse.duckdb"
    before = file_state(published)
    run = build_warehouse(SHAPES["cd_seller_log"].path, published_staging, input_spec=spec)
    assert run.exit_code == EXIT_BAD_INPUT, run.output
    lines = run.output.splitlines()
    error = next(line for line in lines if line.startswith("error:"))
    assert error == (
        "error: the data cannot make a warehouse: all 924 rows read were rejected; the top reason is "
        "unparseable_date (924 rows, e.g. '19970101' (cdnow_log.csv row 1))"
    )
    screen = "\n".join(lines[lines.index(error) :])
    assert f"input spec: {spec}" in screen
    assert re.search(r"rows read +924 +\(1 file\(s\)\)", screen)
    assert re.search(r"rejected +924\n", screen)
    assert re.search(
        r"unparseable_date +924  e\.g\. '19970101' \(cdnow_log\.csv row 1\), "
        r"'19970118' \(cdnow_log\.csv row 2\)",
        screen,
    )
    assert "what to change: Set date_format in the input spec, a strptime format such as" in screen
    assert f"The published warehouse ({published}) was not touched" in screen
    assert "input_makes_a_warehouse" not in run.output and "FAILED" not in run.output
    assert file_state(published) == before
    last_run = run_log_rows(Workspace(published_staging))[-1]
    assert last_run["status"] == "bad_input"
    assert last_run["message"].startswith("the data cannot make a warehouse: all 924 rows")


def test_too_many_rejected_rows_stop_unless_the_limit_is_raised(
    published_staging: Path, tmp_path: Path
) -> None:
    """6 of 10 rows with day-first dates: over the default 50%; --max-rejected-share 0.7 builds, and the
    build says what it rejected."""
    path = tmp_path / "sales.csv"
    rows = [f"{index},2021-03-{index + 1:02d},{index % 3},{index},10.00" for index in range(4)]
    rows += [f"{index},0{index - 3}/03/2021,{index % 3},{index},10.00" for index in range(4, 10)]
    path.write_text("Unnamed: 0,Date,Customer ID,Order ID,Sales\n" + "\n".join(rows) + "\n")
    published = published_staging / "warehouse.duckdb"
    before = file_state(published)
    stopped = build_warehouse(path, published_staging, extra_dbt_args=STAGING_ONLY)
    assert stopped.exit_code == EXIT_BAD_INPUT, stopped.output
    assert (
        "error: the data cannot make a warehouse: 6 of 10 rows read were rejected (60.0%, more than the 50% "
        "allowed: --max-rejected-share, the max_rejected_row_share var); the top reason is unparseable_date "
        "(6 rows, e.g. '01/03/2021' (sales.csv index 4))"
    ) in stopped.output
    assert "input spec: none (the default columns)" in stopped.output
    assert file_state(published) == before

    accepted = build_warehouse(path, published_staging, extra_dbt_args=STAGING_ONLY, max_rejected_share=0.7)
    assert accepted.exit_code == 0, accepted.output
    assert "rejected  6 of 10 rows read (60.0%); the rows are in stg_sales_rejected:" in accepted.output
    assert re.search(
        r"unparseable_date +6  e\.g\. '01/03/2021' \(sales\.csv index 4\), "
        r"'02/03/2021' \(sales\.csv index 5\)",
        accepted.output,
    )


# ---- incremental loads of a file without order ids: the derived ids are stable ----


def test_incremental_load_with_a_spec_equals_a_full_refresh(tmp_path: Path) -> None:
    """The CD log in two yearly files; the 1998 file arrives later. Orders are named <file>:<row>, so an
    incremental build and a full rebuild of both files give the same tables."""
    raw = tmp_path / "raw"
    raw.mkdir()
    log = pd.read_csv(SHAPES["cd_seller_log"].path, dtype=str)
    log[log.purchased < "1998"].to_csv(raw / "cdnow_1997.csv", index=False)
    later = log[log.purchased >= "1998"]
    spec = SHAPES["cd_seller_log"].spec
    models_only = {"extra_dbt_args": ["--exclude-resource-type", "test", "unit_test"]}
    first = build_warehouse(raw, tmp_path / "data", input_spec=spec, **models_only)
    assert first.exit_code == 0, first.output
    later.to_csv(raw / "cdnow_1998.csv", index=False)
    incremental = build_warehouse(raw, tmp_path / "data", input_spec=spec, **models_only)
    assert incremental.exit_code == 0, incremental.output
    assert "full refresh" not in incremental.output
    snapshot = tmp_path / "incremental.duckdb"
    shutil.copyfile(incremental.workspace.published_db, snapshot)
    full = build_warehouse(raw, tmp_path / "data", input_spec=spec, full_refresh=True, **models_only)
    assert full.exit_code == 0, full.output
    for table in ("fact_sales", "dim_customer", "stg_sales__validated", "monthly_metrics", "customer_ltv"):
        columns = "* exclude (load_id)" if table == "stg_sales__validated" else "*"
        with duckdb.connect(str(snapshot), read_only=True) as connection:
            left = connection.execute(f"select {columns} from {table} order by all").df()
        right = full.query(f"select {columns} from {table} order by all")
        pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=1e-9, obj=table)
    with duckdb.connect(str(snapshot), read_only=True) as connection:
        loads = connection.execute(
            "select load_id from stg_sales__loaded_files order by source_file"
        ).fetchall()
    assert loads == [(1,), (2,)]
    ids = full.query("select order_id from fact_sales where order_id like 'cdnow_1998.csv:%' order by 1")
    assert len(ids) == len(later) - (later.dollars.astype(float) == 0).sum()
    assert "cdnow_1998.csv:1" in set(ids.order_id)


# ---- the notebook shows net revenue and returns where the data has them ----


@pytest.mark.parametrize("shape_build", ["invoice_lines"], indirect=True)
def test_notebook_shows_net_revenue_and_returns(shape_build: tuple[Shape, BuildRun]) -> None:
    shape, run = shape_build
    rows = [row for row in shape.reference(shape.path) if row.reason is None and not row.collapsed]
    gross = sum((row.amount for row in rows if not row.is_return), Decimal(0))
    returned = sum((abs(row.amount) for row in rows if row.is_return), Decimal(0))
    notebook = execute_notebook(run.workspace.data_dir)
    cell = next(cell for cell in notebook.cells if cell.get("id") == "net-revenue-and-returns")
    text = "".join(output.get("data", {}).get("text/markdown", "") for output in cell.outputs)
    assert (
        f"**Returns**: ${returned:,.2f} of ${gross:,.2f} gross revenue ({returned / gross:.1%}) in 6 "
        f"returns; net revenue ${gross - returned:,.2f}."
    ) in text
    assert any("image/png" in output.get("data", {}) for output in cell.outputs)
    tables = "".join(output.get("data", {}).get("text/plain", "") for output in cell.outputs)
    assert "15311" not in tables  # a return of a customer without orders is on no customer
    assert "14527" in tables  # returned 27.50 + 2.50


def test_plain_dbt_reads_the_spec_file_as_is(tmp_path: Path) -> None:
    """The README's plain-dbt command: SALESDW_INPUT_SPEC holds the YAML file's text, comments and all. The
    German export's spec has no delimiter, so DuckDB's own sniffer finds the semicolon (the runner would
    pin it); the staging figures are the reference's."""
    shape = SHAPES["semicolon_decimal_comma"]
    env = {
        "SALESDW_INPUT_SPEC": shape.spec.read_text(),
        "SALES_RAW_PATH": str(shape.path),
        "SALESDW_DATA_DIR": str(tmp_path / "data"),
        "SALESDW_MARKETING_DIR": "",
        "SALESDW_TEMP_DIR": str(tmp_path / "spill"),
    }
    target = tmp_path / "target"
    paths = ["--target-path", str(target), "--log-path", str(target / "logs")]
    outcome = run_dbt(["build", *STAGING_ONLY, "--exclude-resource-type", "unit_test", *paths], env)
    assert outcome.success, [node.describe() for node in outcome.failed_nodes]
    rows = shape.reference(shape.path)
    orders = {row.order_id: row.amount for row in rows if row.reason is None and not row.is_return}
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as connection:
        staged = connection.execute("select order_id, amount::varchar from stg_sales").fetchall()
        returns = connection.execute(
            "select return_id, returned_amount::varchar from stg_sales_returns"
        ).fetchall()
    assert {order_id: Decimal(amount) for order_id, amount in staged} == orders
    assert returns == [("GS-2021-0001", "12.50")]
