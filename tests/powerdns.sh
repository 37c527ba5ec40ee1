#!/bin/sh
# powerdns.sh: the PowerDNS backend against a real PowerDNS Authoritative
# server started by scripts/lab: round trips of every common type (an
# in-sync zone plans zero changes), updates, deletes, 10,000 RRsets in
# batches, a bad API key, zone creation.  Prints the measured figures.
#
# The lab must start: a missing server or a lab that does not come up
# fails this test (CI installs everything; scripts/lab-deps).
set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
LAB="$top_srcdir/scripts/lab"
CHECK="$top_builddir/tests/check_powerdns"
SRC="$top_srcdir/providers/powerdns.c"
failed=0

fail()
{
	echo "FAIL: $*" >&2
	failed=1
}

# 1. The API key is never handed to a log function: no log_*() call in
# the backend (calls joined across lines) names the key.
if [ ! -r "$SRC" ]; then
	echo "FAIL: $SRC not found" >&2
	exit 1
fi
bad=$(awk '
	/log_(warn|warnx|error|info|debug)\(|fatalx?\(/ { s = ""; on = 1; l = NR }
	on { s = s $0 }
	on && /;[ \t]*$/ {
		if (s ~ /key/) print l ": " s
		on = 0
	}' "$SRC")
if [ -n "$bad" ]; then
	fail "a log call in powerdns.c mentions the key:"
	printf '%s\n' "$bad" >&2
fi
# and the secret is wiped before it is freed
grep -q 'explicit_bzero(pd->key' "$SRC" || fail "pd->key is not wiped"

# 2. The real server.
if [ ! -x "$CHECK" ]; then
	echo "FAIL: $CHECK is not built" >&2
	exit 1
fi
for c in pdns_server sqlite3 curl openssl; do
	command -v "$c" >/dev/null 2>&1 ||
	    { echo "FAIL: '$c' not found (scripts/lab-deps)" >&2; exit 1; }
done
[ -x "$LAB" ] || { echo "FAIL: $LAB not found" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/multidns-pdns.XXXXXX")
lab="$tmp/lab"
cleanup()
{
	"$LAB" stop "$lab" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

if ! "$LAB" start "$lab" example.com >"$tmp/lab.out" 2>&1; then
	echo "FAIL: the lab did not start:" >&2
	cat "$tmp/lab.out" >&2
	exit 1
fi
# shellcheck disable=SC1091
. "$lab/lab.env"
[ -n "${PDNS_API_URL:-}" ] && [ -r "${PDNS_API_KEY_FILE:-}" ] ||
    { echo "FAIL: lab.env has no PowerDNS API" >&2; exit 1; }
export PDNS_API_URL PDNS_API_KEY_FILE

rc=0
PDNS_LAB=1 "$CHECK" >"$tmp/out" 2>&1 || rc=$?
cat "$tmp/out"
if [ "$rc" -ne 0 ]; then
	fail "check_powerdns against the lab exited $rc"
	tail -n 50 "$lab/pdns.log" >&2 2>/dev/null || true
fi
# it must really have run the lab cases, all of them
grep -q '^100%: Checks: 4, Failures: 0, Errors: 0' "$tmp/out" ||
    fail "the lab cases did not all run and pass"
grep -q '^figure: apply of 10000 creates: [0-9]* ms, 10 PATCHes' \
    "$tmp/out" || fail "no figure for the 10k apply"
grep -q '^figure: fetch of 10002 RRsets: [0-9]* ms' "$tmp/out" ||
    fail "no figure for the 10k fetch"

# the server is still healthy after all that
printf 'X-API-Key: %s\n' "$(cat "$PDNS_API_KEY_FILE")" >"$tmp/hdr"
code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -H @"$tmp/hdr" \
    "$PDNS_API_URL/api/v1/servers/localhost/zones/example.com.") || true
[ "$code" = 200 ] || fail "PowerDNS answers $code after the test"

if [ "$failed" -ne 0 ]; then
	echo "$0: FAILED" >&2
	exit 1
fi
echo "$0: OK"
exit 0
