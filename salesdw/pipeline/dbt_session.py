"""One dbt invocation against the warehouse: what it may touch, and whether what it built is published.

The rules, the same for a plain `dbt build` and for the runner:
* build, run, seed, snapshot and clone write a working copy, never the published warehouse, under the build
  lock; at the end of the run (on-run-end, macros/finish_build.sql) the copy is published only when every
  node passed (models built, error-severity tests passed, nothing skipped);
* every other command (test, show, docs generate, compile, run-operation, debug) reads the published
  warehouse read-only, so it runs beside readers and beside a build;
* `dbt retry` is refused: it would publish the retried nodes on top of the old warehouse.

The runner holds the lock and writes its own run log rows; it registers its session (`runner_session`) so
the dbt-duckdb plugin, which calls `start_write_session` for every writing dbt command, uses it instead of
starting its own. The engine's part of publishing is a `Publisher` (publish.py): this module decides when."""

from __future__ import annotations

import atexit
import glob
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from salesdw.inputs.input_check import InputError, InputReport, check_raw_input
from salesdw.inputs.marketing_check import marketing_files
from salesdw.inputs.spec import spec_from_env
from salesdw.paths import Workspace
from salesdw.pipeline.dbt_invoke import NodeResult
from salesdw.pipeline.incremental import full_refresh_reason
from salesdw.pipeline.locking import BuildLocked, acquire_build_lock
from salesdw.pipeline.publish import Publisher, PublishError, writer_message
from salesdw.pipeline.rejections import GATE_TEST, row_label, unusable_input_screen
from salesdw.pipeline.run_log import (
    RunRecord,
    append_run,
    close_interrupted_runs,
    describe_files,
)
from salesdw.pipeline.summary import format_counts, warehouse_counts
from salesdw.readers import WarehouseNotBuilt, fetch_dicts, open_published, table_exists, warehouse_facts

WRITE_COMMANDS = frozenset({"build", "run", "seed", "snapshot", "clone"})
# Commands that read the raw input: checked before the build starts (missing file, wrong columns, ...).
INPUT_COMMANDS = frozenset({"build", "run"})
REFUSED_COMMANDS = {
    "retry": (
        "`dbt retry` is not supported here: it would publish the retried nodes on top of the old warehouse, "
        "mixing two builds; run `dbt build` again (partial parsing keeps it quick)"
    ),
}
_NOT_PASSED = {"error", "fail", "runtime error", "skipped"}
# The input spec of a plain dbt build (its YAML text; macros/input_spec.sql reads the same variable).
SPEC_ENV = "SALESDW_INPUT_SPEC"

Printer = Callable[[str], None]


class SessionError(Exception):
    """dbt cannot do its job; the message is one line naming the cause and what to do."""


def mode_of(command: str) -> str:
    """'write' (working copy, then publish), 'read' (the published warehouse, read-only) or 'refused'."""
    if command in REFUSED_COMMANDS:
        return "refused"
    return "write" if command in WRITE_COMMANDS else "read"


@dataclass(frozen=True)
class Verdict:
    """Whether a finished run may be published, and if not, why (in words)."""

    publish: bool
    failed: tuple[NodeResult, ...] = ()
    reason: str = ""


def judge(nodes: Sequence[NodeResult], empty: bool = False) -> Verdict:
    """Publish only when something ran and every node passed: a failed test, an error and a node skipped
    because of one each keep the published warehouse as it is. Warnings (severity warn) pass."""
    if empty:
        return Verdict(
            False, reason="an --empty run builds empty tables to check the SQL; it is not published"
        )
    if not nodes:
        return Verdict(False, reason="nothing ran")
    failed = tuple(node for node in nodes if node.status in _NOT_PASSED)
    if not failed:
        return Verdict(True)
    errors = [node for node in failed if node.status != "skipped"]
    skipped = len(failed) - len(errors)
    parts = [f"{len(errors)} node(s) failed"] if errors else []
    if skipped:
        parts.append(f"{skipped} skipped")
    return Verdict(False, failed=failed, reason=" and ".join(parts))


