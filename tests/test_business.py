"""The business layer against an independent pandas computation on the same fixture. Segments, campaign
targets, insights and every other figure of the business layer: tests/test_figures.py, on four builds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.helpers import BuildRun

Build = tuple[BuildRun, pd.DataFrame]


def _orders(frame: pd.DataFrame) -> pd.DataFrame:
    names = {"Date": "order_date", "Customer ID": "customer_id", "Order ID": "order_id", "Sales": "amount"}
    orders = frame.rename(columns=names)
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    orders["month"] = orders["order_date"].dt.to_period("M")
    return orders


def _customers(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    customers = orders.groupby("customer_id").agg(
        first=("order_date", "min"),
        last=("order_date", "max"),
        frequency=("order_id", "count"),
        monetary=("amount", "sum"),
    )
    customers["recency"] = (as_of - customers["last"]).dt.days
    customers["tenure"] = (as_of - customers["first"]).dt.days
    return customers


def _quintile(values: pd.Series, ascending: bool) -> pd.Series:
    """1 + floor(5 * percent_rank), ties at their lowest rank: the documented RFM scoring."""
    rank = values.rank(method="min", ascending=ascending)
    percent_rank = (rank - 1) / (len(values) - 1)
    return np.minimum(5, 1 + np.floor(5 * percent_rank)).astype(int)


def test_monthly_metrics_match_pandas(random_build: Build) -> None:
    run, frame = random_build
    orders = _orders(frame)
    first_month = orders.groupby("customer_id")["month"].min()
    expected = orders.groupby("month").agg(
        revenue=("amount", "sum"), orders=("order_id", "count"), active_customers=("customer_id", "nunique")
    )
    expected["new_customers"] = first_month.value_counts().reindex(expected.index, fill_value=0)
    expected["returning_customers"] = expected.active_customers - expected.new_customers
    expected["average_order_value"] = expected.revenue / expected.orders
    expected["revenue_growth"] = expected.revenue.pct_change()

    actual = run.query(
        "select year_month, revenue::double as revenue, orders, active_customers, new_customers, "
        "returning_customers, average_order_value::double as average_order_value, revenue_growth "
        "from monthly_metrics order by month_start_date"
    ).set_index("year_month")
    assert list(actual.index) == [str(month) for month in expected.index]
    for column in ("orders", "active_customers", "new_customers", "returning_customers"):
        assert actual[column].tolist() == expected[column].tolist(), column
    assert actual.revenue.values == pytest.approx(expected.revenue.values, abs=0.01)
    assert actual.average_order_value.values == pytest.approx(expected.average_order_value.values, abs=0.006)
    assert actual.revenue_growth.values[1:] == pytest.approx(expected.revenue_growth.values[1:], abs=1e-4)


def test_cohort_retention_matches_pandas(random_build: Build) -> None:
    run, frame = random_build
    orders = _orders(frame)
    orders["cohort"] = orders.groupby("customer_id")["month"].transform("min")
    orders["months_since"] = (orders["month"] - orders["cohort"]).apply(lambda offset: offset.n)
    sizes = orders.groupby("cohort")["customer_id"].nunique()
    activity = orders.groupby(["cohort", "months_since"]).agg(
        active=("customer_id", "nunique"), revenue=("amount", "sum")
    )
    last_month = orders["month"].max()
    cells = [(cohort, months) for cohort in sizes.index for months in range((last_month - cohort).n + 1)]
    expected = activity.reindex(pd.MultiIndex.from_tuples(cells), fill_value=0)
    expected["size"] = [sizes[cohort] for cohort, _ in expected.index]
    expected["retention"] = expected.active / expected["size"]
    expected["cumulative_per_customer"] = expected.groupby(level=0).revenue.cumsum() / expected["size"]

    actual = run.query(
        "select strftime(cohort_month, '%Y-%m') as cohort, months_since_first_order, cohort_size, "
        "active_customers, retention_rate, revenue::double as revenue, "
        "cumulative_revenue_per_customer::double as cumulative_per_customer "
        "from cohort_retention order by cohort_month, months_since_first_order"
    )
    assert len(actual) == len(expected)
    assert actual.cohort.tolist() == [str(cohort) for cohort, _ in expected.index]
    assert actual.months_since_first_order.tolist() == [months for _, months in expected.index]
    assert actual.cohort_size.tolist() == expected["size"].tolist()
    assert actual.active_customers.tolist() == expected.active.tolist()
    assert actual.retention_rate.values == pytest.approx(expected.retention.values, abs=5e-5)
    assert actual.revenue.values == pytest.approx(expected.revenue.values, abs=0.01)
    assert actual.cumulative_per_customer.values == pytest.approx(
        expected.cumulative_per_customer.values, abs=0.006
    )


def test_rfm_and_churn_scores_match_pandas(random_build: Build) -> None:
    run, frame = random_build
    orders = _orders(frame)
    as_of = orders["order_date"].max()
    customers = _customers(orders, as_of)
    customers["r_score"] = _quintile(customers.recency, ascending=False)
    customers["f_score"] = _quintile(customers.frequency, ascending=True)
    customers["m_score"] = _quintile(customers.monetary, ascending=True)

    # Churn score, re-derived from its documented definition.
    repeat = customers[customers.frequency > 1]
    median_gap = ((repeat["last"] - repeat["first"]).dt.days / (repeat.frequency - 1)).median()
    gap = np.where(
        customers.frequency > 1,
        (customers["last"] - customers["first"]).dt.days / (customers.frequency - 1).clip(lower=1),
        median_gap,
    ).clip(min=1)
    last_amount = orders.sort_values(["order_date", "order_id"]).groupby("customer_id")["amount"].last()
    earlier_average = (customers.monetary - last_amount) / (customers.frequency - 1)
    trend = ((last_amount - earlier_average) / earlier_average).where(customers.frequency > 1, 0)
    value_risk = (0.5 - trend / 2).clip(0, 1)
    recency_risk = 1 - 0.5 ** (customers.recency / gap)
    score = 100 * (0.6 * recency_risk + 0.25 / customers.frequency + 0.15 * value_risk)
    customers["churn_risk_score"] = np.floor(score + 0.5).astype(int)

    actual = (
        run.query(
            "select customer_id::bigint as customer_id, recency_days, r_score, f_score, m_score, rfm_cell, "
            "churn_risk_score from customer_ltv"
        )
        .set_index("customer_id")
        .loc[customers.index]
    )
    assert (actual.recency_days.values == customers.recency.values).all()
    for column in ("r_score", "f_score", "m_score", "churn_risk_score"):
        mismatches = (actual[column].values != customers[column].values).sum()
        assert mismatches == 0, f"{column}: {mismatches} customers differ"
    assert (
        actual.rfm_cell
        == actual.r_score.astype(str) + actual.f_score.astype(str) + actual.m_score.astype(str)
    ).all()
