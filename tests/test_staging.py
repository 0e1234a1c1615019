"""Staging on the bad-row fixture: every raw row is accounted for, with the right reason."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.helpers import BuildRun

FIXTURE = Path(__file__).parent / "fixtures" / "bad_rows.csv"

# The outcome each fixture row must get, by its `Unnamed: 0` index (the fixture's specification).
EXPECTED_REJECTIONS = {
    7: "unparseable_date",  # 2021-02-30 is not a day
    8: "unparseable_date",  # 05/01/2021 is ambiguous
    9: "missing_date",
    10: "missing_customer_id",
    # 11 (customer "abc") and 13 (order "x12") are clean: ids are text (macros/ids.sql).
    12: "missing_order_id",
    14: "missing_amount",
    15: "invalid_amount",
    16: "negative_amount",
    17: "zero_amount",
    18: "amount_out_of_range",  # 1e15
    19: "date_out_of_range",  # 1900
    20: "conflicting_duplicate_order_id",
    21: "conflicting_duplicate_order_id",
    22: "invalid_amount",  # decimal comma
}
EXPECTED_COLLAPSED = {3}  # an exact copy of row 2


def _raw_row_count() -> int:
    with FIXTURE.open(newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def test_build_succeeds(bad_rows_build: BuildRun) -> None:
    assert bad_rows_build.exit_code == 0, bad_rows_build.output


def test_every_raw_row_is_clean_rejected_or_collapsed(bad_rows_build: BuildRun) -> None:
    counts = bad_rows_build.query("select * from stg_sales_reconciliation").iloc[0]
    raw_rows = _raw_row_count()
    assert counts.raw_row_count == raw_rows == 25
    assert counts.rejected_row_count == len(EXPECTED_REJECTIONS)
    assert counts.collapsed_duplicate_count == len(EXPECTED_COLLAPSED)
    assert counts.clean_row_count == raw_rows - len(EXPECTED_REJECTIONS) - len(EXPECTED_COLLAPSED)
    assert counts.is_reconciled
    clean = bad_rows_build.query("select count(*) as n from stg_sales").n[0]
    rejected = bad_rows_build.query("select count(*) as n from stg_sales_rejected").n[0]
    assert clean + rejected + counts.collapsed_duplicate_count == raw_rows


def test_each_bad_row_has_its_reason(bad_rows_build: BuildRun) -> None:
    rejected = bad_rows_build.query(
        "select source_row_index, rejection_reason, rejection_description from stg_sales_rejected"
    )
    assert dict(zip(rejected.source_row_index, rejected.rejection_reason, strict=True)) == EXPECTED_REJECTIONS
    assert rejected.rejection_description.str.len().min() > 10


def test_rejected_rows_keep_the_raw_text(bad_rows_build: BuildRun) -> None:
    row = bad_rows_build.query(
        "select raw_date, raw_order_id, raw_sales from stg_sales_rejected where source_row_index = 22"
    ).iloc[0]
    assert (row.raw_date, row.raw_order_id, row.raw_sales) == ("2021-04-03", "1021", "12,50")


def test_accepted_formats_are_parsed(bad_rows_build: BuildRun) -> None:
    clean = bad_rows_build.query(
        "select order_id, customer_id, order_date::varchar as order_date, amount::double as amount "
        "from stg_sales order by order_id"
    ).set_index("order_id")
    assert clean.loc["1003"].amount == 1200.00  # "$1,200.00"
    assert clean.loc["1005"].order_date == "2021-03-01"  # padded with spaces
    assert clean.loc["1005"].amount == 20.25
    assert clean.loc["1006"].order_date == "2021-03-15"  # "2021-03-15 00:00:00", id "1006.0"
    assert clean.loc["1022"].amount == 12.35  # rounded to cents
    assert clean.loc["1011"].customer_id == "abc"  # a text customer id
    assert clean.loc["x12"].customer_id == "107"  # a text order id
    assert set(clean.index) == {"1001", "1002", "1003", "1004", "1005", "1006", "1011", "x12", "1022", "1023"}
