#!/bin/sh
# Start the lab (its Knot serves the zone bench.lab), then, in the same
# run and against the same Knot, bench/probe-bench (the prober's dnsio
# query path) and dnsperf (Debian package dnsperf), each a single thread
# pinned to one core (taskset, when present), and print both rates and
# the ratio.  The target: probe-bench >= 50 % of dnsperf.
#   make bench && sh bench/probe-bench.sh [SECONDS] [IN_FLIGHT]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${PROBE_BENCH:-$top/build/bench/probe-bench}
secs=${1:-5}
conc=${2:-100}
[ -x "$bin" ] || { echo "probe-bench: build it first (make bench)" >&2; exit 2; }
command -v dnsperf >/dev/null 2>&1 ||
    { echo "probe-bench: dnsperf is not installed (apt-get install dnsperf)" >&2; exit 2; }
pin=
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
lab=$(mktemp -d "${TMPDIR:-/tmp}/probe-bench.XXXXXX")
trap '"$top/scripts/lab" stop "$lab" >/dev/null 2>&1 || true; rm -rf "$lab"' EXIT
"$top/scripts/lab" start "$lab" bench.lab >/dev/null 2>&1
. "$lab/lab.env"
server=$KNOT_ADDR:$KNOT_DNS_PORT

$pin "$bin" -s "$server" -z bench.lab. -t "$secs" -c "$conc" >"$lab/probe.out"
ours=$(awk '{ for (i = 1; i <= NF; i++) if ($(i + 1) == "queries/s") print $i }' "$lab/probe.out")

echo "bench.lab. SOA" >"$lab/queries"
$pin dnsperf -s "$KNOT_ADDR" -p "$KNOT_DNS_PORT" -d "$lab/queries" \
    -l "$secs" -c 1 -T 1 -q "$conc" >"$lab/dnsperf.out" 2>&1
theirs=$(awk '/Queries per second:/ { printf "%.0f", $4 }' "$lab/dnsperf.out")
[ -n "$ours" ] && [ -n "$theirs" ] ||
    { cat "$lab/probe.out" "$lab/dnsperf.out" >&2; exit 1; }

cat "$lab/probe.out"
echo "dnsperf: $theirs queries/s (same server, $conc in flight, 1 thread)"
echo "$ours $theirs" | awk '{ printf "ratio: %.0f %% of dnsperf (target >= 50 %%)\n", 100 * $1 / $2 }'
