"""Write-audit-publish under stress: killed builds, open readers, two builds at once, the run history."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from salesdw.paths import PROJECT_ROOT, Workspace
from salesdw.pipeline.build import EXIT_LOCKED
from salesdw.readers import open_published
from tests.helpers import BuildRun, build_warehouse, write_random_orders
from tests.test_reliability_support import (
    READER,
    STAGING_ONLY,
    LogWatcher,
    file_state,
    lock_holder_pid,
    run_cli,
    run_log_rows,
    start_cli,
    table_contents,
    wait_for,
)

FIXTURE = Path(__file__).parent / "fixtures" / "bad_rows.csv"


@pytest.fixture(scope="module")
def reference(bad_rows_build: BuildRun) -> BuildRun:
    """An uninterrupted full build of the bad-rows fixture (the session's, shared with test_staging): what
    every other build of that file must publish."""
    assert bad_rows_build.exit_code == 0, bad_rows_build.output
    return bad_rows_build


def _workspace_with(published: Path, data_dir: Path) -> Workspace:
    workspace = Workspace(data_dir)
    data_dir.mkdir(parents=True)
    shutil.copy2(published, workspace.published_db)
    return workspace


def _models(layer: str) -> set[str]:
    return {path.stem for path in (PROJECT_ROOT / "models" / layer).glob("*.sql")}


def test_killed_builds_leave_the_warehouse_and_the_next_build_recovers(
    reference: BuildRun, tmp_path: Path
) -> None:
    """SIGTERM (like Ctrl-C) during staging, then SIGKILL during staging and during the business layer; each
    time the published warehouse is untouched, and the next normal build publishes exactly what an
    uninterrupted build does."""
    workspace = _workspace_with(reference.workspace.published_db, tmp_path / "data")
    before = file_state(workspace.published_db)
    log_file = workspace.target_dir / "logs" / "dbt.log"
    for layer, signal_number in (
        ("staging", signal.SIGTERM),
        ("staging", signal.SIGKILL),
        ("business", signal.SIGKILL),
    ):
        models = _models(layer)
        assert models, f"no {layer} models to interrupt"
        watcher = LogWatcher(log_file)
        # Most of the fixture's rows are bad by design: the staging gate's limit is raised (conftest).
        process = start_cli(
            str(FIXTURE), "--full-refresh", "--max-rejected-share", "0.9", data_dir=workspace.data_dir
        )
        try:
            started = wait_for(
                lambda models=models, watcher=watcher: set(watcher.started_models()) & models,
                timeout=300,
                what=f"a {layer} model to start",
                process=process,
            )
            process.send_signal(signal_number)
            output, _ = process.communicate(timeout=120)
        finally:
            process.kill()
            process.wait()
        if signal_number == signal.SIGTERM:
            assert process.returncode == 130, output
            assert f"interrupted: the published warehouse ({workspace.published_db}) is unchanged" in output
        else:
            assert process.returncode == -signal.SIGKILL, f"killed during {layer} ({started})"
        assert file_state(workspace.published_db) == before, (
            f"published changed by a build stopped in {layer}"
        )
        assert workspace.working_db.exists(), "the build should have left a half-built working copy"
    # Worse leftovers than a kill makes: a stray WAL beside the working copy and spill files.
    (workspace.build_dir / "warehouse.duckdb.wal").write_bytes(b"not a wal")
    workspace.temp_dir.mkdir(parents=True, exist_ok=True)
    (workspace.temp_dir / "duckdb_temp_storage-0.tmp").write_bytes(b"\0" * 1024)

    recovery = build_warehouse(FIXTURE, workspace.data_dir, full_refresh=True, max_rejected_share=0.9)
    assert recovery.exit_code == 0, recovery.output
    # Each build closes the run its predecessor left open: this one reports the last SIGKILL.
    assert recovery.output.count("was interrupted: the process ended without finishing (killed?)") == 1
    expected, actual = (
        table_contents(reference.workspace.published_db),
        table_contents(workspace.published_db),
    )
    assert sorted(actual) == sorted(expected)
    for name in expected:
        pd.testing.assert_frame_equal(actual[name], expected[name], obj=name)
    statuses = [row["status"] for row in run_log_rows(workspace)]
    assert statuses == [
        *["running", "interrupted"],  # SIGTERM: recorded by the build itself
        *["running", "interrupted"],  # SIGKILL: closed by the next build
        *["running", "interrupted"],
        *["running", "success"],
    ]


def test_open_reader_never_blocks_a_build_and_keeps_its_snapshot(reference: BuildRun, tmp_path: Path) -> None:
    workspace = _workspace_with(reference.workspace.published_db, tmp_path / "data")
    new_input = tmp_path / "new.csv"
    write_random_orders(new_input, n_orders=50, seed=5, n_customers=20)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(workspace.published_db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert int(reader.stdout.readline()) == 25
        with open_published(workspace.published_db) as same_process_reader:
            run = build_warehouse(new_input, workspace.data_dir, extra_dbt_args=STAGING_ONLY)
            assert run.exit_code == 0, run.output
            # A new reader, even in a process that still holds a connection, sees the new warehouse ...
            with open_published(workspace.published_db) as fresh:
                assert fresh.execute("select raw_row_count from stg_sales_reconciliation").fetchall() == [
                    (50,)
                ]
            # ... while open connections keep reading the snapshot they opened.
            old = same_process_reader.execute("select raw_row_count from stg_sales_reconciliation").fetchall()
            assert old == [(25,)]
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert int(reader.stdout.readline()) == 25
    finally:
        reader.kill()
        reader.wait()


DRIVER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from salesdw.pipeline.build import BuildRequest, run_build
    from salesdw.paths import Workspace
    request = BuildRequest(raw_path=Path(sys.argv[1]), extra_dbt_args=sys.argv[3:])
    sys.exit(run_build(request, Workspace(Path(sys.argv[2]))))
    """
)


