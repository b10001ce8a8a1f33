#!/usr/bin/env bash
# bench.sh — run every benchmark in DIR, one after another (they print medians and ratios).
# Benchmarks that drive a real service find it through VB_<SERVICE>_BIN.
set -euo pipefail
dir=$(cd "$1" && pwd)
export VB_SIM_BIN="${VB_SIM_BIN:-$dir/../services/sim/venuebus-sim}"
for bench in "$dir"/bench_*; do
    [ -x "$bench" ] || continue
    echo "== $(basename "$bench")"
    "$bench"
done
