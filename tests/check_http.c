/* check_http.c: the HTTP client layer against the scripted test server. */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "http.h"
#include "httpd.h"
#include "log.h"
#include "xmalloc.h"

static struct event_base	*base;
static struct httpd		*srv;
static struct http		*http;
static int			 done;

struct result {
	int			 called;
	long			 status;
	enum http_error		 err;
	char			*body;
	size_t			 body_len;
	char			*error;
	int			 attempts;
	uint64_t		 elapsed_ms;
	uint64_t		 at_ms;
	const char		*want_header;
	char			*header;
	int			 order;
};

static int	order;

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

static void
result_clear(struct result *r)
{
	free(r->body);
	free(r->error);
	free(r->header);
	r->body = r->error = r->header = NULL;
}

static void
result_cb(const struct http_response *resp, void *arg)
{
	struct result	*r = arg;
	const char	*h;

	r->called++;
	r->status = resp->status;
	r->err = resp->err;
	r->body = xmalloc(resp->body_len + 1);
	memcpy(r->body, resp->body, resp->body_len + 1);
	r->body_len = resp->body_len;
	r->error = xstrdup(resp->error);
	r->attempts = resp->attempts;
	r->elapsed_ms = resp->elapsed_ms;
	r->at_ms = now_ms();
	r->order = ++order;
	if (r->want_header != NULL &&
	    (h = http_response_header(resp, r->want_header)) != NULL)
		r->header = xstrdup(h);
	done++;
}

static void
never_cb(const struct http_response *resp, void *arg)
{
	ck_abort_msg("callback of a cancelled request was called");
}

static void
deadline_cb(evutil_socket_t fd, short events, void *arg)
{
	*(int *)arg = 1;
}

