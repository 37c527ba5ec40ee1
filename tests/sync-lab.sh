#!/bin/sh
# sync-lab.sh: the daemon keeps one zone identical on three real DNS servers
# standing in for three providers (PowerDNS through its HTTP API, Knot and
# BIND through TSIG-signed UPDATE and AXFR), from a git store.  Checks, over
# DNS, at every server:
#   - a commit is served by all three within 5 s;
#   - a record changed by hand at one provider is recorded as drift and
#     repaired (mode enforce), or only recorded (mode alert);
#   - a commit deleting half the zone is refused by the safety gate and goes
#     through with `dnsctl sync --force`;
#   - with one provider killed the other two still converge, its errors are
#     recorded, nothing is deleted anywhere, and it converges once back.
set -eu

. "$top_srcdir/tests/lib.sh"
lib_init
: "${DNSCTL:?DNSCTL is not set}"

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

if ! "$top_srcdir/scripts/lab" start "$lab" example.com example.net \
    >"$tmp/lab.out" 2>&1; then
	cat "$tmp/lab.out" >&2
	echo "FAIL: the lab did not start" >&2
	exit 1
fi
. "$lab/lab.env"

# --- the store: a bare repository and a work tree to commit from -----------
git init -q --bare "$tmp/zones.git"
git init -q "$tmp/work"
commit()
{
	git -C "$tmp/work" add -A
	git -C "$tmp/work" -c user.name="Test Operator" \
	    -c user.email=ops@example.com commit -q -m "$1"
	git -C "$tmp/work" push -q "$tmp/zones.git" HEAD:refs/heads/main
}

# example.com: SOA, NS and 20 more RRsets (the gate needs >= 10).
write_zone()
{
	# write_zone WWW-ADDRESS [LAST-HOST]
	last=${2:-20}
	{
		printf '$ORIGIN example.com.\n$TTL 300\n'
		printf '@ 3600 SOA ns1.pdns.lab. hostmaster.example.com. 1 7200 900 1209600 300\n'
		printf '@ 3600 NS ns1.pdns.lab.\n'
		printf 'www A %s\n' "$1"
		printf '@ MX 10 mail.example.com.\n'
		printf 'mail A 192.0.2.25\n'
		printf '@ TXT "v=spf1 mx -all"\n'
		printf '_sip._tcp SRV 10 60 5060 sip.example.com.\n'
		printf 'sip AAAA 2001:db8::5060\n'
		printf '@ CAA 0 issue "letsencrypt.org"\n'
		printf 'ftp CNAME www.example.com.\n'
		i=1
		while [ "$i" -le "$last" ]; do
			printf 'h%d A 192.0.2.%d\n' "$i" "$((100 + i))"
			i=$((i + 1))
		done
	} >"$tmp/work/example.com.zone"
}
write_zone 192.0.2.1
cat >"$tmp/work/example.net.zone" <<'EOF'
$ORIGIN example.net.
$TTL 300
@ 3600 SOA ns1.pdns.lab. hostmaster.example.net. 1 7200 900 1209600 300
@ 3600 NS ns1.pdns.lab.
www A 198.51.100.1
EOF
commit "Initial zones"

cat >"$tmp/multidns.conf" <<EOF
[daemon]
state = $tmp/state.db
socket = $tmp/control.sock
interval = 5
jitter = 0
[store]
type = git
path = $tmp/zones.git
ref = refs/heads/main
poll = 1
[provider "pdns"]
type = powerdns
url = $PDNS_API_URL
api-key-file = $PDNS_API_KEY_FILE
nameservers = ns1.pdns.lab. ns2.pdns.lab.
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
providers = pdns, knot, bind
mode = enforce
[zone "example.net"]
providers = pdns, knot, bind
mode = alert
EOF

"$MULTIDNSD" -c "$tmp/multidns.conf" -f >"$tmp/daemon.log" 2>&1 &
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

# q SERVER NAME TYPE: the answer's rdata, sorted, from one lab server.
q()
{
	case $1 in
	pdns) port=$PDNS_DNS_PORT ;;
	knot) port=$KNOT_DNS_PORT ;;
	bind) port=$BIND_DNS_PORT ;;
	esac
	dig +short +norecurse +time=1 +tries=1 -p "$port" @127.0.0.1 "$2" "$3" |
	    sort | tr '\n' ' ' | sed 's/ $//'
}

