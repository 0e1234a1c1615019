"""Generate the deterministic sample sales CSV (thin wrapper around ``salesdw.sample.generate.main``).

The bundled sample: ``python scripts/generate_sales.py --orders 40000 --seed 42 --out data/sample/sales.csv
--marketing-dir data/sample/marketing`` (the defaults: two years, 2021-01-01..2022-12-31).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from salesdw.sample.generate import main

if __name__ == "__main__":
    raise SystemExit(main())
