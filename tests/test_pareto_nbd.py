"""Pareto/NBD (salesdw.clv.pareto_nbd) against the published CDNOW fit and independent computations, and the
predictions both purchase models share (P(alive), expected purchases, P(no purchase in t)) against an
event-level simulation of each model's story.

Published figures: Fader & Hardie (2005), "A Note on Implementing the Pareto/NBD Model in MATLAB", on the
CDNOW sample (39-week calibration): r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669, LL = -9595.0
(also lifetimes' reference values). Independent checks use mpmath at high precision: the likelihood as the
one-dimensional integral it is (no hypergeometric function), and 2F1 itself.
"""

from __future__ import annotations

from pathlib import Path

import mpmath
import numpy as np
import pandas as pd
import pytest

from salesdw.clv import btyd
from salesdw.clv.pareto_nbd import hyp2f1_one

CDNOW = Path(__file__).parent / "fixtures" / "cdnow" / "CDNOW_sample.txt"
PUBLISHED = btyd.ParetoNbdParams(r=0.553, alpha=10.578, s=0.606, beta=11.669)
CDNOW_BGNBD = btyd.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


def sig3(value: float) -> float:
    return float(f"{value:.3g}")


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return btyd.calibration_summary(btyd.read_cdnow_transactions(CDNOW), "1997-09-30", "1998-06-30")


@pytest.fixture(scope="module")
def cdnow_fit(cdnow: pd.DataFrame) -> btyd.ParetoNbdFit:
    return btyd.fit_pareto_nbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])


def test_reproduces_the_published_cdnow_fit(cdnow_fit: btyd.ParetoNbdFit) -> None:
    f = cdnow_fit
    assert f.converged, f.message
    assert (f.n_customers, f.n_repeat_buyers) == (2357, 946)
    assert (sig3(f.r), sig3(f.alpha), sig3(f.s), sig3(f.beta)) == (0.553, 10.6, 0.606, 11.7)
    assert (round(f.r, 3), round(f.alpha, 3), round(f.s, 3), round(f.beta, 3)) == (
        0.553,
        10.578,
        0.606,
        11.669,
    )
    assert round(f.log_likelihood, 1) == -9595.0
    # Standard errors from the observed information (lifetimes reports 0.048, 0.843, 0.187, 6.211)
    se = f.uncertainty.std_errors()
    assert (round(se["r"], 3), round(se["alpha"], 3), round(se["s"], 3), round(se["beta"], 3)) == (
        0.048,
        0.843,
        0.187,
        6.211,
    )


def mp_integral(
    r: mpmath.mpf, alpha: mpmath.mpf, s: mpmath.mpf, beta: mpmath.mpf, x: int, t_x: float, T: float
):  # type: ignore[no-untyped-def]
    """int_{t_x}^T (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau by mpmath quadrature in w = log((alpha+tau) /
    (alpha+t_x)), with breakpoints every 2 / (r+x) (a heavy buyer's integrand falls by e^-2 between them)."""
    if t_x >= T:
        return mpmath.mpf(0)
    k = r + x
    end = mpmath.log((alpha + T) / (alpha + t_x))

    def integrand(w: mpmath.mpf) -> mpmath.mpf:
        tau = (alpha + t_x) * mpmath.exp(w) - alpha
        return (alpha + tau) ** (-k) * (beta + tau) ** (-(s + 1)) * (alpha + tau)

    points = sorted({mpmath.mpf(0), end, *(min(end, 2 * j / k) for j in range(1, 40))})
    return mpmath.quad(integrand, points)


def mp_log_likelihood(p: btyd.ParetoNbdParams, x: int, t_x: float, T: float) -> float:
    """The Pareto/NBD likelihood as it is derived: Gamma(r+x) alpha^r beta^s / Gamma(r) [ (alpha+T)^-(r+x)
    (beta+T)^-s + s int_{t_x}^T (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau ], by mpmath quadrature."""
    mpmath.mp.dps = 40
    r, alpha, s, beta = (mpmath.mpf(v) for v in (p.r, p.alpha, p.s, p.beta))
    alive = (alpha + T) ** (-(r + x)) * (beta + T) ** (-s)
    died = s * mp_integral(r, alpha, s, beta, x, t_x, T)
    return float(
        mpmath.loggamma(r + x)
        - mpmath.loggamma(r)
        + r * mpmath.log(alpha)
        + s * mpmath.log(beta)
        + mpmath.log(alive + died)
    )


HISTORIES = [(0, 0.0, 38.86), (2, 30.43, 38.86), (1, 1.71, 38.86), (25, 37.0, 38.86), (7, 10.0, 60.0)]
# Frequencies where the textbook evaluation overflows (2F1 and (alpha+t)^(r+s+x) beyond 1e308).
HEAVY = [(350, 318.0, 320.0), (1200, 409.5, 410.0), (5000, 999.9, 1000.0)]


