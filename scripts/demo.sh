#!/usr/bin/env bash
# `make demo`: two regions behind HAProxy on the embedded database, in the foreground, until
# Ctrl-C (scripts/demo.py does the work; this checks what it needs first).
#
# Configuration, data and logs live in .demo/ in the checkout; a second run reuses them.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO="$(pwd)"

die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

[ -x "$REPO/.venv/bin/maas-regiond" ] || die ".venv is not installed: run 'make demo'"
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || die "haproxy is not installed: run 'make demo'"

# The embedded PostgreSQL runs as the unprivileged user 'maas' when we are root, so every
# directory above the data directory must be traversable by others.
if [ "$(id -u)" -eq 0 ]; then
    dir="$REPO"
    while [ "$dir" != / ]; do
        mode="$(stat -c %A "$dir")"
        case "${mode:9:1}" in
            x|t) ;;
            *) die "the database user 'maas' cannot reach $REPO/.demo: $dir is not traversable by others (chmod o+x $dir, or check out the repository elsewhere)" ;;
        esac
        dir="$(dirname "$dir")"
    done
fi

export PATH="$PATH:/usr/sbin:/sbin"
exec "$REPO/.venv/bin/python" "$REPO/scripts/demo.py"
