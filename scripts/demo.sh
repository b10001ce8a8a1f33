#!/usr/bin/env bash
# demo.sh — run the venuebus stack that exists against the simulator, on loopback.
#
#   scripts/demo.sh BUILD_DIR          (make demo calls this)
#
# Starts a simulator per venue, the bus, a gateway per venue (when built) and a live watcher
# that decodes the bus with the generated Python module. A fault is injected now and then so
# that resync and recovery can be seen. Ctrl-C stops everything; DEMO_SECONDS=N stops after N s.
# Every process is ours and is stopped on exit: no strays.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/venuebus-demo.XXXXXX)
pids=()

cleanup () {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    echo "demo: stopped; logs were in $work (removed)"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# start NAME READY_PREFIX COMMAND...: run in the background, wait for its ready line.
start () {
    local name=$1 ready=$2
    shift 2
    "$@" >"$work/$name.out" 2>"$work/$name.log" &
    pids+=($!)
    for _ in $(seq 1 100); do
        if grep -q "^$ready" "$work/$name.out" 2>/dev/null; then
            echo "demo: $name $(grep -m1 "^$ready" "$work/$name.out")"
            return 0
        fi
        if ! kill -0 "${pids[-1]}" 2>/dev/null; then
            echo "demo: $name failed to start:" >&2
            cat "$work/$name.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "demo: $name did not become ready; log:" >&2
    cat "$work/$name.log" >&2
    exit 1
}

port_of () { sed -n 's/.*port=\([0-9]*\).*/\1/p' "$work/$1.out" | head -1; }

export VB_SIM_API_KEY=demo-key-0001
export VB_SIM_API_SECRET_BINANCE=demo-secret-binance-0001
start sim-binance "ready " env VB_SIM_API_SECRET="$VB_SIM_API_SECRET_BINANCE" \
    "$build/services/sim/venuebus-sim" --venue binance --port 0 --seed 1
# Kraken secrets are base64 of 64 bytes.
kraken_secret=$(head -c 64 /dev/urandom | base64 -w0)
start sim-kraken "ready " env VB_SIM_API_SECRET="$kraken_secret" \
    "$build/services/sim/venuebus-sim" --venue kraken --port 0 --seed 2
binance_port=$(port_of sim-binance)
kraken_port=$(port_of sim-kraken)

frontend="ipc://$work/bus-frontend"
backend="ipc://$work/bus-backend"
start bus "ready " "$build/services/bus/venuebus-bus" --frontend "$frontend" --backend "$backend"

gateway="$build/services/gateway/venuebus-gateway"
if [ -x "$gateway" ]; then
    start gateway-binance "ready " "$gateway" --venue binance --symbols BTC-USDT,ETH-USDT \
        --bus "$frontend" --snapshot "ipc://$work/snapshot-binance" \
        --rest-url "http://127.0.0.1:$binance_port" --ws-url "ws://127.0.0.1:$binance_port"
    start gateway-kraken "ready " "$gateway" --venue kraken --symbols BTC-USD,ETH-USD \
        --bus "$frontend" --snapshot "ipc://$work/snapshot-kraken" \
        --rest-url "http://127.0.0.1:$kraken_port" --ws-url "ws://127.0.0.1:$kraken_port/v2"
else
    echo "demo: no gateway built yet; showing the simulators and the bus"
fi

echo "demo: binance sim http://127.0.0.1:$binance_port  kraken sim http://127.0.0.1:$kraken_port"
echo "demo: Binance depth: $(curl -s "http://127.0.0.1:$binance_port/api/v3/depth?symbol=BTCUSDT&limit=1")"
echo "demo: Kraken ticker: $(curl -s "http://127.0.0.1:$kraken_port/0/public/Ticker?pair=XBTUSD" | head -c 200)"

PYTHONPATH="$build/python" /usr/bin/python3 "$here/demo_watch.py" "$backend" &
pids+=($!)

faults=("drop" "gap" "disconnect" "corrupt_checksum")
deadline=$(( $(date +%s) + ${DEMO_SECONDS:-0} ))
round=0
while :; do
    sleep 15
    fault=${faults[$(( round % ${#faults[@]} ))]}
    if [ "$fault" = corrupt_checksum ]; then port=$kraken_port; venue=kraken; else port=$binance_port; venue=binance; fi
    echo "demo: injecting fault=$fault into the $venue sim"
    curl -s -X POST "http://127.0.0.1:$port/_sim/faults" \
        -d "{\"fault\":\"$fault\",\"count\":1,\"stream\":\"*\"}" >/dev/null || true
    round=$(( round + 1 ))
    if [ "${DEMO_SECONDS:-0}" -gt 0 ] && [ "$(date +%s)" -ge "$deadline" ]; then
        exit 0
    fi
done
