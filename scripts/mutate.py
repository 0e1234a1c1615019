"""Mutation check of the test suite: put one small, plausible bug into the business layer, the export or a
seed, run the tests, and see whether they fail ("killed") or pass ("survived"). Not part of CI (a full run
takes an hour or more: every survivor runs the whole suite).

    python scripts/mutate.py                     # every mutant, against the working tree's tests
    python scripts/mutate.py --list              # the mutants
    python scripts/mutate.py --only ltv-annual-366,export-value-asc
    python scripts/mutate.py --tests-from main   # the same mutants against another commit's tests/
    python scripts/mutate.py --report mutants.md # also write the result table to a file

Each mutant is a file and exact text edits (old -> new; each old text must occur exactly once). The repository
is copied once (tracked and untracked files, .gitignore respected) to a temporary directory; mutants are
applied there one at a time and undone, and the copy is deleted at the end, on Ctrl-C and on `kill`: the
working tree is never written. Tests run in two stages with -x, so a kill is fast: first the test files
most likely to fail (FIRST), then the rest of tests/. Exit code 0 when every mutant was killed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
# Stage one: the test files that read the business layer, the export and the README (most kills happen here,
# within a minute or two). Stage two: the rest of tests/, which builds warehouses but reads other layers.
FIRST = (
    "tests/test_figures.py",
    "tests/test_readme.py",
    "tests/test_rule_docs.py",
    "tests/test_dbt_unit_tests.py",
    "tests/test_export.py",
    "tests/test_business.py",
    "tests/test_warehouse.py",
    "tests/test_clv.py",
)
PYTEST = (sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider")
TIMEOUT_SECONDS = 1800


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    edits: tuple[tuple[str, str], ...]
    bug: str  # what a user would see


def mutant(name: str, path: str, old: str, new: str, bug: str) -> Mutant:
    return Mutant(name, path, ((old, new),), bug)


LTV = "models/business/int_customer_ltv.sql"
LTV_VIEW = "models/business/customer_ltv.sql"
SEGMENTS = "models/business/customer_segments.sql"
TARGETS = "models/business/campaign_targets.sql"
INT_TARGETS = "models/business/int_campaign_targets.sql"
INSIGHTS = "models/business/business_insights.sql"
MONTHLY = "models/business/monthly_metrics.sql"
COHORTS = "models/business/cohort_retention.sql"
EXPORT = "salesdw/outputs/export.py"
RULES = "seeds/business_rules.csv"

MUTANTS: tuple[Mutant, ...] = (
    # The eight of issue 16.
    mutant(
        "ltv-annual-366", LTV, "order_count * 365.0", "order_count * 366.0", "annual order rate off by a day"
    ),
    mutant(
        "ltv-12m-ignores-churn",
        LTV,
        "net_average_order_value * (1 - churn_risk_score / 100.0::double) as ltv_12m_estimate_value",
        "net_average_order_value as ltv_12m_estimate_value",
        "overstated 12-month LTV",
    ),
    mutant(
        "monthly-complete-lt",
        MONTHLY,
        "last_day(calendar.month_start_date) <= analysis_date.as_of_date",
        "last_day(calendar.month_start_date) < analysis_date.as_of_date",
        "the last complete month shown as partial",
    ),
    mutant(
        "insights-best-cohort-asc",
        INSIGHTS,
        "order by retention_rate desc, cohort_month",
        "order by retention_rate asc, cohort_month",
        "the best cohort insight names the worst",
    ),
    mutant(
        "insights-stake-ignores-churn",
        INSIGHTS,
        "sum({{ money('segments.projected_12m_value * segments.churn_risk_score / 100.0::double') }})",
        "sum({{ money('segments.projected_12m_value') }})",
        "value at stake overstated",
    ),
    mutant(
        "targets-rank-swapped",
        INT_TARGETS,
        "when 'High' then 1 when 'Medium' then 2 else 3",
        "when 'High' then 1 when 'Medium' then 3 else 2",
        "Low sorted before Medium",
    ),
    mutant(
        "export-value-asc",
        EXPORT,
        "estimated_campaign_value desc",
        "estimated_campaign_value",
        "least valuable customers first in the file",
    ),
    mutant(
        "seed-priority-high-090",
        RULES,
        "priority_high_min_value_percentile,0.80",
        "priority_high_min_value_percentile,0.90",
        "customers get another priority, unnoticed",
    ),
    # customer_ltv: constants, comparisons, formulas.
    mutant(
        "ltv-min-tenure-plus-one",
        LTV,
        "greatest(tenure_days, projection_min_tenure_days)",
        "greatest(tenure_days + 1, projection_min_tenure_days)",
        "old customers' annual rate off by a day",
    ),
    mutant(
        "ltv-gap-floor-half",
        LTV,
        "greatest(\n            1.0,",
        "greatest(\n            0.5,",
        "same-day repeat buyers' usual gap halved",
    ),
    mutant(
        "ltv-population-gap-mean",
        LTV,
        "median({{ dbt.datediff('customers.first_order_date'",
        "avg({{ dbt.datediff('customers.first_order_date'",
        "one-time buyers judged by the mean gap",
    ),
    mutant(
        "ltv-trend-sign",
        LTV,
        "0.5 - coalesce(order_value_trend, 0) / 2",
        "0.5 + coalesce(order_value_trend, 0) / 2",
        "a rising order value counted as risk",
    ),
    mutant(
        "ltv-half-life",
        LTV,
        "1 - pow(0.5, recency_ratio)",
        "1 - pow(0.6, recency_ratio)",
        "recency risk off",
    ),
    mutant(
        "ltv-band-gt",
        LTV_VIEW,
        "when customers.churn_risk_score >= rules.churn_band_high_min_score then 'High'",
        "when customers.churn_risk_score > rules.churn_band_high_min_score then 'High'",
        "a score of exactly 70 banded Medium",
    ),
    mutant(
        "ltv-basis-swapped",
        "macros/scores.sql",
        "when {{ ltv_basis }} = 'predicted_clv' then coalesce({{ predicted_clv }}, 0)",
        "when {{ ltv_basis }} = 'historical_revenue' then coalesce({{ predicted_clv }}, 0)",
        "customers ranked by the other LTV",
    ),
    mutant(
        "ltv-earlier-average",
        LTV,
        "/ (customers.order_count - 1)\n        end as earlier_average_order_value",
        "/ customers.order_count\n        end as earlier_average_order_value",
        "order value trend off",
    ),
    mutant(
        "ltv-projection-last-order",
        LTV,
        "annual_order_rate * net_average_order_value as projected_12m_value_if_retained",
        "annual_order_rate * last_order_amount as projected_12m_value_if_retained",
        "projection from the last order, not the average",
    ),
    mutant(
        "ltv-historical-percentile-by-clv",
        LTV,
        "1 - {{ ranked_cume_dist('monetary_ranks', 'desc') }} as historical_ltv_percentile",
        "1 - {{ ranked_cume_dist('ltv_ranks', 'desc') }} as historical_ltv_percentile",
        "revenue concentration measured on predicted CLV",
    ),
    mutant(
        "ltv-net-aov-not-clipped",
        LTV,
        "{{ money('cast(greatest(customers.net_revenue, 0) as double) / customers.order_count') }}",
        "{{ money('cast(customers.net_revenue as double) / customers.order_count') }}",
        "a customer who returned more than they bought projected below zero",
    ),
    mutant(
        "ltv-monetary-gross",
        LTV_VIEW,
        "    customers.net_revenue as monetary_total,",
        "    customers.gross_revenue as monetary_total,",
        "monetary value ignores returns",
    ),
    # customer_segments.
    mutant(
        "seg-lost-gt",
        SEGMENTS,
        "customers.recency_days >= rules.lost_min_days_since_last_order",
        "customers.recency_days > rules.lost_min_days_since_last_order",
        "a customer gone exactly 365 days not Lost",
    ),
    mutant(
        "seg-new-lt",
        SEGMENTS,
        "customers.tenure_days <= rules.new_max_days_since_first_order",
        "customers.tenure_days < rules.new_max_days_since_first_order",
        "a 90-day-old customer not New",
    ),
    mutant(
        "seg-high-value-recency-lt",
        SEGMENTS,
        "customers.recency_days <= rules.high_value_max_days_since_last_order",
        "customers.recency_days < rules.high_value_max_days_since_last_order",
        "High Value boundary off by a day",
    ),
    mutant(
        "seg-at-risk-score-gt",
        SEGMENTS,
        "customers.churn_risk_score >= rules.at_risk_min_churn_risk_score",
        "customers.churn_risk_score > rules.at_risk_min_churn_risk_score",
        "a score of exactly 70 not At Risk",
    ),
    mutant(
        "seg-p-alive-le",
        SEGMENTS,
        "customers.p_alive < rules.at_risk_max_p_alive",
        "customers.p_alive <= rules.at_risk_max_p_alive",
        "P(alive) of exactly 0.30 At Risk",
    ),
    mutant(
        "seg-p-alive-ignored",
        SEGMENTS,
        "or coalesce(customers.p_alive < rules.at_risk_max_p_alive, false) as is_at_risk",
        "or false as is_at_risk",
        "the model-based At Risk rule dropped",
    ),
    mutant(
        "seg-last-rule-wins",
        SEGMENTS,
        "least(\n            case when is_lost",
        "greatest(\n            case when is_lost",
        "the last matching rule decides the segment",
    ),
    mutant(
        "seg-reason-lost-tenure",
        SEGMENTS,
        "when 'Lost' then 'no order for ' || recency_days::string",
        "when 'Lost' then 'no order for ' || tenure_days::string",
        "the Lost reason quotes the wrong number",
    ),
    # campaign_targets.
    mutant(
        "targets-min-percentile-gt",
        INT_TARGETS,
        "segments.ltv_percentile >= campaigns.min_value_percentile",
        "segments.ltv_percentile > campaigns.min_value_percentile",
        "customers at the campaign's minimum percentile left out",
    ),
    mutant(
        "targets-min-orders-gt",
        INT_TARGETS,
        "segments.frequency >= campaigns.min_orders",
        "segments.frequency > campaigns.min_orders",
        "customers with the minimum order count left out",
    ),
    mutant(
        "targets-max-churn-lt",
        INT_TARGETS,
        "segments.churn_risk_score <= campaigns.max_churn_risk_score",
        "segments.churn_risk_score < campaigns.max_churn_risk_score",
        "customers at the maximum churn score left out",
    ),
    mutant(
        "targets-high-or",
        INT_TARGETS,
        "eligible.churn_risk_score >= rules.priority_high_min_churn_risk_score\n                    and",
        "eligible.churn_risk_score >= rules.priority_high_min_churn_risk_score\n                    or",
        "every risky customer High priority",
    ),
    mutant(
        "targets-medium-and",
        INT_TARGETS,
        "or eligible.churn_risk_score >= rules.priority_medium_min_churn_risk_score",
        "and eligible.churn_risk_score >= rules.priority_medium_min_churn_risk_score",
        "Medium priority needs both conditions",
    ),
    mutant(
        "targets-value-ignores-response",
        INT_TARGETS,
        "{{ money('expected_response_rate * projected_12m_value') }}",
        "{{ money('projected_12m_value') }}",
        "campaign value ignores the response rate",
    ),
    mutant(
        "targets-reason-orders",
        TARGETS,
        "|| order_count::string || ' order(s), '",
        "|| recency_days::string || ' order(s), '",
        "the target reason quotes the wrong order count",
    ),
    # business_insights.
    mutant(
        "insights-worst-cohort-desc",
        INSIGHTS,
        "order by retention_rate asc, cohort_month",
        "order by retention_rate desc, cohort_month",
        "the worst cohort insight names the best",
    ),
    mutant(
        "insights-best-cohort-tie-latest",
        INSIGHTS,
        "order by retention_rate desc, cohort_month\n",
        "order by retention_rate desc, cohort_month desc\n",
        "a tie for best cohort names the later one",
    ),
    mutant(
        "insights-cohort-incomplete-month",
        INSIGHTS,
        "and months.is_complete_month\n",
        "\n",
        "a cohort judged on a partial month",
    ),
    mutant(
        "insights-min-cohort-gt",
        INSIGHTS,
        "cohorts.cohort_size >= rules.insight_min_cohort_size",
        "cohorts.cohort_size > rules.insight_min_cohort_size",
        "a cohort of exactly the minimum size left out",
    ),
    mutant(
        "insights-latest-partial-month",
        INSIGHTS,
        "    from months\n    where is_complete_month\n",
        "    from months\n",
        "a partial month reads as a collapse",
    ),
    mutant(
        "insights-one-time-severity",
        INSIGHTS,
        "when one_time_share > rules.insight_one_time_share_warning then 'warning' else 'info' end",
        "when one_time_share < rules.insight_one_time_share_warning then 'warning' else 'info' end",
        "one-time-buyer warning inverted",
    ),
    mutant(
        "insights-concentration-gt",
        INSIGHTS,
        "filter (where historical_ltv_percentile >= 1 - rules.high_value_top_share)",
        "filter (where historical_ltv_percentile > 1 - rules.high_value_top_share)",
        "the top 20% loses its boundary customer",
    ),
    mutant(
        "insights-decline-inverted",
        INSIGHTS,
        "when revenue = 0 or revenue_growth < rules.insight_revenue_decline_warning then 'warning'",
        "when revenue = 0 or revenue_growth > rules.insight_revenue_decline_warning then 'warning'",
        "growth reads as a warning, decline as fine",
    ),
    mutant(
        "insights-empty-month-info",
        INSIGHTS,
        "when revenue = 0 or revenue_growth < rules.insight_revenue_decline_warning then 'warning'",
        "when revenue_growth < rules.insight_revenue_decline_warning then 'warning'",
        "a month without orders reads as fine",
    ),
    mutant(
        "insights-high-priority-count",
        INSIGHTS,
        "filter (where targets.priority = 'High')",
        "filter (where targets.priority = 'Medium')",
        "the campaign insight counts Medium as high priority",
    ),
    mutant(
        "insights-campaigns-ascending",
        INSIGHTS,
        "row_number() over (order by estimated_value desc, campaign_type)",
        "row_number() over (order by estimated_value asc, campaign_type)",
        "the least valuable campaign listed first",
    ),
    mutant(
        "insights-at-risk-top-gt",
        INSIGHTS,
        "and segments.ltv_percentile >= 1 - rules.high_value_top_share",
        "and segments.ltv_percentile > 1 - rules.high_value_top_share",
        "the high-value-at-risk count loses its boundary customer",
    ),
    mutant(
        "insights-backtest-severity",
        INSIGHTS,
        "case when clv_backtest.model_beats_naive = false then 'warning' else 'info' end",
        "case when clv_backtest.model_beats_naive = true then 'warning' else 'info' end",
        "a CLV model that beats the baseline flagged, one that loses to it not",
    ),
    # monthly_metrics and cohort_retention.
    mutant(
        "monthly-revenue-per-order",
        MONTHLY,
        "{{ money(safe_ratio('revenue', 'active_customers')) }} as revenue_per_customer",
        "{{ money(safe_ratio('revenue', 'orders')) }} as revenue_per_customer",
        "revenue per customer is revenue per order",
    ),
    mutant(
        "monthly-growth-of-new-customers",
        MONTHLY,
        "lag(active_customers) over (order by month_start_date) as previous_active_customers",
        "lag(new_customers) over (order by month_start_date) as previous_active_customers",
        "active customer growth against last month's new customers",
    ),
    mutant(
        "monthly-range-lt",
        MONTHLY,
        "where calendar.month_start_date <= analysis_date.as_of_date",
        "where calendar.month_start_date < analysis_date.as_of_date",
        "the analysis month missing when the analysis date is its first day",
    ),
    mutant(
        "monthly-net-plus-returns",
        MONTHLY,
        "{{ money('revenue - returned_amount') }} as net_revenue",
        "{{ money('revenue + returned_amount') }} as net_revenue",
        "returns added to the month's net revenue",
    ),
    mutant(
        "cohorts-orders-not-customers",
        COHORTS,
        "count(distinct customer_key) as active_customers",
        "count(*) as active_customers",
        "retention counts orders",
    ),
    # The export.
    mutant(
        "export-rank-desc",
        EXPORT,
        '"campaign_type, priority_rank, estimated_campaign_value desc, customer_key"',
        '"campaign_type, priority_rank desc, estimated_campaign_value desc, customer_key"',
        "Low priority first in the file",
    ),
    mutant(
        "export-min-value-gt",
        EXPORT,
        'Filter("min_value", "--min-value", "estimated_campaign_value", "minimum", operator=">=")',
        'Filter("min_value", "--min-value", "estimated_campaign_value", "minimum", operator=">")',
        "--min-value 25 leaves out customers worth exactly 25",
    ),
    mutant(
        "export-p-alive-2-decimals",
        EXPORT,
        'OptionalColumn("p_alive", "round(p_alive, 4) as p_alive")',
        'OptionalColumn("p_alive", "round(p_alive, 2) as p_alive")',
        "P(alive) exported to 2 decimals",
    ),
    mutant(
        "export-case-sensitive",
        EXPORT,
        "if value.casefold() == given.strip().casefold():",
        "if value == given.strip():",
        "--priority high is an error",
    ),
    # Seeds: rule values. A changed rule is not a bug, but it must not go unnoticed: the README's figures
    # and the segment catalog's quoted values change with it.
    mutant(
        "seed-lost-366",
        RULES,
        "lost_min_days_since_last_order,365",
        "lost_min_days_since_last_order,366",
        "Lost from 366 days while the docs say 365",
    ),
    mutant(
        "seed-churn-weight",
        RULES,
        "churn_weight_recency,0.60",
        "churn_weight_recency,0.50",
        "churn scores shift",
    ),
    mutant(
        "seed-min-cohort-20",
        RULES,
        "insight_min_cohort_size,30",
        "insight_min_cohort_size,20",
        "smaller cohorts compete for best/worst",
    ),
    mutant(
        "seed-p-alive-050",
        RULES,
        "at_risk_max_p_alive,0.30",
        "at_risk_max_p_alive,0.50",
        "recent repeat buyers flagged At Risk",
    ),
    mutant(
        "seed-retention-response",
        "seeds/campaigns.csv",
        "Retention,At Risk,0.00,1,100,0.15",
        "Retention,At Risk,0.00,1,100,0.20",
        "Retention value overstated",
    ),
    Mutant(
        "seed-catalog-at-risk-first",
        "seeds/customer_segments_catalog.csv",
        (('High Value,3,"', 'High Value,4,"'), ('At Risk,4,"', 'At Risk,3,"')),
        "At Risk decided before High Value",
    ),
)


@dataclass
class Result:
    mutant: Mutant
    outcome: str  # killed, survived, error, not applicable
    seconds: float
    detail: str


def repository_files(root: Path) -> list[str]:
    """Tracked and untracked files (not ignored): the working tree as a fresh clone plus local edits."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (root / name).is_file()]


