"""Buy-till-you-die customer-base models: BG/NBD (purchase counts) and Gamma-Gamma (spend).

References
----------
* Fader, Hardie & Lee (2005a), "Counting Your Customers the Easy Way: An Alternative to the
  Pareto/NBD Model", Marketing Science 24(2) -- the BG/NBD model (eqs. 6, 9, 10 below).
* Fader, Hardie & Lee (2005b), "RFM and CLV: Using Iso-Value Curves for Customer Base
  Analysis", Journal of Marketing Research 42(4) -- the Gamma-Gamma spend sub-model; see also
  Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (note).

Conventions
-----------
Per customer (calibration period):

* ``frequency`` x: number of *repeat* transactions (transactions after the first one);
* ``recency`` t_x: time of the last transaction, measured from the first transaction
  (0 when x = 0);
* ``T``: time from the first transaction to the end of the calibration period;
* ``monetary_value`` m: mean value of the x repeat transactions (Gamma-Gamma input).

Times may be in any unit as long as it is used consistently (alpha is expressed in the same
unit); the CDNOW reproduction in the test-suite uses weeks = days / 7 (see
:func:`calibration_summary`).

Everything is vectorised with numpy / scipy.special; fitting is maximum likelihood on the
log-parameters with identical input rows compressed and weighted, so millions of customers fit
in seconds. Fit functions never raise: problems are reported via ``converged=False`` and
``message``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

__all__ = [
    "BgNbdFit",
    "BgNbdParams",
    "GammaGammaFit",
    "GammaGammaParams",
    "bgnbd_conditional_expected_purchases",
    "bgnbd_discounted_expected_purchases",
    "bgnbd_expected_purchases_new_customer",
    "bgnbd_log_likelihood",
    "bgnbd_p_alive",
    "calibration_summary",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "gamma_gamma_expected_spend",
    "gamma_gamma_log_likelihood",
    "holdout_comparison_table",
    "predicted_clv",
    "simulate_bgnbd",
    "simulate_gamma_gamma",
]

# Bounds on the log-parameters: exp(+-15) ~ 3e-7 .. 3e6.
_LOG_BOUND = 15.0
# L-BFGS-B may stop with a line-search warning at the optimum (objective flat to machine
# precision); accept the fit if the gradient of the per-customer mean log-likelihood w.r.t. the
# log-parameters is below this.
_GRAD_TOL = 1e-5
# Nelder-Mead (the robust first stage) runs on a weighted random subsample of this many
# customers when the compressed data is larger; L-BFGS-B then polishes on the full data.
_NM_SUBSAMPLE = 20_000


# --------------------------------------------------------------------------------------------
# Parameter / result containers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BgNbdParams:
    """BG/NBD parameters: lambda ~ Gamma(shape r, rate alpha), p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class BgNbdFit:
    """Result of :func:`fit_bgnbd`. Parameters are NaN when the fit could not be attempted."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int
    n_repeat_buyers: int
    fit_seconds: float
    converged: bool
    message: str
    n_unique: int = 0  # distinct (x, t_x, T) rows actually evaluated

    @property
    def params(self) -> BgNbdParams:
        return BgNbdParams(self.r, self.alpha, self.a, self.b)


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters: z ~ Gamma(p, nu), nu ~ Gamma(shape q, rate gamma)."""

    p: float
    q: float
    gamma: float


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

    @property
    def params(self) -> GammaGammaParams:
        return GammaGammaParams(self.p, self.q, self.gamma)


