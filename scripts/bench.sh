#!/usr/bin/env bash
# bench.sh — run every benchmark in DIR, one after another (they print medians and ratios).
# Benchmarks that drive a real service find it through VB_<SERVICE>_BIN.
# Usage: bench.sh DIR [NAME]   NAME (e.g. router) runs only DIR/bench_NAME.
set -euo pipefail
dir=$(cd "$1" && pwd)
only="${2:-}"
export VB_SIM_BIN="${VB_SIM_BIN:-$dir/../services/sim/venuebus-sim}"
export VB_ROUTER_BIN="${VB_ROUTER_BIN:-$dir/../services/router/venuebus-router}"
# ccxt (installed by the interop suite's setup) makes bench_gateway run the side-by-side too.
ccxt="$dir/../tests/interop/node/node_modules/ccxt"
for bench in "$dir"/bench_*; do
    [ -x "$bench" ] || continue
    if [ -n "$only" ] && [ "$(basename "$bench")" != "bench_$only" ]; then
        continue
    fi
    echo "== $(basename "$bench")"
    if [ "$(basename "$bench")" = bench_gateway ] && [ -d "$ccxt" ]; then
        "$bench" --ccxt "$ccxt"
    elif [ "$(basename "$bench")" = bench_router ] && [ -d "$ccxt" ]; then
        # starts venuebus-sim and venuebus-router itself (VB_SIM_BIN, VB_ROUTER_BIN)
        "$bench" --ccxt "$ccxt"
    else
        "$bench"
    fi
done
