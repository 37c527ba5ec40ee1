/*
 * control.h: the daemon's control socket (server side).
 *
 * The protocol is described in ctl-proto.h.  This module owns the socket,
 * the connections, framing, JSON parsing, request validation,
 * authorisation and limits; the daemon supplies one handler per command.
 *
 * Usage:
 *
 *	static const struct control_handler handlers[] = {
 *		{ CTL_CMD_STATUS, status_cb },
 *		{ CTL_CMD_SYNC, sync_cb },
 *		{ NULL, NULL }
 *	};
 *	ctl = control_open(base, path, 0660, gid, daemon_uid, handlers, arg,
 *	    err, sizeof(err));
 *	...	(event_base_dispatch)
 *	control_close(ctl);
 *
 * A handler answers at once by filling in the reply and returning
 * CONTROL_DONE:
 *
 *	static int
 *	status_cb(void *arg, const struct control_request *req,
 *	    struct control_reply *reply)
 *	{
 *		if (zone == NULL)
 *			return (control_reply_error(reply,
 *			    CTL_ERR_NO_SUCH_ZONE, "no zone %s", name));
 *		reply->result = cJSON_CreateObject();	(ownership passes)
 *		return (CONTROL_DONE);
 *	}
 *
 * or answers later: it calls control_defer(req), keeps the returned
 * struct control_conn *, returns CONTROL_DEFERRED, and eventually calls
 * exactly one of control_answer(), control_answer_error() or
 * control_abandon() with it.  Each of them releases the reference; the
 * pointer must not be used afterwards.  If the client went away in the
 * meantime (or control_close() ran), the answer is dropped and freed
 * safely.  Further requests on the same connection wait until the
 * deferred one is answered, so responses stay in order.
 *
 * Handlers run on the event loop and must not block.  The daemon must
 * ignore SIGPIPE: writing to a client that has gone raises it.
 */
#ifndef MULTIDNS_CONTROL_H
#define MULTIDNS_CONTROL_H

#include <sys/types.h>

#include <stddef.h>

#include <cjson/cJSON.h>

#include "ctl-proto.h"

struct event_base;
struct control;
struct control_conn;

#define CONTROL_DONE		0	/* the reply is filled in */
#define CONTROL_DEFERRED	1	/* control_defer() was called */

#define CONTROL_NO_GROUP	((gid_t)-1)

/* Defaults for struct control_limits. */
#define CONTROL_IDLE_MS		30000
#define CONTROL_MAX_CLIENTS	256
#define CONTROL_MAX_OUTPUT	(2 * CTL_MAX_RESPONSE)
#define CONTROL_MIN_OUTPUT	4096

struct control_request {
	const char	*cmd;		/* a name from ctl_commands */
	const cJSON	*args;		/* an object, never NULL */
	uid_t		 uid;		/* the peer's, from SO_PEERCRED */
	gid_t		 gid;
	pid_t		 pid;		/* 0 where the system does not say */
	struct control_conn *conn;	/* only for control_defer() */
};

struct control_reply {
	cJSON		*result;	/* handler's result; control frees it */
	const char	*code;		/* CTL_ERR_*, NULL on success */
	char		 message[512];
};

/*
 * A handler returns CONTROL_DONE with reply->result set (NULL means {})
 * or with an error set by control_reply_error(), or CONTROL_DEFERRED.
 * Returning -1 sends an "internal" error (with reply->message if set).
 */
struct control_handler {
	const char	*cmd;		/* must be in ctl_commands */
	int		(*fn)(void *arg, const struct control_request *,
			    struct control_reply *);
};

struct control_limits {
	unsigned	 idle_ms;	/* close idle clients after this */
	unsigned	 max_clients;	/* past this, answer "busy" */
	size_t		 max_output;	/* queued output per client; keep it
					   above CTL_MAX_RESPONSE outside tests */
};

/*
 * Listen on the Unix socket `path`: a stale socket file (nobody accepts
 * on it) is replaced; a live one is refused ("another multidnsd is
 * listening on PATH"); anything else at that path is left alone and
 * refused.  The socket gets `mode` and, unless group is CONTROL_NO_GROUP,
 * that group.  Mutating commands are allowed for uid 0 and daemon_uid.
 * The handler table ends with a NULL cmd; known commands without a
 * handler answer "not-available", except "version", which has a default.
 * The table and arg must outlive the control.  NULL with a message in err
 * on failure.
 */
struct control	*control_open(struct event_base *, const char *path,
		    mode_t mode, gid_t group, uid_t daemon_uid,
		    const struct control_handler *, void *arg,
		    char *err, size_t errlen);
/* Close every connection, the socket, unlink it, and free everything. */
void		 control_close(struct control *);
/* Change limits (0 = default); existing connections keep their idle
 * timeout. */
void		 control_set_limits(struct control *,
		    const struct control_limits *);
void		 control_get_limits(const struct control *,
		    struct control_limits *);
/* Number of connected clients. */
unsigned	 control_clients(const struct control *);

/* 0 if `uid` may run `cmd` (daemon_uid as given to control_open), else -1. */
int		 control_authorise(const char *cmd, uid_t uid, uid_t daemon_uid);
/* The ctl_commands entry for a name, or NULL. */
const struct ctl_command *control_find_command(const char *);

/* Set an error on a reply; returns CONTROL_DONE for a handler to return. */
int		 control_reply_error(struct control_reply *, const char *code,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Take a reference to answer the request later (see above). */
struct control_conn *control_defer(const struct control_request *);
/*
 * Answer a deferred request; consumes result.  0 queued for the client,
 * -1 dropped because the connection has closed.
 */
int		 control_answer(struct control_conn *, cJSON *result);
int		 control_answer_error(struct control_conn *, const char *code,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Give up a deferred request: the client gets an "internal" error. */
void		 control_abandon(struct control_conn *);
/* 1 if the client of a deferred request has gone away or shut down its
 * sending side (its answer is still written while the socket is open). */
int		 control_conn_gone(const struct control_conn *);

/* The response line (without "\n") for a result or an error; free() it. */
char		*control_format_result(const cJSON *result);
char		*control_format_error(const char *code, const char *message);

#endif
