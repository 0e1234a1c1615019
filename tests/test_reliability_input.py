"""Bad input at file level: one clear line, a non-zero exit, the published warehouse untouched; awkward but
valid files read correctly; bad bytes and absurd values become rejected rows with reasons."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from salesdw.paths import Workspace
from salesdw.pipeline.build import EXIT_BAD_INPUT, EXIT_BUILD_FAILED
from tests.helpers import BuildRun
from tests.test_reliability_support import (
    HEADER,
    build,
    file_state,
    run_cli,
    run_log_rows,
)

FIXTURES = Path(__file__).parent / "fixtures" / "reliability"


@pytest.fixture(scope="module")
def formats_build(tmp_path_factory: pytest.TempPathFactory) -> BuildRun:
    """BOM, CRLF line ends, quoted fields with commas and quotes, an extra column, trailing blank lines."""
    return build(FIXTURES / "bom_crlf_quoted.csv", tmp_path_factory.mktemp("formats"), staging_only=True)


@pytest.fixture()
def published(formats_build: BuildRun, tmp_path: Path) -> Workspace:
    """A workspace whose published warehouse is a real, earlier build."""
    workspace = Workspace(tmp_path / "data")
    workspace.data_dir.mkdir()
    shutil.copy2(formats_build.workspace.published_db, workspace.published_db)
    return workspace


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


BAD_FILES = {
    "empty": ("", "the file is empty"),
    "blank_lines_only": ("\n\n  \n", "the file is empty"),
    "header_only": (HEADER + "\n", "the file has a header but no data rows"),
    "header_and_blank_lines": (HEADER + "\r\n\r\n\r\n", "the file has a header but no data rows"),
    "renamed_column": (
        "Unnamed: 0,Date,customer_id,Order ID,Sales\n0,2021-01-01,1,1,1\n",
        "wrong columns: missing 'Customer ID'; expected 'Unnamed: 0', 'Date', 'Customer ID', 'Order ID', "
        "'Sales', found 'Unnamed: 0', 'Date', 'customer_id', 'Order ID', 'Sales'",
    ),
    "missing_columns": (
        "Date,Order ID\n2021-01-01,1\n",
        "wrong columns: missing 'Unnamed: 0', 'Customer ID', 'Sales'; expected 'Unnamed: 0', 'Date', "
        "'Customer ID', 'Order ID', 'Sales', found 'Date', 'Order ID'",
    ),
    "doubled_column": (
        HEADER + ",Sales\n0,2021-01-01,1,1,1,2\n",
        "column(s) 'Sales' appear more than once in the header",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_one_line_and_leaves_the_warehouse(
    case: str, published: Workspace, tmp_path: Path
) -> None:
    content, problem = BAD_FILES[case]
    path = _write(tmp_path / f"{case}.csv", content)
    before = file_state(published.published_db)
    run = build(path, published.data_dir)
    assert run.exit_code == EXIT_BAD_INPUT
    assert run.output.splitlines()[0] == f"error: {path}: {problem}"
    assert "was not touched" in run.output
    assert file_state(published.published_db) == before
    assert run_log_rows(published)[-1]["status"] == "bad_input"


def test_missing_file_via_cli(published: Workspace, tmp_path: Path) -> None:
    before = file_state(published.published_db)
    result = run_cli(str(tmp_path / "nope.csv"), data_dir=published.data_dir)
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stdout.splitlines()[0] == f"error: {tmp_path / 'nope.csv'}: file not found"
    assert "Traceback" not in result.stdout + result.stderr
    assert file_state(published.published_db) == before


def test_empty_directory_and_bad_as_of_date(published: Workspace, tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    before = file_state(published.published_db)
    run = build(tmp_path / "inbox", published.data_dir)
    assert run.exit_code == EXIT_BAD_INPUT
    assert run.output.splitlines()[0] == f"error: {tmp_path / 'inbox'}: no files match"
    good = _write(tmp_path / "good.csv", HEADER + "\n0,2021-01-01,1,1,1\n")
    run = build(good, published.data_dir, as_of_date="2021-02-30")
    assert run.exit_code == EXIT_BAD_INPUT
    assert run.output.splitlines()[0] == "error: --as-of-date '2021-02-30': not a date in the form YYYY-MM-DD"
    assert file_state(published.published_db) == before


def test_unreadable_file(published: Workspace, tmp_path: Path) -> None:
    """chmod 000. As root, permission bits do not stop reads, so the runner runs without the capabilities
    that bypass them (setpriv drops CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH): a real permission error."""
    path = _write(tmp_path / "locked.csv", HEADER + "\n0,2021-01-01,1,1,1\n")
    path.chmod(0)
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: chmod 000 cannot make a file unreadable")
        prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--")
    before = file_state(published.published_db)
    result = run_cli(str(path), data_dir=published.data_dir, prefix=prefix)
    assert result.returncode == EXIT_BAD_INPUT, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == f"error: {path}: cannot read the file (permission denied)"
    assert file_state(published.published_db) == before


def test_bom_crlf_quotes_and_blank_lines_are_read_correctly(formats_build: BuildRun) -> None:
    assert formats_build.exit_code == 0, formats_build.output
    assert "note: ignoring extra column(s): Store" in formats_build.output
    orders = formats_build.query(
        "select order_id, customer_id, order_date::varchar, amount::varchar from stg_sales order by 1"
    )
    assert orders.values.tolist() == [
        ["1", "11", "2021-01-02", "1234.50"],  # "$1,234.50"
        ["2", "12", "2021-01-03", "20.00"],
        ["3", "13", "2021-01-04", "5.25"],
        ["4", "14", "2021-01-05", "1000000.00"],  # "1,000,000.00"
    ]
    counts = formats_build.query("select * from stg_sales_reconciliation").iloc[0]
    assert (counts.raw_row_count, counts.clean_row_count, counts.rejected_row_count) == (5, 4, 1)
    rejected = formats_build.query("select raw_sales, rejection_reason from stg_sales_rejected")
    assert rejected.values.tolist() == [['ten, "or so"', "invalid_amount"]]
    columns = formats_build.query("select * from stg_sales__validated limit 0").columns
    assert "Store" not in columns and "store" not in columns


@pytest.fixture(scope="module")
def odd_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuildRun]:
    """Bytes that are not UTF-8 (latin-1/cp1252), absurd values and a date after --as-of-date."""
    lines = [
        b"0,2021-01-01,1,1,10",
        b"1,2021-01-02,12\xe93,2,10",  # latin-1 e-acute in the customer id
        b"2,2021-01-0\xff,3,3,10",  # a stray byte in the date
        b"3,2021-01-04,4,4,1e15",
        b"4,1900-01-01,5,5,10",
        b"5,2021-07-01,6,6,10",  # after the analysis date
        b"6,2021-01-05,7," + b"9" * 200 + b",10",
        b"7,2021-01-06," + b"8" * 200 + b",8,10",
        b"8,2021-01-07,9,9,99.99",
        b"9,2021-01-08,10,10,\x80 5",  # cp1252 euro sign: a valid amount
        b"10,2021-01-08,\x9311\x94,11,5",  # cp1252 curly quotes around the customer id
    ]
    folder = tmp_path_factory.mktemp("odd")
    path = folder / "odd.csv"
    path.write_bytes(HEADER.encode() + b"\n" + b"\n".join(lines))
    # as_of_date is a dbt var: a new value forces a full parse, so use a dbt target of its own (the
    # session's shared one stays warm for the other builds).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SALESDW_TARGET_DIR", str(folder / "target"))
        yield build(path, folder / "data", staging_only=True, as_of_date="2021-06-30", max_rejected_share=0.9)


# Rows 1 and 10 are clean: their customer ids (12\u00e93, curly-quoted 11) are text ids (macros/ids.sql).
ODD_REASONS = {
    2: "unparseable_date",
    3: "amount_out_of_range",
    4: "date_out_of_range",
    5: "date_after_as_of_date",
    6: "invalid_order_id",  # 200 digits: longer than max_id_length
    7: "invalid_customer_id",
}


def test_non_utf8_bytes_and_absurd_values_are_rejected_with_reasons(odd_build: BuildRun) -> None:
    assert odd_build.exit_code == 0, odd_build.output
    assert "is not valid UTF-8 (first at line 3): its stray bytes are read as cp1252" in odd_build.output
    rejected = odd_build.query("select source_row_index, rejection_reason from stg_sales_rejected")
    assert dict(zip(rejected.source_row_index, rejected.rejection_reason, strict=True)) == ODD_REASONS
    clean = odd_build.query(
        "select order_id, customer_id, amount::varchar from stg_sales order by order_id::int"
    ).values.tolist()
    assert clean == [
        ["1", "1", "10.00"],
        ["2", "12\u00e93", "10.00"],  # the latin-1 byte read as cp1252: a text id
        ["9", "9", "99.99"],
        ["10", "10", "5.00"],  # cp1252 euro sign before the amount
        ["11", "\u201c11\u201d", "5.00"],  # cp1252 curly quotes around the customer id
    ]
    last_run = run_log_rows(odd_build.workspace)[-1]
    assert (last_run["status"], last_run["encoding"]) == ("success", "utf-8 (stray bytes read as cp1252)")
    # The original file's checksum is logged; its rows name the staged UTF-8 copy.
    assert last_run["inputs"][0]["path"].endswith("odd.csv")
    assert (
        odd_build.query("select distinct source_file from stg_sales__validated")
        .iloc[0, 0]
        .endswith("build/utf8/odd.csv")
    )


@pytest.mark.parametrize(
    ("case", "rows"),
    [("extra_field", ["1,2021-01-02,2,2,1,000.00"]), ("cut_off_line", ["1,2021-01-02,2,2,5", "2,2021-01-0"])],
)
def test_row_with_wrong_field_count_is_bad_input(
    case: str, rows: list[str], published: Workspace, tmp_path: Path
) -> None:
    """An unquoted comma shifts values, a cut-off line loses them: never read silently."""
    path = _write(tmp_path / f"{case}.csv", "\n".join([HEADER, "0,2021-01-01,1,1,10", *rows]) + "\n")
    before = file_state(published.published_db)
    run = build(path, published.data_dir)
    assert run.exit_code == EXIT_BAD_INPUT, run.output
    assert run.output.splitlines()[0].startswith(f"error: {path}: not every row has the header's 5 fields (")
    assert file_state(published.published_db) == before


def test_ragged_row_beyond_the_sniffed_rows_fails_naming_the_line(
    published: Workspace, tmp_path: Path
) -> None:
    """Past the ~20k rows DuckDB sniffs, the shape is checked while reading: the build fails, naming the
    line."""
    good = [f"{index},2021-01-01,{index % 50},{index},10" for index in range(25_000)]
    path = _write(tmp_path / "late.csv", "\n".join([HEADER, *good, "25000,2021-01-02,2,2,1,000.00"]) + "\n")
    before = file_state(published.published_db)
    run = build(path, published.data_dir, staging_only=True)
    assert run.exit_code == EXIT_BUILD_FAILED, run.output
    failed = [line for line in run.output.splitlines() if line.startswith("FAILED:")]
    # Whichever staging model reads the source first fails (both read the raw file).
    assert failed and all(line.startswith("FAILED: model stg_sales__") for line in failed)
    assert (
        "(staging layer): Invalid Input Error: CSV Error on Line: 25002; Expected Number of Columns: 5 "
        f"Found: 6; file = {path}" in failed[0]
    )
    assert f"The published warehouse ({published.published_db}) is unchanged." in run.output
    assert file_state(published.published_db) == before


def test_failing_test_is_named_and_nothing_is_published(
    published: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A misconfigured bound (max_order_amount null) lets clean rows through with a null amount, so the
    error-severity not-null test on fact_sales fails. Own dbt target: --vars forces a full parse. Unit
    tests are excluded: under that var they fail first and the model would be skipped, not tested."""
    monkeypatch.setenv("SALESDW_TARGET_DIR", str(tmp_path / "target"))
    before = file_state(published.published_db)
    good = _write(tmp_path / "good.csv", HEADER + "\n0,2021-01-01,1,1,10\n1,2021-01-02,2,2,20\n")
    selection = [
        "--select",
        "+path:models/staging",
        "+path:models/warehouse",
        "--indirect-selection",
        "cautious",
    ]
    run = build(
        good,
        published.data_dir,
        extra=[*selection, "--vars", '{max_order_amount: "null"}', "--exclude", "test_type:unit"],
    )
    assert run.exit_code == EXIT_BUILD_FAILED
    failed = [line for line in run.output.splitlines() if line.startswith("FAILED:")]
    assert len(failed) == 1, run.output
    assert re.fullmatch(
        r"FAILED: data test not_null\w*_fact_sales\w* \(warehouse layer\): 2 failing row\(s\)", failed[0]
    )
    assert f"The published warehouse ({published.published_db}) is unchanged." in run.output
    assert file_state(published.published_db) == before
    last_run = run_log_rows(published)[-1]
    assert last_run["status"] == "failed"
    assert len(last_run["failing_nodes"]) == 1 and last_run["failing_nodes"][0].startswith("test.")
    assert last_run["failing_nodes"][0].split(".")[2] in failed[0]
    assert last_run["counts"]["raw_row_count"] == 2
