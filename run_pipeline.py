"""Build the marketing-analytics warehouse: `python run_pipeline.py [CSV_PATH]` (see --help)."""

import sys
from pathlib import Path

# Runs from a fresh clone even before `pip install -e .` has put the package on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from salesdw.cli import console_main

if __name__ == "__main__":
    console_main()
