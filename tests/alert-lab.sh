#!/bin/sh
# alert-lab.sh: webhook delivery survives a receiver outage and a daemon
# crash (issue 6).  Against the three-server lab, with a logging receiver
# (tests/webhookd) that is DOWN while events fire:
#   - a hand edit at knot (drift-found, drift-resolved) and a commit
#     deleting half the zone (change-refused at each provider) are raised
#     and queued in the outbox, with failed attempts recorded;
#   - the daemon is killed with SIGKILL and restarted on the same state;
#   - the receiver comes up: every queued event arrives, each id exactly
#     once, with the id in the body and in X-Multidns-Event-Id, and every
#     X-Multidns-Signature verifies (HMAC-SHA256 over TS "." BODY), while a
#     tampered body or a wrong secret does not.
set -eu

. "$top_srcdir/tests/lib.sh"
lib_init
: "${DNSCTL:?DNSCTL is not set}"
: "${top_builddir:?top_builddir is not set}"
webhookd=$top_builddir/tests/webhookd
[ -x "$webhookd" ] || { echo "FAIL: $webhookd is not built" >&2; exit 1; }

lab=$tmp/lab
daemon_pid=
hook_pid=
cleanup()
{
	if [ -n "$hook_pid" ] && kill -0 "$hook_pid" 2>/dev/null; then
		kill -TERM "$hook_pid" 2>/dev/null || true
		wait "$hook_pid" 2>/dev/null || true
	fi
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	"$top_srcdir/scripts/lab" stop "$lab" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

check()
{
	lib_count=$((lib_count + 1))
	echo "ok $lib_count - $*"
}
# die MSG: fail, show the daemon log, stop.
die()
{
	fail "$*"
	[ -f "$tmp/daemon.log" ] && tail -n 60 "$tmp/daemon.log" >&2
	exit 1
}
now_ms()
{
	echo $(( $(date +%s%N) / 1000000 ))
}
t0=$(now_ms)

if ! "$top_srcdir/scripts/lab" start "$lab" example.com \
    >"$tmp/lab.out" 2>&1; then
	cat "$tmp/lab.out" >&2
	echo "FAIL: the lab did not start" >&2
	exit 1
fi
. "$lab/lab.env"

# --- the receiver's port: free now, the receiver is started much later ----
port=
n=0
while [ -z "$port" ] && [ "$n" -lt 50 ]; do
	p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
	ss -ltnH 2>/dev/null | awk '{print $4}' | grep -q ":$p\$" || port=$p
	n=$((n + 1))
done
[ -n "$port" ] || die "no free port for the receiver"
mkdir "$tmp/hook"

# The secret: no trailing newline, mode 0600.
secret=s3cr3t-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
(umask 077 && printf '%s' "$secret" >"$tmp/hook.secret")

# --- the store --------------------------------------------------------------
git init -q --bare "$tmp/zones.git"
git init -q "$tmp/work"
commit()
{
	git -C "$tmp/work" add -A
	git -C "$tmp/work" -c user.name="Test Operator" \
	    -c user.email=ops@example.com commit -q -m "$1"
	git -C "$tmp/work" push -q "$tmp/zones.git" HEAD:refs/heads/main
}
write_zone()
{
	# write_zone LAST-HOST
	{
		printf '$ORIGIN example.com.\n$TTL 300\n'
		printf '@ 3600 SOA ns1.pdns.lab. hostmaster.example.com. 1 7200 900 1209600 300\n'
		printf '@ 3600 NS ns1.pdns.lab.\n'
		printf 'www A 192.0.2.1\n'
		printf 'mail A 192.0.2.25\n'
		printf '@ MX 10 mail.example.com.\n'
		i=1
		while [ "$i" -le "$1" ]; do
			printf 'h%d A 192.0.2.%d\n' "$i" "$((100 + i))"
			i=$((i + 1))
		done
	} >"$tmp/work/example.com.zone"
}
write_zone 24
commit "Initial zone"

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
[webhook "hook"]
url = http://127.0.0.1:$port/hook
secret-file = $tmp/hook.secret
events = all
format = json
timeout = 2
EOF

ctl()
{
	"$DNSCTL" -s "$tmp/control.sock" "$@"
}
sql()
{
	sqlite3 -cmd '.timeout 5000' "$tmp/state.db" "$1"
}
start_daemon()
{
	"$MULTIDNSD" -c "$tmp/multidns.conf" -f >>"$tmp/daemon.log" 2>&1 &
	daemon_pid=$!
	i=0
	# dnsctl status: 0 or 1 (needs attention) once it answers, 2 before.
	while :; do
		rc=0
		ctl status >/dev/null 2>&1 || rc=$?
		[ "$rc" -eq 2 ] || break
		i=$((i + 1))
		if [ "$i" -gt 100 ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
			die "the daemon did not answer on its socket"
		fi
		sleep 0.1
	done
}
q()
{
	case $1 in
	pdns) port_=$PDNS_DNS_PORT ;;
	knot) port_=$KNOT_DNS_PORT ;;
	bind) port_=$BIND_DNS_PORT ;;
	esac
	dig +short +norecurse +time=1 +tries=1 -p "$port_" @127.0.0.1 "$2" "$3" |
	    sort | tr '\n' ' ' | sed 's/ $//'
}
# wait_for SECONDS CMD...: until CMD succeeds.
wait_for()
{
	limit=$1
	shift
	end=$(( $(now_ms) + limit * 1000 ))
	until "$@"; do
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.2
	done
}
served_all()
{
	for s in pdns knot bind; do
		[ "$(q "$s" "$1" "$2")" = "$3" ] || return 1
	done
}