BgNbdLike = BgNbdParams | BgNbdFit
GammaGammaLike = GammaGammaParams | GammaGammaFit


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _as_float(name: str, values: ArrayLike) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _validate_rft(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> tuple[FloatArray, ...]:
    """Return float arrays (x, t_x, T) or raise ValueError with a clear message."""
    x = _as_float("frequency", frequency)
    tx = _as_float("recency", recency)
    tt = _as_float("T", T)
    if not (x.shape == tx.shape == tt.shape):
        raise ValueError(
            f"frequency, recency and T must have the same length: {x.size}, {tx.size}, {tt.size}"
        )
    if x.size == 0:
        raise ValueError("no customers (empty input)")
    for name, arr in (("frequency", x), ("recency", tx), ("T", tt)):
        bad = int((~np.isfinite(arr)).sum())
        if bad:
            raise ValueError(f"{name} has {bad} non-finite (NaN/inf) values")
        neg = int((arr < 0).sum())
        if neg:
            raise ValueError(f"{name} has {neg} negative values")
    nonint = int((x != np.round(x)).sum())
    if nonint:
        raise ValueError(f"frequency must be whole numbers ({nonint} are not)")
    late = int((tx > tt * (1 + 1e-12) + 1e-12).sum())
    if late:
        raise ValueError(f"recency > T for {late} customers")
    zero_rec = int(((x > 0) & (tx <= 0)).sum())
    if zero_rec:
        raise ValueError(f"recency must be > 0 when frequency > 0 ({zero_rec} customers)")
    pos_rec = int(((x == 0) & (tx != 0)).sum())
    if pos_rec:
        raise ValueError(f"recency must be 0 when frequency == 0 ({pos_rec} customers)")
    return x, tx, tt


def _compress(*cols: FloatArray) -> tuple[tuple[FloatArray, ...], npt.NDArray[np.intp], FloatArray]:
    """Distinct rows of the given equal-length columns.

    Returns (unique columns, inverse index, counts). Much faster than ``np.unique(axis=0)``:
    each column is factorised separately and the integer codes are combined (re-compacted after
    every column, so the combined key cannot overflow int64).
    """
    n = cols[0].size
    key = np.zeros(n, dtype=np.int64)
    for col in cols:
        uniq, inv = np.unique(col, return_inverse=True)
        key = key * np.int64(uniq.size) + inv.astype(np.int64)
        _, key = np.unique(key, return_inverse=True)
        key = key.astype(np.int64)
    _, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    return tuple(col[first] for col in cols), inverse, counts.astype(np.float64)


def _validate_weights(weights: ArrayLike | None, n: int) -> FloatArray | None:
    """Row weights (customers per row) as floats, or None; raise ValueError unless whole numbers >= 0."""
    if weights is None:
        return None
    w = _as_float("weights", weights)
    if w.size != n:
        raise ValueError(f"weights must have one value per row: {w.size} != {n}")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or np.any(w != np.round(w)):
        raise ValueError("weights must be finite non-negative whole numbers (customers per row)")
    return w


def _drop_empty(w: FloatArray, *cols: FloatArray) -> tuple[FloatArray, ...]:
    """The rows with a positive weight (columns, then weights); ValueError if there are none."""
    keep = w > 0
    if not keep.any():
        raise ValueError("no customers (all weights are zero)")
    return (*(col[keep] for col in cols), w[keep])


def _weighted_counts(w: FloatArray | None, rows: FloatArray) -> float:
    """Customers in the selected rows: their number, or their weight total."""
    return float(rows.sum()) if w is None else float(w[rows].sum())


def _compress_weighted(w: FloatArray | None, *cols: FloatArray) -> tuple[tuple[FloatArray, ...], FloatArray]:
    """Distinct rows and their customer counts (the weights summed over identical rows)."""
    uniq, inverse, counts = _compress(*cols)
    if w is not None:
        counts = np.bincount(inverse, weights=w, minlength=counts.size)
    return uniq, counts


class _Objective(Protocol):
    """Mean negative log-likelihood over log-parameters (weights normalised to sum 1)."""

    def value(self, theta: FloatArray) -> float: ...

    def value_and_grad(self, theta: FloatArray) -> tuple[float, FloatArray]: ...


def _dot(u: FloatArray, v: FloatArray) -> float:
    """Inner product without BLAS: ``@``/``np.dot`` call multi-threaded OpenBLAS, which is up to
    20x slower for these vector sizes on a busy machine (thread oversubscription)."""
    return float(np.einsum("i,i->", u, v))


def _two_stage_minimize(
    build: Callable[[npt.NDArray[np.intp], FloatArray], _Objective],
    counts: FloatArray,
    starts: list[FloatArray],
    seed: int,
) -> tuple[FloatArray, bool, str]:
    """Minimise a per-customer mean negative log-likelihood over log-parameters.

    ``build(rows, weights)`` makes the objective on a subset of the compressed rows.
    Stage 1: Nelder-Mead from each start (on a seeded multinomial resample of ``_NM_SUBSAMPLE``
    customers if the data is larger), keep the best. Stage 2: L-BFGS-B with the analytic
    gradient on the full data. Returns (log-parameters, converged, message).
    """
    all_rows = np.arange(counts.size)
    full = build(all_rows, counts)
    nm_obj = full
    if counts.sum() > _NM_SUBSAMPLE and counts.size > _NM_SUBSAMPLE // 2:
        sub = np.random.default_rng(seed).multinomial(_NM_SUBSAMPLE, counts / counts.sum())
        rows = np.flatnonzero(sub)
        nm_obj = build(rows, sub[rows].astype(np.float64))
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * starts[0].size

    def nm_fun(theta: FloatArray) -> float:
        val = nm_obj.value(theta)
        return val if np.isfinite(val) else 1e300

    def lb_fun(theta: FloatArray) -> tuple[float, FloatArray]:
        val, grad = full.value_and_grad(theta)
        if not np.isfinite(val):
            return 1e300, np.zeros_like(theta)
        return val, np.where(np.isfinite(grad), grad, 0.0)

    best: FloatArray | None = None
    best_f = np.inf
    for x0 in starts:
        res = minimize(
            nm_fun,
            x0,
            method="Nelder-Mead",
            bounds=bounds,
            options={"xatol": 1e-3, "fatol": 1e-8, "maxiter": 4000, "maxfev": 8000},
        )
        if np.isfinite(res.fun) and res.fun < min(best_f, 1e299):
            best, best_f = np.asarray(res.x, dtype=np.float64), float(res.fun)
    if best is None:
        return np.full(starts[0].size, np.nan), False, "Nelder-Mead found no finite log-likelihood"

    res = minimize(
        lb_fun,
        best,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-9},
    )
    theta = np.asarray(res.x, dtype=np.float64)
    f, g = full.value_and_grad(theta)
    if not np.isfinite(f) or not np.all(np.isfinite(theta)) or not np.all(np.isfinite(g)):
        return theta, False, f"optimiser returned a non-finite result ({res.message})"
    if np.any(np.abs(theta) >= _LOG_BOUND - 1e-6):
        return theta, False, "parameter(s) at the optimisation bound exp(+-15): model not identified"
    gnorm = float(np.max(np.abs(g)))
    if res.success or gnorm < _GRAD_TOL:
        return theta, True, f"converged (max |grad| = {gnorm:.1e})"
    return theta, False, f"L-BFGS-B did not converge: {res.message} (max |grad| = {gnorm:.1e})"


