"""`run_pipeline.py export campaign_targets`: a clean CSV, filters bound as parameters and checked against
the warehouse, clear errors; and the refresh of <export_dir>/campaign_targets.csv after every build."""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from salesdw.cli import main
from salesdw.outputs.export import (
    BUILD_EXPORT_NAME,
    CAMPAIGN_TARGETS_COLUMNS,
    CAMPAIGN_TARGETS_OPTIONAL_COLUMNS,
    CHANNEL_PERFORMANCE,
    ORDER_ATTRIBUTION,
    drop_build_export,
    refresh_build_export,
)
from salesdw.paths import DEFAULT_EXPORT_DIR, Workspace
from salesdw.pipeline.build import BuildRequest
from salesdw.readers import open_published
from tests.helpers import BuildRun


@pytest.fixture(scope="module")
def warehouse(random_build: tuple[BuildRun, pd.DataFrame]) -> BuildRun:
    return random_build[0]


@pytest.fixture(scope="module")
def targets(warehouse: BuildRun) -> pd.DataFrame:
    """campaign_targets as the warehouse holds it (the independent reference for every filter)."""
    return warehouse.query("select * from campaign_targets")


def export(warehouse: BuildRun, out: Path, *options: str) -> int:
    argv = ["--data-dir", str(warehouse.workspace.data_dir), "export", "campaign_targets", "--out", str(out)]
    return main([*argv, *options])


