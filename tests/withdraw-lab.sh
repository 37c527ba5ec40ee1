#!/bin/sh
# withdraw-lab.sh: NS withdrawal and reinstatement against real servers and
# a real resolver.
#
# The lab in resolver mode (pdns 127.0.0.21, knot 127.0.0.22, bind
# 127.0.0.23, all on port 53) serves example.lab; a parent zone lab.
# (Knot, 127.0.0.24:53) delegates it to all six nameservers, with glue;
# Unbound (127.0.0.25:53, stub-zone lab.) resolves it.  The daemon runs
# with on-outage = withdraw, probe-interval 1, down-after 2,
# withdraw-after 0, reinstate-after 3.  Unbound is queried every 100 ms
# throughout.
#   - pdns killed: its NS leave the apex NS at knot and bind within one
#     probe interval after it is declared down; zero SERVFAIL after that;
#   - pdns restarted: reinstated after the hold (not before);
#   - pdns and knot killed: both withdrawn, bind (the last healthy one)
#     never; `dnsctl withdraw bind` is refused.
# Needs root (port 53, an address on lo for BIND), unbound and knotd.
# Prints the figures.
set -eu

. "$top_srcdir/tests/lib.sh"
lib_init
: "${DNSCTL:?DNSCTL is not set}"
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (port 53 on 127.0.0.21-25)" >&2
	exit 77
fi
for c in jq sqlite3 dig unbound knotd; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "SKIP: $c is not installed" >&2
		exit 77
	fi
done

