"""The business layer recomputed in pandas from the raw orders, the seeds and the CLV layer's scores.

Independent of the SQL: every figure is derived from its documented definition (DECISIONS.md and the model
YAML), with the rules, campaigns and segment order read from the seed files themselves, so a test compares
the warehouse with what the definitions say, and a rule edit moves both sides. The CLV layer's P(alive) and
predicted CLV are inputs here (tests/test_clv.py checks them against salesdw.clv.btyd).

Rounding follows DuckDB where a figure is rounded (measured on duckdb 2.0): `round(x, n)` of a double
rounds its exact binary value half away from zero (8.145 is 8.14499... and gives 8.14), `round(x)`
is std::round, and a cast of a double to DECIMAL(18, n) is std::round(x * 10^n) / 10^n in doubles (10.01 / 2
= 5.005 casts to 5.01, because 5.005 * 100 is 500.5 in doubles). Money (macros/scores.sql `money`) is
round(x * 100) / 100 on every engine, the cast's rule: `cast_decimal`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from salesdw.paths import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "seeds"
PRIORITY_RANK = {"High": 1, "Medium": 2, "Low": 3}  # the documented contract of priority_rank


def business_rules(seeds: Path = SEEDS) -> dict[str, float]:
    frame = pd.read_csv(seeds / "business_rules.csv")
    return dict(zip(frame.rule_name, frame.rule_value.astype(float), strict=True))


def campaigns(seeds: Path = SEEDS) -> pd.DataFrame:
    return pd.read_csv(seeds / "campaigns.csv")


def segment_order(seeds: Path = SEEDS) -> list[str]:
    catalog = pd.read_csv(seeds / "customer_segments_catalog.csv")
    return catalog.sort_values("evaluation_order").segment.tolist()


def sql_round(values, digits: int = 0):
    """DuckDB's round() of doubles (nulls stay null)."""
    array = np.asarray(values, dtype=float)
    if digits == 0:
        whole = np.trunc(array)
        return whole + np.sign(array) * (np.abs(array - whole) >= 0.5)
    step = Decimal(1).scaleb(-digits)
    rounded = [
        value if np.isnan(value) else float(Decimal(value).quantize(step, rounding=ROUND_HALF_UP))
        for value in array.ravel()
    ]
    return np.array(rounded).reshape(array.shape)


def cast_decimal(values, digits: int = 2):
    """DuckDB's cast of doubles to DECIMAL(18, digits)."""
    return sql_round(np.asarray(values, dtype=float) * 10.0**digits) / 10.0**digits


def whole_text(value: float) -> str:
    """macros/scores.sql whole_number_text: rounded half away from zero, as an integer."""
    return str(int(sql_round(value)))


def canonical_id(text: str) -> str:
    """macros/ids.sql canonical_id: trimmed text; integer-like ids (1-18 digits, optionally '.0') lose their
    leading zeros, so '0012', '12' and '12.0' are one customer."""
    text = text.strip()
    if re.fullmatch(r"[0-9]{1,18}(\.0+)?", text):
        return str(int(text.split(".")[0]))
    return text


def _is_cancellation(order_ids: pd.Series) -> pd.Series:
    """The var cancellation_order_id_prefixes (dbt_project.yml): an order id of a prefix followed by digits
    is a return."""
    prefixes = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())["vars"][
        "cancellation_order_id_prefixes"
    ]
    if not prefixes:
        return pd.Series(False, index=order_ids.index)
    pattern = "|".join(f"{re.escape(prefix)}[0-9]+" for prefix in prefixes)
    return order_ids.str.strip().str.fullmatch(pattern)


def _read_export(path: Path) -> tuple[pd.DataFrame, pd.Series]:
    raw = pd.read_csv(path, dtype=str)
    cents = (
        raw["Sales"].str.replace("$", "", regex=False).str.replace(",", "", regex=False).map(Decimal) * 100
    ).map(int)
    frame = pd.DataFrame(
        {
            "order_date": pd.to_datetime(raw["Date"].str[:10]),
            "customer_id": raw["Customer ID"].map(canonical_id),
            "order_id": raw["Order ID"].str.strip(),
            "amount_cents": cents.astype("int64"),
        }
    )
    return frame, _is_cancellation(frame.order_id)


