"""One row per fitted model on int_customer_purchase_history: the purchase model the clv_model var selects
(BG/NBD or Pareto/NBD), the other one when they are compared (clv_compare_models), and Gamma-Gamma.

The maths is salesdw.clv (bgnbd, pareto_nbd, gamma_gamma), the table shape salesdw.clv.tables. A fit that
cannot run or cannot be trusted (too few repeat buyers, parameters running off, a Hessian that is not
positive definite, non-finite predictions) does not fail the build: its row says converged = false and why,
and the business layer falls back to historical revenue (ltv_basis). Settings come from the clv_* vars
(_clv.yml config). Only distinct (x, t_x, T) rows (int_clv_distinct_histories) and repeat buyers' distinct
(x, m) rows leave DuckDB, with their customer counts (the fits weight by them).
"""

from salesdw.clv import tables as clv


def model(dbt, session):
    dbt.config(materialized="table")
    # Literal dbt.config.get calls: dbt passes a Python model only the config keys its parser finds in the
    # model file itself (a call inside salesdw would get None for every var).
    config = {
        "clv_horizon_months": dbt.config.get("clv_horizon_months"),
        "clv_monthly_discount_rate": dbt.config.get("clv_monthly_discount_rate"),
        "clv_min_repeat_buyers": dbt.config.get("clv_min_repeat_buyers"),
        "clv_model": dbt.config.get("clv_model"),
        "clv_compare_models": dbt.config.get("clv_compare_models"),
        "clv_compare_max_histories": dbt.config.get("clv_compare_max_histories"),
    }
    settings = clv.ClvSettings.from_config(config.get)
    history = clv.PurchaseHistory.from_columns(dbt.ref("int_clv_distinct_histories").fetchnumpy())
    spend = clv.SpendHistory.from_columns(
        dbt.ref("int_customer_purchase_history")
        .filter("frequency > 0")
        .aggregate(*clv.SPEND_GROUPS)
        .fetchnumpy()
    )
    analysis_dates = dbt.ref("int_analysis_date").project("as_of_date").fetchall()
    analysis_date = analysis_dates[0][0] if analysis_dates else None
    return clv.fit_table(clv.fit_models(history, spend, settings), settings, analysis_date)
