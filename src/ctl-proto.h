/*
 * ctl-proto.h: the control protocol between multidnsd and dnsctl.
 *
 * CTL_PROTO_VERSION moves whenever anything in this file changes: a
 * command, its arguments, an error code, a limit, or a result shape.
 *
 * TRANSPORT
 *	A Unix stream socket (default /run/multidns/control.sock, mode 0660,
 *	owned by the daemon's group if one is configured).  The daemon reads
 *	the peer's credentials with SO_PEERCRED when it accepts a connection.
 *
 * FRAMING
 *	Every message is one line: a single JSON object followed by "\n".
 *	JSON escapes newlines inside strings, so a message never contains a
 *	raw newline.  A client may send several requests on one connection,
 *	also without waiting (pipelining); the daemon answers them strictly
 *	in order, one response line per request.  Empty lines are ignored.
 *
 * REQUEST
 *	{"v":1,"cmd":"plan","args":{"zone":"example.com.","force":false}}
 *
 *	"v"	number, required, must be CTL_PROTO_VERSION.
 *	"cmd"	string, required, one of the command names below.
 *	"args"	object, optional (absent = {}); keys depend on the command.
 *	Other top-level keys are ignored.
 *
 * RESPONSE
 *	{"v":1,"ok":true,"result":{...}}
 *	{"v":1,"ok":false,"error":{"code":"permission-denied",
 *	    "message":"permission denied: 'sync' needs root or the daemon's user"}}
 *
 *	"code" is one of the CTL_ERR_* strings below, for programs; "message"
 *	is one human sentence, for people.  A result is always an object; if
 *	it has "attention":true, something needs an operator's attention and
 *	dnsctl exits 1.
 *
 * LIMITS AND CONNECTION HANDLING
 *	A request line longer than CTL_MAX_REQUEST bytes gets a "too-large"
 *	error and the connection is closed.  A line that is not valid JSON,
 *	or not of the shape above, gets a "bad-request" error and the
 *	connection stays usable.  A connection with no request in progress
 *	that sends nothing for the idle timeout (default 30 s) is closed
 *	without a message.  Past the daemon's client limit (default 256), a
 *	new connection gets one "busy" error line and is closed.  A client
 *	that does not read its responses (more than the daemon's output cap
 *	queued, or nothing read within the idle timeout) is dropped.  dnsctl
 *	refuses responses longer than CTL_MAX_RESPONSE bytes; the daemon
 *	answers "too-large" instead of sending a longer one.
 *
 * AUTHORISATION
 *	Anyone who can connect (the socket's mode and group decide who) may
 *	run the read-only commands.  Mutating commands (CTL_CMD_MUTATING
 *	below) are allowed only for uid 0 and the daemon's own uid; anyone
 *	else gets "permission-denied".
 *
 * COMMANDS (arguments in "args"; all optional unless marked required)
 *	status				overall state, see RESULT SHAPES
 *	zones				{"zones":[...]}
 *	providers			{"providers":[...]}
 *	drift	  zone			{"drift":[...],"attention":bool}
 *	history	  zone, limit(number)	{"history":[...]}
 *	health	  zone			{"health":[...],"attention":bool}
 *	plan	  zone(required)	{"zone":..,"version":..,"changes":[...]}
 *	sync	  zone, force(bool)	{"queued":[zone...]}		mutating
 *	reload				{"reloaded":bool,"message":..}	mutating
 *	lint	  zone			{"lint":[...],"attention":bool}
 *	alerts	  zone, limit(number)	{"alerts":[...],"pending":N,
 *					 "undeliverable_24h":N,"webhooks":N,
 *					 "attention":bool}
 *	version				{"version":"0.1.0","protocol":1}
 *   reserved for later (the daemon answers "not-available" until then):
 *	latency, compare, import		read-only
 *	withdraw, reinstate, pause, resume, apply	mutating
 *
 * RESULT SHAPES
 *	status:
 *	  {"version":"0.1.0", "uptime":SECONDS,
 *	   "zones":[{"name":"example.com.", "version":"3f2a9c1", "mode":"enforce",
 *	             "providers":[{"name":"pdns", "state":"healthy",
 *	                           "in_sync":true, "drift":0,
 *	                           "last_error":null}]}],
 *	   "alerts":{"webhooks":N, "pending":N, "undeliverable_24h":N,
 *	             "last_undeliverable":TIME|null},
 *	   "attention":false}
 *	zones:     "zones":     [{"name","version","mode","providers"(number),
 *	                          "in_sync"(bool)}]
 *	providers: "providers": [{"name","type","state","zones"(number),
 *	                          "last_error"}]
 *	drift:     "drift":     [{"zone","provider","owner","type","kind"
 *	                          ("missing"|"extra"|"changed"),"first_seen"}]
 *	history:   "history":   [{"time","zone","provider","version","change",
 *	                          "result"}]
 *	health:    "health":    [{"provider","nameserver","state","failures",
 *	                          "latency_ms"}]
 *	plan:      "changes":   [{"provider","op"("add"|"delete"|"update"),
 *	                          "owner","type","ttl","rdata"}]
 *	lint:      "lint":      [{"zone","severity","message"}]
 *	alerts:    "alerts":    [{"time","severity","type","zone","provider",
 *	                          "webhook","state"("pending"|"delivered"|
 *	                          "undeliverable"|"suppressed"|"not-sent"),
 *	                          "attempts","next_attempt","delivered_at",
 *	                          "last_error","summary","id"}]
 *	           newest events first (limit default 50, at most 1000), one
 *	           row per (event, webhook); an event queued for no webhook
 *	           has one row with webhook null.  "attention" is true while
 *	           an event became undeliverable in the last 24 hours.
 *	Each array holds flat objects (no nested arrays or objects), so a
 *	client can print any of them as a table, with the keys as columns in
 *	the order of the first element.  Times are RFC 3339 strings in UTC.
 *
 * ERROR CODES
 *	bad-request	not JSON, or not the shape above, or a bad argument
 *	unknown-command	"cmd" is not a command of this protocol version
 *	permission-denied	a mutating command from another user
 *	not-available	a known command this daemon does not serve (yet)
 *	too-large	request or result over its limit
 *	busy		too many clients, or the daemon cannot take this now
 *	no-such-zone	"zone" names no configured zone
 *	no-such-provider "provider" names no configured provider
 *	internal	the daemon failed; the message says how
 */
