"""The analysis notebook, executed against the published warehouse and rendered to one static HTML file.

The HTML is self-contained: charts are inline PNG (`data:image/png;base64,...`) and the scripts nbconvert's
lab template would load from a CDN (require.js, MathJax, Mermaid, widgets) are left out, so the report
opens offline in any browser.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import jinja2
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

from salesdw.paths import DEFAULT_REPORT_PATH, PROJECT_ROOT

NOTEBOOK_PATH = PROJECT_ROOT / "notebooks" / "analysis.ipynb"
REPORT_TITLE = "Marketing analytics report"
CELL_TIMEOUT_SECONDS = 600

# The lab template minus every block that loads a script from the internet.
_OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
"""


class ReportError(Exception):
    """The report could not be made; the message is one line for the user."""


@dataclass(frozen=True)
class Report:
    path: Path
    images: int
    notebook: nbformat.NotebookNode


def execute_notebook(
    data_dir: Path,
    notebook: nbformat.NotebookNode | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: int = CELL_TIMEOUT_SECONDS,
) -> nbformat.NotebookNode:
    """Runs every cell of `notebook` (default: notebooks/analysis.ipynb) in place, in a fresh kernel whose
    working directory is notebooks/, against the warehouse in `data_dir`; raises nbclient's
    CellExecutionError on the first failing cell (the cells before it keep their outputs)."""
    if notebook is None:
        notebook = nbformat.read(NOTEBOOK_PATH, as_version=4)
    env = {
        **os.environ,
        "SALESDW_DATA_DIR": str(Path(data_dir).resolve()),
        **(extra_env or {}),
    }
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        # Quiet kernel start (no "running over TCP without encryption" warning on the terminal); a failing
        # cell still surfaces as CellExecutionError with its traceback.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        resources={"metadata": {"path": str(NOTEBOOK_PATH.parent)}},
    )
    client.execute(env=env)
    return notebook


def to_html(notebook: nbformat.NotebookNode, show_code: bool = False) -> str:
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"salesdw_offline.html.j2": _OFFLINE_TEMPLATE})],
        template_file="salesdw_offline.html.j2",
        exclude_input=not show_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    notebook.metadata["title"] = REPORT_TITLE
    body, _resources = exporter.from_notebook_node(notebook)
    return body


def count_images(notebook: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )


def _failure(error: CellExecutionError) -> str:
    name = getattr(error, "ename", "") or "error"
    value = (getattr(error, "evalue", "") or "").strip().splitlines()
    return f"the notebook failed: {name}: {value[0] if value else ''}".rstrip(": ")


def render_report(data_dir: Path, out: Path = DEFAULT_REPORT_PATH, show_code: bool = False) -> Report:
    """Executes the notebook and writes the HTML report to `out` atomically (temporary file + rename)."""
    out = Path(out).absolute()
    if out.is_dir():
        raise ReportError(
            f"cannot write {out}: it is a directory; give a file name such as {out / 'report.html'}"
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ReportError(f"cannot create the folder {out.parent}: {error.strerror}") from None
    try:
        notebook = execute_notebook(data_dir)
    except CellExecutionError as error:
        raise ReportError(_failure(error)) from None
    html = to_html(notebook, show_code=show_code)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(html, encoding="utf-8")
        os.replace(temporary, out)
    except OSError as error:
        raise ReportError(f"cannot write {out}: {error.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return Report(out, count_images(notebook), notebook)