/* Run the loop until `n` callbacks have run, or fail after timeout_ms. */
static void
run_until(int n, unsigned timeout_ms)
{
	struct event	*ev;
	struct timeval	 tv;
	int		 expired = 0;

	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	ev = evtimer_new(base, deadline_cb, &expired);
	evtimer_add(ev, &tv);
	while (done < n && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	ck_assert_msg(done >= n, "only %d of %d callbacks in %u ms", done, n,
	    timeout_ms);
}

/* Run the loop for about ms milliseconds. */
static void
run_for(unsigned ms)
{
	struct event	*ev;
	struct timeval	 tv;
	int		 expired = 0;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	ev = evtimer_new(base, deadline_cb, &expired);
	evtimer_add(ev, &tv);
	while (!expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
}

static void
fast_config(struct http_pool_config *cfg, const char *name)
{
	http_pool_config_init(cfg);
	cfg->name = name;
	cfg->backoff_base_ms = 10;
	cfg->backoff_cap_ms = 40;
	cfg->connect_timeout_ms = 2000;
	cfg->timeout_ms = 5000;
	cfg->max_retries = 3;
}

static struct http_pool *
fast_pool(const char *name)
{
	struct http_pool_config	cfg;

	fast_config(&cfg, name);
	return (http_pool_new(http, &cfg));
}

static struct http_request *
start(struct http_pool *pool, const char *method, const char *path,
    const char *body, int flags, struct result *r)
{
	struct http_request_params	p;
	struct http_request		*req;
	char				*url;

	url = httpd_url(srv, path);
	memset(&p, 0, sizeof p);
	p.method = method;
	p.url = url;
	p.body = body;
	p.body_len = body != NULL ? strlen(body) : 0;
	p.flags = flags;
	p.cb = result_cb;
	p.arg = r;
	req = http_request_start(pool, &p);
	free(url);
	return (req);
}

static void
setup(void)
{
	log_init(LOG_LEVEL_WARN, "check_http");
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	srv = httpd_new(base);
	http = http_new(base);
	done = 0;
	order = 0;
}

static void
teardown(void)
{
	http_free(http);
	http = NULL;
	httpd_free(srv);
	srv = NULL;
	event_base_free(base);
	base = NULL;
}

/* --- basics -------------------------------------------------------- */

/* RFC 9110 9.3.1 GET: status, body and response headers reach the caller;
 * request headers and our User-Agent reach the server. */
START_TEST(test_get_ok)
{
	static const char *const rh[] = {
		"Content-Type: application/json", "X-Request-Id: abc-1", NULL
	};
	static const char *const qh[] = {
		"Authorization: Bearer s3cret", "Accept: application/json", NULL
	};
	struct http_pool		*pool = fast_pool("get");
	struct http_request_params	 p;
	struct http_pool_stats		 st;
	const struct httpd_request	*sr;
	struct result			 r = { .want_header = "X-REQUEST-ID" };
	char				*url;

	httpd_expect(srv, "GET", "/zones", 200, rh, "{\"ok\":true}");
	url = httpd_url(srv, "/zones?name=example.com&page=2");
	memset(&p, 0, sizeof p);
	p.url = url;
	p.headers = qh;
	p.cb = result_cb;
	p.arg = &r;
	ck_assert_ptr_nonnull(http_request_start(pool, &p));
	free(url);
	ck_assert_int_eq(done, 0);	/* never called from inside start */
	run_until(1, 5000);

	ck_assert_int_eq(r.called, 1);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.err, HTTP_OK);
	ck_assert_str_eq(r.error, "");
	ck_assert_str_eq(r.body, "{\"ok\":true}");
	ck_assert_uint_eq(r.body_len, 11);
	ck_assert_int_eq(r.attempts, 1);
	ck_assert_str_eq(r.header, "abc-1");

	ck_assert_uint_eq(httpd_nrequests(srv), 1);
	sr = httpd_request(srv, 0);
	ck_assert_str_eq(sr->method, "GET");
	ck_assert_str_eq(sr->uri, "/zones?name=example.com&page=2");
	ck_assert_str_eq(sr->path, "/zones");
	ck_assert_str_eq(httpd_request_header(sr, "authorization"),
	    "Bearer s3cret");
	ck_assert_str_eq(httpd_request_header(sr, "User-Agent"),
	    "multidns/" PACKAGE_VERSION);
	ck_assert_ptr_null(httpd_request_header(sr, "Expect"));
	ck_assert_uint_eq(sr->body_len, 0);
	ck_assert_uint_eq(httpd_unmatched(srv), 0);

	http_pool_stats(pool, &st);
	ck_assert_uint_eq(st.requests, 1);
	ck_assert_uint_eq(st.attempts, 1);
	ck_assert_uint_eq(st.completed, 1);
	ck_assert_uint_eq(st.errors, 0);
	ck_assert_uint_eq(st.retries, 0);
	ck_assert_uint_eq(st.in_flight, 0);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(st.bytes_in, 11);
	ck_assert_str_eq(http_pool_name(pool), "get");
	result_clear(&r);
}
END_TEST

static int
echo_cb(const struct httpd_request *req, struct httpd_reply *out, void *arg)
{
	static char	 hdr[64];
	static const char *headers[2];

	snprintf(hdr, sizeof hdr, "X-Method: %s", req->method);
	headers[0] = hdr;
	headers[1] = NULL;
	out->status = 201;
	out->headers = headers;
	out->body = xmalloc(req->body_len + 1);
	memcpy((char *)out->body, req->body, req->body_len + 1);
	out->body_len = req->body_len;
	out->body_free = 1;
	return (req->body_len == 0 ? -1 : 0);
}

/* RFC 9110 9.3.3 POST / RFC 5789 PATCH: the body is sent as given (binary
 * safe, copied at start) and the answer comes back unchanged. */
START_TEST(test_post_echo)
{
	struct http_pool		*pool = fast_pool("echo");
	struct http_request_params	 p;
	struct result			 r1 = { .want_header = "x-method" };
	struct result			 r2 = { .want_header = "x-method" };
	char				 body[8] = { 'a', '\0', 'b', 'c' };
	char				*url;

	httpd_on(srv, echo_cb, NULL);
	url = httpd_url(srv, "/echo");
	memset(&p, 0, sizeof p);
	p.method = "POST";
	p.url = url;
	p.body = body;
	p.body_len = 4;
	p.cb = result_cb;
	p.arg = &r1;
	http_request_start(pool, &p);
	memset(body, 'x', sizeof body);		/* the body was copied */
	free(url);
	start(pool, "PATCH", "/zones/example.org.",
	    "{\"rrsets\":[]}", HTTP_REQ_IDEMPOTENT, &r2);
	run_until(2, 5000);

	ck_assert_int_eq(r1.status, 201);
	ck_assert_uint_eq(r1.body_len, 4);
	ck_assert_mem_eq(r1.body, "a\0bc", 4);
	ck_assert_str_eq(r1.header, "POST");
	ck_assert_int_eq(r2.status, 201);
	ck_assert_str_eq(r2.body, "{\"rrsets\":[]}");
	ck_assert_str_eq(r2.header, "PATCH");
	ck_assert_uint_eq(httpd_nrequests(srv), 2);
	ck_assert_str_eq(httpd_request_header(httpd_request(srv, 0),
	    "Content-Length"), "4");
	ck_assert_uint_eq(httpd_unmatched(srv), 0);
	result_clear(&r1);
	result_clear(&r2);
}
END_TEST

/* RFC 9110 15.5.5 404 is a final answer: returned as-is, never retried. */
START_TEST(test_404_no_retry)
{
	struct http_pool	*pool = fast_pool("404");
	struct http_pool_stats	 st;
	struct result		 r = { 0 };

	httpd_expect(srv, "GET", "/missing", 404, NULL, "{\"error\":\"nope\"}");
	start(pool, "GET", "/missing", NULL, 0, &r);
	run_until(1, 5000);
	ck_assert_int_eq(r.status, 404);
	ck_assert_int_eq(r.err, HTTP_OK);
	ck_assert_int_eq(r.attempts, 1);
	ck_assert_str_eq(r.body, "{\"error\":\"nope\"}");
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
	http_pool_stats(pool, &st);
	ck_assert_uint_eq(st.http_errors, 1);
	ck_assert_uint_eq(st.errors, 0);
	ck_assert_uint_eq(st.retries, 0);
	result_clear(&r);
}
END_TEST

/* RFC 9110 9.2.2 idempotent methods may be retried: GET 500, 500, 200. */
START_TEST(test_500_retry_get)
{
	struct http_pool	*pool = fast_pool("500");
	struct http_pool_stats	 st;
	struct result		 r = { 0 };

	httpd_expect(srv, "GET", "/flaky", 500, NULL, "oops");
	httpd_expect(srv, "GET", "/flaky", 502, NULL, "oops");
	httpd_expect(srv, "GET", "/flaky", 200, NULL, "fine");
	start(pool, "GET", "/flaky", NULL, 0, &r);
	run_until(1, 5000);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "fine");
	ck_assert_int_eq(r.attempts, 3);
	ck_assert_uint_eq(httpd_nrequests(srv), 3);
	ck_assert_uint_eq(httpd_pending_scripts(srv), 0);
	http_pool_stats(pool, &st);
	ck_assert_uint_eq(st.retries, 2);
	ck_assert_uint_eq(st.attempts, 3);
	ck_assert_uint_eq(st.http_errors, 0);
	result_clear(&r);
}
END_TEST

