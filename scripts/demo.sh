#!/usr/bin/env bash
# `make demo`: one region on the embedded database, in the foreground, until Ctrl-C.
#
# Configuration and data live in .demo/ in the checkout (regiond.conf, data/, regiond.log);
# a second run reuses them (the admin and the database survive).  The region listens on
# 127.0.0.1:5240 only.  On exit the region is stopped by its PID, and it stops its embedded
# PostgreSQL itself.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO="$(pwd)"
VENV="$REPO/.venv"
DEMO="$REPO/.demo"
PORT="${DEMO_PORT:-5240}"
ADDRESS=127.0.0.1
URL="http://localhost:$PORT/MAAS/"
LOG="$DEMO/regiond.log"
START_TIMEOUT_S=180

export MAAS_REGION_CONFIG="$DEMO/regiond.conf"
export MAAS_DATA="$DEMO/data"

say() { printf '%s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

[ -x "$VENV/bin/maas-regiond" ] || die "$VENV is not installed: run 'make demo'"

# The embedded PostgreSQL runs as the unprivileged user 'maas' when we are root, so every
# directory above the data directory must be traversable by others.
if [ "$(id -u)" -eq 0 ]; then
    dir="$REPO"
    while [ "$dir" != / ]; do
        mode="$(stat -c %A "$dir")"
        case "${mode:9:1}" in
            x|t) ;;
            *) die "the database user 'maas' cannot reach $DEMO: $dir is not traversable by others (chmod o+x $dir, or check out the repository elsewhere)" ;;
        esac
        dir="$(dirname "$dir")"
    done
fi

if (exec 3<>"/dev/tcp/$ADDRESS/$PORT") 2>/dev/null; then
    die "something already listens on $ADDRESS:$PORT (another region or demo?); stop it first"
fi

mkdir -p "$MAAS_DATA"
chmod 755 "$DEMO" "$MAAS_DATA"
"$VENV/bin/maas-region" local_config_set \
    --listen-address "$ADDRESS" --listen-port "$PORT" --maas-url "$URL" --num-workers 2

REGION_PID=""
stop_region() {
    local status=$?
    trap - EXIT INT TERM
    if [ -n "$REGION_PID" ] && kill -0 "$REGION_PID" 2>/dev/null; then
        say "" "Stopping the region (PID $REGION_PID) and its embedded PostgreSQL..."
        kill -TERM "$REGION_PID" 2>/dev/null || true
        for _ in $(seq 1 60); do
            kill -0 "$REGION_PID" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$REGION_PID" 2>/dev/null; then
            say "The region did not stop in 30 s; killing it (see $LOG)."
            kill -KILL "$REGION_PID" 2>/dev/null || true
        fi
        wait "$REGION_PID" 2>/dev/null || true
        say "Stopped."
    fi
    exit "$status"
}
trap stop_region EXIT
trap 'exit 0' INT
trap 'exit 0' TERM

say "Starting maas-regiond (embedded PostgreSQL in $MAAS_DATA; log: $LOG)..."
# Its own session: Ctrl-C reaches this script only, which then stops the region in order
# (the region first, then its database), instead of hitting every process at once.
setsid "$VENV/bin/maas-regiond" >>"$LOG" 2>&1 </dev/null &
REGION_PID=$!

up() {
    "$VENV/bin/python" - "$URL" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1] + "api/2.0/version/", timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

deadline=$((SECONDS + START_TIMEOUT_S))
until up; do
    if ! kill -0 "$REGION_PID" 2>/dev/null; then
        wait "$REGION_PID" 2>/dev/null || true
        REGION_PID=""
        say "The region exited during start-up; the end of $LOG:" >&2
        tail -n 15 "$LOG" >&2
        exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        tail -n 15 "$LOG" >&2
        die "the region did not answer on $URL within ${START_TIMEOUT_S}s"
    fi
    sleep 0.5
done

if ! out="$("$VENV/bin/maas-region" createadmin --username admin --password admin \
            --email admin@example.com 2>&1)"; then
    case "$out" in
        *"already exists"*) ;;
        *) die "createadmin failed: $out" ;;
    esac
fi
KEY="$("$VENV/bin/maas-region" apikey --username admin | head -n 1)"
[ -n "$KEY" ] || die "no API key for admin"

cat <<EOF

ironworks region is up at $URL  (listening on $ADDRESS:$PORT only)

  Administrator:   admin / admin
  API key:         $KEY

Try it (in another terminal, from $REPO):

  .venv/bin/maas login admin $URL $KEY
  .venv/bin/maas admin version read
  .venv/bin/maas admin users whoami
  .venv/bin/maas admin rack-controllers read
  .venv/bin/maas admin region-controllers read
  .venv/bin/maas admin fabrics read
  .venv/bin/maas admin subnets read
  .venv/bin/maas admin machines read

or with curl:  curl ${URL}api/2.0/version/

Region log: $LOG   Configuration: $MAAS_REGION_CONFIG
Press Ctrl-C to stop the region (and its embedded PostgreSQL).
EOF

set +e
wait "$REGION_PID"
status=$?
set -e
REGION_PID=""
say "The region exited by itself (status $status); the end of $LOG:" >&2
tail -n 15 "$LOG" >&2
exit "$status"
