#!/bin/sh
# cloud-lab.sh: the daemon keeps one zone identical on three providers of
# three kinds: a fake Cloudflare API v4 and a fake Route 53 API
# (tests/fakecloud, which checks the bearer token and recomputes every
# SigV4 signature) and PowerDNS from the lab, from a git store.  Checks:
#   - the fakes refuse a wrong token and a wrong signature (so that what
#     follows means something), and accept the right ones;
#   - the zone (32 RRsets: A, AAAA, MX, TXT, SRV, CAA, CNAME) converges at
#     all three: PowerDNS read by AXFR, the fakes by /_fake/dump, each
#     compared record by record with the zone file as named-compilezone
#     reads it; the apex NS is the union of the three providers' names;
#   - a hand edit at the Cloudflare fake (and an extra record added at the
#     Route 53 fake) is recorded as drift and repaired in mode enforce, and
#     the repair is in the audit log;
#   - a commit deleting 12 of 32 RRsets is refused by the safety gate at
#     every provider (dnsctl status, changes with result 'refused'),
#     nothing is deleted, and `dnsctl sync --force` lets it through;
#   - no request of the daemon was refused by a fake;
#   - the daemon's debug log holds neither the Cloudflare token nor the
#     AWS secret key;
#   - the daemon and both fakes exit 0 on SIGTERM.
set -eu

. "$top_srcdir/tests/lib.sh"
lib_init
: "${DNSCTL:?DNSCTL is not set}"
FAKECLOUD=${FAKECLOUD:-$top_builddir/tests/fakecloud}

for t in dig sqlite3 jq curl named-compilezone git; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "SKIP: $t is not installed"
		exit 77
	fi
done
[ -x "$FAKECLOUD" ] || { echo "FAIL: no $FAKECLOUD" >&2; exit 1; }

