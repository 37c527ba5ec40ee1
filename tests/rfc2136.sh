#!/bin/sh
# rfc2136.sh: the RFC 2136 provider against the lab's Knot DNS and BIND 9.
# Starts the lab (scripts/lab) with one zone per test, always stops it,
# and runs tests/check_rfc2136.  A lab that cannot start is a failure,
# not a skip: CI installs every server (scripts/deps, scripts/lab-deps).
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

lab="$top_srcdir/scripts/lab"
check="$top_builddir/tests/check_rfc2136"
zones="fetch.test types.test bulk.test tsig.test apex.test cancel.test
    down.test bench.test"

if [ ! -x "$lab" ]; then
	echo "rfc2136.sh: $lab not found" >&2
	exit 1
fi
if [ ! -x "$check" ]; then
	echo "rfc2136.sh: $check not built" >&2
	exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/rfc2136.XXXXXX") || exit 1
cleanup()
{
	"$lab" stop "$dir/lab" >/dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# shellcheck disable=SC2086
if ! "$lab" start "$dir/lab" $zones >"$dir/lab.log" 2>&1; then
	echo "rfc2136.sh: the lab did not start:" >&2
	cat "$dir/lab.log" >&2
	exit 1
fi
# shellcheck disable=SC1091
. "$dir/lab/lab.env"

RFC2136_LAB_STARTED=1
export RFC2136_LAB_STARTED
"$check"
