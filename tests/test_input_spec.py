"""The input spec and `inspect`: a spec with a mistake is one line naming the key; the input check reads each
format's columns; the suggestion guesses each fixture's spec from its names and values; the sample is the
file's first rows; `inspect` shows what staging makes of the sample (one dbt build, staging only)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import yaml

from salesdw.commands import inspect as inspect_command
from salesdw.inputs.errors import InputError
from salesdw.inputs.input_check import check_raw_input, read_columns
from salesdw.inputs.sample import take_sample
from salesdw.inputs.spec import load_spec, parse_spec
from salesdw.inputs.suggest import guess_date_format, guess_decimal_separator, match_columns
from salesdw.paths import Workspace

FIXTURES = Path(__file__).parent / "fixtures" / "own_data"
FIXTURE_FILES = (
    "cdnow_log.csv",
    "online_retail_lines.csv",
    "shopify_orders_emails.csv",
    "stripe_charges.parquet",
    "woocommerce_orders.jsonl",
    "erp_export_de.csv",
)
MINIMAL = {"columns": {"customer_id": "c", "order_date": "d", "amount": "a"}}


def spec_error(data: object) -> str:
    with pytest.raises(InputError) as error:
        parse_spec(data, Path("spec.yml"))
    return str(error.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"delimeter": ";"},
            "spec.yml: unknown key delimeter (did you mean delimiter?); valid keys: format,",
        ),
        ({"format": "xlsx"}, "spec.yml: format: 'xlsx' is not one of csv, parquet, jsonl"),
        ({"format": "parquet", "delimiter": ";"}, "spec.yml: delimiter: only for format csv"),
        ({"delimiter": ";;"}, "spec.yml: delimiter: expected one character"),
        ({"decimal_separator": "'"}, "spec.yml: decimal_separator: expected '.' or ','"),
        (
            {"date_format": "%d/%m/%Q"},
            "spec.yml: date_format: '%d/%m/%Q': Failed to parse format specifier %d/%m/%Q: Unrecognized",
        ),
        ({"date_format": "%d/%m"}, "spec.yml: date_format: '%d/%m' has no year"),
        ({"date_format": "YYYYMMDD"}, "spec.yml: date_format: 'YYYYMMDD' is not a strptime format"),
        ({"rows": "items"}, "spec.yml: rows: expected one of orders, lines"),
        ({"has_returns": "yes"}, "spec.yml: has_returns: expected true or false"),
        ({"columns": {"order_date": "d", "amount": "a"}}, "spec.yml: columns.customer_id: missing"),
        (
            {"columns": {**MINIMAL["columns"], "custmer_id": "x"}},
            "unknown key columns.custmer_id (did you mean",
        ),
        ({"columns": {**MINIMAL["columns"], "quantity": "q"}}, "spec.yml: columns.unit_price: missing"),
        (
            {"columns": {**MINIMAL["columns"], "quantity": "q", "unit_price": "p"}},
            "spec.yml: columns: both amount and quantity/unit_price",
        ),
        ({"columns": {"customer_id": "c", "order_date": "d"}}, "spec.yml: columns: neither amount nor"),
        (
            {"columns": {**MINIMAL["columns"], "order_id": "c"}},
            "columns.customer_id and columns.order_id both",
        ),
        (
            {"header": False},
            "spec.yml: columns.customer_id: a file without a header maps columns by position",
        ),
        (
            {"rows": "lines"},
            "spec.yml: columns.order_id: a file of product lines needs the order (invoice) id",
        ),
    ],
)
def test_a_spec_mistake_is_one_line_naming_the_key(change: dict[str, object], message: str) -> None:
    error = spec_error({**MINIMAL, **change})
    assert message in error
    assert "\n" not in error


def test_spec_file_errors(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yml"
    with pytest.raises(InputError, match="input spec not found"):
        load_spec(missing)
    broken = tmp_path / "broken.yml"
    broken.write_text("columns:\n  customer_id: [a\n")
    with pytest.raises(InputError) as error:
        load_spec(broken)
    assert str(error.value).startswith(f"{broken}: not valid YAML at line ")
    listed = tmp_path / "list.yml"
    listed.write_text("- columns\n")
    with pytest.raises(InputError, match="expected keys such as `columns:`, found list"):
        load_spec(listed)


def test_spec_travels_to_dbt_as_json() -> None:
    spec = load_spec(FIXTURES / "erp_export_de.spec.yml")
    assert json.loads(spec.to_env()) == {
        "format": "csv",
        "delimiter": None,
        "header": True,
        "date_format": "%d.%m.%Y",
        "decimal_separator": ",",
        "has_returns": True,
        "columns": {
            "order_id": "Belegnummer",
            "customer_id": "Kundennummer",
            "order_date": "Belegdatum",
            "amount": "Betrag",
        },
    }
    assert spec.grain == "orders"
    assert load_spec(FIXTURES / "online_retail_lines.spec.yml").grain == "lines"


def test_input_check_reads_every_format_and_sniffs_the_delimiter() -> None:
    erp = check_raw_input(FIXTURES / "erp_export_de.csv", load_spec(FIXTURES / "erp_export_de.spec.yml"))
    assert erp.spec is not None and erp.spec.delimiter == ";"
    assert erp.extra_columns == ("Zahlart",)  # the BOM is not part of the first column's name
    stripe = check_raw_input(
        FIXTURES / "stripe_charges.parquet", load_spec(FIXTURES / "stripe_charges.spec.yml")
    )
    assert stripe.columns == ("charge_id", "customer", "created", "amount", "description")
    woo = check_raw_input(
        FIXTURES / "woocommerce_orders.jsonl", load_spec(FIXTURES / "woocommerce_orders.spec.yml")
    )
    assert woo.columns[:4] == ("id", "status", "date_created", "total")


def test_a_column_missing_from_the_file_is_named(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yml"
    spec.write_text(
        "date_format: '%m/%d/%Y %H:%M'\ncolumns:\n  order_id: InvoiceNo\n  customer_id: CustomerID\n"
        "  order_date: InvoiceDat\n  quantity: Quantity\n  unit_price: UnitPrice\n"
    )
    path = FIXTURES / "online_retail_lines.csv"
    with pytest.raises(InputError) as error:
        check_raw_input(path, load_spec(spec))
    assert str(error.value).startswith(
        f"{path}: {spec}: columns.order_date: 'InvoiceDat' is not a column of the file (did you mean "
        "'InvoiceDate'?); found 'InvoiceNo', 'StockCode',"
    )


def test_derived_order_ids_need_distinct_file_names(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "log.csv").write_text("customer_no,purchased,dollars\n1,19970101,5\n")
    spec = parse_spec(
        {"columns": {"customer_id": "customer_no", "order_date": "purchased", "amount": "dollars"}}
    )
    with pytest.raises(InputError, match=r"has the same name as .*without an order_id column the order ids"):
        check_raw_input(tmp_path / "*" / "log.csv", spec)


def test_wrong_default_columns_point_to_inspect(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("InvoiceNo,CustomerID,InvoiceDate,Amount\n1,2,2021-01-01,3\n")
    with pytest.raises(InputError) as error:
        check_raw_input(path)
    assert str(error.value).startswith(f"{path}: wrong columns: missing 'Unnamed: 0', 'Date', ")
    assert error.value.hint == (
        f"for your own export, `python run_pipeline.py inspect {path}` suggests an input spec (--input-spec)"
    )


# ---- the suggestion: each fixture's spec guessed from its names and values ----


def test_names_values_and_formats_are_guessed() -> None:
    assert match_columns(
        ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"]
    ) == {
        "order_id": "InvoiceNo",
        "customer_id": "CustomerID",
        "order_date": "InvoiceDate",
        "quantity": "Quantity",
        "unit_price": "UnitPrice",
    }
    assert guess_date_format(["19970101", "19971231"]) == ("%Y%m%d", "e.g. 19970101")
    assert guess_date_format(["2021-01-31", "2021-02-01 10:00:00"]) == (None, None)
    assert guess_date_format(["31/01/2021"])[0] == "%d/%m/%Y"
    assert guess_date_format(["01/31/2021 8:26"])[0] == "%m/%d/%Y %H:%M"
    fmt, note = guess_date_format(["01/02/2021"])
    assert fmt == "%d/%m/%Y" and note and "%m/%d/%Y reads them too" in note
    assert guess_decimal_separator(["12,50", "1.234,50", "99,00 €", "12.50"]) == ","
    assert guess_decimal_separator(["$1,250.00", "45.50", "1,000"]) == "."


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_inspect_suggests_each_fixture_spec(name: str, tmp_path: Path) -> None:
    """The suggestion for each shape maps the same columns with the same formats as the spec written by
    hand (which adds the README's comments and has_returns, a decision the data cannot make)."""
    written = yaml.safe_load((FIXTURES / (Path(name).stem + ".spec.yml")).read_text())
    lines: list[str] = []
    args = argparse.Namespace(
        raw_path=FIXTURES / name, input_spec=None, rows=10_000, write_spec=tmp_path / "suggested.yml"
    )
    # Only the suggestion: the staging preview is tested once, below.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inspect_command, "preview_staging", _no_preview)
        inspect_command.run(args, Workspace(tmp_path / "data"), lines.append)
    suggested = yaml.safe_load((tmp_path / "suggested.yml").read_text())
    assert suggested["columns"] == written["columns"], "\n".join(lines)
    for key in ("date_format", "decimal_separator", "format"):
        assert suggested.get(key) == written.get(key, "csv" if key == "format" else None), key
    if written.get("has_returns"):
        assert "# has_returns: true   # " in (tmp_path / "suggested.yml").read_text()


def _no_preview(*args: object, **kwargs: object) -> None:
    raise InputError("preview skipped")


def test_sample_is_the_first_rows_without_cutting_a_quoted_field(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = [f'{index},"line one\nline two",{index}.00' for index in range(50)]
    path.write_text("id,note,amount\n" + "\n".join(rows) + "\n")
    sample = take_sample(path, "csv", True, 10, tmp_path / "sample")
    assert (sample.rows, sample.is_whole_file) == (10, False)  # ten records, twenty lines
    spec = parse_spec(
        {"delimiter": ",", "columns": {"customer_id": "id", "order_date": "note", "amount": "amount"}}
    )
    assert read_columns(sample.path, spec) == ("id", "note", "amount")
    assert sample.path.read_text().count('"') % 2 == 0
    parquet = take_sample(FIXTURES / "stripe_charges.parquet", "parquet", True, 5, tmp_path / "parquet")
    assert (parquet.rows, parquet.is_whole_file) == (5, False)


# ---- inspect end to end: the real staging rules on a sample ----


def test_inspect_shows_columns_mapping_parsed_rows_and_rejections(tmp_path: Path) -> None:
    lines: list[str] = []
    spec = tmp_path / "retail.yml"
    args = argparse.Namespace(
        raw_path=FIXTURES / "online_retail_lines.csv", input_spec=None, rows=40, write_spec=spec
    )
    assert inspect_command.run(args, Workspace(tmp_path / "data"), lines.append) == 0
    output = "\n".join(lines)
    assert "(5,144 bytes; a sample of its first 40 rows)" in output
    assert (
        "columns found (8): InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID"
        in output
    )
    # Every sampled date is in December (12/1 .. 12/6): the day is the field that varies; a comment warns.
    assert (
        'date_format: "%m/%d/%Y %H:%M"            # e.g. 12/1/2010 8:26; %d/%m/%Y %H:%M reads them too'
        in output
    )
    assert (
        "  quantity     <- 'Quantity'" in output and "  not used: StockCode, Description, Country" in output
    )
    # The first rows as staging parses them: an invoice line's amount is quantity x unit price (6 x 2.55).
    assert [line.split() for line in lines if line.startswith("  1 ")] == [
        ["1", "536365", "17850", "2010-12-01", "15.30", "clean"]
    ]
    # The sample's first 40 rows: guests on rows 18, 19 and 38, a zero price on 17, cancellations on 28,
    # 30, 34 and 35, the duplicate line 14.
    assert "on the sample (40 rows): 31 clean, 4 returns, 4 rejected, 1 collapsed duplicates" in output
    assert (
        "missing_customer_id                       3  e.g. (empty) (online_retail_lines.csv rows 18, 19)"
        in output
    )
    assert (
        f"next: python run_pipeline.py build {FIXTURES / 'online_retail_lines.csv'} --input-spec {spec}"
        in output
    )
    assert load_spec(spec).columns == load_spec(FIXTURES / "online_retail_lines.spec.yml").columns


def test_other_formats_get_one_line_too(tmp_path: Path) -> None:
    jsonl = tmp_path / "orders.jsonl"
    jsonl.write_text('{"id": 1, "email": "a@b.c", "date": "2021-01-01", "total": 5}\n{"id": 2, "email": \n')
    spec = parse_spec(
        {"format": "jsonl", "columns": {"customer_id": "email", "order_date": "date", "amount": "total"}}
    )
    with pytest.raises(InputError, match=r"orders\.jsonl: line 2 is not valid JSON \("):
        check_raw_input(jsonl, spec)
    fake = tmp_path / "orders.parquet"
    fake.write_text("id,email\n1,a@b.c\n")
    spec = parse_spec(
        {"format": "parquet", "columns": {"customer_id": "email", "order_date": "d", "amount": "a"}}
    )
    with pytest.raises(InputError, match=r"orders\.parquet: not a readable Parquet file \("):
        check_raw_input(fake, spec)
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(InputError, match=r"exports: no files match") as error:
        check_raw_input(folder, spec)
    assert error.value.hint == "a directory means every *.parquet file in it (the input spec's format)"
