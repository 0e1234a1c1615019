"""The run history: JSON lines beside the warehouse (a failed run is never published, so the log cannot live
inside it). A build appends a `running` row when it takes the lock and a final row when it ends, both with
its run_id; a process killed in between leaves only the first, which the next build (or `status`) reports
as `interrupted`. Rows are appended with one O_APPEND write each, so concurrent runs never interleave."""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from salesdw.inputs.input_check import FileScan
from salesdw.paths import Workspace

FINAL_STATUSES = ("success", "failed", "bad_input", "locked", "interrupted")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class RunRecord:
    command: str
    input: str
    started_at: str
    started_monotonic: float
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    pid: int = field(default_factory=os.getpid)
    as_of_date: str | None = None
    encoding: str | None = None
    inputs: list[dict[str, Any]] = field(default_factory=list)
    finished_at: str | None = None
    seconds: float | None = None
    status: str = "running"
    counts: dict[str, Any] = field(default_factory=dict)
    failing_nodes: list[str] = field(default_factory=list)
    message: str = ""

    @classmethod
    def start(cls, command: str, raw_input: str, as_of_date: str | None = None) -> RunRecord:
        return cls(
            command=command,
            input=raw_input,
            started_at=_now(),
            started_monotonic=time.monotonic(),
            as_of_date=as_of_date,
        )

    def finish(
        self,
        status: str,
        counts: dict[str, Any] | None = None,
        failing_nodes: list[str] | None = None,
        message: str = "",
    ) -> RunRecord:
        self.status = status
        self.finished_at = _now()
        self.seconds = round(time.monotonic() - self.started_monotonic, 3)
        self.counts = counts or {}
        self.failing_nodes = failing_nodes or []
        self.message = message
        return self


def describe_files(files: tuple[Path, ...]) -> list[dict[str, Any]]:
    """Path and size only: for runs that stop before reading the input (bad input, locked)."""
    return [{"path": str(path), "bytes": _size(path), "sha256": None} for path in files]


def describe_scans(scans: tuple[FileScan, ...]) -> list[dict[str, Any]]:
    """Path, size and the SHA-256 computed by the input scan (the one full read before dbt)."""
    return [{"path": str(scan.path), "bytes": scan.size, "sha256": scan.sha256} for scan in scans]


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def append_run(workspace: Workspace, record: RunRecord) -> None:
    """One line per call, written with a single O_APPEND write (atomic between processes on a local disk)."""
    workspace.data_dir.mkdir(parents=True, exist_ok=True)
    entry = asdict(record)
    entry.pop("started_monotonic")
    line = (json.dumps(entry, default=_json_default) + "\n").encode("utf-8")
    descriptor = os.open(workspace.run_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, line)
    finally:
        os.close(descriptor)


def _read_rows(workspace: Workspace) -> list[dict[str, Any]]:
    """Every parseable row; a line torn by a crash or power loss is skipped, never fatal."""
    if not workspace.run_log.exists():
        return []
    rows = []
    for line in workspace.run_log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def _merged(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per run (its latest row), in the order the runs started."""
    runs: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = row.get("run_id") or f"line-{len(runs)}"
        runs[key] = {**runs.get(key, {}), **row}
    return list(runs.values())


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_runs(workspace: Workspace, last: int = 10) -> list[dict[str, Any]]:
    """The last runs, oldest first. A `running` run whose process is gone is shown as `interrupted`."""
    runs = _merged(_read_rows(workspace))[-last:] if last else _merged(_read_rows(workspace))
    for run in runs:
        if run.get("status") == "running" and not _pid_alive(run.get("pid")):
            run["status"] = "interrupted"
            run["message"] = run.get("message") or "the process ended without finishing (killed?)"
    return runs


def close_interrupted_runs(workspace: Workspace, published_db: Path) -> list[dict[str, Any]]:
    """Called by a build once it holds the lock: any run still `running` is dead (the lock proves no other
    build is alive), so append its `interrupted` row. Says whether it got as far as publishing."""
    closed = []
    for run in _merged(_read_rows(workspace)):
        if run.get("status") != "running":
            continue
        record = RunRecord(
            command=run.get("command", "build"),
            input=run.get("input", ""),
            started_at=run.get("started_at", ""),
            started_monotonic=time.monotonic(),
            run_id=run.get("run_id", ""),
            pid=run.get("pid", 0),
            as_of_date=run.get("as_of_date"),
            encoding=run.get("encoding"),
            inputs=run.get("inputs", []),
        )
        record.finish("interrupted", message=_interrupted_message(run, published_db))
        record.finished_at = None
        record.seconds = None
        append_run(workspace, record)
        closed.append(asdict(record))
    return closed


def _interrupted_message(run: dict[str, Any], published_db: Path) -> str:
    """The published file's mtime is its working copy's last write: newer than the run's start means that
    run published before it died."""
    try:
        published_at = datetime.fromtimestamp(published_db.stat().st_mtime, timezone.utc)
        started_at = datetime.fromisoformat(run.get("started_at", ""))
    except (OSError, ValueError):
        return "the process ended without finishing (killed?); the published warehouse was not changed"
    if published_at >= started_at:
        return "the process ended after publishing, before recording its result"
    return "the process ended without finishing (killed?); the published warehouse was not changed"


def last_successful_run(workspace: Workspace) -> dict[str, Any] | None:
    successes = [run for run in _merged(_read_rows(workspace)) if run.get("status") == "success"]
    return successes[-1] if successes else None
