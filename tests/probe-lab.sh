#!/bin/sh
# probe-lab.sh: the prober and the health state machine against the lab's
# real servers (PowerDNS, Knot, BIND on loopback) with the daemon:
#   - all three providers' nameservers are healthy;
#   - bind killed: its nameserver goes down within a few probe intervals
#     (probe-interval = 1, down-after = 3), `dnsctl status` needs
#     attention; restarted: healthy again after up-after successes; both
#     transitions recorded (events table, health samples, dnsctl health);
#   - a record changed behind knot's back (nsupdate), with API polling
#     effectively off (interval = 86400, mode alert), is found over DNS.
# Prints the figures: time to down, time to healthy, probe cycle time.
set -eu

. "$top_srcdir/tests/lib.sh"
lib_init
: "${DNSCTL:?DNSCTL is not set}"
for c in jq sqlite3 nsupdate dig; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "FAIL: $c is not installed" >&2
		exit 1
	fi
done

lab=$tmp/lab
daemon_pid=
cleanup()
{
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	"$top_srcdir/scripts/lab" stop "$lab" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

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
	printf '@ MX 10 mail.example.com.\n'
	printf 'mail A 192.0.2.25\n'
	printf '@ TXT "v=spf1 mx -all"\n'
	i=1
	while [ "$i" -le 12 ]; do
		printf 'h%d A 192.0.2.%d\n' "$i" "$((100 + i))"
		i=$((i + 1))
	done
} >"$tmp/zones/example.com.zone"
nrrsets=15	# sampleable: www, mail, MX, TXT, h1..h12 minus the apex NS/SOA
sample=4

cat >"$tmp/multidns.conf" <<EOF
[daemon]
state = $tmp/state.db
socket = $tmp/control.sock
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
probe-sample = $sample
EOF

"$MULTIDNSD" -d -c "$tmp/multidns.conf" -f >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!
i=0
while [ ! -S "$tmp/control.sock" ]; do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
		cat "$tmp/daemon.log" >&2
		echo "FAIL: the daemon did not open its socket" >&2
		exit 1
	fi
	sleep 0.1
done
ctl()
{
	"$DNSCTL" -s "$tmp/control.sock" "$@"
}
check()
{
	lib_count=$((lib_count + 1))
	echo "ok $lib_count - $*"
}
now_ms()
{
	echo $(($(date +%s%N) / 1000000))
}
# state PROVIDER NAMESERVER: the state dnsctl health reports.
state()
{
	ctl --json health 2>/dev/null | jq -r --arg p "$1" --arg n "$2" \
	    '.health[] | select(.provider == $p and .nameserver == $n) | .state'
}
# wait_state SECONDS PROVIDER NAMESERVER STATE: prints the ms it took.
wait_state()
{
	start=$(now_ms)
	while :; do
		[ "$(state "$2" "$3")" = "$4" ] && break
		if [ $(($(now_ms) - start)) -gt $(($1 * 1000)) ]; then
			echo "  $2 $3: '$(state "$2" "$3")', want '$4'" >&2
			return 1
		fi
		sleep 0.05
	done
	echo $(($(now_ms) - start))
}

bind_ns=127.0.0.1:$BIND_DNS_PORT
knot_ns=127.0.0.1:$KNOT_DNS_PORT
pdns_ns=127.0.0.1:$PDNS_DNS_PORT

# --- 0. push the zone once (mode alert: only an operator's sync applies) ---
ctl sync example.com >"$tmp/sync.out" 2>&1 || true
for s in "pdns $PDNS_DNS_PORT" "knot $KNOT_DNS_PORT" "bind $BIND_DNS_PORT"; do
	set -- $s
	got=$(dig +short +norecurse +time=1 +tries=1 -p "$2" @127.0.0.1 \
	    h7.example.com A)
	[ "$got" = 192.0.2.107 ] || fail "$1 does not serve the zone after sync ($got)"
done

# --- 1. every nameserver healthy ---------------------------------------------
ok=1
for pn in "pdns $pdns_ns" "knot $knot_ns" "bind $bind_ns"; do
	set -- $pn
	wait_state 10 "$1" "$2" healthy >/dev/null || ok=0
	wait_state 5 "$1" "(all)" healthy >/dev/null || ok=0
