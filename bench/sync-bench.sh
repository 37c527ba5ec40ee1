#!/bin/sh
# Start the lab's PowerDNS (with a zone for the benchmark), run
# bench/sync-bench against it, stop the lab.  Arguments go to sync-bench.
#   make bench && sh bench/sync-bench.sh [-n COUNT]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${SYNC_BENCH:-$top/build/bench/sync-bench}
[ -x "$bin" ] || { echo "sync-bench: build it first (make bench)" >&2; exit 2; }
lab=$(mktemp -d "${TMPDIR:-/tmp}/sync-bench.XXXXXX")
trap '"$top/scripts/lab" stop "$lab" >/dev/null 2>&1 || true; rm -rf "$lab"' EXIT
"$top/scripts/lab" start "$lab" bench.example >/dev/null
. "$lab/lab.env"
export PDNS_API_URL PDNS_API_KEY_FILE
"$bin" "$@"
