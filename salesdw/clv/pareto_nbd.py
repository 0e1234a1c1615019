"""Pareto/NBD: the alternative purchase model (Schmittlein, Morrison & Colombo 1987, "Counting Your Customers:
Who Are They and What Will They Do Next?", Management Science 33(1); expressions from Fader & Hardie 2005,
"A Note on Deriving the Pareto/NBD Model and Related Expressions").

While alive, a customer buys following a Poisson process with rate lambda ~ Gamma(shape r, rate alpha); the
lifetime is exponential with rate mu ~ Gamma(shape s, rate beta), so a customer can drop out at any time
(BG/NBD: only right after a purchase). Same inputs as BG/NBD: x repeat transactions, recency t_x, age T.

**Log space.** The likelihood is

    L = Gamma(r+x) alpha^r beta^s / Gamma(r) * [ (alpha+T)^-(r+x) (beta+T)^-s + s I ],
    I = integral from t_x to T of (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau = F(t_x) - F(T),

and F(t) = (M+t)^-m / m * 2F1(m, b'; m+1; z) with m = r+s+x, M = max(alpha, beta), z = |alpha-beta|/(M+t)
and b' = s+1 when alpha >= beta, else r+x. The textbook evaluation (lifetimes') raises (alpha+t)^(r+s+x) and
the 2F1 directly and overflows for x above ~300. Here everything is a logarithm, and the Euler
transformation 2F1(m, b'; m+1; z) = (1-z)^(1-b') 2F1(1, m+1-b'; m+1; z) leaves a series with positive terms
bounded by 1/(1-z): log F is finite for any x. scipy's 2F1 is inaccurate for large parameters near z = 1,
so there a plain series with a rigorous tail bound is summed instead (:func:`hyp2f1_one`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, expit, gammaln, hyp2f1

from salesdw.clv import fitting, scoring
from salesdw.clv.fitting import ArrayLike, FloatArray, Uncertainty, dot

__all__ = [
    "ParetoNbdFit",
    "ParetoNbdParams",
    "fit_pareto_nbd",
    "hyp2f1_one",
    "pareto_nbd_conditional_expected_purchases",
    "pareto_nbd_discounted_expected_purchases",
    "pareto_nbd_log_likelihood",
    "pareto_nbd_p_alive",
    "pareto_nbd_p_no_purchase",
    "simulate_pareto_nbd",
]

NAMES: tuple[str, ...] = ("r", "alpha", "s", "beta")


def _same_rates(p: dict[str, float]) -> str:
    return (
        "purchase rates look the same for every customer (about r / alpha = "
        f"{p['r'] / p['alpha']:.3g} purchases a week each): there is no heterogeneity to model"
    )


def _dropout(p: dict[str, float]) -> str:
    rate = p["s"] / p["beta"]
    if rate * 52 < 1e-3:
        return f"almost nobody seems to drop out (mean dropout rate s / beta = {rate:.2g} a week)"
    return f"dropout rates look the same for every customer (s / beta = {rate:.3g} a week each)"


MEANINGS: fitting.Meanings = {
    frozenset({"r", "alpha"}): _same_rates,
    frozenset({"s", "beta"}): _dropout,
    frozenset({"s"}): _dropout,
    frozenset({"beta"}): _dropout,
    frozenset({"r", "alpha", "s", "beta"}): "neither purchase rates nor dropout differ between customers",
}

# Where scipy's hyp2f1(1, b; c; z) is unreliable: large b near z = 1 (measured against mpmath at 200 bits:
# relative error below 5e-10 for b < 60, up to 5e-8 for b < 100, NaN or wrong by orders of magnitude beyond).
# There the series is summed directly, up to a term budget: past it (z above ~0.98) the value is NaN. That
# region is where a fit runs off (dropout rates the same for everyone: s and beta growing together, beta
# far above alpha + t); the optimiser treats it as infeasible and the verdict says the fit is not
# identified, instead of summing millions of terms per evaluation (a budget of 20,000 made one such fit of
# 1,500 customers take 80 s).
_SERIES_MIN_B = 60.0
_SERIES_MIN_Z = 0.5
_SERIES_MAX_TERMS = 2_000
# Gauss-Legendre nodes of P(no purchase | alive) (the integrand is analytic after substitution).
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(48)


@dataclass(frozen=True)
class ParetoNbdParams:
    """Pareto/NBD parameters: lambda ~ Gamma(shape r, rate alpha), mu ~ Gamma(shape s, rate beta)."""

    r: float
    alpha: float
    s: float
    beta: float

    names: ClassVar[tuple[str, ...]] = NAMES
    meanings: ClassVar[fitting.Meanings] = MEANINGS

    # The primitives of salesdw.clv.scoring.PurchaseModel.
    def p_alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        return pareto_nbd_p_alive(self, x, t_x, T)

    def p_alive_of(self, hist: scoring.Histories) -> FloatArray:
        """P(alive) of prepared histories: the 2F1 terms once per distinct (x, t) pair."""
        px, pt, i_tx, i_t = hist.pairs
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta
        x, tt = hist.x, hist.T
        with np.errstate(divide="ignore", invalid="ignore"):
            lf = _log_tail(r, alpha, s, beta, px, pt)
            log_a = -(r + x) * np.log(alpha + tt) - s * np.log(beta + tt)
            lf_tx = lf[i_tx]
            log_b = np.log(s) + lf_tx + _log1mexp(lf[i_t] - lf_tx)
            return np.asarray(expit(log_a - log_b), dtype=np.float64)

    def expected_if_alive(self, t: FloatArray, x: FloatArray, T: FloatArray) -> FloatArray:
        """E[purchases in t | alive at T] = E[lambda] E[(1 - exp(-mu t)) / mu] under the posterior
        lambda ~ Gamma(r+x, alpha+T), mu ~ Gamma(s, beta+T):
        (r+x)/(alpha+T) * (beta+T)/(s-1) * [1 - ((beta+T)/(beta+T+t))^(s-1)] (the limit at s = 1)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            log_ratio = -np.log1p(t / (self.beta + T))  # log((beta+T)/(beta+T+t)) <= 0
            c = self.s - 1.0
            if abs(c) < 1e-10:
                integral = -log_ratio * (1.0 + c * log_ratio / 2.0)
            else:
                integral = -np.expm1(c * log_ratio) / c
            return np.asarray((self.r + x) / (self.alpha + T) * (self.beta + T) * integral, dtype=np.float64)

    def p_none_if_alive(self, t: FloatArray, x: FloatArray, T: FloatArray) -> FloatArray:
        """P(no purchase in t | alive at T) = 1 - int_0^t E[lambda e^(-lambda u)] E[e^(-mu u)] du, the
        probability that the first purchase after T comes later than t (or never: dropout first).

        With w = log(1 + u / (alpha+T)) the integral is
        int_0^w_t (r+x) e^(-(r+x) w) ((beta+T) / (beta+T+u))^s dw: an analytic integrand decaying like
        e^(-(r+x) w), summed by 48-point Gauss-Legendre over [0, min(w_t, 36 / (r+x))] (beyond, the rest is
        below e^-36, so heavy buyers are as exact as others)."""
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            k = self.r + np.asarray(x, dtype=np.float64)
            a_t = self.alpha + np.asarray(T, dtype=np.float64)
            b_t = self.beta + np.asarray(T, dtype=np.float64)
            tt = np.asarray(t, dtype=np.float64)
            w_end = np.minimum(np.log1p(tt / a_t), 36.0 / k)
            w = w_end[..., None] * (_GL_NODES + 1.0) / 2.0
            u = a_t[..., None] * np.expm1(w)
            integrand = k[..., None] * np.exp(-k[..., None] * w - self.s * np.log1p(u / b_t[..., None]))
            integral = w_end * np.einsum("...n,n->...", integrand, _GL_WEIGHTS) / 2.0
            return np.asarray(np.clip(1.0 - integral, 0.0, 1.0), dtype=np.float64)

    def with_log_params(self, theta: FloatArray) -> ParetoNbdParams:
        return ParetoNbdParams(*(float(v) for v in np.exp(theta)))


