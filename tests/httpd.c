/* httpd.c: a scripted HTTP/1.1 test server on libevent's evhttp. */
#include "autoconf.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "httpd.h"
#include "log.h"
#include "xmalloc.h"

#define HTTPD_MAX_BODY	(16 * 1024 * 1024)

/* A reply with its own copies of everything. */
struct httpd_owned {
	char			*method;
	char			*path;
	int			 status;
	char			**headers;
	size_t			 nheaders;
	char			*body;
	size_t			 body_len;
	unsigned		 delay_ms;
	enum httpd_action	 action;
	int			 chunked;
	int			 repeat;
};

struct httpd_script_entry {
	struct httpd_owned		 r;
	TAILQ_ENTRY(httpd_script_entry)	 entry;
};

struct httpd_pending {
	struct httpd			*srv;
	struct evhttp_request		*req;
	struct event			*ev;
	struct httpd_owned		 r;
	TAILQ_ENTRY(httpd_pending)	 entry;
};

struct httpd_conn {
	struct httpd			*srv;
	struct evhttp_connection	*evcon;
	unsigned			 id;
	TAILQ_ENTRY(httpd_conn)		 entry;
};

struct httpd {
	struct event_base			*base;
	struct evhttp				*evhttp;
	int					 port;
	TAILQ_HEAD(, httpd_script_entry)	 scripts;
	TAILQ_HEAD(, httpd_pending)		 pending;
	TAILQ_HEAD(, httpd_conn)		 conns;
	httpd_handler_cb			 handler;
	void					*handler_arg;

	struct httpd_request			*reqs;
	size_t					 nreqs;
	unsigned				 accepted;
	unsigned				 conn_ids;
	unsigned				 in_progress;
	unsigned				 max_in_progress;
	unsigned				 unmatched;
};

static uint64_t
httpd_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

static void
httpd_owned_copy(struct httpd_owned *o, const struct httpd_reply *r)
{
	const char *const	*h;
	size_t			 i;

	memset(o, 0, sizeof *o);
	o->method = r->method != NULL ? xstrdup(r->method) : NULL;
	o->path = r->path != NULL ? xstrdup(r->path) : NULL;
	o->status = r->status != 0 ? r->status : 200;
	for (h = r->headers; h != NULL && *h != NULL; h++)
		o->nheaders++;
	o->headers = xcalloc(o->nheaders + 1, sizeof *o->headers);
	for (i = 0; i < o->nheaders; i++)
		o->headers[i] = xstrdup(r->headers[i]);
	if (r->body != NULL) {
		o->body_len = r->body_len != 0 ? r->body_len : strlen(r->body);
		o->body = xmalloc(o->body_len + 1);
		memcpy(o->body, r->body, o->body_len);
		o->body[o->body_len] = '\0';
	}
	o->delay_ms = r->delay_ms;
	o->action = r->action;
	o->chunked = r->chunked;
	o->repeat = r->repeat != 0 ? r->repeat : 1;
}

static void
httpd_owned_clear(struct httpd_owned *o)
{
	size_t	i;

	free(o->method);
	free(o->path);
	for (i = 0; i < o->nheaders; i++)
		free(o->headers[i]);
	free(o->headers);
	free(o->body);
	memset(o, 0, sizeof *o);
}

static const char *
httpd_method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
		return ("GET");
	case EVHTTP_REQ_POST:
		return ("POST");
	case EVHTTP_REQ_HEAD:
		return ("HEAD");
	case EVHTTP_REQ_PUT:
		return ("PUT");
	case EVHTTP_REQ_DELETE:
		return ("DELETE");
	case EVHTTP_REQ_OPTIONS:
		return ("OPTIONS");
	case EVHTTP_REQ_TRACE:
		return ("TRACE");
	case EVHTTP_REQ_CONNECT:
		return ("CONNECT");
	case EVHTTP_REQ_PATCH:
		return ("PATCH");
	}
	return ("?");
}

/* --- connections ----------------------------------------------------- */

