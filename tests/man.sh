#!/bin/sh
# man.sh: the manual pages are clean and complete.
#
#   (a) every page formats without a warning: mandoc -Tlint -Wwarning when
#       mandoc is installed, and man --warnings (groff) when man is;
#   (b) every key that src/config.c accepts is documented in
#       multidns.conf.5, as an ".It Ic KEY" entry of the subsection it
#       belongs to ("[daemon]", "[store]", "[provider ...]", "[zone ...]",
#       "[webhook ...]" for the section keys, "Provider type TYPE" for each type's own
#       keys), and no such entry names a key the code does not accept;
#   (c) every command of dnsctl's keyword table (src/ctl/parser.c, t_main)
#       has an ".It Cm COMMAND" entry in dnsctl.8;
#   (d) every error code and every command name of src/ctl-proto.h
#       appears in multidnsd.8.
#
# The keys and commands are read from the sources, so adding one to the
# code without documenting it fails here.  Needs: sed, awk, sort; man-db
# and groff-base (or mandoc) for (a).
set -eu
LC_ALL=C
export LC_ALL
: "${top_srcdir:?top_srcdir is not set}"

failed=0
fail()
{
	echo "FAIL: $*" >&2
	failed=1
}

man_dir=$top_srcdir/man
conf_c=$top_srcdir/src/config.c
parser_c=$top_srcdir/src/ctl/parser.c
proto_h=$top_srcdir/src/ctl-proto.h
pages="multidnsd.8 dnsctl.8 multidns.conf.5"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/multidns-man.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

for f in "$conf_c" "$parser_c" "$proto_h"; do
	[ -r "$f" ] || fail "cannot read $f"
done
for p in $pages; do
	[ -r "$man_dir/$p" ] || fail "cannot read $man_dir/$p"
done
[ "$failed" -eq 0 ] || exit 1

# --- (a) formatting warnings -----------------------------------------------

linted=0
if command -v mandoc >/dev/null 2>&1; then
	linted=1
	for p in $pages; do
		# Warnings and worse; "STYLE" notes (and "referenced manual not
		# found", which depends on what is installed) are not failures.
		if ! mandoc -Tlint -Wwarning "$man_dir/$p" >"$tmp/lint" 2>&1 ||
		    [ -s "$tmp/lint" ]; then
			fail "$p: mandoc -Tlint:"
			sed 's/^/	/' "$tmp/lint" >&2
		fi
	done
fi
if command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1; then
	linted=1
	for p in $pages; do
		# man -l reads the file, not the database; groff's warnings
		# and mdoc's usage messages go to standard error.
		if ! LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l -Tutf8 \
		    "$man_dir/$p" >/dev/null 2>"$tmp/warn" ||
		    [ -s "$tmp/warn" ]; then
			fail "$p: man --warnings:"
			sed 's/^/	/' "$tmp/warn" >&2
		fi
	done
fi
if [ "$linted" -eq 0 ]; then
	fail "neither mandoc nor man with groff is installed" \
	    "(Debian: man-db and groff-base, or mandoc)"
fi

# --- (b) configuration keys -----------------------------------------------