/* Retries are bounded: max_retries + 1 attempts, then the last answer. */
START_TEST(test_500_retries_exhausted)
{
	struct http_pool	*pool = fast_pool("500x");
	struct result		 r = { 0 };
	struct httpd_reply	 rep = { .method = "DELETE", .path = "/gone",
				    .status = 503, .body = "down",
				    .repeat = -1 };

	httpd_script(srv, &rep);
	start(pool, "DELETE", "/gone", NULL, 0, &r);
	run_until(1, 5000);
	ck_assert_int_eq(r.status, 503);
	ck_assert_int_eq(r.attempts, 4);
	ck_assert_str_eq(r.body, "down");
	ck_assert_uint_eq(httpd_nrequests(srv), 4);
	result_clear(&r);
}
END_TEST

/* RFC 9110 9.2.2: POST is not idempotent; a 500 after the body was sent is
 * not retried unless the caller flags the request idempotent. */
START_TEST(test_post_500_not_retried)
{
	struct http_pool	*pool = fast_pool("post");
	struct result		 r1 = { 0 }, r2 = { 0 }, r3 = { 0 };

	httpd_expect(srv, "POST", "/a", 500, NULL, "err");
	httpd_expect(srv, "POST", "/a", 200, NULL, "would be second");
	start(pool, "POST", "/a", "{}", 0, &r1);
	run_until(1, 5000);
	ck_assert_int_eq(r1.status, 500);
	ck_assert_int_eq(r1.attempts, 1);
	ck_assert_uint_eq(httpd_nrequests(srv), 1);

	httpd_expect(srv, "POST", "/b", 500, NULL, "err");
	httpd_expect(srv, "POST", "/b", 200, NULL, "ok");
	start(pool, "POST", "/b", "{}", HTTP_REQ_IDEMPOTENT, &r2);
	run_until(2, 5000);
	ck_assert_int_eq(r2.status, 200);
	ck_assert_int_eq(r2.attempts, 2);

	/* PATCH is not idempotent by default either (RFC 5789 2). */
	httpd_expect(srv, "PATCH", "/c", 500, NULL, "err");
	start(pool, "PATCH", "/c", "{}", 0, &r3);
	run_until(3, 5000);
	ck_assert_int_eq(r3.status, 500);
	ck_assert_int_eq(r3.attempts, 1);
	ck_assert_uint_eq(httpd_nrequests(srv), 4);
	result_clear(&r1);
	result_clear(&r2);
	result_clear(&r3);
}
END_TEST

/* --- throttling ----------------------------------------------------- */

/* RFC 9110 10.2.3 Retry-After (delta-seconds); RFC 6585 4 (429);
 * Cloudflare: 429 with retry-after in seconds. POST is retried on 429. */
START_TEST(test_429_retry_after_seconds)
{
	static const char *const rh[] = { "Retry-After: 1", NULL };
	struct http_pool	*pool = fast_pool("429");
	struct http_pool_stats	 st;
	struct result		 r = { 0 };

	httpd_expect(srv, "POST", "/batch", 429, rh, "slow down");
	httpd_expect(srv, "POST", "/batch", 200, NULL, "done");
	start(pool, "POST", "/batch", "{}", 0, &r);
	run_until(1, 5000);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "done");
	ck_assert_int_eq(r.attempts, 2);
	ck_assert_uint_ge(r.elapsed_ms, 990);
	ck_assert_uint_lt(r.elapsed_ms, 3000);
	ck_assert_uint_eq(httpd_nrequests(srv), 2);
	ck_assert_uint_ge(httpd_request(srv, 1)->at_ms -
	    httpd_request(srv, 0)->at_ms, 990);
	http_pool_stats(pool, &st);
	ck_assert_uint_eq(st.throttled, 1);
	ck_assert_uint_eq(st.retries, 1);
	result_clear(&r);
}
END_TEST

/* RFC 9110 10.2.3 Retry-After as an HTTP-date (IMF-fixdate, 5.6.7). */
START_TEST(test_429_http_date)
{
	struct http_pool	*pool = fast_pool("429date");
	struct result		 r = { 0 };
	char			 date[64], hdr[96];
	const char		*rh[2] = { hdr, NULL };
	time_t			 t;
	struct tm		 tm;

	t = time(NULL) + 2;
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(hdr, sizeof hdr, "Retry-After: %s", date);
	httpd_expect(srv, "GET", "/zones", 429, rh, NULL);
	httpd_expect(srv, "GET", "/zones", 200, NULL, "ok");
	start(pool, "GET", "/zones", NULL, 0, &r);
	run_until(1, 6000);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.attempts, 2);
	/* The date has one-second resolution: at least 1 s, at most 2 s. */
	ck_assert_uint_ge(r.elapsed_ms, 900);
	ck_assert_uint_lt(r.elapsed_ms, 3500);
	result_clear(&r);
}
END_TEST

/* RFC 6585 4: 429 without Retry-After; DigitalOcean/NS1 give none: fall
 * back to the exponential backoff (here at most 40 ms each), and give the
 * last 429 to the caller when retries run out. */
START_TEST(test_429_backoff)
{
	struct http_pool	*pool = fast_pool("429bo");
	struct http_pool_stats	 st;
	struct result		 r1 = { 0 }, r2 = { 0 };
	struct httpd_reply	 rep = { .path = "/limited", .status = 429,
				    .body = "limit", .repeat = 2 };
	struct httpd_reply	 rep2 = { .path = "/always", .status = 429,
				    .body = "limit", .repeat = -1 };

	httpd_script(srv, &rep);
	httpd_expect(srv, "GET", "/limited", 200, NULL, "ok");
	start(pool, "GET", "/limited", NULL, 0, &r1);
	run_until(1, 5000);
	ck_assert_int_eq(r1.status, 200);
	ck_assert_int_eq(r1.attempts, 3);
	ck_assert_uint_lt(r1.elapsed_ms, 1000);

	httpd_script(srv, &rep2);
	start(pool, "GET", "/always", NULL, 0, &r2);
	run_until(2, 5000);
	ck_assert_int_eq(r2.status, 429);
	ck_assert_int_eq(r2.err, HTTP_OK);
	ck_assert_int_eq(r2.attempts, 4);
	ck_assert_str_eq(r2.body, "limit");
	http_pool_stats(pool, &st);
	ck_assert_uint_eq(st.throttled, 6);
	ck_assert_uint_eq(st.retries, 5);
	ck_assert_uint_eq(st.http_errors, 1);
	result_clear(&r1);
	result_clear(&r2);
}
END_TEST