@dataclass(frozen=True)
class ParetoNbdFit:
    """Result of :func:`fit_pareto_nbd` (same fields as a BG/NBD fit)."""

    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float
    n_customers: int
    n_repeat_buyers: int
    fit_seconds: float
    converged: bool
    message: str
    n_unique: int = 0
    uncertainty: Uncertainty | None = None

    names: ClassVar[tuple[str, ...]] = NAMES

    @property
    def params(self) -> ParetoNbdParams:
        return ParetoNbdParams(self.r, self.alpha, self.s, self.beta)


ParetoNbdLike = ParetoNbdParams | ParetoNbdFit


# --------------------------------------------------------------------------------------------------------
# Log space
# --------------------------------------------------------------------------------------------------------


def hyp2f1_one(b: ArrayLike, c: ArrayLike, z: ArrayLike) -> FloatArray:
    """2F1(1, b; c; z) = sum_n (b)_n / (c)_n z^n for c > b > 0 and 0 <= z < 1 (every term positive).

    scipy where it is reliable; for b >= 60 and z >= 0.5 (and wherever scipy is not finite) the series
    itself, summed until the tail bound term * z / (1 - z) (the term ratio z (b+n)/(c+n) rises towards z)
    is below 1e-16 of the sum; NaN if that needs more than 2,000 terms (z above ~0.98 with b >= 60: only a
    fit running off gets there)."""
    bb, cc, zz = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (b, c, z)))
    out = np.asarray(hyp2f1(1.0, bb, cc, zz), dtype=np.float64)
    series = ((bb >= _SERIES_MIN_B) & (zz >= _SERIES_MIN_Z)) | ~np.isfinite(out)
    series &= np.isfinite(bb) & np.isfinite(cc) & np.isfinite(zz)
    if series.any():
        out = out.copy()
        out[series] = _series(bb[series], cc[series], zz[series])
    return out


