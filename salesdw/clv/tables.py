"""The warehouse's CLV tables, shaped for the dbt Python models in models/clv/.

The maths is in the model modules (:mod:`salesdw.clv.bgnbd`, :mod:`salesdw.clv.pareto_nbd`,
:mod:`salesdw.clv.gamma_gamma`, :mod:`salesdw.clv.scoring`); this module turns the purchase-history columns
into the tables the models return, so the dbt files stay a few lines long and everything here is testable
without dbt (and runs unchanged outside it, e.g. on Spark: numpy arrays of distinct histories in, pandas
frames out):

* :func:`fit_table`: one row per fitted model (the purchase model the `clv_model` var selects, the other
  purchase model when they are compared, Gamma-Gamma) with parameters, their standard errors, 95%
  intervals and covariance, log-likelihood, convergence in words and the LTV basis of the business layer;
* :func:`score_table`: one row per distinct history (frequency, recency, age) with P(alive), expected
  purchases, P(no purchase in 30/90 days), the discounted expected purchases of the CLV and the 80%
  interval inputs, all null where the selected purchase model is not usable. customer_clv joins them back
  to the customers and multiplies by the Gamma-Gamma expected order value (a closed form of frequency and
  mean repeat value, computed in SQL with its own delta-method interval).

The histories leave DuckDB already grouped (int_clv_distinct_histories, :data:`SPEND_GROUPS`, with a customer
count per row); the fits weight rows by those counts, which gives the fit on the ungrouped customers.
Times are in weeks (days / 7), as in the BG/NBD paper and int_customer_purchase_history.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from salesdw.clv import bgnbd, gamma_gamma, pareto_nbd, scoring
from salesdw.clv.fitting import Uncertainty, log_interval

MODEL_BGNBD = "bg_nbd"
MODEL_PARETO_NBD = "pareto_nbd"
MODEL_GAMMA_GAMMA = "gamma_gamma"
PURCHASE_MODEL_NAMES: tuple[str, ...] = (MODEL_BGNBD, MODEL_PARETO_NBD)
ROLE_PURCHASES = "purchases"
ROLE_COMPARISON = "comparison"
ROLE_SPEND = "spend"
LTV_BASIS_PREDICTED = "predicted_clv"
LTV_BASIS_HISTORICAL = "historical_revenue"
COMPARE_CHOICES: tuple[str, ...] = ("auto", "true", "false")
DAYS_PER_WEEK = scoring.DAYS_PER_WEEK
WEEKS_PER_MONTH = scoring.WEEKS_PER_MONTH
# Horizons of the expected-purchases columns (expected_purchases_<days>d) and of P(no purchase).
EXPECTED_PURCHASE_HORIZONS_DAYS: tuple[int, ...] = (30, 90, 365)
NO_PURCHASE_HORIZONS_DAYS: tuple[int, ...] = (30, 90)
# The expected purchases that carry an 80% interval (the horizon customer_ltv shows).
INTERVAL_DAYS = 90
ALL_PARAMETERS: tuple[str, ...] = ("r", "alpha", "a", "b", "s", "beta", "p", "q", "gamma")
MAX_PARAMETERS = 4
COVARIANCE_COLUMNS: tuple[str, ...] = tuple(
    f"log_covariance_{i}{j}" for i in range(1, MAX_PARAMETERS + 1) for j in range(i, MAX_PARAMETERS + 1)
)

# The purchase models read int_clv_distinct_histories: distinct (x, t_x, T) as doubles with `customers`,
# the number of customers per row; customer_clv joins the scores back on the same three doubles.
# Gamma-Gamma pulls (x, m) of repeat buyers from int_customer_purchase_history, grouped in DuckDB so that
# only distinct rows leave it (relation.aggregate(expressions, group_by); null mean repeat value -> 0, it
# is ignored for x = 0).
SPEND_GROUPS = (
    "frequency::double as frequency, "
    "coalesce(repeat_purchase_value_mean, 0)::double as repeat_purchase_value_mean, count(*) as customers",
    "frequency, repeat_purchase_value_mean",
)


@dataclass(frozen=True)
class PurchaseModelSpec:
    name: str
    description: str
    names: tuple[str, ...]
    fit: Callable[..., Any]
    params: Callable[..., scoring.PurchaseModel]


PURCHASE_MODELS: dict[str, PurchaseModelSpec] = {
    MODEL_BGNBD: PurchaseModelSpec(
        MODEL_BGNBD,
        "BG/NBD purchase-count model (Fader, Hardie & Lee 2005)",
        bgnbd.NAMES,
        bgnbd.fit_bgnbd,
        bgnbd.BgNbdParams,
    ),
    MODEL_PARETO_NBD: PurchaseModelSpec(
        MODEL_PARETO_NBD,
        "Pareto/NBD purchase-count model (Schmittlein, Morrison & Colombo 1987)",
        pareto_nbd.NAMES,
        pareto_nbd.fit_pareto_nbd,
        pareto_nbd.ParetoNbdParams,
    ),
}
GAMMA_GAMMA_DESCRIPTION = "Gamma-Gamma spend model on repeat buyers (Fader, Hardie & Lee 2005)"

# Estimates, standard errors, 95% intervals and the covariance of the log-parameters: doubles, null where
# a model does not have the parameter or the fit has no uncertainty.
PARAMETER_COLUMNS: tuple[str, ...] = (
    *ALL_PARAMETERS,
    *(f"{name}_{what}" for name in ALL_PARAMETERS for what in ("std_error", "lower_95", "upper_95")),
    *COVARIANCE_COLUMNS,
)

FIT_COLUMNS: tuple[str, ...] = (
    "model_name",
    "model_description",
    "model_role",
    "parameter_names",
    *PARAMETER_COLUMNS,
    "log_likelihood",
    "n_parameters",
    "n_customers",
    "n_repeat_buyers",
    "n_distinct_histories",
    "fit_seconds",
    "converged",
    "message",
    "better_fitting_model",
    "model_comparison",
    "ltv_basis",
    "ltv_basis_reason",
    "analysis_date",
    "time_unit",
    "clv_model",
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
    *(f"p_no_purchase_{days}d" for days in NO_PURCHASE_HORIZONS_DAYS),
    f"expected_purchases_{INTERVAL_DAYS}d_lower_80",
    f"expected_purchases_{INTERVAL_DAYS}d_upper_80",
    "discounted_expected_purchases",
    "discounted_expected_purchases_log_se",
)


@dataclass(frozen=True)
class ClvSettings:
    """The dbt vars of the CLV layer (dbt_project.yml: clv_*)."""

    horizon_months: int = 12
    monthly_discount_rate: float = 0.01
    min_repeat_buyers: int = 20
    model: str = MODEL_BGNBD
    compare_models: str = "auto"
    compare_max_histories: int = 20_000

    def __post_init__(self) -> None:
        if self.model not in PURCHASE_MODELS:
            raise ValueError(
                f"var clv_model must be one of {', '.join(PURCHASE_MODEL_NAMES)}, got {self.model!r}"
            )
        if self.compare_models not in COMPARE_CHOICES:
            raise ValueError(
                f"var clv_compare_models must be one of {', '.join(COMPARE_CHOICES)}, "
                f"got {self.compare_models!r}"
            )
        if self.horizon_months < 1:
            raise ValueError(f"var clv_horizon_months must be at least 1, got {self.horizon_months}")

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
            model=str(_given(get("clv_model"), defaults.model)).strip().lower(),
            compare_models=str(_given(get("clv_compare_models"), defaults.compare_models)).strip().lower(),
            compare_max_histories=int(
                float(_given(get("clv_compare_max_histories"), defaults.compare_max_histories))
            ),
        )

    @property
    def horizons(self) -> scoring.Horizons:
        return scoring.Horizons(
            expected_days=EXPECTED_PURCHASE_HORIZONS_DAYS,
            no_purchase_days=NO_PURCHASE_HORIZONS_DAYS,
            interval_days=INTERVAL_DAYS,
            horizon_months=self.horizon_months,
            monthly_discount_rate=self.monthly_discount_rate,
        )

    @property
    def other_model(self) -> str:
        return next(name for name in PURCHASE_MODEL_NAMES if name != self.model)


def _given(value: Any, default: Any) -> Any:
    """The value unless it is missing (None or an empty string); 0 is a value."""
    return default if value is None or value == "" else value


def _floats(columns: Mapping[str, Any], name: str) -> npt.NDArray[np.float64]:
    return np.asarray(columns[name], dtype=np.float64)


def sorted_rows(*columns: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], ...]:
    """The columns with their rows sorted by every column in turn. An engine hands over grouped rows in any
    order, and the fits' sums (so their last digits, and on a flat likelihood where the optimizer stops)
    depend on it: sorted, the same histories give the same fit on DuckDB, Spark and every run."""
    order = np.lexsort(tuple(reversed(columns)))
    return tuple(column[order] for column in columns)


@dataclass(frozen=True)
class PurchaseHistory:
    """Distinct purchase-model inputs (x, t_x and T in weeks) and how many customers have each."""

    frequency: npt.NDArray[np.float64]
    recency: npt.NDArray[np.float64]
    age: npt.NDArray[np.float64]
    customers: npt.NDArray[np.float64]

    @classmethod
    def from_columns(cls, columns: Mapping[str, Any]) -> PurchaseHistory:
        """From ``int_clv_distinct_histories.fetchnumpy()`` (or a DataFrame); without a ``customers``
        column every row is one customer."""
        frequency = _floats(columns, "frequency")
        customers = _floats(columns, "customers") if "customers" in columns else np.ones(frequency.size)
        frequency, recency, age, customers = sorted_rows(
            frequency, _floats(columns, "recency_weeks"), _floats(columns, "age_weeks"), customers
        )
        return cls(frequency=frequency, recency=recency, age=age, customers=customers)

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
        customers = _floats(columns, "customers") if "customers" in columns else np.ones(frequency.size)
        frequency, monetary_value, customers = sorted_rows(
            frequency, _floats(columns, "repeat_purchase_value_mean"), customers
        )
        return cls(frequency=frequency, monetary_value=monetary_value, customers=customers)


@dataclass(frozen=True)
class Fits:
    """Every fit of a build: purchase models by name (the selected one first), Gamma-Gamma, and why the
    other purchase model was or was not fitted."""

    purchases: dict[str, Any]
    spend: gamma_gamma.GammaGammaFit
    selected: str
    comparison_note: str = ""
    roles: dict[str, str] = field(default_factory=dict)

    @property
    def selected_fit(self) -> Any:
        return self.purchases[self.selected]


def fit_purchase_model(
    name: str,
    history: PurchaseHistory,
    settings: ClvSettings,
    horizons: scoring.Horizons | None = None,
    initial: scoring.PurchaseModel | None = None,
) -> Any:
    """One purchase model on distinct histories weighted by their customers; never raises. ``horizons``:
    the predictions it must give finitely to count as converged (default: the warehouse's); ``initial``:
    a starting point (one optimiser start instead of two)."""
    return PURCHASE_MODELS[name].fit(
        history.frequency,
        history.recency,
        history.age,
        min_repeat_buyers=settings.min_repeat_buyers,
        weights=history.customers,
        horizons=horizons or settings.horizons,
        initial=initial,
    )


def should_compare(history: PurchaseHistory, settings: ClvSettings, selected: Any) -> tuple[bool, str]:
    """Whether to fit the other purchase model too, and if not why (in words). ``auto`` compares when the
    data has at most ``compare_max_histories`` distinct histories and the selected model converged (the
    comparison then starts from its estimates and costs about one more fit; when the selected model is not
    identified, the other one, with the same purchase-rate part, rarely is)."""
    other = settings.other_model
    if settings.compare_models == "false":
        return False, f"not compared with {other} (clv_compare_models: false)"
    if settings.compare_models == "auto" and len(history) > settings.compare_max_histories:
        return False, (
            f"not compared with {other}: {len(history):,} distinct histories > clv_compare_max_histories "
            f"({settings.compare_max_histories:,}); set clv_compare_models: true to compare anyway"
        )
    if settings.compare_models == "auto" and not selected.converged:
        return False, (
            f"not compared with {other}: {settings.model} did not converge; set clv_compare_models: true to "
            f"fit {other} anyway"
        )
    return True, ""


def translate_start(fit: Any, other: str) -> scoring.PurchaseModel | None:
    """A starting point for the other purchase model from a converged fit of one (one optimiser start
    instead of two): the same Gamma of purchase rates, and dropout of the same mean speed, an exponential
    heterogeneity of the Pareto/NBD dropout rate (s = 1) with mean = BG/NBD's mean dropout probability per
    purchase x purchases per week, or the reverse."""
    if not fit.converged:
        return None
    rate = fit.r / fit.alpha
    if other == MODEL_PARETO_NBD:
        mean_dropout = fit.a / (fit.a + fit.b) * rate
        return pareto_nbd.ParetoNbdParams(fit.r, fit.alpha, 1.0, 1.0 / max(mean_dropout, 1e-6))
    per_purchase = min(max(fit.s / fit.beta / max(rate, 1e-9), 1e-3), 0.999)
    return bgnbd.BgNbdParams(fit.r, fit.alpha, per_purchase * 4.0, (1.0 - per_purchase) * 4.0)


def fit_models(history: PurchaseHistory, spend: SpendHistory, settings: ClvSettings) -> Fits:
    """The selected purchase model, the other one when compared (:func:`should_compare`) and Gamma-Gamma,
    each row weighted by its customers (= the fit on the customers); never raises. Pareto/NBD starts from
    a BG/NBD fit's estimates (:func:`translate_start`): its likelihood costs several times BG/NBD's, and a
    cold start on data whose dropout is not Pareto-like wanders far (measured: 13 s instead of 1.4 s)."""
    helper = None
    if settings.model == MODEL_PARETO_NBD:
        helper = fit_purchase_model(MODEL_BGNBD, history, settings)
        selected = fit_purchase_model(
            MODEL_PARETO_NBD, history, settings, initial=translate_start(helper, MODEL_PARETO_NBD)
        )
    else:
        selected = fit_purchase_model(settings.model, history, settings)
    purchases = {settings.model: selected}
    roles = {settings.model: ROLE_PURCHASES, MODEL_GAMMA_GAMMA: ROLE_SPEND}
    compare, note = should_compare(history, settings, selected)
    if compare:
        other = settings.other_model
        purchases[other] = helper or fit_purchase_model(
            other, history, settings, initial=translate_start(selected, other)
        )
        roles[other] = ROLE_COMPARISON
    spend_fit = gamma_gamma.fit_gamma_gamma(
        spend.frequency,
        spend.monetary_value,
        min_customers=settings.min_repeat_buyers,
        weights=spend.customers,
    )
    return Fits(purchases, spend_fit, settings.model, note, roles)


def _finite(*values: float) -> bool:
    return all(math.isfinite(value) for value in values)


def purchase_usable(name: str, fit: Any) -> tuple[bool, str]:
    label = "BG/NBD" if name == MODEL_BGNBD else "Pareto/NBD"
    if not fit.converged:
        return False, f"{label} did not converge ({fit.message})"
    if not _finite(*(getattr(fit, key) for key in fit.names)):
        return False, f"{label} parameters are not finite"
    return True, f"{label} converged"


def gamma_gamma_usable(fit: gamma_gamma.GammaGammaFit) -> tuple[bool, str]:
    if not fit.converged:
        return False, f"Gamma-Gamma did not converge ({fit.message})"
    if not _finite(fit.p, fit.q, fit.gamma):
        return False, "Gamma-Gamma parameters are not finite"
    if fit.q <= 1:
        return False, f"Gamma-Gamma q = {fit.q:.3g} <= 1: the mean order value is infinite"
    return True, "Gamma-Gamma converged"


def ltv_basis(fits: Fits) -> tuple[str, str]:
    """Which LTV the business layer ranks by, and why (in words, for the fit table)."""
    checks = (purchase_usable(fits.selected, fits.selected_fit), gamma_gamma_usable(fits.spend))
    reasons = [reason for ok, reason in checks if not ok]
    if reasons:
        text = "; ".join(reasons) + ": customer_ltv ranks by historical revenue and predicted CLV is null"
        other = next((name for name in fits.purchases if name != fits.selected), None)
        if other and purchase_usable(other, fits.purchases[other])[0] and not checks[0][0]:
            text += f" ({other} converged: set the var clv_model: {other} to use it)"
        return LTV_BASIS_HISTORICAL, text
    return LTV_BASIS_PREDICTED, "both fits converged: customer_ltv ranks by predicted CLV"


def comparison(fits: Fits) -> tuple[str | None, str]:
    """(better-fitting purchase model or None, the comparison in words). Both models have four
    parameters, so the higher log-likelihood is also the lower AIC and BIC."""
    if len(fits.purchases) < 2:
        return None, fits.comparison_note
    rows = {name: fit for name, fit in fits.purchases.items() if fit.converged}
    if len(rows) < 2:
        failed = ", ".join(name for name in fits.purchases if name not in rows)
        return None, f"not compared: {failed} did not converge"
    (best, best_fit), (other, other_fit) = sorted(rows.items(), key=lambda item: -item[1].log_likelihood)
    return best, (
        f"{best} fits better than {other}: log-likelihood {best_fit.log_likelihood:,.1f} vs "
        f"{other_fit.log_likelihood:,.1f} (both have 4 parameters, so AIC and BIC agree)"
    )


def _parameter_columns(fit: Any, names: Sequence[str]) -> dict[str, Any]:
    """Estimates, standard errors, 95% intervals and the log-parameter covariance of one fit."""
    out: dict[str, Any] = {name: getattr(fit, name) for name in names}
    uncertainty: Uncertainty | None = getattr(fit, "uncertainty", None)
    if uncertainty is not None:
        se = uncertainty.std_errors()
        intervals = uncertainty.intervals()
        cov = uncertainty.covariance
        for i, name in enumerate(names):
            out[f"{name}_std_error"] = se[name]
            out[f"{name}_lower_95"], out[f"{name}_upper_95"] = intervals[name]
            for j in range(i, len(names)):
                out[f"log_covariance_{i + 1}{j + 1}"] = float(cov[i, j])
    return out


def fit_table(fits: Fits, settings: ClvSettings, analysis_date: date | None) -> pd.DataFrame:
    """One row per fit (the selected purchase model, the compared one, Gamma-Gamma). Parameters of other
    models are null; NaN (no fit attempted, no uncertainty) becomes null."""
    basis, reason = ltv_basis(fits)
    better, compared = comparison(fits)
    common = {
        "better_fitting_model": better,
        "model_comparison": compared,
        "ltv_basis": basis,
        "ltv_basis_reason": reason,
        "analysis_date": analysis_date,
        "time_unit": "weeks",
        "clv_model": settings.model,
        "clv_horizon_months": settings.horizon_months,
        "clv_monthly_discount_rate": settings.monthly_discount_rate,
        "min_repeat_buyers": settings.min_repeat_buyers,
    }
    rows = []
    for name, fit in fits.purchases.items():
        spec = PURCHASE_MODELS[name]
        rows.append(
            {
                "model_name": name,
                "model_description": spec.description,
                "model_role": fits.roles.get(name, ROLE_COMPARISON),
                "parameter_names": ", ".join(spec.names),
                **_parameter_columns(fit, spec.names),
                "log_likelihood": fit.log_likelihood,
                "n_parameters": len(spec.names),
                "n_customers": fit.n_customers,
                "n_repeat_buyers": fit.n_repeat_buyers,
                "n_distinct_histories": fit.n_unique,
                "fit_seconds": fit.fit_seconds,
                "converged": bool(fit.converged),
                "message": fit.message,
                **common,
            }
        )
    spend = fits.spend
    rows.append(
        {
            "model_name": MODEL_GAMMA_GAMMA,
            "model_description": GAMMA_GAMMA_DESCRIPTION,
            "model_role": ROLE_SPEND,
            "parameter_names": ", ".join(gamma_gamma.NAMES),
            **_parameter_columns(spend, gamma_gamma.NAMES),
            "log_likelihood": spend.log_likelihood,
            "n_parameters": len(gamma_gamma.NAMES),
            "n_customers": spend.n,
            "n_repeat_buyers": spend.n,
            "n_distinct_histories": None,
            "fit_seconds": spend.fit_seconds,
            "converged": bool(spend.converged),
            "message": spend.message,
            **common,
        }
    )
    frame = pd.DataFrame(rows, columns=list(FIT_COLUMNS))
    for column in ("n_distinct_histories", "n_parameters"):
        frame[column] = frame[column].astype("Int64")
    for column in PARAMETER_COLUMNS:
        frame[column] = frame[column].astype("float64")
    return frame


@dataclass(frozen=True)
class FittedModels:
    """The usable models read back from the fit table (None where that fit cannot be used)."""

    purchase_name: str
    purchases: scoring.PurchaseModel | None
    purchase_uncertainty: Uncertainty | None
    gamma_gamma: gamma_gamma.GammaGammaParams | None
    horizon_months: int
    monthly_discount_rate: float

    @property
    def ltv_basis(self) -> str:
        return LTV_BASIS_PREDICTED if self.purchases and self.gamma_gamma else LTV_BASIS_HISTORICAL

    @property
    def horizons(self) -> scoring.Horizons:
        return ClvSettings(self.horizon_months, self.monthly_discount_rate).horizons


def _all_finite(row: Mapping[str, Any], keys: Sequence[str]) -> bool:
    return all(row.get(key) is not None and math.isfinite(float(row[key])) for key in keys)


def uncertainty_from_row(row: Mapping[str, Any], names: Sequence[str]) -> Uncertainty | None:
    """The asymptotic normal of a fit row's log-parameters (None without a complete covariance)."""
    k = len(names)
    keys = [f"log_covariance_{i + 1}{j + 1}" for i in range(k) for j in range(i, k)]
    if not _all_finite(row, [*names, *keys]):
        return None
    cov = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            cov[i, j] = cov[j, i] = float(row[f"log_covariance_{i + 1}{j + 1}"])
    return Uncertainty(
        names=tuple(names),
        log_estimates=tuple(math.log(float(row[name])) for name in names),
        log_covariance=tuple(tuple(float(v) for v in r) for r in cov),
    )


def fitted_models(rows: Sequence[Mapping[str, Any]]) -> FittedModels:
    """Reads the fit table back (rows as dicts); a model is usable only when the fit table says so. The
    purchase model is the row with role `purchases` (the clv_model var)."""
    by_name = {row["model_name"]: row for row in rows}
    selected = next((row for row in rows if row.get("model_role") == ROLE_PURCHASES), None)
    gg_row = by_name.get(MODEL_GAMMA_GAMMA)
    any_row = selected or gg_row or {}
    defaults = ClvSettings()
    name = str(selected["model_name"]) if selected else defaults.model
    purchases = uncertainty = spend = None
    if selected and selected["converged"] and _all_finite(selected, PURCHASE_MODELS[name].names):
        spec = PURCHASE_MODELS[name]
        purchases = spec.params(*(float(selected[key]) for key in spec.names))
        uncertainty = uncertainty_from_row(selected, spec.names)
    if gg_row and gg_row["converged"] and _all_finite(gg_row, gamma_gamma.NAMES) and float(gg_row["q"]) > 1:
        spend = gamma_gamma.GammaGammaParams(*(float(gg_row[key]) for key in gamma_gamma.NAMES))
    return FittedModels(
        purchase_name=name,
        purchases=purchases,
        purchase_uncertainty=uncertainty,
        gamma_gamma=spend,
        horizon_months=int(_given(any_row.get("clv_horizon_months"), defaults.horizon_months)),
        monthly_discount_rate=float(
            _given(any_row.get("clv_monthly_discount_rate"), defaults.monthly_discount_rate)
        ),
    )


def score_table(history: PurchaseHistory, models: FittedModels) -> pd.DataFrame:
    """One row per distinct history (x, t_x, T): the selected purchase model's predictions (see
    SCORE_COLUMNS); null where that model is not usable (NaN -> NULL in DuckDB). The 80% interval of
    expected purchases is exp(-+1.2816 se) around it, se the delta-method standard error of its log;
    customer_clv combines discounted_expected_purchases_log_se with the Gamma-Gamma one for the CLV."""
    n = len(history)
    columns: dict[str, Any] = {
        "frequency": history.frequency,
        "recency_weeks": history.recency,
        "age_weeks": history.age,
        "customers": history.customers.astype(np.int64),
    }
    model = models.purchases
    if model is not None and n:
        with np.errstate(all="ignore"):
            hist = scoring.Histories(history.frequency, history.recency, history.age)
            scores = scoring.score(model, hist, models.horizons, models.purchase_uncertainty)
        # A standard error that cannot be computed (never seen: the fit checked the predictions) leaves
        # that history's intervals null rather than wrong; customer_clv says so in clv_null_reason.
        for name in [name for name in scores if name.endswith("_log_se")]:
            scores[name] = np.where(np.isfinite(scores[name]), scores[name], np.nan)
        columns.update(scores)
        key = f"expected_purchases_{INTERVAL_DAYS}d"
        log_se = scores.get(f"{key}_log_se")
        if log_se is not None:
            columns[f"{key}_lower_80"], columns[f"{key}_upper_80"] = log_interval(scores[key], log_se)
    frame = pd.DataFrame({name: columns.get(name, np.full(n, np.nan)) for name in SCORE_COLUMNS})
    return frame
