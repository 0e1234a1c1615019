"""Buy-till-you-die customer-base models, one import: BG/NBD and Pareto/NBD (purchase counts) and
Gamma-Gamma (spend), with the per-customer predictions and the CLV that combines them.

The code lives by model (:mod:`salesdw.clv.bgnbd`, :mod:`salesdw.clv.pareto_nbd`,
:mod:`salesdw.clv.gamma_gamma`), with the shared fitting machinery in :mod:`salesdw.clv.fitting`, the
predictions common to both purchase models in :mod:`salesdw.clv.scoring` and the transaction-log helpers in
:mod:`salesdw.clv.data`. This module re-exports their public names (the API the tests, scripts and
benchmarks use) and adds :func:`predicted_clv`.

References: Fader, Hardie & Lee (2005a), "Counting Your Customers the Easy Way" (BG/NBD); Fader, Hardie &
Lee (2005b), "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis" and Fader & Hardie (2013),
"The Gamma-Gamma Model of Monetary Value" (spend); Schmittlein, Morrison & Colombo (1987) and Fader &
Hardie (2005), "A Note on Deriving the Pareto/NBD Model and Related Expressions" (Pareto/NBD).

Conventions, per customer (calibration period): ``frequency`` x = repeat transactions; ``recency`` t_x =
time of the last transaction after the first (0 when x = 0); ``T`` = time from the first transaction to
the end of the period; ``monetary_value`` m = mean value of the x repeat transactions. Any time unit used
consistently; the warehouse uses weeks (days / 7).
"""

from __future__ import annotations

import numpy as np

from salesdw.clv.bgnbd import (
    BgNbdFit,
    BgNbdParams,
    bgnbd_conditional_expected_purchases,
    bgnbd_discounted_expected_purchases,
    bgnbd_expected_purchases_new_customer,
    bgnbd_log_likelihood,
    bgnbd_p_alive,
    bgnbd_p_no_purchase,
    fit_bgnbd,
    simulate_bgnbd,
)
from salesdw.clv.data import calibration_summary, holdout_comparison_table, read_cdnow_transactions
from salesdw.clv.fitting import ArrayLike, FloatArray, Uncertainty
from salesdw.clv.gamma_gamma import (
    GammaGammaFit,
    GammaGammaLike,
    GammaGammaParams,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
    gamma_gamma_expected_spend_log_se,
    gamma_gamma_log_likelihood,
    simulate_gamma_gamma,
)
from salesdw.clv.pareto_nbd import (
    ParetoNbdFit,
    ParetoNbdParams,
    fit_pareto_nbd,
    pareto_nbd_conditional_expected_purchases,
    pareto_nbd_discounted_expected_purchases,
    pareto_nbd_log_likelihood,
    pareto_nbd_p_alive,
    pareto_nbd_p_no_purchase,
    simulate_pareto_nbd,
)
from salesdw.clv.scoring import as_model, discounted_expected_purchases

__all__ = [
    "BgNbdFit",
    "BgNbdParams",
    "GammaGammaFit",
    "GammaGammaParams",
    "ParetoNbdFit",
    "ParetoNbdParams",
    "Uncertainty",
    "bgnbd_conditional_expected_purchases",
    "bgnbd_discounted_expected_purchases",
    "bgnbd_expected_purchases_new_customer",
    "bgnbd_log_likelihood",
    "bgnbd_p_alive",
    "bgnbd_p_no_purchase",
    "calibration_summary",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_pareto_nbd",
    "gamma_gamma_expected_spend",
    "gamma_gamma_expected_spend_log_se",
    "gamma_gamma_log_likelihood",
    "holdout_comparison_table",
    "pareto_nbd_conditional_expected_purchases",
    "pareto_nbd_discounted_expected_purchases",
    "pareto_nbd_log_likelihood",
    "pareto_nbd_p_alive",
    "pareto_nbd_p_no_purchase",
    "predicted_clv",
    "read_cdnow_transactions",
    "simulate_bgnbd",
    "simulate_gamma_gamma",
    "simulate_pareto_nbd",
]


def predicted_clv(
    purchases: object,
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

    with w = ``weeks_per_month`` (time unit of t_x, T: weeks), E[Y(t) | .] the purchase model's conditional
    expectation (BG/NBD or Pareto/NBD, parameters or fit), E[M | .] the Gamma-Gamma expected spend and
    d = ``monthly_discount_rate``; purchases made during month k are discounted by the end-of-month factor
    (1 + d)^-k. Equals the discounted expected purchases x :func:`gamma_gamma_expected_spend`.
    """
    xb, txb, ttb, mb = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, t_x, T, m)))
    discounted = discounted_expected_purchases(
        as_model(purchases), xb, txb, ttb, horizon_months, monthly_discount_rate, weeks_per_month
    )
    return np.asarray(discounted * gamma_gamma_expected_spend(gg, xb, mb), dtype=np.float64)
