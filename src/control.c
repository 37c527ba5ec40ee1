/*
 * control.c: the control socket.  One JSON request per line in, one JSON
 * response per line out, in order; see ctl-proto.h for the protocol and
 * control.h for how handlers answer.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "control.h"
#include "log.h"
#include "xmalloc.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL	0
#endif

#define CONTROL_BACKLOG		128
#define CONTROL_CMD_SHOWN	64	/* bytes of a bad command name echoed */

struct control_conn {
	struct control		*ctl;		/* NULL once closed */
	struct bufferevent	*bev;		/* NULL once closed */
	uid_t			 uid;
	gid_t			 gid;
	pid_t			 pid;
	unsigned		 refs;
	int			 pending;	/* a deferred request waits */
	int			 deferred;	/* control_defer() just ran */
	int			 processing;	/* inside conn_process() */
	int			 eof;		/* client shut down its side */
	int			 closing;	/* flush, then close */
	TAILQ_ENTRY(control_conn) entry;
};

struct control {
	struct event_base	*base;
	struct evconnlistener	*listener;
	struct event		*resume;	/* re-enable accept after EMFILE */
	int			 paused;
	char			*path;
	uid_t			 daemon_uid;
	const struct control_handler *handlers;
	void			*arg;
	struct control_limits	 limits;
	unsigned		 nclients;
	TAILQ_HEAD(, control_conn) conns;
};

static void	control_accept_cb(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
static void	control_accept_error_cb(struct evconnlistener *, void *);
static void	control_resume_cb(evutil_socket_t, short, void *);
static void	conn_read_cb(struct bufferevent *, void *);
static void	conn_write_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);
static void	conn_process(struct control_conn *);
static void	conn_close(struct control_conn *);
static void	conn_unref(struct control_conn *);

const struct ctl_command *
control_find_command(const char *name)
{
	const struct ctl_command	*c;

	for (c = ctl_commands; c->name != NULL; c++) {
		if (strcmp(c->name, name) == 0)
			return (c);
	}
	return (NULL);
}

int
control_authorise(const char *cmd, uid_t uid, uid_t daemon_uid)
{
	const struct ctl_command	*c;

	if ((c = control_find_command(cmd)) == NULL)
		return (-1);
	if ((c->flags & CTL_CMD_MUTATING) == 0)
		return (0);
	if (uid == 0 || uid == daemon_uid)
		return (0);
	return (-1);
}

int
control_reply_error(struct control_reply *reply, const char *code,
    const char *fmt, ...)
{
	va_list	ap;

	reply->code = code;
	va_start(ap, fmt);
	vsnprintf(reply->message, sizeof(reply->message), fmt, ap);
	va_end(ap);
	return (CONTROL_DONE);
}

char *
control_format_result(const cJSON *result)
{
	char	*s, *line;

	if (result == NULL)
		s = xstrdup("{}");
	else if ((s = cJSON_PrintUnformatted(result)) == NULL)
		fatalx("control", "out of memory printing a result");
	xasprintf(&line, "{\"v\":%d,\"ok\":true,\"result\":%s}",
	    CTL_PROTO_VERSION, s);
	free(s);
	return (line);
}

char *
control_format_error(const char *code, const char *message)
{
	cJSON	*root, *error;
	char	*line;

	root = cJSON_CreateObject();
	error = cJSON_CreateObject();
	if (root == NULL || error == NULL ||
	    cJSON_AddNumberToObject(root, "v", CTL_PROTO_VERSION) == NULL ||
	    cJSON_AddFalseToObject(root, "ok") == NULL ||
	    cJSON_AddStringToObject(error, "code", code) == NULL ||
	    cJSON_AddStringToObject(error, "message", message) == NULL)
		fatalx("control", "out of memory building an error");
	cJSON_AddItemToObject(root, "error", error);
	if ((line = cJSON_PrintUnformatted(root)) == NULL)
		fatalx("control", "out of memory printing an error");
	cJSON_Delete(root);
	return (line);
}

static int
control_version_cb(void *arg, const struct control_request *req,
    struct control_reply *reply)
{
	cJSON	*r;

	if ((r = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(r, "version", PACKAGE_VERSION) == NULL ||
	    cJSON_AddNumberToObject(r, "protocol", CTL_PROTO_VERSION) == NULL)
		fatalx("control", "out of memory");
	reply->result = r;
	return (CONTROL_DONE);
}

/* Refuse a live socket, replace a stale one, leave anything else alone. */
static int
control_check_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd, rc, saved;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return (0);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return (-1);
	}

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (-1);
	}
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	saved = errno;
	close(fd);
	if (rc == 0 || saved == EAGAIN) {
		snprintf(err, errlen, "another multidnsd is listening on %s",
		    path);
		return (-1);
	}
	if (saved != ECONNREFUSED) {
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
		return (-1);
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "unlink %s: %s", path, strerror(errno));
		return (-1);
	}
	log_info("control", "removed stale socket %s", path);
	return (0);
}

