"""Where things live. Everything under one data directory so a test can point a whole run elsewhere."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RAW_PATH = PROJECT_ROOT / "data" / "sample" / "sales.csv"
# The bundled sample's marketing files: read when the runner builds the bundled sample (no raw path given).
DEFAULT_MARKETING_DIR = PROJECT_ROOT / "data" / "sample" / "marketing"
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_EXPORT_DIR = PROJECT_ROOT / "exports"
DEFAULT_REPORT_PATH = PROJECT_ROOT / "reports" / "analysis.html"
# A Spark build's node times (both dbt invocations and the runner's CLV fit) in dbt's run_results shape, in
# dbt's target directory: dbt's own run_results.json holds the last invocation only.
SPARK_RUN_RESULTS = "spark_run_results.json"
# Beside run_results.json after a runner build on DuckDB: each node's kind, language and file (dbt_invoke).
RUN_NODES_FILE = "run_nodes.json"


@dataclass(frozen=True)
class Workspace:
    """The files of one warehouse: the published database, its working copy, lock and run log."""

    data_dir: Path

    @classmethod
    def from_env(cls, data_dir: str | os.PathLike[str] | None = None) -> Workspace:
        chosen = data_dir or os.environ.get("SALESDW_DATA_DIR") or DEFAULT_DATA_DIR
        return cls(Path(chosen).resolve())

    @property
    def published_db(self) -> Path:
        """The warehouse readers use. Replaced atomically, only by a build whose tests all passed."""
        return self.data_dir / "warehouse.duckdb"

    @property
    def build_dir(self) -> Path:
        return self.data_dir / "build"

    @property
    def working_db(self) -> Path:
        """Where a build writes; published by rename when the build is green."""
        return self.build_dir / "warehouse.duckdb"

    @property
    def temp_dir(self) -> Path:
        """DuckDB spill directory for inputs larger than memory_limit."""
        return self.build_dir / "spill"

    @property
    def target_dir(self) -> Path:
        """dbt's artifacts (manifest, run results, logs). SALESDW_TARGET_DIR shares one between
        workspaces, so dbt's partial parsing carries over (the test suite uses it)."""
        shared = os.environ.get("SALESDW_TARGET_DIR")
        return Path(shared).resolve() if shared else self.build_dir / "target"

    @property
    def export_dir(self) -> Path:
        """Where every build refreshes its CSV exports (campaign_targets.csv). SALESDW_EXPORT_DIR overrides;
        otherwise the project's exports/ for the default data/, and <data_dir>/exports for any other
        workspace, so test and benchmark builds never write into the repository's exports/."""
        chosen = os.environ.get("SALESDW_EXPORT_DIR")
        if chosen:
            return Path(chosen).resolve()
        is_default = self.data_dir == DEFAULT_DATA_DIR.resolve()
        return DEFAULT_EXPORT_DIR if is_default else self.data_dir / "exports"

    @property
    def lock_file(self) -> Path:
        return self.data_dir / ".build.lock"

    @property
    def run_log(self) -> Path:
        return self.data_dir / "run_log.jsonl"
