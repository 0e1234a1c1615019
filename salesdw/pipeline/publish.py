"""Write-audit-publish, the engine's part: a build writes a working copy, and one atomic step publishes it.

`Publisher` is the small interface a build needs from the engine. DuckDB's (`DuckDBFilePublisher`) is a file:
the working copy starts as a copy of the published file and is renamed onto it. A Spark warehouse (issue 15)
would build into a staging schema and swap it in. When to publish (every node passed), the build lock, the
run log and the words on failure are engine-neutral and live in dbt_session."""

from __future__ import annotations

import errno
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb

from salesdw.paths import Workspace
from salesdw.pipeline.dbt_invoke import one_line
from salesdw.readers import attach_read_only

# A first build's working copy is about this many bytes per input byte, plus a fixed part (seeds, catalog,
# empty tables). Measured: the 40k-order sample 1.5 MB -> 11 MB, 1M orders 46 MB -> 170 MB (3.7x), 100M
# orders 4.5 GB -> 19.2 GB (4.3x). Rounded up: it is an estimate that should err on the side of room.
WAREHOUSE_BYTES_PER_INPUT_BYTE = 5
WAREHOUSE_BASE_BYTES = 16 * 2**20


class PublishError(Exception):
    """The build cannot start or cannot publish; the message is one line: the cause and what to do."""


class NotEnoughSpace(PublishError):
    """The disk cannot hold a working copy beside the published warehouse."""


class WarehouseInUse(PublishError):
    """Another process has the published warehouse open for writing."""


class Publisher(Protocol):
    """What a build needs from the engine to write aside and publish in one step."""

    @property
    def working_name(self) -> str:
        """Where the build writes, in words (a path, a schema)."""
        ...

    @property
    def published_name(self) -> str:
        """What readers read, in words."""
        ...

    def prepare(self, full_refresh: bool, input_bytes: int = 0) -> None:
        """Starts the working copy from what is published (empty on a full refresh), so incremental models
        only add what is new. Raises PublishError when that cannot be done (no room, a writer)."""
        ...

    def publish(self) -> None:
        """Makes the working copy what readers read, atomically. Readers that are reading keep their view."""
        ...


def wal_of(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".wal")


def _gigabytes(size: int) -> str:
    return f"{size / 1e9:.2f} GB" if size >= 1e8 else f"{size / 1e6:.1f} MB"


def estimate_working_bytes(published_bytes: int, input_bytes: int, full_refresh: bool) -> int:
    """The working copy's size at the end of a build: at least the copy of the published warehouse (unless
    it is rebuilt from scratch), at least what the input makes."""
    from_input = WAREHOUSE_BASE_BYTES + WAREHOUSE_BYTES_PER_INPUT_BYTE * input_bytes
    return max(0 if full_refresh else published_bytes, from_input)


def check_free_space(workspace: Workspace, input_bytes: int, full_refresh: bool) -> None:
    """Publishing keeps two warehouses on disk until the rename (the published one and the working copy):
    refuse up front, in words, when the working copy will not fit, rather than fail half-way."""
    published = workspace.published_db
    published_bytes = published.stat().st_size if published.exists() else 0
    needed = estimate_working_bytes(published_bytes, input_bytes, full_refresh)
    probe = workspace.build_dir if workspace.build_dir.exists() else workspace.data_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    # The old working copy is deleted before the new one is written: its space counts as free.
    for leftover in (workspace.working_db, wal_of(workspace.working_db)):
        if leftover.exists():
            free += leftover.stat().st_size
    if free < needed:
        beside = f" beside the {_gigabytes(published_bytes)} published warehouse" if published_bytes else ""
        raise NotEnoughSpace(
            f"not enough disk space in {probe}: a build needs about {_gigabytes(needed)} free for its "
            f"working copy{beside} (publishing keeps both until the switch), and {_gigabytes(free)} is free; "
            "free some space or build into a data directory on a bigger disk"
        )


_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def writer_message(db_path: Path, error: duckdb.Error) -> str | None:
    """DuckDB's lock error in words, or None when the error is something else."""
    match = _LOCK_HOLDER.search(str(error))
    if not match:
        return None
    program = Path(match["program"]).name or "another program"
    return (
        f"{db_path} is open for writing in another process ({program}, PID {match['pid']}): close that "
        "connection, or open it with read_only=True, and run again"
    )


