#!/usr/bin/env bash
# bench_memory.sh — gateway RSS with many symbols subscribed, sampled over a soak (issue 4).
# SPDX-License-Identifier: MPL-2.0
#
# Starts the real venuebus-sim (binance), venuebus-bus and venuebus-gateway
# (ipc endpoints in a temp directory), asks the sim's exchangeInfo for the spot
# symbols it lists, subscribes the gateway to up to --symbols of them, waits
# for the gateway's `ready` line, then samples VmRSS / VmHWM of the gateway
# (and VmRSS of the bus) from /proc/<pid>/status every --interval seconds for
# --seconds. Prints start, max, end and the least-squares slope of the
# gateway's RSS over the soak (KiB per minute), and whether the targets hold:
# RSS <= 32 MiB, and flat (end within 1 MiB of the RSS after warm-up and a
# slope under 64 KiB/min).
#
# Usage: bench_memory.sh [--seconds S] [--interval S] [--symbols N] [--rate R]
#                        [--warmup S] [--symbol-list A,B,..] [--build DIR]
#                        [--sim P] [--bus P] [--gateway P]
# --symbol-list subscribes exactly those symbols (even ones the sim does not list).
# Binaries default to VB_SIM_BIN / VB_BUS_BIN / VB_GATEWAY_BIN, else DIR's
# services (DIR defaults to ./build). Every process it starts is stopped on
# exit, error or signal.
set -euo pipefail

seconds=600          # soak length
interval=10          # seconds between samples
symbols_wanted=100   # symbols to subscribe (issue 4 asks for 100)
symbol_list=""       # explicit list instead of the sim's listing
rate=200             # sim synthetic actions per second per instrument
warmup=30            # samples before this many seconds are "warm-up" for the flatness check
build=build
sim_bin="${VB_SIM_BIN:-}"
bus_bin="${VB_BUS_BIN:-}"
gateway_bin="${VB_GATEWAY_BIN:-}"
target_kib=$((32 * 1024))   # issue 4: at most 32 MB (read as MiB)
flat_kib=1024               # "flat": end at most this much above the post-warm-up RSS
slope_max=64                # ... and a slope below this many KiB per minute
ready_timeout=30            # seconds for each process to say ready

usage () {
    sed -n '10,18p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --interval) interval="$2"; shift 2 ;;
        --symbols) symbols_wanted="$2"; shift 2 ;;
        --rate) rate="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --symbol-list) symbol_list="$2"; shift 2 ;;
        --build) build="$2"; shift 2 ;;
        --sim) sim_bin="$2"; shift 2 ;;
        --bus) bus_bin="$2"; shift 2 ;;
        --gateway) gateway_bin="$2"; shift 2 ;;
        -h|--help) usage ;;
        *) echo "bench_memory: unknown argument $1" >&2; usage ;;
    esac
done
for number in "$seconds" "$interval" "$symbols_wanted" "$rate" "$warmup"; do
    [[ "$number" =~ ^[0-9]+$ ]] || { echo "bench_memory: not a number: $number" >&2; exit 2; }
done
[ "$interval" -ge 1 ] || { echo "bench_memory: --interval must be >= 1" >&2; exit 2; }
sim_bin="${sim_bin:-$build/services/sim/venuebus-sim}"
bus_bin="${bus_bin:-$build/services/bus/venuebus-bus}"
gateway_bin="${gateway_bin:-$build/services/gateway/venuebus-gateway}"
for bin in "$sim_bin" "$bus_bin" "$gateway_bin"; do
    [ -x "$bin" ] || { echo "bench_memory: not executable: $bin" >&2; exit 2; }
done

