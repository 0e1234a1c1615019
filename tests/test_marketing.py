"""Marketing: staging of spend and touchpoints, multi-touch attribution, channel performance, acquisition,
unit economics and lift, against an independent pandas reading of the hand-written fixture
(tests/fixtures/marketing/attribution, see its README) and tests/marketing_reference.py."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import FIXTURES
from tests.helpers import BuildRun, build_warehouse
from tests.marketing_reference import MODELS, NONE, Attribution, attribute, read_orders, read_touches

FIXTURE = FIXTURES / "marketing" / "attribution"


@pytest.fixture(scope="module")
def reference() -> Attribution:
    return attribute(read_orders(FIXTURE / "sales.csv"), read_touches(FIXTURE))


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    return read_orders(FIXTURE / "sales.csv")


def _cents(value: object) -> int:
    """Cents of a DECIMAL read as text (DuckDB's .df() turns DECIMAL into float)."""
    return int(Decimal(str(value)) * 100)


def test_build_succeeds_and_reports_the_marketing_rows(marketing_build: BuildRun) -> None:
    assert "marketing from " in marketing_build.output
    assert (
        "ad spend  raw 26 = clean 14 + rejected 11 + collapsed duplicates 1 (3 file(s))"
        in marketing_build.output
    )
    assert (
        "touches   raw 45 = clean 29 + rejected 15 + collapsed duplicates 1 (4 file(s))"
        in marketing_build.output
    )


def test_every_credit_matches_pandas(marketing_build: BuildRun, reference: Attribution) -> None:
    """Every order x touch x model: the same touches in the same order, the same channel, share and cents."""
    actual = marketing_build.query(
        "select order_id::bigint as order_id, attribution_model as model, touch_position as position, "
        "channel, campaign_id, "
        "credit_share as share, cast(credit_amount * 100 as bigint) as cents from order_attribution"
    )
    keys = ["order_id", "model", "position"]
    merged = reference.credits.merge(actual, on=keys, how="outer", suffixes=("", "_sql"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert (merged["channel"] == merged["channel_sql"]).all()
    assert (merged["campaign_id"] == merged["campaign_id_sql"]).all()
    assert (merged["cents"] == merged["cents_sql"]).all(), merged[merged["cents"] != merged["cents_sql"]]
    assert merged["share_sql"].to_numpy() == pytest.approx(merged["share"].to_numpy(), abs=1e-9)
    assert len(actual) == len(reference.credits) > 5 * 12


@pytest.mark.parametrize("model", MODELS)
def test_channel_totals_match_to_the_cent(
    marketing_build: BuildRun, reference: Attribution, model: str
) -> None:
    expected = reference.channel_totals(model)
    from_view = marketing_build.query(
        "select channel, cast(sum(credit_amount) * 100 as bigint) as cents from order_attribution "
        "where attribution_model = ? group by channel",
        [model],
    )
    from_mart = marketing_build.query(
        f"select channel, cast(sum(attributed_revenue_{model}) * 100 as bigint) as cents "
        f"from channel_performance where time_grain = 'day' group by channel "
        f"having sum(attributed_revenue_{model}) <> 0"
    )
    assert dict(zip(from_view["channel"], from_view["cents"], strict=True)) == expected
    assert dict(zip(from_mart["channel"], from_mart["cents"], strict=True)) == {
        channel: cents for channel, cents in expected.items() if cents
    }


@pytest.mark.parametrize("model", MODELS)
def test_credits_sum_to_each_order_and_to_total_revenue(
    marketing_build: BuildRun, orders: pd.DataFrame, model: str
) -> None:
    per_order = marketing_build.query(
        "select order_id::bigint as order_id, cast(sum(credit_amount) * 100 as bigint) as cents, "
        "sum(credit_share) as shares "
        "from order_attribution where attribution_model = ? group by order_id",
        [model],
    ).set_index("order_id")
    expected = orders.set_index("order_id")["amount_cents"]
    assert per_order["cents"].sort_index().to_dict() == expected.sort_index().to_dict()
    assert per_order["shares"].to_numpy() == pytest.approx(1.0, abs=1e-12)
    total = marketing_build.query(
        "select cast(sum(credit_amount) * 100 as bigint) as cents from order_attribution "
        "where attribution_model = ?",
        [model],
    ).cents[0]
    assert total == expected.sum() == 205_987


def test_hand_checked_cases(marketing_build: BuildRun) -> None:
    """A few credits worked out by hand, so the rules themselves (not only SQL = pandas) are pinned."""
    credits = marketing_build.query(
        "select order_id::bigint as order_id, attribution_model, touch_position, channel, campaign_id, "
        "cast(credit_amount as varchar) as credit_amount "
        "from order_attribution order by order_id, attribution_model, touch_position"
    )

    def of(order: int, model: str) -> list[tuple[str, str, Decimal]]:
        rows = credits[(credits.order_id == order) & (credits.attribution_model == model)]
        return list(zip(rows.channel, rows.campaign_id, rows.credit_amount.map(Decimal), strict=True))

    # 102, $250.01, touches 5 days before and on the order day: linear halves, the odd cent goes to the first
    # (cents through touch 1 = floor(25001 / 2 + 1/2) = 12501).
    assert of(5002, "linear") == [
        ("facebook_ads", "fb_prospecting", Decimal("125.01")),
        ("email", "em_newsletter", Decimal("125.00")),
    ]
    # time_decay: weights 2^(-5/7) = 0.60951 and 1, S(1) = 0.378693, floor(25001 x 0.378693 + 1/2) = 9468.
    assert [amount for *_, amount in of(5002, "time_decay")] == [Decimal("94.68"), Decimal("155.33")]
    # 103, $99.99: the touch 38 days before is out; the 3 left split 33.33 each (linear).
    assert of(5003, "linear") == [
        ("display", "dsp_awareness", Decimal("33.33")),
        ("google_ads", "gads_generic", Decimal("33.33")),
        ("email", "em_promo", Decimal("33.33")),
    ]
    # 104, $1,234.57, 6 touches: day 30 (03-31) counts, day 31 (03-30) does not; same-second ties by channel
    # (display before facebook_ads), then campaign (gads_brand before gads_generic); position_based 40% /
    # 5% x 4 / 40%: cents through = 49383, 55556, 61729 (61728.5 rounds up), 67901, 74074, 123457.
    assert of(5004, "position_based") == [
        ("display", "dsp_awareness", Decimal("493.83")),
        ("display", "dsp_awareness", Decimal("61.73")),
        ("facebook_ads", "fb_retargeting", Decimal("61.73")),
        ("google_ads", "gads_brand", Decimal("61.72")),
        ("google_ads", "gads_generic", Decimal("61.73")),
        ("email", "em_promo", Decimal("493.83")),
    ]
    # 105's orders share touches: the first sees 2, the second 3 (the duplicate e-mail counted once).
    assert [channel for channel, *_ in of(5005, "linear")] == ["google_ads", "facebook_ads"]
    assert [channel for channel, *_ in of(5006, "linear")] == ["google_ads", "facebook_ads", "email"]
    # 106 (never touched) and 107 (touched only in January): the whole amount to (none), in every model.
    for order, amount in ((5007, Decimal("75.25")), (5008, Decimal("33.33"))):
        for model in MODELS:
            assert of(order, model) == [(NONE, NONE, amount)]
    # 108's click at 2022-06-30T23:30-02:00 is 2022-07-01 01:30 UTC: on the order day, so last touch.
    assert of(5009, "last_touch")[-1] == ("google_ads", "gads_generic", Decimal("19.99"))
    # 110 written 0110, 110 and 110.0: one customer, 5 touches, one without a campaign.
    assert len(of(5012, "linear")) == 5
    assert ("organic_search", NONE, Decimal("24.69")) in of(5012, "linear")


def _spend_reference() -> pd.DataFrame:
    """Daily spend of the good files by pandas: parsed, lower-cased, exact duplicates dropped."""
    csv = pd.read_csv(FIXTURE / "ad_spend.csv", dtype=str, keep_default_na=False)
    lines = (FIXTURE / "ad_spend_email.jsonl").read_text().splitlines()
    jsonl = pd.DataFrame([json.loads(line) for line in lines]).astype(str)
    frame = pd.concat([csv, jsonl], ignore_index=True)
    spend = pd.DataFrame(
        {
            "date": pd.to_datetime(frame["date"]),
            "channel": frame["channel"].str.strip().str.lower(),
            "campaign_id": frame["campaign_id"].str.strip(),
            **{
                column: frame[column].str.replace(",", "").astype(float).astype(int)
                for column in ("impressions", "clicks", "conversions")
            },
            "spend": frame["spend"].str.replace(r"[$,]", "", regex=True).map(Decimal),
        }
    )
    return spend.drop_duplicates().reset_index(drop=True)


def _period(dates: pd.Series, grain: str) -> pd.Series:
    if grain == "day":
        return dates
    if grain == "week":
        return dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")
    return dates.dt.to_period("M").dt.to_timestamp()


def _ratio(numerator: float, denominator: float, scale: float = 1.0) -> float | None:
    return None if denominator == 0 else scale * numerator / denominator


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_spend_rollups_rates_and_attributed_revenue_match_pandas(
    marketing_build: BuildRun, reference: Attribution, grain: str
) -> None:
    spend = _spend_reference()
    spend["period"] = _period(spend["date"], grain)
    expected = spend.groupby(["period", "channel", "campaign_id"]).agg(
        impressions=("impressions", "sum"),
        clicks=("clicks", "sum"),
        conversions=("conversions", "sum"),
        spend=("spend", "sum"),
    )
    credits = reference.credits[reference.credits["model"] == "linear"].copy()
    credits["period"] = _period(credits["touch_date"], grain)
    revenue = credits.groupby(["period", "channel", "campaign_id"])["cents"].sum()
    actual = marketing_build.query(
        "select * from channel_performance where time_grain = ?", [grain]
    ).set_index(["period_start_date", "channel", "campaign_id"])
    actual.index = actual.index.set_levels(pd.to_datetime(actual.index.levels[0]), level=0)
    assert set(actual.index) == set(expected.index) | set(revenue.index)
    for key, row in actual.iterrows():
        sums = expected.loc[key] if key in expected.index else None
        impressions, clicks, conversions = (
            (0, 0, 0) if sums is None else (int(sums.impressions), int(sums.clicks), int(sums.conversions))
        )
        cost = Decimal(0) if sums is None else sums.spend
        assert (row.impressions, row.clicks, row.conversions) == (impressions, clicks, conversions), key
        assert _cents(row.spend) == int(cost * 100), key
        for column, value in (
            ("ctr", _ratio(clicks, impressions)),
            ("cpc", _ratio(float(cost), clicks)),
            ("cpm", _ratio(float(cost), impressions, 1000)),
            ("conversion_rate", _ratio(conversions, clicks)),
            ("cpa", _ratio(float(cost), conversions)),
        ):
            if value is None:
                assert pd.isna(row[column]), (key, column)
            else:
                assert float(row[column]) == pytest.approx(value, abs=0.006), (key, column)
        attributed = Decimal(int(revenue.get(key, 0))) / 100
        assert _cents(row.attributed_revenue_linear) == int(revenue.get(key, 0)), key
        if cost:
            assert row.roas_linear == pytest.approx(float(attributed / cost), abs=1e-4)
            assert row.roi_linear == pytest.approx(float((attributed - cost) / cost), abs=1e-4)
        else:
            assert pd.isna(row.roas_linear) and pd.isna(row.roi_linear)


EXPECTED_REJECTIONS = {
    "ad_spend_bad.csv": [
        "missing_date",
        "unparseable_date",
        "missing_channel",
        "missing_campaign_id",
        "missing_metric",
        "invalid_metric",
        "invalid_metric",
        "invalid_metric",
        "spend_out_of_range",
        "conflicting_duplicate_spend_row",
        "conflicting_duplicate_spend_row",
    ],
    "touchpoints_bad.csv": [
        "missing_event_time",
        "unparseable_event_time",
        "unparseable_event_time",
        "date_out_of_range",
        "missing_customer_id",
        "invalid_customer_id",
        "missing_channel",
        "invalid_channel",
        "invalid_campaign_id",
        "missing_event_type",
    ],
    "touchpoints_bad.jsonl": [
        "malformed_json_line",
        "malformed_json_line",
        "malformed_json_line",
        "missing_customer_id",
        "missing_channel",
    ],
}


def test_bad_marketing_rows_are_rejected_with_reasons(marketing_build: BuildRun) -> None:
    rejected = marketing_build.query("select * from stg_marketing_rejected")
    rejected["file"] = rejected["source_file"].map(lambda path: Path(path).name)
    actual = {name: sorted(group["rejection_reason"]) for name, group in rejected.groupby("file")}
    assert actual == {name: sorted(reasons) for name, reasons in EXPECTED_REJECTIONS.items()}
    assert rejected["rejection_description"].str.len().min() > 10
    # The format is the file's (the touch staging keeps it per file: stg_marketing__loaded_files).
    assert rejected["source_format"].tolist() == [name.rsplit(".", 1)[-1] for name in rejected["file"]]
    # The record as delivered: the JSON line itself, or the CSV fields as read.
    assert "not json" in set(rejected["raw_record"])
    # A CSV touch: its fields as read, untrimmed and unparsed (this file has no ad_id column: empty).
    assert (
        "event_time=01/03/2022, customer_id=101, channel=google_ads, campaign_id=gads_brand, "
        "event_type=click, ad_id="
    ) in set(rejected["raw_record"])
    assert rejected["raw_record"].str.contains('spend="12,50"|spend=12,50', regex=True).any()
    reconciliation = marketing_build.query("select * from stg_marketing_reconciliation order by source_kind")
    assert reconciliation["is_reconciled"].all()
    assert reconciliation[
        ["raw_row_count", "clean_row_count", "rejected_row_count", "collapsed_duplicate_count"]
    ].values.tolist() == [[26, 14, 11, 1], [45, 29, 15, 1]]
    # The raw side counted from the files themselves (CSV data rows, non-blank JSON lines), not from staging,
    # which stg_marketing__loaded_files now counts: a record staging dropped would show here.
    assert reconciliation["raw_row_count"].tolist() == [
        _records_in_files(kind) for kind in ("ad_spend", "touchpoints")
    ]


def _records_in_files(kind: str) -> int:
    csv_rows = sum(
        len(pd.read_csv(path, dtype=str, keep_default_na=False)) for path in FIXTURE.glob(f"{kind}*.csv")
    )
    json_lines = sum(
        1
        for path in FIXTURE.glob(f"{kind}*.jsonl")
        for line in path.read_text("utf-8").splitlines()
        if line.strip()
    )
    return csv_rows + json_lines


def test_customer_acquisition_matches_pandas(
    marketing_build: BuildRun, reference: Attribution, orders: pd.DataFrame
) -> None:
    last = reference.credits[reference.credits["model"] == "last_touch"]
    last = last[last["cents"] > 0].merge(orders[["order_id", "customer_id", "order_date"]], on="order_id")
    first_day = last.loc[last.groupby("customer_id")["order_date"].idxmin()].set_index("customer_id")
    latest_day = last.loc[last.groupby("customer_id")["order_date"].idxmax()].set_index("customer_id")
    actual = marketing_build.query(
        "select cast(customer_id as varchar) as customer_id, acquisition_channel, acquisition_campaign_id, "
        "acquisition_month, last_touch_channel from customer_acquisition"
    ).set_index("customer_id")
    assert sorted(actual.index) == sorted(orders["customer_id"].unique())
    assert actual["acquisition_channel"].to_dict() == first_day["channel"].to_dict()
    assert actual["acquisition_campaign_id"].to_dict() == first_day["campaign_id"].to_dict()
    assert actual["last_touch_channel"].to_dict() == latest_day["channel"].to_dict()
    assert actual.loc["104", "acquisition_channel"] == "email"
    assert actual.loc["106", "acquisition_channel"] == NONE


def test_unit_economics_match_pandas(marketing_build: BuildRun, orders: pd.DataFrame) -> None:
    acquisition = marketing_build.query(
        "select cast(customer_id as varchar) as customer_id, acquisition_channel, acquisition_month "
        "from customer_acquisition"
    )
    spend = _spend_reference()
    spend["month"] = spend["date"].dt.to_period("M").dt.to_timestamp()
    monthly_spend = spend.groupby(["channel", "month"])["spend"].sum()
    revenue = orders.groupby("customer_id")["amount_cents"].sum() / 100
    acquisition["value"] = acquisition["customer_id"].map(revenue)
    acquisition["month"] = pd.to_datetime(acquisition["acquisition_month"])
    cohorts = acquisition.groupby(["acquisition_channel", "month"]).agg(
        new_customers=("customer_id", "count"), value=("value", "mean")
    )
    actual = marketing_build.query("select * from channel_unit_economics")
    actual["month"] = pd.to_datetime(actual["acquisition_month"])
    actual = actual.set_index(["acquisition_channel", "month"])
    assert set(actual.index) == set(cohorts.index) | set(monthly_spend.index)
    # Ten customers cannot fit a CLV model: the value is revenue to date, and says so.
    assert set(actual["value_basis"].dropna()) == {"historical_revenue"}
    for key, row in actual.iterrows():
        new = int(cohorts["new_customers"].get(key, 0))
        cost = monthly_spend.get(key, Decimal(0))
        assert (row.new_customers, _cents(row.spend)) == (new, int(cost * 100)), key
        cac = _ratio(float(cost), new)
        assert pd.isna(row.cac) if cac is None else float(row.cac) == pytest.approx(cac, abs=0.006), key
        value = cohorts["value"].get(key)
        if value is None or not cac:
            assert pd.isna(row.ltv_to_cac), key
        else:
            assert row.ltv_to_cac == pytest.approx(value / cac, rel=1e-3), key
    # google_ads 2022-03: one customer (101, $100.00) against $1,120.50 of March spend; never paid back.
    google = actual.loc[("google_ads", pd.Timestamp("2022-03-01"))]
    assert (google.new_customers, _cents(google.spend), _cents(google.cac)) == (1, 112_050, 112_050)
    assert pd.isna(google.payback_months)
    # email 2022-04: 104's first order ($1,234.57) covers April's $2.40 in the acquisition month itself.
    assert actual.loc[("email", pd.Timestamp("2022-04-01"))].payback_months == 0


def test_channel_lift_matches_pandas(marketing_build: BuildRun, orders: pd.DataFrame) -> None:
    touches = read_touches(FIXTURE)
    revenue = orders.groupby("customer_id")["amount_cents"].sum() / 100
    people = pd.DataFrame({"customer_id": sorted(touches["customer_id"].unique())})
    people["converted"] = people["customer_id"].isin(revenue.index).astype(float)
    people["revenue"] = people["customer_id"].map(revenue).fillna(0.0)
    actual = marketing_build.query("select * from channel_lift").set_index("channel")
    assert set(actual.index) == set(touches["channel"])
    for channel, row in actual.iterrows():
        exposed = people["customer_id"].isin(touches.loc[touches["channel"] == channel, "customer_id"])
        a, b = people[exposed], people[~exposed]
        assert (row.exposed_people, row.unexposed_people) == (len(a), len(b))
        difference = a["converted"].mean() - b["converted"].mean()
        error = math.sqrt(a["converted"].var(ddof=0) / len(a) + b["converted"].var(ddof=0) / len(b))
        assert row.conversion_rate_difference == pytest.approx(difference, abs=1e-6)
        assert row.conversion_rate_difference_low == pytest.approx(difference - 1.96 * error, abs=1e-6)
        mean_difference = a["revenue"].mean() - b["revenue"].mean()
        assert float(row.revenue_per_person_difference) == pytest.approx(mean_difference, abs=0.006)
        # Welch's standard error needs two people in each group; otherwise the interval is unknown (null).
        if min(len(a), len(b)) < 2:
            assert pd.isna(row.revenue_per_person_difference_high)
            continue
        welch = math.sqrt(a["revenue"].var(ddof=1) / len(a) + b["revenue"].var(ddof=1) / len(b))
        assert float(row.revenue_per_person_difference_high) == pytest.approx(
            mean_difference + 1.96 * welch, abs=0.006
        )
        assert row.interpretation.startswith("Observational, not causal")


def test_marketing_insights(marketing_build: BuildRun, reference: Attribution, orders: pd.DataFrame) -> None:
    insights = marketing_build.query(
        "select * from business_insights where display_order > 100 order by display_order"
    ).set_index("insight_key")
    untouched = reference.channel_totals("linear")[NONE] / orders["amount_cents"].sum()
    assert insights.loc["untouched_revenue_share", "metric_value"] == pytest.approx(untouched)
    for key in ("best_roas_channel", "worst_roas_channel"):
        assert "linear attribution" in insights.loc[key, "headline"]
    assert (
        insights.loc["best_roas_channel", "metric_value"]
        >= insights.loc["worst_roas_channel", "metric_value"]
    )
    below = marketing_build.query(
        "select acquisition_channel, count(*) as cohorts from channel_unit_economics where ltv_to_cac < 1 "
        "group by 1"
    )
    for row in below.itertuples():
        assert insights.loc[f"ltv_to_cac_below_1_{row.acquisition_channel}", "metric_value"] == row.cohorts
    printed = marketing_build.output.split("key insights:")[1]
    assert "Revenue with no marketing touch:" in printed and "Best ROAS:" in printed


def test_build_without_marketing_files_is_unchanged(
    marketing_build: BuildRun, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The same sales without --marketing-dir: every sales table is identical, the marketing marts exist and
    are empty, no marketing insight, and campaign_targets' channel columns are null."""
    plain = build_warehouse(FIXTURE / "sales.csv", tmp_path_factory.mktemp("no_marketing") / "data")
    assert plain.exit_code == 0, plain.output
    summary = plain.output.split("key insights:")[0]
    assert "marketing from" not in summary and "ad spend" not in summary and "touches" not in summary
    for table in (
        "fact_sales",
        "dim_customer",
        "monthly_metrics",
        "cohort_retention",
        "customer_ltv",
        "customer_segments",
    ):
        pd.testing.assert_frame_equal(
            plain.query(f"select * from {table} order by all"),
            marketing_build.query(f"select * from {table} order by all"),
            obj=table,
        )
    targets = plain.query("select * from campaign_targets order by all")
    assert targets["acquisition_channel"].isna().all() and targets["last_touch_channel"].isna().all()
    columns = [name for name in targets.columns if name not in {"acquisition_channel", "last_touch_channel"}]
    pd.testing.assert_frame_equal(
        targets[columns],
        marketing_build.query(f"select {', '.join(columns)} from campaign_targets order by all")[columns],
    )
    insights = plain.query("select * from business_insights order by display_order")
    # Marketing insights are numbered from 101; 100 is the CLV backtest's.
    assert insights["display_order"].max() <= 100
    pd.testing.assert_frame_equal(
        insights,
        marketing_build.query(
            "select * from business_insights where display_order <= 100 order by display_order"
        ),
    )
    for table in (
        "fact_ad_spend",
        "fact_touchpoints",
        "int_order_touches",
        "order_attribution",
        "channel_performance",
        "customer_acquisition",
        "channel_unit_economics",
        "channel_lift",
        "marketing_insights",
        "stg_marketing_rejected",
        "stg_marketing__loaded_files",
    ):
        assert plain.query(f"select count(*) as n from {table}").n[0] == 0, table
    assert plain.query("select sum(raw_row_count) as n from stg_marketing_reconciliation").n[0] == 0


def test_marketing_dir_problems_are_one_line_before_dbt(tmp_path: Path) -> None:
    sales = FIXTURE / "sales.csv"
    missing = build_warehouse(sales, tmp_path / "a", marketing_dir=tmp_path / "nowhere")
    assert missing.exit_code == 2
    assert (
        missing.output.splitlines()[0]
        == f"error: --marketing-dir {tmp_path / 'nowhere'}: directory not found"
    )
    folder = tmp_path / "marketing"
    folder.mkdir()
    (folder / "touchpoints.csv").write_text(
        "when,customer_id,channel,campaign_id,event_type\n2022-01-01,1,x,y,z\n"
    )
    wrong = build_warehouse(sales, tmp_path / "b", marketing_dir=folder)
    assert wrong.exit_code == 2
    assert wrong.output.splitlines()[0].startswith(
        f"error: {folder / 'touchpoints.csv'}: wrong columns for touchpoints: missing 'event_time'"
    )
    (folder / "touchpoints.csv").write_text("")
    empty = build_warehouse(sales, tmp_path / "c", marketing_dir=folder)
    assert empty.exit_code == 2 and "the file is empty" in empty.output.splitlines()[0]
    assert not (tmp_path / "c" / "warehouse.duckdb").exists()


def test_the_bundled_sample_reads_its_marketing_files_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from salesdw.cli import main
    from salesdw.paths import DEFAULT_MARKETING_DIR
    from salesdw.pipeline.build import BuildRequest

    requests: list[BuildRequest] = []
    monkeypatch.setattr(
        "salesdw.commands.build.run_build", lambda request, workspace: requests.append(request) or 0
    )
    main(["--data-dir", str(tmp_path), "build"])
    main(["--data-dir", str(tmp_path), "build", str(FIXTURE / "sales.csv")])
    main(["--data-dir", str(tmp_path), "build", str(FIXTURE / "sales.csv"), "--marketing-dir", str(FIXTURE)])
    assert [request.marketing_dir for request in requests] == [DEFAULT_MARKETING_DIR, None, FIXTURE]


def test_text_and_integer_customer_ids_of_touches_come_back_as_written(tmp_path: Path) -> None:
    # Staging and int_order_touches write the text of non-integer ids only (an integer id is its key's
    # digits); fact_touchpoints and the marts must still show every id as the sales file's canonical text.
    sales = tmp_path / "sales.csv"
    sales.write_text(
        "Unnamed: 0,Date,Customer ID,Order ID,Sales\n"
        "0,2022-03-10,C-1001,1,100.00\n"
        "1,2022-03-11,0042,2,50.00\n"
        "2,2022-03-12,c-1001,A-3,20.00\n"
        "3,2022-03-13,-7,4,10.00\n"
    )
    folder = tmp_path / "marketing"
    folder.mkdir()
    (folder / "touchpoints.csv").write_text(
        "event_time,customer_id,channel,campaign_id,event_type\n"
        "2022-03-09 10:00:00, C-1001 ,email,em_1,click\n"
        "2022-03-10 09:00:00,42.0,display,dsp_1,impression\n"
        "2022-03-11 08:00:00,c-1001,google_ads,g_1,click\n"
        "2022-03-12 08:00:00,-7,display,dsp_1,click\n"
        "2022-03-13 08:00:00,prospect@example.com,email,em_1,email_open\n"
    )
    run = build_warehouse(sales, tmp_path / "w", marketing_dir=folder)
    assert run.exit_code == 0, run.output
    touches = run.query("select customer_id, channel from fact_touchpoints order by event_time")
    assert touches.customer_id.tolist() == ["C-1001", "42", "c-1001", "-7", "prospect@example.com"]
    acquired = run.query(
        "select customer_id, acquisition_channel from customer_acquisition order by customer_id"
    )
    assert dict(zip(acquired.customer_id, acquired.acquisition_channel, strict=True)) == {
        "-7": "display",
        "42": "display",
        "C-1001": "email",
        "c-1001": "google_ads",
    }
    credited = run.query(
        "select order_id, customer_id, channel from order_attribution"
        " where attribution_model = 'last_touch' order by order_date"
    )
    assert credited.order_id.tolist() == ["1", "2", "A-3", "4"]
    assert credited.customer_id.tolist() == ["C-1001", "42", "c-1001", "-7"]
    assert credited.channel.tolist() == ["email", "display", "google_ads", "display"]
    stored = run.query(
        "select count(customer_id) as with_text, count(*) as touches from stg_touchpoints__validated"
    )
    # The four text ids keep their text; the integer id 42 is read back from its key.
    assert stored.with_text[0] == 4 and stored.touches[0] == 5
