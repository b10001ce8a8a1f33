#!/usr/bin/env bash
# demo.sh — run the whole venuebus stack against the simulator, on loopback.
#
#   scripts/demo.sh BUILD_DIR          (make demo calls this)
#   DEMO_SECONDS=N scripts/demo.sh BUILD_DIR     stop after N s, no terminal UI (CI smoke runs)
#
# Starts, in this order: a simulator per venue (binance, kraken) with a demo key; the bus; the
# router, whose keys come from a keystore made for this run with venuebus-keytool (passphrase in
# a mode 0600 file in the demo's temp dir, accounts "main" on binance and "kraken" on kraken);
# a gateway per venue (REST grants from the router); the C example strategy (venuebus-strategy-c)
# quoting BTC-USDT on binance; and a live view: venuebus-ctl's ncurses screen in the foreground
# when stdout is a terminal, else the Python watcher's plain lines. A fault is injected into a
# sim every FAULT_SECONDS so that resync and recovery can be seen.
#
# Ctrl-C (or q in the ctl view) stops everything: the strategy first (it cancels its quotes
# through the router), then the view, gateways, router, bus and sims, each waited for; nothing
# is left running and the temp dir is removed.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
umask 077
work=$(mktemp -d /tmp/venuebus-demo.XXXXXX)
seconds=${DEMO_SECONDS:-0}
fault_seconds=${FAULT_SECONDS:-15}
stop_wait=10 # seconds each process gets to exit after SIGTERM before SIGKILL
names=()
pids=()
for bin in sim/venuebus-sim bus/venuebus-bus gateway/venuebus-gateway router/venuebus-router \
    keytool/venuebus-keytool ctl/venuebus-ctl; do
    if [ ! -x "$build/services/$bin" ]; then
        echo "demo: $build/services/$bin is not built (run make build)" >&2
        exit 1
    fi
done
strategy_bin="$build/examples/strategy-c/venuebus-strategy-c"
if [ ! -x "$strategy_bin" ]; then
    echo "demo: $strategy_bin is not built (run make build)" >&2
    exit 1
fi

# stop_one INDEX: SIGTERM, wait up to stop_wait s, then SIGKILL.
stop_one () {
    local pid=${pids[$1]} name=${names[$1]}
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 $((stop_wait * 10))); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "demo: $name (pid $pid) did not stop in ${stop_wait}s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup () {
    trap - EXIT INT TERM
    # Newest first: the strategy cancels its quotes while the router is still up.
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_one "$i"; done
    local stray=0
    for i in "${!pids[@]}"; do
        if kill -0 "${pids[$i]}" 2>/dev/null; then
            echo "demo: ${names[$i]} (pid ${pids[$i]}) is still running" >&2
            stray=1
        fi
    done
    if [ -s "$work/strategy-c.log" ]; then
        echo "demo: strategy-c's last words:"
        grep -E "cancel all|still open|stopped" "$work/strategy-c.log" | sed 's/^/    /' || true
    fi
    [ "$stray" = 0 ] && echo "demo: stopped; every process exited"
    if [ -n "${DEMO_KEEP:-}" ]; then
        echo "demo: logs kept in $work"
    else
        rm -rf "$work"
        echo "demo: logs were in $work (removed; DEMO_KEEP=1 keeps them)"
    fi
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# spawn NAME COMMAND...: run in the background in its own session (Ctrl-C on the terminal
# reaches only the foreground view and this script, so the stop order above holds).
spawn () {
    local name=$1
    shift
    setsid "$@" >"$work/$name.out" 2>"$work/$name.log" </dev/null &
    pids+=($!)
    names+=("$name")
}

# wait_for NAME FILE PATTERN: wait (bounded) until FILE has a line matching PATTERN.
wait_for () {
    local name=$1 file=$2 pattern=$3
    for _ in $(seq 1 300); do
        if grep -q -- "$pattern" "$file" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "${pids[-1]}" 2>/dev/null; then
            echo "demo: $name failed to start:" >&2
            tail -20 "$work/$name.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "demo: $name did not become ready in 30 s; log:" >&2
    tail -20 "$work/$name.log" >&2
    exit 1
}

