/* http.c: libcurl multi on libevent, with per-destination pools. */
#include "autoconf.h"

#include <sys/queue.h>
#include <sys/types.h>

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "http.h"
#include "log.h"
#include "xmalloc.h"

#define HTTP_USER_AGENT		"multidns/" PACKAGE_VERSION
#define HTTP_MAX_HEADER_BYTES	(256 * 1024)	/* all response headers */
#define HTTP_MAX_CONNECTS	64		/* multi connection cache */

struct http_header {
	char	*name;
	char	*value;
};

struct http_response_headers {
	struct http_header	*v;
	size_t			 n;
	size_t			 bytes;
};

enum http_req_state {
	HTTP_REQ_QUEUED,	/* in pool->queue, waiting to start an attempt */
	HTTP_REQ_RUNNING,	/* attached to the multi handle */
	HTTP_REQ_WAITING,	/* backoff timer before a retry */
	HTTP_REQ_DONE,		/* callback running */
};

struct http_request {
	struct http_pool		*pool;
	enum http_req_state		 state;
	TAILQ_ENTRY(http_request)	 qentry;	/* pool->queue */
	TAILQ_ENTRY(http_request)	 entry;		/* pool->requests */

	char				*method;
	char				*logurl;	/* no query, no user info */
	struct curl_slist		*hdrs;
	char				*body;
	int				 idempotent;
	int				 max_retries;
	size_t				 max_body;
	http_setup_cb			 setup;
	http_done_cb			 cb;
	void				*arg;

	CURL				*easy;
	char				 errbuf[CURL_ERROR_SIZE];
	struct event			*retry_ev;

	/* The current attempt's answer. */
	char				*rbuf;
	size_t				 rlen;
	size_t				 rsize;
	int				 too_large;
	struct http_response_headers	 rh;

	int				 attempts;
	uint64_t			 start_ms;
	uint64_t			 attempt_ms;
};
TAILQ_HEAD(http_requests, http_request);

struct http_pool {
	struct http			*http;
	TAILQ_ENTRY(http_pool)		 entry;
	char				*name;
	struct http_pool_config		 cfg;

	struct http_requests		 queue;		/* FIFO of attempts */
	struct http_requests		 requests;	/* every live one */
	unsigned			 in_flight;
	unsigned			 waiting;	/* in backoff */

	double				 tokens;
	uint64_t			 tokens_ms;
	uint64_t			 paused_until;
	struct event			*ev;		/* pause/token wake-up */

	struct http_pool_stats		 stats;
	int				 busy;		/* in a callback */
	int				 dead;		/* freed while busy */
};

struct http_sock {
	struct http			*http;
	curl_socket_t			 fd;
	struct event			*ev;
	TAILQ_ENTRY(http_sock)		 entry;
};

struct http {
	struct event_base		*base;
	CURLM				*multi;
	struct event			*timer;
	TAILQ_HEAD(, http_pool)		 pools;
	TAILQ_HEAD(, http_sock)		 socks;
	uint64_t			 rng;
};

static void	http_pool_run(struct http_pool *);
static void	http_request_free(struct http_request *);

static const char *const http_error_names[] = {
	[HTTP_OK] = "ok",
	[HTTP_ERR_CONNECT] = "could not connect",
	[HTTP_ERR_TIMEOUT] = "timed out",
	[HTTP_ERR_TRANSPORT] = "transfer failed",
	[HTTP_ERR_TOO_LARGE] = "response too large",
	[HTTP_ERR_THROTTLED] = "throttled for longer than the maximum wait",
};

const char *
http_strerror(enum http_error e)
{
	if ((unsigned)e >= sizeof(http_error_names) / sizeof(http_error_names[0]))
		return ("unknown error");
	return (http_error_names[e]);
}

static uint64_t
http_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

static void
http_ms_to_tv(uint64_t ms, struct timeval *tv)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)((ms % 1000) * 1000);
}