@contextmanager
def no_writer(db_path: Path, must_read: bool = True) -> Iterator[None]:
    """Holds a read-only attach of `db_path` for the duration: it proves no other process is writing the file
    and keeps one from starting (a writer needs an exclusive lock), while readers are not disturbed. A file
    that cannot be read for another reason raises only when `must_read` (e.g. a rebuild from scratch does not
    read the published warehouse)."""
    try:
        connection = attach_read_only(db_path)
    except duckdb.Error as error:
        message = writer_message(db_path, error)
        if message:
            raise WarehouseInUse(message) from None
        if must_read:
            raise PublishError(
                f"cannot read the published warehouse {db_path} ({one_line(str(error))}): rebuild it from "
                "scratch with `dbt build --full-refresh` (or `python run_pipeline.py --full-refresh`)"
            ) from None
        yield
        return
    try:
        yield
    finally:
        connection.close()


def open_in_this_process(path: Path) -> bool:
    """Whether this process still has `path` open (Linux: /proc/self/fd). Publishing a file that something
    could still write to would let that write land in the published warehouse."""
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.is_dir():
        return False
    target = str(path.resolve())
    for entry in fd_dir.iterdir():
        try:
            if os.readlink(entry) == target:
                return True
        except OSError:
            continue
    return False


def _copy(source: Path, target: Path) -> None:
    try:
        shutil.copyfile(source, target)
    except OSError as error:
        target.unlink(missing_ok=True)
        if error.errno == errno.ENOSPC:
            raise NotEnoughSpace(
                f"the disk holding {target.parent} filled up while copying the published warehouse "
                f"({_gigabytes(source.stat().st_size)}) to start the working copy: free some space and run "
                "again"
            ) from None
        raise PublishError(f"cannot copy {source} to {target}: {error.strerror}") from None


@dataclass(frozen=True)
class DuckDBFilePublisher:
    """The warehouse is one DuckDB file; the working copy is another file in build/, renamed onto it."""

    workspace: Workspace

    @property
    def working_name(self) -> str:
        return str(self.workspace.working_db)

    @property
    def published_name(self) -> str:
        return str(self.workspace.published_db)

    def prepare(self, full_refresh: bool, input_bytes: int = 0) -> None:
        workspace = self.workspace
        check_free_space(workspace, input_bytes, full_refresh)
        workspace.build_dir.mkdir(parents=True, exist_ok=True)
        # A killed build leaves its working copy, WAL and spill files: never reuse them (we hold the lock).
        shutil.rmtree(workspace.temp_dir, ignore_errors=True)
        workspace.temp_dir.mkdir(parents=True, exist_ok=True)
        for leftover in (workspace.working_db, wal_of(workspace.working_db)):
            leftover.unlink(missing_ok=True)
        published = workspace.published_db
        if not published.exists():
            return
        with no_writer(published, must_read=not full_refresh):
            if full_refresh:
                return
            _copy(published, workspace.working_db)
            # A WAL beside the published file (someone wrote to it directly) is part of its content.
            if wal_of(published).exists():
                _copy(wal_of(published), wal_of(workspace.working_db))

    def publish(self) -> None:
        """Atomic on POSIX: readers holding the old file keep reading it; new readers see the new one."""
        workspace = self.workspace
        working = workspace.working_db
        if open_in_this_process(working):
            raise PublishError(f"{working} is still open in this process: not publishing a file in use")
        if wal_of(working).exists():
            # Closed without a checkpoint: fold the WAL in, so the published file is self-contained.
            with duckdb.connect(str(working)) as connection:
                connection.execute("checkpoint")
        published = workspace.published_db
        with no_writer(published, must_read=False) if published.exists() else _nothing():
            # A WAL beside the published file belongs to the old file (someone wrote to it directly);
            # replayed onto the new one it would corrupt it.
            wal_of(published).unlink(missing_ok=True)
            os.replace(working, published)
        directory = os.open(workspace.data_dir, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


@contextmanager
def _nothing() -> Iterator[None]:
    yield
