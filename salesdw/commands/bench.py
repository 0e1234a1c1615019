"""`run_pipeline.py bench [--sizes 40000,1000000,10000000]`: the speed and scale benchmark (one table)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from salesdw.paths import Workspace

# Kept here rather than imported: the CLI imports every command module, and the benchmark's own modules
# pull in numpy and the generator (salesdw.sample.generate.DEFAULT_SEED is 42 as well).
DEFAULT_SIZES = "40000,1000000,10000000"
DEFAULT_SEED = 42
DEFAULT_CACHE_DIR = "/tmp/salesdw_bench"

HELP = "benchmark the pipeline at several sizes against DuckDB's floor and pandas (prints one table)"


def _sizes(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=_sizes(DEFAULT_SIZES),
        help="comma-separated order counts (default: 40000,1000000,10000000)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed (default: 42)")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("SALESDW_BENCH_DIR", DEFAULT_CACHE_DIR)),
        help="where generated inputs are kept between runs (default: /tmp/salesdw_bench)",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        help="where the benchmark builds (default: a temp dir); spills go to WORK_DIR/warehouse/build/spill",
    )
    parser.add_argument("--memory-limit", help="DuckDB memory_limit for the builds (SALESDW_MEMORY_LIMIT)")
    parser.add_argument("--no-incremental", action="store_true", help="skip the +1%% incremental build")
    parser.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="the engine the builds run on (default: duckdb). spark: local Spark (pip install -e "
        '".[spark]", Java 17); no export or incremental columns there (both need the DuckDB warehouse)',
    )
    parser.add_argument(
        "--marketing",
        action="store_true",
        help="also build each size's generated marketing files (~2 touchpoints per order); the marketing "
        "models get their own column",
    )


def run(args: argparse.Namespace, workspace: Workspace) -> int:
    from salesdw.bench.report import format_table, machine_line, marketing_cost_lines, notes
    from salesdw.bench.run import run_benchmark

    env: dict[str, str] = {}
    if args.memory_limit:
        env["SALESDW_MEMORY_LIMIT"] = args.memory_limit
    results = run_benchmark(
        args.sizes,
        args.seed,
        args.cache_dir,
        work_dir=args.work_dir,
        env=env,
        incremental=not args.no_incremental,
        marketing=args.marketing,
        engine=args.engine,
    )
    print()
    print(machine_line(args.engine))
    print(format_table(results))
    for line in marketing_cost_lines(results):
        print(line)
    print(notes())
    failed = [result for result in results if not result.full.ok]
    for result in failed:
        print(f"FAILED at {result.orders:,} orders: {result.full.message}")
    return 1 if failed else 0
