"""The segment catalog (a table analysts read in the warehouse) quotes the rules' values beside their names,
e.g. "lost_min_days_since_last_order days (365)": each quoted value is the one in seeds/business_rules.csv,
so editing a rule without its description fails here instead of misleading a reader."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.reference import SEEDS, business_rules

# A rule name, optionally "days" / "days ago", then its value in parentheses: "(365)", "(20%)", "(0.30)".
QUOTED_RULE = re.compile(r"\b([a-z]+(?:_[a-z0-9]+)+)(?: days(?: ago)?)? \((\d+(?:\.\d+)?)(%?)\)")


def quoted_rules() -> list[tuple[str, str, float]]:
    catalog = pd.read_csv(SEEDS / "customer_segments_catalog.csv")
    quotes = []
    for segment, definition in zip(catalog.segment, catalog.definition, strict=True):
        for name, value, percent in QUOTED_RULE.findall(definition):
            quotes.append((segment, name, float(value) / (100 if percent else 1)))
    return quotes


def test_the_catalog_quotes_every_rule_of_its_segments() -> None:
    quoted = {name for _, name, _ in quoted_rules()}
    segment_rules = {name for name in business_rules() if re.match(r"(new|lost|high_value|at_risk)_", name)}
    assert quoted == segment_rules


@pytest.mark.parametrize(("segment", "name", "value"), quoted_rules())
def test_the_catalog_quotes_the_seeded_value(segment: str, name: str, value: float) -> None:
    assert business_rules()[name] == pytest.approx(value), f"{segment}: the catalog says {name} is {value}"