done
if [ "$ok" -eq 1 ]; then
	check "every provider's nameserver is healthy"
else
	fail "not every nameserver became healthy"
	ctl health >&2 || true
fi
run ctl status
[ "$rc" -eq 0 ] || fail "dnsctl status: exit $rc with everything healthy"

# --- 2. bind killed: down within a few intervals -----------------------------
"$top_srcdir/scripts/lab" kill "$lab" bind >/dev/null 2>&1
if down_ms=$(wait_state 10 bind "$bind_ns" down); then
	# down-after = 3 cycles; each failed cycle ends by its timeout (80 %
	# of the interval), so the third failure is seen within 2.8 s of the
	# first failed cycle's start, plus up to one interval until it starts
	# (3.8 s), plus how long this poll with dnsctl takes to notice (it
	# runs dnsctl in a loop; under the sanitizers each run is slower):
	# 4.5 s.
	if [ "$down_ms" -le 4500 ]; then
		check "bind killed: down after $down_ms ms (probe-interval 1 s, down-after 3)"
	else
		fail "bind killed: down only after $down_ms ms"
	fi
else
	fail "bind killed: its nameserver did not go down"
fi
[ "$(state bind '(all)')" = down ] || fail "provider bind is not down"
[ "$(state pdns "$pdns_ns")" = healthy ] || fail "pdns is not healthy while bind is down"
run ctl status
if [ "$rc" -ne 0 ]; then
	check "dnsctl status needs attention (exit $rc) with bind down"
else
	fail "dnsctl status exits 0 with bind down"
fi
ctl health >"$tmp/health.txt" 2>&1 || true
if grep -q "bind.*$bind_ns.*down" "$tmp/health.txt"; then
	check "dnsctl health shows bind's nameserver down"
else
	fail "dnsctl health does not show bind down:"
	cat "$tmp/health.txt" >&2
fi

# --- 3. restarted: healthy after up-after successes -------------------------
"$top_srcdir/scripts/lab" restart "$lab" bind >/dev/null 2>&1
if up_ms=$(wait_state 20 bind "$bind_ns" healthy); then
	check "bind restarted: healthy again after $up_ms ms (up-after 2)"
else
	fail "bind restarted: not healthy again"
fi
db()
{
	sqlite3 "$tmp/state.db" "$1"
}
n_down=$(db "select count(*) from events where type = 'health_transition' and provider = 'bind' and details like '%\"to\":\"down\"%' and details like '%$bind_ns%';")
n_up=$(db "select count(*) from events where type = 'health_transition' and provider = 'bind' and details like '%\"from\":\"down\",\"to\":\"healthy\"%' and details like '%$bind_ns%';")
if [ "$n_down" -ge 1 ] && [ "$n_up" -ge 1 ]; then
	check "both transitions of bind recorded (down: $n_down, back: $n_up)"
else
	fail "transitions not recorded (down: $n_down, back: $n_up)"
fi
n_fail=$(db "select count(*) from health where provider = 'bind' and nameserver = '$bind_ns' and kind = 'dns' and ok = 0;")
n_ok=$(db "select count(*) from health where provider = 'pdns' and kind = 'dns' and ok = 1 and latency_ms is not null;")
if [ "$n_fail" -ge 3 ] && [ "$n_ok" -ge 3 ]; then
	check "health samples recorded ($n_fail failed at bind, $n_ok ok at pdns)"
else
	fail "health samples missing ($n_fail failed at bind, $n_ok ok at pdns)"
fi

# --- 4. a record changed behind knot's back is found over DNS ---------------
{
	echo "server 127.0.0.1 $KNOT_DNS_PORT"
	echo "key hmac-sha256:$KNOT_TSIG_NAME $(cat "$KNOT_TSIG_SECRET_FILE")"
	echo "zone example.com."
	echo "update delete h9.example.com. A"
	echo "update add h9.example.com. 300 A 203.0.113.99"
	echo send
} | nsupdate
[ "$(dig +short +norecurse -p "$KNOT_DNS_PORT" @127.0.0.1 h9.example.com A)" = 203.0.113.99 ] ||
    fail "the hand edit at knot did not take"