def read_orders(path: Path) -> pd.DataFrame:
    """The orders of a clean raw export in the input contract, parsed independently of staging: order_date,
    customer_id (canonical text), order_id (an integer: the tie-break of same-day orders) and amount_cents
    (exact). Cancellations (read_returns) are left out."""
    frame, returns = _read_export(path)
    orders = frame[~returns].reset_index(drop=True)
    return orders.assign(order_id=orders.order_id.astype("int64"))


def read_returns(path: Path) -> pd.DataFrame:
    """The export's cancellation rows: return_date, customer_id and returned_cents (the amount's absolute
    value, whatever its sign)."""
    frame, returns = _read_export(path)
    frame = frame[returns]
    return pd.DataFrame(
        {
            "return_date": frame.order_date,
            "customer_id": frame.customer_id,
            "returned_cents": frame.amount_cents.abs(),
        }
    ).reset_index(drop=True)


@dataclass
class Reference:
    as_of: pd.Timestamp
    rules: dict[str, float]
    customers: pd.DataFrame  # customer_ltv and customer_segments, by customer_id
    targets: pd.DataFrame  # campaign_targets, one row per (campaign_type, customer_id)
    months: pd.DataFrame  # monthly_metrics, by year_month
    cohorts: pd.DataFrame  # cohort_retention, by (cohort, months_since_first_order)
    insights: dict[str, dict]  # business_insights by insight_key


def _share_strictly_lower(values: pd.Series) -> pd.Series:
    """1 - cume_dist() over (order by value desc): share of customers with a strictly lower value."""
    at_or_above = values.rank(method="max", ascending=False)
    return 1 - at_or_above / len(values)


def _quintile(values: pd.Series, ascending: bool) -> pd.Series:
    """1 + floor(5 * percent_rank), ties at their lowest rank, capped at 5."""
    rank = values.rank(method="min", ascending=ascending)
    percent_rank = (rank - 1) / (len(values) - 1) if len(values) > 1 else rank * 0
    return np.minimum(5, 1 + np.floor(5 * percent_rank)).astype(int)


def customer_figures(
    orders: pd.DataFrame,
    returns: pd.DataFrame,
    as_of: pd.Timestamp,
    clv: pd.DataFrame,
    ltv_basis: str,
    rules: dict[str, float],
) -> pd.DataFrame:
    """customer_ltv's figures. clv: p_alive and predicted_clv by customer_id. Monetary value, historical LTV,
    the revenue ranking and the projections are net of the customer's returns; order counts, the average
    order value and its trend are the orders as bought (DECISIONS.md, "Returns")."""
    grouped = orders.groupby("customer_id")
    customers = pd.DataFrame(
        {
            "first_order_date": grouped.order_date.min(),
            "last_order_date": grouped.order_date.max(),
            "frequency": grouped.order_id.count(),
            "monetary_cents": grouped.amount_cents.sum(),
        }
    )
    returned = returns.groupby("customer_id").returned_cents.sum()
    customers["returned_cents"] = returned.reindex(customers.index, fill_value=0)
    customers["gross_revenue"] = customers.monetary_cents / 100
    customers["returned_amount"] = customers.returned_cents / 100
    customers["monetary_total"] = (customers.monetary_cents - customers.returned_cents) / 100
    # The last order: the last day's order with the highest order id.
    last = orders.sort_values(["order_date", "order_id"]).groupby("customer_id").tail(1)
    customers["last_order_cents"] = last.set_index("customer_id").amount_cents
    customers["average_order_value"] = cast_decimal(customers.gross_revenue / customers.frequency)
    customers["net_average_order_value"] = cast_decimal(
        customers.monetary_total.clip(lower=0) / customers.frequency
    )
    customers["recency_days"] = (as_of - customers.last_order_date).dt.days
    customers["tenure_days"] = (as_of - customers.first_order_date).dt.days

    repeat = customers.frequency > 1
    own_gap = (customers.last_order_date - customers.first_order_date).dt.days / (customers.frequency - 1)
    population_gap = own_gap[repeat].median() if repeat.any() else rules["fallback_days_between_orders"]
    gap = own_gap.where(repeat, population_gap).clip(lower=1.0)
    customers["expected_days_between_orders"] = sql_round(gap, 2)
    earlier = ((customers.monetary_cents - customers.last_order_cents) / 100) / (customers.frequency - 1)
    earlier = earlier.where(repeat)
    trend = (customers.last_order_cents / 100 - earlier) / earlier.where(earlier != 0)
    customers["order_value_trend"] = trend

    recency_risk = 1 - np.power(0.5, customers.recency_days / gap)
    frequency_risk = 1.0 / customers.frequency
    value_risk = (0.5 - trend.fillna(0) / 2).clip(0.0, 1.0)
    weights = (
        rules["churn_weight_recency"],
        rules["churn_weight_frequency"],
        rules["churn_weight_value_trend"],
    )
    score = (
        100
        * (weights[0] * recency_risk + weights[1] * frequency_risk + weights[2] * value_risk)
        / sum(weights)
    )
    customers["churn_risk_score"] = sql_round(score).astype(int)
    customers["churn_risk_band"] = np.select(
        [
            customers.churn_risk_score >= rules["churn_band_high_min_score"],
            customers.churn_risk_score >= rules["churn_band_medium_min_score"],
        ],
        ["High", "Medium"],
        default="Low",
    )
    rate = (
        customers.frequency * 365.0 / np.maximum(customers.tenure_days, rules["projection_min_tenure_days"])
    )
    customers["annual_order_rate"] = sql_round(rate, 4)
    customers["projected_12m_value"] = cast_decimal(rate * customers.net_average_order_value)
    customers["ltv_12m_estimate"] = cast_decimal(
        rate * customers.net_average_order_value * (1 - customers.churn_risk_score / 100.0)
    )

    customers = customers.join(clv[["p_alive", "predicted_clv"]])
    if ltv_basis == "predicted_clv":
        customers["ltv_ranking_value"] = customers.predicted_clv.fillna(0.0)
    else:
        customers["ltv_ranking_value"] = customers.monetary_total
    customers["ltv_percentile"] = _share_strictly_lower(customers.ltv_ranking_value)
    customers["historical_ltv_percentile"] = _share_strictly_lower(customers.monetary_total)
    customers["r_score"] = _quintile(customers.recency_days, ascending=False)
    customers["f_score"] = _quintile(customers.frequency, ascending=True)
    customers["m_score"] = _quintile(customers.monetary_total, ascending=True)
    return customers