/* splitmix64: jitter needs spread, not secrecy. */
static uint64_t
http_random(struct http *http)
{
	uint64_t	z;

	z = (http->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Full jitter: uniform in [0, min(cap, base * 2^(retry - 1))]. */
static uint64_t
http_backoff_ms(struct http_pool *pool, int retry)
{
	uint64_t	ceiling;
	int		shift;

	shift = retry - 1;
	if (shift < 0)
		shift = 0;
	if (shift > 31)
		shift = 31;
	ceiling = (uint64_t)pool->cfg.backoff_base_ms << shift;
	if (ceiling > pool->cfg.backoff_cap_ms)
		ceiling = pool->cfg.backoff_cap_ms;
	return (http_random(pool->http) % (ceiling + 1));
}

/*
 * RFC 9110 10.2.3: Retry-After is delta-seconds or an HTTP-date. Returns
 * the seconds to wait from now (0 for a date in the past).
 */
int
http_retry_after_parse(const char *s, time_t now, unsigned *secs)
{
	unsigned long long	 v;
	const char		*p;
	time_t			 t;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return (-1);
	if (isdigit((unsigned char)*s)) {
		for (p = s; isdigit((unsigned char)*p); p++)
			;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0') {
			v = strtoull(s, NULL, 10);
			*secs = v > UINT_MAX / 1000 ? UINT_MAX / 1000 :
			    (unsigned)v;
			return (0);
		}
	}
	if ((t = curl_getdate(s, NULL)) == -1)
		return (-1);
	if (t <= now)
		*secs = 0;
	else if ((unsigned long long)(t - now) > UINT_MAX / 1000)
		*secs = UINT_MAX / 1000;
	else
		*secs = (unsigned)(t - now);
	return (0);
}

/* --- response headers ------------------------------------------------ */

static void
http_headers_clear(struct http_response_headers *rh)
{
	size_t	i;

	for (i = 0; i < rh->n; i++) {
		free(rh->v[i].name);
		free(rh->v[i].value);
	}
	free(rh->v);
	rh->v = NULL;
	rh->n = 0;
	rh->bytes = 0;
}

const char *
http_response_header(const struct http_response *resp, const char *name)
{
	const struct http_response_headers	*rh = resp->headers;
	size_t					 i;

	if (rh == NULL)
		return (NULL);
	for (i = 0; i < rh->n; i++) {
		if (strcasecmp(rh->v[i].name, name) == 0)
			return (rh->v[i].value);
	}
	return (NULL);
}

static size_t
http_header_cb(char *data, size_t size, size_t nitems, void *arg)
{
	struct http_request		*req = arg;
	struct http_response_headers	*rh = &req->rh;
	size_t				 len = size * nitems, nlen;
	const char			*colon, *v, *end;

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (after 1xx): forget the previous headers. */
		http_headers_clear(rh);
	}
	rh->bytes += len;
	if (rh->bytes > HTTP_MAX_HEADER_BYTES) {
		req->too_large = 1;
		return (0);
	}
	if ((colon = memchr(data, ':', len)) == NULL)
		return (len);
	nlen = colon - data;
	while (nlen > 0 && (data[nlen - 1] == ' ' || data[nlen - 1] == '\t'))
		nlen--;
	if (nlen == 0)
		return (len);
	end = data + len;
	while (end > colon + 1 && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' ' || end[-1] == '\t'))
		end--;
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	rh->v = xreallocarray(rh->v, rh->n + 1, sizeof *rh->v);
	rh->v[rh->n].name = xstrndup(data, nlen);
	rh->v[rh->n].value = xstrndup(v, end - v);
	rh->n++;
	return (len);
}

static size_t
http_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_request	*req = arg;
	size_t			 len = size * nmemb, nsize;

	if (len > req->max_body || req->rlen > req->max_body - len) {
		req->too_large = 1;
		return (0);
	}
	if (req->rlen + len + 1 > req->rsize) {
		nsize = req->rsize == 0 ? 16384 : req->rsize;
		while (nsize < req->rlen + len + 1)
			nsize *= 2;
		if (nsize > req->max_body + 1)
			nsize = req->max_body + 1;
		req->rbuf = xreallocarray(req->rbuf, 1, nsize);
		req->rsize = nsize;
	}
	memcpy(req->rbuf + req->rlen, data, len);
	req->rlen += len;
	req->rbuf[req->rlen] = '\0';
	return (len);
}

/* --- libcurl <-> libevent -------------------------------------------- */

