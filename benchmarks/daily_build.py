"""The daily build, timed: two full builds (the first warms dbt's parse), then an incremental build after one
daily file of 1% more orders is appended, then the same files again (the "nothing changed" shortcut).
Prints each build's wall and dbt seconds and its slowest nodes (dbt's run_results.json).

    python benchmarks/daily_build.py --orders 1000000 --tag after
    python benchmarks/daily_build.py --orders 1000000 --tag before --src /path/to/a/checkout/of/main

The inputs are the benchmark's (salesdw.bench.data: cached in /tmp/salesdw_bench, one year, seed 42). A
machine shared with other work makes the wall seconds noise: compare node times, back to back.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def run(src: Path, work: Path, raw: str, full: bool, label: str) -> None:
    target = work / "target"
    command = [sys.executable, "run_pipeline.py", "--data-dir", str(work / "warehouse"), "build"]
    command += ["--no-export", raw, *(["--full-refresh"] if full else [])]
    env = {**os.environ, "PYTHONPATH": str(src), "SALESDW_TARGET_DIR": str(target)}
    started = time.perf_counter()
    process = subprocess.run(command, cwd=src, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    print(f"{label}: exit {process.returncode}, wall {seconds:.1f} s", flush=True)
    if process.returncode:
        print(process.stdout[-2000:], process.stderr[-2000:])
    if process.stdout.startswith("nothing changed"):
        return
    results = json.loads((target / "run_results.json").read_text())
    nodes = sorted(results["results"], key=lambda item: -(item.get("execution_time") or 0))
    total = sum(item.get("execution_time") or 0 for item in nodes)
    print(f"   dbt elapsed {results['elapsed_time']:.1f} s, node times {total:.1f} s over {len(nodes)} nodes")
    for item in nodes[:12]:
        print(f"   {item['execution_time']:6.2f} {item['unique_id'].split('.')[2]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--tag", default="run")
    parser.add_argument("--src", type=Path, default=PROJECT_ROOT, help="the checkout to build with")
    parser.add_argument(
        "--work", type=Path, default=Path("/tmp/salesdw_daily"), help="where the warehouse and dbt target go"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(args.src))
    from salesdw.bench.data import DEFAULT_CACHE_DIR, bench_input, remove_increment, write_increment

    item = bench_input(DEFAULT_CACHE_DIR, args.orders, 42)
    args.work.mkdir(parents=True, exist_ok=True)
    link = args.work / "input"  # one path for every build keeps dbt's partial parse warm
    if link.is_symlink():
        link.unlink()
    link.symlink_to(item.directory, target_is_directory=True)
    raw = str(link / "sales*.csv")
    shutil.rmtree(args.work / "warehouse", ignore_errors=True)
    run(args.src, args.work, raw, True, f"{args.tag} full (warm-up)")
    run(args.src, args.work, raw, True, f"{args.tag} full")
    write_increment(item)
    try:
        run(args.src, args.work, raw, False, f"{args.tag} incremental (+1%)")
        run(args.src, args.work, raw, False, f"{args.tag} same files again")
    finally:
        remove_increment(item)


if __name__ == "__main__":
    main()
