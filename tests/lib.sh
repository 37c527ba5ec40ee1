# lib.sh: helpers shared by the shell tests; sourced, POSIX sh.
#
# The harness sets top_srcdir, top_builddir and MULTIDNSD.  After
# lib_init, $tmp is a fresh directory removed on exit, and lib_done exits
# 1 when anything failed.

lib_failed=0
lib_count=0

lib_init()
{
	: "${top_srcdir:?top_srcdir is not set}"
	: "${MULTIDNSD:?MULTIDNSD is not set}"
	if [ ! -x "$MULTIDNSD" ]; then
		echo "FAIL: $MULTIDNSD is not an executable" >&2
		exit 1
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/multidns-test.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 1' HUP INT TERM
}

# The absolute, symlink-free form of a directory.
abs_dir()
{
	(cd "$1" && pwd -P)
}

fail()
{
	echo "FAIL: $*" >&2
	lib_failed=1
}

# run CMD...: run it, with $rc, $tmp/stdout and $tmp/stderr afterwards.
run()
{
	rc=0
	"$@" >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
	lib_count=$((lib_count + 1))
}

# Replace every occurrence of the directory $1 with @DIR@ (stdin to stdout).
subst_dir()
{
	lib_re=$(printf '%s\n' "$1" | sed 's/[][\\.*^$|]/\\&/g')
	sed "s|$lib_re|@DIR@|g"
}

# same EXPECTED-FILE ACTUAL-FILE WHAT: exact contents, else a diff.
same()
{
	if ! cmp -s "$1" "$2"; then
		fail "$3 differs from $1:"
		diff -u "$1" "$2" >&2 || true
		return 1
	fi
	return 0
}

# same_text EXPECTED-FILE ACTUAL-FILE WHAT: as same, but a missing final
# newline in either file does not count.
same_text()
{
	if [ "$(cat "$1")" != "$(cat "$2")" ]; then
		fail "$3 differs from $1:"
		diff -u "$1" "$2" >&2 || true
		return 1
	fi
	return 0
}

lib_done()
{
	if [ "$lib_failed" -ne 0 ]; then
		echo "$0: FAILED" >&2
		exit 1
	fi
	echo "$0: $lib_count runs OK"
	exit 0
}
