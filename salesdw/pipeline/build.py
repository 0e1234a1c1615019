"""The build: check the input, run `dbt build` on a working copy, publish it only when everything passed."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from types import FrameType
from typing import Any

import duckdb

from salesdw.inputs.input_check import (
    STRAY_BYTE_ENCODING,
    InputError,
    InputReport,
    check_csv_shape,
    check_raw_input,
    read_columns,
    scan_file,
    stage_as_utf8,
)
from salesdw.inputs.marketing_check import MarketingReport, check_marketing_dir, stage_marketing_as_utf8
from salesdw.inputs.spec import load_spec
from salesdw.paths import DEFAULT_RAW_PATH, Workspace
from salesdw.pipeline.dbt_invoke import NO_DBT_ARTIFACTS, BuildOutcome, run_dbt
from salesdw.pipeline.dbt_session import disk_full_hint, runner_session, working_counts
from salesdw.pipeline.incremental import full_refresh_reason
from salesdw.pipeline.locking import BuildLocked, build_lock
from salesdw.pipeline.publish import (
    DuckDBFilePublisher,
    NotEnoughSpace,
    WarehouseInUse,
    check_free_space,
    writer_message,
)
from salesdw.pipeline.rejections import (
    format_short_summary,
    gate_failed,
    read_load_rejections,
    row_label,
    unusable_input_screen,
)
from salesdw.pipeline.run_log import (
    RunRecord,
    append_run,
    close_interrupted_runs,
    describe_files,
    describe_scans,
)
from salesdw.pipeline.summary import (
    dbt_wall_seconds,
    format_counts,
    format_layers,
    marketing_summary,
    summarise_layers,
    warehouse_counts,
)
from salesdw.pipeline.unchanged import (
    build_fingerprint,
    known_scans,
    may_scope_data_tests,
    record_fingerprint,
    reuse_scan,
    scan_facts,
    unchanged_since_last_build,
)
from salesdw.readers import open_published, table_exists, warehouse_facts

EXIT_OK = 0
EXIT_BUILD_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_LOCKED = 3
EXIT_NO_SPACE = 4
EXIT_INTERRUPTED = 130

Printer = Callable[[str], None]


@dataclass
class BuildRequest:
    raw_path: Path = DEFAULT_RAW_PATH
    full_refresh: bool = False
    as_of_date: str | None = None
    verbose: bool = False
    # dbt unit tests check the SQL against hand-made inputs, not the data: CI runs them
    # (tests/test_dbt_unit_tests.py) and a plain `dbt build` runs them; the runner skips them for speed.
    unit_tests: bool = False
    # Refresh <export_dir>/campaign_targets.csv after publishing (--no-export skips it).
    export: bool = True
    # The optional marketing files (ad_spend*, touchpoints*); None = none (SALESDW_MARKETING_DIR='').
    marketing_dir: Path | None = None
    # How to read an export that does not have the default columns (salesdw/inputs/spec.py).
    input_spec: Path | None = None
    # Stop (exit 2) when more than this share of the rows read is rejected (None: the
    # max_rejected_row_share var, 0.5).
    max_rejected_share: float | None = None
    extra_dbt_args: list[str] = field(default_factory=list)
    # Build even when the inputs, the code and the settings are those of the published warehouse (the
    # "nothing changed" shortcut, salesdw/pipeline/unchanged.py). --full-refresh always builds.
    rebuild: bool = False


def dbt_environment(
    workspace: Workspace,
    report: InputReport,
    as_of_date: str | None,
    encoding: str = "utf-8",
    marketing: MarketingReport | None = None,
    max_rejected_share: float | None = None,
    tests_check_the_latest_load: bool = False,
) -> dict[str, str]:
    """What the dbt project reads from the environment (env vars, not --vars: those force a re-parse)."""
    return {
        "SALES_RAW_PATH": report.pattern,
        "SALESDW_MARKETING_DIR": str(marketing.directory) if marketing else "",
        "SALES_RAW_ENCODING": encoding,
        # The dbt-duckdb plugin (dbt_plugin.py) finds the working copy and the published file from it.
        "SALESDW_DATA_DIR": str(workspace.data_dir),
        "SALESDW_TEMP_DIR": str(workspace.temp_dir),
        "SALESDW_AS_OF_DATE": as_of_date or "",
        # Empty for the default columns (the same value as a plain `dbt build`, so dbt's parse stays warm).
        "SALESDW_INPUT_SPEC": report.spec.to_env() if report.spec else "",
        "SALESDW_MAX_REJECTED_ROW_SHARE": "" if max_rejected_share is None else str(max_rejected_share),
        # The incremental models' data tests check only the latest load's keys (macros/generic_tests.sql);
        # always set, so a value inherited from the caller's environment never decides it.
        "SALESDW_TEST_SCOPE": "latest_load" if tests_check_the_latest_load else "",
    }


def dbt_build_args(workspace: Workspace, request: BuildRequest) -> list[str]:
    return [
        "build",
        "--target-path",
        str(workspace.target_dir),
        "--log-path",
        str(workspace.target_dir / "logs"),
        *(["--full-refresh"] if request.full_refresh else []),
        *([] if request.unit_tests else ["--exclude-resource-type", "unit_test"]),
        *request.extra_dbt_args,
    ]


def run_build(request: BuildRequest, workspace: Workspace, echo: Printer = print) -> int:
    """The whole build; returns the process exit status and prints what happened in plain words."""
    record = RunRecord.start("build", str(request.raw_path), as_of_date=request.as_of_date)
    try:
        check_as_of_date(request.as_of_date)
        spec = load_spec(request.input_spec) if request.input_spec else None
        report = check_raw_input(request.raw_path, spec)
        marketing = check_marketing_dir(request.marketing_dir) if request.marketing_dir else None
    except InputError as error:
        return _bad_input(workspace, record, error, echo)
    record.inputs = describe_files((*report.files, *(marketing.files if marketing else ())))
    if report.extra_columns:
        echo(f"note: ignoring extra column(s): {', '.join(report.extra_columns)}")
    try:
        # Before anything is read or started; the dbt plugin checks again once it holds the lock.
        check_free_space(workspace, report.total_bytes, request.full_refresh)
    except NotEnoughSpace as error:
        return _no_space(workspace, record, error, echo)

    try:
        with build_lock(workspace, record), _sigterm_as_interrupt():
            for run in close_interrupted_runs(workspace, workspace.published_db):
                echo(
                    f"note: an earlier build (pid {run['pid']}, started {run['started_at']}) was "
                    f"interrupted: {run['message']}"
                )
            append_run(workspace, record)
            try:
                return _locked_build(request, workspace, report, marketing, record, echo)
            except InputError as error:
                return _bad_input(workspace, record, error, echo)
    except BuildLocked as locked:
        echo(f"error: {locked}")
        append_run(workspace, record.finish("locked", message=str(locked)))
        return EXIT_LOCKED
    except KeyboardInterrupt:
        published = record.status == "publishing"
        state = "was already published" if published else f"({workspace.published_db}) is unchanged"
        echo(f"interrupted: the published warehouse {state}")
        append_run(
            workspace, record.finish("interrupted", message=f"interrupted; published warehouse {state}")
        )
        return EXIT_INTERRUPTED


def check_as_of_date(as_of_date: str | None) -> None:
    """A bad --as-of-date is bad input (one line), not a SQL error halfway through the build."""
    if not as_of_date:
        return
    try:
        date.fromisoformat(as_of_date)
    except ValueError:
        raise InputError(f"--as-of-date {as_of_date!r}: not a date in the form YYYY-MM-DD") from None


def _no_space(workspace: Workspace, record: RunRecord, error: Exception, echo: Printer) -> int:
    echo(f"error: {error}")
    echo(f"The published warehouse ({workspace.published_db}) was not touched.")
    append_run(workspace, record.finish("failed", message=str(error)))
    return EXIT_NO_SPACE


def _bad_input(workspace: Workspace, record: RunRecord, error: InputError, echo: Printer) -> int:
    echo(f"error: {error}")
    if error.hint:
        echo(f"hint: {error.hint}")
    echo(f"The published warehouse ({workspace.published_db}) was not touched.")
    append_run(workspace, record.finish("bad_input", message=str(error)))
    return EXIT_BAD_INPUT


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """`kill PID` stops a build like Ctrl-C does: recorded as interrupted, nothing published."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _scan_inputs(
    workspace: Workspace,
    report: InputReport,
    marketing: MarketingReport | None,
    record: RunRecord,
    echo: Printer,
    fingerprint: dict[str, Any],
) -> tuple[InputReport, MarketingReport | None]:
    """One full read of each input (checksums for the run log, a UTF-8 check), then the input as dbt reads
    it: unchanged, or staged as UTF-8 when some file is not (see input_check.stage_as_utf8). A file the
    last published build already scanned, still at the same size and modification time, is not read again
    (its recorded scan is reused: a daily build reads the new day's file, not the year before it); the
    scans go into the fingerprint for the next build."""
    is_text = report.spec is None or report.spec.format != "parquet"
    known = known_scans(workspace)
    marketing_files = marketing.files if marketing else ()
    reused = {path: reuse_scan(known, path) for path in (*report.files, *marketing_files)}
    scans = tuple(reused[path] or scan_file(path, text=is_text) for path in report.files)
    marketing_scans = tuple(reused[path] or scan_file(path) for path in marketing.files) if marketing else ()
    fingerprint["scans"] = scan_facts((*scans, *marketing_scans))
    record.inputs = describe_scans((*scans, *marketing_scans))
    staged = stage_as_utf8(report, scans, workspace.build_dir / "utf8")
    if marketing:
        marketing = stage_marketing_as_utf8(
            marketing, marketing_scans, workspace.build_dir / "utf8_marketing"
        )
    is_utf8 = staged is report and all(scan.is_utf8 for scan in marketing_scans)
    record.encoding = "utf-8" if is_utf8 else f"utf-8 (stray bytes read as {STRAY_BYTE_ENCODING})"
    for scan in (*scans, *marketing_scans):
        if not scan.is_utf8:
            echo(
                f"note: {scan.path} is not valid UTF-8 (first at line {scan.first_bad_line}): its stray "
                f"bytes are read as {STRAY_BYTE_ENCODING} from a UTF-8 copy in {workspace.build_dir / 'utf8'}"
                "; values they make unparseable are rejected"
            )
    spec = staged.spec
    if spec is None or spec.format == "csv":
        delimiter, header = (spec.delimiter or ",", spec.header) if spec else (",", True)
        for path in staged.files:
            # A file checked by the last published build and unchanged since (a UTF-8 file is read in
            # place, so its staged path is its own) had the right shape then and has it now.
            if reused.get(path) is None:
                check_csv_shape(path, read_columns(path, spec), "utf-8", delimiter, header)
    return staged, marketing