# --------------------------------------------------------------------------------------------
# BG/NBD
# --------------------------------------------------------------------------------------------


def _bgnbd_terms(
    r: float, alpha: float, a: float, b: float, x: FloatArray, tx: FloatArray, tt: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per-row (A1, A2, A3, has_repeat) of the log-likelihood, eq. 6 of FHL (2005a)."""
    lbab = betaln(a, b)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - lbab - (r + x) * np.log(alpha + tt)
    rep = x > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        a3 = betaln(a + 1.0, b + x - 1.0) - lbab - (r + x) * np.log(alpha + tx)
    a3 = np.where(rep, a3, -np.inf)
    return a1, a2, a3, rep


def bgnbd_log_likelihood(
    params: BgNbdLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood (FHL 2005a, eq. 6):

    L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x)).
    """
    x = np.asarray(frequency, dtype=np.float64)
    tx = np.asarray(recency, dtype=np.float64)
    tt = np.asarray(T, dtype=np.float64)
    a1, a2, a3, _ = _bgnbd_terms(params.r, params.alpha, params.a, params.b, x, tx, tt)
    return np.asarray(a1 + np.logaddexp(a2, a3), dtype=np.float64)


class _BgNbdObjective:
    """Weighted mean negative BG/NBD log-likelihood over theta = log(r, alpha, a, b).

    Per row (distinct (x, t_x, T)), with d = A3 - A2 (eq. 6 terms; -inf for x = 0):
    ll = c12[x] - (r+x) log(alpha+T) + log(1 + e^d). Terms depending on x only are computed
    once per distinct x and reduced with per-x weight totals; the gradient is analytic.
    """

    def __init__(self, x: FloatArray, tx: FloatArray, tt: FloatArray, w: FloatArray) -> None:
        w = w / w.sum()
        self.ux, ix = np.unique(x, return_inverse=True)
        self.ix = ix
        self.x, self.tx, self.tt, self.w = x, tx, tt, w
        self.wx = w * x
        self.wsum_x = np.bincount(ix, weights=w, minlength=self.ux.size)  # weight per distinct x
        self.urep = self.ux > 0

    def _core(self, theta: FloatArray) -> tuple[float, dict[str, Any]]:
        r, alpha, a, b = np.exp(theta)
        ux = self.ux
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            c12 = gammaln(r + ux) - gammaln(r) + r * np.log(alpha) + betaln(a, b + ux) - betaln(a, b)
            dc = np.where(self.urep, betaln(a + 1.0, b + ux - 1.0) - betaln(a, b + ux), -np.inf)
            lt = np.log(alpha + self.tt)
            lx = np.log(alpha + self.tx)
            d = dc[self.ix] + (r + self.x) * (lt - lx)
            sp = np.logaddexp(0.0, d)
            ll = _dot(self.wsum_x, c12) - r * _dot(self.w, lt) - _dot(self.wx, lt) + _dot(self.w, sp)
        return -float(ll), {"p": (r, alpha, a, b), "lt": lt, "lx": lx, "d": d}

    def value(self, theta: FloatArray) -> float:
        return self._core(theta)[0]

    def value_and_grad(self, theta: FloatArray) -> tuple[float, FloatArray]:
        val, c = self._core(theta)
        r, alpha, a, b = c["p"]
        ux, w, lt, lx = self.ux, self.w, c["lt"], c["lx"]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            # weight of the "dropped out right after the last purchase" component (0 for x = 0)
            ww = w * expit(c["d"])
            ww_x = np.bincount(self.ix, weights=ww, minlength=ux.size)
            psi_abx = digamma(a + b + ux)
            dr = (
                _dot(self.wsum_x, digamma(r + ux) - digamma(r))
                + np.log(alpha)
                - _dot(w, lt)
                - _dot(ww, lx - lt)
            )
            inv_t = 1.0 / (alpha + self.tt)
            inv_x = 1.0 / (alpha + self.tx)
            dalpha = (
                r / alpha
                - r * _dot(w, inv_t)
                - _dot(self.wx, inv_t)
                - _dot(r * ww + ww * self.x, inv_x - inv_t)
            )
            da = _dot(self.wsum_x, digamma(a) - psi_abx) + ww_x.sum() / a - (digamma(a) - digamma(a + b))
            db_rep = np.where(self.urep, -1.0 / (b + ux - 1.0), 0.0)
            db = (
                _dot(self.wsum_x, digamma(b + ux) - psi_abx)
                + _dot(ww_x, db_rep)
                - (digamma(b) - digamma(a + b))
            )
        grad = -np.array([dr * r, dalpha * alpha, da * a, db * b])
        return val, grad


def _nan_bgnbd(n: int, n_rep: int, t0: float, message: str, n_unique: int = 0) -> BgNbdFit:
    nan = float("nan")
    return BgNbdFit(nan, nan, nan, nan, nan, n, n_rep, time.perf_counter() - t0, False, message, n_unique)


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    min_repeat_buyers: int = 20,
    initial: BgNbdParams | None = None,
    seed: int = 0,
    weights: ArrayLike | None = None,
) -> BgNbdFit:
    """Fit the BG/NBD model by maximum likelihood. Never raises.

    Identical (x, t_x, T) rows are compressed (``np.unique``) and the log-likelihood is
    weighted by their counts. Optimisation is on log(r, alpha, a, b): Nelder-Mead from a few
    starting points (on a seeded weighted subsample of 20k customers when the data is larger),
    then L-BFGS-B with the analytic gradient on the full data.

    ``weights`` (optional): customers per input row, for input that is already grouped by
    (x, t_x, T) (e.g. by the database); the fit equals the fit on the rows repeated that often.

    Returns a :class:`BgNbdFit`; ``converged=False`` with a ``message`` (and NaN parameters when
    no fit was attempted) for invalid input, fewer than ``min_repeat_buyers`` repeat buyers, or
    an optimiser failure.
    """
    t0 = time.perf_counter()
    n = int(np.size(frequency)) if np.ndim(frequency) == 1 else 0
    try:
        x, tx, tt = _validate_rft(frequency, recency, T)
        w = _validate_weights(weights, x.size)
        if w is not None:  # rows without customers do not exist
            x, tx, tt, w = _drop_empty(w, x, tx, tt)
    except (ValueError, TypeError) as exc:
        return _nan_bgnbd(n, 0, t0, f"invalid input: {exc}")
    n = int(x.size) if w is None else int(w.sum())
    n_rep = int(_weighted_counts(w, x > 0))
    if n_rep < min_repeat_buyers:
        return _nan_bgnbd(n, n_rep, t0, f"too few repeat buyers: {n_rep} < {min_repeat_buyers}")
    if not np.any(tt > 0):
        return _nan_bgnbd(n, n_rep, t0, "all T are zero: no observation time")
    try:
        (ux, utx, utt), counts = _compress_weighted(w, x, tx, tt)
        xbar = float(np.average(ux, weights=counts))
        tbar = float(np.average(utt, weights=counts))
        if initial is not None:
            starts = [np.log([initial.r, initial.alpha, initial.a, initial.b])]
        else:
            # E[lambda] = r / alpha ~ repeat-purchase rate, ignoring dropout
            rate = max(xbar, 1e-3) / max(tbar, 1e-9)
            starts = [np.log([r0, r0 / rate, a0, b0]) for r0, a0, b0 in ((1.0, 1.0, 1.0), (0.3, 0.5, 3.0))]

        def build(rows: npt.NDArray[np.intp], w: FloatArray) -> _BgNbdObjective:
            return _BgNbdObjective(ux[rows], utx[rows], utt[rows], w)

        theta, ok, msg = _two_stage_minimize(build, counts, starts, seed)
        r, alpha, a, b = (float(v) for v in np.exp(theta))
        ll = _dot(counts, bgnbd_log_likelihood(BgNbdParams(r, alpha, a, b), ux, utx, utt))
        return BgNbdFit(r, alpha, a, b, ll, n, n_rep, time.perf_counter() - t0, ok, msg, ux.size)
    except Exception as exc:  # the contract is: never raise
        return _nan_bgnbd(n, n_rep, t0, f"fit failed: {type(exc).__name__}: {exc}")