# wait_served SECONDS NAME TYPE WANT SERVER...: until every server answers
# WANT; prints the time it took in ms.
wait_served()
{
	limit=$1 name=$2 type=$3 want=$4
	shift 4
	start=$(date +%s%N)
	while :; do
		ok=1
		for s in "$@"; do
			[ "$(q "$s" "$name" "$type")" = "$want" ] || ok=0
		done
		now=$(date +%s%N)
		elapsed=$(( (now - start) / 1000000 ))
		if [ "$ok" -eq 1 ]; then
			echo "$elapsed"
			return 0
		fi
		if [ "$elapsed" -gt $((limit * 1000)) ]; then
			for s in "$@"; do
				echo "  $s: $name $type = '$(q "$s" "$name" "$type")', want '$want'" >&2
			done
			return 1
		fi
		sleep 0.1
	done
}

check()
{
	lib_count=$((lib_count + 1))
	echo "ok $lib_count - $*"
}

# --- 1. the first sync: every provider serves the zone --------------------
if ms=$(wait_served 20 www.example.com A 192.0.2.1 pdns knot bind); then
	check "initial version served by pdns, knot and bind ($ms ms)"
else
	fail "initial version not served everywhere"
fi
# The apex NS everywhere is the union of the three providers' nameservers.
want_ns="ns1.bind.lab. ns1.knot.lab. ns1.pdns.lab. ns2.bind.lab. ns2.knot.lab. ns2.pdns.lab."
if wait_served 10 example.com NS "$want_ns" pdns knot bind >/dev/null; then
	check "apex NS is the union of all providers' nameservers everywhere"
else
	fail "apex NS is not the union everywhere"
fi

# --- 2. a commit is served by all three within 5 s -------------------------
write_zone 192.0.2.2
commit "www moves"
if ms=$(wait_served 5 www.example.com A 192.0.2.2 pdns knot bind); then
	check "a commit is served by all three providers within 5 s ($ms ms)"
else
	fail "a commit was not served by all three within 5 s"
fi

# --- 3. drift: a record changed by hand at knot -----------------------------
nsupdate_knot()
{
	{
		echo "server 127.0.0.1 $KNOT_DNS_PORT"
		echo "key hmac-sha256:$KNOT_TSIG_NAME $(cat "$KNOT_TSIG_SECRET_FILE")"
		cat
		echo send
	} | nsupdate
}
printf 'zone example.com.\nupdate delete mail.example.com. A\nupdate add mail.example.com. 300 A 203.0.113.66\n' |
    nsupdate_knot
[ "$(q knot mail.example.com A)" = 203.0.113.66 ] ||
    fail "the hand edit at knot did not take"
# enforce: the next cycle (interval 5 s) or a sync repairs it; ask now.
ctl sync example.com >/dev/null 2>&1 || true
if wait_served 10 mail.example.com A 192.0.2.25 knot >/dev/null; then
	check "drift at knot repaired in mode enforce"
else
	fail "drift at knot not repaired"
fi
if sqlite3 "$tmp/state.db" "select count(*) from drift where zone='example.com.' and provider='knot' and owner='mail.example.com.' and type='A';" | grep -qx 1; then
	check "the drift was recorded (zone, provider, owner, type)"
else
	fail "the drift at knot was not recorded"
fi
if sqlite3 "$tmp/state.db" "select count(*) from changes where provider='knot' and owner='mail.example.com.' and result='ok' and new_value like '%192.0.2.25%' and old_value like '%203.0.113.66%';" | grep -qx 1; then
	check "the repair is in the audit log with old and new values"
else
	fail "the repair is not in the audit log"
fi
if sqlite3 "$tmp/state.db" "select count(*) from events where type='drift-found' and provider='knot' and zone='example.com.';" | grep -qvx 0 &&
    sqlite3 "$tmp/state.db" "select count(*) from events where type='drift-resolved' and provider='knot' and zone='example.com.';" | grep -qvx 0; then
	check "drift-found and drift-resolved events were raised for knot"
else
	fail "no drift-found/drift-resolved event for knot"
	sqlite3 "$tmp/state.db" "select type, provider, summary from events;" >&2
fi

# alert: nothing is pushed on its own; the differences are only recorded.
# By now example.net has been reconciled at least once (interval 5 s).
for s in pdns knot bind; do
	[ -z "$(q "$s" www.example.net A)" ] ||
	    fail "$s serves www.example.net although example.net is in mode alert"