start_daemon
wait_for 20 served_all h24.example.com A 192.0.2.124 ||
    die "the initial zone was not served everywhere"
check "lab up, initial zone served by pdns, knot and bind (receiver down)"

# --- events fire while the receiver is down ---------------------------------
# n_events TYPE [PROVIDER]: how many such events are recorded.
n_events()
{
	sql "select count(*) from events where type='$1'${2:+ and provider='$2'};"
}
has_event()
{
	[ "$(n_events "$1" "${3:-}")" -ge "$2" ]
}
# The first sync found every provider's zone different from the store
# (drift-found) and repaired it; wait until knot's drift is resolved, so
# that the hand edit below is a new occurrence.
knot_clean()
{
	[ "$(sql "select count(*) from drift where zone='example.com.' and provider='knot' and resolved_at is null;")" = 0 ]
}
ctl sync example.com >/dev/null 2>&1 || true
wait_for 20 knot_clean ||
    die "knot's drift from the first sync is not resolved"
nknot=$(n_events drift-found knot)
{
	echo "server 127.0.0.1 $KNOT_DNS_PORT"
	echo "key hmac-sha256:$KNOT_TSIG_NAME $(cat "$KNOT_TSIG_SECRET_FILE")"
	echo "zone example.com."
	echo "update delete mail.example.com. A"
	echo "update add mail.example.com. 300 A 203.0.113.66"
	echo send
} | nsupdate
ctl sync example.com >/dev/null 2>&1 || true
wait_for 15 served_all mail.example.com A 192.0.2.25 ||
    die "the hand edit at knot was not repaired"
wait_for 10 has_event drift-found $((nknot + 1)) knot ||
    die "no drift-found event for the hand edit at knot"
check "hand edit at knot: repaired, a new drift-found raised"

write_zone 10			# drops h11..h24: 14 of 27 RRsets
commit "drop half the hosts"
wait_for 20 has_event change-refused 3 ||
    die "change-refused was not raised at all three providers"
check "half-zone delete: change-refused raised at $(sql "select count(distinct provider) from events where type='change-refused';") providers"

