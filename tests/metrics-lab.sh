#!/bin/sh
# metrics-lab.sh: the Prometheus listener of a daemon watching the lab's
# real servers (PowerDNS, Knot, BIND on loopback), scraped with curl:
#   - GET /metrics: 200, text format 0.0.4 (checked by the strict parser
#     of tests/check_metrics), every provider up;
#   - other paths 404, other methods 405;
#   - bind killed: its multidns_provider_up goes to 0 within seconds;
#   - a record changed at knot by hand (mode alert) shows as
#     multidns_drift_items > 0 for knot;
#   - SIGHUP keeps the listener; the daemon stops cleanly.
set -eu

. "$top_srcdir/tests/lib.sh"
lib_init
: "${DNSCTL:?DNSCTL is not set}"
: "${top_builddir:?top_builddir is not set}"
for c in curl nsupdate dig; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "FAIL: $c is not installed" >&2
		exit 1
	fi
done
checker=$top_builddir/tests/check_metrics
[ -x "$checker" ] || { echo "FAIL: $checker is not built" >&2; exit 1; }

lab=$tmp/lab
daemon_pid=
cleanup()
{
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	"$top_srcdir/scripts/lab" stop "$lab" >/dev/null 2>&1 || true
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

check()
{
	lib_count=$((lib_count + 1))
	echo "ok $lib_count - $*"
}
now_ms()
{
	echo $(($(date +%s%N) / 1000000))
}

if ! "$top_srcdir/scripts/lab" start "$lab" example.com \
    >"$tmp/lab.out" 2>&1; then
	cat "$tmp/lab.out" >&2
	echo "FAIL: the lab did not start" >&2
	exit 1
fi
. "$lab/lab.env"

mkdir "$tmp/zones"
{
	printf '$ORIGIN example.com.\n$TTL 300\n'
	printf '@ 3600 SOA ns1.pdns.lab. hostmaster.example.com. 1 7200 900 1209600 300\n'
	printf '@ 3600 NS ns1.pdns.lab.\n'
	printf 'www A 192.0.2.1\n'
	printf 'mail A 192.0.2.25\n'
	printf 'h1 A 192.0.2.101\n'
	printf 'h2 A 192.0.2.102\n'
} >"$tmp/zones/example.com.zone"

# A port of our own: try a few at random until the daemon can bind one.
start_daemon()
{
	port=$1
	cat >"$tmp/multidns.conf" <<EOF
[daemon]
state = $tmp/state.db
socket = $tmp/control.sock
metrics = 127.0.0.1:$port
interval = 86400
jitter = 0
probe-interval = 1
down-after = 3
up-after = 2
[store]
type = directory
path = $tmp/zones
poll = 1
[provider "pdns"]
type = powerdns
url = $PDNS_API_URL
api-key-file = $PDNS_API_KEY_FILE
nameservers = ns1.pdns.lab. ns2.pdns.lab.
probe = 127.0.0.1:$PDNS_DNS_PORT
timeout = 5
[provider "knot"]
type = rfc2136
server = 127.0.0.1:$KNOT_DNS_PORT
tsig-key-name = $KNOT_TSIG_NAME
tsig-secret-file = $KNOT_TSIG_SECRET_FILE
nameservers = ns1.knot.lab. ns2.knot.lab.
timeout = 5
[provider "bind"]
type = rfc2136
server = 127.0.0.1:$BIND_DNS_PORT
tsig-key-name = $BIND_TSIG_NAME
tsig-secret-file = $BIND_TSIG_SECRET_FILE
nameservers = ns1.bind.lab. ns2.bind.lab.
timeout = 5
[zone "example.com"]
file = example.com.zone
providers = pdns, knot, bind
mode = alert
probe-sample = 10
EOF
	rm -f "$tmp/control.sock"
	"$MULTIDNSD" -d -c "$tmp/multidns.conf" -f >"$tmp/daemon.log" 2>&1 &
	daemon_pid=$!
	i=0
	while [ ! -S "$tmp/control.sock" ]; do
		i=$((i + 1))
		if [ "$i" -gt 100 ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
			wait "$daemon_pid" 2>/dev/null || true
			daemon_pid=
			return 1
		fi
		sleep 0.1
	done
	return 0
}
started=0
for attempt in 1 2 3 4 5; do
	port=$(( 20000 + ($$ * 7 + attempt * 7919 + $(date +%N | sed 's/^0*//;s/^$/0/')) % 30000 ))
	if start_daemon "$port"; then
		started=1
		break
	fi
	grep -q "cannot listen" "$tmp/daemon.log" || break
done
if [ "$started" -ne 1 ]; then
	cat "$tmp/daemon.log" >&2
	echo "FAIL: the daemon did not start" >&2
	exit 1
fi
url=http://127.0.0.1:$port/metrics
if grep -q "listening on http://127.0.0.1:$port/metrics" "$tmp/daemon.log"; then
	check "the daemon listens on 127.0.0.1:$port"
else
	fail "no 'listening on' line in the log"
fi

scrape()
{
	curl -sS --max-time 5 -o "$tmp/scrape" "$url"
}
# metric SERIES: its value in the last scrape ("" when absent).
metric()
{
	awk -v s="$1" 'index($0, s " ") == 1 { print $2 }' "$tmp/scrape"
}
# wait_metric SECONDS SERIES VALUE: prints the ms it took.
wait_metric()
{
	start=$(now_ms)
	while :; do
		scrape 2>/dev/null && [ "$(metric "$2")" = "$3" ] && break
		if [ $(($(now_ms) - start)) -gt $(($1 * 1000)) ]; then
			echo "  $2 is '$(metric "$2")', want '$3'" >&2
			return 1
		fi
		sleep 0.1
	done
	echo $(($(now_ms) - start))
}

# Push the zone (mode alert: only an operator's sync applies); the second
# pass finds nothing to do and closes the drift items the first one saw.
for pass in 1 2; do
	"$DNSCTL" -s "$tmp/control.sock" sync example.com >"$tmp/sync.out" \
	    2>&1 || fail "dnsctl sync: $(cat "$tmp/sync.out")"
done

# --- 1. a valid scrape, every provider up -----------------------------------
ok=1
for p in pdns knot bind; do
	wait_metric 10 "multidns_provider_up{provider=\"$p\"}" 1 >/dev/null ||
	    ok=0
done
if [ "$ok" -eq 1 ]; then
	check "every provider up"
else
	fail "not every provider came up"
	cat "$tmp/scrape" >&2
fi
if "$checker" "$tmp/scrape" >"$tmp/check.out" 2>&1; then
	check "the scrape passes the strict parser ($(cut -d: -f2 "$tmp/check.out"))"
else
	fail "the scrape is not valid: $(cat "$tmp/check.out")"
	cat "$tmp/scrape" >&2
fi
for series in 'multidns_build_info{version="' \
    'multidns_probe_latency_seconds_count{provider="pdns"}' \
    'multidns_drift_items{zone="example.com.",provider="knot"}' \
    'multidns_outbox_pending' \
    'multidns_api_requests_total{provider="pdns"}' \
    'multidns_nameserver_state{provider="bind",address="127.0.0.1:'"$BIND_DNS_PORT"'",state="healthy"}'; do
	grep -qF "$series" "$tmp/scrape" || fail "no $series in the scrape"
done
n=$(metric 'multidns_probe_latency_seconds_count{provider="pdns"}')
[ "${n:-0}" -ge 1 ] || fail "no latency observed at pdns ($n)"
ct=$(curl -sS --max-time 5 -o /dev/null -w '%{content_type}' "$url")
case $ct in
"text/plain; version=0.0.4"*) check "Content-Type: $ct" ;;
*) fail "Content-Type: $ct" ;;
esac
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$port/")
code2=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$port/metricsx")
code3=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST \
    "$url")
