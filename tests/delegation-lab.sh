#!/bin/sh
# delegation-lab.sh: the delegation check and lint against the lab's real
# servers (PowerDNS, Knot, BIND on loopback) and a parent zone "lab."
# served by a fourth, small Knot started here:
#   - before the first sync each provider serves only its own two
#     nameservers in the apex NS: `dnsctl lint` reports provider-own-ns;
#   - the parent delegates example.lab to knot's nameservers only:
#     `dnsctl lint` exits 1 and reports that pdns and bind are never
#     asked, and a delegation-mismatch event is recorded (dnsctl alerts,
#     the events table), once per finding;
#   - the parent changed to delegate to every provider's nameservers (with
#     glue): no delegation finding is left.
set -eu

. "$top_srcdir/tests/lib.sh"
lib_init
: "${DNSCTL:?DNSCTL is not set}"
for c in jq sqlite3 dig knotd knotc ss; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "FAIL: $c is not installed" >&2
		exit 1
	fi
done

lab=$tmp/lab
daemon_pid=
parent_pid=
cleanup()
{
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	if [ -n "$parent_pid" ] && kill -0 "$parent_pid" 2>/dev/null; then
		kill -TERM "$parent_pid" 2>/dev/null || true
		wait "$parent_pid" 2>/dev/null || true
	fi
	"$top_srcdir/scripts/lab" stop "$lab" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! "$top_srcdir/scripts/lab" start "$lab" example.lab \
    >"$tmp/lab.out" 2>&1; then
	cat "$tmp/lab.out" >&2
	echo "FAIL: the lab did not start" >&2
	exit 1
fi
. "$lab/lab.env"

# --- the parent: Knot serving "lab." on a free loopback port ----------------
used=$(ss -Hlnu | awk '{ a = $5; sub(/.*:/, "", a); print a }')
while :; do
	pport=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
	printf '%s\n' "$used" | grep -qx "$pport" || break
done
pdir=$tmp/parent
mkdir -p "$pdir/zones" "$pdir/db" "$pdir/run"
cat >"$pdir/knot.conf" <<EOF
server:
    rundir: "$pdir/run"
    pidfile: "$pdir/run/knot.pid"
    listen: 127.0.0.1@$pport
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "$pdir/run/knot.sock"
database:
    storage: "$pdir/db"
log:
  - target: stderr
    any: info
template:
  - id: default
    storage: "$pdir/zones"
    file: "%s.zone"
    semantic-checks: off
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: lab.
EOF
# parent_zone SERIAL SERVER...: lab. delegating example.lab to the
# nameservers of the named lab servers, with glue.
parent_zone()
{
	serial=$1
	shift
	{
		printf '$ORIGIN lab.\n'
		printf '@ 3600 SOA ns.lab. hostmaster.lab. %s 3600 900 604800 300\n' "$serial"
		printf '@ 3600 NS ns.lab.\nns 3600 A 127.0.0.1\n'
		for s in "$@"; do
			printf 'example 3600 NS ns1.%s.lab.\n' "$s"
			printf 'example 3600 NS ns2.%s.lab.\n' "$s"
			printf 'ns1.%s 3600 A 127.0.0.1\n' "$s"
			printf 'ns2.%s 3600 A 127.0.0.1\n' "$s"
		done
	} >"$pdir/zones/lab.zone.tmp"
	mv -f "$pdir/zones/lab.zone.tmp" "$pdir/zones/lab.zone"
}
# parent_ns: what the parent refers resolvers to for example.lab.
parent_ns()
{
	dig +norecurse +time=1 +tries=1 +noall +authority -p "$pport" \
	    @127.0.0.1 example.lab NS 2>/dev/null | awk '$4 == "NS" { print $5 }' |
	    sort | tr '\n' ' '
}
parent_zone 1 knot
knotd -c "$pdir/knot.conf" </dev/null >"$pdir/knot.log" 2>&1 &
parent_pid=$!
i=0
while [ "$(parent_ns)" != "ns1.knot.lab. ns2.knot.lab. " ]; do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$parent_pid" 2>/dev/null; then
		cat "$pdir/knot.log" >&2
		echo "FAIL: the parent did not start ($(parent_ns))" >&2
		exit 1
	fi
	sleep 0.1
done

mkdir "$tmp/zones"
cat >"$tmp/zones/example.lab.zone" <<'EOF'
$ORIGIN example.lab.
$TTL 3600
@ SOA ns1.pdns.lab. hostmaster.example.lab. 1 7200 900 1209600 300
@ NS ns1.pdns.lab.
www A 192.0.2.1
EOF

cat >"$tmp/multidns.conf" <<EOF
[daemon]
state = $tmp/state.db
socket = $tmp/control.sock
interval = 86400
jitter = 0
probe-interval = 1
delegation-interval = 1
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
[zone "example.lab"]
file = example.lab.zone
providers = pdns, knot, bind
mode = alert
parent = 127.0.0.1:$pport
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
# lint_has SECONDS TEXT: wait until a lint message contains TEXT.
lint_has()
{
	n=0
	while [ "$n" -lt $(($1 * 10)) ]; do
		ctl --json lint example.lab 2>/dev/null |
		    jq -e --arg t "$2" '[.lint[] | select(.message |
		    contains($t))] | length > 0' >/dev/null && return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}
