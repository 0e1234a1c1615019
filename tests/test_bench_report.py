"""The benchmark's own arithmetic: the CPU time of a measured command and what marketing adds to a build."""

from __future__ import annotations

import sys

from salesdw.bench.process import run_measured
from salesdw.bench.report import format_table, marketing_cost_lines
from salesdw.bench.run import PipelineRun, SizeResult


def test_cpu_seconds_count_the_child_work_not_its_sleep() -> None:
    burn = (
        "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\ntime.sleep(0.5)"
    )
    measured = run_measured([sys.executable, "-c", burn])
    assert measured.returncode == 0
    assert measured.seconds >= 0.9  # 0.4 s of work and 0.5 s asleep
    assert 0.4 <= measured.cpu_seconds < 0.8  # the work (and the interpreter's start), not the sleep


def _run(seconds: float, cpu: float, layers: dict[str, float]) -> PipelineRun:
    return PipelineRun(seconds, 1024**3, layers, True, cpu_seconds=cpu)


def test_marketing_cost_is_the_difference_to_the_build_without() -> None:
    with_marketing = _run(
        130.0,
        210.0,
        {"staging": 30.0, "warehouse": 10.0, "business": 35.0, "clv": 15.0, "marketing": 99.0, "tests": 30.0},
    )
    result = SizeResult(10_000_000, with_marketing, 2.0, 20.0, 1024**3)
    result.without_marketing = _run(75.0, 120.0, {"staging": 20.0, "business": 30.0, "tests": 20.0})
    (line,) = marketing_cost_lines([result])
    assert "marketing adds 55.0 s (0.73x of the build without)" in line
    assert "and 90.0 CPU-s (0.75x)" in line
    assert "marketing 99.0 against 90.0 for the sales layers (1.10x)" in line
    assert "| 210.0 |" in format_table([result])  # the cpu column


def test_no_marketing_line_without_the_comparison_build() -> None:
    result = SizeResult(40_000, _run(15.0, 20.0, {"marketing": 3.0}), 0.1, 0.1, 1024**2)
    assert marketing_cost_lines([result]) == []
    result.without_marketing = PipelineRun(9.0, 0, {}, False, "failed", 10.0)
    assert marketing_cost_lines([result]) == []