#ifndef MULTIDNS_CTL_PROTO_H
#define MULTIDNS_CTL_PROTO_H

#define CTL_PROTO_VERSION	1

#define CTL_MAX_REQUEST		(64 * 1024)		/* bytes, one line */
#define CTL_MAX_RESPONSE	(16 * 1024 * 1024)	/* bytes, one line */

/* Command names. */
#define CTL_CMD_STATUS		"status"
#define CTL_CMD_ZONES		"zones"
#define CTL_CMD_PROVIDERS	"providers"
#define CTL_CMD_DRIFT		"drift"
#define CTL_CMD_HISTORY		"history"
#define CTL_CMD_HEALTH		"health"
#define CTL_CMD_PLAN		"plan"
#define CTL_CMD_SYNC		"sync"
#define CTL_CMD_RELOAD		"reload"
#define CTL_CMD_LINT		"lint"
#define CTL_CMD_VERSION		"version"
#define CTL_CMD_ALERTS		"alerts"
#define CTL_CMD_LATENCY		"latency"
#define CTL_CMD_COMPARE		"compare"
#define CTL_CMD_IMPORT		"import"
#define CTL_CMD_WITHDRAW	"withdraw"
#define CTL_CMD_REINSTATE	"reinstate"
#define CTL_CMD_PAUSE		"pause"
#define CTL_CMD_RESUME		"resume"
#define CTL_CMD_APPLY		"apply"

/* Argument names. */
#define CTL_ARG_ZONE		"zone"
#define CTL_ARG_PROVIDER	"provider"
#define CTL_ARG_FORCE		"force"
#define CTL_ARG_LIMIT		"limit"

/* Error codes. */
#define CTL_ERR_BAD_REQUEST	"bad-request"
#define CTL_ERR_UNKNOWN_COMMAND	"unknown-command"
#define CTL_ERR_PERMISSION	"permission-denied"
#define CTL_ERR_NOT_AVAILABLE	"not-available"
#define CTL_ERR_TOO_LARGE	"too-large"
#define CTL_ERR_BUSY		"busy"
#define CTL_ERR_NO_SUCH_ZONE	"no-such-zone"
#define CTL_ERR_NO_SUCH_PROVIDER "no-such-provider"
#define CTL_ERR_INTERNAL	"internal"

#define CTL_CMD_MUTATING	0x1	/* root or the daemon's user only */

struct ctl_command {
	const char	*name;
	int		 flags;
};

/* Every command of this protocol version; ends with a NULL name. */
static const struct ctl_command ctl_commands[] = {
	{ CTL_CMD_STATUS,	0 },
	{ CTL_CMD_ZONES,	0 },
	{ CTL_CMD_PROVIDERS,	0 },
	{ CTL_CMD_DRIFT,	0 },
	{ CTL_CMD_HISTORY,	0 },
	{ CTL_CMD_HEALTH,	0 },
	{ CTL_CMD_PLAN,		0 },
	{ CTL_CMD_SYNC,		CTL_CMD_MUTATING },
	{ CTL_CMD_RELOAD,	CTL_CMD_MUTATING },
	{ CTL_CMD_LINT,		0 },
	{ CTL_CMD_VERSION,	0 },
	{ CTL_CMD_ALERTS,	0 },
	{ CTL_CMD_LATENCY,	0 },
	{ CTL_CMD_COMPARE,	0 },
	{ CTL_CMD_IMPORT,	0 },
	{ CTL_CMD_WITHDRAW,	CTL_CMD_MUTATING },
	{ CTL_CMD_REINSTATE,	CTL_CMD_MUTATING },
	{ CTL_CMD_PAUSE,	CTL_CMD_MUTATING },
	{ CTL_CMD_RESUME,	CTL_CMD_MUTATING },
	{ CTL_CMD_APPLY,	CTL_CMD_MUTATING },
	{ NULL,			0 }
};

#endif
