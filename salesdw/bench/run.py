"""The benchmark: the whole pipeline at several sizes, against DuckDB's floor and a pandas alternative.

For each size N: generate (or reuse) N orders with the project's generator, build them with the runner in a
subprocess (`run_pipeline.py --data-dir TMP build --full-refresh --no-export DIR`), and read dbt's
run_results.json for the time per layer; then time the campaign_targets CSV export on its own (a build
writes it by default; at 10M orders it is a 1.3 GB file, so it gets its own column). Then, on the same
file: the floor (DuckDB reads, casts and groups by customer once) and the pandas alternative, each in its
own process. For the biggest size, also append 1% more orders as a new daily file and time the incremental
build.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from salesdw.bench.data import BenchInput, bench_input, bench_marketing, remove_increment, write_increment
from salesdw.bench.process import Measured, run_measured
from salesdw.paths import PROJECT_ROOT, RUN_NODES_FILE, SPARK_RUN_RESULTS

DEFAULT_SIZES: tuple[int, ...] = (40_000, 1_000_000, 10_000_000)
MODEL_LAYER_ORDER: tuple[str, ...] = (
    "seeds",
    "staging",
    "warehouse",
    "business",
    "clv",
    "marketing",
    "hooks",
)
TESTS = "tests"
#: The sales layers' columns, which marketing's node time is compared with.
SALES_LAYERS: tuple[str, ...] = ("staging", "warehouse", "business", "clv")
#: The dbt target of the builds without marketing files in a --marketing benchmark.
SALES_ONLY_TARGET = "dbt_target_sales_only"
Printer = Callable[[str], None]


@dataclass
class PipelineRun:
    seconds: float
    peak_rss_bytes: int
    layer_seconds: dict[str, float]
    ok: bool
    message: str = ""
    cpu_seconds: float = 0.0

    @property
    def overhead_seconds(self) -> float:
        """Wall time outside dbt's nodes: interpreter, imports, parse, publish, summary."""
        return self.layer_seconds.get("start-up", 0.0)


@dataclass
class SizeResult:
    orders: int
    full: PipelineRun
    floor_seconds: float
    pandas_seconds: float
    pandas_peak_rss_bytes: int
    export_seconds: float | None = None
    incremental: PipelineRun | None = None
    incremental_orders: int = 0
    #: With --marketing: the same size's full build without marketing files, to measure what marketing adds.
    without_marketing: PipelineRun | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def layer_of(node: dict[str, object]) -> str:
    """A node's column in the table: tests together; models by folder (models/<layer>/...); Python models
    (the CLV fit) in their own column whatever their folder; models of a marketing/ subfolder (any layer) in
    `marketing`, so the sales layers compare with runs without marketing; the on-run-end hook (docs as
    comments) and the exposures (no work) in `hooks`."""
    kind = node.get("resource_type")
    if kind in {"test", "unit_test"}:
        return TESTS
    if kind in {"operation", "exposure"}:
        return "hooks"
    if kind == "seed":
        return "seeds"
    if node.get("language") == "python":
        return "clv"
    parts = str(node.get("original_file_path", "")).split("/")
    if len(parts) > 3 and parts[0] == "models" and parts[2] == "marketing":
        return "marketing"
    return parts[1] if len(parts) > 2 and parts[0] == "models" else "other"


def run_results_file(engine: str) -> str:
    """dbt's run_results.json; on Spark the runner's record of both dbt invocations and its CLV fit."""
    return SPARK_RUN_RESULTS if engine == "spark" else "run_results.json"


def build_nodes(target_dir: Path, engine: str) -> dict[str, dict]:
    """The nodes of the last build by unique id: the runner's run_nodes.json on DuckDB (that build writes no
    manifest.json), dbt's manifest.json on Spark."""
    if engine == "duckdb":
        return json.loads((target_dir / RUN_NODES_FILE).read_text())
    manifest = json.loads((target_dir / "manifest.json").read_text())
    return {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}