# lint_lacks SECONDS REGEX: wait until no lint message matches REGEX.
lint_lacks()
{
	n=0
	while [ "$n" -lt $(($1 * 10)) ]; do
		ctl --json lint example.lab 2>/dev/null |
		    jq -e --arg t "$2" '[.lint[] | select(.message |
		    test($t))] | length == 0' >/dev/null && return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}
db()
{
	sqlite3 "$tmp/state.db" "$1"
}
not_asked="the parent delegates to none of provider"

# --- 1. before the sync: every provider serves only its own names ----------
for p in pdns knot bind; do
	if lint_has 10 "provider $p serves only its own nameservers in the apex NS (ns1.$p.lab., ns2.$p.lab.)"; then
		check "lint: provider $p serves only its own nameservers"
	else
		fail "lint does not report provider $p serving only its own nameservers"
	fi
done

# --- 2. the parent delegates to knot only ------------------------------------
ctl sync example.lab >"$tmp/sync.out" 2>&1 || true
lint_lacks 15 "serves only its own" ||
    fail "providers still serve only their own nameservers after the sync"
for p in pdns bind; do
	want="$not_asked $p's nameservers (ns1.$p.lab., ns2.$p.lab.): resolvers never ask it"
	if lint_has 10 "$want"; then
		check "lint: the parent never sends resolvers to $p"
	else
		fail "lint does not report that the parent skips $p"
	fi
done
if lint_has 1 "$not_asked knot"; then
	fail "lint says the parent skips knot, which it delegates to"
fi
run ctl lint example.lab
if [ "$rc" -eq 1 ] && grep -q "error.*$not_asked pdns" "$tmp/stdout"; then
	check "dnsctl lint: a table with the error, exit 1"
	sed 's/^/# /' "$tmp/stdout"
else
	cat "$tmp/stdout" "$tmp/stderr" >&2
	fail "dnsctl lint: exit $rc, want 1 with the error in the table"
fi
n=$(ctl --json alerts example.lab | jq --arg t "$not_asked pdns" \
    '[.alerts[] | select(.type == "delegation-mismatch" and
    (.summary | contains($t)))] | length')
nd=$(db "select count(*) from events where type = 'delegation-mismatch' and summary like '%none of provider pdns%';")
if [ "$n" -ge 1 ] && [ "$nd" = 1 ]; then
	check "delegation-mismatch recorded once for pdns ($nd event)"
else
	fail "delegation-mismatch for pdns: $n alert rows, $nd events (want 1)"
fi
sleep 2	# more checks: still one event per finding
nd=$(db "select count(*) from events where type = 'delegation-mismatch' and summary like '%none of provider pdns%';")
[ "$nd" = 1 ] || fail "delegation-mismatch for pdns raised $nd times"
grep -q "lint.*zone example.lab.: delegation: $not_asked bind" \
    "$tmp/daemon.log" || fail "the bind finding was not logged"

# --- 3. the parent delegates to every provider -------------------------------
parent_zone 2 pdns knot bind
knotc -c "$pdir/knot.conf" zone-reload lab. >"$tmp/knotc.out" 2>&1 ||
    { cat "$tmp/knotc.out" >&2; fail "knotc zone-reload"; }
i=0
while [ "$(parent_ns)" != "ns1.bind.lab. ns1.knot.lab. ns1.pdns.lab. ns2.bind.lab. ns2.knot.lab. ns2.pdns.lab. " ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || { fail "the parent did not reload ($(parent_ns))"; break; }
	sleep 0.1
done
if lint_lacks 10 "parent|serves|glue"; then
	check "the parent delegating to every provider: no delegation finding"
else
	ctl lint example.lab >&2 || true
	fail "delegation findings left with a complete delegation"
fi
run ctl --json lint example.lab
if jq -e '.lint | length > 0' "$tmp/stdout" >/dev/null; then
	# what remains is advice about the lab itself (every name under .lab)
	if jq -e '[.lint[] | select(.message | test("under .lab") | not)] |
	    length == 0' "$tmp/stdout" >/dev/null; then
		check "only the one-TLD advice is left"
	else
		jq . "$tmp/stdout" >&2
		fail "unexpected lint findings"
	fi
fi

# --- 4. lint at load is logged ----------------------------------------------
grep -q "lint.*zone example.lab.: warning one-tld: all 6 nameservers are under .lab" \
    "$tmp/daemon.log" || fail "lint at load not logged"

if [ "$lib_failed" -ne 0 ]; then
	echo "--- daemon log (tail) ---" >&2
	tail -40 "$tmp/daemon.log" >&2
fi
lib_done