def bgnbd_p_alive(params: BgNbdLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> FloatArray:
    """P(customer still alive at T | x, t_x, T) (FHL 2005a; Fader, Hardie & Lee 2008, "Computing
    P(alive) Using the BG/NBD Model"):

    P = 1 / (1 + [x > 0] * a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x)).

    Computed as expit(-log odds) so large x or T cannot overflow; 1 for x = 0 (by the model's
    convention a customer cannot drop out before the first repeat purchase). Broadcasts.
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    xx = np.asarray(x, dtype=np.float64)
    txa = np.asarray(t_x, dtype=np.float64)
    tt = np.asarray(T, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_odds = np.log(a) - np.log(b + xx - 1.0) + (r + xx) * (np.log(alpha + tt) - np.log(alpha + txa))
        p = expit(-log_odds)
    return np.asarray(np.where(xx > 0, p, np.where(np.isnan(xx + txa + tt), np.nan, 1.0)), dtype=np.float64)


def _bgnbd_bracket(
    r: float, alpha: float, a: float, b: float, t: FloatArray, x: FloatArray, tt: FloatArray
) -> FloatArray:
    """(a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)],
    z = t / (alpha+T+t): eq. 10 of FHL (2005a) without the P(alive) factor.

    Numerics: the Euler transformation 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z)
    turns the product into (1-z)^(a-1) * 2F1(a+b-1-r, a-1; a+b+x-1; z). The original 2F1 grows
    like (1-z)^-(x+...) for large x (overflow) while the prefactor underflows; the transformed
    one has fixed upper parameters, a lower parameter growing with x, and tends to 1.
    Near a = 1 both numerator and denominator vanish; the function is analytic in a, so it is
    linearly interpolated between a = 1 -+ 1e-5 when |a - 1| < 1e-6 (error ~1e-10).
    """
    if abs(a - 1.0) < 1e-6:
        h = 1e-5
        lo = _bgnbd_bracket_raw(r, alpha, 1.0 - h, b, t, x, tt)
        hi = _bgnbd_bracket_raw(r, alpha, 1.0 + h, b, t, x, tt)
        return np.asarray(lo + (a - (1.0 - h)) / (2.0 * h) * (hi - lo), dtype=np.float64)
    return _bgnbd_bracket_raw(r, alpha, a, b, t, x, tt)


def _bgnbd_bracket_raw(
    r: float, alpha: float, a: float, b: float, t: FloatArray, x: FloatArray, tt: FloatArray
) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        log1mz = np.log(alpha + tt) - np.log(alpha + tt + t)  # log(1 - z), exact for large T
        z = t / (alpha + tt + t)
        f = hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
        inner = -np.expm1((a - 1.0) * log1mz) - np.exp((a - 1.0) * log1mz) * (f - 1.0)
        return np.asarray((a + b + x - 1.0) / (a - 1.0) * inner, dtype=np.float64)


def bgnbd_conditional_expected_purchases(
    params: BgNbdLike, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """E[Y(t) | x, t_x, T]: expected purchases in (T, T+t] for a customer with history
    (x, t_x, T) (FHL 2005a, eq. 10):

    E = (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
        / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
      = bracket(t, x, T) * P(alive | x, t_x, T).

    See :func:`_bgnbd_bracket` for the numerically stable evaluation. Arguments broadcast; the
    bracket is evaluated once per distinct (t, x, T) for large inputs.
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    tb, xb, txb, ttb = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (t, x, t_x, T)))
    p_alive = bgnbd_p_alive(params, xb, txb, ttb)
    flat = [v.ravel() for v in (tb, xb, ttb)]
    if flat[0].size > 10_000 and np.all(np.isfinite(np.concatenate(flat))):
        (ut, ux, utt), inv, _ = _compress(*flat)
        bracket = _bgnbd_bracket(r, alpha, a, b, ut, ux, utt)[inv].reshape(tb.shape)
    else:
        bracket = _bgnbd_bracket(r, alpha, a, b, tb, xb, ttb)
    return np.asarray(bracket * p_alive, dtype=np.float64)


