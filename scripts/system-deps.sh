#!/usr/bin/env bash
# Install the system packages ironworks needs on Debian 12, only those that are missing:
#   - PostgreSQL server programs (initdb, pg_ctl), for the embedded database and the tests;
#   - Python's venv module (python3-venv), for .venv and .venv-libmaas;
#   - HAProxy, the front door of the demo's two regions, and ip/bridge/unshare, with which
#     the demo builds its network namespaces;
#   - with --test, the other programs the test suite runs for real (keepalived, ssh-keygen).
# Quick and silent when everything is there.  Needs root (or sudo) only when it installs.
# Set IRONWORKS_APT_UPDATED=1 when `apt-get update` has just been run.
set -euo pipefail

PYTHON="${PYTHON:-python3}"
packages=()

# program:package pairs the demo and the tests need (looked up on PATH and in the sbin directories).
DEMO_PROGRAMS=(ip:iproute2 bridge:iproute2 unshare:util-linux)
TEST_PROGRAMS=(keepalived:keepalived ssh-keygen:openssh-client)

have_program() {
    command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

if [ "${1:-}" = --test ]; then
    for pair in "${TEST_PROGRAMS[@]}"; do
        have_program "${pair%%:*}" || packages+=("${pair#*:}")
    done
fi

for pair in "${DEMO_PROGRAMS[@]}"; do
    have_program "${pair%%:*}" || [[ " ${packages[*]} " == *" ${pair#*:} "* ]] || packages+=("${pair#*:}")
done
have_program haproxy || packages+=(haproxy)
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    packages+=(postgresql)
fi
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    packages+=(python3 python3-venv)
elif ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    packages+=(python3-venv)
fi

if [ ${#packages[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "system-deps: missing packages (${packages[*]}); run as root to install them" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: missing ${packages[*]} and this is not a Debian-like system; install them by hand" >&2
    exit 1
fi

echo "system-deps: installing ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
if [ "${IRONWORKS_APT_UPDATED:-0}" != 1 ]; then
    "${as_root[@]}" apt-get update -q
fi
# Packages such as haproxy and keepalived start a system service from their postinst; we
# run our own instances only, so service starts are refused while installing.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
    "${as_root[@]}" chmod +x "$policy"
    made_policy=1
fi
status=0
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}" || status=$?
if [ "$made_policy" = 1 ]; then
    "${as_root[@]}" rm -f "$policy"
fi
exit "$status"
