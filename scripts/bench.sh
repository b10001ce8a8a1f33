#!/usr/bin/env bash
# bench.sh — run every benchmark in DIR, one after another (they print medians and ratios).
set -euo pipefail
dir=$1
for bench in "$dir"/bench_*; do
    [ -x "$bench" ] || continue
    echo "== $(basename "$bench")"
    "$bench"
done
