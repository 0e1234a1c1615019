"""Shared fixtures: builds run in-process into temporary workspaces, never into the project's data/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

from salesdw.paths import DEFAULT_MARKETING_DIR, DEFAULT_RAW_PATH
from tests import long_history
from tests.helpers import BuildRun, build_warehouse, write_random_orders
from tests.reference import business_rules

FIXTURES = Path(__file__).parent / "fixtures"

# Hypothesis: derandomised by default (CI runs plain `python -m pytest`), so a failing example fails on every
# run and on every machine: each test's seed is a hash of its own source, no example database is read or
# written, and a failure prints its example and a @reproduce_failure blob. `--hypothesis-profile=explore`
# (or HYPOTHESIS_PROFILE=explore) searches with fresh random seeds; `--hypothesis-seed=N` pins one.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_report_header(config: pytest.Config) -> str:
    profile = settings.get_current_profile_name()
    if settings.default.derandomize:
        seed = "each test's seed is a hash of its source (the same on every run)"
    else:
        forced = config.getoption("hypothesis_seed", default=None)
        seed = f"seed {forced}" if forced is not None else "random seeds (a failure prints its seed)"
    return f"hypothesis: profile {profile!r}, {seed}"


@pytest.fixture(scope="session", autouse=True)
def _shared_dbt_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One dbt target directory for the session, so partial parsing carries over between builds."""
    previous = os.environ.get("SALESDW_TARGET_DIR")
    os.environ["SALESDW_TARGET_DIR"] = str(tmp_path_factory.mktemp("dbt_target"))
    yield
    if previous is None:
        os.environ.pop("SALESDW_TARGET_DIR", None)
    else:
        os.environ["SALESDW_TARGET_DIR"] = previous


@pytest.fixture(scope="session")
def bad_rows_build(tmp_path_factory: pytest.TempPathFactory) -> BuildRun:
    """The warehouse built from the fixture holding every kind of bad row (most of its rows, by design: the
    staging gate's limit is raised)."""
    return build_warehouse(
        FIXTURES / "bad_rows.csv", tmp_path_factory.mktemp("bad_rows"), max_rejected_share=0.9
    )


@pytest.fixture(scope="session")
def marketing_build(tmp_path_factory: pytest.TempPathFactory) -> BuildRun:
    """The hand-written marketing fixture (tests/fixtures/marketing/attribution) and its warehouse."""
    folder = FIXTURES / "marketing" / "attribution"
    run = build_warehouse(
        folder / "sales.csv", tmp_path_factory.mktemp("marketing") / "data", marketing_dir=folder
    )
    assert run.exit_code == 0, run.output
    return run


@pytest.fixture(scope="session")
def random_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildRun, pd.DataFrame]:
    """A clean seeded random order file (3,000 orders, ~900 customers) and its warehouse."""
    folder = tmp_path_factory.mktemp("random")
    frame = write_random_orders(folder / "orders.csv", n_orders=3_000, seed=7, n_customers=900)
    run = build_warehouse(folder / "orders.csv", folder / "data")
    assert run.exit_code == 0, run.output
    frame["Date"] = pd.to_datetime(frame["Date"]).dt.date
    return run, frame


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> BuildRun:
    """The bundled sample with its marketing files (what `python run_pipeline.py` builds), built once for
    every test that needs it."""
    run = build_warehouse(
        DEFAULT_RAW_PATH, tmp_path_factory.mktemp("sample") / "data", marketing_dir=DEFAULT_MARKETING_DIR
    )
    assert run.exit_code == 0, run.output
    return run


@pytest.fixture(scope="session")
def long_history_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two and a half years of orders (tests/long_history.py): Lost customers, a two-month closure, planted
    rule boundaries."""
    path = tmp_path_factory.mktemp("long_history") / "orders.csv"
    long_history.write_export(long_history.long_history(business_rules()), path)
    return path


@pytest.fixture(scope="session")
def long_build(long_history_csv: Path) -> BuildRun:
    """The long history as of its last order (2021-06-17: June is a partial month)."""
    run = build_warehouse(long_history_csv, long_history_csv.parent / "data")
    assert run.exit_code == 0, run.output
    return run


@pytest.fixture(scope="session")
def long_build_later(long_history_csv: Path) -> BuildRun:
    """The long history with a later --as-of-date (2021-10-01): July to September are complete months
    without orders, October a partial one."""
    as_of = long_history.LATER_AS_OF.date().isoformat()
    run = build_warehouse(long_history_csv, long_history_csv.parent / "data_later", as_of_date=as_of)
    assert run.exit_code == 0, run.output
    return run
