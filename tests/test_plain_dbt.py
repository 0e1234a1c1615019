"""Plain `dbt build` and `dbt test`, run as a user runs them: the real `dbt` command in a subprocess, from
the root of a copy of the project, on small inputs. Write-audit-publish holds (a failed test or a kill -9
publishes nothing), readers never block a build, and when dbt cannot do its job it says why in one line."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest

from salesdw.paths import PROJECT_ROOT, Workspace
from salesdw.pipeline.build import EXIT_NO_SPACE, BuildRequest, run_build
from salesdw.pipeline.dbt_invoke import NodeResult, release_duckdb
from salesdw.pipeline.dbt_session import judge
from salesdw.pipeline.publish import DuckDBFilePublisher, PublishError, WarehouseInUse, wal_of
from salesdw.readers import open_published
from tests.helpers import BuildRun, write_random_orders
from tests.test_reliability_support import (
    READER,
    FileState,
    LogWatcher,
    file_state,
    run_cli,
    run_log_rows,
    table_contents,
    wait_for,
)

DBT = Path(sys.executable).with_name("dbt")
# What a clone holds that dbt reads (the Python package comes from PYTHONPATH, as from an installed clone).
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests/dbt")
FAILING_TEST = "assert_fails_on_purpose"
WAREHOUSE_MODELS = {path.stem for path in (PROJECT_ROOT / "models" / "warehouse").glob("*.sql")}


@dataclass
class PlainProject:
    """A copy of the project whose data/ holds a published warehouse; `dbt` runs from its root."""

    root: Path
    inputs: dict[str, Path]

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.root / "data")

    def env(self, raw: str | Path | None) -> dict[str, str]:
        # The suite's own settings (shared target dir, another data dir) must not leak into a user's shell.
        env = {key: value for key, value in os.environ.items() if not key.startswith(("SALESDW_", "DBT_"))}
        env["PYTHONPATH"] = str(PROJECT_ROOT)
        env["SALES_RAW_PATH"] = str(raw if raw is not None else self.inputs["orders"])
        return env

    def dbt(
        self, *args: str, raw: str | Path | None = None, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(DBT), *args],
            cwd=self.root,
            env={**self.env(raw), **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=600,
        )

    def start_dbt(self, *args: str, raw: str | Path | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(DBT), *args],
            cwd=self.root,
            env=self.env(raw),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    return [line for line in _output(result).splitlines() if line.strip()][-1]


def _expected(orders: pd.DataFrame) -> dict[str, object]:
    """What the warehouse must hold for a clean order file, computed with pandas."""
    return {
        "raw": len(orders),
        "customers": orders["Customer ID"].nunique(),
        "revenue": Decimal(str(round(float(orders["Sales"].round(2).sum()), 2))),
    }


def _published_figures(db_path: Path) -> dict[str, object]:
    with open_published(db_path) as connection:
        raw, clean = connection.execute(
            "select raw_row_count, clean_row_count from stg_sales_reconciliation"
        ).fetchall()[0]
        customers, revenue = connection.execute(
            "select count(*), sum(lifetime_revenue) from dim_customer"
        ).fetchall()[0]
    assert clean == raw
    return {"raw": raw, "customers": customers, "revenue": revenue}


@pytest.fixture(scope="module")
def project(bad_rows_build: BuildRun, tmp_path_factory: pytest.TempPathFactory) -> PlainProject:
    """The copy starts with the warehouse the runner published from the bad-rows fixture (25 raw rows)."""
    assert bad_rows_build.exit_code == 0, bad_rows_build.output
    root = tmp_path_factory.mktemp("plain_dbt") / "project"
    for name in PROJECT_FILES:
        source, target = PROJECT_ROOT / name, root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    (root / "data").mkdir()
    shutil.copy2(bad_rows_build.workspace.published_db, root / "data" / "warehouse.duckdb")
    inputs = {"orders": root.parent / "orders.csv", "other": root.parent / "other.csv"}
    write_random_orders(inputs["orders"], n_orders=120, seed=11, n_customers=40)
    write_random_orders(inputs["other"], n_orders=30, seed=12, n_customers=10)
    return PlainProject(root, inputs)


@pytest.fixture(scope="module")
def reader_build(project: PlainProject) -> Iterator[dict[str, object]]:
    """`dbt build --full-refresh` from a new file, killed (-9) once a warehouse model has started. Then,
    with a notebook-like reader holding a read-only connection on the published warehouse, the same build
    again (it recovers), `dbt test`, and what the reader saw meanwhile."""
    published = project.workspace.published_db
    before_kill = file_state(published)
    watcher = LogWatcher(project.root / "logs" / "dbt.log")
    killed = project.start_dbt("build", "--full-refresh")
    try:
        wait_for(
            lambda: set(watcher.started_models()) & WAREHOUSE_MODELS,
            timeout=300,
            what="a warehouse model to start",
            process=killed,
        )
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=60)
    finally:
        killed.kill()
        killed.wait()
    after_kill = file_state(published)
    working_left = project.workspace.working_db.exists()

    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdin is not None
        before_reader = int(reader.stdout.readline())
        build = project.dbt("build", "--full-refresh")
        after_build = file_state(published)
        test = project.dbt("test")
        after_test = file_state(published)
        reader.stdin.write("\n")
        reader.stdin.flush()
        reader_after = int(reader.stdout.readline())
    finally:
        reader.kill()
        reader.wait()
    yield {
        "killed": (killed.returncode, before_kill, after_kill, working_left),
        "build": build,
        "test": test,
        "reader": (before_reader, reader_after),
        "after_build": after_build,
        "after_test": after_test,
        "contents": table_contents(published),
    }


def test_build_publishes_beside_an_open_reader(
    project: PlainProject, reader_build: dict[str, object]
) -> None:
    build = reader_build["build"]
    assert isinstance(build, subprocess.CompletedProcess)
    output = _output(build)
    assert build.returncode == 0, output
    assert f"salesdw: published {project.workspace.published_db} (" in output
    assert "Traceback" not in output
    # The reader kept the snapshot it opened; a new reader sees the new build, with pandas' figures.
    assert reader_build["reader"] == (25, 25)
    orders = pd.read_csv(project.inputs["orders"])
    assert _published_figures(project.workspace.published_db) == _expected(orders)
    # Published by rename: the working copy is gone, no WAL is left beside either file.
    assert not project.workspace.working_db.exists()
    assert not list(project.workspace.data_dir.rglob("*.wal"))
    # The CSV export follows the published warehouse, like the runner's.
    export = pd.read_csv(project.workspace.export_dir / "campaign_targets.csv")
    with open_published(project.workspace.published_db) as connection:
        targets = connection.execute("select count(*) from campaign_targets").fetchall()[0][0]
    assert len(export) == targets > 0


def test_dbt_test_reads_the_published_warehouse_beside_a_reader(reader_build: dict[str, object]) -> None:
    test = reader_build["test"]
    assert isinstance(test, subprocess.CompletedProcess)
    assert test.returncode == 0, _output(test)
    # Too small a fixture for a converged BG/NBD fit: its warn-severity test is the only one allowed to warn.
    output = _output(test)
    assert "ERROR=0" in output, output
    warned = re.findall(r"\d+ of \d+ WARN \d+ ([\w.]+)", output)
    assert set(warned) <= {"assert_clv_fit_converged"}, output
    # Read-only: dbt test changed nothing (same inode, bytes and modification time).
    assert reader_build["after_test"] == reader_build["after_build"]


def test_plain_build_is_in_the_run_history(project: PlainProject, reader_build: dict[str, object]) -> None:
    rows = run_log_rows(project.workspace)
    last = rows[-1]
    assert last["command"] == "dbt build" and last["status"] == "success"
    assert last["inputs"][0]["path"] == str(project.inputs["orders"])
    assert last["counts"]["raw_row_count"] == 120 and last["counts"]["clean_row_count"] == 120
    status = run_cli("status", data_dir=project.workspace.data_dir)
    line = [row for row in status.stdout.splitlines() if "orders.csv" in row][-1]
    assert line.split()[3:8] == ["success", "orders.csv", "120", "120", "0"]
    assert "dbt build: published" in line


def test_failing_data_test_publishes_nothing_and_names_the_test(
    project: PlainProject, reader_build: dict[str, object]
) -> None:
    published = project.workspace.published_db
    before = file_state(published)
    failing = project.root / "tests" / "dbt" / f"{FAILING_TEST}.sql"
    failing.write_text(
        "-- Fails on purpose (tests/test_plain_dbt.py): returns two orders.\n"
        "select order_id from {{ ref('fact_sales') }} order by order_id limit 2\n"
    )
    try:
        build = project.dbt("build")
    finally:
        failing.unlink()
    output = _output(build)
    assert build.returncode == 1, output
    assert f"salesdw: FAILED: data test {FAILING_TEST} (warehouse layer): 2 failing row(s)" in output
    assert f"the published warehouse {published} is unchanged" in output
    assert file_state(published) == before
    # The models after fact_sales were skipped; the working copy is kept for inspection.
    assert project.workspace.working_db.exists()
    last = run_log_rows(project.workspace)[-1]
    assert last["status"] == "failed"
    assert last["failing_nodes"] == [f"test.marketing_warehouse.{FAILING_TEST}"]


def test_kill_9_mid_build_leaves_the_warehouse_and_the_next_build_recovers(
    project: PlainProject, reader_build: dict[str, object]
) -> None:
    killed = reader_build["killed"]
    assert isinstance(killed, tuple)
    returncode, before, after, working_left = killed
    assert returncode == -signal.SIGKILL
    assert after == before  # the runner's warehouse of the bad-rows fixture, untouched
    assert working_left  # the half-built working copy, discarded by the next build
    build = reader_build["build"]
    assert isinstance(build, subprocess.CompletedProcess)
    assert build.returncode == 0, _output(build)
    assert "salesdw adapter: note: an earlier build (pid " in _output(build)
    assert "was interrupted" in _output(build)
    # The killed run is closed as interrupted by the next build, which publishes (pandas' figures: below).
    statuses = [row["status"] for row in run_log_rows(project.workspace)[:4]]
    assert statuses == ["running", "interrupted", "running", "success"]


WRITER = textwrap.dedent(
    """
    import sys, duckdb
    # A DuckDB CLI or a notebook that opened the published file read-write.
    connection = duckdb.connect(sys.argv[1])
    print("open", flush=True)
    sys.stdin.readline()
    """
)

HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from salesdw.paths import Workspace
    from salesdw.pipeline.locking import acquire_build_lock
    from salesdw.pipeline.run_log import RunRecord
    # Another build, holding the build lock.
    acquire_build_lock(Workspace(Path(sys.argv[1])), RunRecord.start("build", "daily.csv"))
    print("locked", flush=True)
    sys.stdin.readline()
    """
)


