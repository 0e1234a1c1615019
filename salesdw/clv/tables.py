"""The warehouse's CLV tables, shaped for the dbt Python models in models/clv/.

The math is :mod:`salesdw.clv.btyd`; this module only turns the purchase-history columns into the two
tables the models return, so the dbt files stay a few lines long and everything here is testable
without dbt:

* :func:`fit_table`: one row per fitted model (BG/NBD, Gamma-Gamma) with parameters, log-likelihood,
  sample size, fit time, convergence and the LTV basis the business layer ranks by;
* :func:`score_table`: one row per distinct history (frequency, recency, age) with P(alive), expected
  purchases and the discounted expected purchases of the CLV, all null where BG/NBD did not converge.
  They depend on the history only, so millions of customers are scored on a few hundred thousand rows;
  customer_clv joins them back to the customers and multiplies by the Gamma-Gamma expected order value
  (a closed form of frequency and mean repeat value, computed in SQL).

The histories leave DuckDB already grouped (:data:`HISTORY_GROUPS`, :data:`SPEND_GROUPS`, with a customer
count per row); the fits weight rows by those counts, which gives the fit on the ungrouped customers.

Times are in weeks (days / 7), as in the BG/NBD paper and int_customer_purchase_history.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from salesdw.clv import btyd

MODEL_BGNBD = "bg_nbd"
MODEL_GAMMA_GAMMA = "gamma_gamma"
LTV_BASIS_PREDICTED = "predicted_clv"
LTV_BASIS_HISTORICAL = "historical_revenue"
DAYS_PER_WEEK = 7.0
WEEKS_PER_MONTH = 52.0 / 12.0
# Horizons of the expected-purchases columns: expected_purchases_<days>d.
EXPECTED_PURCHASE_HORIZONS_DAYS: tuple[int, ...] = (30, 90, 365)

# What the Python models pull from int_customer_purchase_history, grouped in DuckDB so that only distinct
# rows leave it (relation.aggregate(expressions, group_by)), typed as the module expects; `customers` is
# the number of customers per row. BG/NBD needs (x, t_x, T); customer_clv joins the scores back on the
# same three doubles.
HISTORY_GROUPS = (
    "frequency::double as frequency, recency_weeks::double as recency_weeks, "
    "age_weeks::double as age_weeks, count(*) as customers",
    "frequency, recency_weeks, age_weeks",
)
# Gamma-Gamma needs (x, m) of repeat buyers only (null mean repeat value -> 0; it is ignored for x = 0).
SPEND_GROUPS = (
    "frequency::double as frequency, "
    "coalesce(repeat_purchase_value_mean, 0)::double as repeat_purchase_value_mean, count(*) as customers",
    "frequency, repeat_purchase_value_mean",
)

FIT_COLUMNS: tuple[str, ...] = (
    "model_name",
    "model_description",
    "r",
    "alpha",
    "a",
    "b",
    "p",
    "q",
    "gamma",
    "log_likelihood",
    "n_customers",
    "n_repeat_buyers",
    "n_distinct_histories",
    "fit_seconds",
    "converged",
    "message",
    "ltv_basis",
    "ltv_basis_reason",
    "analysis_date",
    "time_unit",
    "clv_horizon_months",
    "clv_monthly_discount_rate",
    "min_repeat_buyers",
)

SCORE_COLUMNS: tuple[str, ...] = (
    "frequency",
    "recency_weeks",
    "age_weeks",
    "customers",
    "p_alive",
    *(f"expected_purchases_{days}d" for days in EXPECTED_PURCHASE_HORIZONS_DAYS),
    "discounted_expected_purchases",
)


@dataclass(frozen=True)
class ClvSettings:
    """The dbt vars of the CLV layer (dbt_project.yml: clv_*)."""

    horizon_months: int = 12
    monthly_discount_rate: float = 0.01
    min_repeat_buyers: int = 20

    @classmethod
    def from_config(cls, get: Any) -> ClvSettings:
        """From a dbt Python model's ``dbt.config.get`` (values rendered from vars arrive as strings)."""
        defaults = cls()
        return cls(
            horizon_months=int(float(_given(get("clv_horizon_months"), defaults.horizon_months))),
            monthly_discount_rate=float(
                _given(get("clv_monthly_discount_rate"), defaults.monthly_discount_rate)
            ),
            min_repeat_buyers=int(float(_given(get("clv_min_repeat_buyers"), defaults.min_repeat_buyers))),
        )


def _given(value: Any, default: float) -> Any:
    """The value unless it is missing (None or an empty string); 0 is a value."""
    return default if value is None or value == "" else value


def _floats(columns: Mapping[str, Any], name: str) -> npt.NDArray[np.float64]:
    return np.asarray(columns[name], dtype=np.float64)