@pytest.mark.parametrize(("x", "t_x", "T"), HISTORIES + HEAVY)
@pytest.mark.parametrize(
    "params",
    [PUBLISHED, btyd.ParetoNbdParams(2.0, 3.0, 0.4, 60.0), btyd.ParetoNbdParams(0.3, 40.0, 1.5, 2.0)],
    ids=["cdnow", "alpha<beta", "alpha>beta"],
)
def test_log_likelihood_equals_the_integral(
    params: btyd.ParetoNbdParams, x: int, t_x: float, T: float
) -> None:
    got = float(btyd.pareto_nbd_log_likelihood(params, [x], [t_x], [T])[0])
    assert np.isfinite(got)
    assert got == pytest.approx(mp_log_likelihood(params, x, t_x, T), rel=1e-10, abs=1e-9)


def test_hyp2f1_is_accurate_where_scipy_is_not() -> None:
    """2F1(1, b; c; z) against mpmath at 60 digits, including the region summed as a series (b >= 60, z
    near 1) where scipy returns NaN; beyond the term budget the value is NaN, never a wrong number."""
    mpmath.mp.dps = 60
    cases = [
        (1.6, 3.2, 0.3),
        (0.6, 1.2, 0.99999),
        (300.4, 301.2, 0.5),
        (1000.5, 1001.6, 0.97),
        (80.0, 81.5, 0.9),
    ]
    for b, c, z in cases:
        assert float(hyp2f1_one(b, c, z)) == pytest.approx(float(mpmath.hyp2f1(1, b, c, z)), rel=1e-12)
    assert np.isnan(hyp2f1_one(5000.0, 5000.6, 0.99999))


def test_p_alive_and_expectations_by_hand(cdnow_fit: btyd.ParetoNbdFit) -> None:
    p = PUBLISHED
    mpmath.mp.dps = 40
    for x, t_x, T in HISTORIES:
        # P(alive) = the share of the likelihood of being alive at T
        alive_term = mpmath.mpf(p.alpha + T) ** (-(p.r + x)) * mpmath.mpf(p.beta + T) ** (-p.s)
        died = p.s * mp_integral(*(mpmath.mpf(v) for v in (p.r, p.alpha, p.s, p.beta)), x, t_x, T)
        want_alive = float(alive_term / (alive_term + died))
        got_alive = float(btyd.pareto_nbd_p_alive(p, x, t_x, T))
        assert got_alive == pytest.approx(want_alive, rel=1e-10)
        for t in (4.3, 39.0):
            expected = (
                want_alive
                * (p.r + x)
                * (p.beta + T)
                / ((p.alpha + T) * (p.s - 1))
                * (1 - ((p.beta + T) / (p.beta + T + t)) ** (p.s - 1))
            )
            got = float(btyd.pareto_nbd_conditional_expected_purchases(p, t, x, t_x, T))
            assert got == pytest.approx(expected, rel=1e-10)
            # P(no purchase | alive) = 1 - int_0^t E[lambda e^-lambda u] E[e^-mu u] du
            first_purchase = mpmath.quad(
                lambda u, x=x, T=T: (
                    (p.r + x)
                    / (p.alpha + T + u)
                    * ((p.alpha + T) / (p.alpha + T + u)) ** (p.r + x)
                    * ((p.beta + T) / (p.beta + T + u)) ** p.s
                ),
                [0, t],
            )
            want_none = 1 - want_alive + want_alive * (1 - float(first_purchase))
            assert float(btyd.pareto_nbd_p_no_purchase(p, t, x, t_x, T)) == pytest.approx(want_none, rel=1e-9)


def test_heavy_buyers_give_finite_predictions() -> None:
    x = np.array([h[0] for h in HEAVY], dtype=float)
    t_x = np.array([h[1] for h in HEAVY])
    T = np.array([h[2] for h in HEAVY])
    alive = btyd.pareto_nbd_p_alive(PUBLISHED, x, t_x, T)
    expected = btyd.pareto_nbd_conditional_expected_purchases(PUBLISHED, 52.0, x, t_x, T)
    none = btyd.pareto_nbd_p_no_purchase(PUBLISHED, 4.3, x, t_x, T)
    assert np.all(np.isfinite(alive)) and np.all((alive > 0) & (alive <= 1))
    # An active heavy buyer keeps buying at about the posterior mean rate (r + x) / (alpha + T).
    rate = (PUBLISHED.r + x) / (PUBLISHED.alpha + T)
    assert np.all(expected > 0) and np.all(expected < rate * 52.0)
    assert np.all((none >= 0) & (none < 0.05))


