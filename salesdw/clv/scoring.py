"""Per-customer predictions shared by the purchase models (BG/NBD, Pareto/NBD).

Both models factor every prediction the same way: a customer is alive at T with probability P(alive | x,
t_x, T), and an alive customer's future depends on (x, T) only (the posterior of the purchase rate, and of
the dropout process, given that the customer is alive at T). A model therefore provides three primitives
(:class:`PurchaseModel`), and this module builds the warehouse's predictions from them:

* expected purchases in (T, T + t]: P(alive) x E[purchases in t | alive];
* P(no purchase in (T, T + t]) = (1 - P(alive)) + P(alive) x P(no purchase in t | alive);
* the discounted expected purchases of the CLV horizon: P(alive) x sum_k (E[Y(k w) | alive] -
  E[Y((k - 1) w) | alive]) / (1 + d)^k, w = one month;
* 80% intervals of expected purchases and of the discounted expected purchases, propagating the parameter
  uncertainty by the delta method on the log scale (:func:`salesdw.clv.fitting.delta_log_std_error`).

The (x, T)-only parts are computed once per distinct (t, x, T), so millions of customers cost a few
thousand evaluations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from salesdw.clv import fitting
from salesdw.clv.fitting import (
    ArrayLike,
    FloatArray,
    Uncertainty,
    compress,
    delta_log_std_error,
    describe_bad_predictions,
)

DAYS_PER_WEEK = 7.0
WEEKS_PER_MONTH = 52.0 / 12.0


class PurchaseModel(Protocol):
    """A purchase model at given parameters (BgNbdParams, ParetoNbdParams)."""

    names: tuple[str, ...]
    meanings: fitting.Meanings

    def p_alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray: ...

    def expected_if_alive(self, t: FloatArray, x: FloatArray, T: FloatArray) -> FloatArray: ...

    def p_none_if_alive(self, t: FloatArray, x: FloatArray, T: FloatArray) -> FloatArray: ...

    def with_log_params(self, theta: FloatArray) -> PurchaseModel: ...

    # Optional fast path: P(alive) of prepared Histories (Pareto/NBD evaluates its 2F1 per distinct pair).
    # def p_alive_of(self, hist: Histories) -> FloatArray: ...


def as_model(params: Any) -> PurchaseModel:
    """The model at its parameters, from the parameters themselves or from a fit result (``.params``)."""
    inner = getattr(params, "params", None)
    return inner if inner is not None and hasattr(inner, "p_alive") else params  # type: ignore[no-any-return]


def _per_distinct(fn, t: FloatArray, x: FloatArray, T: FloatArray) -> FloatArray:  # type: ignore[no-untyped-def]
    """fn(t, x, T) evaluated once per distinct (t, x, T) (large, finite inputs), broadcast back."""
    tb, xb, ttb = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (t, x, T)))
    flat = [v.ravel() for v in (tb, xb, ttb)]
    if flat[0].size > 10_000 and all(np.all(np.isfinite(v)) for v in flat):
        (ut, ux, utt), inv, _ = compress(*flat)
        return np.asarray(fn(ut, ux, utt)[inv].reshape(tb.shape), dtype=np.float64)
    return np.asarray(fn(tb, xb, ttb), dtype=np.float64)


def _arrays(*values: ArrayLike) -> list[FloatArray]:
    return list(np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values)))


def conditional_expected_purchases(
    model: PurchaseModel, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """E[Y(t) | x, t_x, T]: expected purchases in (T, T + t]. Arguments broadcast."""
    tb, xb, txb, ttb = _arrays(t, x, t_x, T)
    return model.p_alive(xb, txb, ttb) * _per_distinct(model.expected_if_alive, tb, xb, ttb)


def p_no_purchase(
    model: PurchaseModel, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(no purchase in (T, T + t] | x, t_x, T) = 1 - P(alive) + P(alive) P(no purchase in t | alive)."""
    tb, xb, txb, ttb = _arrays(t, x, t_x, T)
    alive = model.p_alive(xb, txb, ttb)
    none_if_alive = _per_distinct(model.p_none_if_alive, tb, xb, ttb)
    return np.asarray(np.clip(1.0 - alive + alive * none_if_alive, 0.0, 1.0), dtype=np.float64)