def _data_cannot_make_a_warehouse(
    workspace: Workspace, report: InputReport, record: RunRecord, echo: Printer, max_share: float | None
) -> int:
    """The staging gate failed: one screen of reasons instead of a test name; exit 2, nothing published."""
    spec_name = report.spec.name if report.spec else "none (the default columns)"
    lines = unusable_input_screen(
        workspace.working_db, workspace.published_db, spec_name, max_share, row_label(report.spec)
    )
    for line in lines:
        echo(line)
    message = lines[0].removeprefix("error: ")
    append_run(workspace, record.finish("bad_input", counts=working_counts(workspace), message=message))
    return EXIT_BAD_INPUT


def _locked_build(
    request: BuildRequest,
    workspace: Workspace,
    report: InputReport,
    marketing: MarketingReport | None,
    record: RunRecord,
    echo: Printer,
) -> int:
    fingerprint = _fingerprint(workspace, request, report, marketing)
    if not (request.full_refresh or request.rebuild):
        built_at = unchanged_since_last_build(workspace, fingerprint)
        if built_at is not None:
            return _unchanged(request, workspace, report, marketing, record, built_at, echo)
    report, marketing = _scan_inputs(workspace, report, marketing, record, echo, fingerprint)
    full_refresh = request.full_refresh
    if not full_refresh:
        marketing_files = marketing.files if marketing else ()
        spec_text = report.spec.to_env() if report.spec else ""
        try:
            reason = full_refresh_reason(
                workspace.published_db, report, request.as_of_date, marketing_files, spec_text
            )
        except duckdb.Error as error:
            # Another process writing the published file: the same line (and exit 3) as when the working
            # copy finds it, not a traceback.
            writer = writer_message(workspace.published_db, error)
            if not writer:
                raise
            echo(f"error: {writer}")
            append_run(workspace, record.finish("locked", message=writer))
            return EXIT_LOCKED
        if reason:
            echo(f"note: full refresh: {reason}")
            full_refresh = True
    echo(f"building from {report.pattern} ({len(report.files)} file(s), {report.total_bytes:,} bytes)")
    if marketing:
        echo(f"marketing from {marketing.describe()}")
    # dbt's on-run-end hook publishes the working copy when every node passed: the same path as a plain
    # `dbt build` (dbt_session, dbt_plugin); this session tells it the runner holds the lock and writes the
    # run log, and starts the working copy now, in a thread, so the copy overlaps importing dbt.
    with runner_session(
        workspace, record, DuckDBFilePublisher(workspace), report.total_bytes, full_refresh=full_refresh
    ) as session:
        outcome: BuildOutcome = run_dbt(
            [*dbt_build_args(workspace, replace(request, full_refresh=full_refresh)), NO_DBT_ARTIFACTS],
            dbt_environment(
                workspace,
                report,
                request.as_of_date,
                marketing=marketing,
                max_rejected_share=request.max_rejected_share,
                tests_check_the_latest_load=not full_refresh and may_scope_data_tests(workspace, fingerprint),
            ),
            quiet=not request.verbose,
            daily=not full_refresh,
        )
    echo(format_layers(summarise_layers(outcome.nodes), dbt_wall_seconds(outcome.nodes)))
    if not session.published and gate_failed(outcome):
        return _data_cannot_make_a_warehouse(workspace, report, record, echo, request.max_rejected_share)
    if not session.published:
        failed = tuple(node for node in outcome.failed_nodes if node.resource_type != "operation")
        for node in failed:
            echo(f"FAILED: {node.describe()}")
        if session.error and not failed:
            echo(f"error: {session.error}")
        elif not failed:
            echo(f"FAILED: {outcome.error or 'dbt reported a failure'}")
        hint = disk_full_hint(failed, workspace)
        if hint:
            echo(hint)
        echo(f"The published warehouse ({workspace.published_db}) is unchanged.")
        append_run(
            workspace,
            record.finish(
                "failed",
                counts=working_counts(workspace),
                failing_nodes=[node.unique_id for node in failed],
                message=failed[0].describe() if failed else session.error or outcome.error or "",
            ),
        )
        if isinstance(session.failure, NotEnoughSpace):
            return EXIT_NO_SPACE
        return EXIT_LOCKED if isinstance(session.failure, WarehouseInUse) else EXIT_BUILD_FAILED

    record_fingerprint(workspace, fingerprint)
    # Refresh <export_dir>/campaign_targets.csv from the just-published warehouse (read-only, tmp file +
    # rename). Never raises: a failure is one warning line and leaves the published build as it is.
    from salesdw.outputs.export import drop_build_export, refresh_build_export

    if request.export:
        refresh_build_export(workspace, echo)
    else:
        drop_build_export(workspace, echo)
    counts: dict[str, Any] = {}
    try:
        with open_published(workspace.published_db) as connection:
            counts = warehouse_facts(connection)
            if table_exists(connection, "dim_customer"):
                counts = warehouse_counts(connection)
                echo(format_counts(counts))
                marketing_line = marketing_summary(connection)
                if marketing_line:
                    echo(marketing_line)
            load = read_load_rejections(connection, row_label(report.spec))
            for line in format_short_summary(load) if load else []:
                echo(line)
            from salesdw.outputs.insights import print_key_insights

            print_key_insights(connection, echo)
    except duckdb.Error as error:
        # The build is published and good; only the summary failed: say so, still record the success.
        echo(f"note: published, but the summary could not be read: {error}")
    append_run(workspace, record.finish("success", counts=counts))
    echo(f"published {workspace.published_db} at {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC")
    return EXIT_OK


