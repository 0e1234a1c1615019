"""Same as `python run_pipeline.py bench ...`: `python benchmarks/run_benchmark.py --sizes 40000,1000000`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from salesdw.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["bench", *sys.argv[1:]]))