struct control *
control_open(struct event_base *base, const char *path, mode_t mode,
    gid_t group, uid_t daemon_uid, const struct control_handler *handlers,
    void *arg, char *err, size_t errlen)
{
	struct control		*ctl;
	struct sockaddr_un	 sun;
	const struct control_handler *h;
	mode_t			 old;
	int			 fd;

	for (h = handlers; h != NULL && h->cmd != NULL; h++) {
		if (control_find_command(h->cmd) == NULL || h->fn == NULL) {
			snprintf(err, errlen, "bad handler for command '%s'",
			    h->cmd);
			return (NULL);
		}
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return (NULL);
	}
	if (control_check_stale(path, err, errlen) == -1)
		return (NULL);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (NULL);
	}
	/* Nobody may connect before the mode and group are right. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		close(fd);
		return (NULL);
	}
	umask(old);
	if (group != CONTROL_NO_GROUP && chown(path, (uid_t)-1, group) == -1) {
		snprintf(err, errlen, "chown %s: %s", path, strerror(errno));
		goto fail;
	}
	if (chmod(path, mode) == -1) {
		snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
		goto fail;
	}

	ctl = xcalloc(1, sizeof(*ctl));
	ctl->base = base;
	ctl->path = xstrdup(path);
	ctl->daemon_uid = daemon_uid;
	ctl->handlers = handlers;
	ctl->arg = arg;
	ctl->limits.idle_ms = CONTROL_IDLE_MS;
	ctl->limits.max_clients = CONTROL_MAX_CLIENTS;
	ctl->limits.max_output = CONTROL_MAX_OUTPUT;
	TAILQ_INIT(&ctl->conns);
	ctl->listener = evconnlistener_new(base, control_accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, CONTROL_BACKLOG,
	    fd);
	if (ctl->listener == NULL) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		free(ctl->path);
		free(ctl);
		goto fail;
	}
	evconnlistener_set_error_cb(ctl->listener, control_accept_error_cb);
	ctl->resume = evtimer_new(base, control_resume_cb, ctl);
	if (ctl->resume == NULL)
		fatalx("control", "evtimer_new failed");
	log_debug("control", "listening on %s", path);
	return (ctl);

fail:
	close(fd);
	unlink(path);
	return (NULL);
}

void
control_close(struct control *ctl)
{
	struct control_conn	*c;

	if (ctl == NULL)
		return;
	while ((c = TAILQ_FIRST(&ctl->conns)) != NULL)
		conn_close(c);
	evconnlistener_free(ctl->listener);
	event_free(ctl->resume);
	if (unlink(ctl->path) == -1 && errno != ENOENT)
		log_warn("control", "unlink %s", ctl->path);
	free(ctl->path);
	free(ctl);
}

void
control_set_limits(struct control *ctl, const struct control_limits *l)
{
	ctl->limits = *l;
	if (ctl->limits.idle_ms == 0)
		ctl->limits.idle_ms = CONTROL_IDLE_MS;
	if (ctl->limits.max_output < CONTROL_MIN_OUTPUT)
		ctl->limits.max_output = CONTROL_MIN_OUTPUT;
	if (ctl->limits.max_clients == 0)
		ctl->limits.max_clients = CONTROL_MAX_CLIENTS;
}

void
control_get_limits(const struct control *ctl, struct control_limits *l)
{
	*l = ctl->limits;
}

unsigned
control_clients(const struct control *ctl)
{
	return (ctl->nclients);
}

static void
control_pause(struct control *ctl)
{
	struct timeval	tv = { 1, 0 };

	if (ctl->paused)
		return;
	evconnlistener_disable(ctl->listener);
	evtimer_add(ctl->resume, &tv);
	ctl->paused = 1;
}

static void
control_unpause(struct control *ctl)
{
	if (!ctl->paused)
		return;
	evtimer_del(ctl->resume);
	evconnlistener_enable(ctl->listener);
	ctl->paused = 0;
}

static void
control_resume_cb(evutil_socket_t fd, short events, void *arg)
{
	struct control	*ctl = arg;

	ctl->paused = 1;
	control_unpause(ctl);
}

static void
control_accept_error_cb(struct evconnlistener *listener, void *arg)
{
	struct control	*ctl = arg;
	int		 error = EVUTIL_SOCKET_ERROR();

	log_warnx("control", "accept: %s", strerror(error));
	if (error == EMFILE || error == ENFILE || error == ENOBUFS ||
	    error == ENOMEM)
		control_pause(ctl);
}

static int
control_peer(int fd, uid_t *uid, gid_t *gid, pid_t *pid)
{
#ifdef SO_PEERCRED
	struct ucred	uc;
	socklen_t	len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1)
		return (-1);
	*uid = uc.uid;
	*gid = uc.gid;
	*pid = uc.pid;
#else
	if (getpeereid(fd, uid, gid) == -1)
		return (-1);
	*pid = 0;
#endif
	return (0);
}

static void
control_accept_cb(struct evconnlistener *listener, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct control		*ctl = arg;
	struct control_conn	*c;
	struct timeval		 tv;
	char			*line;
	uid_t			 uid;
	gid_t			 gid;
	pid_t			 pid;

	if (ctl->nclients >= ctl->limits.max_clients) {
		/* A fresh socket's buffer always takes one short line. */
		line = control_format_error(CTL_ERR_BUSY,
		    "too many clients, try again later");
		if (send(fd, line, strlen(line), MSG_NOSIGNAL) == -1 ||
		    send(fd, "\n", 1, MSG_NOSIGNAL) == -1)
			log_debug("control", "busy: send: %s",
			    strerror(errno));
		free(line);
		close(fd);
		log_warnx("control", "refused a client: %u clients connected",
		    ctl->nclients);
		return;
	}
	if (control_peer(fd, &uid, &gid, &pid) == -1) {
		log_warn("control", "peer credentials");
		close(fd);
		return;
	}

	c = xcalloc(1, sizeof(*c));
	c->ctl = ctl;
	c->uid = uid;
	c->gid = gid;
	c->pid = pid;
	c->refs = 1;
	c->bev = bufferevent_socket_new(ctl->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		fatalx("control", "bufferevent_socket_new failed");
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	/* Stop reading at one line more than a request may be. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, CTL_MAX_REQUEST + 1);
	tv.tv_sec = ctl->limits.idle_ms / 1000;
	tv.tv_usec = (ctl->limits.idle_ms % 1000) * 1000;
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&ctl->conns, c, entry);
	ctl->nclients++;
	log_debug("control", "client connected: uid %ld pid %ld",
	    (long)uid, (long)pid);
}

static void
conn_unref(struct control_conn *c)
{
	if (--c->refs == 0)
		free(c);
}

static void
conn_close(struct control_conn *c)
{
	struct control	*ctl = c->ctl;

	if (c->bev == NULL)
		return;
	bufferevent_free(c->bev);
	c->bev = NULL;
	TAILQ_REMOVE(&ctl->conns, c, entry);
	ctl->nclients--;
	c->ctl = NULL;
	log_debug("control", "client closed: uid %ld pid %ld", (long)c->uid,
	    (long)c->pid);
	control_unpause(ctl);
	conn_unref(c);
}

/* Close once everything queued has been written. */
static void
conn_finish(struct control_conn *c)
{
	if (c->bev == NULL)
		return;
	c->closing = 1;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_close(c);
}

/* Queue one response line; takes ownership of line. */
static int
conn_send(struct control_conn *c, char *line)
{
	struct evbuffer	*out;
	size_t		 len = strlen(line);

	if (c->bev == NULL) {
		free(line);
		return (-1);
	}
	if (len > CTL_MAX_RESPONSE) {
		log_warnx("control", "result of %zu bytes is too large", len);
		free(line);
		line = control_format_error(CTL_ERR_TOO_LARGE,
		    "result too large");
		len = strlen(line);
	}
	out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) + len + 1 > c->ctl->limits.max_output) {
		log_warnx("control", "dropping client uid %ld pid %ld: "
		    "it does not read its responses", (long)c->uid,
		    (long)c->pid);
		free(line);
		conn_close(c);
		return (-1);
	}
	if (evbuffer_add(out, line, len) == -1 || evbuffer_add(out, "\n", 1))
		fatalx("control", "evbuffer_add failed");
	free(line);
	return (0);
}