def _fingerprint(
    workspace: Workspace, request: BuildRequest, report: InputReport, marketing: MarketingReport | None
) -> dict[str, Any]:
    """What this build's result depends on (salesdw/pipeline/unchanged.py): the files as found on disk (not
    their UTF-8 copies), the code, and every option that changes what dbt builds."""
    settings = {
        "raw": report.pattern,
        "as_of_date": request.as_of_date or "",
        "input_spec": report.spec.to_env() if report.spec else "",
        "marketing_dir": str(marketing.directory) if marketing else "",
        "max_rejected_share": request.max_rejected_share,
        "unit_tests": request.unit_tests,
        "extra_dbt_args": list(request.extra_dbt_args),
    }
    files = (*report.files, *(marketing.files if marketing else ()))
    return build_fingerprint(workspace, files, settings)


def _unchanged(
    request: BuildRequest,
    workspace: Workspace,
    report: InputReport,
    marketing: MarketingReport | None,
    record: RunRecord,
    built_at: str,
    echo: Printer,
) -> int:
    """Nothing to build: say so, keep the export in step (write it if it is missing, remove it with
    --no-export) and log the run as unchanged."""
    files = len(report.files) + (len(marketing.files) if marketing else 0)
    echo(
        f"nothing changed: the {files} input file(s) (same sizes and modification times), the code and the "
        f"settings are those of the warehouse published at {built_at}; not rebuilt "
        "(--rebuild builds anyway)"
    )
    from salesdw.outputs.export import BUILD_EXPORT_NAME, drop_build_export, refresh_build_export

    if not request.export:
        drop_build_export(workspace, echo)
    elif not (workspace.export_dir / BUILD_EXPORT_NAME).exists():
        refresh_build_export(workspace, echo)
    counts: dict[str, Any] = {}
    try:
        with open_published(workspace.published_db) as connection:
            counts = warehouse_facts(connection)
    except duckdb.Error:
        pass
    append_run(workspace, record.finish("unchanged", counts=counts, message="nothing changed; not rebuilt"))
    echo(f"published {workspace.published_db} (unchanged)")
    return EXIT_OK