def _percentile_label(percentile: float) -> str:
    return f"LTV percentile {int(np.floor(100 * percentile))}"


def segment(customers: pd.DataFrame, rules: dict[str, float], order: list[str]) -> pd.DataFrame:
    """customer_segments: the first matching rule in the catalog's order, and the reason text."""
    customers = customers.copy()
    flags = {
        "Lost": customers.recency_days >= rules["lost_min_days_since_last_order"],
        "New": customers.tenure_days <= rules["new_max_days_since_first_order"],
        "High Value": (customers.ltv_percentile >= 1 - rules["high_value_top_share"])
        & (customers.recency_days <= rules["high_value_max_days_since_last_order"]),
        "At Risk": (customers.recency_days >= rules["at_risk_min_days_since_last_order"])
        | (customers.churn_risk_score >= rules["at_risk_min_churn_risk_score"])
        | (customers.p_alive < rules["at_risk_max_p_alive"]).fillna(False),
        "Regular": pd.Series(True, index=customers.index),
    }
    for name, column in (("Lost", "is_lost"), ("New", "is_new"), ("High Value", "is_high_value")):
        customers[column] = flags[name]
    customers["is_at_risk"] = flags["At Risk"]
    customers["segment"] = np.select([flags[name] for name in order], order, default="Regular")
    customers["segment_reason"] = [_segment_reason(row, rules) for row in customers.itertuples()]
    return customers


def _segment_reason(row, rules: dict[str, float]) -> str:
    if row.segment == "Lost":
        return (
            f"no order for {row.recency_days} days (Lost from {int(rules['lost_min_days_since_last_order'])})"
        )
    if row.segment == "New":
        return (
            f"first order {row.tenure_days} days ago "
            f"(New up to {int(rules['new_max_days_since_first_order'])})"
        )
    if row.segment == "High Value":
        return (
            f"{_percentile_label(row.ltv_percentile)} and last order {row.recency_days} days ago "
            f"(within {int(rules['high_value_max_days_since_last_order'])})"
        )
    if row.segment == "At Risk":
        p_alive = "n/a" if pd.isna(row.p_alive) else f"{sql_round(row.p_alive, 2):.2f}"
        gap = whole_text(row.expected_days_between_orders)
        return (
            f"no order for {row.recency_days} days (usual gap {gap}), "
            f"churn risk {row.churn_risk_score}/100 and P(alive) {p_alive} "
            f"(At Risk from {int(rules['at_risk_min_days_since_last_order'])} days, "
            f"score {int(rules['at_risk_min_churn_risk_score'])} "
            f"or P(alive) below {rules['at_risk_max_p_alive']:.2f})"
        )
    return "no earlier rule matched"


