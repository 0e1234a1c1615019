"""Runs a command in a subprocess and measures its wall time, its CPU time and the peak RSS of its process
tree."""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import psutil

_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Measured:
    returncode: int
    seconds: float
    peak_rss_bytes: int
    stdout: str
    stderr: str
    #: User + system CPU seconds of the command and the children it waited for: the work done, whatever
    #: the threads waited for (wall time under two busy threads counts the waiting too).
    cpu_seconds: float = 0.0


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


def run_measured(
    command: Sequence[str],
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    on_poll: Callable[[], None] | None = None,
) -> Measured:
    """Wall seconds, CPU seconds and peak process-tree RSS (psutil polled every 50 ms) of one command;
    `on_poll`, if given, is called at every poll too (to watch something else while the command runs). The
    CPU time is this process's children's usage before and after, so commands must not run concurrently."""
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    peak = 0
    stop = threading.Event()

    def poll() -> None:
        nonlocal peak
        handle = psutil.Process(child.pid)
        while not stop.is_set():
            peak = max(peak, _tree_rss(handle))
            if on_poll is not None:
                on_poll()
            stop.wait(_POLL_SECONDS)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    stdout, stderr = child.communicate()
    seconds = time.perf_counter() - started
    stop.set()
    poller.join()
    usage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (usage_after.ru_utime - usage_before.ru_utime) + (usage_after.ru_stime - usage_before.ru_stime)
    return Measured(child.returncode, seconds, peak, stdout, stderr, cpu)