static struct bufferevent *
httpd_bev_cb(struct event_base *base, void *arg)
{
	struct httpd	*srv = arg;

	srv->accepted++;
	return (bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
}

static void
httpd_conn_close_cb(struct evhttp_connection *evcon, void *arg)
{
	struct httpd_conn	*c = arg;

	TAILQ_REMOVE(&c->srv->conns, c, entry);
	free(c);
}

static unsigned
httpd_conn_id(struct httpd *srv, struct evhttp_connection *evcon)
{
	struct httpd_conn	*c;

	if (evcon == NULL)
		return (0);
	TAILQ_FOREACH(c, &srv->conns, entry) {
		if (c->evcon == evcon)
			return (c->id);
	}
	c = xcalloc(1, sizeof *c);
	c->srv = srv;
	c->evcon = evcon;
	c->id = ++srv->conn_ids;
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	evhttp_connection_set_closecb(evcon, httpd_conn_close_cb, c);
	return (c->id);
}

/* --- answering ------------------------------------------------------- */

static void
httpd_pending_free(struct httpd_pending *p)
{
	TAILQ_REMOVE(&p->srv->pending, p, entry);
	event_free(p->ev);
	httpd_owned_clear(&p->r);
	free(p);
}

static void
httpd_act_cb(evutil_socket_t fd, short events, void *arg)
{
	struct httpd_pending		*p = arg;
	struct httpd			*srv = p->srv;
	struct evhttp_request		*req = p->req;
	struct evhttp_connection	*evcon;
	struct evkeyvalq		*out;
	struct evbuffer			*buf;
	struct linger			 l;
	char				*name, *colon, *value;
	size_t				 i;
	int				 sfd;

	srv->in_progress--;
	evcon = evhttp_request_get_connection(req);
	if (evcon == NULL) {
		/* The client went away; evhttp left the request to us. */
		evhttp_request_free(req);
		httpd_pending_free(p);
		return;
	}
	switch (p->r.action) {
	case HTTPD_RESET:
		sfd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
		l.l_onoff = 1;
		l.l_linger = 0;
		if (sfd != -1)
			setsockopt(sfd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
		/* FALLTHROUGH */
	case HTTPD_CLOSE:
		evhttp_connection_free(evcon);
		break;
	case HTTPD_REPLY:
		out = evhttp_request_get_output_headers(req);
		for (i = 0; i < p->r.nheaders; i++) {
			name = xstrdup(p->r.headers[i]);
			if ((colon = strchr(name, ':')) != NULL) {
				*colon = '\0';
				value = colon + 1;
				while (*value == ' ')
					value++;
				evhttp_add_header(out, name, value);
			}
			free(name);
		}
		if ((buf = evbuffer_new()) == NULL)
			fatalx("httpd", "evbuffer_new failed");
		if (p->r.body_len > 0)
			evbuffer_add(buf, p->r.body, p->r.body_len);
		if (p->r.chunked) {
			evhttp_send_reply_start(req, p->r.status, NULL);
			evhttp_send_reply_chunk(req, buf);
			evhttp_send_reply_end(req);
		} else
			evhttp_send_reply(req, p->r.status, NULL, buf);
		evbuffer_free(buf);
		break;
	}
	httpd_pending_free(p);
}

static void
httpd_record(struct httpd *srv, struct evhttp_request *req)
{
	struct httpd_request	*r;
	struct evkeyvalq	*in;
	struct evkeyval		*kv;
	struct evbuffer		*body;
	const char		*uri, *q;
	size_t			 n;

	srv->reqs = xreallocarray(srv->reqs, srv->nreqs + 1, sizeof *srv->reqs);
	r = &srv->reqs[srv->nreqs++];
	memset(r, 0, sizeof *r);
	r->method = xstrdup(httpd_method_name(evhttp_request_get_command(req)));
	uri = evhttp_request_get_uri(req);
	r->uri = xstrdup(uri != NULL ? uri : "");
	q = strchr(r->uri, '?');
	r->path = q != NULL ? xstrndup(r->uri, q - r->uri) : xstrdup(r->uri);
	in = evhttp_request_get_input_headers(req);
	TAILQ_FOREACH(kv, in, next)
		r->nheaders++;
	r->headers = xcalloc(r->nheaders + 1, sizeof *r->headers);
	n = 0;
	TAILQ_FOREACH(kv, in, next) {
		r->headers[n].name = xstrdup(kv->key);
		r->headers[n].value = xstrdup(kv->value);
		n++;
	}
	body = evhttp_request_get_input_buffer(req);
	r->body_len = evbuffer_get_length(body);
	r->body = xmalloc(r->body_len + 1);
	evbuffer_copyout(body, r->body, r->body_len);
	r->body[r->body_len] = '\0';
	r->conn = httpd_conn_id(srv, evhttp_request_get_connection(req));
	r->at_ms = httpd_now_ms();
}

static int
httpd_script_matches(const struct httpd_owned *o, const struct httpd_request *r)
{
	if (o->method != NULL && strcmp(o->method, r->method) != 0)
		return (0);
	if (o->path == NULL)
		return (1);
	if (strchr(o->path, '?') != NULL)
		return (strcmp(o->path, r->uri) == 0);
	return (strcmp(o->path, r->path) == 0);
}

static void
httpd_request_cb(struct evhttp_request *req, void *arg)
{
	struct httpd			*srv = arg;
	struct httpd_script_entry	*se;
	struct httpd_pending		*p;
	const struct httpd_request	*r;
	struct httpd_reply		 out;
	struct timeval			 tv;

	httpd_record(srv, req);
	r = &srv->reqs[srv->nreqs - 1];

	p = xcalloc(1, sizeof *p);
	p->srv = srv;
	p->req = req;
	TAILQ_FOREACH(se, &srv->scripts, entry) {
		if (httpd_script_matches(&se->r, r))
			break;
	}
	if (se != NULL) {
		p->r = se->r;
		p->r.method = p->r.path = NULL;
		if (se->r.repeat > 0 && --se->r.repeat == 0) {
			/* Hand the copies over and drop the script. */
			free(se->r.method);
			free(se->r.path);
			TAILQ_REMOVE(&srv->scripts, se, entry);
			free(se);
		} else {
			memset(&out, 0, sizeof out);
			out.status = se->r.status;
			out.headers = (const char *const *)se->r.headers;
			out.body = se->r.body;
			out.body_len = se->r.body_len;
			out.delay_ms = se->r.delay_ms;
			out.action = se->r.action;
			out.chunked = se->r.chunked;
			httpd_owned_copy(&p->r, &out);
		}
	} else {
		memset(&out, 0, sizeof out);
		if (srv->handler == NULL ||
		    srv->handler(r, &out, srv->handler_arg) != 0) {
			if (out.body_free)
				free((char *)out.body);
			memset(&out, 0, sizeof out);
			out.status = 404;
			out.body = "no scripted reply\n";
			srv->unmatched++;
		}
		out.method = out.path = NULL;
		out.repeat = 1;
		httpd_owned_copy(&p->r, &out);
		if (out.body_free)
			free((char *)out.body);
	}

	srv->in_progress++;
	if (srv->in_progress > srv->max_in_progress)
		srv->max_in_progress = srv->in_progress;
	if ((p->ev = evtimer_new(srv->base, httpd_act_cb, p)) == NULL)
		fatalx("httpd", "evtimer_new failed");
	TAILQ_INSERT_TAIL(&srv->pending, p, entry);
	tv.tv_sec = p->r.delay_ms / 1000;
	tv.tv_usec = (p->r.delay_ms % 1000) * 1000;
	evtimer_add(p->ev, &tv);
}

/* --- API ------------------------------------------------------------- */

struct httpd *
httpd_new(struct event_base *base)
{
	struct httpd			*srv;
	struct evhttp_bound_socket	*bound;
	struct sockaddr_in		 sin;
	socklen_t			 len = sizeof sin;

	srv = xcalloc(1, sizeof *srv);
	srv->base = base;
	TAILQ_INIT(&srv->scripts);
	TAILQ_INIT(&srv->pending);
	TAILQ_INIT(&srv->conns);
	if ((srv->evhttp = evhttp_new(base)) == NULL)
		fatalx("httpd", "evhttp_new failed");
	evhttp_set_allowed_methods(srv->evhttp, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_max_body_size(srv->evhttp, HTTPD_MAX_BODY);
	evhttp_set_bevcb(srv->evhttp, httpd_bev_cb, srv);
	evhttp_set_gencb(srv->evhttp, httpd_request_cb, srv);
	bound = evhttp_bind_socket_with_handle(srv->evhttp, "127.0.0.1", 0);
	if (bound == NULL)
		fatalx("httpd", "cannot bind 127.0.0.1");
	if (getsockname(evhttp_bound_socket_get_fd(bound),
	    (struct sockaddr *)&sin, &len) != 0)
		fatal("httpd", "getsockname");
	srv->port = ntohs(sin.sin_port);
	return (srv);
}

void
httpd_free(struct httpd *srv)
{
	struct httpd_script_entry	*se;
	struct httpd_pending		*p;
	size_t				 i, j;

	if (srv == NULL)
		return;
	while ((p = TAILQ_FIRST(&srv->pending)) != NULL) {
		if (evhttp_request_get_connection(p->req) == NULL)
			evhttp_request_free(p->req);
		httpd_pending_free(p);
	}
	/* Frees the connections (and their requests); close callbacks run. */
	evhttp_free(srv->evhttp);
	while ((se = TAILQ_FIRST(&srv->scripts)) != NULL) {
		TAILQ_REMOVE(&srv->scripts, se, entry);
		httpd_owned_clear(&se->r);
		free(se);
	}
	for (i = 0; i < srv->nreqs; i++) {
		for (j = 0; j < srv->reqs[i].nheaders; j++) {
			free(srv->reqs[i].headers[j].name);
			free(srv->reqs[i].headers[j].value);
		}
		free(srv->reqs[i].headers);
		free(srv->reqs[i].method);
		free(srv->reqs[i].uri);
		free(srv->reqs[i].path);
		free(srv->reqs[i].body);
	}
	free(srv->reqs);
	free(srv);
}

int
httpd_port(const struct httpd *srv)
{
	return (srv->port);
}

char *
httpd_url(const struct httpd *srv, const char *path)
{
	char	*url;

	xasprintf(&url, "http://127.0.0.1:%d%s", srv->port, path);
	return (url);
}

void
httpd_script(struct httpd *srv, const struct httpd_reply *r)
{
	struct httpd_script_entry	*se;

	se = xcalloc(1, sizeof *se);
	httpd_owned_copy(&se->r, r);
	TAILQ_INSERT_TAIL(&srv->scripts, se, entry);
}

void
httpd_expect(struct httpd *srv, const char *method, const char *path,
    int status, const char *const *headers, const char *body)
{
	struct httpd_reply	r;

	memset(&r, 0, sizeof r);
	r.method = method;
	r.path = path;
	r.status = status;
	r.headers = headers;
	r.body = body;
	httpd_script(srv, &r);
}

void
httpd_on(struct httpd *srv, httpd_handler_cb cb, void *arg)
{
	srv->handler = cb;
	srv->handler_arg = arg;
}

size_t
httpd_pending_scripts(const struct httpd *srv)
{
	const struct httpd_script_entry	*se;
	size_t				 n = 0;

	TAILQ_FOREACH(se, &srv->scripts, entry)
		n++;
	return (n);
}

size_t
httpd_nrequests(const struct httpd *srv)
{
	return (srv->nreqs);
}

const struct httpd_request *
httpd_request(const struct httpd *srv, size_t i)
{
	if (i >= srv->nreqs)
		return (NULL);
	return (&srv->reqs[i]);
}

const char *
httpd_request_header(const struct httpd_request *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].name, name) == 0)
			return (r->headers[i].value);
	}
	return (NULL);
}

unsigned
httpd_connections(const struct httpd *srv)
{
	return (srv->accepted);
}

unsigned
httpd_max_concurrent(const struct httpd *srv)
{
	return (srv->max_in_progress);
}

unsigned
httpd_unmatched(const struct httpd *srv)
{
	return (srv->unmatched);
}

void
httpd_reset_stats(struct httpd *srv)
{
	srv->accepted = 0;
	srv->max_in_progress = srv->in_progress;
	srv->unmatched = 0;
}
