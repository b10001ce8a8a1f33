#!/usr/bin/env bash
# deps.sh — make sure the Debian 12 packages venuebus needs are installed.
# As root it installs what is missing with apt-get; otherwise it prints the exact
# install line and exits non-zero. Usage: scripts/deps.sh [--ci]
#   --ci   also the packages only CI needs (docker-compose for `docker-compose config`).
set -euo pipefail

packages=(
    build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
    libczmq-dev libzmq3-dev libwebsockets-dev libcurl4-openssl-dev
    libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
    libssl-dev openssl libcriterion-dev libsqlite3-dev zlib1g-dev libsimdjson-dev libcjson-dev
    libncurses-dev python3 python3-zmq python3-protobuf libmicrohttpd-dev tmux prometheus
)
# tmux: tests/integration/test_ctl_live.c drives venuebus-ctl's live view in a tmux pane.
# prometheus: its promtool checks the services' /metrics output.
if [ "${1:-}" = "--ci" ]; then
    packages+=(docker-compose git)
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
# The ccxt interop test needs Node.js (18 or later) and npm. Any install will do (Debian's
# nodejs + npm, or a nodesource build that bundles npm), so check for the commands.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    echo "deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    exit 0
fi
echo "deps: missing Debian packages; install them with:" >&2
echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
exit 1
