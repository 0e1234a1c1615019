"""Benchmark: BG/NBD + Gamma-Gamma fit and scoring on simulated customers (default 1,000,000).

    python benchmarks/bench_clv_fit.py [--customers N] [--seed S] [--continuous]

Customers are simulated from known parameters (the published CDNOW estimates) with ages T of
1..364 whole days and recency rounded to whole days, as a daily-grain warehouse would produce
(so identical (x, t_x, T) rows compress); --continuous keeps exact event times instead.
Times are in weeks (days / 7).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from salesdw.clv import btyd

T_ = TypeVar("T_")

TRUE_BGNBD = btyd.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
TRUE_GG = btyd.GammaGammaParams(p=6.25, q=3.74, gamma=15.44)


def timed(fn: Callable[[], T_]) -> tuple[T_, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--continuous", action="store_true", help="do not round times to whole days")
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    n = args.customers

    def simulate() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        t_days = rng.integers(1, 365, n)
        x, t_x = btyd.simulate_bgnbd(TRUE_BGNBD, t_days / 7, rng)
        if not args.continuous:
            t_x = np.where(x > 0, np.clip(np.round(t_x * 7), 1, t_days), 0) / 7
        m = np.nan_to_num(btyd.simulate_gamma_gamma(TRUE_GG, x, rng))
        return x, t_x, t_days / 7, m

    (x, t_x, T, m), t_sim = timed(simulate)
    bg, t_bg = timed(lambda: btyd.fit_bgnbd(x, t_x, T))
    gg, t_gg = timed(lambda: btyd.fit_gamma_gamma(x, m))
    _, t_alive = timed(lambda: btyd.bgnbd_p_alive(bg, x, t_x, T))
    t_exp = {}
    for days in (30, 90, 365):
        _, t_exp[days] = timed(lambda d=days: btyd.bgnbd_conditional_expected_purchases(bg, d / 7, x, t_x, T))
    clv, t_clv = timed(lambda: btyd.predicted_clv(bg, gg, x, t_x, T, m))

    print(f"customers: {n:,}  repeat buyers: {bg.n_repeat_buyers:,}  distinct (x, t_x, T): {bg.n_unique:,}")
    print()
    print(f"{'step':<42}{'seconds':>9}")
    rows = [
        ("simulate", t_sim),
        ("fit_bgnbd", t_bg),
        ("fit_gamma_gamma", t_gg),
        ("bgnbd_p_alive", t_alive),
        *((f"conditional expected purchases, {d} days", t) for d, t in t_exp.items()),
        ("predicted_clv (12 months, 1%/month)", t_clv),
    ]
    for name, secs in rows:
        print(f"{name:<42}{secs:>9.3f}")
    print()
    print(f"{'parameter':<10}{'true':>10}{'fitted':>10}{'rel. err':>10}")
    pairs = [(k, getattr(TRUE_BGNBD, k), getattr(bg, k)) for k in ("r", "alpha", "a", "b")]
    pairs += [(k, getattr(TRUE_GG, k), getattr(gg, k)) for k in ("p", "q", "gamma")]
    for name, true, fitted in pairs:
        print(f"{name:<10}{true:>10.4f}{fitted:>10.4f}{(fitted - true) / true:>10.2%}")
    print()
    print(f"BG/NBD: converged={bg.converged} ({bg.message}), log-likelihood {bg.log_likelihood:,.1f}")
    print(f"Gamma-Gamma: converged={gg.converged} ({gg.message}), n={gg.n:,}")
    print(f"mean predicted 12-month CLV: {clv.mean():.2f}")


if __name__ == "__main__":
    main()
