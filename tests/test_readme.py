"""The README's figures for the bundled sample are what a build of it prints.

The expected lines are read from the README itself (the `text` block after "What the build prints"), never
restated here: when the sample, a rule or a formula changes the figures, the README has to change in the
same commit. Layer timings are the machine's and are not compared.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from salesdw.paths import DEFAULT_RAW_PATH, PROJECT_ROOT
from tests.helpers import BuildRun, assert_same_text_close_figures

README = PROJECT_ROOT / "README.md"
# How far a figure of an insight may drift: one unit of its last printed digit, or 0.2% of it. The insight
# figures go through the BG/NBD fit (the LTV percentile ranks by predicted CLV), whose last bits may differ
# with the numpy/scipy build; a changed rule or formula moves them by far more.
RELATIVE_DRIFT = Decimal("0.002")


def printed_block() -> list[str]:
    text = README.read_text(encoding="utf-8")
    assert "What the build prints" in text, "README: the section showing the build's output is gone"
    after = text.split("What the build prints", 1)[1]
    return after.split("```text\n", 1)[1].split("```", 1)[0].splitlines()


def line_starting(lines: list[str], prefix: str) -> str:
    found = [line for line in lines if line.startswith(prefix)]
    assert len(found) == 1, f"expected one line starting {prefix!r}, found {found}"
    return found[0]


def insight_lines(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines if line.startswith("  [")]


@pytest.fixture(scope="module")
def readme_lines() -> list[str]:
    return printed_block()


def test_the_readme_shows_the_bundled_sample(readme_lines: list[str], sample_build: BuildRun) -> None:
    expected = line_starting(readme_lines, "building from ")
    path, details = expected.removeprefix("building from ").split(" ", 1)
    assert PROJECT_ROOT / path == DEFAULT_RAW_PATH, (
        f"README builds {path}; the runner's default is {DEFAULT_RAW_PATH}"
    )
    assert details == f"(1 file(s), {DEFAULT_RAW_PATH.stat().st_size:,} bytes)"
    assert line_starting(sample_build.output.splitlines(), "building from ").endswith(details)


def test_customers_revenue_and_reconciliation_are_what_the_build_prints(
    readme_lines: list[str], sample_build: BuildRun
) -> None:
    # The runner prints absolute paths; the README, paths from the project root.
    printed = sample_build.output.replace(f"{PROJECT_ROOT}/", "").splitlines()
    for prefix in ("marketing from ", "rows ", "customers ", "revenue ", "orders ", "ad spend ", "touches "):
        assert line_starting(printed, prefix) == line_starting(readme_lines, prefix)
    exported = line_starting(readme_lines, "exported ")
    assert line_starting(printed, "exported ").split(" to ")[0] == exported.split(" to ")[0]


def test_customers_and_revenue_match_pandas_on_the_sample(readme_lines: list[str]) -> None:
    """The README's own numbers against the CSV itself (every row of the sample is clean)."""
    sample = pd.read_csv(DEFAULT_RAW_PATH)
    raw = len(sample)
    assert line_starting(readme_lines, "rows ").split(" (")[0] == (
        f"rows      raw {raw:,} = clean {raw:,} + rejected 0 + collapsed duplicates 0"
    )
    assert line_starting(readme_lines, "customers ") == f"customers {sample['Customer ID'].nunique():,}"
    revenue = sum(Decimal(str(value)) for value in sample["Sales"])
    assert line_starting(readme_lines, "revenue ") == f"revenue   ${revenue:,.2f}"
    dates = pd.to_datetime(sample["Date"])
    assert line_starting(readme_lines, "orders ") == (
        f"orders    {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}"
    )


def test_every_insight_line_is_what_the_build_prints(readme_lines: list[str], sample_build: BuildRun) -> None:
    expected = insight_lines(readme_lines)
    actual = insight_lines(sample_build.output.splitlines())
    assert "key insights:" in readme_lines
    assert len(expected) >= 6
    assert len(actual) == len(expected), (actual, expected)
    for got, want in zip(actual, expected, strict=True):
        assert_same_text_close_figures(got, want, RELATIVE_DRIFT)


@pytest.mark.parametrize(
    ("actual", "expected", "same"),
    [
        ("345 customers, $187,465 at stake", "345 customers, $187,465 at stake", True),
        ("346 customers, $187,465 at stake", "345 customers, $187,465 at stake", True),  # one unit
        ("347 customers, $187,465 at stake", "345 customers, $187,465 at stake", False),
        ("Loyalty campaign: 1,455 customers (1,455", "Loyalty campaign: 1,455 customers (728", False),
        ("Best cohort: 2021-10 with 6.6%", "Best cohort: 2021-11 with 6.6%", False),  # dates are words
        ("up 20.2% on the month", "up 20.3% on the month", True),
        ("up 20.2% on the month", "up 20.5% on the month", False),
        ("up 20.2% on the month", "down 20.2% on the month", False),
    ],
)
def test_the_figure_comparison_is_strict_enough(actual: str, expected: str, same: bool) -> None:
    if same:
        assert_same_text_close_figures(actual, expected, RELATIVE_DRIFT)
    else:
        with pytest.raises(AssertionError):
            assert_same_text_close_figures(actual, expected, RELATIVE_DRIFT)
