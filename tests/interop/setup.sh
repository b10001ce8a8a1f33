#!/usr/bin/env bash
# setup.sh — installs the pinned ccxt (package.json, package-lock.json here) under a
# build directory, for run_interop.sh. Run by the ctest fixture interop_setup.
#
# Usage: setup.sh PREFIX
#   Leaves PREFIX/node_modules/ccxt. Fails with a clear message when node or npm is
#   missing (Debian packages: nodejs npm) or the install fails; never skips.
# SPDX-License-Identifier: MPL-2.0
set -eu

readonly INSTALL_TIMEOUT_S=240

if [ $# -ne 1 ]; then
    echo "usage: $0 PREFIX" >&2
    exit 2
fi
prefix=$1
here=$(cd "$(dirname "$0")" && pwd)

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "FAIL interop_setup: $tool is not installed; the interop test needs Node.js 18+" \
             "and npm (Debian packages: nodejs npm)" >&2
        exit 1
    fi
done
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
    echo "FAIL interop_setup: node $(node --version) is too old; ccxt needs Node.js 18+" >&2
    exit 1
fi

mkdir -p "$prefix"
cp "$here/package.json" "$here/package-lock.json" "$prefix/"
wanted=$(node -p "require('$here/package.json').dependencies.ccxt")
installed=$(node -p "try { require('$prefix/node_modules/ccxt/package.json').version } catch (e) { '' }")
if [ "$installed" = "$wanted" ]; then
    echo "ccxt $installed already installed under $prefix"
    exit 0
fi
# npm ci: exactly the lockfile; --ignore-scripts: no native add-on builds (ws runs without).
if ! timeout "$INSTALL_TIMEOUT_S" npm ci --prefix "$prefix" --ignore-scripts --no-audit --no-fund; then
    echo "FAIL interop_setup: 'npm ci' of ccxt $wanted into $prefix failed (is the npm registry reachable?)" >&2
    exit 1
fi
installed=$(node -p "require('$prefix/node_modules/ccxt/package.json').version")
if [ "$installed" != "$wanted" ]; then
    echo "FAIL interop_setup: installed ccxt $installed, package.json pins $wanted" >&2
    exit 1
fi
echo "ccxt $installed installed under $prefix"
