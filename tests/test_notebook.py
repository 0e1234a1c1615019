"""The analysis notebook runs top to bottom on a built warehouse, says how to build when there is none, and
`run_pipeline.py report` renders it to one self-contained HTML file with inline charts."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient.exceptions import CellExecutionError

from salesdw.cli import main
from salesdw.report import NOTEBOOK_PATH, execute_notebook
from tests.helpers import BuildRun

SECTION_TITLES = (
    "1. Monthly revenue, orders, customers and average order value",
    "2. Cohort retention and revenue per customer by cohort",
    "3. Customer value and churn risk",
    "4. Customer segments: size and revenue share",
    "5. Campaign targets by type and priority",
    "6. Insights and executive summary",
)
CHART_TITLES = (
    "Monthly revenue",
    "Cohort retention",
    "Churn-risk score distribution",
    "Segment sizes",
    "Estimated campaign value by campaign and priority",
)


def code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def output_text(cell: nbformat.NotebookNode) -> str:
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


def test_committed_notebook_has_no_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK_PATH, as_version=4)
    nbformat.validate(notebook)
    for cell in code_cells(notebook):
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_notebook_runs_top_to_bottom_on_a_built_warehouse(
    random_build: tuple[BuildRun, pd.DataFrame], tmp_path: Path
) -> None:
    run, _ = random_build
    figure_dir = tmp_path / "figures"
    notebook = execute_notebook(run.workspace.data_dir, extra_env={"SALESDW_FIGURE_DIR": str(figure_dir)})
    cells = code_cells(notebook)
    assert all(cell.execution_count for cell in cells)
    errors = [output for cell in cells for output in cell.outputs if output.output_type == "error"]
    assert errors == []
    images = sum("image/png" in output.get("data", {}) for cell in cells for output in cell.outputs)
    assert images >= 7
    assert str(run.workspace.published_db) in output_text(cells[0])
    assert (figure_dir / "monthly_revenue.png").stat().st_size > 5_000


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


def test_report_command_renders_sections_and_inline_charts(
    random_build: tuple[BuildRun, pd.DataFrame], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run, _ = random_build
    out = tmp_path / "reports" / "analysis.html"
    assert main(["--data-dir", str(run.workspace.data_dir), "report", "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    for title in SECTION_TITLES:
        assert title in html, title
    assert "Executive summary" in html and "Generated insights" in html
    images = re.findall(r'<img[^>]+src="data:image/png;base64,', html)
    assert len(images) >= 7
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
