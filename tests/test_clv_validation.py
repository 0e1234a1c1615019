"""docs/clv_validation.md (the per-frequency holdout comparison for CDNOW and the sample) is current."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from tests.helpers import assert_same_text_close_figures

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "clv_validation.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("clv_validation", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_clv_validation_doc_is_current() -> None:
    script = _script()
    text = script.render()
    # Line by line, figures to their printed precision: the fits' last bits depend on the numpy/scipy
    # build, the words and every count do not.
    committed = script.DOC.read_text().splitlines()
    assert len(committed) == len(text.splitlines()), f"docs/clv_validation.md is stale: run {script.COMMAND}"
    for written, rendered in zip(committed, text.splitlines(), strict=True):
        try:
            assert_same_text_close_figures(written, rendered)
        except AssertionError as error:
            raise AssertionError(f"docs/clv_validation.md is stale ({error}): run {script.COMMAND}") from None
    # The published CDNOW figures: 1,882 actual and ~1,653 expected holdout purchases.
    assert "**1,882** | **1,653.4**" in text
    assert "r = 0.243 (95%: 0.219-0.268), alpha = 4.414 (95%: 3.731-5.221), a = 0.793" in text
    assert "b = 2.426 (95%: 1.372-4.289), log-likelihood = -9,582.4" in text
    assert "r = 0.553 (95%: 0.467-0.655), alpha = 10.578" in text and "log-likelihood = -9,595.0" in text
