"""Shared fixtures: builds run in-process into temporary workspaces, never into the project's data/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import BuildRun, build_warehouse, write_random_orders

FIXTURES = Path(__file__).parent / "fixtures"


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
