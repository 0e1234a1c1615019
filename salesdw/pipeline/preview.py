"""Staging on a sample: what the real parsing rules make of a file's first rows, before a build.

`inspect` builds the seeds and the staging models (no tests, no warehouse) on a sample file, in a folder of
its own beside the warehouse (DATA_DIR/build/inspect: a fixed database path keeps dbt's partial parse warm,
so an inspect after the first takes seconds). Nothing of the warehouse is read or written."""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from salesdw.inputs.input_check import InputReport, check_raw_input, scan_file, stage_as_utf8
from salesdw.inputs.spec import InputSpec
from salesdw.paths import Workspace
from salesdw.pipeline.build import dbt_environment
from salesdw.pipeline.dbt_invoke import BuildOutcome, run_dbt
from salesdw.pipeline.rejections import LoadRejections, read_load_rejections, row_label
from salesdw.readers import fetch_dicts, open_published

STAGING_MODELS = ["--select", "+path:models/staging", "--exclude-resource-type", "test", "unit_test"]
_FIRST_ROWS_SQL = """
    select
        source_row_index,
        order_id,
        customer_id,
        order_date,
        amount,
        row_outcome,
        rejection_reason
    from stg_sales__validated
    order by source_file, source_row_index
    limit ?
"""


@dataclass(frozen=True)
class Preview:
    report: InputReport
    outcome: BuildOutcome
    first_rows: list[dict[str, Any]]
    rejections: LoadRejections | None


@contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    """One inspect at a time per data directory (they share the sample database)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".inspect.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def preview_staging(sample: Path, spec: InputSpec | None, folder: Path, shown_rows: int = 10) -> Preview:
    """Builds staging on `sample` with `spec`; raises InputError when the sample cannot be read."""
    with _exclusive(folder):
        report = check_raw_input(sample, spec)
        is_text = report.spec is None or report.spec.format != "parquet"
        scans = tuple(scan_file(path, text=is_text) for path in report.files)
        report = stage_as_utf8(report, scans, folder / "utf8")
        workspace = Workspace(folder)
        workspace.build_dir.mkdir(parents=True, exist_ok=True)
        # Each inspect starts from nothing: a full refresh of a fresh database (an earlier sample's rows, or
        # its spec, must not meet this one's).
        for db in (workspace.working_db, workspace.published_db):
            for stale in (db, db.with_name(db.name + ".wal")):
                stale.unlink(missing_ok=True)
        shutil.rmtree(workspace.temp_dir, ignore_errors=True)
        workspace.temp_dir.mkdir(parents=True)
        target = folder / "target"
        args = [
            "build",
            *STAGING_MODELS,
            "--full-refresh",
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
        ]
        outcome = run_dbt(args, {**dbt_environment(workspace, report, None), "SALESDW_NO_EXPORT": "1"})
        first_rows: list[dict[str, Any]] = []
        rejections = None
        # dbt's plugin publishes the sample database when staging built, else keeps the working copy.
        built = workspace.published_db if workspace.published_db.exists() else workspace.working_db
        if built.exists():
            with open_published(built) as connection:
                rejections = read_load_rejections(connection, row_label(report.spec))
                if rejections is not None:
                    first_rows = fetch_dicts(connection, _FIRST_ROWS_SQL, [shown_rows])
        return Preview(report, outcome, first_rows, rejections)