def bgnbd_expected_purchases_new_customer(params: BgNbdLike, t: ArrayLike) -> FloatArray:
    """E[X(t)]: expected number of repeat purchases in (0, t] for a new customer (FHL 2005a, eq. 9):

    E[X(t)] = (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))].

    This is eq. 10 with x = t_x = T = 0.
    """
    tt = np.asarray(t, dtype=np.float64)
    zero = np.zeros_like(tt)
    return _bgnbd_bracket(params.r, params.alpha, params.a, params.b, tt, zero, zero)


# --------------------------------------------------------------------------------------------
# Gamma-Gamma
# --------------------------------------------------------------------------------------------


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
        self.s_wlogm = _dot(w, logm)
        self.s_wxlogm = _dot(self.wx, logm)
        self.logux = np.log(self.ux)

    def _core(self, theta: FloatArray) -> tuple[float, tuple[float, float, float, FloatArray]]:
        p, q, g = np.exp(theta)
        pux = p * self.ux
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            lgmx = np.log(g + self.mx)
            per_x = gammaln(pux + q) - gammaln(pux) + pux * self.logux
            ll = (
                _dot(self.wsum_x, per_x)
                - gammaln(q)
                + q * np.log(g)
                + p * self.s_wxlogm
                - self.s_wlogm
                - p * _dot(self.wx, lgmx)
                - q * _dot(self.w, lgmx)
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
                _dot(self.wsum_x, self.ux * (psi - digamma(pux) + self.logux))
                + self.s_wxlogm
                - _dot(self.wx, lgmx)
            )
            dq = _dot(self.wsum_x, psi) - digamma(q) + np.log(g) - _dot(self.w, lgmx)
            inv = 1.0 / (g + self.mx)
            dg = q / g - p * _dot(self.wx, inv) - q * _dot(self.w, inv)
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
        x = _as_float("frequency", frequency)
        m = _as_float("monetary_value", monetary_value)
        if x.shape != m.shape:
            raise ValueError(f"frequency and monetary_value must have the same length: {x.size}, {m.size}")
        if x.size == 0:
            raise ValueError("no customers (empty input)")
        bad = int((~np.isfinite(x)).sum())
        if bad:
            raise ValueError(f"frequency has {bad} non-finite (NaN/inf) values")
        if int((x < 0).sum()) or int((x != np.round(x)).sum()):
            raise ValueError("frequency must be non-negative whole numbers")
        rep = x >= 1
        bad = int((~np.isfinite(m[rep])).sum())
        if bad:
            raise ValueError(f"monetary_value has {bad} non-finite (NaN/inf) values among repeat buyers")
        w = _validate_weights(weights, x.size)
        if w is not None:  # rows without customers do not exist
            x, m, w = _drop_empty(w, x, m)
            rep = x >= 1
    except (ValueError, TypeError) as exc:
        return _nan_gg(0, t0, f"invalid input: {exc}")
    nonpos = int(_weighted_counts(w, rep & (m <= 0)))
    use = rep & (m > 0)
    xs, ms = x[use], m[use]
    ws = None if w is None else w[use]
    n_used = int(_weighted_counts(w, use))
    note = f"; excluded {nonpos} repeat buyers with monetary_value <= 0" if nonpos else ""
    if n_used < min_customers:
        return _nan_gg(n_used, t0, f"too few repeat buyers: {n_used} < {min_customers}{note}")
    if np.ptp(ms) == 0:
        return _nan_gg(n_used, t0, f"monetary_value is constant: spread not identified{note}")
    try:
        (ux, um), counts = _compress_weighted(ws, xs, ms)
        mbar = float(np.average(um, weights=counts))
        if initial is not None:
            starts = [np.log([initial.p, initial.q, initial.gamma])]
        else:
            # population mean of the transaction value is p * gamma / (q - 1)
            starts = [np.log([p0, q0, mbar * (q0 - 1.0) / p0]) for p0, q0 in ((1.0, 2.0), (5.0, 4.0))]

        def build(rows: npt.NDArray[np.intp], w: FloatArray) -> _GammaGammaObjective:
            return _GammaGammaObjective(ux[rows], um[rows], w)

        theta, ok, msg = _two_stage_minimize(build, counts, starts, seed)
        p, q, g = (float(v) for v in np.exp(theta))
        ll = _dot(counts, gamma_gamma_log_likelihood(GammaGammaParams(p, q, g), ux, um))
        return GammaGammaFit(p, q, g, ll, n_used, time.perf_counter() - t0, ok, msg + note)
    except Exception as exc:  # the contract is: never raise
        return _nan_gg(n_used, t0, f"fit failed: {type(exc).__name__}: {exc}")


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


