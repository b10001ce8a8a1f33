#!/bin/sh
# keystore-init.sh — the compose stack's one-shot demo keystore (service keystore-init).
#
# Creates, once, in the directory given as $1 (the bind-mounted ./docker/secrets):
#   passphrase   a random keystore passphrase (mode 0600)
#   keys.vbks    a keystore (venuebus-keytool, mode 0600) with the simulators' demo keys:
#                binance-demo (binance) and kraken-demo (kraken)
# and gives both to the uid:gid in $VB_SECRETS_OWNER (the router's user, 10001:10001), so the
# router reads them as the Docker secret `venuebus`. Runs as root only for that chown; the
# keytool itself never sees a secret on its command line: keys go through stdin.
# An existing keystore is verified and left alone, so a restart changes nothing.
# The keys are the simulators' (compose.yaml), never real venue keys. For production keys see
# docs/operations.md ("Rotating keys").
# SPDX-License-Identifier: MPL-2.0
set -eu

dir=${1:?usage: venuebus-keystore-init DIR}
owner=${VB_SECRETS_OWNER:-10001:10001}
keystore="$dir/keys.vbks"
passphrase="$dir/passphrase"
umask 077
[ -d "$dir" ] || { echo "keystore-init: $dir is not a directory (mount ./docker/secrets)" >&2; exit 1; }

if [ -e "$keystore" ]; then
    venuebus-keytool verify --keystore "$keystore" --passphrase-file "$passphrase"
    echo "keystore-init: $keystore exists; left as it is"
    exit 0
fi

: "${VB_DEMO_BINANCE_KEY:?}" "${VB_DEMO_BINANCE_SECRET:?}"
: "${VB_DEMO_KRAKEN_KEY:?}" "${VB_DEMO_KRAKEN_SECRET:?}"

# 32 random bytes, base64: a passphrase nobody typed
python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())' > "$passphrase"
venuebus-keytool init --keystore "$keystore" --passphrase-file "$passphrase"
printf '%s\n%s\n' "$VB_DEMO_BINANCE_KEY" "$VB_DEMO_BINANCE_SECRET" |
    venuebus-keytool add --keystore "$keystore" --passphrase-file "$passphrase" \
        --venue binance --account binance-demo
printf '%s\n%s\n' "$VB_DEMO_KRAKEN_KEY" "$VB_DEMO_KRAKEN_SECRET" |
    venuebus-keytool add --keystore "$keystore" --passphrase-file "$passphrase" \
        --venue kraken --account kraken-demo
venuebus-keytool verify --keystore "$keystore" --passphrase-file "$passphrase"
chown "$owner" "$keystore" "$passphrase"
chmod 0600 "$keystore" "$passphrase"
echo "keystore-init: created $keystore for $owner"