@contextmanager
def _holding(script: str, argument: Path) -> Iterator[int]:
    """Runs a helper process (WRITER, HOLDER) for the duration; yields its pid."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(argument)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() in {"open", "locked"}
        yield process.pid
    finally:
        process.kill()
        process.wait()


def _assert_one_line(
    result: subprocess.CompletedProcess[str], expected: str, before: FileState, path: Path
) -> None:
    output = _output(result)
    assert result.returncode == 2, output
    assert "Traceback" not in output
    assert _last_line(result) == expected, output
    assert file_state(path) == before


def test_a_writer_on_the_published_file_is_one_line(
    project: PlainProject, reader_build: dict[str, object]
) -> None:
    """What the user sees from the `dbt` command, for a read (`dbt test`) and a write (`dbt build`)."""
    published = project.workspace.published_db
    before = file_state(published)
    with _holding(WRITER, published) as writer:
        result = project.dbt("test")
        message = _writer_message(published, writer)
        assert re.fullmatch(message, _last_line(result)), _output(result)
        _assert_one_line(result, _last_line(result), before, published)


def _writer_message(published: Path, pid: int) -> str:
    return (
        rf"error: {re.escape(str(published))} is open for writing in another process \(python[\d.]*, "
        rf"PID {pid}\): close that connection, or open it with read_only=True, and run again"
    )


def _dbt_error(project: PlainProject, raw: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """Runs dbt in-process (the plugin works the same; the `dbt` command prints this exception's text after
    'Encountered an error:', as the subprocess tests show) and returns the error it stopped with."""
    from dbt.cli.main import dbtRunner

    for name in ("SALESDW_DATA_DIR", "SALESDW_TEMP_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SALES_RAW_PATH", str(raw))
    root = str(project.root)
    try:
        result = dbtRunner().invoke([*args, "--quiet", "--project-dir", root, "--profiles-dir", root])
    finally:
        release_duckdb()
    assert not result.success and result.exception is not None
    return str(result.exception)


def test_cannot_build_in_one_line(
    project: PlainProject, reader_build: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing input file, an input that no longer matches what was loaded, another build holding the lock,
    another program writing the published file, a disk too small for the working copy: one line each, the
    published warehouse untouched."""
    workspace = project.workspace
    published = workspace.published_db
    before = file_state(published)
    orders = project.inputs["orders"]

    missing = project.root / "no_such_file.csv"
    assert _dbt_error(project, missing, monkeypatch, "build") == f"error: {missing}: file not found"
    assert run_log_rows(workspace)[-1]["status"] == "bad_input"

    assert _dbt_error(project, project.inputs["other"], monkeypatch, "build") == (
        f"error: {orders} was loaded before but is no longer in the input: the loaded rows would be stale; "
        "run `dbt build --full-refresh`"
    )

    with _holding(HOLDER, workspace.data_dir) as holder:
        message = _dbt_error(project, orders, monkeypatch, "build")
    assert re.fullmatch(
        rf"error: another build is running on {re.escape(str(workspace.data_dir))} \(pid {holder}, started "
        r"\S+, input daily.csv\); this one did not start: wait for it to finish and retry "
        r"\(`run_pipeline.py status` shows it\)",
        message,
    ), message
    assert run_log_rows(workspace)[-1]["status"] == "locked"

    with _holding(WRITER, published) as writer:
        message = _dbt_error(project, orders, monkeypatch, "build")
    assert re.fullmatch(_writer_message(published, writer), message), message
    assert run_log_rows(workspace)[-1]["status"] == "failed"

    size = published.stat().st_size
    disk_free = size // 3
    monkeypatch.setattr(
        "salesdw.pipeline.publish.shutil.disk_usage", lambda path: SimpleNamespace(free=disk_free)
    )
    needed = max(size, 16 * 2**20 + 5 * orders.stat().st_size)
    # The failed build's working copy, which this build would delete first, counts as free.
    free = disk_free + (workspace.working_db.stat().st_size if workspace.working_db.exists() else 0)
    assert _dbt_error(project, orders, monkeypatch, "build") == (
        f"error: not enough disk space in {workspace.build_dir}: a build needs about {needed / 1e6:.1f} MB "
        f"free for its working copy beside the {size / 1e6:.1f} MB published warehouse (publishing keeps "
        f"both until the switch), and {free / 1e6:.1f} MB is free; free some space or build into a data "
        "directory on a bigger disk"
    )
    assert file_state(published) == before


