"""The analysis notebook runs top to bottom on a built warehouse, says how to build when there is none, and
`run_pipeline.py report` renders it to one self-contained HTML file with inline charts."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest
from nbclient.exceptions import CellExecutionError

from salesdw.cli import main
from salesdw.commands import report as report_command
from salesdw.outputs.report import NOTEBOOK_PATH, Report, execute_notebook, render_report
from tests.helpers import BuildRun

SECTION_TITLES = (
    "1. Monthly revenue, orders, customers and average order value",
    "2. Cohort retention and revenue per customer by cohort",
    "3. Customer value and churn risk",
    "4. Customer segments: size and revenue share",
    "5. Campaign targets by type and priority",
    "6. Insights and executive summary",
    "7. Predicted customer lifetime value (BG/NBD)",
    "8. CLV model checks: backtest, frequency/recency heatmaps, churn by segment",
    "9. Marketing channels: spend, attributed revenue, ROAS, CAC and LTV:CAC",
)
MARKETING_FIGURES = ("marketing_spend_roas", "marketing_cac_ltv", "marketing_ctr_weekly")


@dataclass
class Rendered:
    """One run of `run_pipeline.py report` on the session's random warehouse (a single kernel run serves
    every test below): its exit code and output, the HTML, and the executed notebook behind it."""

    exit_code: int
    stdout: str
    html_path: Path
    report: Report
    figure_dir: Path
    published_db: Path


@pytest.fixture(scope="module")
def rendered(
    random_build: tuple[BuildRun, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory
) -> Rendered:
    run, _ = random_build
    folder = tmp_path_factory.mktemp("report")
    out = folder / "reports" / "analysis.html"
    results: list[Report] = []

    def spy(*args: Any, **kwargs: Any) -> Report:  # the real renderer, keeping what it returns
        results.append(render_report(*args, **kwargs))
        return results[-1]

    with pytest.MonkeyPatch.context() as patch, redirect_stdout(io.StringIO()) as stdout:
        patch.setenv("SALESDW_FIGURE_DIR", str(folder / "figures"))  # the kernel inherits it
        patch.setattr(report_command, "render_report", spy)
        code = main(["--data-dir", str(run.workspace.data_dir), "report", "--out", str(out)])
    assert code == 0, stdout.getvalue()
    return Rendered(code, stdout.getvalue(), out, results[0], folder / "figures", run.workspace.published_db)


def code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def output_text(cell: nbformat.NotebookNode) -> str:
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


def test_committed_notebook_has_no_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK_PATH, as_version=4)
    nbformat.validate(notebook)
    for cell in code_cells(notebook):
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_notebook_runs_top_to_bottom_on_a_built_warehouse(rendered: Rendered) -> None:
    """nbclient stops at the first failing cell (the command would exit 1); check every cell ran clean."""
    cells = code_cells(rendered.report.notebook)
    assert all(cell.execution_count for cell in cells)
    errors = [output for cell in cells for output in cell.outputs if output.output_type == "error"]
    assert errors == []
    images = sum("image/png" in output.get("data", {}) for cell in cells for output in cell.outputs)
    assert images >= 7 and rendered.report.images == images
    assert str(rendered.published_db) in output_text(cells[0])
    assert (rendered.figure_dir / "monthly_revenue.png").stat().st_size > 5_000


def test_notebook_without_a_warehouse_says_how_to_build_in_one_line(tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK_PATH, as_version=4)
    with pytest.raises(CellExecutionError) as failure:
        execute_notebook(tmp_path / "not_built", notebook)
    assert failure.value.ename == "WarehouseNotBuilt"
    first, *rest = code_cells(notebook)
    lines = output_text(first).splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"No warehouse at {tmp_path / 'not_built' / 'warehouse.duckdb'} yet")
    assert "python run_pipeline.py" in lines[0]
    # No stack trace: the stop renders as an empty traceback, and nothing after the first cell ran.
    errors = [output for output in first.outputs if output.output_type == "error"]
    assert [error.traceback for error in errors] == [[]]
    assert all(cell.execution_count is None and cell.outputs == [] for cell in rest)


def test_report_command_renders_sections_and_inline_charts(rendered: Rendered) -> None:
    out = rendered.html_path
    assert f"wrote {out}" in rendered.stdout
    html = out.read_text(encoding="utf-8")
    for title in SECTION_TITLES:
        assert title in html, title
    assert "Executive summary" in html and "Generated insights" in html
    images = re.findall(r'<img[^>]+src="data:image/png;base64,', html)
    assert len(images) == rendered.report.images
    # Self-contained: no script or stylesheet is fetched from the network, no code cells, no stray files.
    assert not re.search(r'<script[^>]+src="https?://', html)
    assert not re.search(r'<link[^>]+href="https?://', html)
    assert "def query(" not in html
    assert [path.name for path in out.parent.iterdir()] == ["analysis.html"]


def test_report_before_any_build_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "analysis.html"
    assert main(["--data-dir", str(tmp_path), "report", "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "python run_pipeline.py" in error
    assert not out.exists()


def test_marketing_section_is_skipped_in_one_line_without_marketing_files(rendered: Rendered) -> None:
    html = rendered.html_path.read_text(encoding="utf-8")
    assert "No marketing files in this warehouse (build with --marketing-dir DIR): section skipped." in html
    assert not any((rendered.figure_dir / f"{name}.png").exists() for name in MARKETING_FIGURES)


def test_marketing_section_draws_its_charts(marketing_build: BuildRun, tmp_path: Path) -> None:
    """On the marketing fixture's warehouse: the four views of the section and the lift and insight tables."""
    out = tmp_path / "analysis.html"
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(io.StringIO()):
        patch.setenv("SALESDW_FIGURE_DIR", str(tmp_path / "figures"))
        assert main(["--data-dir", str(marketing_build.workspace.data_dir), "report", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    for text in (
        "roas_position_based",  # the ROAS table under the charts
        "Exposed vs not exposed (observational, not causal)",
        "conversion difference (95% CI)",
        "Marketing insights",
        "Best ROAS:",
    ):
        assert text in html, text
    for name in MARKETING_FIGURES:
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 5_000, name