@dataclass(frozen=True)
class PurchaseHistory:
    """Distinct BG/NBD inputs (x, t_x and T in weeks) and how many customers have each."""

    frequency: npt.NDArray[np.float64]
    recency: npt.NDArray[np.float64]
    age: npt.NDArray[np.float64]
    customers: npt.NDArray[np.float64]

    @classmethod
    def from_columns(cls, columns: Mapping[str, Any]) -> PurchaseHistory:
        """From ``relation.aggregate(*HISTORY_GROUPS).fetchnumpy()`` (or a DataFrame); without a
        ``customers`` column every row is one customer."""
        frequency = _floats(columns, "frequency")
        return cls(
            frequency=frequency,
            recency=_floats(columns, "recency_weeks"),
            age=_floats(columns, "age_weeks"),
            customers=_floats(columns, "customers") if "customers" in columns else np.ones(frequency.size),
        )

    def __len__(self) -> int:
        return int(self.frequency.size)


@dataclass(frozen=True)
class SpendHistory:
    """Distinct Gamma-Gamma inputs (x, m = mean repeat purchase value, 0 if x = 0) and their customers."""

    frequency: npt.NDArray[np.float64]
    monetary_value: npt.NDArray[np.float64]
    customers: npt.NDArray[np.float64]

    @classmethod
    def from_columns(cls, columns: Mapping[str, Any]) -> SpendHistory:
        """From ``relation.aggregate(*SPEND_GROUPS).fetchnumpy()`` (or a DataFrame)."""
        frequency = _floats(columns, "frequency")
        return cls(
            frequency=frequency,
            monetary_value=_floats(columns, "repeat_purchase_value_mean"),
            customers=_floats(columns, "customers") if "customers" in columns else np.ones(frequency.size),
        )


@dataclass(frozen=True)
class FittedModels:
    """The usable parameters read back from the fit table (None where that fit cannot be used)."""

    bgnbd: btyd.BgNbdParams | None
    gamma_gamma: btyd.GammaGammaParams | None
    horizon_months: int
    monthly_discount_rate: float

    @property
    def ltv_basis(self) -> str:
        return LTV_BASIS_PREDICTED if self.bgnbd and self.gamma_gamma else LTV_BASIS_HISTORICAL


def fit_models(
    history: PurchaseHistory, spend: SpendHistory, settings: ClvSettings
) -> tuple[btyd.BgNbdFit, btyd.GammaGammaFit]:
    """Both fits, each row weighted by its customers (= the fit on the customers); never raises (the
    module reports problems as converged=False + message)."""
    bgnbd = btyd.fit_bgnbd(
        history.frequency,
        history.recency,
        history.age,
        min_repeat_buyers=settings.min_repeat_buyers,
        weights=history.customers,
    )
    gamma_gamma = btyd.fit_gamma_gamma(
        spend.frequency,
        spend.monetary_value,
        min_customers=settings.min_repeat_buyers,
        weights=spend.customers,
    )
    return bgnbd, gamma_gamma


def _finite(*values: float) -> bool:
    return all(math.isfinite(value) for value in values)


def bgnbd_usable(fit: btyd.BgNbdFit) -> tuple[bool, str]:
    if not fit.converged:
        return False, f"BG/NBD did not converge ({fit.message})"
    if not _finite(fit.r, fit.alpha, fit.a, fit.b):
        return False, "BG/NBD parameters are not finite"
    return True, "BG/NBD converged"


def gamma_gamma_usable(fit: btyd.GammaGammaFit) -> tuple[bool, str]:
    if not fit.converged:
        return False, f"Gamma-Gamma did not converge ({fit.message})"
    if not _finite(fit.p, fit.q, fit.gamma):
        return False, "Gamma-Gamma parameters are not finite"
    if fit.q <= 1:
        return False, f"Gamma-Gamma q = {fit.q:.3g} <= 1: the mean order value is infinite"
    return True, "Gamma-Gamma converged"


def ltv_basis(bgnbd: btyd.BgNbdFit, gamma_gamma: btyd.GammaGammaFit) -> tuple[str, str]:
    """Which LTV the business layer ranks by, and why (in words, for the fit table)."""
    reasons = [reason for ok, reason in (bgnbd_usable(bgnbd), gamma_gamma_usable(gamma_gamma)) if not ok]
    if reasons:
        return LTV_BASIS_HISTORICAL, (
            "; ".join(reasons) + ": customer_ltv ranks by historical revenue and predicted CLV is null"
        )
    return LTV_BASIS_PREDICTED, "both fits converged: customer_ltv ranks by predicted CLV"


