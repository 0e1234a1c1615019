"""Transaction logs into model inputs, and the holdout check: the CDNOW reader, the calibration/holdout
summary of a transaction log (the paper's day-count conventions) and actual vs expected holdout purchases by
calibration frequency. Used by the tests and scripts/clv_validation.py; the warehouse computes the same
summary in SQL (int_customer_purchase_history, int_clv_backtest_histories)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesdw.clv import scoring
from salesdw.clv.fitting import ArrayLike

__all__ = ["calibration_summary", "holdout_comparison_table", "read_cdnow_transactions"]


def read_cdnow_transactions(path: str | Path) -> pd.DataFrame:
    """The CDNOW sample (Fader, Hardie & Lee 2005) as published: whitespace-separated master id, customer
    id, date (YYYYMMDD), CDs bought and value; one row per transaction, dates parsed. The reference data
    the fits are validated on (tests/test_btyd.py, scripts/clv_validation.py)."""
    frame = pd.read_csv(
        path,
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "n_cds", "value"],
        dtype={"master_id": str, "customer_id": str, "date": str},
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame


def calibration_summary(
    transactions: pd.DataFrame,
    calibration_end: str | pd.Timestamp,
    holdout_end: str | pd.Timestamp | None = None,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str = "value",
    days_per_period: float = 7.0,
) -> pd.DataFrame:
    """Per-customer RFM summary for BG/NBD + Gamma-Gamma from a transaction log.

    Day-count conventions (they reproduce the published CDNOW results, see tests/test_btyd.py):

    * several rows of one customer on one calendar day are one transaction (values summed);
    * the calibration period is every date <= ``calibration_end`` (inclusive);
    * ``frequency`` = number of distinct purchase days in the calibration period - 1;
    * ``recency`` = (last calibration purchase day - first purchase day) in days / 7;
    * ``T`` = (``calibration_end`` - first purchase day) in days / 7, so a customer whose first
      purchase is 1997-01-01 has T = 272/7 = 38.86 weeks for calibration_end 1997-09-30;
    * ``monetary_value`` = mean value of the repeat transactions (the first one excluded) in the
      calibration period; 0 for customers with no repeat transaction;
    * with ``holdout_end``: ``holdout_frequency`` = purchase days in (calibration_end, holdout_end]
      and ``holdout_length`` = (holdout_end - calibration_end) days / 7 (39 weeks for CDNOW).

    Customers whose first purchase is after ``calibration_end`` are dropped. Returns a frame
    indexed by customer.
    """
    cal_end = pd.Timestamp(calibration_end)
    tx = transactions[[customer_col, date_col, value_col]].copy()
    tx[date_col] = pd.to_datetime(tx[date_col]).dt.normalize()
    daily = tx.groupby([customer_col, date_col], as_index=False, sort=True)[value_col].sum()
    first = daily.groupby(customer_col)[date_col].transform("min")
    daily = daily[first <= cal_end].assign(_first=first[first <= cal_end])
    cal = daily[daily[date_col] <= cal_end]
    g = cal.groupby(customer_col)
    n_days = g.size()
    first_day = g[date_col].min()
    last_day = g[date_col].max()
    total = g[value_col].sum()
    first_value = cal[cal[date_col] == cal["_first"]].set_index(customer_col)[value_col]
    freq = n_days - 1
    repeat_value = total - first_value.reindex(total.index)
    out = pd.DataFrame(
        {
            "frequency": freq.astype(np.int64),
            "recency": (last_day - first_day).dt.days / days_per_period,
            "T": (cal_end - first_day).dt.days / days_per_period,
            "monetary_value": np.where(freq > 0, repeat_value / freq.where(freq > 0, 1), 0.0),
            "first_purchase": first_day,
        }
    )
    if holdout_end is not None:
        ho_end = pd.Timestamp(holdout_end)
        ho = daily[(daily[date_col] > cal_end) & (daily[date_col] <= ho_end)]
        out["holdout_frequency"] = (
            ho.groupby(customer_col).size().reindex(out.index, fill_value=0).astype(np.int64)
        )
        out["holdout_length"] = (ho_end - cal_end).days / days_per_period
    return out


def holdout_comparison_table(
    params: Any,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    holdout_frequency: ArrayLike,
    holdout_length: ArrayLike,
    max_frequency: int = 7,
) -> pd.DataFrame:
    """Actual vs. conditional-expected holdout purchases by calibration frequency (cf. FHL 2005a,
    Figure 4), for a purchase model (its parameters or its fit: BG/NBD, Pareto/NBD). Rows: x = 0, 1, ...,
    max_frequency - 1 and "max_frequency+" (pooled). Columns:
    n_customers, actual_mean, expected_mean, actual_total, expected_total.
    """
    x = np.asarray(frequency, dtype=np.float64)
    expected = scoring.conditional_expected_purchases(scoring.as_model(params), holdout_length, x, recency, T)
    actual = np.asarray(holdout_frequency, dtype=np.float64)
    group = np.minimum(x, max_frequency).astype(np.int64)
    labels = [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]
    df = pd.DataFrame({"group": group, "actual": actual, "expected": np.broadcast_to(expected, x.shape)})
    agg = df.groupby("group").agg(
        n_customers=("actual", "size"),
        actual_total=("actual", "sum"),
        expected_total=("expected", "sum"),
    )
    agg = agg.reindex(range(max_frequency + 1), fill_value=0)
    agg["n_customers"] = agg["n_customers"].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        agg["actual_mean"] = agg["actual_total"] / agg["n_customers"]
        agg["expected_mean"] = agg["expected_total"] / agg["n_customers"]
    agg.index = pd.Index(labels, name="frequency")
    return agg[["n_customers", "actual_mean", "expected_mean", "actual_total", "expected_total"]]
