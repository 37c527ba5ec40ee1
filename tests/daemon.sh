#!/bin/sh
# daemon.sh: multidnsd end to end, driven through dnsctl on a private
# socket: start, status (text and JSON), reload on SIGHUP and by dnsctl
# keeping state, broken configs refused, an unprivileged user, hostile
# and many clients, kill -9 and restart with the state database intact,
# SIGTERM, and one cycle under valgrind (when it is there and the build
# is not a sanitizer build, which checks leaks itself).
#
# The providers point at 127.0.0.1:9, where nothing listens: reconciles
# fail there, and the daemon must go on serving regardless.

. "${top_srcdir:?top_srcdir is not set}/tests/lib.sh"

lib_init
: "${DNSCTL:?DNSCTL is not set}"
: "${top_builddir:?top_builddir is not set}"

pid=
idle_pid=
bh_pid=
sync_pid=
plan_pid=
cleanup()
{
	for p in "$idle_pid" "$bh_pid" "$sync_pid" "$plan_pid"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null
	done
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# Everything under $tmp must be reachable by the unprivileged user.
chmod 755 "$tmp"
conf=$tmp/multidns.conf
sock=$tmp/control.sock
db=$tmp/state.db
log=$tmp/daemon.log
cp -R "$top_srcdir/etc/zones" "$tmp/zones"
chmod -R a+rX "$tmp/zones"
nl='
'

TIMEOUT=
if command -v timeout >/dev/null 2>&1; then
	TIMEOUT="timeout 30"
fi

ok()
{
	echo "ok: $*"
}

# bad WHAT: a failure, with the daemon's log.
bad()
{
	fail "$*"
	echo "--- daemon log (last 40 lines) ---" >&2
	tail -n 40 "$log" >&2 2>/dev/null
	echo "--- stdout ---" >&2
	cat "$tmp/stdout" >&2 2>/dev/null
	echo "--- stderr ---" >&2
	cat "$tmp/stderr" >&2 2>/dev/null
	echo "---" >&2
}

# Stop at the first failure: later checks depend on earlier ones.
check_done()
{
	if [ "$lib_failed" -ne 0 ]; then
		echo "$0: FAILED" >&2
		exit 1
	fi
}

ctl()
{
	run $TIMEOUT "$DNSCTL" -s "$sock" "$@"
}

# write_conf [EXTRA-DAEMON-LINE] [WITH-NET] [LOG-LEVEL] [SLOW-PORT]: the
# test config; with SLOW-PORT, example.net is served by a provider there.
write_conf()
{
	cat >"$conf" <<EOF
[daemon]
	state = $db
	socket = $sock
	log-level = ${3:-info}
	interval = 60
	jitter = 10
$1
[store]
	type = directory
	path = zones
	poll = 1

[provider "knot"]
	type = rfc2136
	server = 127.0.0.1:9

[provider "bind"]
	type = rfc2136
	server = 127.0.0.1:9

[zone "example.com"]
	providers = knot, bind
	mode = alert
EOF
	if [ -n "$4" ]; then
		cat >>"$conf" <<EOF

[provider "slow"]
	type = rfc2136
	server = 127.0.0.1:$4
	timeout = 60
EOF
	fi
	if [ -n "$2" ]; then
		cat >>"$conf" <<EOF

[zone "example.net"]
	providers = ${4:+slow, }knot
	mode = alert
EOF
	fi
}

alive()
{
	kill -0 "$pid" 2>/dev/null
}

# start_daemon [WRAPPER...]: start it in the background, wait for the socket.
start_daemon()
{
	"$@" "$MULTIDNSD" -c "$conf" >>"$log" 2>&1 &
	pid=$!
	wait_tries=${WAIT_TRIES:-100}
	while [ "$wait_tries" -gt 0 ]; do
		if ! alive; then
			bad "multidnsd exited at start"
			pid=
			return 1
		fi
		if [ -S "$sock" ] && $TIMEOUT "$DNSCTL" -s "$sock" version \
		    >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
		wait_tries=$((wait_tries - 1))
	done
	bad "the control socket did not answer in time"
	return 1
}

# status_ok WHAT: dnsctl exits 0 (all good) or 1 (attention), not 2.
status_ok()
{
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		bad "$1: exit $rc, expected 0 or 1"
		return 1
	fi
	return 0
}

# json_field NAME: a scalar of the last --json output.
json_field()
{
	sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" \
	    "$tmp/stdout" | head -n 1
}

# --- start ---------------------------------------------------------------

write_conf
start_daemon || check_done
ok "multidnsd started (pid $pid)"

ctl status
if status_ok "status" && grep -q '^example\.com\.' "$tmp/stdout" &&
    grep -q 'knot' "$tmp/stdout" && grep -q 'bind' "$tmp/stdout"; then
	ok "dnsctl status lists example.com. with knot and bind (exit $rc)"
else
	bad "dnsctl status does not list the zone and its providers"
fi

ctl --json status
if status_ok "status --json" &&
    grep -q '"uptime":' "$tmp/stdout" &&
    grep -q '"attention":[[:space:]]*\(true\|false\)' "$tmp/stdout" &&
    grep -q '"name":[[:space:]]*"example\.com\."' "$tmp/stdout" &&
    grep -q '"state":' "$tmp/stdout" &&
    grep -q '"store_version":[[:space:]]*"[0-9a-f]\{64\}"' "$tmp/stdout"; then
	ok "dnsctl --json status has uptime, attention, zones, store version"
else
	bad "dnsctl --json status lacks keys"
fi
if command -v python3 >/dev/null 2>&1; then
	if python3 -m json.tool <"$tmp/stdout" >/dev/null 2>&1; then
		ok "dnsctl --json status parses as JSON"
	else
		bad "dnsctl --json status is not valid JSON"
	fi
fi
started=$(json_field started)
if [ -n "$started" ] && [ "$(json_field reloads)" = 0 ]; then
	ok "status says started $started, 0 reloads"
else
	bad "status has no start time or reload count"
fi
check_done

for cmd in zones providers drift history health; do
	ctl "$cmd"
	status_ok "dnsctl $cmd" && ok "dnsctl $cmd answers (exit $rc)"
done
ctl version
if [ "$rc" -eq 0 ] && grep -q '^version:' "$tmp/stdout"; then
	ok "dnsctl version"
else
	bad "dnsctl version"
fi
ctl lint
if [ "$rc" -ne 2 ] && grep -q 'SEVERITY' "$tmp/stdout"; then
	ok "dnsctl lint answers (exit $rc)"
else
	bad "dnsctl lint should answer with a table (exit $rc)"
fi
ctl plan nosuch.example
if [ "$rc" -eq 2 ] && grep -q 'no zone nosuch.example. is configured' \
    "$tmp/stderr"; then
	ok "dnsctl plan of an unknown zone: no such zone (exit 2)"
else
	bad "dnsctl plan of an unknown zone"
fi
# The plan is answered from the reconcile's callback (deferred): with the
# providers unreachable it reports their errors, or reconcile is not built.
ctl plan example.com
if { [ "$rc" -eq 1 ] && grep -q '^zone: *example\.com\.' "$tmp/stdout" &&
    grep -q 'knot' "$tmp/stdout"; } ||
    { [ "$rc" -eq 2 ] && grep -q 'not available' "$tmp/stderr"; }; then
	ok "dnsctl plan example.com answers (exit $rc)"
else
	bad "dnsctl plan example.com"
fi
ctl sync
if { [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]; } &&
    grep -q '^queued: *example\.com\.' "$tmp/stdout"; then
	ok "dnsctl sync (root) answers with the zones it ran (exit $rc)"
elif [ "$rc" -eq 2 ] && grep -q 'not available' "$tmp/stderr"; then
	ok "dnsctl sync (root): reconcile not available (exit 2)"
else
	bad "dnsctl sync as root"
fi
check_done

# --- reload on SIGHUP: a new zone and log level, state kept ----------------

write_conf "" net debug
kill -HUP "$pid"
tries=50
while [ "$tries" -gt 0 ]; do
	ctl --json status
	if grep -q '"name":[[:space:]]*"example\.net\."' "$tmp/stdout"; then
		break
	fi
	sleep 0.1
	tries=$((tries - 1))
done
if [ "$tries" -gt 0 ] && grep -q '"name":[[:space:]]*"example\.com\."' \
    "$tmp/stdout"; then
	ok "SIGHUP: the new zone example.net. is in status"
else
	bad "SIGHUP did not load the new zone"
fi
if [ "$(json_field started)" = "$started" ] &&
    [ "$(json_field reloads)" = 1 ]; then
	ok "SIGHUP kept the state: same start time, reload count 1"
else
	bad "SIGHUP lost the state (started $(json_field started), reloads $(json_field reloads))"
fi
if grep -q 'reloaded: 2 zones, 2 providers' "$log"; then
	ok "the log says reloaded: 2 zones, 2 providers"
else
	bad "no 'reloaded' line in the log"
fi
lines=$(wc -l <"$log")
ctl status
if tail -n +"$((lines + 1))" "$log" | grep -q '^debug '; then
	ok "the log level follows the new config (debug)"
else
	bad "log-level = debug was not applied by the reload"
fi
check_done

# --- broken configs are refused; the running one stays ---------------------

write_conf "	frobnicate = yes" net
kill -HUP "$pid"
tries=50
while [ "$tries" -gt 0 ] && ! grep -q 'reload refused' "$log"; do
	sleep 0.1
	tries=$((tries - 1))
done
ctl --json status
if alive && [ "$tries" -gt 0 ] &&
    grep -q "reload refused: $conf:7: unknown key 'frobnicate'" "$log" &&
    grep -q '"name":[[:space:]]*"example\.net\."' "$tmp/stdout" &&
    [ "$(json_field reloads)" = 1 ]; then
	ok "SIGHUP with a broken config: refused and logged, old config stays"
else
	bad "SIGHUP with a broken config"
fi

ctl reload
if [ "$rc" -eq 2 ] &&
    grep -q "reload refused: $conf:7: unknown key 'frobnicate'" \
    "$tmp/stderr"; then
	ok "dnsctl reload with a broken config: exit 2 with the reason"
else
	bad "dnsctl reload with a broken config"
fi
alive || bad "multidnsd died after a refused reload"

write_conf "" net
ctl reload
if [ "$rc" -eq 0 ] && grep -q 'reloaded: *yes' "$tmp/stdout"; then
	ctl --json status
	if [ "$(json_field reloads)" = 2 ]; then
		ok "dnsctl reload with a good config: reloaded, count 2"
	else
		bad "reload count is not 2 after dnsctl reload"
	fi
else
	bad "dnsctl reload with a good config"
fi
check_done

# --- permissions -----------------------------------------------------------

mode=$(stat -c %a "$sock")
if [ "$mode" = 660 ]; then
	ok "the socket has mode 0660"
else
	bad "the socket has mode $mode"
fi
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	gid=$(stat -c %g "$sock")
	asuser="setpriv --reuid=65534 --regid=$gid --clear-groups"
	run $TIMEOUT $asuser "$DNSCTL" -s "$sock" status
	if status_ok "status as uid 65534" &&
	    grep -q '^example\.com\.' "$tmp/stdout"; then
		ok "uid 65534 in the socket's group reads status"
	else
		bad "uid 65534 cannot read status"
	fi
	for cmd in sync reload; do
		run $TIMEOUT $asuser "$DNSCTL" -s "$sock" $cmd
		if [ "$rc" -eq 2 ] && grep -q 'permission denied' \
		    "$tmp/stderr"; then
			ok "uid 65534: dnsctl $cmd is denied (exit 2)"
		else
			bad "uid 65534 was not denied $cmd"
		fi
	done
	run $TIMEOUT setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$DNSCTL" -s "$sock" status
	if [ "$rc" -eq 2 ] && grep -q 'cannot connect' "$tmp/stderr"; then
		ok "a user outside the socket's group cannot connect"
	else
		bad "a user outside the socket's group could connect"
	fi
else
	echo "SKIP: permission checks need root and setpriv"
fi
check_done

# --- hostile and many clients ----------------------------------------------

client=
# Built by `make check` (check_PROGRAMS); the checks below need it.
client=$top_builddir/tests/ctlclient
if [ ! -x "$client" ]; then
	bad "tests/ctlclient is not built"
	client=
fi
if [ -n "$client" ]; then
	run "$client" -l 2 "$sock" "{\"v\":1,\"cmd\":$nl{\"v\":1,\"cmd\":\"version\"}$nl"
	if [ "$rc" -eq 0 ] &&
	    sed -n 1p "$tmp/stdout" | grep -q '"code":"bad-request"' &&
	    sed -n 2p "$tmp/stdout" | grep -q '"ok":true.*"version"'; then
		ok "malformed JSON: bad-request, and the connection still serves"
	else
		bad "malformed JSON"
	fi
	run "$client" -l 1 "$sock" "{\"v\":1,\"cmd\":\"frobnicate\"}$nl"
	if grep -q '"code":"unknown-command"' "$tmp/stdout"; then
		ok "an unknown command: unknown-command"
	else
		bad "an unknown command"
	fi
	run "$client" -l 1 "$sock" "{\"v\":1,\"cmd\":\"history\",\"args\":{\"limit\":-3}}$nl"
	if grep -q '"code":"bad-request"' "$tmp/stdout"; then
		ok "a bad argument: bad-request"
	else
		bad "a bad argument"
	fi
	run "$client" -n 70000 "$sock"
	if [ "$rc" -eq 0 ] && grep -q '"code":"too-large"' "$tmp/stdout"; then
		ok "an oversized request: too-large, connection closed"
	else
		bad "an oversized request"
	fi

	# A client that connects and never writes does not block anyone.
	"$client" -w 60 "$sock" >/dev/null 2>&1 &
	idle_pid=$!
	sleep 0.2
	ctl status
	if status_ok "status beside an idle client" && kill -0 "$idle_pid"; then
		ok "a silent client stays connected and status still answers"
	else
		bad "a silent client blocked the daemon"
	fi
else
	echo "SKIP: no ctlclient and no C compiler for the raw-client checks"
fi

# 200 clients at once (the silent one still connected).
i=0
pids=
while [ "$i" -lt 200 ]; do
	(
		rc=0
		$TIMEOUT "$DNSCTL" -s "$sock" status >"$tmp/c.$i.out" \
		    2>&1 || rc=$?
		echo "$rc" >"$tmp/c.$i.rc"
	) &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do
	wait "$p"
done
good=0
i=0
while [ "$i" -lt 200 ]; do
	r=$(cat "$tmp/c.$i.rc" 2>/dev/null)
	if { [ "$r" = 0 ] || [ "$r" = 1 ]; } &&
	    grep -q '^example\.com\.' "$tmp/c.$i.out"; then
		good=$((good + 1))
	fi
	i=$((i + 1))
done
if [ "$good" -eq 200 ]; then
	ok "200 concurrent clients each got the status"
else
	bad "only $good of 200 concurrent clients got the status"
fi
ctl status
if alive && status_ok "status after the crowd"; then
	ok "the daemon keeps serving after hostile and many clients"
else
	bad "the daemon stopped serving"
fi
if [ -n "$idle_pid" ]; then
	kill "$idle_pid" 2>/dev/null
	wait "$idle_pid" 2>/dev/null
	idle_pid=
fi
check_done

# --- kill -9, restart, the state database intact ---------------------------

if command -v sqlite3 >/dev/null 2>&1; then
	q="select zone || ' ' || version || ' ' || seen_at || ' ' || ok
	    from versions order by 1;"
	before=$(sqlite3 "$db" "select count(*) from versions;")
	# A new store version: both zones get a new version row.
	printf 'killtest 300 IN TXT "before kill -9"\n' \
	    >>"$tmp/zones/example.com.zone"
	tries=100
	while [ "$tries" -gt 0 ]; do
		now=$(sqlite3 "$db" "select count(*) from versions;")
		[ "$now" -ge "$((before + 2))" ] && break
		sleep 0.1
		tries=$((tries - 1))
	done
	if [ "$tries" -gt 0 ]; then
		ok "a new store version was recorded ($before -> $now rows)"
	else
		bad "the new store version was not recorded"
	fi
	sqlite3 "$db" "$q" >"$tmp/versions.before"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	pid=
	[ -S "$sock" ] && ok "kill -9 left the socket behind"
	start_daemon || check_done
	ok "multidnsd restarted over the stale socket (pid $pid)"
	sqlite3 "$db" "$q" >"$tmp/versions.after"
	if same "$tmp/versions.before" "$tmp/versions.after" \
	    "versions after kill -9 and restart"; then
		ok "every version row survived kill -9 unchanged"
	fi
	if [ "$(sqlite3 "$db" 'pragma integrity_check;')" = ok ]; then
		ok "the state database passes integrity_check"
	else
		bad "the state database is damaged"
	fi
	ctl --json status
	if status_ok "status after restart" &&
	    grep -q '"name":[[:space:]]*"example\.net\."' "$tmp/stdout"; then
		ok "status after restart"
	else
		bad "status after restart"
	fi
else
	echo "SKIP: kill -9 check needs the sqlite3 command"
fi
check_done

# --- reload with work in flight --------------------------------------------

# A provider that accepts and never answers keeps a sync and a plan of
# example.net in flight: a reload restarts them on the new objects, and
# SIGTERM answers them before the daemon exits.
inflight=
if [ -n "$client" ]; then
	"$client" -B >"$tmp/bh.port" 2>&1 &
	bh_pid=$!
	tries=50
	while [ "$tries" -gt 0 ] && [ ! -s "$tmp/bh.port" ]; do
		sleep 0.1
		tries=$((tries - 1))
	done
	port=$(cat "$tmp/bh.port")
	write_conf "" net info "$port"
	ctl reload
	[ "$rc" -eq 0 ] || bad "reload with the slow provider"
	# The sync first (a plan holding the pairs would make it wait
	# without marking them busy).
	for cmd in sync plan; do
		(
			rc=0
			$TIMEOUT "$DNSCTL" -s "$sock" $cmd example.net \
			    >"$tmp/$cmd.out" 2>&1 || rc=$?
			echo "$rc" >"$tmp/$cmd.rc"
		) &
		eval "${cmd}_pid=\$!"
		tries=50
		while [ "$tries" -gt 0 ]; do
			ctl --json status
			grep -q '"state":[[:space:]]*"busy"' "$tmp/stdout" &&
			    break
			sleep 0.1
			tries=$((tries - 1))
		done
	done
	sleep 0.3
	if [ "$tries" -gt 0 ] && [ ! -e "$tmp/sync.rc" ] &&
	    [ ! -e "$tmp/plan.rc" ]; then
		ok "dnsctl sync and plan wait on a provider that never answers"
		inflight=1
	else
		bad "sync of example.net is not in flight"
		cat "$tmp/sync.out" "$tmp/plan.out" >&2 2>/dev/null
	fi
	reloads=$(json_field reloads)
	kill -HUP "$pid"
	tries=50
	while [ "$tries" -gt 0 ]; do
		ctl --json status
		[ "$(json_field reloads)" = "$((reloads + 1))" ] && break
		sleep 0.1
		tries=$((tries - 1))
	done
	sleep 0.3
	ctl --json status
	if [ "$tries" -gt 0 ] && alive && [ ! -e "$tmp/sync.rc" ] &&
	    [ ! -e "$tmp/plan.rc" ] &&
	    grep -q '"state":[[:space:]]*"busy"' "$tmp/stdout"; then
		ok "SIGHUP with work in flight: reloaded, sync restarted and waiting"
	else
		bad "SIGHUP with work in flight"
	fi
	check_done
else
	echo "SKIP: no ctlclient for the work-in-flight checks"
fi

# --- SIGTERM ---------------------------------------------------------------

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
if [ "$rc" -eq 0 ]; then
	ok "SIGTERM: exit status 0"
else
	bad "SIGTERM: exit status $rc"
fi
if [ ! -e "$sock" ]; then
	ok "SIGTERM: the socket is removed"
else
	bad "SIGTERM left the socket behind"
fi
if [ -n "$inflight" ]; then
	wait "$sync_pid" "$plan_pid"
	for cmd in sync plan; do
		if [ "$(cat "$tmp/$cmd.rc")" = 2 ] &&
		    grep -q 'example.net.: the daemon is stopping' \
		    "$tmp/$cmd.out"; then
			ok "SIGTERM answered the waiting $cmd: the daemon is stopping"
		else
			bad "the waiting $cmd got no proper answer at SIGTERM"
			cat "$tmp/$cmd.out" >&2
		fi
	done
fi
if [ -n "$bh_pid" ]; then
	kill "$bh_pid" 2>/dev/null
	wait "$bh_pid" 2>/dev/null
	bh_pid=
fi
check_done

# --- one cycle under valgrind ------------------------------------------------

if ! command -v valgrind >/dev/null 2>&1; then
	echo "SKIP: valgrind is not installed"
elif ldd "$MULTIDNSD" 2>/dev/null | grep -q 'libasan'; then
	echo "SKIP: valgrind (sanitizer build: ASan checks leaks instead)"
else
	vglog=$tmp/valgrind.log
	WAIT_TRIES=300 start_daemon valgrind -q --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	    --log-file="$vglog" || check_done
	ctl status
	status_ok "status under valgrind" && ok "status under valgrind"
	write_conf ""
	kill -HUP "$pid"
	ctl sync
	ctl reload
	if [ "$rc" -eq 0 ]; then
		ok "reload under valgrind"
	else
		bad "reload under valgrind"
	fi
	ctl plan example.com
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	pid=
	if [ "$rc" -eq 0 ]; then
		ok "valgrind: clean start/status/reload/stop, exit 0"
	else
		bad "valgrind: exit status $rc"
		cat "$vglog" >&2
	fi
fi

lib_done