static void	http_check_info(struct http *);

static void
http_event_cb(evutil_socket_t fd, short events, void *arg)
{
	struct http_sock	*hs = arg;
	struct http		*http = hs->http;
	int			 flags = 0, running;

	if (events & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (events & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	/* hs may be freed by the socket callback from here on. */
	curl_multi_socket_action(http->multi, fd, flags, &running);
	http_check_info(http);
}

static void
http_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct http	*http = arg;
	int		 running;

	curl_multi_socket_action(http->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_check_info(http);
}

static int
http_multi_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct http	*http = arg;
	struct timeval	 tv;

	if (timeout_ms < 0) {
		evtimer_del(http->timer);
		return (0);
	}
	/* Never call curl back from here: a 0 timeout fires from the loop. */
	http_ms_to_tv((uint64_t)timeout_ms, &tv);
	evtimer_add(http->timer, &tv);
	return (0);
}

static void
http_sock_free(struct http_sock *hs)
{
	TAILQ_REMOVE(&hs->http->socks, hs, entry);
	event_free(hs->ev);
	free(hs);
}

static int
http_multi_socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg,
    void *sockp)
{
	struct http		*http = arg;
	struct http_sock	*hs = sockp;
	short			 kind;

	if (what == CURL_POLL_REMOVE) {
		if (hs != NULL) {
			curl_multi_assign(http->multi, fd, NULL);
			http_sock_free(hs);
		}
		return (0);
	}
	if (hs == NULL) {
		hs = xcalloc(1, sizeof *hs);
		hs->http = http;
		hs->fd = fd;
		TAILQ_INSERT_TAIL(&http->socks, hs, entry);
		curl_multi_assign(http->multi, fd, hs);
	} else
		event_free(hs->ev);
	kind = EV_PERSIST;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	hs->ev = event_new(http->base, fd, kind, http_event_cb, hs);
	if (hs->ev == NULL)
		fatalx("http", "event_new failed");
	event_add(hs->ev, NULL);
	return (0);
}

/* --- requests ------------------------------------------------------- */

static int
http_method_idempotent(const char *method)
{
	static const char *const idem[] = {
		"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"
	};
	size_t	i;

	for (i = 0; i < sizeof idem / sizeof idem[0]; i++) {
		if (strcmp(method, idem[i]) == 0)
			return (1);
	}
	return (0);
}

/* The URL as logged: scheme, host, port and path; no query or user info. */
static char *
http_log_url(const char *url)
{
	CURLU	*u;
	char	*scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	char	*out;

	if ((u = curl_url()) == NULL)
		fatalx("http", "curl_url failed");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return (xstrdup("(bad url)"));
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	xasprintf(&out, "%s://%s%s%s%s", scheme != NULL ? scheme : "?",
	    host != NULL ? host : "?", port != NULL ? ":" : "",
	    port != NULL ? port : "", path != NULL ? path : "/");
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return (out);
}

static void
http_request_reset_answer(struct http_request *req)
{
	free(req->rbuf);
	req->rbuf = NULL;
	req->rlen = req->rsize = 0;
	req->too_large = 0;
	req->errbuf[0] = '\0';
	http_headers_clear(&req->rh);
}

static void
http_request_attempt(struct http_request *req)
{
	struct http_pool	*pool = req->pool;
	CURLMcode		 mc;

	http_request_reset_answer(req);
	req->attempts++;
	req->attempt_ms = http_now_ms();
	pool->stats.attempts++;
	if (req->setup != NULL)
		req->setup(req->easy, req->arg);
	req->state = HTTP_REQ_RUNNING;
	pool->in_flight++;
	if ((mc = curl_multi_add_handle(pool->http->multi, req->easy)) !=
	    CURLM_OK)
		fatalx("http", "curl_multi_add_handle: %s",
		    curl_multi_strerror(mc));
}

static void
http_retry_cb(evutil_socket_t fd, short events, void *arg)
{
	struct http_request	*req = arg;
	struct http_pool	*pool = req->pool;

	/* Retries go first: they are older than anything queued. */
	pool->waiting--;
	req->state = HTTP_REQ_QUEUED;
	TAILQ_INSERT_HEAD(&pool->queue, req, qentry);
	http_pool_run(pool);
}