# "section key" for every key the parser accepts.  The section is daemon,
# store, provider, zone or webhook for the keys compared in
# config_key_SECTION(),
# and "type:TYPE" for the rows of provider_keys[].
awk '
function keys_in(line, section,    rest) {
	rest = line
	while (match(rest, /strcmp\([ \t]*key[ \t]*,[ \t]*"[^"]+"[ \t]*\)/)) {
		k = substr(rest, RSTART, RLENGTH)
		sub(/^[^"]*"/, "", k)
		sub(/".*$/, "", k)
		print section, k
		rest = substr(rest, RSTART + RLENGTH)
	}
}
/^config_key_[a-z]+\(/ {
	fn = $0
	sub(/^config_key_/, "", fn)
	sub(/\(.*/, "", fn)
	infn = 1
	next
}
infn && /^}/ { infn = 0; next }
infn { keys_in($0, fn); next }
/provider_keys\[\] *= *\{/ { intable = 1; next }
intable && /^};/ { intable = 0; next }
intable && /^[ \t]*\{/ {
	if (match($0, /\{[ \t]*"[^"]+"[ \t]*,[ \t]*"[^"]+"/)) {
		row = substr($0, RSTART, RLENGTH)
		sub(/^\{[ \t]*"/, "", row)
		split(row, f, /"[ \t]*,[ \t]*"/)
		sub(/"$/, "", f[2])
		print "type:" f[1], f[2]
	} else
		print "UNREADABLE", FNR
}
' "$conf_c" | sort -u >"$tmp/code-keys"

# The same pairs from the page: each ".It Ic KEY" under a subsection.
awk '
/^\.S[sh] / {
	title = $0
	sub(/^\.S[sh] +/, "", title)
	gsub(/\\&/, "", title)
	gsub(/"/, "", title)
	sec = ""
	if (title ~ /^\[daemon\]$/) sec = "daemon"
	else if (title ~ /^\[store\]$/) sec = "store"
	else if (title ~ /^\[provider /) sec = "provider"
	else if (title ~ /^\[zone /) sec = "zone"
	else if (title ~ /^\[webhook /) sec = "webhook"
	else if (title ~ /^Provider type [a-z0-9_-]+$/) {
		n = split(title, w, / +/)
		sec = "type:" w[n]
	}
	next
}
sec != "" && /^\.It Ic [^ ]/ {
	k = $3
	gsub(/\\&/, "", k)
	print sec, k
}
' "$man_dir/multidns.conf.5" | sort -u >"$tmp/doc-keys"

grep '^UNREADABLE ' "$tmp/code-keys" | while read -r _ line; do
	echo "FAIL: $conf_c:$line: a provider_keys[] row this test cannot" \
	    "read (expected { \"TYPE\", \"KEY\", ...)" >&2
	echo x
done >"$tmp/unreadable"
[ -s "$tmp/unreadable" ] && failed=1
grep -v '^UNREADABLE ' "$tmp/code-keys" >"$tmp/keys" || true
mv "$tmp/keys" "$tmp/code-keys"
ncode=$(wc -l <"$tmp/code-keys")
for s in daemon store provider zone webhook; do
	grep -q "^$s " "$tmp/code-keys" ||
	    fail "found no [$s] key in $conf_c: has the parser changed shape?"
done
grep -q '^type:' "$tmp/code-keys" ||
    fail "found no provider_keys[] row in $conf_c: has it changed shape?"
if [ "$ncode" -lt 30 ]; then
	fail "found only $ncode keys in $conf_c; expected at least 30"
fi

comm -23 "$tmp/code-keys" "$tmp/doc-keys" | while read -r sec key; do
	echo "FAIL: multidns.conf.5: key '$key' of $sec is accepted by" \
	    "src/config.c but not documented (.It Ic $key)" >&2
	echo x
done >"$tmp/missing"
comm -13 "$tmp/code-keys" "$tmp/doc-keys" | while read -r sec key; do
	echo "FAIL: multidns.conf.5: key '$key' of $sec is documented but" \
	    "src/config.c does not accept it" >&2
	echo x
done >>"$tmp/missing"
[ -s "$tmp/missing" ] && failed=1

# --- (c) dnsctl commands ----------------------------------------------------

# Command names: the KEYWORD rows of t_main, with CTL_CMD_* macros looked
# up in ctl-proto.h (a row may also give the word as a string).
awk '
FNR == NR {
	if ($1 == "#define" && $2 ~ /^CTL_CMD_/ && $3 ~ /^"/) {
		v = $3
		gsub(/"/, "", v)
		macro[$2] = v
	}
	next
}
/t_main\[\] *= *\{/ { intable = 1; next }
intable && /^};/ { intable = 0; next }
intable && match($0, /\{[ \t]*KEYWORD[ \t]*,[ \t]*[^ \t,]+/) {
	w = substr($0, RSTART, RLENGTH)
	sub(/^\{[ \t]*KEYWORD[ \t]*,[ \t]*/, "", w)
	if (w ~ /^"/) {
		gsub(/"/, "", w)
		print w
	} else if (w in macro)
		print macro[w]
	else
		print "UNRESOLVED:" w
}
' "$proto_h" "$parser_c" | sort -u >"$tmp/commands"

if [ "$(wc -l <"$tmp/commands")" -lt 5 ]; then
	fail "found fewer than 5 commands in $parser_c: has t_main changed shape?"
fi
while read -r cmd; do
	case $cmd in
	UNRESOLVED:*)
		fail "$parser_c: cannot resolve ${cmd#UNRESOLVED:} in $proto_h"
		continue
		;;
	esac
	grep -q "^\.It Cm $cmd\( \|$\)" "$man_dir/dnsctl.8" ||
	    fail "dnsctl.8: command '$cmd' is in dnsctl's grammar but has" \
	    "no '.It Cm $cmd' entry"
done <"$tmp/commands"

# --- (d) the control protocol in multidnsd.8 ----------------------------------

sed -n 's/^#define[ 	][ 	]*CTL_ERR_[A-Z_]*[ 	][ 	]*"\([^"]*\)".*/\1/p' \
    "$proto_h" | sort -u >"$tmp/errors"
sed -n 's/^#define[ 	][ 	]*CTL_CMD_[A-Z_]*[ 	][ 	]*"\([^"]*\)".*/\1/p' \
    "$proto_h" | sort -u >"$tmp/proto-commands"
if [ "$(wc -l <"$tmp/errors")" -lt 5 ]; then
	fail "found fewer than 5 error codes in $proto_h"
fi
if [ "$(wc -l <"$tmp/proto-commands")" -lt 5 ]; then
	fail "found fewer than 5 command names in $proto_h"
fi
while read -r code; do
	grep -q "^\.It Li $code\$" "$man_dir/multidnsd.8" ||
	    fail "multidnsd.8: error code '$code' has no '.It Li $code'" \
	    "entry under CONTROL PROTOCOL"
done <"$tmp/errors"
while read -r cmd; do
	grep -q "Cm $cmd\( \|$\)" "$man_dir/multidnsd.8" ||
	    fail "multidnsd.8: protocol command '$cmd' is not mentioned" \
	    "(as Cm $cmd)"
done <"$tmp/proto-commands"

if [ "$failed" -ne 0 ]; then
	exit 1
fi
echo "$0: $(echo $pages | wc -w) pages, $ncode config keys," \
    "$(wc -l <"$tmp/commands") dnsctl commands," \
    "$(wc -l <"$tmp/errors") error codes"
exit 0