def test_runner_estimates_free_space_up_front(
    bad_rows_build: BuildRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = Workspace(tmp_path / "data")
    workspace.data_dir.mkdir()
    shutil.copy2(bad_rows_build.workspace.published_db, workspace.published_db)
    size = workspace.published_db.stat().st_size
    free = size // 2
    monkeypatch.setattr("salesdw.pipeline.publish.shutil.disk_usage", lambda path: SimpleNamespace(free=free))
    lines: list[str] = []
    raw = Path(__file__).parent / "fixtures" / "bad_rows.csv"
    code = run_build(BuildRequest(raw_path=raw), workspace, echo=lines.append)
    assert code == EXIT_NO_SPACE
    needed = max(size, 16 * 2**20 + 5 * raw.stat().st_size)
    assert lines[0] == (
        f"error: not enough disk space in {workspace.data_dir}: a build needs about {needed / 1e6:.1f} MB "
        f"free for its working copy beside the {size / 1e6:.1f} MB published warehouse (publishing keeps "
        f"both until the switch), and {free / 1e6:.1f} MB is free; free some space or build into a data "
        "directory on a bigger disk"
    )
    assert run_log_rows(workspace)[-1]["status"] == "failed"


def _node(status: str, message: str = "") -> NodeResult:
    return NodeResult("test.x.t", "t", "test", "staging", status, None, None, message, None)


@pytest.mark.parametrize(
    ("statuses", "empty", "publish"),
    [
        (["success", "pass", "warn"], False, True),  # a warning test does not stop publishing
        (["success", "fail"], False, False),
        (["success", "error"], False, False),
        (["success", "skipped"], False, False),  # skipped because something upstream failed
        ([], False, False),  # nothing ran
        (["success", "pass"], True, False),  # --empty builds empty tables
    ],
)
def test_publish_only_when_every_node_passed(statuses: list[str], empty: bool, publish: bool) -> None:
    assert judge([_node(status) for status in statuses], empty=empty).publish is publish


KILLED_WRITER = textwrap.dedent(
    """
    import os, sys, duckdb
    # Writes to the published file directly and dies before a checkpoint: its rows are only in the WAL.
    connection = duckdb.connect(sys.argv[1])
    connection.execute("insert into t select range from range(1000, 1500)")
    os._exit(0)
    """
)


def _count(db_path: Path) -> int:
    with open_published(db_path) as connection:
        return int(connection.execute("select count(*) from t").fetchall()[0][0])


def test_publisher_keeps_a_wal_beside_the_published_file_and_never_replays_it(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "data")
    workspace.data_dir.mkdir()
    with duckdb.connect(str(workspace.published_db)) as connection:
        connection.execute("create table t as select range as i from range(1000)")
    subprocess.run([sys.executable, "-c", KILLED_WRITER, str(workspace.published_db)], check=True)
    assert wal_of(workspace.published_db).exists()

    publisher = DuckDBFilePublisher(workspace)
    publisher.prepare(full_refresh=False)
    assert _count(workspace.working_db) == 1500  # the copy holds the WAL's rows too
    with duckdb.connect(str(workspace.working_db)) as connection:
        connection.execute("insert into t values (-1)")
    publisher.publish()
    assert not wal_of(workspace.published_db).exists() and not workspace.working_db.exists()
    assert _count(workspace.published_db) == 1501


def test_publisher_refuses_a_file_still_open_or_a_writer_on_the_published_file(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "data")
    workspace.data_dir.mkdir()
    with duckdb.connect(str(workspace.published_db)) as connection:
        connection.execute("create table t as select range as i from range(10)")
    publisher = DuckDBFilePublisher(workspace)
    publisher.prepare(full_refresh=False)
    before = file_state(workspace.published_db)
    with duckdb.connect(str(workspace.working_db)), pytest.raises(PublishError, match="still open"):
        publisher.publish()
    with (
        _holding(WRITER, workspace.published_db) as writer,
        pytest.raises(WarehouseInUse, match=f"PID {writer}"),
    ):
        publisher.publish()
    assert file_state(workspace.published_db) == before and workspace.working_db.exists()
    publisher.publish()
    assert _count(workspace.published_db) == 10


def test_data_that_cannot_make_a_warehouse_gets_the_runners_screen(project: PlainProject) -> None:
    """A plain `dbt build` of the CD log whose spec (SALESDW_INPUT_SPEC) forgot date_format: every row is
    rejected; the staging gate fails and the plugin prints the runner's screen in words, publishes nothing
    and records bad input."""
    published = project.workspace.published_db
    before = file_state(published)
    spec = "columns:\n  customer_id: customer_no\n  order_date: purchased\n  amount: dollars\n"
    raw = PROJECT_ROOT / "tests" / "fixtures" / "own_data" / "cdnow_log.csv"
    build = project.dbt("build", "--full-refresh", raw=raw, extra_env={"SALESDW_INPUT_SPEC": spec})
    output = _output(build)
    assert build.returncode == 1, output
    screen = [line.split("salesdw: ", 1)[1] for line in output.splitlines() if "salesdw: " in line]
    assert screen[0] == (
        "error: the data cannot make a warehouse: all 924 rows read were rejected; the top reason is "
        "unparseable_date (924 rows, e.g. '19970101' (cdnow_log.csv row 1))"
    )
    assert "input spec: SALESDW_INPUT_SPEC" in screen
    assert any(
        line.startswith("what to change: Set date_format in the input spec")
        for line in (line.strip() for line in screen)
    )
    assert not any(line.startswith("FAILED") for line in screen)
    assert file_state(published) == before
    last = run_log_rows(project.workspace)[-1]
    assert last["status"] == "bad_input"
