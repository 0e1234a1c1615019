"""Helpers shared by the tests/test_reliability_*.py modules (this module holds no tests)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from salesdw.paths import Workspace
from salesdw.readers import open_published
from tests.helpers import BuildRun, build_warehouse

ROOT = Path(__file__).resolve().parent.parent
HEADER = "Unnamed: 0,Date,Customer ID,Order ID,Sales"
# Build only the staging layer and the seed it reads; only data tests whose parents are all selected run.
# dbt unit tests are left out: they test SQL logic, not the data, and run in every full build elsewhere.
STAGING_ONLY = [
    *["--select", "+path:models/staging", "--indirect-selection", "cautious"],
    *["--exclude", "test_type:unit"],
]


# A notebook-like reader process: prints the raw row count, waits for a line on stdin, prints it again.
READER = textwrap.dedent(
    """
    import sys, duckdb
    # As a notebook does: one read-only connection, opened once and kept open.
    connection = duckdb.connect(sys.argv[1], read_only=True)
    count = lambda: connection.execute("select raw_row_count from stg_sales_reconciliation").fetchall()[0][0]
    print(count(), flush=True)
    sys.stdin.readline()
    print(count(), flush=True)
    """
)


@dataclass(frozen=True)
class FileState:
    """What 'untouched' means for a file: same inode, bytes and modification time."""

    exists: bool
    inode: int | None = None
    mtime_ns: int | None = None
    sha256: str | None = None


def file_state(path: Path) -> FileState:
    if not path.exists():
        return FileState(False)
    stat = path.stat()
    return FileState(True, stat.st_ino, stat.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())


def build(raw_path: Path, data_dir: Path, staging_only: bool = False, **request: Any) -> BuildRun:
    extra = [*STAGING_ONLY] if staging_only else []
    return build_warehouse(raw_path, data_dir, extra_dbt_args=extra + request.pop("extra", []), **request)


def run_cli(*args: str, data_dir: Path, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, str(ROOT / "run_pipeline.py"), "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def start_cli(*args: str, data_dir: Path) -> subprocess.Popen[str]:
    """A build in the background, with dbt's debug log file (LogWatcher follows its progress there)."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "run_pipeline.py"), "--data-dir", str(data_dir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env={**os.environ, "SALESDW_DBT_FILE_LOG": "debug"},
    )


def run_log_rows(workspace: Workspace) -> list[dict[str, Any]]:
    if not workspace.run_log.exists():
        return []
    return [json.loads(line) for line in workspace.run_log.read_text().splitlines() if line.strip()]


def wait_for(condition: Callable[[], Any], timeout: float, what: str, process: subprocess.Popen[str]) -> Any:
    """Polls condition() until truthy; fails early if the process ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"process ended (exit {process.returncode}) before {what}:\n{output}")
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class LogWatcher:
    """Reads what dbt appends to its log file from now on (the file is shared by every build)."""

    START = re.compile(r"START sql \w+ model \w+\.(\w+)")

    def __init__(self, log_file: Path) -> None:
        self.log_file = log_file
        self.offset = log_file.stat().st_size if log_file.exists() else 0

    def started_models(self) -> list[str]:
        if not self.log_file.exists():
            return []
        with self.log_file.open("rb") as handle:
            handle.seek(self.offset)
            text = handle.read().decode("utf-8", errors="replace")
        return self.START.findall(text)


def table_contents(db_path: Path) -> dict[str, pd.DataFrame]:
    """Every table and view of a warehouse, rows sorted, for comparing two builds. Columns that measure
    the build itself (`*_seconds`, e.g. a model fit's duration) are left out."""
    with open_published(db_path) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'main' order by 1"
            ).fetchall()
        ]
        contents = {}
        for name in names:
            frame = connection.execute(f'select * from "{name}"').df()
            frame = frame[[column for column in frame.columns if not column.endswith("_seconds")]]
            contents[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
        return contents


def lock_holder_pid(workspace: Workspace) -> int | None:
    try:
        holder, _ = json.JSONDecoder().raw_decode(workspace.lock_file.read_text())
    except (OSError, ValueError):
        return None
    return holder.get("pid") if isinstance(holder, dict) else None