lab=$tmp/lab
daemon_pid= cf_pid= r53_pid=
stop_pid()
{
	if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
		kill -TERM "$1" 2>/dev/null || true
		wait "$1" 2>/dev/null || true
	fi
}
cleanup()
{
	stop_pid "$daemon_pid"
	stop_pid "$cf_pid"
	stop_pid "$r53_pid"
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

# --- the secrets and the two fakes -----------------------------------------
umask 077
CF_TOKEN=cfTok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
R53_AKID=AKIDCLOUDLAB
R53_SECRET=r53Sec/$(od -An -N15 -tx1 /dev/urandom | tr -d ' \n')+Key
printf '%s\n' "$CF_TOKEN" >"$tmp/cf.token"
printf '%s\n' "$R53_SECRET" >"$tmp/r53.secret"
umask 022

# Pages of 7 records / record sets, so that the listings span pages.
"$FAKECLOUD" cloudflare -p "$tmp/cf.port" -t "$tmp/cf.token" -m 7 \
    -n "ns1.cf.lab ns2.cf.lab" >"$tmp/cf.log" 2>&1 &
cf_pid=$!
"$FAKECLOUD" route53 -p "$tmp/r53.port" -t "$tmp/r53.secret" -m 7 \
    -a "$R53_AKID" -n "ns-1.r53.lab ns-2.r53.lab" >"$tmp/r53.log" 2>&1 &
r53_pid=$!
i=0
while [ ! -s "$tmp/cf.port" ] || [ ! -s "$tmp/r53.port" ]; do
	i=$((i + 1))
	if [ "$i" -gt 100 ]; then
		cat "$tmp/cf.log" "$tmp/r53.log" >&2
		echo "FAIL: the fakes did not start" >&2
		exit 1
	fi
	sleep 0.1
done
CF_URL=http://127.0.0.1:$(cat "$tmp/cf.port")
R53_URL=http://127.0.0.1:$(cat "$tmp/r53.port")

# HTTP status of a request; the body in $tmp/body.
http_code()
{
	curl -s -o "$tmp/body" -w '%{http_code}' "$@" || echo 000
}

# The fakes are not push-overs: a wrong credential is refused.
printf 'header = "Authorization: Bearer %s"\n' "$CF_TOKEN" >"$tmp/cf.curl"
printf 'header = "Authorization: Bearer wrong-token"\n' >"$tmp/cf-bad.curl"
printf 'user = "%s:%s"\n' "$R53_AKID" "$R53_SECRET" >"$tmp/r53.curl"
printf 'user = "%s:not-the-secret"\n' "$R53_AKID" >"$tmp/r53-bad.curl"
code=$(http_code -K "$tmp/cf-bad.curl" "$CF_URL/client/v4/zones?name=example.com")
if [ "$code" = 401 ] && grep -q '"code":10000' "$tmp/body"; then
	code=$(http_code -K "$tmp/cf.curl" "$CF_URL/client/v4/zones?name=example.com")
	if [ "$code" = 200 ] && jq -e '.success and (.result | length == 1)' \
	    "$tmp/body" >/dev/null; then
		check "the Cloudflare fake refuses a wrong token (401) and takes the right one"
	else
		fail "the Cloudflare fake refused the right token ($code)"
	fi
else
	fail "the Cloudflare fake did not answer a wrong token with 401 ($code)"
fi
sigv4="aws:amz:us-east-1:route53"
code=$(http_code -K "$tmp/r53-bad.curl" --aws-sigv4 "$sigv4" \
    "$R53_URL/2013-04-01/hostedzonesbyname?dnsname=example.com&maxitems=1")
if [ "$code" = 403 ] && grep -q SignatureDoesNotMatch "$tmp/body"; then
	code=$(http_code -K "$tmp/r53.curl" --aws-sigv4 "$sigv4" \
	    "$R53_URL/2013-04-01/hostedzonesbyname?dnsname=example.com&maxitems=1")
	if [ "$code" = 200 ] && grep -q '<Name>example.com.</Name>' "$tmp/body"; then
		check "the Route 53 fake refuses a bad SigV4 signature (403) and verifies curl's"
	else
		fail "the Route 53 fake refused curl's signature ($code)"
		cat "$tmp/body" >&2
	fi
else
	fail "the Route 53 fake did not answer a wrong secret with 403 SignatureDoesNotMatch ($code: $(cat "$tmp/body"))"
fi
refused0() { curl -s "$1/_fake/stats" | awk '$1 == "refused" { print $2 }'; }
cf_refused0=$(refused0 "$CF_URL")
r53_refused0=$(refused0 "$R53_URL")

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

# example.com: SOA, NS and 30 more RRsets (the gate needs >= 10).
write_zone()
{
	# write_zone WWW-ADDRESS [LAST-HOST]
	last=${2:-20}
	{
		printf '$ORIGIN example.com.\n$TTL 300\n'
		printf '@ 3600 SOA ns1.pdns.lab. hostmaster.example.com. 1 7200 900 1209600 300\n'
		printf '@ 3600 NS ns1.pdns.lab.\n'
		printf 'www A %s\n' "$1"
		printf 'www AAAA 2001:db8::80\n'
		printf '@ MX 10 mail.example.com.\n'
		printf '@ MX 20 mx2.example.net.\n'
		printf 'mail A 192.0.2.25\n'
		printf '@ TXT "v=spf1 mx -all"\n'
		printf 'multi TXT "first string" "second; with \\"quotes\\""\n'
		printf '_sip._tcp SRV 10 60 5060 sip.example.com.\n'
		printf 'sip AAAA 2001:db8::5060\n'
		printf '@ CAA 0 issue "letsencrypt.org"\n'
		printf 'ftp CNAME www.example.com.\n'
		i=1
		while [ "$i" -le "$last" ]; do
			printf 'h%d A 192.0.2.%d\n' "$i" "$((100 + i))"
			i=$((i + 1))
		done
		printf 'h1 A 198.51.100.1\n'
	} >"$tmp/work/example.com.zone"
}
write_zone 192.0.2.1
commit "Initial zone"

# "OWNER TYPE TTL RDATA" lines from master-file lines (full form), without
# the SOA and the apex NS (each provider has its own).
normalise()
{
	awk 'NF >= 5 && $3 == "IN" && $4 != "SOA" &&
	    !($1 == "example.com." && $4 == "NS") {
		line = $1 " " $4 " " $2
		for (i = 5; i <= NF; i++)
			line = line " " $i
		print line
	}' | sort -u
}
# The same from a fake's dump.
normalise_dump()
{
	awk '$2 != "SOA" && !($1 == "example.com." && $2 == "NS")' | sort -u
}
want()
{
	named-compilezone -q -s full -o "$tmp/want.zone" example.com \
	    "$tmp/work/example.com.zone" >/dev/null 2>&1 ||
	    { echo "named-compilezone failed" >&2; return 1; }
	normalise <"$tmp/want.zone"
}
# view pdns|cf|r53: what the provider holds, normalised.
view()
{
	case $1 in
	pdns)
		dig +noall +answer +time=2 +tries=1 -p "$PDNS_DNS_PORT" \
		    @127.0.0.1 example.com AXFR | normalise ;;
	cf)
		curl -s "$CF_URL/_fake/dump" | normalise_dump ;;
	r53)
		curl -s "$R53_URL/_fake/dump" | normalise_dump ;;
	esac
}
# apex_ns pdns|cf|r53: the apex NS names, sorted, on one line.
apex_ns()
{
	case $1 in
	pdns)
		dig +short +norecurse +time=1 +tries=1 -p "$PDNS_DNS_PORT" \
		    @127.0.0.1 example.com NS ;;
	cf)
		curl -s "$CF_URL/_fake/dump" |
		    awk '$1 == "example.com." && $2 == "NS" { print $4 }' ;;
	r53)
		curl -s "$R53_URL/_fake/dump" |
		    awk '$1 == "example.com." && $2 == "NS" { print $4 }' ;;
	esac | sort | tr '\n' ' ' | sed 's/ $//'
}

