"""The build: check the input, run `dbt build` on a working copy, publish it only when everything passed."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from salesdw.dbt_invoke import BuildOutcome, run_dbt
from salesdw.incremental import full_refresh_reason
from salesdw.input_check import InputError, InputReport, check_raw_input
from salesdw.locking import BuildLocked, build_lock
from salesdw.paths import DEFAULT_RAW_PATH, Workspace
from salesdw.readers import open_published
from salesdw.run_log import RunRecord, append_run, describe_inputs
from salesdw.summary import format_counts, format_layers, summarise_layers, warehouse_counts

EXIT_OK = 0
EXIT_BUILD_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_LOCKED = 3

Printer = Callable[[str], None]


@dataclass
class BuildRequest:
    raw_path: Path = DEFAULT_RAW_PATH
    full_refresh: bool = False
    as_of_date: str | None = None
    verbose: bool = False
    extra_dbt_args: list[str] = field(default_factory=list)


def dbt_environment(workspace: Workspace, report: InputReport, as_of_date: str | None) -> dict[str, str]:
    """What the dbt project reads from the environment (env vars, not --vars: those force a re-parse)."""
    return {
        "SALES_RAW_PATH": report.pattern,
        "SALESDW_DB_PATH": str(workspace.working_db),
        "SALESDW_TEMP_DIR": str(workspace.temp_dir),
        "SALESDW_AS_OF_DATE": as_of_date or "",
    }


def dbt_build_args(workspace: Workspace, request: BuildRequest) -> list[str]:
    return [
        "build",
        "--target-path",
        str(workspace.target_dir),
        "--log-path",
        str(workspace.target_dir / "logs"),
        *(["--full-refresh"] if request.full_refresh else []),
        *request.extra_dbt_args,
    ]


def prepare_working_copy(workspace: Workspace, full_refresh: bool) -> None:
    """Starts the working copy from the published warehouse, so incremental models only add what is new."""
    workspace.build_dir.mkdir(parents=True, exist_ok=True)
    workspace.temp_dir.mkdir(parents=True, exist_ok=True)
    for leftover in (workspace.working_db, workspace.working_db.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    if workspace.published_db.exists() and not full_refresh:
        shutil.copyfile(workspace.published_db, workspace.working_db)


def publish(workspace: Workspace) -> None:
    """Atomic on POSIX: readers holding the old file keep reading it; new readers see the new one."""
    os.replace(workspace.working_db, workspace.published_db)
    directory = os.open(workspace.data_dir, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def run_build(request: BuildRequest, workspace: Workspace, echo: Printer = print) -> int:
    """The whole build; returns the process exit status and prints what happened in plain words."""
    record = RunRecord.start("build", str(request.raw_path))
    try:
        report = check_raw_input(request.raw_path)
    except InputError as error:
        echo(f"error: {error}")
        echo("The published warehouse was not touched.")
        append_run(workspace, record.finish("bad_input", message=str(error)))
        return EXIT_BAD_INPUT
    record.inputs = describe_inputs(report)
    if report.extra_columns:
        echo(f"note: ignoring extra column(s): {', '.join(report.extra_columns)}")

    try:
        with build_lock(workspace, record):
            return _locked_build(request, workspace, report, record, echo)
    except BuildLocked as locked:
        echo(f"error: {locked}")
        append_run(workspace, record.finish("locked", message=str(locked)))
        return EXIT_LOCKED
    except KeyboardInterrupt:
        echo("interrupted: the published warehouse is unchanged")
        append_run(workspace, record.finish("interrupted", message="interrupted by the user"))
        raise


def _locked_build(
    request: BuildRequest, workspace: Workspace, report: InputReport, record: RunRecord, echo: Printer
) -> int:
    full_refresh = request.full_refresh
    if not full_refresh:
        reason = full_refresh_reason(workspace.published_db, report, request.as_of_date)
        if reason:
            echo(f"note: full refresh: {reason}")
            full_refresh = True
    prepare_working_copy(workspace, full_refresh)
    echo(f"building from {report.pattern} ({len(report.files)} file(s), {report.total_bytes:,} bytes)")
    outcome: BuildOutcome = run_dbt(
        dbt_build_args(workspace, request),
        dbt_environment(workspace, report, request.as_of_date),
        quiet=not request.verbose,
    )
    echo(format_layers(summarise_layers(outcome.nodes)))
    if not outcome.success:
        failed = outcome.failed_nodes
        for node in failed:
            echo(f"FAILED: {node.describe()}")
        if not failed:
            echo(f"FAILED: {outcome.error or 'dbt reported a failure'}")
        echo(f"The published warehouse ({workspace.published_db}) is unchanged.")
        append_run(
            workspace,
            record.finish(
                "failed",
                failing_nodes=[node.unique_id for node in failed],
                message=outcome.error or (failed[0].describe() if failed else ""),
            ),
        )
        return EXIT_BUILD_FAILED

    publish(workspace)
    # Post-publish step (analyst experience, issue 4; owner of salesdw/export.py): refresh
    # <export_dir>/campaign_targets.csv from the just-published warehouse (read-only, tmp file + rename).
    # Never raises: a failure is one warning line and leaves the published build as it is.
    from salesdw.export import refresh_build_export

    refresh_build_export(workspace, echo)
    with open_published(workspace.published_db) as connection:
        counts = warehouse_counts(connection)
        echo(format_counts(counts))
        from salesdw.insights import print_key_insights

        print_key_insights(connection, echo)
    append_run(workspace, record.finish("success", counts=counts))
    echo(f"published {workspace.published_db} at {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC")
    return EXIT_OK
