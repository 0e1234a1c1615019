"""BG/NBD: the beta-geometric / negative binomial model of purchase counts (Fader, Hardie & Lee 2005a,
"Counting Your Customers the Easy Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2)).

While alive, a customer buys following a Poisson process with rate lambda ~ Gamma(shape r, rate alpha); after
each repeat purchase the customer drops out with probability p ~ Beta(a, b). Per customer (calibration
period): ``frequency`` x = repeat transactions, ``recency`` t_x = time of the last transaction after the
first (0 when x = 0), ``T`` = time from the first transaction to the end of the period. Times in any unit
used consistently (alpha is in the same unit); the warehouse uses weeks.

Everything is vectorised with numpy / scipy.special; fitting is maximum likelihood on the log-parameters
with identical rows compressed and weighted (:mod:`salesdw.clv.fitting`), and never raises: problems are
reported as ``converged=False`` with a ``message`` in words.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from salesdw.clv import fitting, scoring
from salesdw.clv.fitting import ArrayLike, FloatArray, Uncertainty, dot

__all__ = [
    "BgNbdFit",
    "BgNbdParams",
    "bgnbd_conditional_expected_purchases",
    "bgnbd_discounted_expected_purchases",
    "bgnbd_expected_purchases_new_customer",
    "bgnbd_log_likelihood",
    "bgnbd_p_alive",
    "bgnbd_p_no_purchase",
    "fit_bgnbd",
    "simulate_bgnbd",
]

NAMES: tuple[str, ...] = ("r", "alpha", "a", "b")


# What a flat direction of the BG/NBD likelihood means (fitting.assess_optimum).
def _same_rates(p: dict[str, float]) -> str:
    return (
        "purchase rates look the same for every customer (about r / alpha = "
        f"{p['r'] / p['alpha']:.3g} purchases a week each): there is no heterogeneity to model"
    )


def _dropout(p: dict[str, float]) -> str:
    mean = p["a"] / (p["a"] + p["b"])
    if mean < 1e-3:
        return f"almost nobody seems to drop out (mean dropout probability a / (a + b) = {mean:.2g})"
    return f"dropout probabilities look the same for every customer (a / (a + b) = {mean:.3g} each)"


MEANINGS: fitting.Meanings = {
    frozenset({"r", "alpha"}): _same_rates,
    frozenset({"a", "b"}): _dropout,
    frozenset({"a"}): _dropout,
    frozenset({"b"}): _dropout,
    frozenset({"r", "alpha", "a", "b"}): "neither purchase rates nor dropout differ between customers",
}


@dataclass(frozen=True)
class BgNbdParams:
    """BG/NBD parameters: lambda ~ Gamma(shape r, rate alpha), p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float

    names: ClassVar[tuple[str, ...]] = NAMES
    meanings: ClassVar[fitting.Meanings] = MEANINGS

    # The primitives of salesdw.clv.scoring.PurchaseModel.
    def p_alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        return bgnbd_p_alive(self, x, t_x, T)

    def expected_if_alive(self, t: FloatArray, x: FloatArray, T: FloatArray) -> FloatArray:
        return _bgnbd_bracket(self.r, self.alpha, self.a, self.b, t, x, T)

    def p_none_if_alive(self, t: FloatArray, x: FloatArray, T: FloatArray) -> FloatArray:
        """An alive customer buys at the next Poisson event (dropout happens only right after a purchase),
        so no purchase in t means no event: E[exp(-lambda t)] under lambda ~ Gamma(r + x, alpha + T)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(np.exp(-(self.r + x) * np.log1p(t / (self.alpha + T))), dtype=np.float64)

    def with_log_params(self, theta: FloatArray) -> BgNbdParams:
        return BgNbdParams(*(float(v) for v in np.exp(theta)))


@dataclass(frozen=True)
class BgNbdFit:
    """Result of :func:`fit_bgnbd`. Parameters are NaN when the fit could not be attempted; ``uncertainty``
    (the asymptotic normal of the log-parameters) is set only when the fit converged."""

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
    uncertainty: Uncertainty | None = None

    names: ClassVar[tuple[str, ...]] = NAMES

    @property
    def params(self) -> BgNbdParams:
        return BgNbdParams(self.r, self.alpha, self.a, self.b)


BgNbdLike = BgNbdParams | BgNbdFit


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
            ll = dot(self.wsum_x, c12) - r * dot(self.w, lt) - dot(self.wx, lt) + dot(self.w, sp)
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
                dot(self.wsum_x, digamma(r + ux) - digamma(r)) + np.log(alpha) - dot(w, lt) - dot(ww, lx - lt)
            )
            inv_t = 1.0 / (alpha + self.tt)
            inv_x = 1.0 / (alpha + self.tx)
            dalpha = (
                r / alpha - r * dot(w, inv_t) - dot(self.wx, inv_t) - dot(r * ww + ww * self.x, inv_x - inv_t)
            )
            da = dot(self.wsum_x, digamma(a) - psi_abx) + ww_x.sum() / a - (digamma(a) - digamma(a + b))
            db_rep = np.where(self.urep, -1.0 / (b + ux - 1.0), 0.0)
            db = (
                dot(self.wsum_x, digamma(b + ux) - psi_abx)
                + dot(ww_x, db_rep)
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
    horizons: scoring.Horizons | None = None,
) -> BgNbdFit:
    """Fit the BG/NBD model by maximum likelihood. Never raises.

    Identical (x, t_x, T) rows are compressed and the log-likelihood is weighted by their counts.
    Optimisation is on log(r, alpha, a, b): Nelder-Mead from a few starting points (on a seeded weighted
    subsample of 20k customers when the data is larger), then L-BFGS-B with the analytic gradient on the
    full data. ``weights`` (optional): customers per input row, for input already grouped by (x, t_x, T);
    the fit equals the fit on the rows repeated that often.

    ``converged`` means: the optimiser stopped at an interior point with a vanishing gradient, the observed
    information is positive definite with every log-parameter's standard error below
    ``fitting.MAX_LOG_STD_ERROR``, and the predictions of ``horizons`` (default: the warehouse's) are
    finite for every fitted history. Otherwise ``message`` says why in words (and the parameters are NaN
    when no fit was attempted: invalid input, fewer than ``min_repeat_buyers`` repeat buyers).
    """
    t0 = time.perf_counter()
    n = int(np.size(frequency)) if np.ndim(frequency) == 1 else 0
    try:
        x, tx, tt = fitting.validate_rft(frequency, recency, T)
        w = fitting.validate_weights(weights, x.size)
        if w is not None:  # rows without customers do not exist
            x, tx, tt, w = fitting.drop_empty(w, x, tx, tt)
    except (ValueError, TypeError) as exc:
        return _nan_bgnbd(n, 0, t0, f"invalid input: {exc}")
    n = int(x.size) if w is None else int(w.sum())
    n_rep = int(fitting.weighted_counts(w, x > 0))
    if n_rep < min_repeat_buyers:
        return _nan_bgnbd(n, n_rep, t0, f"too few repeat buyers: {n_rep} < {min_repeat_buyers}")
    if not np.any(tt > 0):
        return _nan_bgnbd(n, n_rep, t0, "all T are zero: no observation time")
    try:
        (ux, utx, utt), counts = fitting.compress_weighted(w, x, tx, tt)
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

        theta, objective, ok, msg = fitting.two_stage_minimize(build, counts, starts, seed, NAMES)
        params = BgNbdParams(*(float(v) for v in np.exp(theta)))
        ll = dot(counts, bgnbd_log_likelihood(params, ux, utx, utt))
        ok, msg, uncertainty = scoring.assess_fit(
            objective, theta, ok, msg, counts, params, ux, utx, utt, horizons
        )
        return BgNbdFit(
            *(float(v) for v in np.exp(theta)),
            ll,
            n,
            n_rep,
            time.perf_counter() - t0,
            ok,
            msg,
            ux.size,
            uncertainty,
        )
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
    return scoring.conditional_expected_purchases(_model(params), t, x, t_x, T)


def bgnbd_p_no_purchase(
    params: BgNbdLike, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(no purchase in (T, T+t] | x, t_x, T) = 1 - P(alive) + P(alive) ((alpha+T) / (alpha+T+t))^(r+x).

    A customer who dropped out never buys again; an alive one buys at the next event of the Poisson
    process (in BG/NBD dropout happens only right after a purchase), whose rate has the posterior
    Gamma(r + x, alpha + T) given the history and being alive, and E[exp(-lambda t)] of that Gamma is the
    second factor. Arguments broadcast."""
    return scoring.p_no_purchase(_model(params), t, x, t_x, T)


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

    (predicted CLV is this times the Gamma-Gamma expected spend). It depends on (x, t_x, T) only; the
    BG/NBD bracket is computed once per distinct (x, T) and month boundary, then multiplied by P(alive).
    """
    return scoring.discounted_expected_purchases(
        _model(bgnbd), x, t_x, T, horizon_months, monthly_discount_rate, weeks_per_month
    )


def _model(params: BgNbdLike) -> BgNbdParams:
    return params.params if isinstance(params, BgNbdFit) else params


def bgnbd_expected_purchases_new_customer(params: BgNbdLike, t: ArrayLike) -> FloatArray:
    """E[X(t)]: expected number of repeat purchases in (0, t] for a new customer (FHL 2005a, eq. 9):

    E[X(t)] = (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))].

    This is eq. 10 with x = t_x = T = 0.
    """
    tt = np.asarray(t, dtype=np.float64)
    zero = np.zeros_like(tt)
    return _bgnbd_bracket(params.r, params.alpha, params.a, params.b, tt, zero, zero)


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
