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


# The suite runs on two workers (pyproject: `-n 2 --dist loadscope --no-loadscope-reorder`): each test file
# is one unit of work on one worker (its module-scoped builds are made once; the scheduler below), and xdist
# hands the units out in collection order. So the long files must start first, or one of them ends the run
# alone on one core: the files by their measured cost, heaviest first (the rest follow in name order).
# Measured with `--durations=0` (tests/README.md, "Suite time"); re-rank when a file's cost changes a lot.
HEAVIEST_FIRST = (
    "test_spark.py",
    "test_clv_property.py",
    "test_own_data.py",
    "test_plain_dbt.py",
    "test_reliability_publish.py",
    "test_figures.py",
    "test_clv.py",
    "test_incremental.py",
    "test_reliability_input.py",
    "test_export.py",
    "test_marketing.py",
    "test_dbt_unit_tests.py",
    "test_notebook.py",
    "test_input_spec.py",
    "test_clv_uncertainty.py",
    "test_warehouse.py",
    "test_reliability_property.py",
)
# Files that share an expensive session build run on the same worker (else each worker builds it).
SAME_WORKER_AS = {"test_readme.py": "test_figures.py"}  # sample_build, the bundled sample


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: its file's name, or the file it shares a session build with."""
    name = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    return SAME_WORKER_AS.get(name, name)


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """With `--dist loadscope`: each work_unit on one worker, in collection order. Read from the node id
    itself: xdist's `loadgroup` reads a group suffix that it writes into the node id, which pytest 9.2 ignores
    (node ids became structured), so every test went out alone, and a module's build (the Spark one) was made
    on both workers: a fresh clone's suite took 716 s instead of ~470."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return FileScheduling(config, log)


# Module-scoped fixtures parametrized per input: the tests of one parameter must run together, or the build is
# made again. pytest's own grouping misses a test that parametrizes the fixture itself (its index 0 is taken
# for the fixture's first parameter): tests/test_own_data.py's notebook test rebuilt invoice_lines.
GROUPED_BY_PARAMETER = ("shape_build",)


@pytest.hookimpl(trylast=True)  # after pytest's own reordering, which keeps each file's tests together
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: position for position, name in enumerate(HEAVIEST_FIRST)}
    first_of: dict[tuple[str, str, object], int] = {}
    keys = []
    for position, item in enumerate(items):
        params = getattr(getattr(item, "callspec", None), "params", {})
        group = position
        for name in GROUPED_BY_PARAMETER:
            if name in params:
                group = first_of.setdefault((item.path.name, name, params[name]), position)
        keys.append((rank.get(item.path.name, len(rank)), group, position))
    order = sorted(range(len(items)), key=keys.__getitem__)
    items[:] = [items[index] for index in order]


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


# What the suite's builds change against the runner's defaults, for speed only (no result depends on them):
# - one dbt thread (SALESDW_THREADS=1): the fixtures are small, so a second thread buys no overlap, only
#   contention for the GIL and the cores, which the other xdist worker needs; tests/test_clv_property.py
#   alone took 117.3 CPU-s (112.7 s wall) with 2 threads, 101.0 CPU-s (100.8 s) with 1;
# - no dbt debug log file (SALESDW_DBT_FILE_LOG=none): nobody reads it here; the one test that follows a
#   build's progress in the log asks for it (tests/test_reliability_support.py, start_cli). The Spark build
#   keeps 2 threads (tests/test_spark.py).
SUITE_BUILD_SETTINGS = {"SALESDW_THREADS": "1", "SALESDW_DBT_FILE_LOG": "none"}


@pytest.fixture(scope="session", autouse=True)
def _suite_build_settings() -> Iterator[None]:
    previous = {name: os.environ.get(name) for name in SUITE_BUILD_SETTINGS}
    os.environ.update(SUITE_BUILD_SETTINGS)
    yield
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


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
