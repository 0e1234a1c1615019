"""`run_pipeline.py report [--out reports/analysis.html]`: the analysis notebook as a static HTML report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from salesdw.paths import DEFAULT_REPORT_PATH, Workspace

if TYPE_CHECKING:
    from salesdw.outputs.report import Report

HELP = "execute notebooks/analysis.ipynb against the published warehouse and write a static HTML report"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NOT_BUILT = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_REPORT_PATH,
        help="the HTML file to write (default: reports/analysis.html)",
    )
    parser.add_argument("--show-code", action="store_true", help="include the notebook's code cells")


def render_report(data_dir: Path, out: Path, show_code: bool = False) -> Report:
    """Imported on use: nbconvert and nbclient take over a second to import, and every command pays for
    the imports of every command module (they build the argument parser)."""
    from salesdw.outputs.report import render_report as render

    return render(data_dir, out, show_code=show_code)


def run(args: argparse.Namespace, workspace: Workspace) -> int:
    from salesdw.outputs.report import ReportError

    if not workspace.published_db.exists():
        print(
            f"error: no warehouse at {workspace.published_db}: build it first with `python run_pipeline.py`",
            file=sys.stderr,
        )
        return EXIT_NOT_BUILT
    print(f"executing the analysis notebook against {workspace.published_db} ...")
    try:
        report = render_report(workspace.data_dir, args.out, show_code=args.show_code)
    except ReportError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"wrote {report.path} ({report.images} charts); open it in any browser")
    return EXIT_OK