static int
conn_send_error(struct control_conn *c, const char *code, const char *msg)
{
	return (conn_send(c, control_format_error(code, msg)));
}

static void
conn_dispatch(struct control_conn *c, const char *cmd, const cJSON *args)
{
	struct control			*ctl = c->ctl;
	const struct control_handler	*h;
	struct control_request		 req;
	struct control_reply		 reply;
	char				 msg[256];
	int				(*fn)(void *, const struct control_request *,
					    struct control_reply *) = NULL;
	int				 rc;

	if (control_find_command(cmd) == NULL) {
		snprintf(msg, sizeof(msg), "unknown command '%.*s'",
		    CONTROL_CMD_SHOWN, cmd);
		conn_send_error(c, CTL_ERR_UNKNOWN_COMMAND, msg);
		return;
	}
	if (control_authorise(cmd, c->uid, ctl->daemon_uid) == -1) {
		log_info("control", "uid %ld pid %ld: '%s' refused",
		    (long)c->uid, (long)c->pid, cmd);
		snprintf(msg, sizeof(msg),
		    "permission denied: '%s' needs root or the daemon's user",
		    cmd);
		conn_send_error(c, CTL_ERR_PERMISSION, msg);
		return;
	}
	for (h = ctl->handlers; h != NULL && h->cmd != NULL; h++) {
		if (strcmp(h->cmd, cmd) == 0) {
			fn = h->fn;
			break;
		}
	}
	if (fn == NULL && strcmp(cmd, CTL_CMD_VERSION) == 0)
		fn = control_version_cb;
	if (fn == NULL) {
		snprintf(msg, sizeof(msg), "'%s' is not available yet", cmd);
		conn_send_error(c, CTL_ERR_NOT_AVAILABLE, msg);
		return;
	}

	log_debug("control", "uid %ld pid %ld: %s", (long)c->uid,
	    (long)c->pid, cmd);
	memset(&req, 0, sizeof(req));
	req.cmd = cmd;
	req.args = args;
	req.uid = c->uid;
	req.gid = c->gid;
	req.pid = c->pid;
	req.conn = c;
	memset(&reply, 0, sizeof(reply));
	c->deferred = 0;
	rc = fn(ctl->arg, &req, &reply);
	if (rc == CONTROL_DEFERRED) {
		if (!c->deferred)
			fatalx("control", "'%s' deferred without control_defer",
			    cmd);
		c->deferred = 0;
		cJSON_Delete(reply.result);
		return;
	}
	if (c->deferred)
		fatalx("control", "'%s' called control_defer but answered",
		    cmd);
	if (rc != CONTROL_DONE) {
		cJSON_Delete(reply.result);
		conn_send_error(c, CTL_ERR_INTERNAL, reply.message[0] != '\0' ?
		    reply.message : "command failed");
		return;
	}
	if (reply.code != NULL) {
		cJSON_Delete(reply.result);
		conn_send_error(c, reply.code, reply.message);
		return;
	}
	conn_send(c, control_format_result(reply.result));
	cJSON_Delete(reply.result);
}

