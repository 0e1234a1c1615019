"""Gamma-Gamma: the spend sub-model of CLV (Fader, Hardie & Lee 2005b, "RFM and CLV: Using Iso-Value Curves
for Customer Base Analysis", Journal of Marketing Research 42(4); Fader & Hardie 2013, "The Gamma-Gamma
Model of Monetary Value").

A customer's transaction values are Gamma(p, nu) with nu ~ Gamma(shape q, rate gamma) across customers; it
is fitted on the mean value m of each repeat buyer's x repeat transactions (the first purchase excluded).
Fitting and checks as for the purchase models (:mod:`salesdw.clv.fitting`): never raises, ``converged``
only with a positive-definite observed information, identified parameters and a finite expected spend
for every customer (q > 1).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln

from salesdw.clv import fitting
from salesdw.clv.fitting import ArrayLike, FloatArray, Uncertainty, dot

__all__ = [
    "GammaGammaFit",
    "GammaGammaParams",
    "fit_gamma_gamma",
    "gamma_gamma_expected_spend",
    "gamma_gamma_expected_spend_log_se",
    "gamma_gamma_log_likelihood",
    "simulate_gamma_gamma",
]

NAMES: tuple[str, ...] = ("p", "q", "gamma")


def _same_spend(p: dict[str, float]) -> str:
    mean = p["p"] * p["gamma"] / (p["q"] - 1.0) if p["q"] > 1 else float("inf")
    return (
        "customers' average order values look the same (about p gamma / (q - 1) = "
        f"{mean:,.2f} each): there is no heterogeneity to model"
    )


MEANINGS: fitting.Meanings = {
    frozenset({"q", "gamma"}): _same_spend,
    frozenset({"p", "q", "gamma"}): "order values show no structure the model can use",
    frozenset({"p"}): "the spread of a customer's order values is not identified",
}


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters: z ~ Gamma(p, nu), nu ~ Gamma(shape q, rate gamma)."""

    p: float
    q: float
    gamma: float

    names: ClassVar[tuple[str, ...]] = NAMES


