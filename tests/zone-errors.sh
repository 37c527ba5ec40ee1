#!/bin/sh
# zone-errors.sh: every broken zone in tests/data/zones/bad makes
# `multidnsd -n` exit 1 with exactly the "file:line: message" of its .err;
# the example configuration checks clean.
set -eu
. "${top_srcdir:?}/tests/lib.sh"
lib_init

bad=$(abs_dir "$top_srcdir/tests/data/zones/bad")
cases=0
for zone in "$bad"/*.zone; do
	[ -e "$zone" ] || continue
	name=${zone##*/}
	name=${name%.zone}
	if [ ! -f "$bad/$name.err" ]; then
		fail "$zone has no $name.err"
		continue
	fi
	cases=$((cases + 1))
	cat >"$tmp/multidns.conf" <<CONF
[store]
type = directory
path = $bad
[provider "p"]
type = rfc2136
server = 127.0.0.1
[zone "example.com."]
file = $name.zone
providers = p
CONF
	run "$MULTIDNSD" -n -c "$tmp/multidns.conf"
	if [ "$rc" -ne 1 ]; then
		fail "$name.zone: exit $rc, expected 1"
		sed 's/^/	/' "$tmp/stderr" >&2
		continue
	fi
	same_text "$bad/$name.err" "$tmp/stderr" "$name.zone: stderr" || true
	if [ -s "$tmp/stdout" ]; then
		fail "$name.zone: unexpected output on stdout"
		cat "$tmp/stdout" >&2
	fi
done
if [ "$cases" -eq 0 ]; then
	fail "no cases in $bad"
fi

run "$MULTIDNSD" -n -c "$top_srcdir/etc/multidns.conf"
if [ "$rc" -ne 0 ]; then
	fail "etc/multidns.conf: exit $rc, expected 0"
	cat "$tmp/stderr" >&2
elif [ "$(cat "$tmp/stdout")" != "configuration OK: 2 zones, 3 providers" ] ||
    [ -s "$tmp/stderr" ]; then
	fail "etc/multidns.conf: unexpected output"
	cat "$tmp/stdout" "$tmp/stderr" >&2
fi

# -v lists every zone loaded, with its size and the store version.
run "$MULTIDNSD" -n -v -c "$top_srcdir/etc/multidns.conf"
if [ "$rc" -ne 0 ] ||
    ! grep -Eq '^zone example\.com\.: [0-9]+ RRsets, [0-9]+ records from example\.com\.zone, version [0-9a-f]{12}$' "$tmp/stdout" ||
    ! grep -Eq '^zone example\.net\.: [0-9]+ RRsets, [0-9]+ records from example\.net\.zone, version [0-9a-f]{12}$' "$tmp/stdout"; then
	fail "etc/multidns.conf: -n -v did not list both zones"
	cat "$tmp/stdout" "$tmp/stderr" >&2
fi

echo "$0: $cases broken zones"
lib_done