# wait_same SECONDS PROVIDER...: until each provider holds what the work
# tree's zone says; prints the milliseconds it took.
wait_same()
{
	limit=$1
	shift
	want >"$tmp/want.txt" || return 1
	if [ "$(wc -l <"$tmp/want.txt")" -lt 15 ]; then
		echo "  the zone file reads as only $(wc -l <"$tmp/want.txt") records" >&2
		return 1
	fi
	start=$(now_ms)
	while :; do
		ok=1
		for p in "$@"; do
			view "$p" >"$tmp/view.$p"
			cmp -s "$tmp/want.txt" "$tmp/view.$p" || ok=0
		done
		elapsed=$(($(now_ms) - start))
		if [ "$ok" -eq 1 ]; then
			echo "$elapsed"
			return 0
		fi
		if [ "$elapsed" -gt $((limit * 1000)) ]; then
			for p in "$@"; do
				echo "  $p differs from the zone:" >&2
				diff "$tmp/want.txt" "$tmp/view.$p" | sed 's/^/    /' >&2 || true
			done
			return 1
		fi
		sleep 0.2
	done
}

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
[provider "cf"]
type = cloudflare
api-url = $CF_URL/client/v4
api-token-file = $tmp/cf.token
nameservers = ns1.cf.lab. ns2.cf.lab.
timeout = 5
[provider "r53"]
type = route53
api-url = $R53_URL
access-key-id = $R53_AKID
secret-access-key-file = $tmp/r53.secret
nameservers = ns-1.r53.lab. ns-2.r53.lab.
timeout = 5
[zone "example.com"]
providers = pdns, cf, r53
mode = enforce
EOF

t0=$(now_ms)
"$MULTIDNSD" -c "$tmp/multidns.conf" -f -d >"$tmp/daemon.log" 2>&1 &
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