def discounted_expected_purchases(
    model: PurchaseModel,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    weeks_per_month: float = WEEKS_PER_MONTH,
) -> FloatArray:
    """sum_{k=1..H} (E[Y(k w) | x, t_x, T] - E[Y((k-1) w) | x, t_x, T]) / (1 + d)^k, per customer.

    Purchases during month k are discounted by the end-of-month factor (1 + d)^-k. The (x, T) part is
    computed once per distinct (x, T) and month boundary, then multiplied by P(alive)."""
    xb, txb, ttb = _arrays(x, t_x, T)
    shape = xb.shape
    xf, txf, ttf = xb.ravel(), txb.ravel(), ttb.ravel()
    alive = model.p_alive(xf, txf, ttf)
    months = np.arange(horizon_months + 1, dtype=np.float64)
    if np.all(np.isfinite(xf)) and np.all(np.isfinite(ttf)):
        (ux, utt), inv, _ = compress(xf, ttf)
    else:
        ux, utt, inv = xf, ttf, np.arange(xf.size)
    # (H+1, n_unique): cumulative expected purchases if alive, at the month boundaries
    cum = model.expected_if_alive((months * weeks_per_month)[:, None], ux[None, :], utt[None, :])
    disc = (1.0 + monthly_discount_rate) ** -months[1:]
    per_unique = np.einsum("k,kn->n", disc, np.diff(cum, axis=0))
    return np.asarray((per_unique[inv] * alive).reshape(shape), dtype=np.float64)


@dataclass(frozen=True)
class Horizons:
    """What to predict: expected purchases over these days, P(no purchase) over these days, and the
    discounted expected purchases of the CLV horizon (none when ``horizon_months`` is 0). The interval
    columns are for ``interval_days`` and for the discounted expected purchases (none when
    ``interval_days`` is None)."""

    expected_days: tuple[int, ...] = (30, 90, 365)
    no_purchase_days: tuple[int, ...] = (30, 90)
    interval_days: int | None = 90
    horizon_months: int = 12
    monthly_discount_rate: float = 0.01


