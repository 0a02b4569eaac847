#!/usr/bin/env bash
# `make demo`: two regions behind HAProxy on the embedded database and two racks on a shared
# VLAN, in network namespaces, in the foreground until Ctrl-C (scripts/demo.py does the work;
# this checks what it needs first).
#
# Configuration, data and logs live in .demo/ in the checkout; a second run reuses them.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO="$(pwd)"

die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

[ -x "$REPO/.venv/bin/maas-regiond" ] || die ".venv is not installed: run 'make demo'"
export PATH="$PATH:/usr/sbin:/sbin"
for program in haproxy ip bridge unshare; do
    command -v "$program" >/dev/null 2>&1 || die "$program is not installed: run 'make demo'"
done
# Network namespaces (the racks' and the regions' hosts) need root.
[ "$(id -u)" -eq 0 ] || die "the demo builds network namespaces: run it as root"

# The embedded PostgreSQL runs as the unprivileged user 'maas' (we are root), so every
# directory above the data directory must be traversable by others.
dir="$REPO"
while [ "$dir" != / ]; do
    mode="$(stat -c %A "$dir")"
    case "${mode:9:1}" in
        x|t) ;;
        *) die "the database user 'maas' cannot reach $REPO/.demo: $dir is not traversable by others (chmod o+x $dir, or check out the repository elsewhere)" ;;
    esac
    dir="$(dirname "$dir")"
done

exec "$REPO/.venv/bin/python" "$REPO/scripts/demo.py"