def campaign_targets(
    customers: pd.DataFrame, playbook: pd.DataFrame, rules: dict[str, float]
) -> pd.DataFrame:
    rows = []
    for campaign in playbook.itertuples():
        eligible = customers[
            (customers.segment == campaign.target_segment)
            & (customers.ltv_percentile >= campaign.min_value_percentile)
            & (customers.frequency >= campaign.min_orders)
            & (customers.churn_risk_score <= campaign.max_churn_risk_score)
        ].copy()
        eligible["campaign_type"] = campaign.campaign_type
        eligible["expected_response_rate"] = campaign.expected_response_rate
        rows.append(eligible)
    targets = pd.concat(rows).reset_index()
    percentile, churn = targets.ltv_percentile, targets.churn_risk_score
    targets["priority"] = np.select(
        [
            (percentile >= rules["priority_high_min_value_percentile"])
            | (
                (churn >= rules["priority_high_min_churn_risk_score"])
                & (percentile >= rules["priority_medium_min_value_percentile"])
            ),
            (percentile >= rules["priority_medium_min_value_percentile"])
            | (churn >= rules["priority_medium_min_churn_risk_score"]),
        ],
        ["High", "Medium"],
        default="Low",
    )
    targets["priority_rank"] = targets.priority.map(PRIORITY_RANK)
    targets["estimated_campaign_value"] = cast_decimal(
        targets.expected_response_rate * targets.projected_12m_value
    )
    targets["target_reason"] = [
        f"{row.segment} customer: last order {row.recency_days} days ago "
        f"(usual gap {whole_text(row.expected_days_between_orders)} days), {row.frequency} order(s), "
        f"${row.monetary_total:,.2f} lifetime revenue, {_percentile_label(row.ltv_percentile)}, "
        f"churn risk {row.churn_risk_score}/100"
        for row in targets.itertuples()
    ]
    return targets.set_index(["campaign_type", "customer_id"]).sort_index()