def test_heavy_buyers_fit_without_overflow() -> None:
    """A population with customers of 300+ purchase days fits and gives a finite likelihood."""
    rng = np.random.default_rng(4)
    T = rng.uniform(30, 104, 3000)
    x, t_x = btyd.simulate_pareto_nbd(btyd.ParetoNbdParams(4.0, 1.0, 0.5, 40.0), T, rng)
    assert x.max() > 300
    fit = btyd.fit_pareto_nbd(x, t_x, T)
    assert fit.converged, fit.message
    assert np.isfinite(fit.log_likelihood)
    assert fit.r == pytest.approx(4.0, rel=0.15) and fit.s == pytest.approx(0.5, rel=0.35)


# --------------------------------------------------------------------------------------------------------
# Predictions against an event-level simulation of each model's story
# --------------------------------------------------------------------------------------------------------


def simulate_events(
    model: str, params: object, T: np.ndarray, horizon: float, rng: np.random.Generator
) -> dict:
    """Purchase times of each customer after the first purchase (time 0), up to T + horizon, from the model's
    story, written independently of btyd's simulators: BG/NBD drops out right after a repeat purchase with
    probability p; Pareto/NBD at an exponential lifetime. Returns calibration (x, t_x), whether alive at T,
    and the purchases in (T, T + horizon]."""
    n = T.size
    lam = rng.gamma(params.r, 1.0 / params.alpha, n)
    if model == "bg_nbd":
        p = rng.beta(params.a, params.b, n)
        lifetime = np.full(n, np.inf)
    else:
        lifetime = rng.exponential(1.0 / rng.gamma(params.s, 1.0 / params.beta, n))
    x = np.zeros(n)
    t_x = np.zeros(n)
    future = np.zeros(n)
    clock = np.zeros(n)
    dead_at = lifetime.copy()
    active = np.arange(n)
    while active.size:
        clock[active] += rng.exponential(1.0 / lam[active])
        alive = clock[active] < np.minimum(dead_at[active], T[active] + horizon)
        active = active[alive]
        in_calibration = clock[active] <= T[active]
        x[active[in_calibration]] += 1
        t_x[active[in_calibration]] = clock[active[in_calibration]]
        future[active[~in_calibration]] += 1
        if model == "bg_nbd":  # dropout right after this purchase
            drop = rng.random(active.size) < p[active]
            dead_at[active[drop]] = clock[active[drop]]
            active = active[~drop]
    return {"x": x, "t_x": t_x, "alive_at_T": dead_at > T, "future": future}


@pytest.mark.parametrize(
    ("model", "params"),
    [("bg_nbd", CDNOW_BGNBD), ("pareto_nbd", PUBLISHED)],
)
def test_predictions_add_up_to_a_simulation_of_the_model(model: str, params: object) -> None:
    """By the law of total probability, summing a customer-level prediction over customers drawn from the
    model gives the simulated count: customers alive at T, customers without a purchase in the next 30 and
    90 days, and purchases in the next 90 days (tolerance: 4 Monte Carlo standard deviations)."""
    rng = np.random.default_rng(20260101)
    T = rng.uniform(1, 52, 60_000)
    horizon = 90 / 7
    sim = simulate_events(model, params, T, horizon, rng)
    x, t_x = sim["x"], sim["t_x"]
    if model == "bg_nbd":
        alive = btyd.bgnbd_p_alive(params, x, t_x, T)
        none = {days: btyd.bgnbd_p_no_purchase(params, days / 7, x, t_x, T) for days in (30, 90)}
        expected = btyd.bgnbd_conditional_expected_purchases(params, horizon, x, t_x, T)
    else:
        alive = btyd.pareto_nbd_p_alive(params, x, t_x, T)
        none = {days: btyd.pareto_nbd_p_no_purchase(params, days / 7, x, t_x, T) for days in (30, 90)}
        expected = btyd.pareto_nbd_conditional_expected_purchases(params, horizon, x, t_x, T)

    def close(predicted: np.ndarray, observed: np.ndarray) -> None:
        sd = np.sqrt(np.sum(np.var(observed) + 0 * predicted))
        assert abs(predicted.sum() - observed.sum()) < 4 * sd, (predicted.sum(), observed.sum())

    close(alive, sim["alive_at_T"].astype(float))
    close(expected, sim["future"])
    close(none[90], (sim["future"] == 0).astype(float))
    # the 30-day figure from a second, shorter draw of the same customers' futures
    sim30 = simulate_events(model, params, T, 30 / 7, np.random.default_rng(7))
    if model == "bg_nbd":
        none30 = btyd.bgnbd_p_no_purchase(params, 30 / 7, sim30["x"], sim30["t_x"], T)
    else:
        none30 = btyd.pareto_nbd_p_no_purchase(params, 30 / 7, sim30["x"], sim30["t_x"], T)
    close(none30, (sim30["future"] == 0).astype(float))