struct later {
	struct http_pool	*pool;
	struct result		*r;
	const char		*path;
};

static void
later_cb(evutil_socket_t fd, short events, void *arg)
{
	struct later	*l = arg;

	start(l->pool, "GET", l->path, NULL, 0, l->r);
}

/* Cloudflare: a 429 blocks the whole account (token), so the pool pauses:
 * a request started after the 429 waits for the Retry-After too. */
START_TEST(test_429_pauses_pool)
{
	static const char *const rh[] = { "Retry-After: 1", NULL };
	struct http_pool	*pool = fast_pool("pause");
	struct result		 a = { 0 }, b = { 0 };
	struct later		 l = { pool, &b, "/b" };
	struct event		*ev;
	struct timeval		 tv = { 0, 200 * 1000 };
	uint64_t		 t0;

	httpd_expect(srv, "GET", "/a", 429, rh, NULL);
	httpd_expect(srv, "GET", "/a", 200, NULL, "a");
	httpd_expect(srv, "GET", "/b", 200, NULL, "b");
	t0 = now_ms();
	start(pool, "GET", "/a", NULL, 0, &a);
	ev = evtimer_new(base, later_cb, &l);
	evtimer_add(ev, &tv);
	run_until(2, 5000);
	event_free(ev);
	ck_assert_int_eq(a.status, 200);
	ck_assert_int_eq(b.status, 200);
	ck_assert_int_eq(b.attempts, 1);
	/* b never reached the server before the pause ended. */
	ck_assert_uint_eq(httpd_nrequests(srv), 3);
	ck_assert_str_eq(httpd_request(srv, 1)->path, "/a");
	ck_assert_str_eq(httpd_request(srv, 2)->path, "/b");
	ck_assert_uint_ge(httpd_request(srv, 2)->at_ms - t0, 990);
	result_clear(&a);
	result_clear(&b);
}
END_TEST

/* deSEC: Retry-After can be hours when a daily window is hit. Our rule: a
 * Retry-After above max_retry_after_ms is not waited for; the 429 comes
 * back at once with HTTP_ERR_THROTTLED and the pool pauses for
 * max_retry_after_ms. */
START_TEST(test_retry_after_over_cap)
{
	static const char *const rh[] = { "Retry-After: 3600", NULL };
	struct http_pool_config	 cfg;
	struct http_pool	*pool;
	struct result		 r1 = { .want_header = "retry-after" };
	struct result		 r2 = { 0 };
	uint64_t		 t0;

	fast_config(&cfg, "cap");
	cfg.max_retry_after_ms = 500;
	pool = http_pool_new(http, &cfg);
	httpd_expect(srv, "PUT", "/rrsets", 429, rh, "daily limit");
	httpd_expect(srv, "GET", "/rrsets", 200, NULL, "ok");
	start(pool, "PUT", "/rrsets", "[]", 0, &r1);
	run_until(1, 5000);
	t0 = now_ms();
	ck_assert_int_eq(r1.status, 429);
	ck_assert_int_eq(r1.err, HTTP_ERR_THROTTLED);
	ck_assert_str_eq(r1.error, http_strerror(HTTP_ERR_THROTTLED));
	ck_assert_int_eq(r1.attempts, 1);
	ck_assert_uint_lt(r1.elapsed_ms, 400);
	ck_assert_str_eq(r1.header, "3600");
	ck_assert_str_eq(r1.body, "daily limit");

	start(pool, "GET", "/rrsets", NULL, 0, &r2);
	run_until(2, 5000);
	ck_assert_int_eq(r2.status, 200);
	ck_assert_uint_ge(httpd_request(srv, 1)->at_ms - t0, 400);
	result_clear(&r1);
	result_clear(&r2);
}
END_TEST

static int
closed_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

/* Connection refused: nothing was sent, so every method is retried; the
 * caller gets status 0, HTTP_ERR_CONNECT and curl's error text. */
START_TEST(test_connection_refused)
{
	struct http_pool_config		 cfg;
	struct http_pool		*pool;
	struct http_pool_stats		 st;
	struct http_request_params	 p;
	struct result			 r1 = { 0 }, r2 = { 0 };
	char				 url[64];

	fast_config(&cfg, "refused");
	cfg.max_retries = 2;
	pool = http_pool_new(http, &cfg);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/x", closed_port());
	memset(&p, 0, sizeof p);
	p.url = url;
	p.cb = result_cb;
	p.arg = &r1;
	http_request_start(pool, &p);
	p.method = "POST";
	p.body = "{}";
	p.body_len = 2;
	p.arg = &r2;
	http_request_start(pool, &p);
	run_until(2, 5000);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_int_eq(r1.err, HTTP_ERR_CONNECT);
	ck_assert_int_eq(r1.attempts, 3);
	ck_assert_uint_gt(strlen(r1.error), 0);
	ck_assert_str_eq(r1.body, "");
	ck_assert_int_eq(r2.err, HTTP_ERR_CONNECT);
	ck_assert_int_eq(r2.attempts, 3);
	http_pool_stats(pool, &st);
	ck_assert_uint_eq(st.errors, 2);
	ck_assert_uint_eq(st.retries, 4);
	result_clear(&r1);
	result_clear(&r2);
}
END_TEST

/* The total timeout bounds an attempt against a server that never
 * answers in time; GET retries it, POST (body sent) does not. */