@dataclass(frozen=True)
class GammaGammaFit:
    """Result of :func:`fit_gamma_gamma` (fitted on repeat buyers only)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    n: int  # repeat buyers used in the fit
    fit_seconds: float
    converged: bool
    message: str
    uncertainty: Uncertainty | None = None

    names: ClassVar[tuple[str, ...]] = NAMES

    @property
    def params(self) -> GammaGammaParams:
        return GammaGammaParams(self.p, self.q, self.gamma)


GammaGammaLike = GammaGammaParams | GammaGammaFit


def gamma_gamma_log_likelihood(
    params: GammaGammaLike, frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """Per-customer log density of the mean spend m of x >= 1 transactions (Fader & Hardie 2013):

    f(m | p, q, gamma, x) = Gamma(px+q) / (Gamma(px) Gamma(q))
                            * gamma^q m^(px-1) x^(px) / (gamma + m x)^(px+q).
    """
    p, q, g = params.p, params.q, params.gamma
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary_value, dtype=np.float64)
    px = p * x
    with np.errstate(invalid="ignore", divide="ignore"):
        ll = (
            gammaln(px + q)
            - gammaln(px)
            - gammaln(q)
            + q * np.log(g)
            + (px - 1.0) * np.log(m)
            + px * np.log(x)
            - (px + q) * np.log(g + m * x)
        )
    return np.asarray(ll, dtype=np.float64)


class _GammaGammaObjective:
    """Weighted mean negative Gamma-Gamma log-likelihood over theta = log(p, q, gamma).

    Only log(gamma + m x) needs a pass over the rows per evaluation; the rest is reduced to
    per-distinct-x weight totals and precomputed sums.
    """

    def __init__(self, x: FloatArray, m: FloatArray, w: FloatArray) -> None:
        w = w / w.sum()
        self.ux, ix = np.unique(x, return_inverse=True)
        self.wsum_x = np.bincount(ix, weights=w, minlength=self.ux.size)
        self.w, self.wx, self.mx = w, w * x, m * x
        logm = np.log(m)
        self.s_wlogm = dot(w, logm)
        self.s_wxlogm = dot(self.wx, logm)
        self.logux = np.log(self.ux)

    def _core(self, theta: FloatArray) -> tuple[float, tuple[float, float, float, FloatArray]]:
        p, q, g = np.exp(theta)
        pux = p * self.ux
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            lgmx = np.log(g + self.mx)
            per_x = gammaln(pux + q) - gammaln(pux) + pux * self.logux
            ll = (
                dot(self.wsum_x, per_x)
                - gammaln(q)
                + q * np.log(g)
                + p * self.s_wxlogm
                - self.s_wlogm
                - p * dot(self.wx, lgmx)
                - q * dot(self.w, lgmx)
            )
        return -float(ll), (p, q, g, lgmx)

    def value(self, theta: FloatArray) -> float:
        return self._core(theta)[0]

    def value_and_grad(self, theta: FloatArray) -> tuple[float, FloatArray]:
        val, (p, q, g, lgmx) = self._core(theta)
        pux = p * self.ux
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            psi = digamma(pux + q)
            dp = (
                dot(self.wsum_x, self.ux * (psi - digamma(pux) + self.logux))
                + self.s_wxlogm
                - dot(self.wx, lgmx)
            )
            dq = dot(self.wsum_x, psi) - digamma(q) + np.log(g) - dot(self.w, lgmx)
            inv = 1.0 / (g + self.mx)
            dg = q / g - p * dot(self.wx, inv) - q * dot(self.w, inv)
        return val, -np.array([dp * p, dq * q, dg * g])


def _nan_gg(n: int, t0: float, message: str) -> GammaGammaFit:
    nan = float("nan")
    return GammaGammaFit(nan, nan, nan, nan, n, time.perf_counter() - t0, False, message)


def fit_gamma_gamma(
    frequency: ArrayLike,
    monetary_value: ArrayLike,
    *,
    min_customers: int = 20,
    initial: GammaGammaParams | None = None,
    seed: int = 0,
    weights: ArrayLike | None = None,
) -> GammaGammaFit:
    """Fit the Gamma-Gamma spend model by maximum likelihood on repeat buyers. Never raises.

    ``frequency`` is x (repeat transactions) and ``monetary_value`` m the mean value of those
    repeat transactions, for all customers; only customers with x >= 1 are used (m is ignored
    for x = 0, so it may be anything finite there). Repeat buyers with m <= 0 are excluded and
    counted in ``message``. Same two-stage optimiser on log(p, q, gamma) as :func:`fit_bgnbd`.
    ``weights`` (optional): customers per row, for input already grouped by (x, m).
    """
    t0 = time.perf_counter()
    try:
        x = fitting.as_float("frequency", frequency)
        m = fitting.as_float("monetary_value", monetary_value)
        if x.shape != m.shape:
            raise ValueError(f"frequency and monetary_value must have the same length: {x.size}, {m.size}")
        if x.size == 0:  # e.g. the repeat buyers of a file where nobody came back
            return _nan_gg(0, t0, f"too few repeat buyers: 0 < {min_customers}")
        bad = int((~np.isfinite(x)).sum())
        if bad:
            raise ValueError(f"frequency has {bad} non-finite (NaN/inf) values")
        if int((x < 0).sum()) or int((x != np.round(x)).sum()):
            raise ValueError("frequency must be non-negative whole numbers")
        rep = x >= 1
        bad = int((~np.isfinite(m[rep])).sum())
        if bad:
            raise ValueError(f"monetary_value has {bad} non-finite (NaN/inf) values among repeat buyers")
        w = fitting.validate_weights(weights, x.size)
        if w is not None:  # rows without customers do not exist
            x, m, w = fitting.drop_empty(w, x, m)
            rep = x >= 1
    except (ValueError, TypeError) as exc:
        return _nan_gg(0, t0, f"invalid input: {exc}")
    nonpos = int(fitting.weighted_counts(w, rep & (m <= 0)))
    use = rep & (m > 0)
    xs, ms = x[use], m[use]
    ws = None if w is None else w[use]
    n_used = int(fitting.weighted_counts(w, use))
    note = f"; excluded {nonpos} repeat buyers with monetary_value <= 0" if nonpos else ""
    if n_used < min_customers:
        return _nan_gg(n_used, t0, f"too few repeat buyers: {n_used} < {min_customers}{note}")
    if np.ptp(ms) == 0:
        return _nan_gg(n_used, t0, f"monetary_value is constant: spread not identified{note}")
    try:
        (ux, um), counts = fitting.compress_weighted(ws, xs, ms)
        mbar = float(np.average(um, weights=counts))
        if initial is not None:
            starts = [np.log([initial.p, initial.q, initial.gamma])]
        else:
            # population mean of the transaction value is p * gamma / (q - 1)
            starts = [np.log([p0, q0, mbar * (q0 - 1.0) / p0]) for p0, q0 in ((1.0, 2.0), (5.0, 4.0))]

        def build(rows: npt.NDArray[np.intp], w: FloatArray) -> _GammaGammaObjective:
            return _GammaGammaObjective(ux[rows], um[rows], w)

        theta, objective, ok, msg = fitting.two_stage_minimize(build, counts, starts, seed, NAMES)
        p, q, g = (float(v) for v in np.exp(theta))
        params = GammaGammaParams(p, q, g)
        ll = dot(counts, gamma_gamma_log_likelihood(params, ux, um))
        ok, msg, uncertainty = _assess(objective, theta, ok, msg, counts, params, ux, um)
        return GammaGammaFit(p, q, g, ll, n_used, time.perf_counter() - t0, ok, msg + note, uncertainty)
    except Exception as exc:  # the contract is: never raise
        return _nan_gg(n_used, t0, f"fit failed: {type(exc).__name__}: {exc}")


def _assess(
    objective: fitting.Objective,
    theta: FloatArray,
    ok: bool,
    msg: str,
    counts: FloatArray,
    params: GammaGammaParams,
    x: FloatArray,
    m: FloatArray,
) -> tuple[bool, str, Uncertainty | None]:
    """Observed information, then q > 1 and a finite expected spend for every fitted (x, m) and for
    customers without a repeat purchase (the population mean)."""
    if not np.all(np.isfinite(theta)):
        return False, msg, None
    verdict = fitting.assess_optimum(objective, theta, NAMES, float(counts.sum()), MEANINGS)
    if not verdict.ok:
        return False, verdict.message, None
    if not ok:
        return False, msg, None
    if params.q <= 1:
        return False, f"not usable: q = {params.q:.3g} <= 1, so the mean order value is infinite", None
    xs = np.concatenate([x, [0.0]])
    ms = np.concatenate([m, [0.0]])
    with np.errstate(all="ignore"):
        spend = gamma_gamma_expected_spend(params, xs, ms)
        log_se = gamma_gamma_expected_spend_log_se(verdict.uncertainty, xs, ms)  # type: ignore[arg-type]
    bad = ~np.isfinite(spend) | (spend <= 0) | ~np.isfinite(log_se)
    if bad.any():
        text = fitting.describe_bad_predictions(
            bad, "non-finite expected order values", {"frequency": xs, "mean repeat value": ms}, {}
        )
        return False, f"not usable: {text}", None
    return True, msg, verdict.uncertainty


def gamma_gamma_expected_spend(params: GammaGammaLike, x: ArrayLike, m: ArrayLike) -> FloatArray:
    """E[M | p, q, gamma, x, m]: conditional expected average transaction value (FHL 2005b):

    E = (p gamma + p x m) / (p x + q - 1)
      = (q-1)/(px+q-1) * p gamma/(q-1) + px/(px+q-1) * m,

    a weighted average of the population mean p gamma/(q-1) and the observed mean m. For x = 0
    it is the population mean (m is ignored). NaN where q <= 1 makes the mean infinite.
    """
    p, q, g = params.p, params.q, params.gamma
    xx = np.asarray(x, dtype=np.float64)
    mm = np.where(xx > 0, np.asarray(m, dtype=np.float64), 0.0)
    denom = p * xx + q - 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(denom > 0, (p * g + p * xx * mm) / denom, np.nan)
    return np.asarray(out, dtype=np.float64)


def simulate_gamma_gamma(
    params: GammaGammaLike, frequency: ArrayLike, rng: np.random.Generator
) -> FloatArray:
    """Mean transaction value m of x transactions per customer (NaN for x = 0):
    nu ~ Gamma(q, rate gamma), each value ~ Gamma(p, rate nu), so m ~ Gamma(p x, rate nu x).
    """
    x = np.asarray(frequency, dtype=np.float64)
    nu = rng.gamma(params.q, 1.0 / params.gamma, x.size)
    m = np.full(x.size, np.nan)
    pos = x > 0
    m[pos] = rng.gamma(params.p * x[pos], 1.0 / (nu[pos] * x[pos]))
    return m


def gamma_gamma_expected_spend_log_se(uncertainty: Uncertainty, x: ArrayLike, m: ArrayLike) -> FloatArray:
    """Standard error of log E[M | x, m] from the uncertainty of log(p, q, gamma) (delta method, closed
    form; customer_clv computes the same in SQL). With D = p x + q - 1:

    d log E / d log p = (q - 1) / D,  d log E / d log q = -q / D,
    d log E / d log gamma = gamma / (gamma + x m),

    and se = sqrt(g' C g) for the covariance C of the log-parameters (x = 0 uses m = 0)."""
    p, q, g = np.exp(uncertainty.theta)
    cov = uncertainty.covariance
    xx = np.asarray(x, dtype=np.float64)
    mm = np.where(xx > 0, np.asarray(m, dtype=np.float64), 0.0)
    denom = p * xx + q - 1.0
    grads = np.stack([(q - 1.0) / denom, -q / denom, g / (g + xx * mm)])
    var = np.einsum("i...,ij,j...->...", grads, cov, grads)
    return np.asarray(np.sqrt(np.maximum(var, 0.0)), dtype=np.float64)