def layer_seconds(target_dir: Path, engine: str = "duckdb") -> dict[str, float]:
    """Seconds per layer from dbt's run_results.json: the sum of its nodes' execution times (dbt runs two
    threads, so the layers add up to more than the wall time of the dbt part), plus dbt's own wall time."""
    results = json.loads((target_dir / run_results_file(engine)).read_text())
    nodes = build_nodes(target_dir, engine)
    seconds: dict[str, float] = defaultdict(float)
    for result in results["results"]:
        node = nodes.get(result["unique_id"], {"resource_type": result["unique_id"].split(".")[0]})
        seconds[layer_of(node)] += float(result.get("execution_time") or 0.0)
    seconds["dbt wall"] = float(results.get("elapsed_time") or 0.0)
    return dict(seconds)


def run_pipeline(
    raw: str,
    data_dir: Path,
    target_dir: Path,
    full_refresh: bool,
    env: dict[str, str],
    marketing_dir: str | None = None,
    engine: str = "duckdb",
) -> PipelineRun:
    runner = str(PROJECT_ROOT / "run_pipeline.py")
    command = [sys.executable, runner, "--data-dir", str(data_dir), "build", "--no-export", raw]
    if full_refresh:
        command.append("--full-refresh")
    if marketing_dir:
        command += ["--marketing-dir", marketing_dir]
    if engine != "duckdb":
        command += ["--engine", engine]
    results = target_dir / run_results_file(engine)
    # Kept, not removed: a daily build orders its nodes by the previous build's times, as a user's does
    # (dbt_schedule). A run that did not write the file must not report the last run's times.
    before = results.stat().st_mtime_ns if results.exists() else None
    measured: Measured = run_measured(command, env={**env, "SALESDW_TARGET_DIR": str(target_dir)})
    ok = measured.returncode == 0
    written = results.exists() and results.stat().st_mtime_ns != before
    layers = layer_seconds(target_dir, engine) if written else {}
    layers["start-up"] = max(0.0, measured.seconds - layers.get("dbt wall", 0.0))
    message = "" if ok else (measured.stdout + measured.stderr).strip().splitlines()[-1:][0]
    return PipelineRun(measured.seconds, measured.peak_rss_bytes, layers, ok, message, measured.cpu_seconds)


def run_baseline(which: str, csv: Path, env: dict[str, str]) -> tuple[float, int]:
    command = [sys.executable, "-m", "salesdw.bench.baselines", which, str(csv)]
    if which == "floor" and env.get("SALESDW_MEMORY_LIMIT"):
        command += ["--memory-limit", env["SALESDW_MEMORY_LIMIT"]]
    measured = run_measured(command, cwd=str(PROJECT_ROOT))
    if measured.returncode != 0:
        raise RuntimeError(f"{which} baseline failed: {measured.stderr.strip()[-500:]}")
    return float(json.loads(measured.stdout.strip().splitlines()[-1])["seconds"]), measured.peak_rss_bytes


def time_export(data_dir: Path, work_dir: Path) -> float | None:
    """Wall seconds of `run_pipeline.py export campaign_targets` on the built warehouse; None on failure."""
    out = work_dir / "campaign_targets.csv"
    runner = str(PROJECT_ROOT / "run_pipeline.py")
    command = [sys.executable, runner, "--data-dir", str(data_dir), "export", "campaign_targets"]
    measured = run_measured([*command, "--out", str(out)])
    out.unlink(missing_ok=True)
    return measured.seconds if measured.returncode == 0 else None


def point_input(work_dir: Path, item: BenchInput) -> str:
    """The glob every build reads: `work_dir/input/sales*.csv`, with `input` a symlink to the size's cached
    directory. One path for every size keeps dbt's partial parse warm (a new SALES_RAW_PATH re-parses the
    staging YAML), like a user who rebuilds from the same place."""
    link = work_dir / "input"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(item.directory, target_is_directory=True)
    return str(link / "sales*.csv")


