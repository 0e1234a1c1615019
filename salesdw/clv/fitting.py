"""What every CLV fit shares: input checks, grouping identical rows, the two-stage optimiser, and the verdict
on the optimum (observed information, standard errors, intervals, and why a fit cannot be trusted).

The models (:mod:`salesdw.clv.bgnbd`, :mod:`salesdw.clv.pareto_nbd`, :mod:`salesdw.clv.gamma_gamma`) are
fitted by maximum likelihood on the logarithms of their parameters. A fit is **converged** only when

* the optimiser stopped at a point where the gradient vanishes, inside the parameter bounds;
* the observed information (the Hessian of the negative log-likelihood in the log-parameters) is positive
  definite and every log-parameter has a standard error below :data:`MAX_LOG_STD_ERROR`, i.e. the data pin
  every parameter down;
* the model's predictions are finite (and probabilities lie in [0, 1]) for every fitted customer.

Otherwise the fit says why in words (:func:`assess_optimum`), e.g. that purchase rates look the same for
every customer, so r and alpha can grow together without changing the likelihood. Everything here is
numpy / scipy on arrays of distinct histories with customer counts: no database, no dbt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

# Bounds on the log-parameters: exp(+-15) ~ 3e-7 .. 3e6.
LOG_BOUND = 15.0
# L-BFGS-B may stop with a line-search warning at the optimum (objective flat to machine precision); accept
# the point if the gradient of the per-customer mean log-likelihood w.r.t. the log-parameters is below this.
GRAD_TOL = 1e-5
# Nelder-Mead (the robust first stage) runs on a weighted random subsample of this many customers when the
# data is larger; L-BFGS-B then polishes on the full data.
NM_SUBSAMPLE = 20_000
# Nelder-Mead evaluations per start: a well-posed fit of 3-4 parameters needs ~200; a degenerate one would
# wander for thousands (each a pass over the data) before the verdict says it is not identified anyway.
NM_MAX_EVALUATIONS = 1_000
# A log-parameter whose standard error exceeds this is not identified: its 95% interval would span a
# factor of exp(2 x 1.96 x 3) ~ 130,000. Well-identified fits have standard errors below ~1 even on a few
# hundred customers; runaway fits (no heterogeneity, no dropout) have standard errors of 10 to 1,000.
MAX_LOG_STD_ERROR = 3.0
# Two-sided normal quantiles of the intervals: 95% for parameters, 80% for per-customer predictions.
Z95 = 1.959963984540054
Z80 = 1.2815515655446004
# Finite-difference step (log-parameters) of the observed information and of the delta method.
HESSIAN_STEP = 1e-4


# One BLAS thread for the process that imports the CLV models. scipy's L-BFGS-B calls OpenBLAS on vectors of
# four numbers, thousands of times per fit; OpenBLAS's worker threads then spin between calls and, on a busy
# two-core machine, make each call ~20x slower (measured: 50 small fits 2.0 s -> 0.1 s, and the BG/NBD fit's
# optimiser steps 5 ms -> 0.1 ms each). Limiting the threads only around a fit does not help once they
# exist, so the limit is set on import; nothing in the warehouse needs multi-threaded BLAS (DuckDB has its
# own threads).
threadpool_limits(limits=1, user_api="blas")


# --------------------------------------------------------------------------------------------------------
# Input checks and grouping
# --------------------------------------------------------------------------------------------------------


def as_float(name: str, values: ArrayLike) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def validate_rft(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> tuple[FloatArray, ...]:
    """Return float arrays (x, t_x, T) or raise ValueError with a clear message."""
    x = as_float("frequency", frequency)
    tx = as_float("recency", recency)
    tt = as_float("T", T)
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


def compress(*cols: FloatArray) -> tuple[tuple[FloatArray, ...], npt.NDArray[np.intp], FloatArray]:
    """Distinct rows of the given equal-length columns.

    Returns (unique columns, inverse index, counts). Much faster than ``np.unique(axis=0)``: each column is
    factorised separately and the integer codes are combined (re-compacted after every column, so the
    combined key cannot overflow int64).
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


def validate_weights(weights: ArrayLike | None, n: int) -> FloatArray | None:
    """Row weights (customers per row) as floats, or None; raise ValueError unless whole numbers >= 0."""
    if weights is None:
        return None
    w = as_float("weights", weights)
    if w.size != n:
        raise ValueError(f"weights must have one value per row: {w.size} != {n}")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or np.any(w != np.round(w)):
        raise ValueError("weights must be finite non-negative whole numbers (customers per row)")
    return w