START_TEST(test_timeout)
{
	struct http_pool_config	 cfg;
	struct http_pool	*pool;
	struct result		 r1 = { 0 }, r2 = { 0 };
	struct httpd_reply	 rep = { .path = "/slow", .status = 200,
				    .body = "late", .delay_ms = 3000,
				    .repeat = -1 };

	fast_config(&cfg, "timeout");
	cfg.timeout_ms = 300;
	cfg.max_retries = 1;
	pool = http_pool_new(http, &cfg);
	httpd_script(srv, &rep);
	start(pool, "GET", "/slow", NULL, 0, &r1);
	start(pool, "POST", "/slow", "{}", 0, &r2);
	run_until(2, 5000);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_int_eq(r1.err, HTTP_ERR_TIMEOUT);
	ck_assert_int_eq(r1.attempts, 2);
	ck_assert_uint_ge(r1.elapsed_ms, 590);
	ck_assert_uint_lt(r1.elapsed_ms, 2500);
	ck_assert_int_eq(r2.err, HTTP_ERR_TIMEOUT);
	ck_assert_int_eq(r2.attempts, 1);
	ck_assert_uint_ge(r2.elapsed_ms, 290);
	ck_assert_uint_lt(r2.elapsed_ms, 2000);
	ck_assert_uint_eq(httpd_nrequests(srv), 3);
	result_clear(&r1);
	result_clear(&r2);
}
END_TEST

/* A body over max_body is an error, never truncated data: with
 * Content-Length (curl refuses up front) and chunked (write callback). */
START_TEST(test_body_too_large)
{
	struct http_pool_config	 cfg;
	struct http_pool	*pool;
	struct result		 r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
	char			*big;
	struct httpd_reply	 rep = { .path = "/chunked", .status = 200,
				    .chunked = 1 };

	big = xmalloc(2049);
	memset(big, 'z', 2048);
	big[2048] = '\0';
	fast_config(&cfg, "big");
	cfg.max_body = 1024;
	pool = http_pool_new(http, &cfg);
	httpd_expect(srv, "GET", "/big", 200, NULL, big);
	rep.body = big;
	httpd_script(srv, &rep);
	big[1024] = '\0';
	httpd_expect(srv, "GET", "/exact", 200, NULL, big);
	free(big);

	start(pool, "GET", "/big", NULL, 0, &r1);
	start(pool, "GET", "/chunked", NULL, 0, &r2);
	start(pool, "GET", "/exact", NULL, 0, &r3);
	run_until(3, 5000);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_int_eq(r1.err, HTTP_ERR_TOO_LARGE);
	ck_assert_uint_eq(r1.body_len, 0);
	ck_assert_int_eq(r1.attempts, 1);
	ck_assert_str_eq(r1.error, "response larger than 1024 bytes");
	ck_assert_int_eq(r2.status, 0);
	ck_assert_int_eq(r2.err, HTTP_ERR_TOO_LARGE);
	ck_assert_uint_eq(r2.body_len, 0);
	ck_assert_int_eq(r2.attempts, 1);
	ck_assert_int_eq(r3.status, 200);
	ck_assert_int_eq(r3.err, HTTP_OK);
	ck_assert_uint_eq(r3.body_len, 1024);
	ck_assert_uint_eq(httpd_nrequests(srv), 3);
	result_clear(&r1);
	result_clear(&r2);
	result_clear(&r3);
}
END_TEST

/* --- pools: concurrency, rate ------------------------------------------ */

/* max_concurrent: never more in flight than allowed, the rest FIFO. */
START_TEST(test_concurrency)
{
	struct http_pool_config	 cfg;
	struct http_pool	*pool;
	struct http_pool_stats	 st;
	struct result		 r[6];
	struct httpd_reply	 rep = { .path = "/slow", .status = 200,
				    .body = "ok", .delay_ms = 200,
				    .repeat = -1 };
	uint64_t		 t0;
	int			 i;

	memset(r, 0, sizeof r);
	fast_config(&cfg, "conc");
	cfg.max_concurrent = 2;
	pool = http_pool_new(http, &cfg);
	httpd_script(srv, &rep);
	t0 = now_ms();
	for (i = 0; i < 6; i++)
		start(pool, "GET", "/slow", NULL, 0, &r[i]);
	http_pool_stats(pool, &st);
	ck_assert_uint_eq(st.in_flight, 2);
	ck_assert_uint_eq(st.queued, 4);
	run_until(6, 5000);
	ck_assert_uint_ge(now_ms() - t0, 590);
	ck_assert_uint_eq(httpd_max_concurrent(srv), 2);
	ck_assert_uint_eq(httpd_nrequests(srv), 6);
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(r[i].status, 200);
		result_clear(&r[i]);
	}
	/* FIFO: the first two finish before the last two. */
	ck_assert_int_lt(r[0].order, r[4].order);
	ck_assert_int_lt(r[1].order, r[5].order);
	http_pool_stats(pool, &st);
	ck_assert_uint_eq(st.in_flight, 0);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(st.completed, 6);
}
END_TEST

/* Route 53 classic limit 5 requests/s: a token bucket of rate 5, burst 1
 * spaces 10 requests over at least 1.8 s. */
START_TEST(test_rate_limit)
{
	struct http_pool_config	 cfg;
	struct http_pool	*pool;
	struct result		 r[10];
	struct httpd_reply	 rep = { .path = "/r", .status = 200,
				    .body = "ok", .repeat = -1 };
	uint64_t		 t0, gap;
	size_t			 i;

	memset(r, 0, sizeof r);
	fast_config(&cfg, "rate");
	cfg.rate = 5;
	cfg.burst = 1;
	cfg.max_concurrent = 10;
	pool = http_pool_new(http, &cfg);
	httpd_script(srv, &rep);
	t0 = now_ms();
	for (i = 0; i < 10; i++)
		start(pool, "GET", "/r", NULL, 0, &r[i]);
	run_until(10, 6000);
	ck_assert_uint_ge(now_ms() - t0, 1750);
	ck_assert_uint_lt(now_ms() - t0, 4000);
	ck_assert_uint_eq(httpd_nrequests(srv), 10);
	for (i = 1; i < 10; i++) {
		gap = httpd_request(srv, i)->at_ms -
		    httpd_request(srv, i - 1)->at_ms;
		ck_assert_uint_ge(gap, 150);
	}
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(r[i].status, 200);
		result_clear(&r[i]);
	}
}
END_TEST

