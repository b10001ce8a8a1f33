#!/usr/bin/env bash
# fuzz.sh — run every libFuzzer target in DIR for SECONDS each; fail on any crash.
# Usage: scripts/fuzz.sh DIR SECONDS
set -euo pipefail
dir=$1
seconds=${2:-20}
corpus_root=$(mktemp -d)
trap 'rm -rf "$corpus_root"' EXIT
status=0
for fuzzer in "$dir"/fuzz_*; do
    [ -x "$fuzzer" ] || continue
    name=$(basename "$fuzzer")
    mkdir -p "$corpus_root/$name"
    echo "fuzz: $name for ${seconds}s"
    if ! "$fuzzer" -max_total_time="$seconds" -print_final_stats=0 -rss_limit_mb=2048 \
            -artifact_prefix="$corpus_root/$name/" "$corpus_root/$name" >"$corpus_root/$name.log" 2>&1; then
        echo "fuzz: $name FAILED" >&2
        tail -40 "$corpus_root/$name.log" >&2
        status=1
    else
        grep -E '^#[0-9]+.*DONE|Done [0-9]+ runs' "$corpus_root/$name.log" | tail -1 || true
    fi
done
exit $status