def fit_table(
    bgnbd: btyd.BgNbdFit,
    gamma_gamma: btyd.GammaGammaFit,
    settings: ClvSettings,
    analysis_date: date | None,
) -> pd.DataFrame:
    """One row per fit. Parameters of the other model are null; NaN (no fit attempted) becomes null."""
    basis, reason = ltv_basis(bgnbd, gamma_gamma)
    nan = float("nan")
    common = {
        "ltv_basis": basis,
        "ltv_basis_reason": reason,
        "analysis_date": analysis_date,
        "time_unit": "weeks",
        "clv_horizon_months": settings.horizon_months,
        "clv_monthly_discount_rate": settings.monthly_discount_rate,
        "min_repeat_buyers": settings.min_repeat_buyers,
    }
    rows = [
        {
            "model_name": MODEL_BGNBD,
            "model_description": "BG/NBD purchase-count model (Fader, Hardie & Lee 2005)",
            "r": bgnbd.r,
            "alpha": bgnbd.alpha,
            "a": bgnbd.a,
            "b": bgnbd.b,
            "p": nan,
            "q": nan,
            "gamma": nan,
            "log_likelihood": bgnbd.log_likelihood,
            "n_customers": bgnbd.n_customers,
            "n_repeat_buyers": bgnbd.n_repeat_buyers,
            "n_distinct_histories": bgnbd.n_unique,
            "fit_seconds": bgnbd.fit_seconds,
            "converged": bool(bgnbd.converged),
            "message": bgnbd.message,
            **common,
        },
        {
            "model_name": MODEL_GAMMA_GAMMA,
            "model_description": "Gamma-Gamma spend model on repeat buyers (Fader, Hardie & Lee 2005)",
            "r": nan,
            "alpha": nan,
            "a": nan,
            "b": nan,
            "p": gamma_gamma.p,
            "q": gamma_gamma.q,
            "gamma": gamma_gamma.gamma,
            "log_likelihood": gamma_gamma.log_likelihood,
            "n_customers": gamma_gamma.n,
            "n_repeat_buyers": gamma_gamma.n,
            "n_distinct_histories": None,
            "fit_seconds": gamma_gamma.fit_seconds,
            "converged": bool(gamma_gamma.converged),
            "message": gamma_gamma.message,
            **common,
        },
    ]
    frame = pd.DataFrame(rows, columns=list(FIT_COLUMNS))
    frame["n_distinct_histories"] = frame["n_distinct_histories"].astype("Int64")
    return frame


def fitted_models(rows: Sequence[Mapping[str, Any]]) -> FittedModels:
    """Reads the fit table back (rows as dicts); a model is usable only when the fit table says so."""
    by_name = {row["model_name"]: row for row in rows}
    bg_row = by_name.get(MODEL_BGNBD)
    gg_row = by_name.get(MODEL_GAMMA_GAMMA)
    any_row = bg_row or gg_row or {}
    settings = ClvSettings()
    bgnbd = gamma_gamma = None
    if bg_row and bg_row["converged"] and _all_finite(bg_row, ("r", "alpha", "a", "b")):
        bgnbd = btyd.BgNbdParams(*(float(bg_row[key]) for key in ("r", "alpha", "a", "b")))
    if gg_row and gg_row["converged"] and _all_finite(gg_row, ("p", "q", "gamma")) and float(gg_row["q"]) > 1:
        gamma_gamma = btyd.GammaGammaParams(*(float(gg_row[key]) for key in ("p", "q", "gamma")))
    return FittedModels(
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        horizon_months=int(_given(any_row.get("clv_horizon_months"), settings.horizon_months)),
        monthly_discount_rate=float(
            _given(any_row.get("clv_monthly_discount_rate"), settings.monthly_discount_rate)
        ),
    )


def _all_finite(row: Mapping[str, Any], keys: Sequence[str]) -> bool:
    return all(row.get(key) is not None and math.isfinite(float(row[key])) for key in keys)


def score_table(history: PurchaseHistory, models: FittedModels) -> pd.DataFrame:
    """One row per distinct history (x, t_x, T): P(alive), expected purchases and the discounted
    expected purchases of the CLV horizon (predicted CLV = that x the Gamma-Gamma expected order value,
    customer_clv). All need BG/NBD; without it they are null (NaN -> NULL in DuckDB)."""
    n = len(history)
    missing = np.full(n, np.nan)
    x, t_x, age = history.frequency, history.recency, history.age
    columns: dict[str, Any] = {
        "frequency": x,
        "recency_weeks": t_x,
        "age_weeks": age,
        "customers": history.customers.astype(np.int64),
    }
    bg = models.bgnbd
    columns["p_alive"] = btyd.bgnbd_p_alive(bg, x, t_x, age) if bg and n else missing
    for days in EXPECTED_PURCHASE_HORIZONS_DAYS:
        columns[f"expected_purchases_{days}d"] = (
            btyd.bgnbd_conditional_expected_purchases(bg, days / DAYS_PER_WEEK, x, t_x, age)
            if bg and n
            else missing
        )
    columns["discounted_expected_purchases"] = (
        btyd.bgnbd_discounted_expected_purchases(
            bg,
            x,
            t_x,
            age,
            horizon_months=models.horizon_months,
            monthly_discount_rate=models.monthly_discount_rate,
            weeks_per_month=WEEKS_PER_MONTH,
        )
        if bg and n
        else missing
    )
    return pd.DataFrame(columns, columns=list(SCORE_COLUMNS))
