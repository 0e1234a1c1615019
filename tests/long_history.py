"""A seeded order history of two and a half years, written like a real export, independent of the project's
generator (salesdw.sample): customers who came and went, so some are Lost (and worth winning back), a shop
closure (two months without a single order), same-day repeat orders, customers planted on both sides of the
Lost and New rules, two planted cohorts that tie for the best month-1 retention, the first of them
exactly insight_min_cohort_size customers (rules read from seeds/business_rules.csv, so an edit moves them
along), and cancellations (returns): of part of an order, of more than a customer ever bought (net revenue
below zero) and of a customer without an order in the file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

FIRST_DAY = pd.Timestamp("2019-01-01")
LAST_ORDER_DAY = pd.Timestamp("2021-06-17")  # mid-month: the default analysis date's month is partial
# A later --as-of-date, the first day of a month: July to September have no orders and are complete months,
# October is there (one day of it) and partial.
LATER_AS_OF = pd.Timestamp("2021-10-01")
# The shop was closed: no orders in April and May 2020 (two zero-revenue months inside the history).
CLOSED = (pd.Timestamp("2020-04-01"), pd.Timestamp("2020-05-31"))
# Cohorts made only of planted customers who all come back the next month (retention 100%, a tie): the
# first has exactly insight_min_cohort_size customers, the second five more. The best cohort is the first
# (the earlier of a tie), and only because a cohort of exactly the minimum size counts.
PLANTED_COHORTS = {pd.Period("2020-08", "M"): 0, pd.Period("2021-01", "M"): 5}


@dataclass(frozen=True)
class Planted:
    """A one-order customer placed relative to an analysis date (what they test, for messages)."""

    customer_id: int
    order_date: pd.Timestamp
    amount: float
    note: str


def _is_closed(days: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    return np.asarray((days >= CLOSED[0]) & (days <= CLOSED[1]))


def simulate_orders(n_customers: int = 1_500, seed: int = 2016) -> pd.DataFrame:
    """order_date, customer_id, order_id, amount: one-time buyers, occasional and loyal repeat buyers, each
    with a dropout chance after every order (so old repeat buyers stop and become Lost)."""
    rng = np.random.default_rng(seed)
    span = (LAST_ORDER_DAY - FIRST_DAY).days
    # More customers early on: the old ones are the ones who can be Lost.
    first = np.floor(span * rng.beta(0.9, 1.3, n_customers)).astype(int)
    kind = rng.choice(["once", "occasional", "loyal"], size=n_customers, p=[0.55, 0.30, 0.15])
    mean_gap = np.where(kind == "loyal", 28.0, 95.0)
    dropout = np.where(kind == "loyal", 0.06, 0.35)
    scale = rng.lognormal(0.0, 0.5, n_customers) * np.where(kind == "loyal", 1.6, 1.0)
    customers, days = [], []
    for customer in range(n_customers):
        day = float(first[customer])
        customers.append(customer)
        days.append(int(day))
        if kind[customer] == "once":
            continue
        while rng.random() > dropout[customer]:
            day += rng.exponential(mean_gap[customer])
            if day > span:
                break
            customers.append(customer)
            days.append(int(day))
    customer_index = np.array(customers)
    order_days = FIRST_DAY + pd.to_timedelta(np.array(days), unit="D")
    # The closure: whoever would have ordered then did not (their other orders stay).
    keep = ~_is_closed(order_days)
    customer_index, order_days = customer_index[keep], order_days[keep]
    # 4% of orders come with a second order the same day (a same-day repeat: gap 0, one purchase day).
    twin = rng.random(len(customer_index)) < 0.04
    customer_index = np.concatenate([customer_index, customer_index[twin]])
    order_days = order_days.append(order_days[twin])
    amount = rng.lognormal(3.9, 0.9, len(customer_index)) * scale[customer_index]
    orders = pd.DataFrame(
        {
            "order_date": order_days,
            "customer_id": 310_000 + 7 * customer_index,
            "amount": np.round(np.clip(amount, 1.0, 5_000.0), 2),
        }
    )
    orders["order_id"] = 8_000_000 + rng.permutation(len(orders))
    return orders


def planted_customers(rules: Mapping[str, float]) -> list[Planted]:
    """One-order customers on both sides of the Lost and New rules: Lost at exactly lost_min days (and one day
    short) against either analysis date; New at exactly new_max days (and one day over) against the default
    one (the last order day), since no order can be new at the later date. (The other rules' boundaries are
    the dbt unit tests' job: whether a one-order customer is At Risk also depends on their churn score.)"""
    lost = int(rules["lost_min_days_since_last_order"])
    new = int(rules["new_max_days_since_first_order"])
    day = pd.Timedelta(days=1)
    wanted = [
        (LATER_AS_OF - lost * day, "Lost at exactly lost_min days (later as-of)"),
        (LATER_AS_OF - (lost - 1) * day, "one day short of Lost (later as-of)"),
        (LAST_ORDER_DAY - lost * day, "Lost at exactly lost_min days (default as-of)"),
        (LAST_ORDER_DAY - (lost - 1) * day, "one day short of Lost (default as-of)"),
        (LAST_ORDER_DAY - new * day, "New at exactly new_max days (default as-of)"),
        (LAST_ORDER_DAY - (new + 1) * day, "one day past New (default as-of)"),
    ]
    planted = []
    for number, (order_date, note) in enumerate(wanted):
        if not (FIRST_DAY <= order_date <= LAST_ORDER_DAY) or _is_closed(pd.Series([order_date]))[0]:
            continue  # a rule edit pushed it outside the history or into the closure: nothing to plant
        planted.append(Planted(900_001 + number, order_date, 150.0 + 10 * number, note))
    return planted


def planted_cohorts(rules: Mapping[str, float]) -> pd.DataFrame:
    """Each planted cohort's customers: a first order on the 10th of its month, a second on the 12th of the
    next."""
    rows = []
    for number, (month, extra) in enumerate(PLANTED_COHORTS.items()):
        for k in range(int(rules["insight_min_cohort_size"]) + extra):
            customer_id = 950_000 + 1_000 * number + k
            for order_date in (
                month.start_time + pd.Timedelta(days=9),
                (month + 1).start_time + pd.Timedelta(days=11),
            ):
                rows.append((order_date, customer_id, 35.0 + k))
    return pd.DataFrame(rows, columns=["order_date", "customer_id", "amount"])


def returns(orders: pd.DataFrame, seed: int = 2016) -> pd.DataFrame:
    """Cancellation rows (is_return): 40 simulated customers return part of an order a few days after it,
    one returns more than all their orders (net revenue below zero) and one unknown customer (a purchase
    before the file starts) returns something. Never in the closure, never after the last order day."""
    rng = np.random.default_rng(seed + 2)
    simulated = orders[orders.customer_id < 900_000]
    picked = simulated.iloc[rng.choice(len(simulated), size=40, replace=False)]
    days = picked.order_date + pd.to_timedelta(rng.integers(1, 20, len(picked)), unit="D")
    rows = pd.DataFrame(
        {
            "order_date": days.to_numpy(),
            "customer_id": picked.customer_id.to_numpy(),
            "amount": np.round(picked.amount.to_numpy() * rng.uniform(0.2, 0.9, len(picked)), 2),
        }
    )
    rows = rows[(rows.order_date <= LAST_ORDER_DAY) & ~_is_closed(rows.order_date)]
    spender = simulated.groupby("customer_id").amount.sum().sort_values().index[len(simulated) // 4]
    over = simulated[simulated.customer_id == spender]
    extra = pd.DataFrame(
        {
            "order_date": [over.order_date.max() + pd.Timedelta(days=2), FIRST_DAY + pd.Timedelta(days=40)],
            "customer_id": [spender, 899_999],
            "amount": [round(over.amount.sum() + 25.0, 2), 60.0],
        }
    )
    rows = pd.concat([rows, extra], ignore_index=True)
    rows = rows[rows.order_date <= LAST_ORDER_DAY]
    return rows.assign(order_id=9_200_000 + np.arange(len(rows)), is_return=True)


def long_history(rules: Mapping[str, float], seed: int = 2016) -> pd.DataFrame:
    """The simulated orders plus the planted customers and the returns, sorted like an export (by date, then
    order id), with the last order day present."""
    orders = simulate_orders(seed=seed)
    # The planted cohorts' months have no other new customers.
    first_month = orders.groupby("customer_id").order_date.transform("min").dt.to_period("M")
    orders = orders[~first_month.isin(list(PLANTED_COHORTS))]
    plants = planted_customers(rules)
    planted = pd.DataFrame(
        {
            "order_date": [item.order_date for item in plants],
            "customer_id": [item.customer_id for item in plants],
            "amount": [item.amount for item in plants],
        }
    )
    planted = pd.concat([planted, planted_cohorts(rules)], ignore_index=True)
    planted["order_id"] = 9_000_000 + np.arange(len(planted))
    # The last day of the history has an order, so the default analysis date is LAST_ORDER_DAY.
    last = pd.DataFrame(
        {"order_date": [LAST_ORDER_DAY], "customer_id": [310_000], "amount": [42.0], "order_id": [9_100_000]}
    )
    orders = pd.concat([orders, planted, last], ignore_index=True).assign(is_return=False)
    orders = pd.concat([orders, returns(orders, seed)], ignore_index=True)
    return orders.sort_values(["order_date", "order_id"], ignore_index=True)


def write_export(orders: pd.DataFrame, path: Path, seed: int = 2016) -> None:
    """The raw contract as exports write it: a pandas index column; some dates with a midnight time, some ids
    as pandas floats (`310007.0`) or with leading zeros (`0310007`), some amounts with a dollar sign and
    thousands separator; a return is an order id `C` + digits with a negative amount."""
    rng = np.random.default_rng(seed + 1)
    n = len(orders)
    dates = orders["order_date"].dt.strftime("%Y-%m-%d")
    with_time = rng.random(n) < 0.2
    dates = dates.where(~with_time, dates + " 00:00:00")
    customer_ids = orders["customer_id"].astype(str)
    as_float = rng.random(n) < 0.1
    customer_ids = customer_ids.where(~as_float, customer_ids + ".0")
    zeros = rng.random(n) < 0.05
    customer_ids = customer_ids.where(~zeros, "0" + customer_ids)
    is_return = orders["is_return"].to_numpy()
    signed = orders["amount"].where(~is_return, -orders["amount"])
    amounts = signed.map(lambda value: f"{value:.2f}")
    dollars = (rng.random(n) < 0.1) & ~is_return
    amounts = amounts.where(~dollars, orders["amount"].map(lambda value: f"${value:,.2f}"))
    order_ids = orders["order_id"].astype(str)
    order_ids = order_ids.where(~is_return, "C" + order_ids)
    raw = pd.DataFrame({"Date": dates, "Customer ID": customer_ids, "Order ID": order_ids, "Sales": amounts})
    raw.to_csv(path, index=True, index_label="Unnamed: 0")