def _series(b: FloatArray, c: FloatArray, z: FloatArray) -> FloatArray:
    total = np.ones_like(z)
    term = np.ones_like(z)
    active = np.arange(z.size)
    tail_factor = z / np.maximum(1.0 - z, 1e-300)
    n = 0
    while active.size and n < _SERIES_MAX_TERMS:
        # 32 terms between convergence checks (indexing the active set is the expensive part)
        tb, tc, tz, tt, ts = b[active], c[active], z[active], term[active], total[active]
        for _ in range(32):
            tt = tt * tz * (tb + n) / (tc + n)
            ts = ts + tt
            n += 1
        term[active], total[active] = tt, ts
        done = tt * tail_factor[active] <= 1e-16 * ts
        active = active[~done]
    total[active] = np.nan
    return total


def _log_tail(r: float, alpha: float, s: float, beta: float, x: FloatArray, t: FloatArray) -> FloatArray:
    """log F(t) = log integral from t to infinity of (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau (module
    docstring), for arrays of (x, t)."""
    m = r + s + x
    if alpha >= beta:
        big, log_small_over_big = alpha + t, np.log(beta + t) - np.log(alpha + t)
        z = (alpha - beta) / (alpha + t)
        b_prime = s + 1.0
    else:
        big, log_small_over_big = beta + t, np.log(alpha + t) - np.log(beta + t)
        z = (beta - alpha) / (beta + t)
        b_prime = r + x
    # (1 - z) = small / big, so log(1 - z) is exact even for z -> 1
    with np.errstate(divide="ignore", invalid="ignore"):
        series = hyp2f1_one(m + 1.0 - b_prime, m + 1.0, z)
        return np.asarray(
            -np.log(m) - m * np.log(big) + (1.0 - b_prime) * log_small_over_big + np.log(series),
            dtype=np.float64,
        )