def drop_empty(w: FloatArray, *cols: FloatArray) -> tuple[FloatArray, ...]:
    """The rows with a positive weight (columns, then weights); ValueError if there are none."""
    keep = w > 0
    if not keep.any():
        raise ValueError("no customers (all weights are zero)")
    return (*(col[keep] for col in cols), w[keep])


def weighted_counts(w: FloatArray | None, rows: npt.NDArray[np.bool_]) -> float:
    """Customers in the selected rows: their number, or their weight total."""
    return float(rows.sum()) if w is None else float(w[rows].sum())


def compress_weighted(w: FloatArray | None, *cols: FloatArray) -> tuple[tuple[FloatArray, ...], FloatArray]:
    """Distinct rows and their customer counts (the weights summed over identical rows)."""
    uniq, inverse, counts = compress(*cols)
    if w is not None:
        counts = np.bincount(inverse, weights=w, minlength=counts.size)
    return uniq, counts


def dot(u: FloatArray, v: FloatArray) -> float:
    """Inner product without BLAS: ``@``/``np.dot`` call multi-threaded OpenBLAS, which is up to 20x slower
    for these vector sizes on a busy machine (thread oversubscription)."""
    return float(np.einsum("i,i->", u, v))


# --------------------------------------------------------------------------------------------------------
# The optimiser
# --------------------------------------------------------------------------------------------------------


class Objective(Protocol):
    """Mean negative log-likelihood over log-parameters (weights normalised to sum 1)."""

    def value(self, theta: FloatArray) -> float: ...

    def value_and_grad(self, theta: FloatArray) -> tuple[float, FloatArray]: ...


def two_stage_minimize(
    build: Callable[[npt.NDArray[np.intp], FloatArray], Objective],
    counts: FloatArray,
    starts: list[FloatArray],
    seed: int,
    names: Sequence[str],
) -> tuple[FloatArray, Objective, bool, str]:
    """Minimise a per-customer mean negative log-likelihood over log-parameters.

    ``build(rows, weights)`` makes the objective on a subset of the compressed rows. Stage 1: Nelder-Mead
    from each start (on a seeded multinomial resample of ``NM_SUBSAMPLE`` customers if the data is larger),
    keep the best. Stage 2: L-BFGS-B with the objective's gradient on the full data. Returns
    (log-parameters, the full-data objective, optimiser converged, message).
    """
    all_rows = np.arange(counts.size)
    full = build(all_rows, counts)
    nm_obj = full
    if counts.sum() > NM_SUBSAMPLE and counts.size > NM_SUBSAMPLE // 2:
        sub = np.random.default_rng(seed).multinomial(NM_SUBSAMPLE, counts / counts.sum())
        rows = np.flatnonzero(sub)
        nm_obj = build(rows, sub[rows].astype(np.float64))
    bounds = [(-LOG_BOUND, LOG_BOUND)] * starts[0].size

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
            options={"xatol": 1e-3, "fatol": 1e-8, "maxiter": 1000, "maxfev": NM_MAX_EVALUATIONS},
        )
        if np.isfinite(res.fun) and res.fun < min(best_f, 1e299):
            best, best_f = np.asarray(res.x, dtype=np.float64), float(res.fun)
    if best is None:
        nan = np.full(starts[0].size, np.nan)
        return nan, full, False, "Nelder-Mead found no finite log-likelihood"

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
        return theta, full, False, f"optimiser returned a non-finite result ({res.message})"
    at_bound = [name for name, value in zip(names, theta, strict=True) if abs(value) >= LOG_BOUND - 1e-6]
    if at_bound:
        runs = ", ".join(
            f"{name} runs off to {'infinity' if theta[list(names).index(name)] > 0 else 'zero'}"
            for name in at_bound
        )
        return theta, full, False, f"not identified: {runs} (it reached the bound exp(+-{LOG_BOUND:.0f}))"
    gnorm = float(np.max(np.abs(g)))
    if res.success or gnorm < GRAD_TOL:
        return theta, full, True, f"converged (max |grad| = {gnorm:.1e})"
    return theta, full, False, f"L-BFGS-B did not converge: {res.message} (max |grad| = {gnorm:.1e})"


# --------------------------------------------------------------------------------------------------------
# The verdict on an optimum: observed information, standard errors, intervals
# --------------------------------------------------------------------------------------------------------


