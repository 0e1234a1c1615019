"""Formats the benchmark's results as one plain-text (Markdown-compatible) table."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Sequence

from salesdw.bench.run import MODEL_LAYER_ORDER, SALES_LAYERS, TESTS, SizeResult

_GB = 1024**3


def layer_columns(results: Sequence[SizeResult]) -> list[str]:
    """The model layers present in any run, in DAG order, then unknown layers alphabetically, then tests."""
    found = {
        layer
        for result in results
        for layer in result.full.layer_seconds
        if layer not in {TESTS, "dbt wall", "start-up"}
    }
    known = [layer for layer in MODEL_LAYER_ORDER if layer in found]
    return [*known, *sorted(found - set(known)), TESTS]


def format_table(results: Sequence[SizeResult]) -> str:
    layers = layer_columns(results)
    header = [
        "orders",
        *layers,
        "start-up",
        "total s",
        "cpu s",
        "export s",
        "peak GB",
        "floor s",
        "total/floor",
        "pandas s",
        "pandas/floor",
        "total/pandas",
        "incremental +1% s",
    ]
    rows = [header, ["---:"] * len(header)]
    for result in results:
        full = result.full
        incremental = (
            f"{result.incremental.seconds:.1f} (+{result.incremental_orders:,})"
            if result.incremental and result.incremental.ok
            else ("failed" if result.incremental else "")
        )
        rows.append(
            [
                f"{result.orders:,}",
                *(f"{full.layer_seconds.get(layer, 0.0):.2f}" for layer in layers),
                f"{full.overhead_seconds:.2f}",
                f"{full.seconds:.2f}" + ("" if full.ok else " FAILED"),
                f"{full.cpu_seconds:.1f}",
                "" if result.export_seconds is None else f"{result.export_seconds:.2f}",
                f"{full.peak_rss_bytes / _GB:.2f}",
                f"{result.floor_seconds:.2f}",
                f"{full.seconds / result.floor_seconds:.1f}",
                f"{result.pandas_seconds:.2f}",
                f"{result.pandas_seconds / result.floor_seconds:.1f}",
                f"{full.seconds / result.pandas_seconds:.2f}",
                incremental,
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "| " + " | ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    return "\n".join(lines)


def marketing_cost_lines(results: Sequence[SizeResult]) -> list[str]:
    """What the marketing files add to each size's build, three ways: wall and CPU seconds against the same
    build without them, and the marketing models' node seconds against the sales layers' in the build with
    them (both sides of that last one also count the time spent waiting for the other's thread)."""
    lines = []
    for result in results:
        alone, full = result.without_marketing, result.full
        if alone is None or not (alone.ok and full.ok):
            continue
        marketing = full.layer_seconds.get("marketing", 0.0)
        sales = sum(full.layer_seconds.get(layer, 0.0) for layer in SALES_LAYERS)
        added_wall = full.seconds - alone.seconds
        added_cpu = full.cpu_seconds - alone.cpu_seconds
        lines.append(
            f"marketing at {result.orders:,} orders: the build takes {full.seconds:.1f} s and "
            f"{full.cpu_seconds:.1f} CPU-s with the marketing files, {alone.seconds:.1f} s and "
            f"{alone.cpu_seconds:.1f} CPU-s without: marketing adds {added_wall:.1f} s "
            f"({_ratio(added_wall, alone.seconds)} of the build without) and {added_cpu:.1f} CPU-s "
            f"({_ratio(added_cpu, alone.cpu_seconds)}); node seconds: marketing {marketing:.1f} against "
            f"{sales:.1f} for the sales layers ({_ratio(marketing, sales)})."
        )
    return lines


def _ratio(part: float, whole: float) -> str:
    return f"{part / whole:.2f}x" if whole > 0 else "n/a"


def machine_line(engine: str = "duckdb") -> str:
    import duckdb
    import psutil
    from dbt.version import __version__ as dbt_version

    cores = psutil.cpu_count(logical=True)
    memory = psutil.virtual_memory().total / _GB
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"machine: {cores} cores, {memory:.0f} GB RAM, {platform.system()} {platform.machine()}, "
        f"Python {sys.version.split()[0]}, duckdb {duckdb.__version__}, dbt-core {dbt_version}; "
        f"load average at the end {load} (above {cores} means other work shared the CPUs)"
        + ("" if engine == "duckdb" else f"; engine {engine} ({_engine_versions(engine)})")
    )


def _engine_versions(engine: str) -> str:
    from importlib.metadata import version

    return f"pyspark {version('pyspark')}, dbt-spark {version('dbt-spark')}" if engine == "spark" else engine


def notes() -> str:
    return (
        "Layer columns: seconds of dbt node execution (summed over dbt's threads, so they overlap); tests = "
        "all data and unit tests; start-up = the rest of the wall time (interpreter, `import dbt`, parse, "
        "input check, publish, summary). total = wall seconds of the whole "
        "`run_pipeline.py build --no-export` process; cpu = its user + system CPU seconds; export = "
        "`run_pipeline.py export campaign_targets` "
        "afterwards (what a default build adds). peak = RSS of the process tree. floor = DuckDB reading, "
        "casting and grouping the CSV by customer once."
    )
