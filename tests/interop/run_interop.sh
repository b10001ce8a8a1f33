#!/usr/bin/env bash
# run_interop.sh — starts venuebus-sim for each venue asked for, on a free port with
# known demo keys, and runs interop.mjs (the real ccxt client) against it.
#
# Usage: run_interop.sh SIM_BINARY NODE_MODULES_DIR VENUE...
#   VENUE is binance or kraken. Prints the checks of each venue, then a final line
#   "N passed, M failed" summing all venues. Exit status 0 only when nothing failed.
# Every sim started here is stopped on exit (trap), and every wait is bounded.
# SPDX-License-Identifier: MPL-2.0
set -u

readonly READY_TIMEOUT_S=20    # the sim prints its ready line well within this
readonly CLIENT_TIMEOUT_S=240  # one venue's whole ccxt scenario
readonly STOP_TIMEOUT_S=5      # grace after SIGTERM before SIGKILL

if [ $# -lt 3 ]; then
    echo "usage: $0 SIM_BINARY NODE_MODULES_DIR VENUE..." >&2
    exit 2
fi
sim_bin=$1
modules=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)

total_passed=0
total_failed=0
sim_pid=""
workdir=$(mktemp -d "${TMPDIR:-/tmp}/vb-interop.XXXXXX")

alive () {  # pid: running, and not a zombie waiting to be reaped
    kill -0 "$1" 2>/dev/null && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

stop_sim () {
    if [ -n "$sim_pid" ] && alive "$sim_pid"; then
        kill -TERM "$sim_pid" 2>/dev/null
        for _ in $(seq 1 $((STOP_TIMEOUT_S * 10))); do
            alive "$sim_pid" || break
            sleep 0.1
        done
        kill -KILL "$sim_pid" 2>/dev/null
        wait "$sim_pid" 2>/dev/null
    fi
    sim_pid=""
}

cleanup () {
    stop_sim
    rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail_venue () {  # venue, message: one failed check that stands for the whole venue
    echo "FAIL $1 $2"
    total_failed=$((total_failed + 1))
}

if ! command -v node >/dev/null 2>&1; then
    echo "FAIL interop: node is not installed (Debian packages: nodejs npm)"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ ! -x "$sim_bin" ]; then
    echo "FAIL interop: no simulator binary at $sim_bin"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ ! -d "$modules/ccxt" ]; then
    echo "FAIL interop: ccxt is not installed under $modules (the interop_setup test installs it)"
    echo "0 passed, 1 failed"
    exit 1
fi

for venue in "$@"; do
    case $venue in
        binance)
            key=vbInteropBinanceKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH
            secret=vbInteropBinanceSecret0123456789abcdefghijklmnopqrstuvwxyzABC
            ;;
        kraken)
            key=vbInteropKrakenKey+0123456789/abcdefghijklmnopqrstuvwxyz  # 56 characters, as Kraken issues
            # 64 bytes 0x00..0x3f, base64: Kraken issues secrets as base64 of 64 bytes.
            secret=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==
            ;;
        *)
            fail_venue "$venue" "unknown venue (binance or kraken)"
            continue
            ;;
    esac

    out="$workdir/$venue.out"
    err="$workdir/$venue.err"
    : >"$out"
    VB_SIM_API_KEY=$key VB_SIM_API_SECRET=$secret VB_SIM_API_PERMISSIONS=read,trade \
        VB_SIM_API_IPS=127.0.0.1 "$sim_bin" --venue "$venue" --port 0 --seed 42 >"$out" 2>"$err" &
    sim_pid=$!

    port=""
    for _ in $(seq 1 $((READY_TIMEOUT_S * 10))); do
        port=$(sed -n "s/^ready venue=$venue port=\([0-9][0-9]*\)\$/\1/p" "$out")
        [ -n "$port" ] && break
        alive "$sim_pid" || break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        fail_venue "$venue" "sim did not print 'ready venue=$venue port=P' within ${READY_TIMEOUT_S} s; stderr: $(tail -c 600 "$err")"
        stop_sim
        continue
    fi
    echo "# $venue: venuebus-sim pid $sim_pid on port $port"

    summary="$workdir/$venue.client"
    timeout --kill-after=5 "$CLIENT_TIMEOUT_S" node "$here/interop.mjs" --venue "$venue" --port "$port" \
        --key "$key" --secret "$secret" --modules "$modules" | tee "$summary"
    status=${PIPESTATUS[0]}
    line=$(tail -n 1 "$summary")
    if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        total_passed=$((total_passed + BASH_REMATCH[1]))
        total_failed=$((total_failed + BASH_REMATCH[2]))
        if [ "$status" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ]; then
            fail_venue "$venue" "client exited with status $status"
        fi
    elif [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        fail_venue "$venue" "client did not finish within ${CLIENT_TIMEOUT_S} s"
    else
        fail_venue "$venue" "client exited with status $status without a summary"
    fi

    if ! alive "$sim_pid"; then
        wait "$sim_pid" 2>/dev/null
        fail_venue "$venue" "sim died during the run; stderr: $(tail -c 600 "$err")"
        sim_pid=""
    else
        stop_sim
    fi
done

echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