def monthly_metrics(orders: pd.DataFrame, returns: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per month from the first order's (or return's) month to the analysis date's month, zeros
    filled; returns netted off in the month they were made."""
    first_day = min(orders.order_date.min(), returns.return_date.min()) if len(returns) else None
    first_day = orders.order_date.min() if first_day is None else first_day
    months = pd.period_range(first_day.to_period("M"), as_of.to_period("M"), freq="M")
    month = orders.order_date.dt.to_period("M")
    first_month = orders.groupby("customer_id").order_date.min().dt.to_period("M")
    frame = pd.DataFrame(index=months)
    frame["revenue"] = orders.groupby(month).amount_cents.sum().reindex(months, fill_value=0) / 100
    frame["orders"] = orders.groupby(month).order_id.count().reindex(months, fill_value=0)
    frame["active_customers"] = orders.groupby(month).customer_id.nunique().reindex(months, fill_value=0)
    frame["new_customers"] = first_month.value_counts().reindex(months, fill_value=0)
    frame["returning_customers"] = frame.active_customers - frame.new_customers
    frame["is_complete_month"] = [period.end_time.normalize() <= as_of for period in months]
    frame["average_order_value"] = cast_decimal(frame.revenue / frame.orders.where(frame.orders > 0))
    frame["revenue_per_customer"] = cast_decimal(
        frame.revenue / frame.active_customers.where(frame.active_customers > 0)
    )
    previous_revenue = frame.revenue.shift(1)
    frame["revenue_growth"] = sql_round(
        (frame.revenue - previous_revenue) / previous_revenue.where(previous_revenue != 0), 4
    )
    previous_active = frame.active_customers.shift(1)
    frame["active_customers_growth"] = sql_round(
        (frame.active_customers - previous_active) / previous_active.where(previous_active != 0), 4
    )
    return_month = returns.return_date.dt.to_period("M")
    frame["return_count"] = returns.groupby(return_month).size().reindex(months, fill_value=0)
    returned_cents = returns.groupby(return_month).returned_cents.sum().reindex(months, fill_value=0)
    frame["returned_amount"] = returned_cents / 100
    frame["net_revenue"] = (frame.revenue * 100 - returned_cents) / 100
    frame["return_rate"] = sql_round(frame.returned_amount / frame.revenue.where(frame.revenue != 0), 4)
    frame.index = [str(period) for period in months]
    return frame


def cohort_retention(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    month = orders.order_date.dt.to_period("M")
    cohort = orders.groupby("customer_id").order_date.transform("min").dt.to_period("M")
    since = (month - cohort).map(lambda offset: offset.n)
    sizes = orders.assign(cohort=cohort).groupby("cohort").customer_id.nunique()
    activity = orders.assign(cohort=cohort, since=since).groupby(["cohort", "since"])
    last = as_of.to_period("M")
    cells = pd.MultiIndex.from_tuples(
        [(c, k) for c in sizes.index for k in range((last - c).n + 1)], names=["cohort", "since"]
    )
    frame = pd.DataFrame(index=cells)
    frame["cohort_size"] = [sizes[c] for c, _ in cells]
    frame["active_customers"] = activity.customer_id.nunique().reindex(cells, fill_value=0)
    cents = activity.amount_cents.sum().reindex(cells, fill_value=0)
    frame["revenue"] = cents / 100
    frame["retention_rate"] = sql_round(frame.active_customers / frame.cohort_size, 4)
    frame["cumulative_revenue_per_customer"] = cast_decimal(
        cents.groupby(level=0).cumsum() / 100 / frame.cohort_size
    )
    frame.index = pd.MultiIndex.from_tuples([(str(c), k) for c, k in cells], names=["cohort", "since"])
    return frame


def insights(
    customers: pd.DataFrame,
    targets: pd.DataFrame,
    months: pd.DataFrame,
    cohorts: pd.DataFrame,
    playbook: pd.DataFrame,
    rules: dict[str, float],
) -> dict[str, dict]:
    """business_insights by insight_key: display_order, metric_value, secondary_value, severity, headline."""
    out: dict[str, dict] = {}
    top_share = rules["high_value_top_share"]

    at_risk = customers[(customers.segment == "At Risk") & (customers.ltv_percentile >= 1 - top_share)]
    stake_cents = cast_decimal(
        (at_risk.projected_12m_value * 100).round() * at_risk.churn_risk_score / 100 / 100
    )
    stake = float(np.sum(stake_cents))
    out["high_value_at_risk"] = {
        "display_order": 1,
        "metric_value": float(len(at_risk)),
        "secondary_value": stake,
        "severity": "critical" if len(at_risk) else "info",
        "headline": f"High-value customers at risk: {len(at_risk):,} customers, ${stake:,.0f} at stake",
    }

    one_time = int((customers.frequency == 1).sum())
    share = one_time / len(customers)
    out["one_time_buyer_share"] = {
        "display_order": 2,
        "metric_value": share,
        "secondary_value": float(one_time),
        "severity": "warning" if share > rules["insight_one_time_share_warning"] else "info",
        "headline": (
            f"One-time buyers: {100 * share:.1f}% of customers ({one_time:,} of {len(customers):,}) "
            "ordered only once"
        ),
    }

    month_one = cohorts.xs(1, level="since").copy()
    month_one["activity_month"] = [str(pd.Period(c, "M") + 1) for c in month_one.index]
    complete = set(months.index[months.is_complete_month])
    month_one = month_one[
        month_one.activity_month.isin(complete) & (month_one.cohort_size >= rules["insight_min_cohort_size"])
    ].reset_index()
    if len(month_one):
        best = month_one.sort_values(["retention_rate", "cohort"], ascending=[False, True]).iloc[0]
        worst = month_one.sort_values(["retention_rate", "cohort"], ascending=[True, True]).iloc[0]
        for key, row, word, severity, order in (
            ("best_cohort_retention", best, "Best", "info", 3),
            ("worst_cohort_retention", worst, "Worst", "warning", 4),
        ):
            out[key] = {
                "display_order": order,
                "metric_value": row.retention_rate,
                "secondary_value": float(row.cohort_size),
                "severity": severity,
                "headline": (
                    f"{word} cohort: {row.cohort} with {100 * row.retention_rate:.1f}% of "
                    f"{row.cohort_size:,} customers back in their second month"
                ),
                "cohort": row.cohort,
            }

    latest_label = months.index[months.is_complete_month][-1]
    latest = months.loc[latest_label]
    position = months.index.get_loc(latest_label)
    previous = months.revenue.iloc[position - 1] if position > 0 else None
    growth = latest.revenue_growth
    if previous is None:
        headline = f"Revenue in {latest_label}: ${latest.revenue:,.0f} (no earlier month)"
    elif previous == 0:
        headline = f"Revenue in {latest_label}: ${latest.revenue:,.0f}, none in the month before"
    else:
        direction = "up" if growth >= 0 else "down"
        headline = (
            f"Revenue in {latest_label}: ${latest.revenue:,.0f}, {direction} {100 * abs(growth):.1f}% "
            "on the month before"
        )
    out["latest_month_revenue_trend"] = {
        "display_order": 5,
        "metric_value": growth,
        "secondary_value": float(latest.revenue),
        # A complete month without orders is a warning, whatever the month before.
        "severity": "warning"
        if latest.revenue == 0 or growth < rules["insight_revenue_decline_warning"]
        else "info",
        "headline": headline,
        "year_month": latest_label,
    }

    top = customers.historical_ltv_percentile >= 1 - top_share
    concentration = customers.monetary_total[top].sum() / customers.monetary_total.sum()
    out["revenue_concentration"] = {
        "display_order": 6,
        "metric_value": concentration,
        "secondary_value": top_share,
        "severity": "warning" if concentration > rules["insight_concentration_warning"] else "info",
        "headline": (
            f"Revenue concentration: the top {100 * top_share:.0f}% of customers bring "
            f"{100 * concentration:.1f}% of revenue"
        ),
    }

    totals = []
    for campaign in playbook.campaign_type:
        rows = targets.xs(campaign, level="campaign_type") if campaign in targets.index.levels[0] else None
        count = 0 if rows is None else len(rows)
        high = 0 if rows is None else int((rows.priority == "High").sum())
        value = 0.0 if rows is None else float(np.round(rows.estimated_campaign_value.sum(), 2))
        totals.append((campaign, count, high, value))
    ranked = sorted(totals, key=lambda item: (-item[3], item[0]))
    for position, (campaign, count, high, value) in enumerate(ranked, start=1):
        out[f"campaign_opportunity_{campaign.lower().replace('-', '_')}"] = {
            "display_order": 7 + position,
            "metric_value": value,
            "secondary_value": float(count),
            "severity": "info",
            "headline": (
                f"{campaign} campaign: {count:,} customers ({high:,} high priority), "
                f"${value:,.0f} estimated value"
            ),
        }
    return out


def backtest_insight(row: pd.Series) -> dict:
    """The CLV backtest insight (display order 100) from clv_backtest's total row of the selected model."""
    beats = None if pd.isna(row.model_beats_naive) else bool(row.model_beats_naive)
    if row.backtest_status == "skipped":
        headline = f"CLV backtest not run: {row.message}"
    elif row.backtest_status != "complete":
        headline = f"CLV backtest: the {row.model_name} calibration fit is not usable"
    elif beats:
        headline = (
            f"CLV backtest: {row.model_name} predicted {row.expected_purchases:,.0f} purchases in the last "
            f"{row.holdout_weeks:.0f} weeks, {row.actual_purchases:,.0f} happened ({row.error_pct:+.1f}%); "
            f"per-customer error {row.mae:.3f} vs {row.naive_mae:.3f} for the past purchase rate"
        )
    else:
        headline = (
            f"CLV backtest: {row.model_name} lost to the past purchase rate (per-customer error "
            f"{row.mae:.3f} vs {row.naive_mae:.3f}; {row.expected_purchases:,.0f} purchases predicted in the "
            f"last {row.holdout_weeks:.0f} weeks, {row.actual_purchases:,.0f} happened)"
        )
    return {
        "display_order": 100,
        "metric_value": row.mae,
        "secondary_value": row.naive_mae,
        "severity": "warning" if beats is False else "info",
        "headline": headline,
    }


def compute(
    orders: pd.DataFrame,
    returns: pd.DataFrame,
    as_of: pd.Timestamp,
    clv: pd.DataFrame,
    ltv_basis: str,
    backtest: pd.Series,
) -> Reference:
    """backtest: clv_backtest's total row of the selected model (an input, like P(alive))."""
    rules = business_rules()
    playbook = campaigns()
    customers = segment(
        customer_figures(orders, returns, as_of, clv, ltv_basis, rules), rules, segment_order()
    )
    targets = campaign_targets(customers, playbook, rules)
    months = monthly_metrics(orders, returns, as_of)
    cohorts = cohort_retention(orders, as_of)
    return Reference(
        as_of=as_of,
        rules=rules,
        customers=customers,
        targets=targets,
        months=months,
        cohorts=cohorts,
        insights={
            **insights(customers, targets, months, cohorts, playbook, rules),
            "clv_backtest": backtest_insight(backtest),
        },
    )