class Histories:
    """Distinct histories (x, t_x, T) with their distinct (x, T) (what an alive customer's future depends
    on) and distinct (x, t) pairs of t_x and T (the Pareto/NBD likelihood terms), indexed once so that
    repeated predictions (the delta method's nine) never regroup the rows."""

    def __init__(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> None:
        self.x, self.t_x, self.T = (np.asarray(v, dtype=np.float64).ravel() for v in (x, t_x, T))
        finite = all(np.all(np.isfinite(v)) for v in (self.x, self.T))
        if finite and self.x.size:
            (self.ux, self.uT), self.inv, _ = compress(self.x, self.T)
        else:
            self.ux, self.uT, self.inv = self.x, self.T, np.arange(self.x.size)
        self._pairs: tuple[FloatArray, FloatArray, FloatArray, FloatArray] | None = None

    def __len__(self) -> int:
        return int(self.x.size)

    @property
    def pairs(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """(pair x, pair t, index of (x, t_x), index of (x, T)) over the distinct (x, t) pairs."""
        if self._pairs is None:
            n = self.x.size
            if n and all(np.all(np.isfinite(v)) for v in (self.x, self.t_x, self.T)):
                (px, pt), inv, _ = compress(
                    np.concatenate([self.x, self.x]), np.concatenate([self.t_x, self.T])
                )
            else:
                px, pt, inv = (
                    np.concatenate([self.x, self.x]),
                    np.concatenate([self.t_x, self.T]),
                    np.arange(2 * n),
                )
            self._pairs = (px, pt, inv[:n], inv[n:])
        return self._pairs


def _alive(model: PurchaseModel, hist: Histories) -> FloatArray:
    fast = getattr(model, "p_alive_of", None)
    return fast(hist) if fast is not None else model.p_alive(hist.x, hist.t_x, hist.T)


def _discounted_if_alive(model: PurchaseModel, hist: Histories, horizons: Horizons) -> FloatArray:
    """Per distinct (x, T): sum_k (E[Y(k w) | alive] - E[Y((k-1) w) | alive]) / (1 + d)^k."""
    months = np.arange(horizons.horizon_months + 1, dtype=np.float64)
    cum = model.expected_if_alive((months * WEEKS_PER_MONTH)[:, None], hist.ux[None, :], hist.uT[None, :])
    disc = (1.0 + horizons.monthly_discount_rate) ** -months[1:]
    return np.asarray(np.einsum("k,kn->n", disc, np.diff(cum, axis=0)), dtype=np.float64)


def score(
    model: PurchaseModel, hist: Histories, horizons: Horizons, uncertainty: Uncertainty | None = None
) -> dict[str, FloatArray]:
    """Every per-history prediction of the warehouse (see :class:`Horizons`); with ``uncertainty``, also
    the standard errors of log expected purchases over ``interval_days`` and of log discounted expected
    purchases (delta method)."""
    alive = _alive(model, hist)
    inv = hist.inv
    out: dict[str, FloatArray] = {"p_alive": alive}
    days = np.asarray(horizons.expected_days, dtype=np.float64)
    if days.size:
        cum = model.expected_if_alive((days / DAYS_PER_WEEK)[:, None], hist.ux[None, :], hist.uT[None, :])
        for k, d in enumerate(horizons.expected_days):
            out[f"expected_purchases_{d}d"] = alive * cum[k][inv]
    days = np.asarray(horizons.no_purchase_days, dtype=np.float64)
    if days.size:
        none = model.p_none_if_alive((days / DAYS_PER_WEEK)[:, None], hist.ux[None, :], hist.uT[None, :])
        for k, d in enumerate(horizons.no_purchase_days):
            out[f"p_no_purchase_{d}d"] = np.clip(1.0 - alive + alive * none[k][inv], 0.0, 1.0)
    if horizons.horizon_months > 0:
        out["discounted_expected_purchases"] = alive * _discounted_if_alive(model, hist, horizons)[inv]
    if uncertainty is not None and horizons.interval_days is not None and horizons.horizon_months > 0:
        interval_t = np.array([[horizons.interval_days / DAYS_PER_WEEK]])

        def predict(theta: FloatArray) -> FloatArray:
            at = model.with_log_params(theta)
            alive_at = _alive(at, hist)
            expected = at.expected_if_alive(interval_t, hist.ux[None, :], hist.uT[None, :])[0]
            discounted = _discounted_if_alive(at, hist, horizons)
            return np.stack([alive_at * expected[inv], alive_at * discounted[inv]])

        key = f"expected_purchases_{horizons.interval_days}d"
        base = None
        if key in out:  # the estimates' predictions are already here: four evaluations, not five
            base = np.stack([out[key], out["discounted_expected_purchases"]])
        log_se = delta_log_std_error(predict, uncertainty, base=base)
        out[f"expected_purchases_{horizons.interval_days}d_log_se"] = log_se[0]
        out["discounted_expected_purchases_log_se"] = log_se[1]
    return out


def check_scores(scores: dict[str, FloatArray], x: FloatArray, t_x: FloatArray, T: FloatArray) -> str | None:
    """None when every prediction is finite (probabilities in [0, 1], expectations >= 0), else why not."""
    bad = np.zeros(x.size, dtype=bool)
    for name, values in scores.items():
        v = np.asarray(values, dtype=np.float64)
        wrong = ~np.isfinite(v) | (v < 0)
        if name.startswith("p_"):
            wrong |= v > 1
        bad |= wrong
    if not bad.any():
        return None
    return describe_bad_predictions(
        bad,
        "non-finite or out-of-range predictions",
        {"frequency": x, "recency": t_x, "age": T},
        {"recency": " weeks", "age": " weeks"},
    )


def check_model(
    model: PurchaseModel,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    horizons: Horizons,
    uncertainty: Uncertainty | None = None,
) -> str | None:
    """The fit-time check that a converged model gives finite predictions for every fitted history (the
    point predictions; with ``uncertainty`` also their standard errors)."""
    with np.errstate(all="ignore"):
        try:
            scores = score(model, Histories(x, t_x, T), horizons, uncertainty)
        except (ArithmeticError, ValueError) as exc:
            return f"predictions failed: {type(exc).__name__}: {exc}"
    return check_scores(scores, x, t_x, T)


def assess_fit(
    objective: fitting.Objective,
    theta: FloatArray,
    ok: bool,
    msg: str,
    counts: FloatArray,
    params: PurchaseModel,
    x: FloatArray,
    tx: FloatArray,
    tt: FloatArray,
    horizons: Horizons | None,
) -> tuple[bool, str, Uncertainty | None]:
    """The optimiser's outcome, then the observed information, then finite predictions for every fitted
    history: (converged, message, uncertainty), for any purchase model."""
    if not np.all(np.isfinite(theta)):
        return False, msg, None
    verdict = fitting.assess_optimum(objective, theta, params.names, float(counts.sum()), params.meanings)
    if not verdict.ok:
        return False, verdict.message, None
    if not ok:
        return False, msg, None
    assert verdict.uncertainty is not None
    bad = check_model(params, x, tx, tt, horizons or Horizons())
    if bad:
        return False, f"not usable: {bad}", None
    return True, msg, verdict.uncertainty