# --- 1. the first sync --------------------------------------------------------
if ms=$(wait_same 30 pdns cf r53); then
	check "32 RRsets ($(wc -l <"$tmp/want.txt") records besides SOA and apex NS) converge at pdns, cf and r53 ($ms ms after the socket, $(($(now_ms) - t0)) ms after start)"
else
	fail "the zone did not converge at all three providers"
fi
want_ns="ns-1.r53.lab. ns-2.r53.lab. ns1.cf.lab. ns1.pdns.lab. ns2.cf.lab. ns2.pdns.lab."
cf_ns="ns-1.r53.lab. ns-2.r53.lab. ns1.pdns.lab. ns2.pdns.lab."
if [ "$(apex_ns pdns)" = "$want_ns" ] && [ "$(apex_ns r53)" = "$want_ns" ] &&
    [ "$(apex_ns cf)" = "$cf_ns" ]; then
	check "apex NS: the union of the three providers' names (Cloudflare's own are not records)"
else
	fail "apex NS: pdns '$(apex_ns pdns)', r53 '$(apex_ns r53)', cf '$(apex_ns cf)'"
fi

# --- 2. a commit --------------------------------------------------------------
write_zone 192.0.2.2
commit "www moves"
if ms=$(wait_same 10 pdns cf r53); then
	check "a commit reaches all three within 10 s ($ms ms)"
else
	fail "a commit did not reach all three"
fi

# --- 3. drift: hand edits in the providers' consoles -------------------------
edit()
{
	# edit URL TEXT
	code=$(printf '%s\n' "$2" | http_code --data-binary @- "$1/_fake/edit")
	[ "$code" = 200 ] || fail "edit at $1 refused ($code): $(cat "$tmp/body")"
}
edit "$CF_URL" "set mail.example.com. A 300 203.0.113.66"
edit "$R53_URL" "add extra.example.com. TXT 300 \"hand made\""
curl -s "$CF_URL/_fake/dump" >"$tmp/cf.dump"
grep -qx 'mail.example.com. A 300 203.0.113.66' "$tmp/cf.dump" ||
    fail "the hand edit at the Cloudflare fake did not take"
start=$(now_ms)
if ms=$(wait_same 15 cf r53); then
	check "drift at cf and r53 repaired by the next cycle (mode enforce, $(($(now_ms) - start)) ms)"
else
	fail "drift at cf/r53 not repaired"
fi
if sqlite3 "$tmp/state.db" "select count(*) from drift where zone='example.com.' and provider='cf' and owner='mail.example.com.' and type='A' and kind='changed';" | grep -qx 1 &&
    sqlite3 "$tmp/state.db" "select count(*) from drift where zone='example.com.' and provider='r53' and owner='extra.example.com.' and type='TXT' and kind='extra';" | grep -qx 1; then
	check "the drift was recorded (cf: mail A changed, r53: extra TXT)"
else
	fail "the drift was not recorded"
	sqlite3 "$tmp/state.db" "select * from drift;" >&2
fi
if sqlite3 "$tmp/state.db" "select count(*) from changes where provider='cf' and owner='mail.example.com.' and result='ok' and new_value like '%192.0.2.25%' and old_value like '%203.0.113.66%';" | grep -qx 1 &&
    sqlite3 "$tmp/state.db" "select count(*) from changes where provider='r53' and owner='extra.example.com.' and op='delete' and result='ok';" | grep -qx 1; then
	check "the repairs are in the audit log with old and new values"
else
	fail "the repairs are not in the audit log"
	sqlite3 "$tmp/state.db" "select provider, op, owner, type, old_value, new_value, result from changes where owner in ('mail.example.com.', 'extra.example.com.');" >&2
fi