def _log1mexp(d: FloatArray) -> FloatArray:
    """log(1 - exp(d)) for d <= 0 (-inf at 0), accurate on both sides of -log 2."""
    d = np.minimum(d, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(
            np.where(d > -np.log(2.0), np.log(-np.expm1(d)), np.log1p(-np.exp(d))), dtype=np.float64
        )


def _components(
    params: ParetoNbdLike, x: FloatArray, tx: FloatArray, tt: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(c0, log A, log B) per customer: LL = c0 + logaddexp(log A, log B), where A is the 'alive at T'
    term and B = s I the 'dropped out between t_x and T' term."""
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    with np.errstate(divide="ignore", invalid="ignore"):
        c0 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        log_a = -(r + x) * np.log(alpha + tt) - s * np.log(beta + tt)
        lf_tx = _log_tail(r, alpha, s, beta, x, tx)
        lf_t = _log_tail(r, alpha, s, beta, x, tt)
        log_b = np.log(s) + lf_tx + _log1mexp(lf_t - lf_tx)
    return c0, log_a, log_b


def pareto_nbd_log_likelihood(
    params: ParetoNbdLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Per-customer Pareto/NBD log-likelihood (Fader & Hardie 2005, eq. 10), in log space."""
    x, tx, tt = (np.asarray(v, dtype=np.float64) for v in (frequency, recency, T))
    c0, log_a, log_b = _components(params, x, tx, tt)
    return np.asarray(c0 + np.logaddexp(log_a, log_b), dtype=np.float64)


class _ParetoNbdObjective:
    """Weighted mean negative Pareto/NBD log-likelihood over theta = log(r, alpha, s, beta).

    The 2F1 terms depend on (x, t_x) and (x, T) only: they are evaluated once per distinct pair, the rest
    per row. Gradient: with I = F(t_x) - F(T), the derivatives of F in alpha and beta are F itself with a
    shifted exponent (dF/dalpha = -(r+x) F[x+1], dF/dbeta = -(s+1) F[s+1]), those in r and s central
    differences of log F per pair (a 2F1 has no closed-form derivative in its parameters)."""

    # The observed information differences this gradient, whose r and s parts are themselves differences
    # (step 1e-6): with the default step (1e-4) their rounding noise reached ~0.1% of a standard error and
    # moved with the CPU's vector math (AVX-512 or not: CDNOW's se(beta) 6.2125 or 6.2111). At 1e-3 both
    # give 6.2111 (lifetimes: 6.211), the truncation error ~1e-6 (DECISIONS.md, "Pareto/NBD").
    hessian_step: ClassVar[float] = 1e-3

    def __init__(self, x: FloatArray, tx: FloatArray, tt: FloatArray, w: FloatArray) -> None:
        w = w / w.sum()
        n = x.size
        self.ux, self.ix = np.unique(x, return_inverse=True)
        self.wsum_x = np.bincount(self.ix, weights=w, minlength=self.ux.size)
        (self.px, self.pt), inv, _ = fitting.compress(np.concatenate([x, x]), np.concatenate([tx, tt]))
        self.i_tx, self.i_t = inv[:n], inv[n:]
        self.x, self.tt, self.w, self.wx = x, tt, w, w * x

    def _core(self, theta: FloatArray) -> tuple[float, dict[str, FloatArray]]:
        r, alpha, s, beta = np.exp(theta)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lf = _log_tail(r, alpha, s, beta, self.px, self.pt)
            c0 = gammaln(r + self.ux) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            la, lb = np.log(alpha + self.tt), np.log(beta + self.tt)
            log_a = -(r + self.x) * la - s * lb
            lf_tx = lf[self.i_tx]
            d = np.minimum(lf[self.i_t] - lf_tx, 0.0)
            log_b = np.log(s) + lf_tx + _log1mexp(d)
            ll = dot(self.wsum_x, c0) + dot(self.w, np.logaddexp(log_a, log_b))
        if not np.isfinite(ll):
            return float("inf"), {}
        return -float(ll), {"lf": lf, "la": la, "lb": lb, "log_a": log_a, "log_b": log_b, "d": d}

    def value(self, theta: FloatArray) -> float:
        return self._core(theta)[0]

    def value_and_grad(self, theta: FloatArray) -> tuple[float, FloatArray]:
        val, c = self._core(theta)
        if not c:
            return val, np.full(theta.size, np.nan)
        r, alpha, s, beta = np.exp(theta)
        px, pt, lf = self.px, self.pt, c["lf"]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # d log F / d parameter, per distinct pair
            d_alpha = -(r + px) * np.exp(_log_tail(r, alpha, s, beta, px + 1.0, pt) - lf)
            d_beta = -(s + 1.0) * np.exp(_log_tail(r, alpha, s + 1.0, beta, px, pt) - lf)
            hr, hs = 1e-6 * r, 1e-6 * s
            d_r = (_log_tail(r + hr, alpha, s, beta, px, pt) - _log_tail(r - hr, alpha, s, beta, px, pt)) / (
                2 * hr
            )
            d_s = (_log_tail(r, alpha, s + hs, beta, px, pt) - _log_tail(r, alpha, s - hs, beta, px, pt)) / (
                2 * hs
            )
            # per row: d log I = (D(t_x) - rho D(T)) / (1 - rho), rho = F(T) / F(t_x); weight pi of the
            # 'dropped out' term B in the row's likelihood (0 when t_x = T, where I = 0)
            rho = np.exp(c["d"])
            one_minus = -np.expm1(c["d"])
            pi = np.where(one_minus > 0, expit(c["log_b"] - c["log_a"]), 0.0)
            scale = np.where(one_minus > 0, pi / one_minus, 0.0)
            i_tx, i_t, w = self.i_tx, self.i_t, self.w
            alive = w * (1.0 - pi)

            def dlog_i(pair: FloatArray) -> float:
                return dot(w * scale, pair[i_tx] - rho * pair[i_t])

            g_r = dot(self.wsum_x, digamma(r + self.ux) - digamma(r)) + np.log(alpha)
            g_r += -dot(alive, c["la"]) + dlog_i(d_r)
            g_alpha = r / alpha - dot(alive, (r + self.x) / (alpha + self.tt)) + dlog_i(d_alpha)
            g_s = np.log(beta) - dot(alive, c["lb"]) + dot(w, pi) / s + dlog_i(d_s)
            g_beta = s / beta - s * dot(alive, 1.0 / (beta + self.tt)) + dlog_i(d_beta)
        grad = -np.array([g_r * r, g_alpha * alpha, g_s * s, g_beta * beta])
        return val, grad


def _nan_fit(n: int, n_rep: int, t0: float, message: str) -> ParetoNbdFit:
    nan = float("nan")
    return ParetoNbdFit(nan, nan, nan, nan, nan, n, n_rep, time.perf_counter() - t0, False, message)


def fit_pareto_nbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    min_repeat_buyers: int = 20,
    initial: ParetoNbdParams | None = None,
    seed: int = 0,
    weights: ArrayLike | None = None,
    horizons: scoring.Horizons | None = None,
) -> ParetoNbdFit:
    """Fit the Pareto/NBD model by maximum likelihood; never raises. Same contract as
    :func:`salesdw.clv.bgnbd.fit_bgnbd` (weights, compression, the meaning of ``converged``)."""
    t0 = time.perf_counter()
    n = int(np.size(frequency)) if np.ndim(frequency) == 1 else 0
    try:
        x, tx, tt = fitting.validate_rft(frequency, recency, T)
        w = fitting.validate_weights(weights, x.size)
        if w is not None:
            x, tx, tt, w = fitting.drop_empty(w, x, tx, tt)
    except (ValueError, TypeError) as exc:
        return _nan_fit(n, 0, t0, f"invalid input: {exc}")
    n = int(x.size) if w is None else int(w.sum())
    n_rep = int(fitting.weighted_counts(w, x > 0))
    if n_rep < min_repeat_buyers:
        return _nan_fit(n, n_rep, t0, f"too few repeat buyers: {n_rep} < {min_repeat_buyers}")
    if not np.any(tt > 0):
        return _nan_fit(n, n_rep, t0, "all T are zero: no observation time")
    try:
        (ux, utx, utt), counts = fitting.compress_weighted(w, x, tx, tt)
        xbar = float(np.average(ux, weights=counts))
        tbar = max(float(np.average(utt, weights=counts)), 1e-9)
        if initial is not None:
            starts = [np.log([initial.r, initial.alpha, initial.s, initial.beta])]
        else:
            rate = max(xbar, 1e-3) / tbar
            starts = [
                np.log([r0, r0 / rate, s0, s0 * tbar * f]) for r0, s0, f in ((1.0, 1.0, 1.0), (0.5, 0.5, 2.0))
            ]

        def build(rows: npt.NDArray[np.intp], w: FloatArray) -> _ParetoNbdObjective:
            return _ParetoNbdObjective(ux[rows], utx[rows], utt[rows], w)

        theta, objective, ok, msg = fitting.two_stage_minimize(build, counts, starts, seed, NAMES)
        params = ParetoNbdParams(*(float(v) for v in np.exp(theta)))
        ll = dot(counts, pareto_nbd_log_likelihood(params, ux, utx, utt))
        ok, msg, uncertainty = scoring.assess_fit(
            objective, theta, ok, msg, counts, params, ux, utx, utt, horizons
        )
        return ParetoNbdFit(
            params.r,
            params.alpha,
            params.s,
            params.beta,
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
        return _nan_fit(n, n_rep, t0, f"fit failed: {type(exc).__name__}: {exc}")


# --------------------------------------------------------------------------------------------------------
# Predictions
# --------------------------------------------------------------------------------------------------------


def _model(params: ParetoNbdLike) -> ParetoNbdParams:
    return params.params if isinstance(params, ParetoNbdFit) else params


def pareto_nbd_p_alive(params: ParetoNbdLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> FloatArray:
    """P(alive at T | x, t_x, T) = A / (A + s I) (the 'alive' share of the likelihood), as expit of the
    log odds so nothing overflows. Unlike BG/NBD it is below 1 without repeat purchases too."""
    xb, txb, ttb = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, t_x, T)))
    return _model(params).p_alive_of(scoring.Histories(xb, txb, ttb)).reshape(xb.shape)