static void
conn_handle_line(struct control_conn *c, const char *line, size_t len)
{
	cJSON		*root, *v, *cmd, *args, *empty = NULL;
	const char	*end = NULL;
	char		 msg[128];
	size_t		 i;

	for (i = 0; i < len; i++) {
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			break;
	}
	if (i == len)
		return;

	root = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	if (root == NULL) {
		conn_send_error(c, CTL_ERR_BAD_REQUEST,
		    "request is not valid JSON");
		return;
	}
	for (; end != NULL && end < line + len; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\r') {
			conn_send_error(c, CTL_ERR_BAD_REQUEST,
			    "trailing data after the request");
			goto out;
		}
	}
	if (!cJSON_IsObject(root)) {
		conn_send_error(c, CTL_ERR_BAD_REQUEST,
		    "request is not a JSON object");
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "v");
	if (!cJSON_IsNumber(v)) {
		conn_send_error(c, CTL_ERR_BAD_REQUEST,
		    "missing protocol version \"v\"");
		goto out;
	}
	if (v->valuedouble != CTL_PROTO_VERSION) {
		snprintf(msg, sizeof(msg), "protocol version %g not supported "
		    "(the daemon speaks %d)", v->valuedouble,
		    CTL_PROTO_VERSION);
		conn_send_error(c, CTL_ERR_BAD_REQUEST, msg);
		goto out;
	}
	cmd = cJSON_GetObjectItemCaseSensitive(root, "cmd");
	if (cmd == NULL) {
		conn_send_error(c, CTL_ERR_BAD_REQUEST, "missing \"cmd\"");
		goto out;
	}
	if (!cJSON_IsString(cmd) || cmd->valuestring == NULL) {
		conn_send_error(c, CTL_ERR_BAD_REQUEST,
		    "\"cmd\" is not a string");
		goto out;
	}
	args = cJSON_GetObjectItemCaseSensitive(root, "args");
	if (args == NULL) {
		if ((empty = cJSON_CreateObject()) == NULL)
			fatalx("control", "out of memory");
		args = empty;
	} else if (!cJSON_IsObject(args)) {
		conn_send_error(c, CTL_ERR_BAD_REQUEST,
		    "\"args\" is not an object");
		goto out;
	}
	conn_dispatch(c, cmd->valuestring, args);

