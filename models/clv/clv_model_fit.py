"""One row per fitted model (BG/NBD, Gamma-Gamma) on int_customer_purchase_history.

The math is salesdw.clv.btyd, the table shape salesdw.clv.tables. A fit that cannot run (too few
repeat buyers, optimiser failure) does not fail the build: its row says converged = false and why, and
the business layer falls back to historical revenue (ltv_basis). Settings come from the clv_* vars
(_clv.yml config). Only distinct (x, t_x, T) and repeat buyers' (x, m) rows leave DuckDB, with their
customer counts (the fits weight by them).
"""

from salesdw.clv import tables as clv


def model(dbt, session):
    dbt.config(materialized="table")
    settings = clv.ClvSettings.from_config(dbt.config.get)
    purchase_history = dbt.ref("int_customer_purchase_history")
    history = clv.PurchaseHistory.from_columns(purchase_history.aggregate(*clv.HISTORY_GROUPS).fetchnumpy())
    spend = clv.SpendHistory.from_columns(
        purchase_history.filter("frequency > 0").aggregate(*clv.SPEND_GROUPS).fetchnumpy()
    )
    analysis_dates = dbt.ref("int_analysis_date").project("as_of_date").fetchall()
    analysis_date = analysis_dates[0][0] if analysis_dates else None
    bgnbd, gamma_gamma = clv.fit_models(history, spend, settings)
    return clv.fit_table(bgnbd, gamma_gamma, settings, analysis_date)
