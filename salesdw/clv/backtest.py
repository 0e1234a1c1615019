"""Each build's backtest of its purchase model(s): fit on the history before a holdout cut, predict every
customer's purchases in the holdout, and compare with what happened and with a naive baseline.

The cut, the sample and the calibration/holdout histories are SQL (int_clv_backtest_period,
int_clv_backtest_histories); this module receives the distinct (x, t_x, T, holdout purchases) rows with
their customer counts and returns the clv_backtest table: one row per model and calibration-frequency group
(0, 1, ..., 6, 7+, as in docs/clv_validation.md and Fader, Hardie & Lee 2005, Figure 4) plus one total row
per model (``is_total``), with

* actual, expected and naive purchases (totals and means per customer), the error of the totals in %;
* the per-customer mean absolute error of the model and of the naive baseline, the customer's past
  purchase rate carried forward: x / T x the holdout length (0 for a customer first seen at the cut).

A model that loses to the naive baseline (higher per-customer error) says so in business_insights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from salesdw.clv import scoring
from salesdw.clv import tables as clv

MAX_FREQUENCY_GROUP = 7  # calibration frequencies 7 and above are pooled ("7+")
STATUS_COMPLETE = "complete"
STATUS_SKIPPED = "skipped"
STATUS_FIT_FAILED = "calibration_fit_failed"

BACKTEST_COLUMNS: tuple[str, ...] = (
    "model_name",
    "is_selected_model",
    "frequency_group",
    "group_order",
    "is_total",
    "customers",
    "actual_purchases",
    "expected_purchases",
    "naive_purchases",
    "actual_mean",
    "expected_mean",
    "naive_mean",
    "error_pct",
    "naive_error_pct",
    "mae",
    "naive_mae",
    "model_beats_naive",
    "backtest_status",
    "message",
    "calibration_start_date",
    "calibration_end_date",
    "holdout_end_date",
    "holdout_weeks",
    "customers_in_scope",
    "sample_share",
)

# What the Python model pulls from int_clv_backtest_histories (distinct rows with customer counts).
BACKTEST_GROUPS = (
    "frequency::double as frequency, recency_weeks::double as recency_weeks, age_weeks::double as age_weeks, "
    "holdout_purchases::double as holdout_purchases, count(*) as customers",
    "frequency, recency_weeks, age_weeks, holdout_purchases",
)


@dataclass(frozen=True)
class BacktestPeriod:
    """The one row of int_clv_backtest_period."""

    calibration_start_date: date | None
    calibration_end_date: date | None
    holdout_end_date: date | None
    holdout_days: int
    customers_in_scope: int
    sample_share: float
    is_long_enough: bool
    skip_reason: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> BacktestPeriod:
        return cls(
            calibration_start_date=row.get("calibration_start_date"),
            calibration_end_date=row.get("calibration_end_date"),
            holdout_end_date=row.get("holdout_end_date"),
            holdout_days=int(row.get("holdout_days") or 0),
            customers_in_scope=int(row.get("customers_in_scope") or 0),
            sample_share=float(row.get("sample_share") or 0.0),
            is_long_enough=bool(row.get("is_long_enough")),
            skip_reason=row.get("skip_reason"),
        )

    @property
    def holdout_weeks(self) -> float:
        return self.holdout_days / scoring.DAYS_PER_WEEK

    @property
    def horizons(self) -> scoring.Horizons:
        """What the calibration fit must predict finitely: the holdout's expected purchases, nothing else."""
        return scoring.Horizons(
            expected_days=(self.holdout_days,), no_purchase_days=(), interval_days=None, horizon_months=0
        )


@dataclass(frozen=True)
class BacktestHistory:
    """Distinct calibration histories (weeks), their holdout purchase days, and their customers."""

    frequency: npt.NDArray[np.float64]
    recency: npt.NDArray[np.float64]
    age: npt.NDArray[np.float64]
    holdout_purchases: npt.NDArray[np.float64]
    customers: npt.NDArray[np.float64]

    @classmethod
    def from_columns(cls, columns: Mapping[str, Any]) -> BacktestHistory:
        def col(name: str) -> npt.NDArray[np.float64]:
            return np.asarray(columns[name], dtype=np.float64)

        frequency = col("frequency")
        customers = col("customers") if "customers" in columns else np.ones(frequency.size)
        # Sorted: the same fit whatever order the engine hands the rows over in (clv.sorted_rows).
        rows = (frequency, col("recency_weeks"), col("age_weeks"), col("holdout_purchases"), customers)
        return cls(*clv.sorted_rows(*rows))

    @property
    def calibration(self) -> clv.PurchaseHistory:
        return clv.PurchaseHistory(self.frequency, self.recency, self.age, self.customers)