def disk_full_hint(nodes: Sequence[NodeResult], workspace: Workspace) -> str | None:
    """A node that failed because the disk filled up: say so, and what to do, in one line."""
    if not any("No space left on device" in node.message for node in nodes):
        return None
    return (
        f"the disk holding {workspace.data_dir} is full: free some space (a build needs room for a working "
        "copy beside the published warehouse, about as big) and run again"
    )


@dataclass
class BuildSession:
    """A writing dbt run: its working copy, its lock and its run log record."""

    workspace: Workspace
    publisher: Publisher
    record: RunRecord
    # The runner holds the lock and writes the run log itself; a plain dbt session does both here.
    runner_owned: bool = False
    input_bytes: int = 0
    lock_descriptor: int | None = None
    published: bool = False
    finished: bool = False
    error: str | None = None
    # Why the run could not start or publish (PublishError, NotEnoughSpace, ...), for the runner's exit code.
    failure: Exception | None = None
    messages: list[str] = field(default_factory=list)
    # The runner's working copy, started before dbt (runner_session); consumed by start_write_session.
    early_start: EarlyStart | None = None

    def finish(self, nodes: Sequence[NodeResult], empty: bool = False) -> Verdict:
        """Called once at the end of the run, after the engine has closed the working copy: publishes it if
        the run was green, records the run (plain dbt) and says what happened in `messages`."""
        verdict = judge(nodes, empty)
        published = self.publisher.published_name
        if verdict.publish:
            self.record.status = "publishing"
            try:
                self.publisher.publish()
            except (PublishError, OSError, duckdb.Error) as error:
                self.failure = error
                self._end("failed", f"not published: {error}", verdict)
                raise PublishError(self.error or str(error)) from None
            self.published = True
            if not self.runner_owned:
                self._after_plain_publish()
            self._end("success", f"published {published} ({len(nodes)} nodes passed)", verdict)
            return verdict
        gate = not self.runner_owned and any(
            node.name == GATE_TEST and node.status != "skipped" for node in verdict.failed
        )
        if gate:
            # The data cannot make a warehouse: the runner's one screen of reasons, not a test name.
            self.messages.extend(self._gate_screen())
        else:
            lines = [f"{node.describe()}" for node in verdict.failed if node.status != "skipped"]
            self.messages.extend(f"FAILED: {line}" for line in lines)
        hint = disk_full_hint(verdict.failed, self.workspace)
        if hint:
            self.messages.append(hint)
        self._end(
            "bad_input" if gate else "failed",
            f"not published: {verdict.reason}; the published warehouse {published} is unchanged"
            + (f"; the working copy {self.publisher.working_name} is kept for inspection" if nodes else ""),
            verdict,
        )
        return verdict

    def _after_plain_publish(self) -> None:
        """What the runner does after publishing, for a plain dbt build: the summary line and the CSV export,
        so exports/campaign_targets.csv stays in step with the warehouse (SALESDW_NO_EXPORT=1 removes it
        instead, like the runner's --no-export)."""
        from salesdw.outputs.export import drop_build_export, refresh_build_export

        with (
            suppress(WarehouseNotBuilt, duckdb.Error, OSError),
            open_published(self.workspace.published_db) as connection,
        ):
            if table_exists(connection, "dim_customer"):
                self.messages.extend(format_counts(warehouse_counts(connection)).splitlines())
        if os.environ.get("SALESDW_NO_EXPORT"):
            drop_build_export(self.workspace, self.messages.append)
        else:
            refresh_build_export(self.workspace, self.messages.append)

    def _gate_screen(self) -> list[str]:
        try:
            spec = spec_from_env(os.environ.get(SPEC_ENV, ""))
        except InputError:
            spec = None
        return unusable_input_screen(
            self.workspace.working_db,
            self.workspace.published_db,
            SPEC_ENV if spec else "none (the default columns)",
            row_label=row_label(spec),
        )

    def fail(self, status: str, message: str) -> None:
        """The run stops before it could finish (bad input, no room, a writer on the published file)."""
        self._end(status, message, None)

    def _end(self, status: str, message: str, verdict: Verdict | None) -> None:
        if self.finished:
            return
        self.finished = True
        self.messages.append(message)
        if status != "success":
            self.error = message
        if self in _OPEN_SESSIONS:
            _OPEN_SESSIONS.remove(self)
        if not self.runner_owned:
            failing = (
                [node.unique_id for node in verdict.failed if node.status != "skipped"] if verdict else []
            )
            # Counts of what this run built; a run stopped before building has none (the working copy on
            # disk is an earlier run's).
            if status == "success":
                counts = published_counts(self.workspace)
            else:
                counts = working_counts(self.workspace) if verdict is not None else {}
            append_run(
                self.workspace,
                self.record.finish(status, counts=counts, failing_nodes=failing, message=message),
            )
            self.release()

    def release(self) -> None:
        if self.lock_descriptor is not None:
            os.close(self.lock_descriptor)
            self.lock_descriptor = None