def pareto_nbd_conditional_expected_purchases(
    params: ParetoNbdLike, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """E[Y(t) | x, t_x, T] = P(alive) (r+x)/(alpha+T) (beta+T)/(s-1) [1 - ((beta+T)/(beta+T+t))^(s-1)]
    (Fader & Hardie 2005, eq. 22)."""
    return scoring.conditional_expected_purchases(_model(params), t, x, t_x, T)


def pareto_nbd_p_no_purchase(
    params: ParetoNbdLike, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(no purchase in (T, T+t] | x, t_x, T) = 1 - P(alive) + P(alive) P(no purchase in t | alive)."""
    return scoring.p_no_purchase(_model(params), t, x, t_x, T)


def pareto_nbd_discounted_expected_purchases(
    params: ParetoNbdLike,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    weeks_per_month: float = 52 / 12,
) -> FloatArray:
    """Discounted expected purchases over the CLV horizon (as for BG/NBD)."""
    return scoring.discounted_expected_purchases(
        _model(params), x, t_x, T, horizon_months, monthly_discount_rate, weeks_per_month
    )


def simulate_pareto_nbd(
    params: ParetoNbdLike, T: ArrayLike, rng: np.random.Generator
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Draw (x, t_x) for customers observed for T from the Pareto/NBD process: lambda ~ Gamma(r, rate
    alpha), mu ~ Gamma(s, rate beta), lifetime ~ Exponential(mu); purchases are a Poisson(lambda) process
    over (0, min(lifetime, T)], so x ~ Poisson(lambda min(lifetime, T)) and t_x is the largest of x
    uniforms on that interval."""
    tt = np.asarray(T, dtype=np.float64)
    n = tt.size
    lam = rng.gamma(params.r, 1.0 / params.alpha, n)
    mu = rng.gamma(params.s, 1.0 / params.beta, n)
    lifetime = rng.exponential(1.0 / np.maximum(mu, 1e-300))
    active = np.minimum(lifetime, tt)
    x = rng.poisson(lam * active).astype(np.int64)
    tx = np.zeros(n)
    pos = x > 0
    tx[pos] = active[pos] * rng.beta(x[pos], 1.0)
    return x, tx