def bench_size(
    item: BenchInput,
    work_dir: Path,
    env: dict[str, str],
    incremental: bool,
    echo: Printer,
    marketing: bool = False,
    engine: str = "duckdb",
) -> SizeResult:
    # One warehouse directory and one dbt target for every run: the profile holds the database path, and a
    # changed profile makes dbt re-parse the whole project.
    target_dir = work_dir / "dbt_target"
    data_dir = work_dir / "warehouse"
    shutil.rmtree(data_dir, ignore_errors=True)
    raw = point_input(work_dir, item)
    marketing_dir = None
    without_marketing = None
    if marketing:
        echo(f"[{item.orders:,}] marketing files ...")
        bench_marketing(item)
        marketing_dir = str(work_dir / "input" / "marketing")  # through the link, like the sales glob
        # What marketing adds is the difference to the same build without its files (own dbt target, so
        # neither build re-parses for the other's settings).
        echo(f"[{item.orders:,}] full build without marketing files ...")
        without_marketing = run_pipeline(raw, data_dir, work_dir / SALES_ONLY_TARGET, True, env, None, engine)
        shutil.rmtree(data_dir, ignore_errors=True)
    echo(f"[{item.orders:,}] full build ...")
    full = run_pipeline(raw, data_dir, target_dir, True, env, marketing_dir, engine)
    echo(f"[{item.orders:,}] floor and pandas ...")
    floor, _ = run_baseline("floor", item.base_file, env)
    pandas_seconds, pandas_peak = run_baseline("pandas", item.base_file, env)
    result = SizeResult(item.orders, full, floor, pandas_seconds, pandas_peak)
    result.without_marketing = without_marketing
    # The export reads the DuckDB warehouse; a Spark build writes Spark tables (README, "Engines").
    if full.ok and engine == "duckdb":
        echo(f"[{item.orders:,}] campaign_targets export ...")
        result.export_seconds = time_export(data_dir, work_dir)
    # On Spark incremental models are tables: a daily build is a full build there.
    if incremental and full.ok and engine == "duckdb":
        result.incremental_orders = write_increment(item)
        try:
            added = result.incremental_orders
            echo(f"[{item.orders:,}] incremental build after appending {added:,} orders ...")
            result.incremental = run_pipeline(raw, data_dir, target_dir, False, env, marketing_dir)
        finally:
            remove_increment(item)
    shutil.rmtree(data_dir, ignore_errors=True)
    return result


def warm_up(
    work_dir: Path, env: dict[str, str], echo: Printer, marketing: bool = False, engine: str = "duckdb"
) -> None:
    """One build of the bundled sample so dbt's partial-parse state exists (a user's second run)."""
    echo("warm-up build (dbt parse) ...")
    sample = PROJECT_ROOT / "data" / "sample"
    link = work_dir / "input"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(sample, target_is_directory=True)
    marketing_dir = str(link / "marketing") if marketing else None
    raw = str(link / "sales*.csv")
    run_pipeline(raw, work_dir / "warehouse", work_dir / "dbt_target", True, env, marketing_dir, engine)
    if marketing:
        run_pipeline(raw, work_dir / "warehouse", work_dir / SALES_ONLY_TARGET, True, env, None, engine)
    shutil.rmtree(work_dir / "warehouse", ignore_errors=True)


def run_benchmark(
    sizes: Sequence[int],
    seed: int,
    cache_dir: Path,
    work_dir: Path | None = None,
    env: dict[str, str] | None = None,
    incremental: bool = True,
    echo: Printer = print,
    marketing: bool = False,
    engine: str = "duckdb",
) -> list[SizeResult]:
    env = dict(env or {})
    own_work_dir = work_dir is None
    work = Path(tempfile.mkdtemp(prefix="salesdw_bench_")) if work_dir is None else work_dir
    work.mkdir(parents=True, exist_ok=True)
    try:
        warm_up(work, env, echo, marketing, engine)
        results = []
        biggest = max(sizes)
        for orders in sizes:
            echo(f"[{orders:,}] input ...")
            item = bench_input(cache_dir, orders, seed)
            results.append(
                bench_size(
                    item,
                    work,
                    env,
                    incremental and orders == biggest,
                    echo,
                    marketing=marketing,
                    engine=engine,
                )
            )
        return results
    finally:
        if own_work_dir:
            shutil.rmtree(work, ignore_errors=True)