done
check "mode alert: the store's records are not pushed without a sync"
# A record added by hand at bind is recorded as drift and left alone.
{
	echo "server 127.0.0.1 $BIND_DNS_PORT"
	echo "key hmac-sha256:$BIND_TSIG_NAME $(cat "$BIND_TSIG_SECRET_FILE")"
	echo "zone example.net."
	echo "update add extra.example.net. 300 A 203.0.113.7"
	echo send
} | nsupdate
i=0
found=0
while [ "$i" -lt 150 ]; do
	n=$(sqlite3 "$tmp/state.db" "select count(*) from drift where zone='example.net.' and provider='bind' and owner='extra.example.net.' and resolved_at is null;")
	if [ "$n" = 1 ]; then
		found=1
		break
	fi
	i=$((i + 1))
	sleep 0.1
done
if [ "$found" -eq 1 ] && [ "$(q bind extra.example.net A)" = 203.0.113.7 ]; then
	check "drift in mode alert is recorded and left alone"
else
	fail "drift in mode alert: recorded=$found, served='$(q bind extra.example.net A)'"
fi
if ctl drift >"$tmp/drift.out" 2>&1 || true; grep -q extra.example.net "$tmp/drift.out"; then
	check "dnsctl drift lists it"
else
	fail "dnsctl drift does not list the alert-mode drift"
	cat "$tmp/drift.out" >&2
fi

# --- 4. the safety gate -----------------------------------------------------
write_zone 192.0.2.2 8		# drops h9..h20: 12 of 30 RRsets
commit "drop half the hosts"
sleep 3
for s in pdns knot bind; do
	[ "$(q "$s" h20.example.com A)" = 192.0.2.120 ] ||
	    fail "$s lost h20 although the gate should refuse the change"
done
ctl --json status >"$tmp/status.json" 2>/dev/null || true
if jq -e '[.zones[] | select(.name == "example.com.") | .providers[] | .state] | all(. == "refused")' "$tmp/status.json" >/dev/null; then
	check "a change deleting 12 of 30 RRsets is refused at every provider"
else
	fail "the safety gate did not refuse the change"
	cat "$tmp/status.json" >&2
fi
ctl sync example.com --force >/dev/null 2>&1 || true
if wait_served 10 h20.example.com A "" pdns knot bind >/dev/null &&
    [ "$(q knot h8.example.com A)" = 192.0.2.108 ]; then
	check "dnsctl sync --force lets it through once"
else
	fail "sync --force did not apply the gated change"
fi

# --- 5. one provider down ---------------------------------------------------
"$top_srcdir/scripts/lab" kill "$lab" knot >/dev/null
write_zone 192.0.2.3 8
commit "www moves again, knot is down"
if ms=$(wait_served 8 www.example.com A 192.0.2.3 pdns bind); then
	check "with knot down, pdns and bind converge ($ms ms)"
else
	fail "pdns and bind did not converge with knot down"
fi
sleep 1
ctl --json status >"$tmp/status.json" 2>/dev/null || true
if jq -e '.zones[] | select(.name == "example.com.") | .providers[] | select(.name == "knot") | .state == "error" and (.last_error | length > 0)' "$tmp/status.json" >/dev/null; then
	check "knot's errors are recorded and shown"
else
	fail "knot's error is not shown in status"
	cat "$tmp/status.json" >&2
fi
for s in pdns bind; do
	[ "$(q "$s" h8.example.com A)" = 192.0.2.108 ] ||
	    fail "$s lost h8 while knot was down"
done
"$top_srcdir/scripts/lab" restart "$lab" knot >/dev/null
. "$lab/lab.env"
[ "$(q knot h8.example.com A)" = 192.0.2.108 ] ||
    fail "knot lost data across the restart"
if ms=$(wait_served 15 www.example.com A 192.0.2.3 knot); then
	check "knot converges once it is back ($ms ms)"
else
	fail "knot did not converge after its restart"
fi

kill -TERM "$daemon_pid"
rc=0
wait "$daemon_pid" || rc=$?
daemon_pid=
[ "$rc" -eq 0 ] || fail "the daemon exited $rc on SIGTERM"
if [ "$lib_failed" -ne 0 ]; then
	echo "---- daemon log ----" >&2
	tail -n 60 "$tmp/daemon.log" >&2
fi
lib_done
