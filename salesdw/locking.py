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
    from salesdw.run_log import RunRecord


class BuildLocked(Exception):
    """Another build holds the warehouse."""


@contextmanager
def build_lock(workspace: Workspace, record: RunRecord) -> Iterator[None]:
    """Held for the whole build; the kernel releases it if the process dies, even by SIGKILL."""
    workspace.data_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(workspace.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildLocked(_holder_message(workspace)) from None
        holder = {"pid": os.getpid(), "started_at": record.started_at, "input": record.input}
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(holder).encode(), 0)
        yield
    finally:
        os.close(descriptor)


def _holder_message(workspace: Workspace) -> str:
    try:
        holder = json.loads(workspace.lock_file.read_text() or "{}")
    except (OSError, ValueError):
        holder = {}
    who = ", ".join(
        f"{label} {holder.get(key, '?')}"
        for label, key in (("pid", "pid"), ("started", "started_at"), ("input", "input"))
    )
    return f"another build is running on {workspace.data_dir} ({who}); wait for it to finish and retry"
