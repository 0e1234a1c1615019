#!/usr/bin/env bash
# The 100M-order run of the README: generate the input (once), build it with the default memory_limit,
# and record peak RSS (/usr/bin/time -v) and the spill directory's size every 10 s.
#   benchmarks/run_big.sh WORK_DIR [ORDERS]      (ORDERS defaults to 100000000; WORK_DIR needs ~50 GB)
set -euo pipefail
work=${1:?usage: benchmarks/run_big.sh WORK_DIR [ORDERS]}
orders=${2:-100000000}
project=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$work"
csv="$work/sales_${orders}.csv"
[ -f "$csv" ] || python "$project/scripts/generate_sales.py" --orders "$orders" --seed 42 --out "$csv"
spill="$work/warehouse/build/spill"
(while true; do
    echo "$(date +%T) spill_bytes=$(du -sb "$spill" 2>/dev/null | cut -f1) free_bytes=$(df -B1 --output=avail "$work" | tail -1)"
    sleep 10
done) > "$work/spill.log" 2>&1 &
monitor=$!
trap 'kill $monitor' EXIT
cd "$project"
SALESDW_TARGET_DIR="$work/target" /usr/bin/time -v python run_pipeline.py --data-dir "$work/warehouse" \
    build "$csv" --full-refresh --no-export 2>&1 | tee "$work/build.log"
echo "peak spill: $(sort -t= -k2 -n "$work/spill.log" | awk -F'spill_bytes=' '{split($2, a, " "); if (a[1] + 0 > m) m = a[1] + 0} END {printf "%.1f GB", m / 1e9}')"
