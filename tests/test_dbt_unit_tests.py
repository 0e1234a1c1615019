"""dbt's unit tests (`unit_tests:` in the models' YAML) run here: the runner skips them in production builds
because they test the SQL against hand-made inputs, not the data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import yaml

from salesdw.dbt_invoke import run_dbt
from salesdw.paths import PROJECT_ROOT
from tests.helpers import BuildRun


def _declared_unit_tests() -> set[str]:
    names: set[str] = set()
    for path in (PROJECT_ROOT / "models").rglob("*.yml"):
        for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests", []):
            names.add(test["name"])
    return names


def test_every_dbt_unit_test_passes(random_build: tuple[BuildRun, pd.DataFrame], tmp_path: Path) -> None:
    run, _ = random_build
    # Unit tests read their parents' column types from a built database: use a copy of a built one.
    database = tmp_path / "warehouse.duckdb"
    shutil.copyfile(run.workspace.published_db, database)
    outcome = run_dbt(
        [
            "test",
            "--select",
            "test_type:unit",
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        {
            "SALESDW_DB_PATH": str(database),
            "SALES_RAW_PATH": str(run.workspace.data_dir.parent / "orders.csv"),
        },
    )
    statuses = {node.name: node.status for node in outcome.nodes}
    declared = _declared_unit_tests()
    assert len(declared) >= 10
    assert set(statuses) == declared
    failed = {name: status for name, status in statuses.items() if status != "pass"}
    assert not failed, [node.describe() for node in outcome.nodes if node.failed]
    assert outcome.success
