"""Every figure a marketer acts on, recomputed in pandas (tests/reference.py) and compared with the warehouse.

Four builds, each checked the same way:
* random: a year of uniformly random orders (tests/helpers.py), as of the last order;
* long: two and a half years (tests/long_history.py) with Lost customers, a two-month closure and planted
  rule boundaries, as of the last order (2021-06-17, a partial month);
* long_later: the same file with --as-of-date 2021-10-01 (three complete months without orders, then one day);
* sample: the bundled sample, i.e. what the README prints.
Thresholds, weights, campaigns and the segment order are read from the seeds on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesdw.outputs.export import BUILD_EXPORT_NAME, CAMPAIGN_TARGETS_COLUMNS
from salesdw.paths import DEFAULT_RAW_PATH
from tests import long_history
from tests import reference as ref
from tests.helpers import BuildRun


@dataclass
class Case:
    name: str
    run: BuildRun
    orders: pd.DataFrame
    expected: ref.Reference


_CASES: dict[str, Case] = {}


def _case(name: str, request: pytest.FixtureRequest) -> Case:
    if name not in _CASES:
        _CASES.clear()  # one reference at a time: the tests below run case by case
        _CASES[name] = _compute_case(name, request)
    return _CASES[name]


def _compute_case(name: str, request: pytest.FixtureRequest) -> Case:
    if name == "random":
        run, _ = request.getfixturevalue("random_build")
        raw, as_of = run.workspace.data_dir.parent / "orders.csv", None
    elif name == "sample":
        run, raw, as_of = request.getfixturevalue("sample_build"), DEFAULT_RAW_PATH, None
    else:
        raw = request.getfixturevalue("long_history_csv")
        later = name == "long_later"
        run = request.getfixturevalue("long_build_later" if later else "long_build")
        as_of = long_history.LATER_AS_OF if later else None
    orders, returns = ref.read_orders(Path(raw)), ref.read_returns(Path(raw))
    as_of = as_of if as_of is not None else orders.order_date.max()
    # The CLV layer's outputs are inputs of the business layer (tests/test_clv.py checks them).
    clv = run.query("select customer_id, p_alive, predicted_clv from customer_clv").set_index("customer_id")
    ltv_basis = run.query("select any_value(ltv_basis) as basis from clv_model_fit").basis[0]
    backtest = run.query("select * from clv_backtest where is_total and is_selected_model").iloc[0]
    return Case(name, run, orders, ref.compute(orders, returns, as_of, clv, ltv_basis, backtest))


@pytest.fixture(scope="module", params=["random", "long", "long_later", "sample"])
def case(request: pytest.FixtureRequest) -> Case:
    return _case(request.param, request)


def assert_same(actual: pd.Series, expected: pd.Series, name: str, tolerance: float = 0.0) -> None:
    """Equal row by row (both null counts as equal), numbers within `tolerance`; names a few differences."""
    actual, expected = actual.align(expected)
    if tolerance or pd.api.types.is_float_dtype(expected):
        a, e = actual.astype(float), expected.astype(float)
        same = (a.isna() & e.isna()) | ((a - e).abs() <= tolerance + 1e-9 * e.abs())
    else:
        same = (actual.isna() & expected.isna()) | (actual == expected)
    differing = same[~same].index
    examples = [(key, actual[key], expected[key]) for key in differing[:3]]
    assert not len(differing), (
        f"{name}: {len(differing)} of {len(same)} differ, e.g. (key, actual, expected) {examples}"
    )


CENT = 0.005  # money is DECIMAL(18, 2): equal to the cent (half a cent for float noise in the comparison)


def test_customer_ltv_matches_pandas(case: Case) -> None:
    actual = case.run.query(
        """
        select customer_id, recency_days, frequency, tenure_days,
            monetary_total::double as monetary_total, average_order_value::double as average_order_value,
            order_value_trend, expected_days_between_orders, churn_risk_score, churn_risk_band,
            annual_order_rate, projected_12m_value::double as projected_12m_value,
            ltv_12m_estimate::double as ltv_12m_estimate, ltv_ranking_value, ltv_percentile,
            historical_ltv_percentile, r_score, f_score, m_score, gross_revenue::double as gross_revenue,
            returned_amount::double as returned_amount, net_revenue::double as net_revenue
        from customer_ltv
        """
    ).set_index("customer_id")
    expected = case.expected.customers
    assert sorted(actual.index) == sorted(expected.index)
    expected = expected.assign(order_value_trend=ref.sql_round(expected.order_value_trend, 4))
    for column in ("recency_days", "frequency", "tenure_days", "churn_risk_score", "churn_risk_band"):
        assert_same(actual[column], expected[column], column)
    for column in ("r_score", "f_score", "m_score"):
        assert_same(actual[column], expected[column], column)
    expected = expected.assign(net_revenue=expected.monetary_total)
    for column in (
        "monetary_total",
        "gross_revenue",
        "returned_amount",
        "net_revenue",
        "average_order_value",
        "projected_12m_value",
        "ltv_12m_estimate",
    ):
        assert_same(actual[column], expected[column], column, tolerance=CENT)
    for column in ("order_value_trend", "expected_days_between_orders", "annual_order_rate"):
        assert_same(actual[column], expected[column], column)
    for column in ("ltv_ranking_value", "ltv_percentile", "historical_ltv_percentile"):
        assert_same(actual[column], expected[column], column)


def test_segments_and_their_reasons_match_pandas(case: Case) -> None:
    actual = case.run.query(
        "select customer_id, segment, segment_reason, is_lost, is_new, is_high_value, is_at_risk "
        "from customer_segments"
    ).set_index("customer_id")
    expected = case.expected.customers
    for column in ("segment", "is_lost", "is_new", "is_high_value", "is_at_risk", "segment_reason"):
        assert_same(actual[column], expected[column], column)


def test_campaign_targets_match_pandas(case: Case) -> None:
    actual = case.run.query(
        """
        select campaign_type, customer_id, segment, priority, priority_rank,
            estimated_campaign_value::double as estimated_campaign_value, expected_response_rate,
            projected_12m_value::double as projected_12m_value, churn_risk_score, ltv_percentile,
            order_count, lifetime_revenue::double as lifetime_revenue, recency_days, target_reason
        from campaign_targets
        """
    ).set_index(["campaign_type", "customer_id"])
    expected = case.expected.targets
    assert sorted(actual.index) == sorted(expected.index), "targeted (campaign, customer) pairs differ"
    expected = expected.assign(
        ltv_percentile=ref.sql_round(expected.ltv_percentile, 4),
        order_count=expected.frequency,
        lifetime_revenue=expected.monetary_total,
    )
    for column in ("segment", "priority", "priority_rank", "churn_risk_score", "order_count", "recency_days"):
        assert_same(actual[column], expected[column], column)
    for column in ("estimated_campaign_value", "projected_12m_value", "lifetime_revenue"):
        assert_same(actual[column], expected[column], column, tolerance=CENT)
    assert_same(actual.expected_response_rate, expected.expected_response_rate, "expected_response_rate")
    assert_same(actual.ltv_percentile, expected.ltv_percentile, "ltv_percentile")
    assert_same(actual.target_reason, expected.target_reason, "target_reason")


def test_priority_rank_orders_the_priorities(case: Case) -> None:
    """The documented contract (1 = High, 2 = Medium, 3 = Low), on every row of the warehouse."""
    pairs = case.run.query("select distinct priority, priority_rank from campaign_targets")
    assert dict(zip(pairs.priority, pairs.priority_rank, strict=True)) == {
        priority: rank for priority, rank in ref.PRIORITY_RANK.items() if priority in set(pairs.priority)
    }


def test_monthly_metrics_match_pandas(case: Case) -> None:
    actual = case.run.query(
        """
        select year_month, is_complete_month, revenue::double as revenue, orders, active_customers,
            new_customers, returning_customers, average_order_value::double as average_order_value,
            revenue_per_customer::double as revenue_per_customer, revenue_growth, active_customers_growth,
            return_count, returned_amount::double as returned_amount, net_revenue::double as net_revenue,
            return_rate
        from monthly_metrics order by month_start_date
        """
    ).set_index("year_month")
    expected = case.expected.months
    assert list(actual.index) == list(expected.index)
    for column in (
        "is_complete_month",
        "orders",
        "active_customers",
        "new_customers",
        "returning_customers",
        "return_count",
    ):
        assert_same(actual[column], expected[column], column)
    money = ("revenue", "average_order_value", "revenue_per_customer", "returned_amount", "net_revenue")
    for column in money:
        assert_same(actual[column], expected[column], column, tolerance=CENT)
    for column in ("revenue_growth", "active_customers_growth", "return_rate"):
        assert_same(actual[column], expected[column], column)


def test_cohort_retention_matches_pandas(case: Case) -> None:
    actual = case.run.query(
        """
        select strftime(cohort_month, '%Y-%m') as cohort, months_since_first_order as since, cohort_size,
            active_customers, retention_rate, revenue::double as revenue,
            cumulative_revenue_per_customer::double as cumulative_revenue_per_customer
        from cohort_retention
        """
    ).set_index(["cohort", "since"])
    expected = case.expected.cohorts
    assert sorted(actual.index) == sorted(expected.index)
    for column in ("cohort_size", "active_customers", "retention_rate"):
        assert_same(actual[column], expected[column], column)
    for column in ("revenue", "cumulative_revenue_per_customer"):
        assert_same(actual[column], expected[column], column, tolerance=CENT)


def test_every_insight_matches_pandas(case: Case) -> None:
    actual = case.run.query("select * from business_insights").set_index("insight_key")
    for key, expected in case.expected.insights.items():
        assert key in actual.index, f"no {key} insight"
        row = actual.loc[key]
        assert row.display_order == expected["display_order"], key
        assert row.severity == expected["severity"], key
        assert row.headline == expected["headline"], key
        assert row.metric_value == pytest.approx(expected["metric_value"], rel=1e-9, nan_ok=True), key
        assert row.secondary_value == pytest.approx(
            expected["secondary_value"], rel=1e-9, abs=CENT, nan_ok=True
        ), key
    # Nothing unchecked: every business insight (the marketing ones, display order 101 and up, are
    # tests/test_marketing*'s) is one the reference computed.
    business = set(actual.index[actual.display_order <= 100])
    assert business <= set(case.expected.insights), sorted(business - set(case.expected.insights))
    # Cohort insights exist exactly when some cohort qualifies.
    for key in ("best_cohort_retention", "worst_cohort_retention"):
        assert (key in actual.index) == (key in case.expected.insights), key


def test_the_build_prints_every_insight_in_order(case: Case) -> None:
    expected = sorted(case.expected.insights.values(), key=lambda insight: insight["display_order"])
    printed = [line.strip() for line in case.run.output.splitlines() if line.startswith("  [")]
    lines = [f"[{insight['severity']}] {insight['headline']}" for insight in expected]
    assert [line for line in printed if line in lines] == lines


def test_the_export_holds_every_target_sorted_by_campaign_priority_then_value(case: Case) -> None:
    """The campaign tool's file (written by the build): the reference's targets, sorted by campaign type,
    priority (High first), then estimated value (highest first), then customer key (the integer itself for
    integer ids, which every fixture here has: 99999 before 100000)."""
    exported = pd.read_csv(
        case.run.workspace.data_dir / "exports" / BUILD_EXPORT_NAME, dtype={"customer_id": str}
    )
    assert [column for column in exported.columns if column in CAMPAIGN_TARGETS_COLUMNS] == list(
        CAMPAIGN_TARGETS_COLUMNS
    )
    expected = (
        case.expected.targets.reset_index()
        .assign(customer_key=lambda frame: frame.customer_id.astype("int64"))
        .sort_values(
            ["campaign_type", "priority_rank", "estimated_campaign_value", "customer_key"],
            ascending=[True, True, False, True],
        )
        .reset_index(drop=True)
    )
    assert len(exported) == len(expected)
    assert exported.campaign_type.tolist() == expected.campaign_type.tolist()
    assert exported.customer_id.tolist() == expected.customer_id.tolist()
    assert exported.priority.tolist() == expected.priority.tolist()
    assert exported.priority_rank.tolist() == expected.priority_rank.tolist()
    assert np.allclose(
        exported.estimated_campaign_value, expected.estimated_campaign_value, atol=CENT, rtol=0
    )
    # The CLV layer's scores, when present, are the warehouse's rounded to 4 decimals and to cents.
    scores = case.run.query("select campaign_type, customer_id, p_alive, predicted_clv from campaign_targets")
    scores = exported[["campaign_type", "customer_id"]].merge(scores, how="left")
    if "p_alive" in exported.columns:
        assert_same(exported.p_alive, pd.Series(ref.sql_round(scores.p_alive, 4)), "p_alive")
        assert_same(
            exported.predicted_clv, scores.predicted_clv.astype(float), "predicted_clv", tolerance=CENT
        )


@pytest.mark.parametrize("name", ["long", "long_later"])
def test_the_long_history_has_lost_customers_win_back_targets_and_months_without_orders(
    name: str, request: pytest.FixtureRequest
) -> None:
    """What the fixture is for, so it cannot quietly lose it: more than two years, Lost customers and
    Win-Back targets in the warehouse, the closure's zero months, and after a later --as-of-date complete
    months without orders up to it."""
    case = _case(name, request)
    assert (case.orders.order_date.max() - case.orders.order_date.min()).days > 2 * 365
    as_of = case.run.query("select as_of_date, as_of_date_source from int_analysis_date").iloc[0]
    assert pd.Timestamp(as_of.as_of_date) == case.expected.as_of
    assert as_of.as_of_date_source == ("as_of_date var" if name == "long_later" else "last order date")
    segments = case.run.query("select segment, count(*) as n from customer_segments group by 1")
    segments = dict(zip(segments.segment, segments.n, strict=True))
    assert segments.get("Lost", 0) > 100
    campaigns = case.run.query("select campaign_type, count(*) as n from campaign_targets group by 1")
    assert dict(zip(campaigns.campaign_type, campaigns.n, strict=True)).get("Win-Back", 0) > 10
    months = case.run.query(
        "select year_month, revenue, orders, is_complete_month from monthly_metrics"
    ).set_index("year_month")
    later = ["2021-07", "2021-08", "2021-09", "2021-10"] if name == "long_later" else []
    empty = ["2020-04", "2020-05", *later]
    assert (months.loc[empty, "revenue"] == 0).all() and (months.loc[empty, "orders"] == 0).all()
    # Up to the analysis date's month (2021-10 for 2021-10-01), which is partial; every earlier one complete.
    assert months.index[-1] == case.expected.as_of.strftime("%Y-%m")
    assert not months.is_complete_month.iloc[-1] and months.is_complete_month.iloc[:-1].all()
    if name == "long":
        assert segments.get("New", 0) > 10 and segments.get("High Value", 0) > 10
    # The planted cohorts tie for the best month-1 retention; the earlier, of exactly the minimum size, wins.
    best = case.run.query(
        "select headline from business_insights where insight_key = 'best_cohort_retention'"
    )
    first = min(long_history.PLANTED_COHORTS)
    size = int(case.expected.rules["insight_min_cohort_size"])
    assert (
        best.headline[0] == f"Best cohort: {first} with 100.0% of {size} customers back in their second month"
    )


@pytest.mark.parametrize("name", ["long", "long_later"])
def test_customers_planted_at_the_rule_boundaries_land_on_the_right_side(
    name: str, request: pytest.FixtureRequest
) -> None:
    case = _case(name, request)
    rules = case.expected.rules
    segments = case.run.query(
        "select customer_id, segment, recency_days, tenure_days from customer_segments"
    ).set_index("customer_id")
    which = "(later as-of)" if name == "long_later" else "(default as-of)"
    planted = [item for item in long_history.planted_customers(rules) if item.note.endswith(which)]
    assert len(planted) >= 2
    for item in planted:
        row = segments.loc[str(item.customer_id)]
        if item.note.startswith("Lost at exactly"):
            assert (row.recency_days, row.segment) == (rules["lost_min_days_since_last_order"], "Lost"), item
        elif item.note.startswith("one day short of Lost"):
            assert row.recency_days == rules["lost_min_days_since_last_order"] - 1, item
            assert row.segment != "Lost", item
        elif item.note.startswith("New at exactly"):
            assert (row.tenure_days, row.segment) == (rules["new_max_days_since_first_order"], "New"), item
        elif item.note.startswith("one day past New"):
            assert row.tenure_days == rules["new_max_days_since_first_order"] + 1, item
            assert row.segment != "New", item
