"""One build at a time per warehouse: an advisory lock on a file beside it, naming its holder."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from salesdw.paths import Workspace

if TYPE_CHECKING:
    from salesdw.pipeline.run_log import RunRecord


class BuildLocked(Exception):
    """Another build holds the warehouse."""


@contextmanager
def build_lock(workspace: Workspace, record: RunRecord) -> Iterator[None]:
    """Held for the whole build; the kernel releases it if the process dies, even by SIGKILL."""
    descriptor = acquire_build_lock(workspace, record)
    try:
        yield
    finally:
        os.close(descriptor)


def acquire_build_lock(workspace: Workspace, record: RunRecord) -> int:
    """Takes the lock and names its holder in the lock file; returns the descriptor, whose closing (or the
    process's end) releases it. Raises BuildLocked naming the holder when another build has it."""
    workspace.data_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(workspace.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise BuildLocked(_holder_message(workspace)) from None
    holder = {
        "pid": os.getpid(),
        "started_at": record.started_at,
        "input": record.input,
        "run_id": record.run_id,
        "command": record.command,
    }
    # Write, then cut: a waiting build never reads an empty file (at worst a longer stale tail).
    content = json.dumps(holder).encode()
    os.pwrite(descriptor, content, 0)
    os.ftruncate(descriptor, len(content))
    return descriptor


def _holder_message(workspace: Workspace) -> str:
    try:
        # raw_decode: ignores a stale tail left for an instant between the holder's write and its cut.
        holder, _ = json.JSONDecoder().raw_decode(workspace.lock_file.read_text() or "{}")
    except (OSError, ValueError):
        holder = {}
    if not isinstance(holder, dict):
        holder = {}
    who = ", ".join(
        f"{label} {holder.get(key, '?')}"
        for label, key in (("pid", "pid"), ("started", "started_at"), ("input", "input"))
    )
    return (
        f"another build is running on {workspace.data_dir} ({who}); this one did not start: "
        "wait for it to finish and retry (`run_pipeline.py status` shows it)"
    )
