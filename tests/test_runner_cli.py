"""The runner's command line: bad inputs get one clear line and a non-zero exit before dbt runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from salesdw.cli import EXIT_READER_GONE, with_default_subcommand
from salesdw.inputs.input_check import InputError, check_raw_input
from salesdw.paths import PROJECT_ROOT
from salesdw.pipeline.dbt_invoke import DebugLog, invocation_error

ROOT = Path(__file__).resolve().parent.parent
HEADER = "Unnamed: 0,Date,Customer ID,Order ID,Sales\n"


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run_pipeline.py"), "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli(str(tmp_path / "nope.csv"), data_dir=tmp_path / "data")
    assert result.returncode == 2
    assert result.stdout.splitlines()[0] == f"error: {tmp_path / 'nope.csv'}: file not found"
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "data" / "warehouse.duckdb").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        (HEADER, "the file has a header but no data rows"),
        (
            "Unnamed: 0,Date,customer_id,Order ID,Sales\n0,2021-01-01,1,1,1\n",
            "wrong columns: missing 'Customer ID'; expected 'Unnamed: 0', 'Date', 'Customer ID', "
            "'Order ID', 'Sales', found 'Unnamed: 0', 'Date', 'customer_id', 'Order ID', 'Sales'",
        ),
    ],
)
def test_unbuildable_files_are_named_with_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "input.csv"
    path.write_text(content)
    with pytest.raises(InputError) as error:
        check_raw_input(path)
    assert str(error.value) == f"{path}: {message}"


def test_extra_columns_are_reported_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "input.csv"
    path.write_text("Unnamed: 0,Date,Customer ID,Order ID,Sales,Store\n0,2021-01-01,1,1,1,x\n")
    assert check_raw_input(path).extra_columns == ("Store",)


def test_bom_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "input.csv"
    path.write_bytes(b"\xef\xbb\xbf" + HEADER.encode() + b"0,2021-01-01,1,1,1\r\n")
    assert check_raw_input(path).columns[0] == "Unnamed: 0"


def test_directory_means_all_its_csv_files(tmp_path: Path) -> None:
    for day in ("01", "02"):
        (tmp_path / f"sales_2021-01-{day}.csv").write_text(HEADER + f"0,2021-01-{day},1,{day},1\n")
    report = check_raw_input(tmp_path)
    assert report.pattern == str(tmp_path / "*.csv")
    assert [path.name for path in report.files] == ["sales_2021-01-01.csv", "sales_2021-01-02.csv"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ["build"]),
        (["x.csv"], ["build", "x.csv"]),
        (["--data-dir", "d", "x.csv"], ["--data-dir", "d", "build", "x.csv"]),
        (["--data-dir=d"], ["--data-dir=d", "build"]),
        (["build", "x.csv"], ["build", "x.csv"]),
        (["--full-refresh"], ["build", "--full-refresh"]),
        (
            ["--data-dir", "d", "--as-of-date", "2021-06-30"],
            ["--data-dir", "d", "build", "--as-of-date", "2021-06-30"],
        ),
        (["--data-dir", "d", "status"], ["--data-dir", "d", "status"]),
        (["--help"], ["--help"]),
    ],
)
def test_build_is_the_default_command(argv: list[str], expected: list[str]) -> None:
    assert with_default_subcommand(argv) == expected


def test_dbt_imports_without_the_unused_iri_grammar() -> None:
    # The runner keeps rfc3987_syntax (an "iri" format check that builds a grammar at import, ~1.7 s) out of
    # its process; dbt must still import and jsonschema must simply go without that one format.
    code = (
        "import sys\n"
        "from salesdw.pipeline.dbt_invoke import skip_unused_imports\n"
        "skip_unused_imports()\n"
        "import dbt.cli.main, jsonschema\n"
        "print(sys.modules.get('rfc3987_syntax', 'absent'), 'iri' in jsonschema.FormatChecker.checkers)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "False"]


def test_dbt_debug_log_is_written_before_each_statement_and_rotated_as_dbt_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner writes dbt's debug log itself (DebugLog): the lines so far reach logs/dbt.log before each
    statement dbt runs (so a hung or killed build shows what it was doing), in dbt's format, with
    DBT_ENV_SECRET_* values masked; the rest when dbt returns; a file past 10 MB is rotated first."""
    from dbt.adapters.events.types import SQLQuery
    from dbt.events.types import MainReportVersion
    from dbt_common.events.base_types import msg_from_base_event
    from dbt_common.events.types import Note

    monkeypatch.setenv("DBT_ENV_SECRET_TOKEN", "hunter2")
    path = tmp_path / "dbt.log"
    path.write_text("x" * (10 * 1024 * 1024 + 1))
    log = DebugLog(tmp_path)
    assert (tmp_path / "dbt.log.1").stat().st_size == 10 * 1024 * 1024 + 1
    assert path.read_text() == ""

    log(msg_from_base_event(MainReportVersion(version="=1.11.0", log_version=3)))
    log(msg_from_base_event(Note(msg="the token is hunter2")))
    assert path.read_text() == ""  # kept until a statement runs
    log(msg_from_base_event(SQLQuery(conn_name="model.x", sql="select 42", node_info={})))
    lines = path.read_text().splitlines()
    assert lines[2].startswith("=" * 30) and lines[2].endswith("=" * 30)
    line_format = r"\d\d:\d\d:\d\d\.\d{6} \[info \] \[MainThread\]: Running with dbt=1\.11\.0"
    assert re.fullmatch(line_format, lines[3])
    assert lines[4].endswith("[MainThread]: the token is *****")
    assert "select 42" in lines[5] and "hunter2" not in path.read_text()

    log(msg_from_base_event(Note(msg="the last line")))
    assert "the last line" not in path.read_text()
    log.close()
    assert path.read_text().splitlines()[-1].endswith("[MainThread]: the last line")


def test_a_dbt_error_keeps_its_sentence_on_the_failed_line() -> None:
    """The runner prints dbt's error for the whole invocation on one line: the header alone named a model,
    not what to change."""
    compiled = "Compilation Error in model m (models/m.sql)\n  The var v must be a list.\n  \n  > in macro x"
    expected = "Compilation Error in model m (models/m.sql): The var v must be a list."
    assert invocation_error(compiled) == expected
    assert invocation_error("Database error: the file is locked") == "Database error: the file is locked"


def test_a_reader_that_goes_away_ends_the_runner_quietly() -> None:
    """`python run_pipeline.py ... | head`: when the reader closes the pipe, the runner stops with the shell's
    status for it, without a traceback."""
    printing = (
        "import salesdw.cli as cli\n"
        "def main():\n"
        "    for number in range(200_000):\n"
        "        print('line', number)\n"
        "    return 0\n"
        "cli.main = main\n"
        "cli.console_main()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", printing], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=PROJECT_ROOT
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline() == b"line 0\n"
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == EXIT_READER_GONE, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