class EarlyStart:
    """The runner's `publisher.prepare()` in a thread, started before the runner imports dbt: the copy of the
    published warehouse (at 10M orders 2.3-3.8 GB, ~4 s of the kernel's copying) overlaps importing dbt and
    its parse (Python, on the other core) instead of following them. start_write_session waits for it and
    raises what it raised, so a full disk or another writer stop the build exactly as before."""

    def __init__(self, publisher: Publisher, full_refresh: bool, input_bytes: int) -> None:
        self.full_refresh = full_refresh
        self.error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._prepare, args=(publisher, input_bytes), name="salesdw-working-copy", daemon=True
        )
        self._thread.start()

    def _prepare(self, publisher: Publisher, input_bytes: int) -> None:
        try:
            publisher.prepare(self.full_refresh, input_bytes)
        except BaseException as error:  # handed to the thread that waits
            self.error = error

    def wait(self) -> None:
        self._thread.join()


# The runner's sessions, by data directory: a writing dbt command inside the runner joins the runner's.
_RUNNER_SESSIONS: dict[Path, BuildSession] = {}
# Plain dbt sessions still open in this process (closed by end_open_sessions or at exit).
_OPEN_SESSIONS: list[BuildSession] = []


@contextmanager
def runner_session(
    workspace: Workspace,
    record: RunRecord,
    publisher: Publisher,
    input_bytes: int = 0,
    full_refresh: bool | None = None,
) -> Iterator[BuildSession]:
    """The runner's build: it holds the lock and writes the run log; dbt writes the working copy and the
    on-run-end hook publishes it, exactly as for a plain `dbt build`. With `full_refresh` (what the runner
    passes dbt), the working copy starts at once, in a thread (EarlyStart)."""
    session = BuildSession(workspace, publisher, record, runner_owned=True, input_bytes=input_bytes)
    if full_refresh is not None:
        session.early_start = EarlyStart(publisher, full_refresh, input_bytes)
    early_start = session.early_start
    _RUNNER_SESSIONS[workspace.data_dir] = session
    try:
        yield session
    finally:
        _RUNNER_SESSIONS.pop(workspace.data_dir, None)
        # Never leave a copy running behind the runner (dbt failed to start, or Ctrl-C).
        if early_start is not None:
            early_start.wait()


def start_write_session(
    workspace: Workspace,
    command: str,
    publisher: Publisher,
    full_refresh: bool,
    raw_path: str | None = None,
    as_of_date: str | None = None,
    echo: Printer | None = None,
    marketing_dir: str | None = None,
) -> BuildSession:
    """Called when a writing dbt command opens the warehouse: joins the runner's session, or starts a plain
    dbt one (lock, run log, input check); then starts the working copy. Raises SessionError in words."""
    session = _RUNNER_SESSIONS.get(workspace.data_dir)
    if session is None:
        session = _start_plain_session(
            workspace, command, publisher, full_refresh, raw_path, as_of_date, echo, marketing_dir
        )
    early_start, session.early_start = session.early_start, None
    try:
        if early_start is not None:
            early_start.wait()
        if early_start is not None and early_start.full_refresh == full_refresh:
            if early_start.error is not None:
                raise early_start.error
        else:
            session.publisher.prepare(full_refresh, session.input_bytes)
    except PublishError as error:
        session.failure = error
        session.fail("failed", str(error))
        raise SessionError(str(error)) from None
    return session


