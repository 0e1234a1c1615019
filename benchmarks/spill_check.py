"""Checks that a build under a low DuckDB memory_limit spills to disk instead of failing.

`python benchmarks/spill_check.py --orders 10000000 --memory-limit 1GB` builds the cached generated input
(`build --full-refresh --no-export`) with SALESDW_MEMORY_LIMIT set, polls the spill directory
(DATA_DIR/build/spill) while it runs, and prints the exit code, wall time, peak RSS of the process tree and
the most spill bytes seen on disk. The README's 100M run:
`python benchmarks/spill_check.py --orders 100000000 --memory-limit 4GB --cache-dir BIG --work-dir BIG`
(BIG: a disk with ~50 GB free; the 4.5 GB input is generated once into --cache-dir).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from salesdw.bench.data import DEFAULT_CACHE_DIR, bench_input
from salesdw.bench.process import run_measured
from salesdw.paths import PROJECT_ROOT, Workspace


def _directory_bytes(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:
                continue
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--work-dir", type=Path, help="default: a temporary directory (removed after)")
    args = parser.parse_args()

    item = bench_input(args.cache_dir, args.orders, args.seed)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="salesdw_spill_"))
    workspace = Workspace(work / "warehouse")
    env = {
        "SALESDW_MEMORY_LIMIT": args.memory_limit,
        "SALESDW_TARGET_DIR": str(work / "dbt_target"),
    }
    command = [sys.executable, str(PROJECT_ROOT / "run_pipeline.py"), "--data-dir", str(workspace.data_dir)]
    command += ["build", str(item.base_file), "--full-refresh", "--no-export"]
    peak_spill = 0

    def watch_spill() -> None:
        nonlocal peak_spill
        peak_spill = max(peak_spill, _directory_bytes(workspace.temp_dir))

    measured = run_measured(command, env=env, on_poll=watch_spill)
    output = (measured.stdout + measured.stderr).strip()
    print(output.splitlines()[-1] if output else "")
    print(
        f"orders={args.orders:,} memory_limit={args.memory_limit} exit={measured.returncode} "
        f"seconds={measured.seconds:.1f} peak_rss_gb={measured.peak_rss_bytes / 1024**3:.2f} "
        f"peak_spill_gb={peak_spill / 1024**3:.2f}"
    )
    if args.work_dir is None:
        shutil.rmtree(work, ignore_errors=True)
    return measured.returncode


if __name__ == "__main__":
    raise SystemExit(main())