cycles=$(( (nrrsets + sample - 1) / sample ))
start=$(now_ms)
found=0
while [ $(($(now_ms) - start)) -le $(( (cycles + 2) * 1000 )) ]; do
	n=$(db "select count(*) from drift where zone = 'example.com.' and provider = 'knot' and owner = 'h9.example.com.' and type = 'A' and kind = 'changed' and resolved_at is null and actual like 'over DNS at $knot_ns: 300 203.0.113.99';")
	if [ "$n" = 1 ]; then
		found=1
		break
	fi
	sleep 0.1
done
if [ "$found" -eq 1 ]; then
	check "the change at knot found over DNS after $(($(now_ms) - start)) ms (every RRset within $cycles cycles)"
else
	fail "the change at knot was not found over DNS"
	db "select * from drift;" >&2
fi
n=$(db "select count(*) from drift where provider in ('pdns', 'bind') and resolved_at is null and actual like 'over DNS at %';")
[ "$n" = 0 ] || fail "drift over DNS recorded at pdns or bind, which match ($n)"
if ctl drift example.com 2>/dev/null | grep -q "h9.example.com."; then
	check "dnsctl drift lists it"
else
	fail "dnsctl drift does not list it"
fi
# Put it back by hand: the item is resolved over DNS.
{
	echo "server 127.0.0.1 $KNOT_DNS_PORT"
	echo "key hmac-sha256:$KNOT_TSIG_NAME $(cat "$KNOT_TSIG_SECRET_FILE")"
	echo "zone example.com."
	echo "update delete h9.example.com. A"
	echo "update add h9.example.com. 300 A 192.0.2.109"
	echo send
} | nsupdate
start=$(now_ms)
resolved=0
while [ $(($(now_ms) - start)) -le $(( (cycles + 2) * 1000 )) ]; do
	n=$(db "select count(*) from drift where provider = 'knot' and owner = 'h9.example.com.' and resolved_at is not null;")
	if [ "$n" = 1 ]; then
		resolved=1
		break
	fi
	sleep 0.1
done
if [ "$resolved" -eq 1 ]; then
	check "repaired at knot: the drift item is resolved over DNS"
else
	fail "the drift item at knot was not resolved"
fi

# --- 5. latency box plot and figures ----------------------------------------
ctl latency example.com >"$tmp/latency.txt" 2>&1 || true
# "NAME  |--[==|==]---|  p25 N  p50 N  p75 N  p99 N ms", one per provider
box='[][|=-][][|=-]*  *p25 [0-9]*  p50 [0-9]*  p75 [0-9]*  p99 [0-9]* ms$'
if grep -q "^pdns  *$box" "$tmp/latency.txt" &&
    grep -q "^knot  *$box" "$tmp/latency.txt" &&
    grep -q "^bind  *$box" "$tmp/latency.txt"; then
	check "dnsctl latency draws a box plot per provider"
else
	fail "dnsctl latency output:"
	cat "$tmp/latency.txt" >&2
fi
sed 's/^/  /' "$tmp/latency.txt"
cycle_ms=$(ctl --json health | jq -r '.last_cycle_ms')
ncycles=$(ctl --json health | jq -r '.probe_cycles')
queries=$((3 * (2 + sample)))
echo "figures: $ncycles probe cycles; last cycle $cycle_ms ms for $queries queries" \
    "(3 nameservers x (SOA + NS + $sample sampled)); down after ${down_ms:-?} ms;" \
    "healthy again after ${up_ms:-?} ms"

if ! kill -0 "$daemon_pid" 2>/dev/null; then
	fail "the daemon died"
	cat "$tmp/daemon.log" >&2
else
	# A clean stop (sanitizer builds report leaks and errors here).
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
if [ "$lib_failed" -ne 0 ]; then
	echo "--- daemon log (tail) ---" >&2
	tail -40 "$tmp/daemon.log" >&2
fi
lib_done