struct http_request *
http_request_start(struct http_pool *pool,
    const struct http_request_params *p)
{
	struct http_request	*req;
	const char *const	*h;
	const char		*method, *s;
	long			 ct, tt;

	if (pool->dead)
		fatalx("http", "%s: request on a freed pool", pool->name);
	if (p->url == NULL || p->cb == NULL)
		fatalx("http", "%s: request without url or callback",
		    pool->name);
	method = p->method != NULL ? p->method : "GET";
	for (s = method; *s != '\0'; s++) {
		if (!isupper((unsigned char)*s))
			fatalx("http", "%s: bad method", pool->name);
	}
	if (*method == '\0')
		fatalx("http", "%s: empty method", pool->name);

	req = xcalloc(1, sizeof *req);
	req->pool = pool;
	req->method = xstrdup(method);
	req->logurl = http_log_url(p->url);
	req->setup = p->setup;
	req->cb = p->cb;
	req->arg = p->arg;
	req->max_body = p->max_body != 0 ? p->max_body : pool->cfg.max_body;
	req->max_retries = (p->flags & HTTP_REQ_NO_RETRY) ? 0 :
	    pool->cfg.max_retries;
	if (p->flags & HTTP_REQ_IDEMPOTENT)
		req->idempotent = 1;
	else if (p->flags & HTTP_REQ_NOT_IDEMPOTENT)
		req->idempotent = 0;
	else
		req->idempotent = http_method_idempotent(method);
	ct = p->connect_timeout_ms != 0 ? p->connect_timeout_ms :
	    pool->cfg.connect_timeout_ms;
	tt = p->timeout_ms != 0 ? p->timeout_ms : pool->cfg.timeout_ms;

	for (h = p->headers; h != NULL && *h != NULL; h++) {
		if ((req->hdrs = curl_slist_append(req->hdrs, *h)) == NULL)
			fatalx("http", "curl_slist_append failed");
	}
	/* No "100-continue" round trip before a large body. */
	if ((req->hdrs = curl_slist_append(req->hdrs, "Expect:")) == NULL)
		fatalx("http", "curl_slist_append failed");

	if ((req->easy = curl_easy_init()) == NULL)
		fatalx("http", "curl_easy_init failed");
	curl_easy_setopt(req->easy, CURLOPT_URL, p->url);
	curl_easy_setopt(req->easy, CURLOPT_PRIVATE, req);
	curl_easy_setopt(req->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(req->easy, CURLOPT_ERRORBUFFER, req->errbuf);
	curl_easy_setopt(req->easy, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(req->easy, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(req->easy, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(req->easy, CURLOPT_HEADERDATA, req);
	curl_easy_setopt(req->easy, CURLOPT_USERAGENT, HTTP_USER_AGENT);
	curl_easy_setopt(req->easy, CURLOPT_HTTPHEADER, req->hdrs);
	curl_easy_setopt(req->easy, CURLOPT_CONNECTTIMEOUT_MS, ct);
	curl_easy_setopt(req->easy, CURLOPT_TIMEOUT_MS, tt);
	curl_easy_setopt(req->easy, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(req->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(req->easy, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(req->easy, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)req->max_body);
	curl_easy_setopt(req->easy, CURLOPT_ACCEPT_ENCODING, "");
	/*
	 * No CURLOPT_PIPEWAIT: it makes a request wait for a connection that
	 * is still being set up, serialising HTTP/1.1 requests that should
	 * run side by side. Idle connections are reused from the multi
	 * handle's cache either way.
	 */
	curl_easy_setopt(req->easy, CURLOPT_TCP_KEEPALIVE, 1L);

	if (p->body != NULL) {
		req->body = xmalloc(p->body_len + 1);
		memcpy(req->body, p->body, p->body_len);
		req->body[p->body_len] = '\0';
		curl_easy_setopt(req->easy, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(req->easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)p->body_len);
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(req->easy, CURLOPT_CUSTOMREQUEST,
			    method);
	} else if (strcmp(method, "GET") == 0)
		curl_easy_setopt(req->easy, CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(req->easy, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	    strcmp(method, "PATCH") == 0) {
		/* An empty body, with Content-Length: 0. */
		curl_easy_setopt(req->easy, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(req->easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)0);
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(req->easy, CURLOPT_CUSTOMREQUEST,
			    method);
	} else
		curl_easy_setopt(req->easy, CURLOPT_CUSTOMREQUEST, method);

	req->retry_ev = evtimer_new(pool->http->base, http_retry_cb, req);
	if (req->retry_ev == NULL)
		fatalx("http", "evtimer_new failed");

	req->start_ms = http_now_ms();
	req->state = HTTP_REQ_QUEUED;
	TAILQ_INSERT_TAIL(&pool->requests, req, entry);
	TAILQ_INSERT_TAIL(&pool->queue, req, qentry);
	pool->stats.requests++;
	http_pool_run(pool);
	return (req);
}

static void
http_request_free(struct http_request *req)
{
	if (req == NULL)
		return;
	if (req->retry_ev != NULL)
		event_free(req->retry_ev);
	if (req->easy != NULL)
		curl_easy_cleanup(req->easy);
	curl_slist_free_all(req->hdrs);
	http_request_reset_answer(req);
	free(req->body);
	free(req->logurl);
	free(req->method);
	free(req);
}

/* Take a request out of whatever it waits on. */
static void
http_request_detach(struct http_request *req)
{
	struct http_pool	*pool = req->pool;

	switch (req->state) {
	case HTTP_REQ_QUEUED:
		TAILQ_REMOVE(&pool->queue, req, qentry);
		break;
	case HTTP_REQ_RUNNING:
		curl_multi_remove_handle(pool->http->multi, req->easy);
		pool->in_flight--;
		break;
	case HTTP_REQ_WAITING:
		evtimer_del(req->retry_ev);
		pool->waiting--;
		break;
	case HTTP_REQ_DONE:
		return;
	}
	TAILQ_REMOVE(&pool->requests, req, entry);
	req->state = HTTP_REQ_DONE;
}

void
http_cancel(struct http_request *req)
{
	struct http_pool	*pool;

	if (req == NULL || req->state == HTTP_REQ_DONE)
		return;
	pool = req->pool;
	log_debug("http", "%s: %s %s cancelled after %d attempts", pool->name,
	    req->method, req->logurl, req->attempts);
	http_request_detach(req);
	pool->stats.cancelled++;
	http_request_free(req);
	http_pool_run(pool);
}

/* Build the caller's view of the current attempt. */
static void
http_request_response(struct http_request *req, CURLcode code,
    struct http_response *resp)
{
	long	status = 0;

	memset(resp, 0, sizeof *resp);
	resp->attempts = req->attempts;
	resp->elapsed_ms = http_now_ms() - req->start_ms;
	resp->headers = &req->rh;
	resp->body = req->rbuf != NULL ? req->rbuf : "";
	resp->body_len = req->rlen;
	resp->error = "";
	if (code == CURLE_OK) {
		curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
		resp->status = status;
		resp->err = HTTP_OK;
		return;
	}

	resp->status = 0;
	if (req->rh.bytes > HTTP_MAX_HEADER_BYTES) {
		resp->err = HTTP_ERR_TOO_LARGE;
		snprintf(req->errbuf, sizeof req->errbuf,
		    "response headers larger than %d bytes",
		    HTTP_MAX_HEADER_BYTES);
	} else if (req->too_large || code == CURLE_FILESIZE_EXCEEDED) {
		resp->err = HTTP_ERR_TOO_LARGE;
		snprintf(req->errbuf, sizeof req->errbuf,
		    "response larger than %zu bytes", req->max_body);
	} else if (code == CURLE_OPERATION_TIMEDOUT)
		resp->err = HTTP_ERR_TIMEOUT;
	else if (code == CURLE_COULDNT_CONNECT ||
	    code == CURLE_COULDNT_RESOLVE_HOST ||
	    code == CURLE_COULDNT_RESOLVE_PROXY)
		resp->err = HTTP_ERR_CONNECT;
	else
		resp->err = HTTP_ERR_TRANSPORT;
	if (resp->err == HTTP_ERR_TOO_LARGE) {
		/* Never hand out a partial body. */
		resp->body = "";
		resp->body_len = 0;
	}
	if (req->errbuf[0] == '\0')
		snprintf(req->errbuf, sizeof req->errbuf, "%s",
		    curl_easy_strerror(code));
	resp->error = req->errbuf;
}

/* The built-in retry rules; see http.h. */
static enum http_verdict
http_verdict(struct http_request *req, CURLcode code,
    const struct http_response *resp)
{
	curl_off_t	pretransfer = 0;

	if (resp->err == HTTP_ERR_TOO_LARGE)
		return (HTTP_VERDICT_DONE);
	if (resp->err != HTTP_OK) {
		switch (code) {
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_CONNECT:
		case CURLE_SSL_CONNECT_ERROR:
			/* Nothing was sent: safe for any method. */
			return (HTTP_VERDICT_RETRY);
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_GOT_NOTHING:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_PARTIAL_FILE:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
			if (req->idempotent)
				return (HTTP_VERDICT_RETRY);
			curl_easy_getinfo(req->easy, CURLINFO_PRETRANSFER_TIME_T,
			    &pretransfer);
			if (pretransfer == 0)
				return (HTTP_VERDICT_RETRY);
			return (HTTP_VERDICT_DONE);
		default:
			return (HTTP_VERDICT_DONE);
		}
	}
	switch (resp->status) {
	case 429:
		return (HTTP_VERDICT_THROTTLED);
	case 503:
		if (req->idempotent &&
		    http_response_header(resp, "retry-after") != NULL)
			return (HTTP_VERDICT_THROTTLED);
		/* FALLTHROUGH */
	case 408:
	case 500:
	case 502:
	case 504:
		return (req->idempotent ? HTTP_VERDICT_RETRY : HTTP_VERDICT_DONE);
	default:
		return (HTTP_VERDICT_DONE);
	}
}

static void
http_pool_pause(struct http_pool *pool, uint64_t ms)
{
	uint64_t	until;

	until = http_now_ms() + ms;
	if (until > pool->paused_until) {
		pool->paused_until = until;
		log_debug("http", "%s: paused for %llu ms", pool->name,
		    (unsigned long long)ms);
	}
}

static void
http_request_finish(struct http_request *req, struct http_response *resp)
{
	struct http_pool	*pool = req->pool;

	http_request_detach(req);
	pool->stats.completed++;
	if (resp->err != HTTP_OK)
		pool->stats.errors++;
	if (resp->status >= 400)
		pool->stats.http_errors++;
	pool->busy++;
	req->cb(resp, req->arg);
	pool->busy--;
	http_request_free(req);
	if (pool->dead) {
		if (pool->busy == 0)
			http_pool_free(pool);
		return;
	}
	http_pool_run(pool);
}

static void
http_request_done(struct http_request *req, CURLcode code)
{
	struct http_pool	*pool = req->pool;
	struct http_response	 resp;
	enum http_verdict	 v = HTTP_VERDICT_DEFAULT;
	const char		*ra;
	unsigned		 secs;
	uint64_t		 wait;
	struct timeval		 tv;

	curl_multi_remove_handle(pool->http->multi, req->easy);
	pool->in_flight--;
	req->state = HTTP_REQ_QUEUED;	/* detached from the multi */
	TAILQ_INSERT_HEAD(&pool->queue, req, qentry);
	/* From here the request is "queued" until we decide. */

	http_request_response(req, code, &resp);
	pool->stats.bytes_in += req->rlen;
	if (resp.err == HTTP_OK)
		log_debug("http", "%s: %s %s -> %ld (attempt %d, %llu ms)",
		    pool->name, req->method, req->logurl, resp.status,
		    req->attempts,
		    (unsigned long long)(http_now_ms() - req->attempt_ms));
	else
		log_debug("http", "%s: %s %s -> %s: %s (attempt %d, %llu ms)",
		    pool->name, req->method, req->logurl,
		    http_strerror(resp.err), resp.error, req->attempts,
		    (unsigned long long)(http_now_ms() - req->attempt_ms));

	if (pool->cfg.classify != NULL)
		v = pool->cfg.classify(&resp, pool->cfg.classify_arg);
	if (v == HTTP_VERDICT_DEFAULT)
		v = http_verdict(req, code, &resp);

	switch (v) {
	case HTTP_VERDICT_THROTTLED:
		pool->stats.throttled++;
		ra = http_response_header(&resp, "retry-after");
		if (ra != NULL && http_retry_after_parse(ra, time(NULL),
		    &secs) == 0) {
			wait = (uint64_t)secs * 1000;
			if (wait > pool->cfg.max_retry_after_ms) {
				http_pool_pause(pool,
				    pool->cfg.max_retry_after_ms);
				resp.err = HTTP_ERR_THROTTLED;
				resp.error = http_strerror(resp.err);
				break;
			}
		} else
			wait = http_backoff_ms(pool, req->attempts);
		http_pool_pause(pool, wait);
		if (req->attempts > req->max_retries)
			break;
		/* Stays at the head of the queue; the pause holds it. */
		pool->stats.retries++;
		http_pool_run(pool);
		return;
	case HTTP_VERDICT_RETRY:
		if (req->attempts > req->max_retries)
			break;
		pool->stats.retries++;
		TAILQ_REMOVE(&pool->queue, req, qentry);
		req->state = HTTP_REQ_WAITING;
		pool->waiting++;
		http_ms_to_tv(http_backoff_ms(pool, req->attempts), &tv);
		evtimer_add(req->retry_ev, &tv);
		http_pool_run(pool);
		return;
	default:
		break;
	}
	http_request_finish(req, &resp);
}

static void
http_check_info(struct http *http)
{
	CURLMsg			*msg;
	struct http_request	*req;
	int			 left;

	/*
	 * Callbacks may cancel other requests; curl drops their pending
	 * messages when their handles are removed, so read one at a time.
	 */
	while ((msg = curl_multi_info_read(http->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		req = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &req);
		if (req == NULL)
			fatalx("http", "transfer without a request");
		http_request_done(req, msg->data.result);
	}
}

/* --- pools ----------------------------------------------------------- */

static void
http_pool_wake_cb(evutil_socket_t fd, short events, void *arg)
{
	http_pool_run(arg);
}

static void
http_pool_arm(struct http_pool *pool, uint64_t ms)
{
	struct timeval	tv;

	http_ms_to_tv(ms, &tv);
	evtimer_add(pool->ev, &tv);
}

/* Start attempts while a slot, a token and no pause allow. */
static void
http_pool_run(struct http_pool *pool)
{
	struct http_request	*req;
	uint64_t		 now;
	double			 need;

	if (pool->dead)
		return;
	while ((req = TAILQ_FIRST(&pool->queue)) != NULL &&
	    pool->in_flight < pool->cfg.max_concurrent) {
		now = http_now_ms();
		if (pool->paused_until > now) {
			http_pool_arm(pool, pool->paused_until - now);
			return;
		}
		if (pool->cfg.rate > 0) {
			pool->tokens += (double)(now - pool->tokens_ms) *
			    pool->cfg.rate / 1000.0;
			if (pool->tokens > pool->cfg.burst)
				pool->tokens = pool->cfg.burst;
			pool->tokens_ms = now;
			if (pool->tokens < 1.0) {
				need = (1.0 - pool->tokens) * 1000.0 /
				    pool->cfg.rate;
				http_pool_arm(pool, (uint64_t)need + 1);
				return;
			}
			pool->tokens -= 1.0;
		}
		TAILQ_REMOVE(&pool->queue, req, qentry);
		http_request_attempt(req);
	}
}

void
http_pool_config_init(struct http_pool_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->name = "http";
	cfg->max_concurrent = 4;
	cfg->rate = 0;
	cfg->burst = 1;
	cfg->connect_timeout_ms = 10000;
	cfg->timeout_ms = 60000;
	cfg->max_retries = 3;
	cfg->backoff_base_ms = 500;
	cfg->backoff_cap_ms = 30000;
	cfg->max_retry_after_ms = 300000;	/* Cloudflare blocks 5 min */
	cfg->max_body = HTTP_DEFAULT_MAX_BODY;
}

struct http_pool *
http_pool_new(struct http *http, const struct http_pool_config *cfg)
{
	struct http_pool	*pool;

	pool = xcalloc(1, sizeof *pool);
	pool->http = http;
	pool->cfg = *cfg;
	pool->name = xstrdup(cfg->name != NULL ? cfg->name : "http");
	pool->cfg.name = pool->name;
	if (pool->cfg.max_concurrent == 0)
		pool->cfg.max_concurrent = 1;
	if (pool->cfg.burst == 0)
		pool->cfg.burst = 1;
	if (pool->cfg.rate < 0)
		pool->cfg.rate = 0;
	if (pool->cfg.max_retries < 0)
		pool->cfg.max_retries = 0;
	if (pool->cfg.max_body == 0)
		pool->cfg.max_body = HTTP_DEFAULT_MAX_BODY;
	if (pool->cfg.backoff_cap_ms < pool->cfg.backoff_base_ms)
		pool->cfg.backoff_cap_ms = pool->cfg.backoff_base_ms;
	pool->tokens = pool->cfg.burst;
	pool->tokens_ms = http_now_ms();
	TAILQ_INIT(&pool->queue);
	TAILQ_INIT(&pool->requests);
	if ((pool->ev = evtimer_new(http->base, http_pool_wake_cb, pool)) ==
	    NULL)
		fatalx("http", "evtimer_new failed");
	TAILQ_INSERT_TAIL(&http->pools, pool, entry);
	return (pool);
}

void
http_pool_free(struct http_pool *pool)
{
	struct http_request	*req;

	if (pool == NULL)
		return;
	if (!pool->dead) {
		while ((req = TAILQ_FIRST(&pool->requests)) != NULL) {
			http_request_detach(req);
			pool->stats.cancelled++;
			http_request_free(req);
		}
		TAILQ_REMOVE(&pool->http->pools, pool, entry);
		pool->dead = 1;
	}
	if (pool->busy > 0)
		return;		/* http_request_finish frees it */
	event_free(pool->ev);
	free(pool->name);
	free(pool);
}

const char *
http_pool_name(const struct http_pool *pool)
{
	return (pool->name);
}

const struct http_pool *
http_pool_next(const struct http *http, const struct http_pool *prev)
{
	if (prev == NULL)
		return (TAILQ_FIRST(&http->pools));
	return (TAILQ_NEXT(prev, entry));
}

void
http_pool_stats(const struct http_pool *pool, struct http_pool_stats *st)
{
	const struct http_request	*req;

	*st = pool->stats;
	st->in_flight = pool->in_flight;
	st->queued = pool->waiting;
	TAILQ_FOREACH(req, &pool->queue, qentry)
		st->queued++;
}

/* --- the client ------------------------------------------------------ */

struct http *
http_new(struct event_base *base)
{
	struct http	*http;
	CURLcode	 code;

	if ((code = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		fatalx("http", "curl_global_init: %s", curl_easy_strerror(code));
	http = xcalloc(1, sizeof *http);
	http->base = base;
	TAILQ_INIT(&http->pools);
	TAILQ_INIT(&http->socks);
	http->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
	    (uint64_t)(uintptr_t)http ^ http_now_ms();
	if ((http->timer = evtimer_new(base, http_timer_cb, http)) == NULL)
		fatalx("http", "evtimer_new failed");
	if ((http->multi = curl_multi_init()) == NULL)
		fatalx("http", "curl_multi_init failed");
	curl_multi_setopt(http->multi, CURLMOPT_SOCKETFUNCTION,
	    http_multi_socket_cb);
	curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION,
	    http_multi_timer_cb);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http);
	curl_multi_setopt(http->multi, CURLMOPT_MAXCONNECTS,
	    (long)HTTP_MAX_CONNECTS);
	return (http);
}

void
http_free(struct http *http)
{
	struct http_sock	*hs;

	if (http == NULL)
		return;
	while (!TAILQ_EMPTY(&http->pools))
		http_pool_free(TAILQ_FIRST(&http->pools));
	/* Closing cached connections may call the socket callback. */
	curl_multi_cleanup(http->multi);
	while ((hs = TAILQ_FIRST(&http->socks)) != NULL)
		http_sock_free(hs);
	event_free(http->timer);
	free(http);
	curl_global_cleanup();
}