@pytest.fixture(scope="module")
def two_builds(reference: BuildRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A build holding the lock (frozen by SIGSTOP, so the timing is deterministic) and a second build
    started meanwhile; then the first is resumed and finishes."""
    folder = tmp_path_factory.mktemp("two_builds")
    workspace = _workspace_with(reference.workspace.published_db, folder / "data")
    before = file_state(workspace.published_db)
    new_input = folder / "new.csv"
    write_random_orders(new_input, n_orders=60, seed=3, n_customers=30)
    first = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(new_input), str(workspace.data_dir), *STAGING_ONLY],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:
        # Holding the lock and having logged its start (frozen between the two, the history would show
        # the refused build first).
        wait_for(
            lambda: (
                lock_holder_pid(workspace) == first.pid
                and any(row["pid"] == first.pid for row in run_log_rows(workspace))
            ),
            120,
            "the first build to take the lock",
            first,
        )
        os.kill(first.pid, signal.SIGSTOP)
        second = run_cli(str(new_input), data_dir=workspace.data_dir)
        published_while_locked = file_state(workspace.published_db)
        os.kill(first.pid, signal.SIGCONT)
        first_output, _ = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            os.kill(first.pid, signal.SIGCONT)
            first.kill()
        first.wait()
    yield {
        "workspace": workspace,
        "before": before,
        "first": first,
        "first_output": first_output,
        "second": second,
        "published_while_locked": published_while_locked,
    }


def test_second_build_exits_naming_the_running_one(two_builds: dict[str, object]) -> None:
    workspace = two_builds["workspace"]
    first = two_builds["first"]
    second = two_builds["second"]
    assert isinstance(workspace, Workspace) and isinstance(second, subprocess.CompletedProcess)
    assert isinstance(first, subprocess.Popen)
    assert second.returncode == EXIT_LOCKED
    line = second.stdout.splitlines()[0]
    assert line.startswith(
        f"error: another build is running on {workspace.data_dir} (pid {first.pid}, started 20"
    )
    assert "new.csv" in line and "this one did not start" in line
    # The refused build touched nothing; the first one finished and published.
    assert two_builds["published_while_locked"] == two_builds["before"]
    assert first.returncode == 0, two_builds["first_output"]
    with open_published(workspace.published_db) as connection:
        assert connection.execute(
            "select raw_row_count, is_reconciled from stg_sales_reconciliation"
        ).fetchall() == [(60, True)]


def test_run_history_and_status(two_builds: dict[str, object], tmp_path: Path) -> None:
    workspace = two_builds["workspace"]
    assert isinstance(workspace, Workspace)
    runs = run_log_rows(workspace)
    final = {row["run_id"]: row for row in runs}
    statuses = sorted(row["status"] for row in final.values())
    assert statuses == ["locked", "success"]
    success = next(row for row in final.values() if row["status"] == "success")
    assert success["inputs"][0]["path"].endswith("new.csv") and len(success["inputs"][0]["sha256"]) == 64
    assert success["counts"]["raw_row_count"] == 60 and success["counts"]["clean_row_count"] == 60
    assert success["finished_at"] >= success["started_at"] and success["encoding"] == "utf-8"

    status = run_cli("status", data_dir=workspace.data_dir)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0].split() == ["started", "(UTC)", "secs", "status", "input", "in", "clean", "rej"]
    # One line per run, in the order they started: the first build (success), then the refused one.
    table = lines[2 : lines.index("")]
    assert [line.split()[3] for line in table] == ["success", "locked"], status.stdout
    assert all("new.csv" in line for line in table)
    assert f"published warehouse {workspace.published_db}" in status.stdout
    assert "rows       raw 60, clean 60, rejected 0" in status.stdout
    assert re.search(r"as of      2021-\d\d-\d\d \(last order date\)", status.stdout), status.stdout
    assert "orders     60 (2021-" in status.stdout

    empty = run_cli("status", data_dir=tmp_path / "nothing")
    assert empty.returncode == 0
    assert empty.stdout.splitlines() == [
        "no runs recorded yet",
        "",
        f"no published warehouse yet at {tmp_path / 'nothing' / 'warehouse.duckdb'}: "
        "build it with `python run_pipeline.py`",
    ]