# --------------------------------------------------------------------------------------------
# CLV
# --------------------------------------------------------------------------------------------


def bgnbd_discounted_expected_purchases(
    bgnbd: BgNbdLike,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    weeks_per_month: float = 52 / 12,
) -> FloatArray:
    """Discounted expected purchases over the next ``horizon_months`` months, per customer:

    sum_{k=1..H} (E[Y(k w) | x, t_x, T] - E[Y((k-1) w) | x, t_x, T]) / (1 + d)^k

    (notation of :func:`predicted_clv`, which is this times the Gamma-Gamma expected spend). It
    depends on (x, t_x, T) only. Vectorised: the BG/NBD bracket is computed once per distinct
    (x, T) and month boundary, then multiplied by P(alive).
    """
    xb, txb, ttb = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, t_x, T)))
    shape = xb.shape
    xf, txf, ttf = xb.ravel(), txb.ravel(), ttb.ravel()
    p_alive = bgnbd_p_alive(bgnbd, xf, txf, ttf)
    months = np.arange(horizon_months + 1, dtype=np.float64)
    if np.all(np.isfinite(xf)) and np.all(np.isfinite(ttf)):
        (ux, utt), inv, _ = _compress(xf, ttf)
    else:
        ux, utt, inv = xf, ttf, np.arange(xf.size)
    r, alpha, a, b = bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b
    # (H+1, n_unique): cumulative expected purchases (before P(alive)) at month boundaries
    cum = _bgnbd_bracket(r, alpha, a, b, (months * weeks_per_month)[:, None], ux[None, :], utt[None, :])
    disc = (1.0 + monthly_discount_rate) ** -months[1:]
    per_unique = np.einsum(
        "k,kn->n", disc, np.diff(cum, axis=0)
    )  # discounted expected purchases, per unique (x, T)
    return np.asarray((per_unique[inv] * p_alive).reshape(shape), dtype=np.float64)