/* --- cancel and teardown -------------------------------------------- */

struct cancel_ctx {
	struct http_request	*victim;
	struct http_request	*self;
	struct http_pool	*pool;
	struct result		*next;
};

static void
cancel_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct cancel_ctx	*c = arg;

	http_cancel(c->victim);
	start(c->pool, "GET", "/after", NULL, 0, c->next);
}

static void
cancel_in_cb(const struct http_response *resp, void *arg)
{
	struct cancel_ctx	*c = arg;

	http_cancel(c->victim);
	http_cancel(c->self);	/* its own handle: a no-op */
	done++;
}

/* http_cancel on a queued and on an in-flight request, from a timer and
 * from another request's callback: callbacks never run, nothing leaks,
 * and the slot is given to the next request. */
START_TEST(test_cancel)
{
	struct http_pool_config		 cfg;
	struct http_pool		*pool;
	struct http_pool_stats		 st;
	struct http_request_params	 p;
	struct http_request		*a, *b;
	struct result			 c = { 0 };
	struct cancel_ctx		 ctx, ctx2;
	struct event			*ev;
	struct timeval			 tv = { 0, 100 * 1000 };
	struct httpd_reply		 rep = { .path = "/slow", .status = 200,
					    .body = "late", .delay_ms = 400 };
	char				*url;

	fast_config(&cfg, "cancel");
	cfg.max_concurrent = 1;
	pool = http_pool_new(http, &cfg);
	httpd_script(srv, &rep);
	httpd_expect(srv, "GET", "/after", 200, NULL, "after");
	httpd_expect(srv, "GET", "/d", 200, NULL, "d");

	url = httpd_url(srv, "/slow");
	memset(&p, 0, sizeof p);
	p.url = url;
	p.cb = never_cb;
	a = http_request_start(pool, &p);	/* in flight */
	b = http_request_start(pool, &p);	/* queued */
	free(url);
	http_cancel(b);
	http_pool_stats(pool, &st);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(st.in_flight, 1);

	ctx.victim = a;
	ctx.pool = pool;
	ctx.next = &c;
	ev = evtimer_new(base, cancel_timer_cb, &ctx);
	evtimer_add(ev, &tv);
	run_until(1, 5000);
	event_free(ev);
	ck_assert_int_eq(c.status, 200);
	ck_assert_str_eq(c.body, "after");

	/* From inside a callback: d's callback cancels the queued e. */
	url = httpd_url(srv, "/d");
	memset(&p, 0, sizeof p);
	p.url = url;
	p.cb = cancel_in_cb;
	p.arg = &ctx2;
	ctx2.self = http_request_start(pool, &p);
	p.cb = never_cb;
	p.arg = NULL;
	ctx2.victim = http_request_start(pool, &p);
	free(url);
	run_until(2, 5000);
	run_for(100);
	ck_assert_int_eq(done, 2);

	http_pool_stats(pool, &st);
	ck_assert_uint_eq(st.cancelled, 3);
	ck_assert_uint_eq(st.completed, 2);
	ck_assert_uint_eq(st.in_flight, 0);
	ck_assert_uint_eq(st.queued, 0);
	/* a reached the server, b and e never did. */
	ck_assert_uint_eq(httpd_nrequests(srv), 3);
	result_clear(&c);
}
END_TEST

static void
free_pool_cb(const struct http_response *resp, void *arg)
{
	struct http_pool	**pool = arg;

	done++;
	http_pool_free(*pool);
	*pool = NULL;
}

/* http_pool_free cancels its requests (also from inside one of its own
 * callbacks); http_free with requests in flight frees everything. */
START_TEST(test_free_in_flight)
{
	struct http_pool_config		 cfg;
	struct http_pool		*p1, *p2, *p3;
	struct http_request_params	 p;
	struct httpd_reply		 rep = { .path = "/slow", .status = 200,
					    .body = "late", .delay_ms = 500,
					    .repeat = -1 };
	char				*url;
	int				 i;

	httpd_script(srv, &rep);
	httpd_expect(srv, "GET", "/fast", 200, NULL, "fast");
	fast_config(&cfg, "free");
	cfg.max_concurrent = 2;
	p1 = http_pool_new(http, &cfg);
	p2 = http_pool_new(http, &cfg);
	cfg.max_concurrent = 1;
	p3 = http_pool_new(http, &cfg);

	url = httpd_url(srv, "/slow");
	memset(&p, 0, sizeof p);
	p.url = url;
	p.cb = never_cb;
	for (i = 0; i < 3; i++) {
		http_request_start(p1, &p);
		http_request_start(p2, &p);
	}
	free(url);

	/* p3: the first callback frees its own pool with one queued. */
	url = httpd_url(srv, "/fast");
	p.url = url;
	p.cb = free_pool_cb;
	p.arg = &p3;
	http_request_start(p3, &p);
	p.cb = never_cb;
	p.arg = NULL;
	http_request_start(p3, &p);
	free(url);

	run_until(1, 5000);
	ck_assert_ptr_null(p3);
	run_for(100);
	http_pool_free(p1);		/* two in flight, one queued */
	run_for(100);
	ck_assert_int_eq(done, 1);
	/* p2 still has requests in flight: http_free takes them down. */
	http_free(http);
	http = NULL;
	run_for(600);
	ck_assert_int_eq(done, 1);
}
END_TEST