# --- 4. the safety gate -------------------------------------------------------
write_zone 192.0.2.2 8		# drops h9..h20: 12 of 32 RRsets
commit "drop half the hosts"
i=0
refused=0
while [ "$i" -lt 100 ]; do
	refused=$(sqlite3 "$tmp/state.db" "select count(distinct provider) from changes where zone='example.com.' and result='refused' and owner='h20.example.com.';")
	[ "$refused" = 3 ] && break
	i=$((i + 1))
	sleep 0.1
done
held=1
[ "$(dig +short -p "$PDNS_DNS_PORT" @127.0.0.1 h20.example.com A)" = 192.0.2.120 ] || held=0
for p in cf r53; do
	view "$p" | grep -qx 'h20.example.com. A 300 192.0.2.120' || held=0
done
ctl --json status >"$tmp/status.json" 2>/dev/null || true
if [ "$refused" = 3 ] && [ "$held" -eq 1 ] &&
    jq -e '[.zones[] | select(.name == "example.com.") | .providers[] | .state] | (length == 3 and all(. == "refused"))' "$tmp/status.json" >/dev/null; then
	check "a commit deleting 12 of 32 RRsets is refused at pdns, cf and r53 (status, audit log), nothing deleted"
else
	fail "the safety gate: refused at $refused providers, h20 kept: $held"
	cat "$tmp/status.json" >&2
fi
ctl sync example.com --force >/dev/null 2>&1 || true
if ms=$(wait_same 15 pdns cf r53); then
	check "dnsctl sync --force lets it through at all three ($ms ms)"
else
	fail "sync --force did not apply the gated change everywhere"
fi

# --- 5. nothing the daemon sent was refused; secrets -------------------------
for f in cf r53; do
	if [ "$f" = cf ]; then url=$CF_URL r0=$cf_refused0; else url=$R53_URL r0=$r53_refused0; fi
	curl -s "$url/_fake/stats" >"$tmp/stats.$f"
	req=$(awk '$1 == "requests" { print $2 }' "$tmp/stats.$f")
	ref=$(awk '$1 == "refused" { print $2 }' "$tmp/stats.$f")
	chg=$(awk '$1 == "changes" { print $2 }' "$tmp/stats.$f")
	if [ "$ref" = "$r0" ] && [ "$chg" -gt 0 ] && [ "$req" -gt 10 ]; then
		check "$f: $req requests, $chg change batches, none refused by the fake's authentication"
	else
		fail "$f: requests $req, refused $ref (was $r0), changes $chg"
	fi
done
# The grep below means something only if the requests were logged.
for p in cf r53; do
	grep -q "^debug http: $p: " "$tmp/daemon.log" ||
	    fail "the daemon's log has no debug lines for $p's requests"
done
if grep -qF "$CF_TOKEN" "$tmp/daemon.log"; then
	fail "the Cloudflare token is in the daemon's log"
elif grep -qF "$R53_SECRET" "$tmp/daemon.log" ||
    grep -qF "${R53_SECRET#r53Sec/}" "$tmp/daemon.log"; then
	fail "the AWS secret key is in the daemon's log"
else
	check "neither the Cloudflare token nor the AWS secret is in the debug log ($(wc -l <"$tmp/daemon.log") lines)"
fi

# --- 6. shutdown ----------------------------------------------------------------
kill -TERM "$daemon_pid"
rc=0
wait "$daemon_pid" || rc=$?
daemon_pid=
[ "$rc" -eq 0 ] || fail "the daemon exited $rc on SIGTERM"
for v in cf_pid r53_pid; do
	eval "pid=\$$v"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	eval "$v="
	[ "$rc" -eq 0 ] || fail "fakecloud ($v) exited $rc on SIGTERM"
done
check "the daemon and both fakes exit 0 on SIGTERM"
if [ "$lib_failed" -ne 0 ]; then
	echo "---- daemon log ----" >&2
	tail -n 80 "$tmp/daemon.log" >&2
	cat "$tmp/cf.log" "$tmp/r53.log" >&2
fi
lib_done