def copy_repository(root: Path, scratch: Path, tests_from: str | None) -> None:
    for name in repository_files(root):
        target = scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
    if tests_from:
        shutil.rmtree(scratch / "tests")
        archive = subprocess.run(
            ["git", "archive", "--format=tar", tests_from, "tests"], cwd=root, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive, check=True)


def apply(scratch: Path, item: Mutant) -> str | None:
    """Writes the mutated file; returns the original text, or None when an old text is not there once."""
    path = scratch / item.path
    original = path.read_text(encoding="utf-8")
    text = original
    for old, new in item.edits:
        if text.count(old) != 1:
            return None
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return original


def run_stage(scratch: Path, args: list[str], log: Path) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(scratch), "SALESDW_DATA_DIR": str(scratch / "data")}
    env.pop("SALESDW_TARGET_DIR", None)
    with log.open("w") as out:
        process = subprocess.Popen(
            [*PYTEST, *args],
            cwd=scratch,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = process.wait(timeout=TIMEOUT_SECONDS)
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
    text = log.read_text(errors="replace")
    # The test id without pytest-xdist's "@group" suffix (tests/conftest.py groups every test by file).
    failed = re.findall(r"^(?:FAILED|ERROR) ([^\s@]+)", text, flags=re.MULTILINE)
    return code, failed[0] if failed else text.strip().splitlines()[-1] if text.strip() else ""


def run_tests(scratch: Path, log: Path, stage_one_only: bool = False) -> tuple[str, str]:
    first = [name for name in FIRST if (scratch / name).exists()]
    stages = [first, ["tests", *(f"--ignore={name}" for name in first)]] if first else [["tests"]]
    if stage_one_only:
        stages = stages[:1]
    for stage in stages:
        code, detail = run_stage(scratch, stage, log)
        if code == 1:
            return "killed", detail
        if code != 0:
            return "error", f"pytest exit {code}: {detail}"
    return "survived", ""


def run(
    mutants: list[Mutant], tests_from: str | None, stage_one_only: bool = False, echo=print
) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="salesdw-mutate-") as folder:
        scratch = Path(folder) / "repo"
        copy_repository(ROOT, scratch, tests_from)
        log = Path(folder) / "pytest.log"
        for number, item in enumerate(mutants, start=1):
            start = time.monotonic()
            original = apply(scratch, item)
            if original is None:
                results.append(Result(item, "not applicable", 0.0, "old text not found exactly once"))
            else:
                try:
                    outcome, detail = run_tests(scratch, log, stage_one_only)
                finally:
                    (scratch / item.path).write_text(original, encoding="utf-8")
                results.append(Result(item, outcome, time.monotonic() - start, detail))
            last = results[-1]
            echo(
                f"[{number}/{len(mutants)}] {item.name}: {last.outcome} ({last.seconds:.0f} s) {last.detail}",
                flush=True,
            )
    return results