A_PDNS=127.0.0.21 A_KNOT=127.0.0.22 A_BIND=127.0.0.23
A_PARENT=127.0.0.24 A_UNBOUND=127.0.0.25
lab=$tmp/lab
daemon_pid= parent_pid= unbound_pid= loop_pid=
cleanup()
{
	for p in $loop_pid $daemon_pid $unbound_pid $parent_pid; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	"$top_srcdir/scripts/lab" stop "$lab" >/dev/null 2>&1 || true
	rm -rf "$tmp"
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
ctl()
{
	"$DNSCTL" -s "$tmp/control.sock" "$@"
}
db()
{
	sqlite3 "$tmp/state.db" "$1"
}
# apex_ns ADDR: the apex NS names served there, sorted, on one line.
apex_ns()
{
	dig +short +norecurse +time=1 +tries=1 @"$1" example.lab NS 2>/dev/null |
	    sort | tr '\n' ' '
}
# dns_state PROVIDER: the provider's DNS state as dnsctl health says.
dns_state()
{
	ctl --json health 2>/dev/null | jq -r --arg p "$1" \
	    '.health[] | select(.provider == $p and .nameserver == "(all)") | .state'
}
# wait_for SECONDS CMD...: until CMD succeeds; the ms it took, or 1.
wait_for()
{
	wf_lim=$1
	shift
	wf_start=$(now_ms)
	while ! "$@"; do
		if [ $(($(now_ms) - wf_start)) -gt $((wf_lim * 1000)) ]; then
			return 1
		fi
		sleep 0.05
	done
	echo $(($(now_ms) - wf_start))
}
state_is() { [ "$(dns_state "$1")" = "$2" ]; }
has_ns() { apex_ns "$1" | grep -q "ns1\.$2\.lab\."; }
lacks_ns() { ! apex_ns "$1" | grep -q "ns1\.$2\.lab\." && [ -n "$(apex_ns "$1")" ]; }

for a in $A_PDNS $A_KNOT $A_BIND $A_PARENT $A_UNBOUND; do
	if ss -Hlun "sport = :53" 2>/dev/null | grep -q "$a:53"; then
		echo "SKIP: $a:53 is taken" >&2
		exit 77
	fi
done

# --- the lab, the parent, the resolver ---------------------------------------
if ! LAB_ADDR_PDNS=$A_PDNS LAB_ADDR_KNOT=$A_KNOT LAB_ADDR_BIND=$A_BIND \
    LAB_DNS_PORT=53 "$top_srcdir/scripts/lab" start "$lab" example.lab \
    >"$tmp/lab.out" 2>&1; then
	cat "$tmp/lab.out" >&2
	echo "FAIL: the lab did not start" >&2
	exit 1
fi
. "$lab/lab.env"

mkdir "$tmp/parent" "$tmp/unbound"
{
	printf '$ORIGIN lab.\n$TTL 60\n'
	printf '@ SOA ns.lab. hostmaster.lab. 1 60 60 600 60\n'
	printf '@ NS ns.lab.\nns A %s\n' "$A_PARENT"
	for s in pdns knot bind; do
		printf 'example NS ns1.%s.lab.\nexample NS ns2.%s.lab.\n' "$s" "$s"
	done
	printf 'ns1.pdns A %s\nns2.pdns A %s\n' "$A_PDNS" "$A_PDNS"
	printf 'ns1.knot A %s\nns2.knot A %s\n' "$A_KNOT" "$A_KNOT"
	printf 'ns1.bind A %s\nns2.bind A %s\n' "$A_BIND" "$A_BIND"
} >"$tmp/parent/lab.zone"
cat >"$tmp/parent/knot.conf" <<EOF
server:
    rundir: "$tmp/parent"
    listen: $A_PARENT@53
log:
  - target: stderr
    any: warning
database:
    storage: "$tmp/parent"
zone:
  - domain: lab.
    file: "$tmp/parent/lab.zone"
    journal-content: none
EOF
knotd -c "$tmp/parent/knot.conf" >"$tmp/parent/knot.log" 2>&1 &
parent_pid=$!

cat >"$tmp/unbound/unbound.conf" <<EOF
server:
    interface: $A_UNBOUND
    port: 53
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$tmp/unbound"
    pidfile: "$tmp/unbound/unbound.pid"
    logfile: ""
    use-syslog: no
    verbosity: 0
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    module-config: "iterator"
    qname-minimisation: no
    domain-insecure: "lab."
    local-zone: "lab." nodefault
    cache-max-ttl: 5
    cache-max-negative-ttl: 1
remote-control:
    control-enable: no
stub-zone:
    name: "lab."
    stub-addr: $A_PARENT
EOF
unbound -d -c "$tmp/unbound/unbound.conf" >"$tmp/unbound/unbound.log" 2>&1 &
unbound_pid=$!

if ! wait_for 10 sh -c "dig +short +time=1 +tries=1 @$A_PARENT ns1.bind.lab A | grep -q $A_BIND" >/dev/null; then
	cat "$tmp/parent/knot.log" >&2
	fail "the parent zone is not served at $A_PARENT"
	exit 1
fi

# --- the zone and the daemon ---------------------------------------------------
mkdir "$tmp/zones"
{
	printf '$ORIGIN example.lab.\n$TTL 5\n'
	printf '@ 60 SOA ns1.pdns.lab. hostmaster.example.lab. 1 7200 900 1209600 5\n'
	printf '@ 60 NS ns1.pdns.lab.\n'
	printf 'www A 192.0.2.1\n'
	i=1
	while [ "$i" -le 12 ]; do
		printf 'h%d A 192.0.2.%d\n' "$i" "$((100 + i))"
		i=$((i + 1))
	done
} >"$tmp/zones/example.lab.zone"

cat >"$tmp/multidns.conf" <<EOF
[daemon]
state = $tmp/state.db
socket = $tmp/control.sock
interval = 86400
jitter = 0
probe-interval = 1
probe-timeout = 300
down-after = 2
up-after = 2
on-outage = withdraw
withdraw-after = 0
reinstate-after = 3
[store]
type = directory
path = $tmp/zones
poll = 1
[provider "pdns"]
type = powerdns
url = $PDNS_API_URL
api-key-file = $PDNS_API_KEY_FILE
nameservers = ns1.pdns.lab. ns2.pdns.lab.
probe = $A_PDNS
timeout = 3
[provider "knot"]
type = rfc2136
server = $A_KNOT
tsig-key-name = $KNOT_TSIG_NAME
tsig-secret-file = $KNOT_TSIG_SECRET_FILE
nameservers = ns1.knot.lab. ns2.knot.lab.
timeout = 3
[provider "bind"]
type = rfc2136
server = $A_BIND
tsig-key-name = $BIND_TSIG_NAME
tsig-secret-file = $BIND_TSIG_SECRET_FILE
nameservers = ns1.bind.lab. ns2.bind.lab.
timeout = 3
[zone "example.lab"]
file = example.lab.zone
providers = pdns, knot, bind
mode = enforce
EOF

"$MULTIDNSD" -d -c "$tmp/multidns.conf" -f >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!
if ! wait_for 10 test -S "$tmp/control.sock" >/dev/null; then
	cat "$tmp/daemon.log" >&2
	echo "FAIL: the daemon did not open its socket" >&2
	exit 1
fi
ctl sync example.lab >"$tmp/sync.out" 2>&1 || true
all6="ns1.bind.lab. ns1.knot.lab. ns1.pdns.lab. ns2.bind.lab. ns2.knot.lab. ns2.pdns.lab. "
for a in $A_PDNS $A_KNOT $A_BIND; do
	if ! wait_for 10 sh -c "[ \"\$(dig +short +norecurse @$a example.lab NS | sort | tr '\n' ' ')\" = '$all6' ]" >/dev/null; then
		fail "$a does not serve the union of the six nameservers: $(apex_ns $a)"
	fi
done
for s in pdns knot bind; do
	wait_for 10 state_is "$s" healthy >/dev/null ||
	    fail "provider $s is not healthy at the start ($(dns_state $s))"
done
[ "$lib_failed" -eq 0 ] || { cat "$tmp/daemon.log" >&2; exit 1; }
check "synced: the apex NS at all three is the union of six names; all healthy"

# --- the resolver, every 100 ms -----------------------------------------------
(
	# One query started every 100 ms, each in the background, so that a
	# slow answer does not stretch the interval; the start time is logged.
	while :; do
		(
			t=$(now_ms)
			st=$(dig +time=1 +tries=1 @$A_UNBOUND www.example.lab A \
			    2>&1 | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
			echo "$t ${st:-TIMEOUT}"
		) &
		sleep 0.1
	done
) >"$tmp/queries.log" 2>/dev/null &
loop_pid=$!
if ! wait_for 10 grep -q NOERROR "$tmp/queries.log" >/dev/null; then
	cat "$tmp/unbound/unbound.log" >&2
	fail "Unbound does not resolve www.example.lab"
	exit 1
fi
check "Unbound resolves www.example.lab through the delegation"

# --- 1. pdns killed: withdrawn ------------------------------------------------
t_kill=$(now_ms)
"$top_srcdir/scripts/lab" kill "$lab" pdns >/dev/null 2>&1
if ms=$(wait_for 10 state_is pdns down); then
	t_down=$(now_ms)
	check "pdns killed: declared down after $ms ms (down-after 2)"
else
	fail "pdns killed: never declared down"
	t_down=$(now_ms)
fi
t_gone=0
for a in $A_KNOT $A_BIND; do
	if ms=$(wait_for 5 lacks_ns "$a" pdns); then
		t=$(now_ms)
		[ "$t" -gt "$t_gone" ] && t_gone=$t
		lat=$((t - t_down))
		if [ "$lat" -le 6000 ]; then
			check "pdns's NS withdrawn at $a $lat ms after it was declared down (probe-interval 1 s): $(apex_ns $a)"
		else
			fail "pdns's NS withdrawn at $a only $lat ms after down"
		fi
	else
		fail "pdns's NS still at $a: $(apex_ns $a)"
	fi
done
has_ns $A_KNOT knot && has_ns $A_KNOT bind ||
    fail "knot lost healthy names: $(apex_ns $A_KNOT)"
n=$(db "select count(*) from events where type = 'ns-withdrawn' and provider = 'pdns'")
[ "$n" -eq 1 ] && check "one ns-withdrawn event for pdns" ||
    fail "$n ns-withdrawn events for pdns"
t_dn=$(db "select max(time) from events where provider = 'pdns' and type = 'provider-down'")
t_wd=$(db "select max(time) from events where provider = 'pdns' and type = 'ns-withdrawn'")
if [ -n "$t_dn" ] && [ -n "$t_wd" ] && [ $((t_wd - t_dn)) -le 1 ]; then
	check "withdrawn $((t_wd - t_dn)) s after declared down, by the daemon's clock (within one probe interval)"
else
	fail "down at $t_dn, withdrawn at $t_wd"
fi
n=$(db "select count(*) from changes where zone = 'example.lab.' and type = 'NS' and provider in ('knot', 'bind') and result = 'ok' and new_value not like '%pdns%' and time >= $((t_kill / 1000 - 1))")
[ "$n" -ge 2 ] && check "the NS change is in the audit log at knot and bind ($n rows)" ||
    fail "the NS change is not in the audit log ($n rows)"
# Over DNS above, the test's own polling on a loaded machine adds
# seconds; by the daemon's clock the NS change is applied at knot and
# bind within one probe interval (1 s) of pdns being declared down.
t_ap=$(db "select max(time) from changes where zone = 'example.lab.' and type = 'NS' and provider in ('knot', 'bind') and result = 'ok' and new_value not like '%pdns%'")
if [ -n "$t_ap" ] && [ -n "$t_dn" ] && [ $((t_ap - t_dn)) -le 1 ]; then
	check "NS change applied at knot and bind $((t_ap - t_dn)) s after pdns was declared down (daemon's clock)"
else
	fail "NS change applied at $t_ap, pdns down at $t_dn"
fi

# Unbound through the outage: nothing after the withdrawal may fail.
sleep 5
after=$(awk -v t="$t_gone" '$1 >= t' "$tmp/queries.log")
n_after=$(printf '%s\n' "$after" | grep -c . || true)
n_sf=$(printf '%s\n' "$after" | grep -c SERVFAIL || true)
n_bad=$(printf '%s\n' "$after" | grep -vc NOERROR || true)
n_sf_all=$(grep -c SERVFAIL "$tmp/queries.log" || true)
if [ "$n_sf" -eq 0 ] && [ "$n_bad" -eq 0 ] && [ "$n_after" -ge 25 ]; then
	check "Unbound after the withdrawal: $n_after queries, 0 SERVFAIL, 0 other failures ($n_sf_all SERVFAIL since the kill)"
else
	fail "Unbound after the withdrawal: $n_after queries, $n_sf SERVFAIL, $n_bad not NOERROR"
fi

# --- 2. pdns restarted: reinstated after the hold ----------------------------
"$top_srcdir/scripts/lab" restart "$lab" pdns >/dev/null 2>&1
if wait_for 20 state_is pdns healthy >/dev/null; then
	t_healthy=$(now_ms)
else
	fail "pdns restarted: not healthy again"
	t_healthy=$(now_ms)
fi
for a in $A_KNOT $A_BIND; do
	if wait_for 6 has_ns "$a" pdns >/dev/null; then
		lat=$(($(now_ms) - t_healthy))
		check "pdns reinstated at $a (seen $lat ms after dnsctl showed it healthy)"
	else
		fail "pdns not reinstated at $a: $(apex_ns $a)"
	fi
done
n=$(db "select count(*) from events where type = 'ns-reinstated' and provider = 'pdns'")
[ "$n" -eq 1 ] && check "one ns-reinstated event for pdns" ||
    fail "$n ns-reinstated events for pdns"
# The hold, by the daemon's own clock: up (health) to reinstated (event).
t_up=$(db "select max(time) from events where provider = 'pdns' and type = 'provider-up'")
t_re=$(db "select max(time) from events where provider = 'pdns' and type = 'ns-reinstated'")
if [ -n "$t_up" ] && [ -n "$t_re" ] && [ $((t_re - t_up)) -ge 3 ] && [ $((t_re - t_up)) -le 5 ]; then
	check "reinstated $((t_re - t_up)) s after pdns was healthy again (reinstate-after 3)"
else
	fail "reinstated at $t_re, healthy at $t_up: not after the hold"
fi

# --- 3. two of three killed: never the last healthy one -----------------------
t2=$(now_ms)
"$top_srcdir/scripts/lab" kill "$lab" pdns >/dev/null 2>&1
"$top_srcdir/scripts/lab" kill "$lab" knot >/dev/null 2>&1
if wait_for 15 sh -c "[ \"\$(dig +short +norecurse @$A_BIND example.lab NS | sort | tr '\n' ' ')\" = 'ns1.bind.lab. ns2.bind.lab. ' ]" >/dev/null; then
	check "pdns and knot killed: both withdrawn at bind, which keeps its own: $(apex_ns $A_BIND)"
else
	fail "bind's apex NS: $(apex_ns $A_BIND)"
fi
if ctl withdraw bind >"$tmp/wb.out" 2>&1; then
	fail "dnsctl withdraw bind (the last healthy one) succeeded"
else
	check "dnsctl withdraw bind refused: $(head -1 "$tmp/wb.out")"
fi
sleep 3
n=$(db "select count(*) from events where type = 'ns-withdrawn' and provider = 'bind'")
[ "$n" -eq 0 ] || fail "bind was withdrawn ($n events)"
has_ns $A_BIND bind && check "bind never withdrawn: $(apex_ns $A_BIND)" ||
    fail "bind lost its own names: $(apex_ns $A_BIND)"
after2=$(awk -v t="$(($(now_ms) - 3000))" '$1 >= t' "$tmp/queries.log")
n2=$(printf '%s\n' "$after2" | grep -c NOERROR || true)
n2sf=$(printf '%s\n' "$after2" | grep -c SERVFAIL || true)
echo "# with two of three down: last 3 s $n2 NOERROR, $n2sf SERVFAIL"

kill "$loop_pid" 2>/dev/null || true
wait "$loop_pid" 2>/dev/null || true
loop_pid=
echo "# figures: $(wc -l <"$tmp/queries.log") resolver queries in all, $(grep -c SERVFAIL "$tmp/queries.log" || true) SERVFAIL in all (before withdrawals included)"
if [ "$lib_failed" -ne 0 ]; then
	tail -40 "$tmp/daemon.log" >&2
	exit 1
fi
exit 0
