"""Test helpers: run a build in-process and query its published warehouse."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesdw.paths import Workspace
from salesdw.pipeline.build import BuildRequest, run_build
from salesdw.readers import open_published


@dataclass
class BuildRun:
    exit_code: int
    output: str
    workspace: Workspace

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        with open_published(self.workspace.published_db) as connection:
            return connection.execute(sql, params or []).df()


def build_warehouse(raw_path: Path, data_dir: Path, **request: Any) -> BuildRun:
    lines: list[str] = []
    workspace = Workspace(data_dir)
    exit_code = run_build(BuildRequest(raw_path=raw_path, **request), workspace, echo=lines.append)
    return BuildRun(exit_code, "\n".join(lines), workspace)


def write_random_orders(path: Path, n_orders: int, seed: int, n_customers: int) -> pd.DataFrame:
    """A small seeded order file in the raw contract (independent of the project's generator)."""
    rng = np.random.default_rng(seed)
    days = pd.to_datetime("2021-01-01") + pd.to_timedelta(rng.integers(0, 365, n_orders), unit="D")
    frame = pd.DataFrame(
        {
            "Date": days.strftime("%Y-%m-%d"),
            "Customer ID": rng.integers(10_000, 10_000 + n_customers, n_orders),
            "Order ID": rng.permutation(np.arange(500_000, 500_000 + n_orders)),
            "Sales": np.round(rng.lognormal(4.5, 1.0, n_orders), 2).clip(min=0.5),
        }
    )
    frame.to_csv(path, index=True, index_label="Unnamed: 0")
    return frame


# A printed figure: digits with thousands commas and decimals, not part of a date (2021-11) or an id.
FIGURE = re.compile(r"(?<![\d-])\d[\d,]*(?:\.\d+)?(?![\d-])")


def figures(text: str) -> list[Decimal]:
    return [Decimal(match.replace(",", "")) for match in FIGURE.findall(text)]


def assert_same_text_close_figures(actual: str, expected: str, relative: Decimal = Decimal(0)) -> None:
    """The same words, and every printed figure within one unit of its last printed digit (a value on a
    rounding boundary may print either way) or `relative` of itself. For text whose figures come from a
    numerical fit, whose last bits may change with the numpy/scipy build."""
    assert FIGURE.sub("#", actual) == FIGURE.sub("#", expected), "the words differ"
    for got, want in zip(figures(actual), figures(expected), strict=True):
        unit = Decimal(1).scaleb(want.as_tuple().exponent)
        assert abs(got - want) <= max(unit, relative * abs(want)), f"{got} is not {want}"