def _start_plain_session(
    workspace: Workspace,
    command: str,
    publisher: Publisher,
    full_refresh: bool,
    raw_path: str | None,
    as_of_date: str | None,
    echo: Printer | None,
    marketing_dir: str | None = None,
) -> BuildSession:
    uses_input = command in INPUT_COMMANDS and raw_path is not None
    record = RunRecord.start(f"dbt {command}", raw_path or "", as_of_date=as_of_date or None)
    try:
        descriptor = acquire_build_lock(workspace, record)
    except BuildLocked as locked:
        append_run(workspace, record.finish("locked", message=str(locked)))
        raise SessionError(str(locked)) from None
    session = BuildSession(workspace, publisher, record, lock_descriptor=descriptor)
    _OPEN_SESSIONS.append(session)
    for run in close_interrupted_runs(workspace, workspace.published_db):
        if echo:
            echo(f"note: an earlier build (pid {run['pid']}, started {run['started_at']}) was interrupted")
    append_run(workspace, record)
    if uses_input:
        assert raw_path is not None
        try:
            report = check_plain_dbt_input(raw_path)
            record.inputs = describe_files(report.files)
            session.input_bytes = report.total_bytes
            # Named as DuckDB names them (a relative directory stays relative), like the sales files.
            marketing = marketing_files(Path(marketing_dir)) if marketing_dir else ()
            reason = (
                None
                if full_refresh
                else full_refresh_reason(
                    workspace.published_db, report, as_of_date, marketing, os.environ.get(SPEC_ENV, "")
                )
            )
        except InputError as error:
            session.fail("bad_input", str(error))
            raise SessionError(str(error)) from None
        except duckdb.Error as error:
            writer = writer_message(workspace.published_db, error)
            if writer:
                session.fail("failed", writer)
                raise SessionError(writer) from None
            reason = None
            if echo:
                echo(f"note: could not compare the input with what is loaded ({error})")
        if reason:
            message = f"{reason}: the loaded rows would be stale; run `dbt {command} --full-refresh`"
            session.fail("bad_input", message)
            raise SessionError(message)
    return session


def check_plain_dbt_input(raw_path: str) -> InputReport:
    """The runner's input check, for the path the staging source reads (SALES_RAW_PATH): the files named as
    DuckDB names them (relative stays relative), so they compare with what the warehouse has loaded."""
    if Path(raw_path).is_dir():
        raise InputError(
            f"{raw_path}: a directory; dbt reads SALES_RAW_PATH with read_csv, so give a file or a glob such "
            f"as '{Path(raw_path) / '*.csv'}'"
        )
    report = check_raw_input(raw_path, spec_from_env(os.environ.get(SPEC_ENV, "")))
    if glob.has_magic(raw_path):
        files = tuple(Path(name) for name in sorted(glob.glob(raw_path)) if Path(name).is_file())
    else:
        files = (Path(raw_path),)
    return replace(report, files=files)


def end_open_sessions(status: str = "interrupted") -> None:
    """Plain dbt sessions whose run never reached its end (an error before the hooks, Ctrl-C): recorded as
    not published and their lock released. Nothing was published: that happens only at the end."""
    for session in list(_OPEN_SESSIONS):
        session.fail(
            status,
            "dbt stopped before the end of the run (Ctrl-C, or an error before its end); nothing was "
            "published",
        )


atexit.register(end_open_sessions)


def published_counts(workspace: Workspace) -> dict[str, Any]:
    try:
        with open_published(workspace.published_db) as connection:
            return warehouse_facts(connection)
    except (WarehouseNotBuilt, duckdb.Error, OSError):
        return {}


def working_counts(workspace: Workspace) -> dict[str, Any]:
    """Row counts of a failed build's working copy, if staging got that far (for the run log)."""
    with (
        suppress(WarehouseNotBuilt, duckdb.Error, IndexError, OSError),
        open_published(workspace.working_db) as connection,
    ):
        if table_exists(connection, "stg_sales_reconciliation"):
            return fetch_dicts(
                connection,
                "select raw_row_count, clean_row_count, rejected_row_count, collapsed_duplicate_count "
                "from stg_sales_reconciliation",
            )[0]
    return {}