# Every event is queued for "hook" and has failed at least once.
all_tried()
{
	[ "$(sql "select count(*) from outbox where webhook='hook' and (state != 'pending' or attempts < 1);")" = 0 ]
}
wait_for 15 all_tried || die "outbox rows not attempted: $(sql "select event, state, attempts from outbox where webhook='hook';")"
# Alert events (the events table also records health transitions, which
# are not alert types and are sent nowhere).
types="'drift-found','drift-resolved','provider-down','provider-degraded','provider-up','provider-flapping','apply-failed','change-refused','store-version-rejected','ns-withdrawn','ns-reinstated','delegation-mismatch','webhook-undeliverable'"
nev=$(sql "select count(*) from events where type in ($types);")
nrow=$(sql "select count(*) from outbox where webhook='hook';")
[ "$nrow" -ge 4 ] && [ "$nrow" = "$nev" ] ||
    die "expected >= 4 outbox rows, one per event: $nrow rows, $nev events: $(sql "select e.type, e.provider, e.summary, o.id from events e left join outbox o on o.event = e.id;")"
ntypes=$(sql "select count(distinct e.type) from events e join outbox o on o.event = e.id where o.webhook='hook';")
[ "$ntypes" -ge 2 ] || die "only $ntypes distinct event types"
maxatt=$(sql "select max(attempts) from outbox where webhook='hook';")
check "$nrow events ($ntypes types) pending for hook, all with failed attempts (max $maxatt), none delivered"
sql "select event from outbox where webhook='hook' order by event;" \
    >"$tmp/before.ids"

# --- the daemon crashes and is restarted -------------------------------------
kill -KILL "$daemon_pid"
wait "$daemon_pid" 2>/dev/null || true
daemon_pid=
echo "---- restart after SIGKILL ----" >>"$tmp/daemon.log"
start_daemon
check "daemon killed with SIGKILL and restarted on the same state"

# --- the receiver comes back -------------------------------------------------
t_up=$(now_ms)
"$webhookd" -a 127.0.0.1 -p "$port" -d "$tmp/hook" 2>"$tmp/webhookd.err" &
hook_pid=$!
sleep 0.3
kill -0 "$hook_pid" 2>/dev/null ||
    die "the receiver did not start: $(cat "$tmp/webhookd.err")"

none_pending()
{
	[ "$(sql "select count(*) from outbox where webhook='hook' and state != 'delivered';")" = 0 ]
}
# Backoff is full jitter in [0, 5 s * 2^(attempts-1)], no test knob; the
# rows have failed at most a few times, so 60 s is ample.
wait_for 60 none_pending ||
    die "not delivered within 60 s: $(sql "select event, state, attempts, last_error from outbox where webhook='hook';")"
t_done=$(now_ms)
sleep 2				# anything duplicated would arrive now
check "all outbox rows delivered $(( t_done - t_up )) ms after the receiver came back"