code4=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X DELETE \
    "$url")
if [ "$code" = 404 ] && [ "$code2" = 404 ] && [ "$code3" = 405 ] &&
    [ "$code4" = 405 ]; then
	check "other paths 404, other methods 405"
else
	fail "/: $code, /metricsx: $code2, POST: $code3, DELETE: $code4"
fi

# --- 2. bind killed: multidns_provider_up 0 ---------------------------------
"$top_srcdir/scripts/lab" kill "$lab" bind >/dev/null 2>&1
if down_ms=$(wait_metric 10 'multidns_provider_up{provider="bind"}' 0); then
	check "bind killed: multidns_provider_up 0 after $down_ms ms"
else
	fail "bind killed: multidns_provider_up did not go to 0"
fi
[ "$(metric 'multidns_provider_up{provider="pdns"}')" = 1 ] ||
    fail "pdns is not up while bind is down"
[ "$(metric 'multidns_provider_state{provider="bind",kind="dns",state="down"}')" = 1 ] ||
    fail "bind's provider_state is not down"

# --- 3. a change at knot by hand: drift items > 0 ---------------------------
if wait_metric 10 'multidns_drift_items{zone="example.com.",provider="knot"}' 0 \
    >/dev/null; then
	check "no drift at knot after the sync"
else
	fail "drift at knot after the sync"
fi
before=$(metric 'multidns_drift_items{zone="example.com.",provider="knot"}')
{
	echo "server 127.0.0.1 $KNOT_DNS_PORT"
	echo "key hmac-sha256:$KNOT_TSIG_NAME $(cat "$KNOT_TSIG_SECRET_FILE")"
	echo "zone example.com."
	echo "update delete h1.example.com. A"
	echo "update add h1.example.com. 300 A 203.0.113.99"
	echo send
} | nsupdate
start=$(now_ms)
found=0
while [ $(($(now_ms) - start)) -le 15000 ]; do
	scrape 2>/dev/null || true
	n=$(metric 'multidns_drift_items{zone="example.com.",provider="knot"}')
	if [ "${n:-0}" -gt 0 ]; then
		found=1
		break
	fi
	sleep 0.2
done
if [ "$found" -eq 1 ]; then
	check "the change at knot: multidns_drift_items $before -> $n after $(($(now_ms) - start)) ms"
else
	fail "multidns_drift_items for knot stayed '$n'"
fi

# --- 4. reload keeps the listener; a clean stop ----------------------------
kill -HUP "$daemon_pid"
sleep 1
if scrape && [ -s "$tmp/scrape" ] && "$checker" "$tmp/scrape" >/dev/null; then
	check "after SIGHUP the listener still answers"
else
	fail "no scrape after SIGHUP"
fi
if ! kill -0 "$daemon_pid" 2>/dev/null; then
	fail "the daemon died"
	cat "$tmp/daemon.log" >&2
else
	kill -TERM "$daemon_pid"
	drc=0
	wait "$daemon_pid" || drc=$?
	daemon_pid=
	if [ "$drc" -ne 0 ] || grep -q 'Sanitizer' "$tmp/daemon.log"; then
		fail "the daemon exited $drc"
		grep -A20 'Sanitizer' "$tmp/daemon.log" >&2 || true
	else
		check "the daemon stops cleanly"
	fi
fi
echo "figures: provider_up 0 after ${down_ms:-?} ms (probe-interval 1 s, down-after 3)"
lib_done