def naive_purchases(history: BacktestHistory, holdout_weeks: float) -> npt.NDArray[np.float64]:
    """The past purchase rate carried forward: repeat purchases per week since the first purchase (x / T)
    times the holdout length; 0 for a customer first seen on the cut day (T = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(history.age > 0, history.frequency / history.age, 0.0)
    return np.asarray(rate * holdout_weeks, dtype=np.float64)


def _group_label(group: int) -> str:
    return f"{MAX_FREQUENCY_GROUP}+" if group >= MAX_FREQUENCY_GROUP else str(group)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


def _summaries(
    history: BacktestHistory, expected: npt.NDArray[np.float64], naive: npt.NDArray[np.float64]
) -> list[dict[str, Any]]:
    """Per frequency group and in total: customers, totals, means, errors (customer-weighted)."""
    w = history.customers
    actual = history.holdout_purchases
    group = np.minimum(history.frequency, MAX_FREQUENCY_GROUP).astype(np.int64)
    rows = []
    for order, selector in [*((g, group == g) for g in range(MAX_FREQUENCY_GROUP + 1)), (99, None)]:
        sel = np.ones(w.size, dtype=bool) if selector is None else selector
        ws = w[sel]
        customers = float(ws.sum())
        totals = {
            "actual_purchases": float(np.dot(ws, actual[sel])),
            "expected_purchases": float(np.dot(ws, expected[sel])),
            "naive_purchases": float(np.dot(ws, naive[sel])),
        }
        mae = _ratio(float(np.dot(ws, np.abs(actual[sel] - expected[sel]))), customers)
        naive_mae = _ratio(float(np.dot(ws, np.abs(actual[sel] - naive[sel]))), customers)
        rows.append(
            {
                "frequency_group": "all" if selector is None else _group_label(order),
                "group_order": MAX_FREQUENCY_GROUP + 1 if selector is None else order,
                "is_total": selector is None,
                "customers": int(customers),
                **totals,
                "actual_mean": _ratio(totals["actual_purchases"], customers),
                "expected_mean": _ratio(totals["expected_purchases"], customers),
                "naive_mean": _ratio(totals["naive_purchases"], customers),
                "error_pct": 100
                * _ratio(
                    totals["expected_purchases"] - totals["actual_purchases"], totals["actual_purchases"]
                ),
                "naive_error_pct": 100
                * _ratio(totals["naive_purchases"] - totals["actual_purchases"], totals["actual_purchases"]),
                "mae": mae,
                "naive_mae": naive_mae,
                "model_beats_naive": bool(mae < naive_mae)
                if np.isfinite(mae) and np.isfinite(naive_mae)
                else None,
            }
        )
    return rows


def _scope_text(period: BacktestPeriod, customers: int) -> str:
    sample = ""
    if period.sample_share < 1:
        sample = (
            f" (a deterministic sample of {period.sample_share:.1%} of the {period.customers_in_scope:,} "
            "customers first seen before the cut: clv_backtest_max_customers)"
        )
    return (
        f"fitted on {customers:,} customers' purchases from {period.calibration_start_date} to "
        f"{period.calibration_end_date}{sample}, predicting the {period.holdout_days} days to "
        f"{period.holdout_end_date}"
    )


def backtest_table(
    history: BacktestHistory,
    period: BacktestPeriod,
    settings: clv.ClvSettings,
    model_names: Sequence[str] | None = None,
    initial: Mapping[str, scoring.PurchaseModel] | None = None,
) -> pd.DataFrame:
    """The clv_backtest table of the selected purchase model (the clv_model var; ``model_names`` backtests
    others too). ``initial``: the build's own fits by model name, the calibration fits' starting points
    (the optimum moves little when a quarter of the history is cut, so one start suffices). Never raises on
    data: a history too short gives one total row per model with the reason; a calibration fit that fails
    keeps the actual and naive figures and says why the model has none."""
    common = {
        "calibration_start_date": period.calibration_start_date,
        "calibration_end_date": period.calibration_end_date,
        "holdout_end_date": period.holdout_end_date,
        "holdout_weeks": period.holdout_weeks if period.is_long_enough else None,
        "customers_in_scope": period.customers_in_scope,
        "sample_share": period.sample_share,
    }
    rows: list[dict[str, Any]] = []
    customers = int(history.customers.sum())
    for name in model_names or [settings.model]:
        head = {"model_name": name, "is_selected_model": name == settings.model}
        if not period.is_long_enough or customers == 0:
            reason = period.skip_reason or "no customer was first seen before the cut"
            rows.append(
                {
                    **head,
                    "frequency_group": "all",
                    "group_order": MAX_FREQUENCY_GROUP + 1,
                    "is_total": True,
                    "customers": 0,
                    "backtest_status": STATUS_SKIPPED,
                    "message": f"no backtest: {reason}",
                    **common,
                }
            )
            continue
        start = (initial or {}).get(name)
        fit = clv.fit_purchase_model(
            name, history.calibration, settings, horizons=period.horizons, initial=start
        )
        naive = naive_purchases(history, period.holdout_weeks)
        if fit.converged:
            expected = scoring.conditional_expected_purchases(
                fit.params, period.holdout_weeks, history.frequency, history.recency, history.age
            )
            status, message = STATUS_COMPLETE, _scope_text(period, customers)
        else:
            expected = np.full(history.frequency.size, np.nan)
            status = STATUS_FIT_FAILED
            message = f"the calibration fit is not usable ({fit.message}); {_scope_text(period, customers)}"
        for summary in _summaries(history, expected, naive):
            if status != STATUS_COMPLETE:
                for key in ("expected_purchases", "expected_mean", "error_pct", "mae", "model_beats_naive"):
                    summary[key] = None
            rows.append({**head, **summary, "backtest_status": status, "message": message, **common})
    frame = pd.DataFrame(rows, columns=list(BACKTEST_COLUMNS))
    for column in ("customers", "group_order"):
        frame[column] = frame[column].astype("Int64")
    for column in (
        "actual_purchases",
        "expected_purchases",
        "naive_purchases",
        "actual_mean",
        "expected_mean",
        "naive_mean",
        "error_pct",
        "naive_error_pct",
        "mae",
        "naive_mae",
        "holdout_weeks",
        "sample_share",
    ):
        frame[column] = frame[column].astype("float64")
    frame["model_beats_naive"] = frame["model_beats_naive"].astype("boolean")
    return frame
