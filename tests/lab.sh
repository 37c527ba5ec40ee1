#!/bin/sh
# lab.sh: the local DNS lab (scripts/lab) really works: three real servers
# answer over DNS, Knot and BIND take TSIG-signed UPDATEs and transfer only
# with the key, the PowerDNS API reads and writes only with its key, and
# kill/pause/resume/restart/stop do what they say.
#
# A missing server package fails the test, unless LAB_ALLOW_SKIP=1, when it
# is skipped (exit 77).
set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
LAB="$top_srcdir/scripts/lab"

missing=
for c in pdns_server knotd named dig nsupdate kdig knsupdate curl sqlite3 \
    openssl ss ip; do
	command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
[ -f /usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql ] ||
    missing="$missing pdns-backend-sqlite3"
if [ -n "$missing" ]; then
	if [ "${LAB_ALLOW_SKIP:-0}" = 1 ]; then
		echo "SKIP: missing:$missing (install with scripts/lab-deps)"
		exit 77
	fi
	echo "FAIL: missing:$missing (install with scripts/lab-deps;" \
	    "LAB_ALLOW_SKIP=1 skips instead)" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/multidns-lab.XXXXXX")
lab="$tmp/lab"
cleanup()
{
	"$LAB" stop "$lab" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

failed=0
checks=0
ok() { checks=$((checks + 1)); echo "ok   $*"; }
fail() { checks=$((checks + 1)); failed=1; echo "FAIL $*"; }
# check WHAT CMD...: CMD succeeds
check()
{
	what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- start
t0=$(now_ms)
if ! "$LAB" start "$lab" example.com example.net; then
	echo "FAIL: scripts/lab start" >&2
	for f in "$lab"/*.log; do
		[ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }
	done
	exit 1
fi
t1=$(now_ms)
echo "lab start took $((t1 - t0)) ms"
# shellcheck disable=SC1091
. "$lab/lab.env"

for v in LAB_DIR PDNS_DNS_PORT PDNS_API_URL PDNS_API_KEY_FILE PDNS_PID \
    KNOT_DNS_PORT KNOT_PID KNOT_TSIG_NAME KNOT_TSIG_SECRET_FILE \
    BIND_DNS_PORT BIND_PID BIND_TSIG_NAME BIND_TSIG_SECRET_FILE LAB_ZONES; do
	eval "val=\${$v:-}"
	if [ -z "$val" ]; then fail "lab.env sets $v"; fi
done
ok "lab.env sets every variable"
for f in "$PDNS_API_KEY_FILE" "$KNOT_TSIG_SECRET_FILE" "$BIND_TSIG_SECRET_FILE"; do
	m=$(stat -c %a "$f")
	[ "$m" = 600 ] && ok "$f is mode 600" || fail "$f is mode $m, not 600"
done

knot_key="hmac-sha256:$KNOT_TSIG_NAME:$(cat "$KNOT_TSIG_SECRET_FILE")"
bind_key="hmac-sha256:$BIND_TSIG_NAME:$(cat "$BIND_TSIG_SECRET_FILE")"
api_key=$(cat "$PDNS_API_KEY_FILE")

port_of()
{
	case $1 in
	pdns) echo "$PDNS_DNS_PORT" ;;
	knot) echo "$KNOT_DNS_PORT" ;;
	bind) echo "$BIND_DNS_PORT" ;;
	esac
}

# q SERVER NAME TYPE [dig options]: the answer section, one RR a line
q()
{
	qs=$1 qn=$2 qt=$3
	shift 3
	dig +norec +time=2 +tries=1 +noall +answer @127.0.0.1 -p "$(port_of "$qs")" \
	    "$@" "$qn" "$qt" 2>&1
}

# ---------------------------------------------------------------- SOA, NS
for s in pdns knot bind; do
	for z in example.com example.net; do
		out=$(dig +norec +time=2 +tries=1 @127.0.0.1 -p "$(port_of $s)" "$z." SOA 2>&1)
		if printf '%s\n' "$out" | grep -q 'status: NOERROR' &&
		    printf '%s\n' "$out" | grep -q 'flags:.* aa' &&
		    printf '%s\n' "$out" | grep -Eq "^$z\.[[:space:]].*SOA[[:space:]]+ns1\.$s\.lab\."; then
			ok "$s answers the SOA of $z. authoritatively"
		else
			fail "$s SOA of $z.:"
			printf '%s\n' "$out"
		fi
		ns=$(q $s "$z." NS +short | sort | tr '\n' ' ')
		[ "$ns" = "ns1.$s.lab. ns2.$s.lab. " ] &&
		    ok "$s apex NS of $z. is its own: $ns" ||
		    fail "$s apex NS of $z. is '$ns'"
	done
done
out=$(q bind www.example.com. A)
[ -z "$out" ] && ok "bind: www.example.com. does not exist yet" ||
    fail "bind: www.example.com. exists already: $out"

# ---------------------------------------------------------------- RFC 2136
printf 'server 127.0.0.1 %s\nzone example.com.\nupdate add www.example.com. 300 A 192.0.2.10\nsend\nquit\n' \
    "$KNOT_DNS_PORT" >"$tmp/knot.upd"
if knsupdate -y "$knot_key" "$tmp/knot.upd" >"$tmp/out" 2>&1; then
	ok "knot: TSIG-signed knsupdate adds www.example.com. A"
else
	fail "knot: knsupdate:"
	cat "$tmp/out"
fi
printf 'server 127.0.0.1 %s\nzone example.com.\nupdate add www.example.com. 300 A 192.0.2.20\nsend\n' \
    "$BIND_DNS_PORT" >"$tmp/bind.upd"
if nsupdate -y "$bind_key" "$tmp/bind.upd" >"$tmp/out" 2>&1; then
	ok "bind: TSIG-signed nsupdate adds www.example.com. A"
else
	fail "bind: nsupdate:"
	cat "$tmp/out"
fi

# An unsigned update must be refused.
printf 'server 127.0.0.1 %s\nzone example.com.\nupdate add evil.example.com. 300 A 192.0.2.66\nsend\n' \
    "$BIND_DNS_PORT" >"$tmp/evil.upd"
if nsupdate "$tmp/evil.upd" >"$tmp/out" 2>&1; then
	fail "bind: an unsigned update was accepted"
else
	ok "bind: an unsigned update is refused ($(grep -o 'REFUSED\|NOTAUTH' "$tmp/out" | head -n 1))"
fi
sed "s/$BIND_DNS_PORT/$KNOT_DNS_PORT/" "$tmp/evil.upd" >"$tmp/evil2.upd"
if knsupdate "$tmp/evil2.upd" >"$tmp/out" 2>&1 &&
    ! grep -qi 'refused\|notauth\|error' "$tmp/out"; then
	fail "knot: an unsigned update was accepted"
else
	ok "knot: an unsigned update is refused"
fi
# A wrong key must be refused too.
wrong="hmac-sha256:$KNOT_TSIG_NAME:$(cat "$BIND_TSIG_SECRET_FILE")"
if knsupdate -y "$wrong" "$tmp/evil2.upd" >"$tmp/out" 2>&1 &&
    ! grep -qi 'refused\|notauth\|error\|badsig' "$tmp/out"; then
	fail "knot: an update with a wrong secret was accepted"
else
	ok "knot: an update with a wrong secret is refused"
fi

for s in knot bind; do
	case $s in
	knot) key=$knot_key want=192.0.2.10 ;;
	bind) key=$bind_key want=192.0.2.20 ;;
	esac
	dig +noall +answer +time=2 +tries=1 -y "$key" @127.0.0.1 \
	    -p "$(port_of $s)" example.com. AXFR >"$tmp/axfr" 2>&1 || true
	if grep -Eq "^www\.example\.com\.[[:space:]]+300[[:space:]]+IN[[:space:]]+A[[:space:]]+$want$" "$tmp/axfr" &&
	    [ "$(grep -c 'IN[[:space:]]*SOA' "$tmp/axfr")" -eq 2 ] &&
	    ! grep -qi '^;.*\(fail\|error\|verify\)' "$tmp/axfr"; then
		ok "$s: TSIG AXFR of example.com. shows www A $want"
	else
		fail "$s: TSIG AXFR:"
		cat "$tmp/axfr"
	fi
	dig +noall +answer +time=2 +tries=1 @127.0.0.1 -p "$(port_of $s)" example.com. AXFR \
	    >"$tmp/axfr" 2>&1 || true
	if grep -q 'Transfer failed' "$tmp/axfr" &&
	    ! grep -q 'www\.example\.com' "$tmp/axfr"; then
		ok "$s: AXFR without the key is refused"
	else
		fail "$s: AXFR without the key:"
		cat "$tmp/axfr"
	fi
	bad="hmac-sha256:$(echo "$key" | cut -d: -f2):$(openssl rand -base64 32)"
	dig +noall +answer +time=2 +tries=1 -y "$bad" @127.0.0.1 \
	    -p "$(port_of $s)" example.com. AXFR >"$tmp/axfr" 2>&1 || true
	if grep -q 'Transfer failed\|verify' "$tmp/axfr" &&
	    ! grep -q 'www\.example\.com' "$tmp/axfr"; then
		ok "$s: AXFR with a wrong secret is refused"
	else
		fail "$s: AXFR with a wrong secret:"
		cat "$tmp/axfr"
	fi
	out=$(q $s www.example.com. A +short)
	[ "$out" = "$want" ] && ok "$s: serves www.example.com. A $want" ||
	    fail "$s: www.example.com. A is '$out'"
	serial=$(q $s example.com. SOA +short | awk '{ print $3 }')
	[ "${serial:-0}" -gt 1 ] && ok "$s: the update bumped the SOA serial to $serial" ||
	    fail "$s: SOA serial is '$serial' after the update"
done

# ---------------------------------------------------------------- PowerDNS API
zurl="$PDNS_API_URL/api/v1/servers/localhost/zones/example.com."
code=$(curl -s -m 5 -o "$tmp/get" -w '%{http_code}' -H "X-API-Key: $api_key" "$zurl")
if [ "$code" = 200 ] && grep -q '"rrsets"' "$tmp/get" &&
    grep -q '"ns1.pdns.lab."' "$tmp/get"; then
	ok "pdns API: GET zones/example.com. with the key returns its rrsets"
else
	fail "pdns API: GET with the key: HTTP $code: $(head -c 300 "$tmp/get")"
fi
code=$(curl -s -m 5 -o "$tmp/get" -w '%{http_code}' "$zurl")
[ "$code" = 401 ] && ok "pdns API: GET without the key is 401" ||
    fail "pdns API: GET without the key: HTTP $code"
code=$(curl -s -m 5 -o "$tmp/get" -w '%{http_code}' -H "X-API-Key: wrong$api_key" "$zurl")
[ "$code" = 401 ] && ok "pdns API: GET with a wrong key is 401" ||
    fail "pdns API: GET with a wrong key: HTTP $code"
body='{"rrsets":[{"name":"www.example.com.","type":"A","ttl":300,"changetype":"REPLACE","records":[{"content":"192.0.2.30","disabled":false},{"content":"192.0.2.31","disabled":false}]}]}'
code=$(curl -s -m 5 -o "$tmp/patch" -w '%{http_code}' -X PATCH \
    -H "X-API-Key: $api_key" -H 'Content-Type: application/json' \
    --data-binary "$body" "$zurl")
[ "$code" = 204 ] && ok "pdns API: PATCH REPLACE www.example.com. A is 204" ||
    fail "pdns API: PATCH: HTTP $code: $(cat "$tmp/patch")"
out=$(q pdns www.example.com. A +short | sort | tr '\n' ' ')
[ "$out" = "192.0.2.30 192.0.2.31 " ] &&
    ok "pdns: serves the patched www.example.com. A: $out" ||
    fail "pdns: www.example.com. A is '$out'"
code=$(curl -s -m 5 -o "$tmp/patch" -w '%{http_code}' -X PATCH \
    -H 'Content-Type: application/json' --data-binary "$body" "$zurl")
[ "$code" = 401 ] && ok "pdns API: PATCH without the key is 401" ||
    fail "pdns API: PATCH without the key: HTTP $code"

# ---------------------------------------------------------------- outages
status_of() { "$LAB" status "$lab" | awk -v s="$1" '$1 == s { print $3 }'; }

"$LAB" pause "$lab" bind
check "lab pause bind: status says paused" [ "$(status_of bind)" = paused ]
out=$(q bind example.com. SOA +short) || true
case $out in
*"ns1.bind.lab."*) fail "bind answers while paused" ;;
*) ok "bind does not answer while paused" ;;
esac
"$LAB" resume "$lab" bind
check "lab resume bind: status says running" [ "$(status_of bind)" = running ]
out=$(q bind example.com. SOA +short)
case $out in
*"ns1.bind.lab."*) ok "bind answers again after resume" ;;
*) fail "bind after resume: $out" ;;
esac

# knot is killed first (a stale pidfile must not stop the restart); bind is
# restarted while running
"$LAB" kill "$lab" knot
check "lab kill knot: status says stopped" [ "$(status_of knot)" = stopped ]
for s in knot bind; do
	t0=$(now_ms)
	if "$LAB" restart "$lab" $s; then
		t1=$(now_ms)
		ok "lab restart $s ($((t1 - t0)) ms)"
	else
		fail "lab restart $s"
	fi
	case $s in knot) want=192.0.2.10 ;; bind) want=192.0.2.20 ;; esac
	out=$(q $s www.example.com. A +short)
	[ "$out" = "$want" ] && ok "$s: the update survived the restart" ||
	    fail "$s: after restart www.example.com. A is '$out'"
done
. "$lab/lab.env"
check "lab.env has the new PIDs after restart" \
    [ "$(cat "$lab/knot.pid")" = "$KNOT_PID" ]

"$LAB" kill "$lab" pdns
check "lab kill pdns: status says stopped" [ "$(status_of pdns)" = stopped ]
check "lab kill pdns: process $PDNS_PID is gone" \
    sh -c "! grep -qs pdns_server /proc/$PDNS_PID/cmdline"
out=$(q pdns example.com. SOA +short) || true
case $out in
*"ns1.pdns.lab."*) fail "pdns answers after kill" ;;
*) ok "pdns does not answer after kill" ;;
esac
t0=$(now_ms)
"$LAB" restart "$lab" pdns
t1=$(now_ms)
. "$lab/lab.env"
out=$(q pdns www.example.com. A +short | sort | tr '\n' ' ')
[ "$out" = "192.0.2.30 192.0.2.31 " ] &&
    ok "pdns restarted ($((t1 - t0)) ms) and kept its data" ||
    fail "pdns after restart: www.example.com. A is '$out'"

# ---------------------------------------------------------------- stop
pids="$PDNS_PID $KNOT_PID $BIND_PID"
"$LAB" pause "$lab" knot
t0=$(now_ms)
"$LAB" stop "$lab"
t1=$(now_ms)
echo "lab stop took $((t1 - t0)) ms (with knot paused)"
alive=
for p in $pids; do
	if [ -d "/proc/$p" ] && grep -qs "$lab" "/proc/$p/cmdline"; then
		alive="$alive $p"
	fi
done
[ -z "$alive" ] && ok "lab stop: none of the PIDs $pids runs" ||
    fail "lab stop: still running:$alive"
n=$("$LAB" status "$lab" | grep -c ' stopped ')
check "lab status after stop: 3 stopped" [ "$n" -eq 3 ]
for s in pdns knot bind; do
	port=$(port_of $s)
	if ss -Hltnu | awk '{ print $5 }' | grep -q ":$port\$"; then
		fail "port $port of $s still in use after stop"
	fi
done
ok "lab stop: the ports are free again"

echo "$checks checks, $([ $failed = 0 ] && echo all passed || echo SOME FAILED)"
exit $failed