def numerical_gradient(
    fun: Callable[[FloatArray], float], theta: FloatArray, step: float = 1e-6
) -> FloatArray:
    """Central differences; for objectives without an analytic gradient."""
    grad = np.empty(theta.size)
    for i in range(theta.size):
        e = np.zeros(theta.size)
        e[i] = step
        grad[i] = (fun(theta + e) - fun(theta - e)) / (2.0 * step)
    return grad


def hessian(objective: Objective, theta: FloatArray, step: float = HESSIAN_STEP) -> FloatArray:
    """Hessian of the objective: central differences of its analytic gradient, or second differences of
    its values when it has none (``analytic_gradient = False``); symmetrised. An objective whose gradient
    is partly numerical sets a coarser ``hessian_step``."""
    k = theta.size
    if not getattr(objective, "analytic_gradient", True):
        return _hessian_from_values(objective.value, theta, 1e-3)
    step = getattr(objective, "hessian_step", step)
    out = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = step
        out[:, i] = (objective.value_and_grad(theta + e)[1] - objective.value_and_grad(theta - e)[1]) / (
            2 * step
        )
    return (out + out.T) / 2.0


def _hessian_from_values(fun: Callable[[FloatArray], float], theta: FloatArray, step: float) -> FloatArray:
    k = theta.size
    f0 = fun(theta)
    out = np.empty((k, k))
    eye = np.eye(k) * step
    for i in range(k):
        out[i, i] = (fun(theta + eye[i]) - 2.0 * f0 + fun(theta - eye[i])) / step**2
        for j in range(i):
            out[i, j] = out[j, i] = (
                fun(theta + eye[i] + eye[j])
                - fun(theta + eye[i] - eye[j])
                - fun(theta - eye[i] + eye[j])
                + fun(theta - eye[i] - eye[j])
            ) / (4.0 * step**2)
    return out


@dataclass(frozen=True)
class Uncertainty:
    """The asymptotic normal of the log-parameters: estimates and their covariance (the inverse observed
    information). Natural-scale standard errors by the delta method (theta x se of log theta); intervals
    are symmetric on the log scale, exp(log theta +- z se), so they stay positive."""

    names: tuple[str, ...]
    log_estimates: tuple[float, ...]
    log_covariance: tuple[tuple[float, ...], ...]

    @property
    def covariance(self) -> FloatArray:
        return np.asarray(self.log_covariance, dtype=np.float64)

    @property
    def theta(self) -> FloatArray:
        return np.asarray(self.log_estimates, dtype=np.float64)

    def log_std_errors(self) -> dict[str, float]:
        se = np.sqrt(np.diag(self.covariance))
        return dict(zip(self.names, (float(v) for v in se), strict=True))

    def std_errors(self) -> dict[str, float]:
        log_se = self.log_std_errors()
        return {
            name: float(np.exp(value)) * log_se[name]
            for name, value in zip(self.names, self.log_estimates, strict=True)
        }

    def intervals(self, z: float = Z95) -> dict[str, tuple[float, float]]:
        log_se = self.log_std_errors()
        return {
            name: (float(np.exp(value - z * log_se[name])), float(np.exp(value + z * log_se[name])))
            for name, value in zip(self.names, self.log_estimates, strict=True)
        }

    def sample(self, n: int, rng: np.random.Generator) -> FloatArray:
        """Draws of the log-parameters from their asymptotic normal, shape (n, k)."""
        return rng.multivariate_normal(self.theta, self.covariance, size=n, method="eigh")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str
    uncertainty: Uncertainty | None


# Words for a flat direction of the likelihood, by the set of parameters it moves (see assess_optimum): a
# text, or a function of the estimates (name -> value) that returns one.
Meanings = Mapping[frozenset[str], "str | Callable[[dict[str, float]], str]"]


def describe_flat_direction(
    names: Sequence[str], theta: FloatArray, direction: FloatArray, meanings: Meanings
) -> str:
    """Which parameters a flat direction of the likelihood moves, and what that means for the data."""
    loads = np.abs(direction) / max(float(np.max(np.abs(direction))), 1e-300)
    moved = [name for name, load in zip(names, loads, strict=True) if load >= 0.3]
    estimates = {name: float(np.exp(value)) for name, value in zip(names, theta, strict=True)}
    values = ", ".join(f"{name} = {estimates[name]:.3g}" for name in moved)
    meaning = meanings.get(frozenset(moved))
    if callable(meaning):
        meaning = meaning(estimates)
    together = " together" if len(moved) > 1 else ""
    text = (
        f"the data do not pin down {' and '.join(moved)} ({values}): they can move{together} with almost "
        "no change in the likelihood"
    )
    return f"{text}; {meaning}" if meaning else text