def table(results: list[Result]) -> str:
    lines = ["| mutant | file | what the user sees | outcome | first failing test |", "|---|---|---|---|---|"]
    for result in results:
        item = result.mutant
        lines.append(f"| `{item.name}` | {item.path} | {item.bug} | {result.outcome} | {result.detail} |")
    killed = sum(result.outcome == "killed" for result in results)
    counted = sum(result.outcome in {"killed", "survived"} for result in results)
    lines.append("")
    lines.append(f"Killed {killed} of {counted} ({killed / max(counted, 1):.0%}).")
    return "\n".join(lines)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # so the temporary copy is removed on `kill` too


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--list", action="store_true", help="print the mutants and exit")
    parser.add_argument("--only", help="comma-separated mutant names")
    parser.add_argument("--tests-from", help="git revision whose tests/ to run instead of the working tree's")
    parser.add_argument("--report", type=Path, help="also write the result table (markdown) to this file")
    parser.add_argument(
        "--stage-one-only",
        action="store_true",
        help="run only the test files of FIRST (those reading the business layer): faster, may miss a kill",
    )
    args = parser.parse_args(argv)
    chosen = list(MUTANTS)
    if args.only:
        names = args.only.split(",")
        unknown = sorted(set(names) - {item.name for item in MUTANTS})
        if unknown:
            parser.error(f"unknown mutant(s): {', '.join(unknown)}")
        chosen = [item for item in MUTANTS if item.name in names]
    if args.list:
        for item in chosen:
            print(f"{item.name:36} {item.path:42} {item.bug}")
        return 0
    signal.signal(signal.SIGTERM, _stop)
    try:
        results = run(chosen, args.tests_from, args.stage_one_only)
    except KeyboardInterrupt:
        print(
            "interrupted: the temporary copy was removed; the working tree was never touched", file=sys.stderr
        )
        return 130
    report = table(results)
    print(report)
    if args.report:
        args.report.write_text(report + "\n", encoding="utf-8")
    return 0 if all(result.outcome == "killed" for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
