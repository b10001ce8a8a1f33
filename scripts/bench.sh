#!/usr/bin/env bash
# bench.sh — run every benchmark in DIR, one after another (they print medians and ratios).
# Benchmarks that drive a real service find it through VB_<SERVICE>_BIN.
set -euo pipefail
dir=$(cd "$1" && pwd)
export VB_SIM_BIN="${VB_SIM_BIN:-$dir/../services/sim/venuebus-sim}"
# ccxt (installed by the interop suite's setup) makes bench_gateway run the side-by-side too.
ccxt="$dir/../tests/interop/node/node_modules/ccxt"
for bench in "$dir"/bench_*; do
    [ -x "$bench" ] || continue
    echo "== $(basename "$bench")"
    if [ "$(basename "$bench")" = bench_gateway ] && [ -d "$ccxt" ]; then
        "$bench" --ccxt "$ccxt"
    else
        "$bench"
    fi
done