def assess_optimum(
    objective: Objective,
    theta: FloatArray,
    names: Sequence[str],
    total_weight: float,
    meanings: Meanings,
) -> Verdict:
    """Observed information at the optimum, and whether it identifies every parameter.

    The observed information is the Hessian of the *total* negative log-likelihood (mean x customers) in
    the log-parameters. Not positive definite, or a log-parameter standard error above
    ``MAX_LOG_STD_ERROR``: not identified, with the flat direction described in words."""
    with np.errstate(all="ignore"):
        info = hessian(objective, theta) * total_weight
    if not np.all(np.isfinite(info)):
        far = [
            f"{name} = {np.exp(value):.3g}"
            for name, value in zip(names, theta, strict=True)
            if abs(value) > 5.0
        ]
        where = f" at {', '.join(far)}" if far else ""
        return Verdict(
            False,
            f"not identified: the likelihood cannot be evaluated around the optimum{where} (parameters "
            "running off to where the model has no finite curvature)",
            None,
        )
    eigenvalues, eigenvectors = np.linalg.eigh(info)
    scale = max(float(np.max(np.abs(eigenvalues))), 1.0)
    if eigenvalues[0] <= 1e-10 * scale:
        flat = describe_flat_direction(names, theta, eigenvectors[:, 0], meanings)
        return Verdict(False, f"not identified: {flat} (observed information not positive definite)", None)
    covariance = (eigenvectors / eigenvalues) @ eigenvectors.T
    covariance = (covariance + covariance.T) / 2.0
    log_se = np.sqrt(np.diag(covariance))
    if np.any(log_se > MAX_LOG_STD_ERROR):
        flat = describe_flat_direction(names, theta, eigenvectors[:, 0], meanings)
        worst = ", ".join(
            f"log {name} {se:.3g}" for name, se in zip(names, log_se, strict=True) if se > MAX_LOG_STD_ERROR
        )
        return Verdict(
            False, f"not identified: {flat} (standard error of {worst} > {MAX_LOG_STD_ERROR:g})", None
        )
    uncertainty = Uncertainty(
        names=tuple(names),
        log_estimates=tuple(float(v) for v in theta),
        log_covariance=tuple(tuple(float(v) for v in row) for row in covariance),
    )
    return Verdict(True, "", uncertainty)


def describe_bad_predictions(
    bad: npt.NDArray[np.bool_], what: str, columns: Mapping[str, FloatArray], units: Mapping[str, str]
) -> str:
    """`non-finite predictions for 3 of 120 histories (e.g. frequency 312, recency 40.1 weeks)`."""
    first = int(np.flatnonzero(bad)[0])
    example = ", ".join(f"{name} {col[first]:.4g}{units.get(name, '')}" for name, col in columns.items())
    return f"{what} for {int(bad.sum()):,} of {bad.size:,} distinct histories (e.g. {example})"


def delta_log_std_error(
    predict: Callable[[FloatArray], FloatArray],
    uncertainty: Uncertainty,
    step: float = HESSIAN_STEP,
    base: FloatArray | None = None,
) -> FloatArray:
    """Delta method on the log scale: the standard error of log f(theta) for every row of a positive
    prediction f (an array, or a stacked 2-D array of several predictions), se = sqrt(g' C g) with
    g = d log f / d theta by forward differences in the log-parameters (k evaluations besides ``base``,
    f at the estimates, when the caller has it; their O(step) error is far below what a standard error
    needs)."""
    theta = uncertainty.theta
    cov = uncertainty.covariance
    with np.errstate(divide="ignore", invalid="ignore"):
        base = predict(theta) if base is None else base
        log_base = np.log(base)
        grads = []
        for i in range(theta.size):
            e = np.zeros(theta.size)
            e[i] = step
            grads.append((np.log(predict(theta + e)) - log_base) / step)
        g = np.stack(grads, axis=0)  # (k, *shape)
        var = np.einsum("i...,ij,j...->...", g, cov, g)
    return np.asarray(np.where(base > 0, np.sqrt(np.maximum(var, 0.0)), 0.0), dtype=np.float64)


def log_interval(value: FloatArray, log_se: FloatArray, z: float = Z80) -> tuple[FloatArray, FloatArray]:
    """(lower, upper) = value x exp(-+ z log_se): an interval for a positive quantity from the standard
    error of its logarithm."""
    return value * np.exp(-z * log_se), value * np.exp(z * log_se)
