"""The order of dbt's ready nodes in the runner (salesdw/pipeline/dbt_schedule.py): longest path first."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from salesdw.pipeline.dbt_schedule import (
    critical_path_scores,
    critical_path_wanted,
    order_critical_path_first,
    previous_node_seconds,
)
from tests.helpers import build_warehouse, write_random_orders


def test_the_long_chain_goes_before_cheap_side_nodes() -> None:
    """seed -> staging (8 s) -> fact (2 s) is the chain; a seed test (0.1 s) and a side mart (1 s) hang off
    it. Lower score = given out first: each node's score is minus the seconds of the longest path from it."""
    graph = nx.DiGraph(
        [("seed", "seed_test"), ("seed_test", "staging"), ("staging", "fact"), ("seed", "side_mart")]
    )
    seconds = {"seed": 0.5, "seed_test": 0.1, "staging": 8.0, "fact": 2.0, "side_mart": 1.0}
    scores = critical_path_scores(graph, seconds)
    assert scores == pytest.approx(
        {"fact": -2.0, "staging": -10.0, "seed_test": -10.1, "seed": -10.6, "side_mart": -1.0}
    )
    ready_after_the_seed = sorted(["side_mart", "seed_test"], key=scores.__getitem__)
    assert ready_after_the_seed == ["seed_test", "side_mart"]


def test_unknown_nodes_count_the_median_of_the_known_or_one_second() -> None:
    graph = nx.DiGraph([("a", "b"), ("b", "c")])
    assert critical_path_scores(graph, {}) == {"a": -3.0, "b": -2.0, "c": -1.0}
    assert critical_path_scores(graph, {"a": 1.0, "c": 3.0, "x": 5.0}) == {"a": -7.0, "b": -6.0, "c": -3.0}


def test_previous_seconds_come_from_run_results(tmp_path: Path) -> None:
    assert previous_node_seconds(tmp_path / "missing.json") == {}
    (tmp_path / "broken.json").write_text("{not json")
    assert previous_node_seconds(tmp_path / "broken.json") == {}
    results = {"results": [{"unique_id": "model.p.a", "execution_time": 2.5}, {"unique_id": "test.p.t"}]}
    (tmp_path / "run_results.json").write_text(json.dumps(results))
    assert previous_node_seconds(tmp_path / "run_results.json") == {"model.p.a": 2.5, "test.p.t": 0.0}


def test_daily_builds_with_previous_times_take_the_critical_path_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default: the critical-path order for a daily build that has the previous build's node times, dbt's
    own queue for a full build or without times; SALESDW_DBT_ORDER=critical_path|dbt overrides both ways."""
    from dbt.graph.queue import GraphQueue

    monkeypatch.delenv("SALESDW_DBT_ORDER", raising=False)
    assert not critical_path_wanted(daily=True, seconds={})
    assert not critical_path_wanted(daily=False, seconds={"model.p.a": 1.0})
    assert critical_path_wanted(daily=True, seconds={"model.p.a": 1.0})
    monkeypatch.setenv("SALESDW_DBT_ORDER", "dbt")
    assert not critical_path_wanted(daily=True, seconds={"model.p.a": 1.0})
    monkeypatch.setenv("SALESDW_DBT_ORDER", "critical_path")
    assert critical_path_wanted(daily=False, seconds={})

    order_critical_path_first(tmp_path, threads=2)
    original_scores, original_get = GraphQueue._salesdw_originals  # type: ignore[attr-defined]
    assert GraphQueue.get is not original_get
    monkeypatch.delenv("SALESDW_DBT_ORDER")
    order_critical_path_first(tmp_path, threads=2, daily=True)  # no previous times: dbt's own queue
    assert (GraphQueue._get_scores, GraphQueue.get) == (original_scores, original_get)
    results = {"results": [{"unique_id": "model.p.a", "execution_time": 2.5}]}
    (tmp_path / "run_results.json").write_text(json.dumps(results))
    order_critical_path_first(tmp_path, threads=2, daily=True)
    assert GraphQueue.get is not original_get
    order_critical_path_first(tmp_path, threads=2, daily=False)  # a full build: dbt's own queue
    assert (GraphQueue._get_scores, GraphQueue.get) == (original_scores, original_get)


@pytest.mark.parametrize(
    ("full_refresh", "published", "daily"),
    [
        (False, False, True),  # an incremental build (nothing published yet: nothing to refresh)
        (True, False, False),  # --full-refresh
        (False, True, False),  # the runner's own full refresh (this warehouse records no loaded files)
    ],
)
def test_the_runner_asks_for_the_daily_order_only_for_an_incremental_build(
    full_refresh: bool, published: bool, daily: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """build.py hands dbt_schedule `daily=True` exactly when the build it starts is incremental."""
    import duckdb

    from salesdw.pipeline import build
    from salesdw.pipeline.dbt_invoke import BuildOutcome

    asked: list[bool] = []

    def stopped_dbt(args: list[str], env: object, quiet: bool = True, daily: bool = False) -> BuildOutcome:
        asked.append(daily)
        assert ("--full-refresh" in args) is not daily
        return BuildOutcome(success=False, nodes=(), error="stopped here by the test")

    monkeypatch.setattr(build, "run_dbt", stopped_dbt)
    raw = tmp_path / "orders.csv"
    write_random_orders(raw, n_orders=50, seed=3, n_customers=20)
    data = tmp_path / "data"
    if published:
        data.mkdir()
        duckdb.connect(str(data / "warehouse.duckdb")).close()
    run = build_warehouse(raw, data, full_refresh=full_refresh)
    assert run.exit_code != 0 and asked == [daily], run.output
