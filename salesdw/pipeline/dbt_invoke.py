"""Runs dbt in-process (dbtRunner) and turns its results into plain per-node records."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from salesdw.paths import PROJECT_ROOT, RUN_NODES_FILE

LAYERS: tuple[str, ...] = ("seeds", "staging", "warehouse", "clv", "business")
_FAILED_STATUSES = {"error", "fail", "runtime error"}

#: dbt's flag that leaves out its JSON artifacts: manifest.json (written twice per build, after the parse and
#: again at the end) and run_results.json, ~1 s of GIL-held Python per build whatever its size (DECISIONS.md,
#: "The daily build"). The runner's DuckDB build passes it and writes what it and the benchmark read
#: (write_run_artifacts); plain dbt and the Spark build keep dbt's.
NO_DBT_ARTIFACTS = "--no-write-json"


@dataclass(frozen=True)
class NodeResult:
    """One dbt node's outcome, reduced to what the summary and the run log need."""

    unique_id: str
    name: str
    resource_type: str
    layer: str
    status: str
    started_at: datetime | None
    completed_at: datetime | None
    message: str
    failures: int | None

    @property
    def failed(self) -> bool:
        return self.status in _FAILED_STATUSES

    def describe(self) -> str:
        """The node in plain words, e.g. 'data test unique_fact_returns_return_id (warehouse layer)'."""
        kind = {"unit_test": "unit test", "test": "data test"}.get(self.resource_type, self.resource_type)
        if self.failures:
            detail = f"{self.failures} failing row(s)"
        else:
            detail = _error_detail(self.message, self.status)
        return f"{kind} {self.name} ({self.layer} layer): {detail}"


@dataclass(frozen=True)
class BuildOutcome:
    success: bool
    nodes: tuple[NodeResult, ...]
    error: str | None = None

    @property
    def failed_nodes(self) -> tuple[NodeResult, ...]:
        return tuple(node for node in self.nodes if node.failed)


@contextmanager
def environment(overrides: Mapping[str, str]) -> Iterator[None]:
    """Sets environment variables for the duration of a dbt call (dbt reads env_var() from os.environ)."""
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def release_duckdb() -> None:
    """Closes dbt-duckdb's process-wide connection so the database file can be moved or reopened."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = DuckDBConnectionManager._ENV
    if env is not None:
        env.close()
    DuckDBConnectionManager.close_all_connections()
    # A plain dbt session in this process that never reached its end: record it and release its lock.
    from salesdw.pipeline.dbt_session import end_open_sessions

    end_open_sessions()


def file_log_level() -> str:
    """dbt's log file (logs/dbt.log in the target directory): debug (written by DebugLog), unless
    SALESDW_DBT_FILE_LOG says otherwise: `none` leaves it out (the test suite sets it), another level goes to
    dbt's own file logger."""
    return os.environ.get("SALESDW_DBT_FILE_LOG") or "debug"


#: dbt's defaults for its log file: rotated at 10 MB, five old files kept.
_LOG_FILE_MAX_BYTES = 10 * 1024 * 1024
_LOG_FILE_BACKUPS = 5


class DebugLog:
    """dbt's debug log, in dbt's line format, appended to logs/dbt.log by the runner instead of dbt's file
    logger. That logger formats, writes and flushes each event through Python's logging and a rotating file
    handler as it fires: ~0.33 ms of GIL-held time per event, ~1 s of a sample build's ~3,000 events
    (DECISIONS.md, "The daily build"). Here an event is kept in a list (dbt hands every event to its
    callbacks, whatever its log levels), and the lines so far are written in one go before each statement
    dbt runs and each node it starts: the file still shows what a build is busy with while it runs, or
    what it was doing when it was killed."""

    #: The events after which the lines so far are written: a statement about to run, a node starting.
    WRITE_AFTER = frozenset({"SQLQuery", "LogStartLine"})

    def __init__(self, log_dir: Path) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "dbt.log"
        if path.exists() and path.stat().st_size > _LOG_FILE_MAX_BYTES:
            from logging.handlers import RotatingFileHandler

            RotatingFileHandler(path, backupCount=_LOG_FILE_BACKUPS, delay=True).doRollover()
        self._file = path.open("a", encoding="utf-8")
        self._pending: list[Any] = []
        self._lock = threading.Lock()
        from dbt_common.exceptions.base import env_secrets

        self._secrets = env_secrets()  # DBT_ENV_SECRET_* values, masked as dbt's logger masks them

    def __call__(self, message: Any) -> None:
        with self._lock:
            self._pending.append(message)
            if message.info.name in self.WRITE_AFTER:
                self._write_pending()

    def close(self) -> None:
        with self._lock:
            self._write_pending()
            self._file.close()

    def _write_pending(self) -> None:
        if self._pending and not self._file.closed:
            self._file.write("".join(f"{line}\n" for line in self._lines(self._pending)))
            self._file.flush()
        self._pending = []

    def _lines(self, messages: list[Any]) -> Iterator[str]:
        from dbt_common.events.format import timestamp_to_datetime_string
        from dbt_common.exceptions.base import scrub_secrets

        for message in messages:
            info = message.info
            moment = timestamp_to_datetime_string(info.ts)
            if info.name == "MainReportVersion":
                # dbt's separator between invocations in one file
                yield f"\n\n{'=' * 30} {moment} | {info.invocation_id} {'=' * 30}"
            thread = info.thread[:10].ljust(10)
            yield f"{moment} [{info.level:<5}] [{thread}]: {scrub_secrets(info.msg, self._secrets)}"


