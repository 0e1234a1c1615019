"""Checks that a build under a low DuckDB memory_limit spills to disk instead of failing.

`python benchmarks/spill_check.py --orders 10000000 --memory-limit 1GB` builds the cached generated input
with SALESDW_MEMORY_LIMIT set, polls the spill directory (DATA_DIR/build/spill) while it runs, and prints the
exit code, wall time, peak RSS of the process tree and the most spill bytes seen on disk.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil

from salesdw.bench_data import DEFAULT_CACHE_DIR, bench_input
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
        **os.environ,
        "SALESDW_MEMORY_LIMIT": args.memory_limit,
        "SALESDW_TARGET_DIR": str(work / "dbt_target"),
    }
    command = [sys.executable, str(PROJECT_ROOT / "run_pipeline.py"), "--data-dir", str(workspace.data_dir)]
    command += ["build", str(item.base_file), "--full-refresh"]
    peaks = {"spill": 0, "rss": 0}
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done = threading.Event()

    def poll() -> None:
        process = psutil.Process(child.pid)
        while not done.is_set():
            peaks["spill"] = max(peaks["spill"], _directory_bytes(workspace.temp_dir))
            try:
                members = [process, *process.children(recursive=True)]
                peaks["rss"] = max(peaks["rss"], sum(member.memory_info().rss for member in members))
            except psutil.Error:
                pass
            done.wait(0.2)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    output, _ = child.communicate()
    seconds = time.perf_counter() - started
    done.set()
    poller.join()
    print(output.strip().splitlines()[-1] if output.strip() else "")
    print(
        f"orders={args.orders:,} memory_limit={args.memory_limit} exit={child.returncode} "
        f"seconds={seconds:.1f} peak_rss_gb={peaks['rss'] / 1024**3:.2f} "
        f"peak_spill_gb={peaks['spill'] / 1024**3:.2f}"
    )
    if args.work_dir is None:
        shutil.rmtree(work, ignore_errors=True)
    return child.returncode


if __name__ == "__main__":
    raise SystemExit(main())
