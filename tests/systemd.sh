#!/bin/sh
# systemd.sh: the unit and the sysusers.d file, checked offline (PID 1 is
# not systemd on the build machines, so the unit is not started here):
#   - the built unit has its @sbindir@ replaced and every directive the
#     design asks for;
#   - `systemd-analyze verify` passes (with ExecStart pointing at the
#     built multidnsd, since the installed one need not exist yet);
#   - `systemd-analyze security --offline=yes` scores at most 2.0;
#   - systemd-sysusers accepts the sysusers.d file and creates the user
#     in a scratch root.
set -eu

. "$top_srcdir/tests/lib.sh"
lib_init
: "${top_builddir:?top_builddir is not set}"
for c in systemd-analyze systemd-sysusers; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "FAIL: $c is missing: install the Debian package systemd (scripts/deps)" >&2
		exit 1
	fi
done
check()
{
	lib_count=$((lib_count + 1))
	echo "ok $lib_count - $*"
}

unit=$top_builddir/systemd/multidnsd.service
sysusers=$top_srcdir/systemd/multidns.sysusers
if [ ! -f "$unit" ]; then
	echo "FAIL: $unit is not built (make)" >&2
	exit 1
fi

# --- 1. the unit's content --------------------------------------------------
if grep -q '@[a-z]*@' "$unit"; then
	fail "unsubstituted @...@ left in $unit"
fi
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
case $exec_start in
/*/multidnsd\ -c\ /etc/multidns/multidns.conf) check "ExecStart=$exec_start" ;;
*) fail "ExecStart is '$exec_start'" ;;
esac
missing=
for line in Type=notify NotifyAccess=main 'ExecReload=/bin/kill -HUP $MAINPID' \
    WatchdogSec=30s Restart=on-failure RuntimeDirectory=multidns \
    StateDirectory=multidns ConfigurationDirectory=multidns \
    User=multidns Group=multidns UMask=0077 \
    ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes \
    NoNewPrivileges=yes 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
    SystemCallFilter=@system-service SystemCallArchitectures=native \
    CapabilityBoundingSet= AmbientCapabilities= LockPersonality=yes \
    MemoryDenyWriteExecute=yes RestrictRealtime=yes RestrictSUIDSGID=yes \
    RestrictNamespaces=yes ProtectKernelTunables=yes \
    ProtectKernelModules=yes ProtectKernelLogs=yes ProtectControlGroups=yes \
    ProtectClock=yes ProtectHostname=yes ProtectProc=invisible \
    ProcSubset=pid; do
	grep -qxF "$line" "$unit" || missing="$missing [$line]"
done
if [ -z "$missing" ]; then
	check "the unit has every directive asked for"
else
	fail "the unit lacks:$missing"
fi
# Providers are remote: no address allow list may cut them off.
if grep -q '^IPAddress\(Allow\|Deny\)=' "$unit"; then
	fail "the unit restricts IP addresses"
fi
grep -q '^# *LoadCredential=' "$unit" ||
    fail "the unit has no LoadCredential= example"

# --- 2. systemd-analyze verify ----------------------------------------------
mkdir "$tmp/units"
sed "s|^ExecStart=[^ ]*|ExecStart=$MULTIDNSD|" "$unit" \
    >"$tmp/units/multidnsd.service"
run systemd-analyze verify --man=no "$tmp/units/multidnsd.service"
if [ "$rc" -eq 0 ] && [ ! -s "$tmp/stderr" ]; then
	check "systemd-analyze verify"
else
	fail "systemd-analyze verify: exit $rc"
	cat "$tmp/stdout" "$tmp/stderr" >&2
fi

# --- 3. systemd-analyze security --------------------------------------------
run systemd-analyze security --offline=yes --no-pager \
    "$tmp/units/multidnsd.service"
score=$(sed -n 's/.*Overall exposure level for multidnsd.service: \([0-9.]*\).*/\1/p' \
    "$tmp/stdout")
if [ -z "$score" ]; then
	fail "systemd-analyze security: no score (exit $rc)"
	cat "$tmp/stdout" "$tmp/stderr" >&2
elif awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
	check "systemd-analyze security: exposure $score (at most 2.0)"
else
	fail "systemd-analyze security: exposure $score, over 2.0"
	grep '✗' "$tmp/stdout" >&2 || true
fi

# --- 4. sysusers.d -----------------------------------------------------------
mkdir -p "$tmp/root/etc"
run systemd-sysusers --root="$tmp/root" "$sysusers"
if [ "$rc" -eq 0 ] &&
    grep -q '^multidns:x:[0-9]*:[0-9]*:multidns daemon:/var/lib/multidns:' \
    "$tmp/root/etc/passwd" && grep -q '^multidns:' "$tmp/root/etc/group"; then
	check "systemd-sysusers creates the user and group multidns"
else
	fail "systemd-sysusers: exit $rc"
	cat "$tmp/stderr" "$tmp/root/etc/passwd" >&2 || true
fi
lib_done