static void
chain_cb(const struct http_response *resp, void *arg)
{
	struct http_pool	*pool = arg;
	struct http_request_params p;
	char			*url;

	ck_assert_int_eq(resp->status, 200);
	if (++done >= 5)
		return;
	url = httpd_url(srv, "/seq");
	memset(&p, 0, sizeof p);
	p.url = url;
	p.cb = chain_cb;
	p.arg = pool;
	http_request_start(pool, &p);
	free(url);
}

/* RFC 9112 9.3 persistent connections: five sequential requests share
 * one TCP connection through the multi handle's connection cache. */
START_TEST(test_connection_reuse)
{
	struct http_pool		*pool = fast_pool("reuse");
	struct http_request_params	 p;
	struct httpd_reply		 rep = { .path = "/seq", .status = 200,
					    .body = "ok", .repeat = -1 };
	char				*url;
	size_t				 i;

	httpd_script(srv, &rep);
	url = httpd_url(srv, "/seq");
	memset(&p, 0, sizeof p);
	p.url = url;
	p.cb = chain_cb;
	p.arg = pool;
	http_request_start(pool, &p);
	free(url);
	run_until(5, 5000);
	ck_assert_uint_eq(httpd_nrequests(srv), 5);
	ck_assert_uint_eq(httpd_connections(srv), 1);
	for (i = 0; i < 5; i++)
		ck_assert_uint_eq(httpd_request(srv, i)->conn, 1);
}
END_TEST

/* --- hooks and policy ------------------------------------------------ */

static int	setup_calls;

static void
setup_cb(CURL *easy, void *arg)
{
	setup_calls++;
	curl_easy_setopt(easy, CURLOPT_USERPWD, "user:pass");
}

/* The setup hook runs before every attempt (Route 53 CURLOPT_AWS_SIGV4,
 * PowerDNS/basic auth): here CURLOPT_USERPWD on a request retried once. */
START_TEST(test_setup_hook)
{
	struct http_pool		*pool = fast_pool("setup");
	struct http_request_params	 p;
	struct result			 r = { 0 };
	char				*url;

	setup_calls = 0;
	httpd_expect(srv, "GET", "/auth", 500, NULL, NULL);
	httpd_expect(srv, "GET", "/auth", 200, NULL, "in");
	url = httpd_url(srv, "/auth");
	memset(&p, 0, sizeof p);
	p.url = url;
	p.setup = setup_cb;
	p.cb = result_cb;
	p.arg = &r;
	http_request_start(pool, &p);
	free(url);
	run_until(1, 5000);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.attempts, 2);
	ck_assert_int_eq(setup_calls, 2);
	ck_assert_str_eq(httpd_request_header(httpd_request(srv, 1),
	    "Authorization"), "Basic dXNlcjpwYXNz");
	result_clear(&r);
}
END_TEST

static enum http_verdict
route53_classify(const struct http_response *resp, void *arg)
{
	(*(int *)arg)++;
	if (resp->status == 400 &&
	    strstr(resp->body, "<Code>Throttling</Code>") != NULL)
		return (HTTP_VERDICT_THROTTLED);
	return (HTTP_VERDICT_DEFAULT);
}

/* Route 53: throttling is HTTP 400 + <Code>Throttling</Code>, not 429;
 * the pool's classify callback turns it into a throttled retry, while a
 * plain 400 stays final. */
START_TEST(test_classify_route53)
{
	struct http_pool_config	 cfg;
	struct http_pool	*pool;
	struct http_pool_stats	 st;
	struct result		 r1 = { 0 }, r2 = { 0 };
	int			 calls = 0;

	fast_config(&cfg, "route53");
	cfg.classify = route53_classify;
	cfg.classify_arg = &calls;
	pool = http_pool_new(http, &cfg);
	httpd_expect(srv, "POST", "/2013-04-01/hostedzone/Z1/rrset", 400, NULL,
	    "<ErrorResponse><Error><Code>Throttling</Code>"
	    "<Message>Rate exceeded</Message></Error></ErrorResponse>");
	httpd_expect(srv, "POST", "/2013-04-01/hostedzone/Z1/rrset", 200, NULL,
	    "<ChangeInfo/>");
	httpd_expect(srv, "POST", "/2013-04-01/hostedzone/Z2/rrset", 400, NULL,
	    "<Code>InvalidChangeBatch</Code>");
	start(pool, "POST", "/2013-04-01/hostedzone/Z1/rrset", "<x/>", 0, &r1);
	run_until(1, 5000);
	start(pool, "POST", "/2013-04-01/hostedzone/Z2/rrset", "<x/>", 0, &r2);
	run_until(2, 5000);
	ck_assert_int_eq(r1.status, 200);
	ck_assert_int_eq(r1.attempts, 2);
	ck_assert_int_eq(r2.status, 400);
	ck_assert_int_eq(r2.attempts, 1);
	ck_assert_int_eq(calls, 3);
	http_pool_stats(pool, &st);
	ck_assert_uint_eq(st.throttled, 1);
	result_clear(&r1);
	result_clear(&r2);
}
END_TEST

/* Redirects are not followed (they would carry auth headers elsewhere);
 * only http and https URLs are accepted. */
