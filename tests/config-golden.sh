#!/bin/sh
# config-golden.sh: `multidnsd -n -p` over tests/data/config.
#
#   good/NAME.conf  exit 0; stdout is NAME.ok, stderr is NAME.stderr (or
#                   empty when there is none)
#   bad/NAME.conf   (with -n only) exit 1; stderr is NAME.err, stdout is
#                   empty
#
# The test data directory is written @DIR@ in the expected files.
set -eu
. "${top_srcdir:?}/tests/lib.sh"
lib_init

dir=$(abs_dir "$top_srcdir/tests/data/config")
ngood=0
nbad=0

for conf in "$dir"/good/*.conf; do
	[ -e "$conf" ] || continue
	base=${conf%.conf}
	ngood=$((ngood + 1))
	run "$MULTIDNSD" -n -p -c "$conf"
	if [ "$rc" -ne 0 ]; then
		fail "good/${conf##*/}: exit $rc, expected 0"
		sed 's/^/	/' "$tmp/stderr" >&2
		continue
	fi
	subst_dir "$dir" <"$tmp/stdout" >"$tmp/out"
	subst_dir "$dir" <"$tmp/stderr" >"$tmp/err"
	if [ ! -f "$base.ok" ]; then
		fail "good/${conf##*/}: no ${base##*/}.ok; the output was:"
		cat "$tmp/out" >&2
		continue
	fi
	same "$base.ok" "$tmp/out" "good/${conf##*/}: stdout" || true
	if [ -f "$base.stderr" ]; then
		same "$base.stderr" "$tmp/err" "good/${conf##*/}: stderr" || true
	elif [ -s "$tmp/err" ]; then
		fail "good/${conf##*/}: unexpected stderr:"
		cat "$tmp/err" >&2
	fi

	# The printed configuration is itself a valid one that prints the same.
	sed '/^configuration OK: /d' "$tmp/stdout" >"$tmp/printed.conf"
	cp "$tmp/stdout" "$tmp/first"
	run "$MULTIDNSD" -n -p -c "$tmp/printed.conf"
	if [ "$rc" -ne 0 ]; then
		fail "good/${conf##*/}: its printed form does not load:"
		cat "$tmp/stderr" >&2
	else
		same "$tmp/first" "$tmp/stdout" \
		    "good/${conf##*/}: reprinted" || true
	fi
done

for conf in "$dir"/bad/*.conf; do
	[ -e "$conf" ] || continue
	base=${conf%.conf}
	nbad=$((nbad + 1))
	run "$MULTIDNSD" -n -c "$conf"
	subst_dir "$dir" <"$tmp/stderr" >"$tmp/err"
	if [ "$rc" -ne 1 ]; then
		fail "bad/${conf##*/}: exit $rc, expected 1"
		cat "$tmp/err" >&2
		continue
	fi
	if [ ! -f "$base.err" ]; then
		fail "bad/${conf##*/}: no ${base##*/}.err; stderr was:"
		cat "$tmp/err" >&2
		continue
	fi
	same "$base.err" "$tmp/err" "bad/${conf##*/}: stderr" || true
	if [ -s "$tmp/stdout" ]; then
		fail "bad/${conf##*/}: unexpected stdout:"
		cat "$tmp/stdout" >&2
	fi
done

if [ "$ngood" -eq 0 ] || [ "$nbad" -lt 10 ]; then
	fail "too few cases: $ngood good, $nbad bad (at least 1 and 10)"
fi
echo "$0: $ngood good, $nbad bad configurations"
lib_done
