# The README's commands. Each installs what it needs first, so they work on a fresh clone.
PYTHON ?= python

.PHONY: install install-dev run test lint

install:
	$(PYTHON) -m pip install -e .

install-dev:
	$(PYTHON) -m pip install -e ".[dev,spark]"

run: install
	$(PYTHON) run_pipeline.py

test: install-dev
	$(PYTHON) -m pytest

lint: install-dev
	$(PYTHON) -m ruff check .