START_TEST(test_no_redirect_protocols)
{
	static const char *const rh[] = {
		"Location: http://127.0.0.1:1/elsewhere", NULL
	};
	struct http_pool		*pool = fast_pool("redir");
	struct http_request_params	 p;
	struct result			 r1 = { .want_header = "location" };
	struct result			 r2 = { 0 };

	httpd_expect(srv, "GET", "/moved", 302, rh, NULL);
	start(pool, "GET", "/moved", NULL, 0, &r1);
	memset(&p, 0, sizeof p);
	p.url = "file:///etc/passwd";
	p.cb = result_cb;
	p.arg = &r2;
	http_request_start(pool, &p);
	run_until(2, 5000);
	ck_assert_int_eq(r1.status, 302);
	ck_assert_int_eq(r1.attempts, 1);
	ck_assert_str_eq(r1.header, "http://127.0.0.1:1/elsewhere");
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
	ck_assert_int_eq(r2.status, 0);
	ck_assert_int_eq(r2.err, HTTP_ERR_TRANSPORT);
	ck_assert_int_eq(r2.attempts, 1);
	ck_assert_str_eq(r2.body, "");
	result_clear(&r1);
	result_clear(&r2);
}
END_TEST

/* RFC 9110 10.2.3: both Retry-After forms, clamped and validated. */
START_TEST(test_retry_after_parse)
{
	unsigned	s = 12345;
	time_t		now = 1700000000;

	ck_assert_int_eq(http_retry_after_parse("120", now, &s), 0);
	ck_assert_uint_eq(s, 120);
	ck_assert_int_eq(http_retry_after_parse(" 5 ", now, &s), 0);
	ck_assert_uint_eq(s, 5);
	ck_assert_int_eq(http_retry_after_parse("0", now, &s), 0);
	ck_assert_uint_eq(s, 0);
	/* 1700000000 is Tue, 14 Nov 2023 22:13:20 GMT. */
	ck_assert_int_eq(http_retry_after_parse(
	    "Tue, 14 Nov 2023 22:14:20 GMT", now, &s), 0);
	ck_assert_uint_eq(s, 60);
	ck_assert_int_eq(http_retry_after_parse(
	    "Tue, 14 Nov 2023 22:00:00 GMT", now, &s), 0);
	ck_assert_uint_eq(s, 0);
	ck_assert_int_eq(http_retry_after_parse("99999999999999", now, &s), 0);
	ck_assert_uint_eq(s, UINT_MAX / 1000);
	s = 7;
	ck_assert_int_eq(http_retry_after_parse("soon", now, &s), -1);
	ck_assert_int_eq(http_retry_after_parse("", now, &s), -1);
	ck_assert_int_eq(http_retry_after_parse("12abc", now, &s), -1);
	ck_assert_uint_eq(s, 7);
	ck_assert_str_eq(http_strerror(HTTP_ERR_TOO_LARGE),
	    "response too large");
}
END_TEST

/* The test server itself: scripted order, method/path/query matching,
 * unmatched requests answered 404, close and reset without answering. */
START_TEST(test_httpd_script)
{
	struct http_pool	*pool = fast_pool("httpd");
	struct result		 r[5];
	struct httpd_reply	 rep = { .path = "/drop", .action = HTTPD_CLOSE };
	struct httpd_reply	 rst = { .path = "/rst", .action = HTTPD_RESET };
	int			 i;

	memset(r, 0, sizeof r);
	httpd_expect(srv, "GET", "/q?x=1", 200, NULL, "query");
	httpd_expect(srv, "DELETE", "/q", 204, NULL, NULL);
	httpd_script(srv, &rep);
	httpd_script(srv, &rst);
	start(pool, "GET", "/q?x=1", NULL, HTTP_REQ_NO_RETRY, &r[0]);
	start(pool, "GET", "/nothing", NULL, 0, &r[1]);
	start(pool, "DELETE", "/q", NULL, 0, &r[2]);
	start(pool, "GET", "/drop", NULL, HTTP_REQ_NO_RETRY, &r[3]);
	start(pool, "GET", "/rst", NULL, HTTP_REQ_NO_RETRY, &r[4]);
	run_until(5, 5000);
	ck_assert_int_eq(r[0].status, 200);
	ck_assert_str_eq(r[0].body, "query");
	ck_assert_int_eq(r[1].status, 404);
	ck_assert_int_eq(r[2].status, 204);
	ck_assert_int_eq(r[3].status, 0);
	ck_assert_int_eq(r[3].err, HTTP_ERR_TRANSPORT);
	ck_assert_int_eq(r[3].attempts, 1);
	ck_assert_int_eq(r[4].status, 0);
	ck_assert_int_eq(r[4].err, HTTP_ERR_TRANSPORT);
	ck_assert_uint_gt(strlen(r[4].error), 0);
	ck_assert_uint_eq(httpd_unmatched(srv), 1);
	ck_assert_uint_eq(httpd_pending_scripts(srv), 0);
	ck_assert_uint_eq(httpd_nrequests(srv), 5);
	for (i = 0; i < 5; i++)
		result_clear(&r[i]);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite	*s = suite_create("http");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_get_ok);
	tcase_add_test(tc, test_post_echo);
	tcase_add_test(tc, test_404_no_retry);
	tcase_add_test(tc, test_500_retry_get);
	tcase_add_test(tc, test_500_retries_exhausted);
	tcase_add_test(tc, test_post_500_not_retried);
	tcase_add_test(tc, test_429_retry_after_seconds);
	tcase_add_test(tc, test_429_http_date);
	tcase_add_test(tc, test_429_backoff);
	tcase_add_test(tc, test_429_pauses_pool);
	tcase_add_test(tc, test_retry_after_over_cap);
	tcase_add_test(tc, test_connection_refused);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_body_too_large);
	tcase_add_test(tc, test_concurrency);
	tcase_add_test(tc, test_rate_limit);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_free_in_flight);
	tcase_add_test(tc, test_connection_reuse);
	tcase_add_test(tc, test_setup_hook);
	tcase_add_test(tc, test_classify_route53);
	tcase_add_test(tc, test_no_redirect_protocols);
	tcase_add_test(tc, test_retry_after_parse);
	tcase_add_test(tc, test_httpd_script);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(http_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