dir=$(mktemp -d /tmp/vb_bench_memory.XXXXXX)
pids=()
cleanup () {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Wait until FILE has a line starting with PREFIX (or the process died); print that line.
wait_line () {
    local file="$1" prefix="$2" pid="$3" line
    line=$(timeout "$ready_timeout" tail -n +1 -f "$file" --pid "$pid" | grep -m1 "^$prefix" || true)
    if [ -z "$line" ]; then
        echo "bench_memory: no '$prefix' line in $file" >&2
        tail -n 20 "$dir"/*.err >&2 || true
        exit 1
    fi
    echo "$line"
}

status_kib () {   # status_kib PID FIELD -> the field's value in KiB
    awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status"
}

echo "bench_memory: $(date -u +%FT%TZ) $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"

"$sim_bin" --venue binance --port 0 --seed 11 --rate "$rate" \
    >"$dir/sim.out" 2>"$dir/sim.err" &
pids+=($!)
sim_pid=$!
sim_port=$(wait_line "$dir/sim.out" "ready " "$sim_pid" | sed -n 's/.*port=\([0-9]*\).*/\1/p')

"$bus_bin" --frontend "ipc://$dir/front" --backend "ipc://$dir/back" \
    >"$dir/bus.out" 2>"$dir/bus.err" &
pids+=($!)
bus_pid=$!
wait_line "$dir/bus.out" "ready " "$bus_pid" >/dev/null

# The spot symbols the sim lists, as BASE-QUOTE.
listed=$(curl -sf "http://127.0.0.1:$sim_port/api/v3/exchangeInfo" | /usr/bin/python3 -c '
import json, sys
info = json.load (sys.stdin)
print (",".join (s["baseAsset"] + "-" + s["quoteAsset"] for s in info["symbols"]
                 if s.get ("status", "TRADING") == "TRADING"))')
listed_count=$(echo "$listed" | tr ',' '\n' | grep -c . || true)
symbols=$(echo "${symbol_list:-$listed}" | tr ',' '\n' | head -n "$symbols_wanted" | paste -sd, -)
symbol_count=$(echo "$symbols" | tr ',' '\n' | grep -c . || true)
echo "symbols: the sim lists $listed_count spot symbols; subscribing $symbol_count of the $symbols_wanted asked: $symbols"
if [ "$symbol_count" -lt "$symbols_wanted" ]; then
    echo "WARNING: only $symbol_count symbols available; the figure below is NOT the $symbols_wanted-symbol RSS"
fi

"$gateway_bin" --venue binance --symbols "$symbols" \
    --bus "ipc://$dir/front" --snapshot "ipc://$dir/snap" \
    --rest-url "http://127.0.0.1:$sim_port" --ws-url "ws://127.0.0.1:$sim_port" \
    >"$dir/gateway.out" 2>"$dir/gateway.err" &
pids+=($!)
gateway_pid=$!
wait_line "$dir/gateway.out" "ready " "$gateway_pid" >/dev/null
echo "ready: sim pid $sim_pid (rate $rate/s per instrument), bus pid $bus_pid, gateway pid $gateway_pid"
echo "columns: t_s gateway_rss_kib gateway_hwm_kib bus_rss_kib"

samples="$dir/samples"
: >"$samples"
start=$(date +%s)
elapsed=0
while :; do
    kill -0 "$gateway_pid" 2>/dev/null || { echo "bench_memory: the gateway exited" >&2; exit 1; }
    rss=$(status_kib "$gateway_pid" VmRSS)
    hwm=$(status_kib "$gateway_pid" VmHWM)
    bus_rss=$(status_kib "$bus_pid" VmRSS)
    echo "$elapsed $rss $hwm $bus_rss" | tee -a "$samples"
    [ "$elapsed" -ge "$seconds" ] && break
    # Sampling period (this is the measurement's clock, not a synchronisation).
    sleep "$interval"
    elapsed=$(( $(date +%s) - start ))
done

awk -v target="$target_kib" -v flat="$flat_kib" -v slope_max="$slope_max" -v warmup="$warmup" '
    { t[NR] = $1; r[NR] = $2; h[NR] = $3; b[NR] = $4
      if (r[NR] > rmax) rmax = r[NR]; if (b[NR] > bmax) bmax = b[NR]
      if (warm == 0 && $1 >= warmup) warm = NR }
    END {
        n = NR; if (warm == 0) warm = 1
        # least-squares slope of RSS over the samples after warm-up, KiB per minute
        for (i = warm; i <= n; i++) { m++; sx += t[i]; sy += r[i]; sxx += t[i] * t[i]; sxy += t[i] * r[i] }
        d = m * sxx - sx * sx
        slope = d > 0 ? (m * sxy - sx * sy) / d * 60 : 0
        printf "gateway VmRSS KiB: start %d, after warm-up (t=%ds) %d, max %d, end %d; VmHWM end %d\n", r[1], t[warm], r[warm], rmax, r[n], h[n]
        printf "gateway RSS slope after warm-up: %.1f KiB/min over %d s (%d samples)\n", slope, t[n] - t[warm], m
        printf "bus VmRSS KiB: start %d, max %d, end %d\n", b[1], bmax, b[n]
        printf "target RSS <= %d KiB: %s (max %d KiB = %.1f MiB)\n", target, h[n] <= target ? "met" : "NOT met", h[n], h[n] / 1024
        is_flat = (r[n] - r[warm] <= flat) && (slope < slope_max)
        printf "target flat over the soak (end - warm-up <= %d KiB and slope < %d KiB/min): %s\n", flat, slope_max, is_flat ? "met" : "NOT met"
    }' "$samples"
count_bad () { awk '$2 == "warning" || $2 == "error"' "$1" | wc -l; }
echo "warning/error log lines: sim $(count_bad "$dir/sim.err"), gateway $(count_bad "$dir/gateway.err"), bus $(count_bad "$dir/bus.err")"
awk '$2 == "warning" || $2 == "error"' "$dir/gateway.err" | head -n 3