# Importing dbt imports jsonschema, which imports rfc3987_syntax when it is installed (it comes with
# jupyter's jsonschema[format-nongpl]) to offer an "iri" format check, and that builds a Lark grammar at
# import: ~1.7 s of a ~4 s `import dbt.cli.main`. Nothing in dbt checks formats (no FormatChecker in dbt,
# dbt_common or dbt_semantic_interfaces, no "iri" in their schemas), so the runner's process goes without it.
_UNUSED_IMPORTS = ("rfc3987_syntax",)


def skip_unused_imports() -> None:
    """Makes `import rfc3987_syntax` fail fast (jsonschema then leaves out the "iri" format checks) unless
    something in this process imported it already."""
    for name in _UNUSED_IMPORTS:
        sys.modules.setdefault(name, None)


def run_dbt(args: list[str], env: Mapping[str, str], quiet: bool = True, daily: bool = False) -> BuildOutcome:
    """Invokes dbt with the project root as the project and profiles directory. `daily`: an incremental
    build, whose nodes take the critical-path order (dbt_schedule)."""
    skip_unused_imports()
    from dbt.cli.main import dbtRunner

    from salesdw.pipeline.dbt_schedule import order_critical_path_first

    if "--target-path" in args:
        # The threads profiles.yml gives dbt (SALESDW_THREADS, default 2).
        threads = int(os.environ.get("SALESDW_THREADS") or env.get("SALESDW_THREADS") or 2)
        order_critical_path_first(Path(args[args.index("--target-path") + 1]), threads, daily)

    # Quiet: nothing of dbt's on the console, not even its failure lines (which name tests: the runner says
    # what failed in words, from the node results). Its debug log goes to the file from memory (DebugLog).
    level = file_log_level()
    writes_log = quiet and level == "debug" and "--log-path" in args
    file_level = "none" if writes_log else level
    flags = ["--quiet", "--log-level", "none", "--log-level-file", file_level] if quiet else []
    command = [*flags, *args, "--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT)]
    with environment(env):
        debug_log = DebugLog(Path(args[args.index("--log-path") + 1])) if writes_log else None
        try:
            result = dbtRunner(callbacks=[debug_log] if debug_log else None).invoke(command)
        finally:
            if debug_log:
                debug_log.close()
            release_duckdb()
    if _is_interrupt(result.exception):
        # dbtRunner turns Ctrl-C (and the runner's SIGTERM handler) into a failed result: re-raise it.
        raise KeyboardInterrupt
    if NO_DBT_ARTIFACTS in args and "--target-path" in args:
        write_run_artifacts(Path(args[args.index("--target-path") + 1]), result.result)
    nodes = tuple(_node_results(result.result))
    error = None if result.exception is None else invocation_error(str(result.exception))
    return BuildOutcome(success=bool(result.success), nodes=nodes, error=error)


def write_run_artifacts(target_dir: Path, result: Any) -> None:
    """dbt's run_results.json (the same artifact dbt writes: the next daily build orders its nodes by it,
    dbt_schedule) and run_nodes.json, for a build that ran with NO_DBT_ARTIFACTS."""
    if not hasattr(result, "write") or not hasattr(result, "results"):
        return  # the invocation stopped before any node (its error is reported from the result)
    target_dir.mkdir(parents=True, exist_ok=True)
    result.write(str(target_dir / "run_results.json"))
    nodes = {
        item.node.unique_id: {
            "resource_type": str(getattr(item.node, "resource_type", "")),
            "language": str(getattr(item.node, "language", "") or ""),
            "original_file_path": getattr(item.node, "original_file_path", ""),
        }
        for item in result.results
    }
    # What the benchmark's layer columns need of each node (salesdw.bench.run, build_nodes).
    (target_dir / RUN_NODES_FILE).write_text(json.dumps(nodes))


def _node_results(result: Any) -> Iterator[NodeResult]:
    return node_results_of(list(getattr(result, "results", None) or ()))


def node_results_from_hook(rows: list[dict[str, Any]]) -> tuple[NodeResult, ...]:
    """The results an on-run-end hook hands over as JSON (macros/finish_build.sql), as NodeResults: the
    same records the runner gets from dbtRunner, so both judge and describe nodes the same way."""
    items = [
        SimpleNamespace(
            node=SimpleNamespace(
                unique_id=row["unique_id"],
                name=row.get("name", row["unique_id"]),
                resource_type=row.get("resource_type", ""),
                original_file_path=row.get("original_file_path", ""),
                attached_node=row.get("attached_node"),
                depends_on=SimpleNamespace(nodes=row.get("depends_on") or []),
            ),
            status=row.get("status", ""),
            timing=[],
            message=row.get("message"),
            failures=row.get("failures"),
        )
        for row in rows
    ]
    return tuple(node_results_of(items))


def node_results_of(node_results: list[Any]) -> Iterator[NodeResult]:
    model_layers = {
        item.node.unique_id: _layer_of_path(str(item.node.original_file_path))
        for item in node_results
        if str(item.node.resource_type) in {"model", "seed"}
    }
    for node_result in node_results:
        node = node_result.node
        timings = [timing for timing in node_result.timing if timing.started_at and timing.completed_at]
        yield NodeResult(
            unique_id=node.unique_id,
            name=node.name,
            resource_type=str(node.resource_type),
            layer=_layer_of(node, model_layers),
            status=str(node_result.status),
            started_at=timings[0].started_at if timings else None,
            completed_at=timings[-1].completed_at if timings else None,
            message=str(node_result.message or ""),
            failures=node_result.failures,
        )


def _layer_of_path(path: str) -> str:
    if path.startswith("seeds/"):
        return "seeds"
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "models" and parts[1] in LAYERS else "other"


def _layer_of(node: Any, model_layers: Mapping[str, str]) -> str:
    """Models by folder; a test belongs to the layer of the model it tests, or for a singular test that
    reads several models, to the deepest layer among them (it checks what that layer built)."""
    if node.unique_id in model_layers:
        return model_layers[node.unique_id]
    tested = getattr(node, "attached_node", None) or getattr(node, "tested_node_unique_id", None)
    parents = [tested] if tested else list(getattr(getattr(node, "depends_on", None), "nodes", []))
    layers = [model_layers[parent] for parent in parents if parent in model_layers]
    if layers:
        return max(layers, key=lambda layer: LAYERS.index(layer) if layer in LAYERS else -1)
    return _layer_of_path(str(getattr(node, "original_file_path", "")))


def one_line(text: str) -> str:
    """The first non-blank line of a (DuckDB, dbt) error message."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else text


def invocation_error(text: str) -> str:
    """dbt's error for a whole invocation in one line: its header ('Compilation Error in model x (path)')
    and the sentence under it, which says what is wrong (a macro's raise_compiler_error, a var's check)."""
    header = one_line(text)
    detail = _error_detail(text, "")
    return f"{header}: {detail}" if detail and not detail.startswith(header) else detail or header


def _is_interrupt(exception: BaseException | None) -> bool:
    while exception is not None:
        if isinstance(exception, KeyboardInterrupt):
            return True
        exception = exception.__cause__ or exception.__context__
    return False


# Lines of a DuckDB error worth keeping in the one-line description (a CSV error names line and shape).
_KEY_ERROR_LINES = ("Expected Number of Columns", "file =")


def _error_detail(message: str, status: str) -> str:
    """The informative part of a node's error: dbt's 'Runtime Error in model x (path)' header is dropped
    (describe() names the node already) and a CSV error keeps its line number, column counts and file."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if lines and " Error in " in lines[0] and len(lines) > 1:
        lines = lines[1:]
    if not lines:
        return status
    extra = [line for line in lines[1:] if line.startswith(_KEY_ERROR_LINES)]
    return "; ".join([lines[0], *extra])