out:
	cJSON_Delete(empty);
	cJSON_Delete(root);
}

/* Answer every complete request line, stopping at a deferred one. */
static void
conn_process(struct control_conn *c)
{
	struct evbuffer		*in;
	struct evbuffer_ptr	 p;
	size_t			 eol;
	char			*line, msg[64];

	if (c->processing)
		return;
	c->processing = 1;
	c->refs++;
	while (c->bev != NULL && !c->pending && !c->closing) {
		in = bufferevent_get_input(c->bev);
		p = evbuffer_search_eol(in, NULL, &eol, EVBUFFER_EOL_LF);
		if ((p.pos == -1 && evbuffer_get_length(in) > CTL_MAX_REQUEST) ||
		    (p.pos != -1 && (size_t)p.pos > CTL_MAX_REQUEST)) {
			log_warnx("control", "uid %ld pid %ld: request too "
			    "large", (long)c->uid, (long)c->pid);
			snprintf(msg, sizeof(msg), "request longer than %d "
			    "bytes", CTL_MAX_REQUEST);
			conn_send_error(c, CTL_ERR_TOO_LARGE, msg);
			conn_finish(c);
			break;
		}
		if (p.pos == -1)
			break;
		line = xmalloc((size_t)p.pos + 1);
		if (evbuffer_remove(in, line, (size_t)p.pos) != p.pos)
			fatalx("control", "evbuffer_remove failed");
		line[p.pos] = '\0';
		evbuffer_drain(in, eol);
		conn_handle_line(c, line, (size_t)p.pos);
		free(line);
	}
	c->processing = 0;
	if (c->bev != NULL && c->eof && !c->pending)
		conn_finish(c);
	conn_unref(c);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	conn_process(arg);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct control_conn	*c = arg;

	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_close(c);
}

static void
conn_event_cb(struct bufferevent *bev, short events, void *arg)
{
	struct control_conn	*c = arg;

	if (events & BEV_EVENT_EOF) {
		c->eof = 1;
		conn_process(c);
		return;
	}
	if (events & BEV_EVENT_TIMEOUT) {
		if ((events & BEV_EVENT_READING) && c->pending && !c->closing) {
			/* Waiting for our answer is not idling. */
			bufferevent_enable(bev, EV_READ);
			return;
		}
		log_debug("control", "uid %ld pid %ld: idle, closing",
		    (long)c->uid, (long)c->pid);
		conn_close(c);
		return;
	}
	if (events & BEV_EVENT_ERROR)
		log_debug("control", "uid %ld pid %ld: %s", (long)c->uid,
		    (long)c->pid, strerror(EVUTIL_SOCKET_ERROR()));
	conn_close(c);
}

struct control_conn *
control_defer(const struct control_request *req)
{
	struct control_conn	*c = req->conn;

	if (c->pending)
		fatalx("control", "request deferred twice");
	c->pending = 1;
	c->deferred = 1;
	c->refs++;
	return (c);
}

/* Send a deferred answer (line may be NULL: nothing to send). */
static int
control_answer_line(struct control_conn *c, char *line)
{
	int	rc = -1;

	if (!c->pending)
		fatalx("control", "answer without a deferred request");
	c->pending = 0;
	if (c->bev != NULL && line != NULL)
		rc = conn_send(c, line);
	else
		free(line);
	if (c->bev != NULL)
		conn_process(c);
	conn_unref(c);
	return (rc);
}

int
control_answer(struct control_conn *c, cJSON *result)
{
	char	*line = NULL;

	if (c->bev != NULL)
		line = control_format_result(result);
	cJSON_Delete(result);
	return (control_answer_line(c, line));
}

int
control_answer_error(struct control_conn *c, const char *code,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512], *line = NULL;

	if (c->bev != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		line = control_format_error(code, msg);
	}
	return (control_answer_line(c, line));
}

void
control_abandon(struct control_conn *c)
{
	char	*line = NULL;

	if (c->bev != NULL)
		line = control_format_error(CTL_ERR_INTERNAL,
		    "the daemon gave up on this request");
	control_answer_line(c, line);
}

int
control_conn_gone(const struct control_conn *c)
{
	return (c->bev == NULL || c->eof);
}