def read_export(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def keys(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return {(str(row.campaign_type), str(row.customer_id)) for row in frame.itertuples()}


def expected_header(targets: pd.DataFrame) -> list[str]:
    # Optional columns the table has and (for the marketing channels) that hold a value.
    optional = [
        name
        for name in CAMPAIGN_TARGETS_OPTIONAL_COLUMNS
        if name in targets.columns and (name in {"p_alive", "predicted_clv"} or targets[name].notna().any())
    ]
    return [*CAMPAIGN_TARGETS_COLUMNS[:-1], *optional, CAMPAIGN_TARGETS_COLUMNS[-1]]


def test_unfiltered_export_is_the_whole_table(
    warehouse: BuildRun, targets: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "all.csv"
    assert export(warehouse, out) == 0
    assert f"exported {len(targets):,} rows to {out}" in capsys.readouterr().out
    exported = read_export(out)
    assert len(targets) > 100
    assert len(exported) == len(targets)
    assert keys(exported) == keys(targets)


def test_csv_is_clean_header_iso_dates_two_decimal_money_no_index(
    warehouse: BuildRun, targets: pd.DataFrame, tmp_path: Path
) -> None:
    out = tmp_path / "all.csv"
    assert export(warehouse, out) == 0
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert header == expected_header(targets)  # explicit columns, stable order, no index column
    column = {name: index for index, name in enumerate(header)}
    for row in body:
        assert len(row) == len(header)
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[column["last_order_date"]])
        for money in ("estimated_campaign_value", "projected_12m_value", "lifetime_revenue"):
            assert re.fullmatch(r"-?\d+\.\d{2}", row[column[money]]), (money, row[column[money]])
        assert row[column["priority"]] in {"High", "Medium", "Low"}
        for name in header:  # no float noise anywhere: numbers carry at most 4 decimals
            assert not re.fullmatch(r"-?\d+\.\d{5,}", row[column[name]]), (name, row[column[name]])
    # Values survive the round trip exactly (no float noise): the file's sum is the warehouse's sum.
    total = sum(Decimal(row[column["estimated_campaign_value"]]) for row in body)
    with open_published(warehouse.workspace.published_db) as connection:
        expected = connection.execute("select sum(estimated_campaign_value) from campaign_targets").fetchall()
    assert total == expected[0][0]
    # Stable order: by campaign type, then priority, then value (highest first).
    ordered = [(row[column["campaign_type"]], int(row[column["priority_rank"]])) for row in body]
    assert ordered == sorted(ordered)


@pytest.mark.parametrize(
    ("options", "keep"),
    [
        (["--campaign-type", "Retention"], lambda t: t["campaign_type"] == "Retention"),
        (["--campaign-type", "cross-sell"], lambda t: t["campaign_type"] == "Cross-Sell"),
        (["--priority", "High"], lambda t: t["priority"] == "High"),
        (["--priority", "low"], lambda t: t["priority"] == "Low"),
        (["--min-value", "5"], lambda t: t["estimated_campaign_value"].astype(float) >= 5),
        (["--min-value", "$12.50"], lambda t: t["estimated_campaign_value"].astype(float) >= 12.5),
        (
            ["--campaign-type", "Retention", "--priority", "Medium", "--min-value", "1"],
            lambda t: (
                (t["campaign_type"] == "Retention")
                & (t["priority"] == "Medium")
                & (t["estimated_campaign_value"].astype(float) >= 1)
            ),
        ),
    ],
    ids=["type", "type-any-case", "priority", "priority-any-case", "min-value", "min-value-$", "combined"],
)
def test_each_filter_matches_an_independent_pandas_filter(
    warehouse: BuildRun,
    targets: pd.DataFrame,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    keep,
) -> None:
    out = tmp_path / "filtered.csv"
    assert export(warehouse, out, *options) == 0
    expected = targets[keep(targets)]
    exported = read_export(out)
    assert keys(exported) == keys(expected)
    assert len(exported) == len(expected)
    assert f"exported {len(expected):,} rows" in capsys.readouterr().out


def test_min_value_keeps_targets_worth_exactly_the_minimum(
    warehouse: BuildRun, targets: pd.DataFrame, tmp_path: Path
) -> None:
    """--min-value is inclusive: a customer worth exactly the minimum is on the list."""
    value = Decimal(str(sorted(targets["estimated_campaign_value"])[len(targets) // 2]))
    out = tmp_path / "at_least.csv"
    assert export(warehouse, out, "--min-value", str(value)) == 0
    exported = read_export(out)["estimated_campaign_value"].map(Decimal)
    assert (exported == value).sum() >= 1
    assert len(exported) == sum(Decimal(str(money)) >= value for money in targets["estimated_campaign_value"])


def test_a_filter_matching_nothing_writes_the_header_only(warehouse: BuildRun, tmp_path: Path) -> None:
    out = tmp_path / "none.csv"
    assert export(warehouse, out, "--min-value", "1000000000") == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("campaign_type,customer_id,")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--campaign-type", "Winback"], "unknown campaign type 'Winback'; valid values: {types}"),
        # Bound as a parameter and checked first: an injection attempt is just an unknown value.
        (["--campaign-type", "x' or '1'='1"], "valid values: {types}"),
        (["--priority", "Urgent"], "unknown priority 'Urgent'; valid values: High, Medium, Low"),
        (["--min-value", "ten"], "--min-value 'ten': not a number"),
    ],
)
def test_bad_filter_values_are_one_clear_line(
    warehouse: BuildRun,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    message: str,
) -> None:
    out = tmp_path / "x.csv"
    assert export(warehouse, out, *options) == 2
    error = capsys.readouterr().err
    # The valid campaign types are the campaigns seed's (read independently here).
    types = ", ".join(warehouse.query("select campaign_type from campaigns order by 1")["campaign_type"])
    assert message.format(types=types) in error
    assert error.count("\n") == 1
    assert not out.exists()


def test_unwritable_paths_are_clear_errors(
    warehouse: BuildRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    for out, message in (
        (tmp_path / "missing" / "x.csv", "does not exist"),
        (tmp_path, "is a directory"),
        (a_file / "x.csv", "does not exist"),
    ):
        assert export(warehouse, out) == 2
        error = capsys.readouterr().err
        assert error.startswith(f"error: cannot write {out}")
        assert message in error
        assert error.count("\n") == 1
    assert list(tmp_path.iterdir()) == [a_file]  # no temporary files left behind


def test_export_before_any_build_says_how_to_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--data-dir", str(tmp_path), "export", "campaign_targets", "--out", str(tmp_path / "x.csv")])
    assert code == 2
    assert "python run_pipeline.py" in capsys.readouterr().err


def test_every_build_refreshes_the_export_file(warehouse: BuildRun, targets: pd.DataFrame) -> None:
    """The session's build (a temporary workspace) wrote <data_dir>/exports/, not the repository's."""
    refreshed = warehouse.workspace.data_dir / "exports" / BUILD_EXPORT_NAME
    assert "exported" in warehouse.output and str(refreshed) in warehouse.output
    assert keys(read_export(refreshed)) == keys(targets)
    assert refreshed.parent != DEFAULT_EXPORT_DIR


def test_refresh_writes_into_salesdw_export_dir_atomically(
    warehouse: BuildRun, targets: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export_dir = tmp_path / "exports"
    monkeypatch.setenv("SALESDW_EXPORT_DIR", str(export_dir))
    workspace = Workspace(warehouse.workspace.data_dir)
    assert workspace.export_dir == export_dir
    (export_dir).mkdir()
    (export_dir / BUILD_EXPORT_NAME).write_text("stale\n")
    lines: list[str] = []
    result = refresh_build_export(workspace, lines.append)
    assert result is not None and result.rows == len(targets)
    assert keys(read_export(export_dir / BUILD_EXPORT_NAME)) == keys(targets)
    assert [path.name for path in export_dir.iterdir()] == [BUILD_EXPORT_NAME]
    assert lines == [f"exported {len(targets):,} campaign targets to {export_dir / BUILD_EXPORT_NAME}"]


def test_a_failed_refresh_warns_and_removes_the_stale_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export_dir = tmp_path / "exports"
    export_dir.mkdir()
    (export_dir / BUILD_EXPORT_NAME).write_text("stale\n")
    monkeypatch.setenv("SALESDW_EXPORT_DIR", str(export_dir))
    lines: list[str] = []
    assert refresh_build_export(Workspace(tmp_path / "never_built"), lines.append) is None
    assert not (export_dir / BUILD_EXPORT_NAME).exists()
    assert len(lines) == 1 and lines[0].startswith("warning: could not refresh")


def test_no_export_build_skips_the_file_and_removes_the_stale_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests: list[BuildRequest] = []

    def record(request: BuildRequest, workspace: Workspace) -> int:
        requests.append(request)
        return 0

    monkeypatch.setattr("salesdw.commands.build.run_build", record)
    assert main(["--data-dir", str(tmp_path), "build", "--no-export"]) == 0
    assert main(["--data-dir", str(tmp_path), "build"]) == 0
    assert [request.export for request in requests] == [False, True]

    export_dir = tmp_path / "exports"
    export_dir.mkdir()
    stale = export_dir / BUILD_EXPORT_NAME
    stale.write_text("stale\n")
    monkeypatch.setenv("SALESDW_EXPORT_DIR", str(export_dir))
    lines: list[str] = []
    drop_build_export(Workspace(tmp_path), lines.append)
    assert not stale.exists()
    assert len(lines) == 1 and lines[0].startswith(f"note: removed {stale}")
    drop_build_export(Workspace(tmp_path), lines.append)  # nothing left to remove: silent
    assert len(lines) == 1


def test_default_export_dir_is_the_projects_only_for_the_default_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SALESDW_EXPORT_DIR", raising=False)
    monkeypatch.delenv("SALESDW_DATA_DIR", raising=False)
    assert Workspace.from_env().export_dir == DEFAULT_EXPORT_DIR
    assert Workspace(tmp_path).export_dir == tmp_path / "exports"


def test_channel_performance_export_matches_the_table(
    marketing_build: BuildRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "weekly.csv"
    argv = ["--data-dir", str(marketing_build.workspace.data_dir), "export", "channel_performance"]
    assert (
        main([*argv, "--out", str(out), "--grain", "WEEK", "--channel", "Google_Ads", "--from", "2022-03-01"])
        == 0
    )
    expected = marketing_build.query(
        "select period_start_date, campaign_id, spend, roas_linear from channel_performance "
        "where time_grain = 'week' and channel = 'google_ads' and period_start_date >= date '2022-03-01' "
        "order by period_start_date, campaign_id"
    )
    exported = read_export(out)
    assert list(exported.columns) == list(CHANNEL_PERFORMANCE.columns)
    assert len(exported) == len(expected) > 2
    assert f"exported {len(expected):,} rows" in capsys.readouterr().out
    assert list(exported["campaign_id"]) == list(expected["campaign_id"])
    assert [Decimal(value) for value in exported["spend"]] == [Decimal(f"{v:.2f}") for v in expected["spend"]]
    # A zero denominator stays empty (null), never inf or an error.
    assert "" in set(read_export(out)["roas_linear"]) or expected["roas_linear"].notna().all()


def test_order_attribution_export_sums_to_revenue(marketing_build: BuildRun, tmp_path: Path) -> None:
    out = tmp_path / "credits.csv"
    argv = ["--data-dir", str(marketing_build.workspace.data_dir), "export", "order_attribution"]
    assert main([*argv, "--out", str(out), "--model", "position_based"]) == 0
    exported = read_export(out)
    assert list(exported.columns) == list(ORDER_ATTRIBUTION.columns)
    assert set(exported["attribution_model"]) == {"position_based"}
    revenue = marketing_build.query("select cast(sum(amount) as varchar) as total from fact_sales").total[0]
    assert sum(Decimal(value) for value in exported["credit_amount"]) == Decimal(revenue)
    keys = list(zip(exported["order_date"], exported["order_id"].astype(int), strict=True))
    assert keys == sorted(keys)  # sorted by order date, then order


def test_a_filter_of_another_table_is_one_line(
    marketing_build: BuildRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--data-dir", str(marketing_build.workspace.data_dir), "export", "channel_performance"]
    assert main([*argv, "--out", str(tmp_path / "x.csv"), "--priority", "High"]) == 2
    error = capsys.readouterr().err
    assert error == (
        "error: --priority does not apply to channel_performance "
        "(its filters: --grain, --channel, --campaign, --from, --to)\n"
    )
    assert main([*argv, "--out", str(tmp_path / "x.csv"), "--from", "2022-13-01"]) == 2
    assert "--from '2022-13-01': not a date in the form YYYY-MM-DD" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_campaign_targets_carry_the_channels_only_with_marketing_data(
    marketing_build: BuildRun, warehouse: BuildRun, tmp_path: Path
) -> None:
    with_marketing, without = tmp_path / "with.csv", tmp_path / "without.csv"
    assert export(marketing_build, with_marketing) == 0
    assert export(warehouse, without) == 0
    header = read_export(with_marketing).columns
    assert list(header[-3:]) == ["acquisition_channel", "last_touch_channel", "target_reason"]
    assert "acquisition_channel" not in read_export(without).columns
    targets = marketing_build.query(
        "select cast(customer_id as varchar) as customer_id, acquisition_channel from campaign_targets"
    )
    exported = read_export(with_marketing)
    assert dict(zip(exported["customer_id"], exported["acquisition_channel"], strict=False)) == dict(
        zip(targets["customer_id"], targets["acquisition_channel"], strict=False)
    )