# --- what arrived --------------------------------------------------------------
# hdr FILE NAME: a header's value (case-insensitive name, CR stripped).
hdr()
{
	tr -d '\r' <"$1" | sed -n "s/^$2:[[:space:]]*//Ip" | head -n 1
}
# sig_of TS BODYFILE SECRET: the expected header value.
sig_of()
{
	h=$({ printf '%s.' "$1"; cat "$2"; } |
	    openssl dgst -sha256 -hmac "$3" | awk '{print $NF}')
	echo "sha256=$h"
}
: >"$tmp/got.ids"
nbad=0
ndel=0
for head in "$tmp"/hook/*.head; do
	[ -e "$head" ] || break
	body=${head%.head}.body
	ndel=$((ndel + 1))
	hid=$(hdr "$head" X-Multidns-Event-Id)
	ts=$(hdr "$head" X-Multidns-Timestamp)
	sig=$(hdr "$head" X-Multidns-Signature)
	bid=$(jq -r .id "$body" 2>/dev/null || echo)
	if [ -z "$hid" ] || [ "$hid" != "$bid" ]; then
		fail "$(basename "$head"): header id '$hid' != body id '$bid'"
		nbad=$((nbad + 1))
		continue
	fi
	if ! head -n 1 "$head" | grep -q '^POST /hook '; then
		fail "$(basename "$head"): not a POST to /hook"
		nbad=$((nbad + 1))
	fi
	if [ -z "$ts" ] || [ "$sig" != "$(sig_of "$ts" "$body" "$secret")" ]; then
		fail "$(basename "$head"): signature does not verify"
		nbad=$((nbad + 1))
	fi
	echo "$hid" >>"$tmp/got.ids"
done
[ "$ndel" -gt 0 ] || die "the receiver got nothing"
[ "$nbad" -eq 0 ] &&
    check "$ndel deliveries: POST /hook, header id = body id, every signature verifies"

sort "$tmp/got.ids" >"$tmp/got.sorted"
sort -u "$tmp/got.ids" >"$tmp/got.uniq"
if cmp -s "$tmp/got.sorted" "$tmp/got.uniq"; then
	check "each event id arrived exactly once ($(wc -l <"$tmp/got.uniq") ids)"
else
	fail "duplicate deliveries: $(uniq -d "$tmp/got.sorted" | tr '\n' ' ')"
fi
missing=$(comm -23 "$tmp/before.ids" "$tmp/got.uniq")
if [ -z "$missing" ]; then
	check "every event raised while the receiver was down arrived ($(wc -l <"$tmp/before.ids"))"
else
	fail "events never received: $missing"
fi
sql "select event from outbox where webhook='hook' order by event;" \
    >"$tmp/after.ids"
if cmp -s "$tmp/after.ids" "$tmp/got.uniq"; then
	check "received ids = the outbox's ids for hook ($(wc -l <"$tmp/after.ids") incl. after restart)"
else
	fail "received ids differ from the outbox's:"
	diff "$tmp/after.ids" "$tmp/got.uniq" >&2 || true
fi
# Each received event is the stored one (type, zone, provider).
nmis=0
for b in "$tmp"/hook/*.body; do
	id=$(jq -r .id "$b")
	want=$(sql "select type || '|' || coalesce(zone,'') || '|' || coalesce(provider,'') from events where id='$id';")
	got=$(jq -r '[.type, (.zone // ""), (.provider // "")] | join("|")' "$b")
	[ "$want" = "$got" ] || { fail "$id: body $got, events table $want"; nmis=$((nmis + 1)); }
done
[ "$nmis" -eq 0 ] && check "every body matches its events row (type, zone, provider)"

# The check can fail: a tampered body, or the wrong secret, does not verify.
first=$(ls "$tmp"/hook/*.head | head -n 1)
fb=${first%.head}.body
ts=$(hdr "$first" X-Multidns-Timestamp)
sig=$(hdr "$first" X-Multidns-Signature)
sed 's/"schema":1/"schema":2/' "$fb" >"$tmp/tampered.body"
cmp -s "$fb" "$tmp/tampered.body" && die "could not tamper with the body"
if [ "$sig" != "$(sig_of "$ts" "$tmp/tampered.body" "$secret")" ] &&
    [ "$sig" != "$(sig_of "$ts" "$fb" "$secret-x")" ] &&
    [ "$sig" != "$(sig_of "$((ts + 1))" "$fb" "$secret")" ] &&
    [ "$sig" = "$(sig_of "$ts" "$fb" "$secret")" ]; then
	check "a tampered body, a wrong secret or timestamp fails verification"
else
	fail "signature verification accepts tampered input"
fi

kill -TERM "$hook_pid" 2>/dev/null || true
wait "$hook_pid" 2>/dev/null || true
hook_pid=
kill -TERM "$daemon_pid"
rc=0
wait "$daemon_pid" || rc=$?
daemon_pid=
[ "$rc" -eq 0 ] || fail "the daemon exited $rc on SIGTERM"
echo "# total $(( $(now_ms) - t0 )) ms"
if [ "$lib_failed" -ne 0 ]; then
	echo "---- daemon log ----" >&2
	tail -n 60 "$tmp/daemon.log" >&2
fi
lib_done