# start NAME COMMAND...: spawn and wait for its "ready " line on stdout.
start () {
    local name=$1
    shift
    spawn "$name" "$@"
    wait_for "$name" "$work/$name.out" "^ready "
    echo "demo: $name $(grep -m1 "^ready " "$work/$name.out")"
}

port_of () { sed -n 's/.*port=\([0-9]*\).*/\1/p' "$work/$1.out" | head -1; }

# Demo keys, fresh per run. A key and secret are only ever in the sims' environment (the sim
# plays the venue that issued them) and in the keystore; never on a command line.
random_text () {
    local text
    text=$(head -c 96 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9')
    printf '%s' "${text:0:$1}"
}
binance_key=$(random_text 64)
binance_secret=$(random_text 64)
kraken_key=$(random_text 56)
kraken_secret=$(head -c 64 /dev/urandom | base64 -w0) # Kraken secrets are base64 of 64 bytes

start sim-binance env VB_SIM_API_KEY="$binance_key" VB_SIM_API_SECRET="$binance_secret" \
    VB_SIM_API_PERMISSIONS=read,trade VB_SIM_API_IPS=127.0.0.1 \
    "$build/services/sim/venuebus-sim" --venue binance --port 0 --seed 1
start sim-kraken env VB_SIM_API_KEY="$kraken_key" VB_SIM_API_SECRET="$kraken_secret" \
    VB_SIM_API_PERMISSIONS=read,trade VB_SIM_API_IPS=127.0.0.1 \
    "$build/services/sim/venuebus-sim" --venue kraken --port 0 --seed 2
binance_port=$(port_of sim-binance)
kraken_port=$(port_of sim-kraken)

# The keystore: passphrase file mode 0600 (umask 077), entries "main" and "kraken".
keytool="$build/services/keytool/venuebus-keytool"
keystore="$work/keys.vbks"
passphrase="$work/passphrase"
random_text 32 >"$passphrase"
chmod 0600 "$passphrase"
"$keytool" init --keystore "$keystore" --passphrase-file "$passphrase" >/dev/null
printf '%s\n%s\n' "$binance_key" "$binance_secret" |
    "$keytool" add --keystore "$keystore" --passphrase-file "$passphrase" \
        --venue binance --account main >/dev/null
printf '%s\n%s\n' "$kraken_key" "$kraken_secret" |
    "$keytool" add --keystore "$keystore" --passphrase-file "$passphrase" \
        --venue kraken --account kraken >/dev/null
unset binance_key binance_secret kraken_key kraken_secret
echo "demo: keystore $keystore ($(stat -c %a "$keystore")), passphrase file $(stat -c %a "$passphrase")"

frontend="ipc://$work/bus-frontend"
backend="ipc://$work/bus-backend"
start bus "$build/services/bus/venuebus-bus" --frontend "$frontend" --backend "$backend"

router_endpoint="ipc://$work/router"
grants="ipc://$work/grants"
cat >"$work/router.cfg" <<EOF
router
    endpoint = "$router_endpoint"
    grants = "$grants"
    bus = "$frontend"
    journal = "$work/journal.db"
    keystore_passphrase_file = "$passphrase"
    reconcile_interval = "10s"
log
    level = "notice"
account
    main
        venue = "binance"
        rest_url = "http://127.0.0.1:$binance_port"
        ws_url = "ws://127.0.0.1:$binance_port"
        secrets = "keystore:$keystore#main"
    kraken
        venue = "kraken"
        rest_url = "http://127.0.0.1:$kraken_port"
        ws_url = "ws://127.0.0.1:$kraken_port/v2"
        secrets = "keystore:$keystore#kraken"
strategy
    mm-c
        max_open_orders = 10
EOF
start router "$build/services/router/venuebus-router" --config "$work/router.cfg"

gateway="$build/services/gateway/venuebus-gateway"
start gateway-binance "$gateway" --venue binance --symbols BTC-USDT,ETH-USDT \
    --bus "$frontend" --snapshot "ipc://$work/snapshot-binance" --grants "$grants" \
    --rest-url "http://127.0.0.1:$binance_port" --ws-url "ws://127.0.0.1:$binance_port"
start gateway-kraken "$gateway" --venue kraken --symbols BTC-USD,ETH-USD \
    --bus "$frontend" --snapshot "ipc://$work/snapshot-kraken" --grants "$grants" \
    --rest-url "http://127.0.0.1:$kraken_port" --ws-url "ws://127.0.0.1:$kraken_port/v2"

spawn strategy-c "$strategy_bin" --bus "$backend" --snapshot "ipc://$work/snapshot-binance" \
    --router "$router_endpoint" --venue binance --symbol BTC-USDT --account main \
    --strategy mm-c --spread-bps 10 --requote-bps 5 --qty 0.001 --max-position 0.01 \
    --tick 0.01 --log-level info
wait_for strategy-c "$work/strategy-c.log" "strategy started"
echo "demo: strategy-c quoting BTC-USDT on binance (strategy mm-c, account main)"
echo "demo: binance sim http://127.0.0.1:$binance_port  kraken sim http://127.0.0.1:$kraken_port"

# inject_faults: every fault_seconds, one fault into one sim, round robin. Its sleep is waited
# for, so SIGTERM ends it at once without leaving a sleep behind.
inject_faults () {
    local faults=("drop" "gap" "disconnect" "corrupt_checksum") round=0 nap=""
    trap '[ -n "$nap" ] && kill "$nap" 2>/dev/null; exit 0' TERM
    while :; do
        sleep "$fault_seconds" &
        nap=$!
        wait "$nap" || true
        nap=""
        local fault=${faults[$((round % ${#faults[@]}))]} port=$binance_port venue=binance
        if [ "$fault" = corrupt_checksum ]; then port=$kraken_port venue=kraken; fi
        echo "demo: $(date +%T) injecting fault=$fault into the $venue sim"
        curl -s -X POST "http://127.0.0.1:$port/_sim/faults" \
            -d "{\"fault\":\"$fault\",\"count\":1,\"stream\":\"*\"}" >/dev/null || true
        round=$((round + 1))
    done
}

ctl="$build/services/ctl/venuebus-ctl"
ctl_args=(--bus "$backend" --snapshot "binance=ipc://$work/snapshot-binance"
    --snapshot "kraken=ipc://$work/snapshot-kraken")
if [ -t 1 ] && [ "$seconds" -eq 0 ]; then
    # The terminal belongs to the ctl view: fault notes go to a file, ctl's log to its last line.
    inject_faults >"$work/faults.log" 2>&1 &
    pids+=($!)
    names+=(faults)
    echo "demo: starting the ctl live view (q or Ctrl-C quits and stops the demo)"
    "$ctl" watch "${ctl_args[@]}" 2>"$work/ctl.log" || echo "demo: ctl exited with $?" >&2
    exit 0
fi

echo "demo: Binance depth: $(curl -s "http://127.0.0.1:$binance_port/api/v3/depth?symbol=BTCUSDT&limit=1")"
echo "demo: Kraken ticker: $(curl -s "http://127.0.0.1:$kraken_port/0/public/Ticker?pair=XBTUSD" | head -c 200)"
PYTHONPATH="$build/python" /usr/bin/python3 -u "$here/demo_watch.py" "$backend" &
pids+=($!)
names+=(watch)
inject_faults &
pids+=($!)
names+=(faults)
if [ "$seconds" -gt 0 ]; then
    deadline=$(($(date +%s) + seconds))
    while [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.5; done
    echo "demo: $seconds s are up. strategy-c: $(grep -c "quote placed" "$work/strategy-c.log" || true)" \
        "quotes placed, $(grep -c "order filled" "$work/strategy-c.log" || true) fills." \
        "The router's rate limits (venuebus-ctl limits):"
    "$ctl" limits "${ctl_args[@]}" --duration 1500 | sed 's/^/    /' || true
    exit 0
fi
while :; do sleep 1; done
