"""Order files of the data shapes the CLV layer must survive (tests/test_clv_property.py), each in the raw
contract (`Unnamed: 0, Date, Customer ID, Order ID, Sales`), seeded and deterministic.

* ``uniform_random``: the new user's file of issue 12: 2,000 orders of 500 customers on uniformly random
  days of 2021 (no heterogeneity in purchase rate or dropout), half of the rows with day-first dates
  (`05/01/2021`, rejected by staging);
* ``one_time_buyers``: every customer bought once;
* ``one_customer``: a single customer with a few orders;
* ``same_day``: every order on the same day;
* ``heavy_buyers``: customers with 300+ purchase days among ordinary ones, and amounts of a cent and of a
  million (the largest accepted amount);
* ``two_day_history``: every order on one of two consecutive days.

Ordinary customers come from the BG/NBD process (salesdw.clv.btyd.simulate_bgnbd's parameters, simulated
on a daily grid here), so a shape differs from a well-behaved file only in what it is named for.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

START = pd.Timestamp("2021-01-01")
DAYS = 365


def raw_frame(
    days: np.ndarray, customers: np.ndarray, amounts: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Orders as the raw export has them: ISO dates, shuffled order ids, amounts with two decimals."""
    order = np.argsort(days, kind="stable")
    dates = (START + pd.to_timedelta(np.asarray(days)[order], unit="D")).strftime("%Y-%m-%d")
    return pd.DataFrame(
        {
            "Date": dates,
            "Customer ID": np.asarray(customers)[order],
            "Order ID": 5_000_000 + rng.permutation(len(order)),
            "Sales": [f"{value:.2f}" for value in np.asarray(amounts, dtype=float)[order]],
        }
    )


def write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=True, index_label="Unnamed: 0")
    return path


def ordinary_customers(n: int, rng: np.random.Generator, first_id: int = 100_000) -> pd.DataFrame:
    """Customers of the BG/NBD process (r 0.5, alpha 6 weeks, a 0.8, b 2.5), daily grid over 2021."""
    first = rng.integers(0, DAYS, n)
    rate = rng.gamma(0.5, 1.0 / 6.0, n) / 7.0  # purchases per day
    dropout = rng.beta(0.8, 2.5, n)
    customers, days = [], []
    for customer in range(n):
        day = float(first[customer])
        customers.append(first_id + customer)
        days.append(int(day))
        while True:
            day += rng.exponential(1.0 / max(rate[customer], 1e-9))
            if day >= DAYS:
                break
            customers.append(first_id + customer)
            days.append(int(day))
            if rng.random() < dropout[customer]:
                break
    amounts = np.round(rng.lognormal(4.0, 0.7, len(days)), 2).clip(min=0.5)
    return raw_frame(np.array(days), np.array(customers), amounts, rng)


def uniform_random(seed: int, n_orders: int = 2_000, n_customers: int = 500) -> pd.DataFrame:
    """Issue 12's file: uniformly random purchase days and customers; half the rows with day-first dates."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, DAYS, n_orders)
    frame = raw_frame(
        days, rng.integers(1, n_customers + 1, n_orders), np.round(rng.uniform(5, 200, n_orders), 2), rng
    )
    day_first = rng.random(n_orders) < 0.5
    parsed = pd.to_datetime(frame.loc[day_first, "Date"])
    frame.loc[day_first, "Date"] = parsed.dt.strftime("%d/%m/%Y")
    return frame


def one_time_buyers(seed: int, n_customers: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    amounts = np.round(rng.lognormal(4.0, 0.7, n_customers), 2).clip(min=0.5)
    return raw_frame(rng.integers(0, DAYS, n_customers), np.arange(1, n_customers + 1), amounts, rng)


def one_customer(seed: int, n_orders: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = np.sort(rng.choice(DAYS, size=n_orders, replace=False))
    return raw_frame(days, np.full(n_orders, 42), np.round(rng.uniform(10, 90, n_orders), 2), rng)


def same_day(seed: int, n_orders: int = 600, n_customers: int = 150) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    customers = rng.integers(1, n_customers + 1, n_orders)
    return raw_frame(np.full(n_orders, 200), customers, np.round(rng.uniform(5, 300, n_orders), 2), rng)


def heavy_buyers(seed: int, n_ordinary: int = 600, n_heavy: int = 6) -> pd.DataFrame:
    """Ordinary customers plus a few who bought on 300+ days of the year, with cent and million amounts."""
    rng = np.random.default_rng(seed)
    ordinary = ordinary_customers(n_ordinary, rng)
    heavy = []
    for k in range(n_heavy):
        n_days = int(rng.integers(301, 360))
        days = np.sort(rng.choice(DAYS, size=n_days, replace=False))
        heavy.append(
            raw_frame(days, np.full(n_days, 900_000 + k), np.round(rng.uniform(1, 50, n_days), 2), rng)
        )
    frame = pd.concat([ordinary, *heavy], ignore_index=True)
    extreme = rng.choice(len(frame), size=40, replace=False)
    frame.loc[extreme[:20], "Sales"] = "0.01"
    frame.loc[extreme[20:], "Sales"] = "1000000.00"
    frame["Order ID"] = 5_000_000 + rng.permutation(len(frame))
    return frame


def two_day_history(seed: int, n_orders: int = 500, n_customers: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = 100 + rng.integers(0, 2, n_orders)
    customers = rng.integers(1, n_customers + 1, n_orders)
    return raw_frame(days, customers, np.round(rng.uniform(5, 300, n_orders), 2), rng)


SHAPES: dict[str, Callable[[int], pd.DataFrame]] = {
    "uniform_random": uniform_random,
    "one_time_buyers": one_time_buyers,
    "one_customer": one_customer,
    "same_day": same_day,
    "heavy_buyers": heavy_buyers,
    "two_day_history": two_day_history,
}
