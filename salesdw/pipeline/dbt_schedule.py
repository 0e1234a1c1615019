"""The order in which dbt starts ready nodes: the longest remaining path first.

dbt hands every ready node to its thread pool as soon as it is ready, in the order of its queue (the depth in
the graph, ties by name: dbt.graph.queue.GraphQueue), and the pool runs them first come, first served. So a
node that becomes ready while cheap nodes wait in the pool waits behind all of them: at 10M orders staging
waited ~1 s behind the seeds' and the marketing files' data tests (until wave 8 made its one seed a var), and
the CLV fit behind the cohort and monthly marts, although everything after them waits for them. In the
runner's process dbt's queue gives out a node only when one of dbt's threads is free, and then the ready node
with the longest path of seconds still to run behind it (its own included), using each node's time in the
previous build of the same target (run_results.json). Only the order changes: what runs, and what waits for
what, is dbt's. The runner's default for a daily (incremental) build that has the previous build's times:
there those times describe this build, and six alternating pairs of 10M daily builds took 31.1 s against
32.9 s with dbt's order (wave 10). Full builds keep dbt's order (measured both ways, the difference was
within the machine's noise). SALESDW_DBT_ORDER=critical_path turns it on for every build, =dbt off
(DECISIONS.md, "The daily build").
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx

_DEFAULT_SECONDS = 1.0
# Whether this process ever replaced dbt's queue methods (then the default has to put dbt's back).
_installed: list[bool] = []


def previous_node_seconds(run_results: Path) -> dict[str, float]:
    """Each node's execution time in the build that wrote run_results.json; empty when there is none."""
    try:
        results = json.loads(run_results.read_text())["results"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {
        str(item["unique_id"]): float(item.get("execution_time") or 0.0)
        for item in results
        if isinstance(item, dict) and "unique_id" in item
    }


def critical_path_scores(graph: nx.DiGraph, seconds: Mapping[str, float]) -> dict[str, float]:
    """dbt's queue takes the lowest score first: minus the seconds of the longest path from each node to
    the end of the graph (its own seconds included; unknown nodes count one second, or the median of the
    known ones)."""
    known = sorted(seconds.values())
    default = known[len(known) // 2] if known else _DEFAULT_SECONDS
    remaining: dict[str, float] = {}
    for node in reversed(list(nx.topological_sort(graph))):
        behind = max((remaining[child] for child in graph.successors(node)), default=0.0)
        remaining[node] = seconds.get(node, default) + behind
    return {node: -value for node, value in remaining.items()}


def critical_path_wanted(daily: bool, seconds: Mapping[str, float]) -> bool:
    """SALESDW_DBT_ORDER decides when set (critical_path or dbt); else a daily build with the previous
    build's node times gets the critical-path order."""
    choice = os.environ.get("SALESDW_DBT_ORDER") or ""
    if choice in ("critical_path", "dbt"):
        return choice == "critical_path"
    return daily and bool(seconds)


def order_critical_path_first(target_dir: Path, threads: int, daily: bool = False) -> None:
    """Makes dbt's queue in this process give out a node only when fewer than `threads` are running, the
    ready one first whose critical_path_scores (with the seconds of the last build in target_dir) is lowest,
    when critical_path_wanted; else it leaves (or puts back) dbt's own queue. Idempotent."""
    seconds = previous_node_seconds(target_dir / "run_results.json")
    wanted = critical_path_wanted(daily, seconds)
    if not wanted and not _installed:
        return  # dbt's own queue, untouched
    from dbt.flags import get_flags
    from dbt.graph.queue import GraphQueue

    _installed.append(True)
    originals = getattr(GraphQueue, "_salesdw_originals", (GraphQueue._get_scores, GraphQueue.get))
    GraphQueue._salesdw_originals = originals  # type: ignore[attr-defined]
    original_scores, original_get = originals
    if not wanted:
        GraphQueue._get_scores, GraphQueue.get = original_scores, original_get  # type: ignore[method-assign]
        return

    def scores(self: GraphQueue, graph: nx.DiGraph) -> dict[str, float]:
        return critical_path_scores(graph, seconds)

    def get(self: GraphQueue, block: bool = True, timeout: float | None = None) -> Any:
        # dbt's --threads, when given, else the profile's. in_progress: the nodes given out and not yet
        # marked done (mark_done notifies some_task_done under the lock).
        limit = int(getattr(get_flags(), "THREADS", None) or threads)
        waited = getattr(self, "some_task_done", None)
        if waited is not None:  # dbt 1.11's queue; another shape keeps dbt's own order
            with waited:
                while len(self.in_progress) >= limit:
                    waited.wait()
        return original_get(self, block, timeout)

    GraphQueue._get_scores, GraphQueue.get = scores, get  # type: ignore[method-assign]