def predicted_clv(
    bgnbd: BgNbdLike,
    gg: GammaGammaLike,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    m: ArrayLike,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    weeks_per_month: float = 52 / 12,
) -> FloatArray:
    """Discounted expected spend over the next ``horizon_months`` months, per customer:

    CLV = sum_{k=1..H} (E[Y(k w) | x, t_x, T] - E[Y((k-1) w) | x, t_x, T]) * E[M | x, m] / (1 + d)^k

    with w = ``weeks_per_month`` (time unit of t_x, T: weeks), E[Y(t) | .] the BG/NBD conditional
    expectation (:func:`bgnbd_conditional_expected_purchases`), E[M | .] the Gamma-Gamma expected
    spend (:func:`gamma_gamma_expected_spend`) and d = ``monthly_discount_rate``; purchases made
    during month k are discounted by the end-of-month factor (1 + d)^-k. Equals
    :func:`bgnbd_discounted_expected_purchases` x :func:`gamma_gamma_expected_spend`.
    """
    xb, txb, ttb, mb = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, t_x, T, m)))
    discounted = bgnbd_discounted_expected_purchases(
        bgnbd,
        xb,
        txb,
        ttb,
        horizon_months=horizon_months,
        monthly_discount_rate=monthly_discount_rate,
        weeks_per_month=weeks_per_month,
    )
    spend = gamma_gamma_expected_spend(gg, xb, mb)
    return np.asarray(discounted * spend, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Simulation (for tests and benchmarks)
# --------------------------------------------------------------------------------------------


def simulate_bgnbd(
    params: BgNbdLike, T: ArrayLike, rng: np.random.Generator
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Draw (x, t_x) for customers observed for T from the BG/NBD generative process.

    lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b); purchases follow a Poisson(lambda) process
    and the customer dies right after each *repeat* purchase with probability p. So the number
    of repeat purchases is min(K, N) with K ~ Poisson(lambda T) and N ~ Geometric(p) (purchases
    up to and including the fatal one), and given K events the x-th arrival time is
    T * Beta(x, K - x + 1) (order statistic of K uniforms).
    """
    tt = np.asarray(T, dtype=np.float64)
    n = tt.size
    lam = rng.gamma(params.r, 1.0 / params.alpha, n)
    p = rng.beta(params.a, params.b, n)
    k = rng.poisson(lam * tt)
    # Geometric(p) in {1, 2, ...}; p may underflow to 0 for tiny b: cap at a huge number
    nmax = rng.geometric(np.clip(p, 1e-300, 1.0))
    x = np.minimum(k, nmax).astype(np.int64)
    tx = np.zeros(n)
    pos = x > 0
    tx[pos] = tt[pos] * rng.beta(x[pos], (k - x + 1)[pos])
    return x, tx


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


# --------------------------------------------------------------------------------------------
# Data preparation and model checking
# --------------------------------------------------------------------------------------------


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
    params: BgNbdLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    holdout_frequency: ArrayLike,
    holdout_length: ArrayLike,
    max_frequency: int = 7,
) -> pd.DataFrame:
    """Actual vs. conditional-expected holdout purchases by calibration frequency (cf. FHL 2005a,
    Figure 4). Rows: x = 0, 1, ..., max_frequency - 1 and "max_frequency+" (pooled). Columns:
    n_customers, actual_mean, expected_mean, actual_total, expected_total.
    """
    x = np.asarray(frequency, dtype=np.float64)
    expected = bgnbd_conditional_expected_purchases(params, holdout_length, x, recency, T)
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
