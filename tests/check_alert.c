/*
 * check_alert.c: events and webhook delivery through the outbox, with the
 * scripted test server (tests/httpd) as the receiver on the same loop.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "alert.h"
#include "config.h"
#include "control.h"
#include "db.h"
#include "http.h"
#include "httpd.h"
#include "log.h"
#include "xmalloc.h"

#define SECRET	"s3cr3t-never-in-logs-7f1d"
#define NITEMS_SEQ(a)	(sizeof(a) / sizeof((a)[0]))

static struct event_base	*base;
static struct http		*http;
static struct httpd		*srv;
static struct db		*db;
static struct config		*conf;
static struct alert		*al;
static char			 dir[PATH_MAX];
static char			 state[PATH_MAX + 32];

static void
deadline_cb(evutil_socket_t fd, short events, void *arg)
{
	*(int *)arg = 1;
}

/* Run the loop until the server has n requests, or fail after ms. */
static void
run_until(size_t n, unsigned ms)
{
	struct event	*ev;
	struct timeval	 tv;
	int		 expired = 0;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	ev = evtimer_new(base, deadline_cb, &expired);
	evtimer_add(ev, &tv);
	while (httpd_nrequests(srv) < n && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	ck_assert_msg(httpd_nrequests(srv) >= n, "only %zu of %zu requests "
	    "in %u ms", httpd_nrequests(srv), n, ms);
}

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
write_file(const char *path, const char *text, mode_t mode)
{
	FILE	*fp;

	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* A config with the given [daemon] extras and webhook sections. */
static struct config *
make_conf(const char *daemon_extra, const char *webhooks)
{
	struct config	*c;
	char		 path[PATH_MAX + 32], err[1024], *text;

	snprintf(path, sizeof(path), "%s/multidns.conf", dir);
	xasprintf(&text, "[daemon]\nstate = %s\n%s\n"
	    "[store]\ntype = directory\npath = zones\n"
	    "[provider \"p\"]\ntype = rfc2136\nserver = 127.0.0.1\n"
	    "[zone \"example.com\"]\nproviders = p\n%s", state,
	    daemon_extra != NULL ? daemon_extra : "", webhooks);
	write_file(path, text, 0600);
	free(text);
	c = config_load(path, err, sizeof(err));
	ck_assert_msg(c != NULL, "config: %s", err);
	return (c);
}

/* One webhook "w" at the test server, plus extra keys. */
static struct config *
one_hook(const char *extra)
{
	struct config	*c;
	char		*url, *text;

	url = httpd_url(srv, "/hook");
	xasprintf(&text, "[webhook \"w\"]\nurl = %s\n%s\n", url,
	    extra != NULL ? extra : "");
	c = make_conf(NULL, text);
	free(text);
	free(url);
	return (c);
}

static void
start(struct config *c)
{
	char	err[512];

	config_free(conf);
	conf = c;
	al = alert_new(base, db, http, conf, err, sizeof(err));
	ck_assert_msg(al != NULL, "alert_new: %s", err);
	alert_set_backoff(al, 1, 8, 0);
}

static void
setup(void)
{
	char	tmpl[] = "/tmp/check_alert.XXXXXX", err[512], *real;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	real = realpath(tmpl, NULL);
	snprintf(dir, sizeof(dir), "%s", real);
	free(real);
	snprintf(state, sizeof(state), "%s/state.db", dir);
	base = event_base_new();
	http = http_new(base);
	srv = httpd_new(base);
	db = db_open(state, err, sizeof(err));
	ck_assert_msg(db != NULL, "db_open: %s", err);
	conf = NULL;
	al = NULL;
}

static void
teardown(void)
{
	char	cmd[PATH_MAX + 16];

	alert_free(al);
	config_free(conf);
	db_close(db);
	httpd_free(srv);
	http_free(http);
	event_base_free(base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Raise one event of type t with a key; returns alert_raise()'s answer. */
static int
raise_ev(enum alert_type t, const char *key, const char *summary)
{
	struct alert_event	 ev;
	cJSON			*details;
	int			 rv;

	details = cJSON_CreateObject();
	cJSON_AddStringToObject(details, "key", key);
	memset(&ev, 0, sizeof(ev));
	ev.type = t;
	ev.zone = "example.com.";
	ev.provider = "p";
	ev.key = key;
	ev.summary = summary;
	ev.details = details;
	rv = alert_raise(al, &ev);
	cJSON_Delete(details);
	return (rv);
}

/* `dnsctl alerts` as the daemon answers it. */
static cJSON *
ctl_alerts(const char *args)
{
	struct control_request	 req;
	struct control_reply	 reply;
	cJSON			*a;

	a = cJSON_Parse(args != NULL ? args : "{}");
	memset(&req, 0, sizeof(req));
	memset(&reply, 0, sizeof(reply));
	req.cmd = CTL_CMD_ALERTS;
	req.args = a;
	ck_assert_int_eq(alert_ctl_alerts(al, &req, &reply), CONTROL_DONE);
	cJSON_Delete(a);
	ck_assert_msg(reply.code == NULL, "alerts: %s: %s", reply.code,
	    reply.message);
	return (reply.result);
}

/* The rows of `alerts` matching type (NULL = any) and state (NULL = any). */
static int
count_rows(const cJSON *r, const char *type, const char *st)
{
	const cJSON	*row;
	const char	*t, *s;
	int		 n = 0;

	cJSON_ArrayForEach(row, cJSON_GetObjectItem(r, "alerts")) {
		t = cJSON_GetStringValue(cJSON_GetObjectItem(row, "type"));
		s = cJSON_GetStringValue(cJSON_GetObjectItem(row, "state"));
		if ((type == NULL || strcmp(t, type) == 0) &&
		    (st == NULL || strcmp(s, st) == 0))
			n++;
	}
	return (n);
}

static cJSON *
req_json(size_t i)
{
	const struct httpd_request	*rq = httpd_request(srv, i);
	cJSON				*j;

	j = cJSON_Parse(rq->body);
	ck_assert_msg(cJSON_IsObject(j), "request %zu body is not a JSON "
	    "object: %s", i, rq->body);
	return (j);
}

static const char *
jstr(const cJSON *o, const char *key)
{
	return (cJSON_GetStringValue(cJSON_GetObjectItem(o, key)));
}

/* A closed port on loopback: connecting is refused. */
static int
closed_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

/* Recompute the signature the way a receiver would. */
static int
signature_ok(const char *secret, const char *ts, const char *body,
    const char *header)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	char		 want[7 + 2 * EVP_MAX_MD_SIZE + 1], *msg;

	xasprintf(&msg, "%s.%s", ts, body);
	HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (unsigned char *)msg, strlen(msg), md, &mdlen);
	free(msg);
	strcpy(want, "sha256=");
	for (i = 0; i < mdlen; i++)
		snprintf(want + 7 + 2 * i, 3, "%02x", md[i]);
	return (header != NULL && strcmp(want, header) == 0);
}

/* Ids: stable for one occurrence, distinct for distinct ones. */
START_TEST(test_event_id)
{
	struct alert_event	a, b;
	char			ia[ALERT_ID_LEN + 1], ib[ALERT_ID_LEN + 1];
	size_t			i;

	memset(&a, 0, sizeof(a));
	a.type = ALERT_APPLY_FAILED;
	a.time = 1700000000;		/* bucket of 3600 s */
	a.zone = "example.com.";
	a.provider = "p";
	a.key = "v1";
	a.summary = "x";
	alert_event_id(&a, ia);
	ck_assert_uint_eq(strlen(ia), ALERT_ID_LEN);
	for (i = 0; i < ALERT_ID_LEN; i++)
		ck_assert(strchr("0123456789abcdef", ia[i]) != NULL);

	/* Same occurrence, later in the same bucket, other summary. */
	b = a;
	b.time = a.time + 10;
	b.summary = "y";
	alert_event_id(&b, ib);
	ck_assert_str_eq(ia, ib);

	/* Each part of the identity changes the id. */
	b = a;
	b.key = "v2";
	alert_event_id(&b, ib);
	ck_assert_str_ne(ia, ib);
	b = a;
	b.provider = "q";
	alert_event_id(&b, ib);
	ck_assert_str_ne(ia, ib);
	b = a;
	b.zone = "example.net.";
	alert_event_id(&b, ib);
	ck_assert_str_ne(ia, ib);
	b = a;
	b.type = ALERT_CHANGE_REFUSED;
	alert_event_id(&b, ib);
	ck_assert_str_ne(ia, ib);
	b = a;
	b.time = a.time + 3600;		/* next bucket */
	alert_event_id(&b, ib);
	ck_assert_str_ne(ia, ib);
	/* "zone a, provider bc" is not "zone ab, provider c". */
	b = a;
	b.zone = "example.com.p";
	b.provider = "";
	alert_event_id(&b, ib);
	ck_assert_str_ne(ia, ib);

	/* No bucket: the key alone, whatever the time. */
	a.window = ALERT_WINDOW_NONE;
	alert_event_id(&a, ia);
	b = a;
	b.time = a.time + 86400 * 365;
	alert_event_id(&b, ib);
	ck_assert_str_eq(ia, ib);

	/* Names round-trip; unknown names are refused. */
	for (i = 0; i < ALERT_TYPE_MAX; i++) {
		enum alert_type t;

		ck_assert_int_eq(alert_type_from_name(alert_type_name(
		    (enum alert_type)i), &t), 0);
		ck_assert_int_eq(t, (int)i);
	}
	{
		enum alert_type t;

		ck_assert_int_eq(alert_type_from_name("drift", &t), -1);
	}
}
END_TEST

/* One event: stored, delivered once, schema, headers, valid signature. */
START_TEST(test_deliver_json_signed)
{
	const struct httpd_request	*rq;
	cJSON				*j, *r, *d;
	char				 path[PATH_MAX + 32], *extra;
	const char			*ts, *sig;
	time_t				 now = time(NULL), t;
	struct tm			 tm;

	snprintf(path, sizeof(path), "%s/secret", dir);
	write_file(path, SECRET "\n", 0600);
	xasprintf(&extra, "secret-file = %s", path);
	httpd_expect(srv, "POST", "/hook", 200, NULL, "ok");
	start(one_hook(extra));
	free(extra);

	ck_assert_int_eq(raise_ev(ALERT_APPLY_FAILED, "v1", "apply failed"),
	    1);
	/* Written before any attempt: pending, nothing sent yet. */
	ck_assert_uint_eq(httpd_nrequests(srv), 0);
	r = ctl_alerts(NULL);
	ck_assert_int_eq(count_rows(r, "apply-failed", "pending"), 1);
	cJSON_Delete(r);
	/* The same occurrence again is no new event. */
	ck_assert_int_eq(raise_ev(ALERT_APPLY_FAILED, "v1", "apply failed"),
	    0);

	run_until(1, 5000);
	run_for(1500);
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
	rq = httpd_request(srv, 0);
	ck_assert_str_eq(rq->method, "POST");
	ck_assert_str_eq(rq->path, "/hook");
	ck_assert_str_eq(httpd_request_header(rq, "Content-Type"),
	    "application/json");

	j = req_json(0);
	ck_assert_int_eq(cJSON_GetObjectItem(j, "schema")->valueint,
	    ALERT_SCHEMA);
	ck_assert_uint_eq(strlen(jstr(j, "id")), ALERT_ID_LEN);
	ck_assert_str_eq(jstr(j, "id"), httpd_request_header(rq,
	    "X-Multidns-Event-Id"));
	ck_assert_str_eq(jstr(j, "type"), "apply-failed");
	ck_assert_str_eq(httpd_request_header(rq, "X-Multidns-Event-Type"),
	    "apply-failed");
	ck_assert_str_eq(jstr(j, "zone"), "example.com.");
	ck_assert_str_eq(jstr(j, "provider"), "p");
	ck_assert_str_eq(jstr(j, "severity"), "critical");
	ck_assert_str_eq(jstr(j, "summary"), "apply failed");
	d = cJSON_GetObjectItem(j, "details");
	ck_assert(cJSON_IsObject(d));
	ck_assert_str_eq(jstr(d, "key"), "v1");
	/* RFC 3339 UTC, this second or the one before. */
	memset(&tm, 0, sizeof(tm));
	ck_assert_ptr_nonnull(strptime(jstr(j, "time"), "%Y-%m-%dT%H:%M:%SZ",
	    &tm));
	ck_assert_uint_eq(strlen(jstr(j, "time")), 20);
	t = timegm(&tm);
	ck_assert_int_le(labs((long)(t - now)), 2);

	/* The signature verifies; the same with another body does not. */
	ts = httpd_request_header(rq, "X-Multidns-Timestamp");
	sig = httpd_request_header(rq, "X-Multidns-Signature");
	ck_assert_ptr_nonnull(ts);
	ck_assert_ptr_nonnull(sig);
	ck_assert_int_le(labs(atol(ts) - (long)time(NULL)), 5);
	ck_assert_msg(signature_ok(SECRET, ts, rq->body, sig),
	    "signature does not verify");
	ck_assert(!signature_ok(SECRET, ts, "{}", sig));
	ck_assert(!signature_ok("other", ts, rq->body, sig));
	cJSON_Delete(j);

	r = ctl_alerts(NULL);
	ck_assert_int_eq(count_rows(r, "apply-failed", "delivered"), 1);
	ck_assert_int_eq(count_rows(r, NULL, NULL), 1);
	ck_assert_int_eq(cJSON_GetObjectItem(r, "pending")->valueint, 0);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(r, "attention")));
	cJSON_Delete(r);
}
END_TEST

/* 500 twice, then 200: delivered on attempt 3, after 1 s then 2 s. */
START_TEST(test_retry_backoff)
{
	const struct httpd_request	*r0, *r1, *r2;
	cJSON				*r, *row;
	uint64_t			 gap1, gap2;

	httpd_expect(srv, "POST", "/hook", 500, NULL, "no");
	httpd_expect(srv, "POST", "/hook", 500, NULL, "no");
	httpd_expect(srv, "POST", "/hook", 204, NULL, NULL);
	start(one_hook(NULL));
	ck_assert_int_eq(raise_ev(ALERT_DRIFT_FOUND, "d1", "drift"), 1);
	run_until(3, 10000);
	run_for(1500);
	ck_assert_uint_eq(httpd_nrequests(srv), 3);
	r0 = httpd_request(srv, 0);
	r1 = httpd_request(srv, 1);
	r2 = httpd_request(srv, 2);
	/* Same event each time. */
	ck_assert_str_eq(httpd_request_header(r0, "X-Multidns-Event-Id"),
	    httpd_request_header(r2, "X-Multidns-Event-Id"));
	gap1 = r1->at_ms - r0->at_ms;
	gap2 = r2->at_ms - r1->at_ms;
	ck_assert_msg(gap1 >= 1000 && gap1 < 2200, "first backoff %llu ms",
	    (unsigned long long)gap1);
	ck_assert_msg(gap2 >= 2000 && gap2 < 3200, "second backoff %llu ms",
	    (unsigned long long)gap2);

	r = ctl_alerts(NULL);
	row = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "alerts"), 0);
	ck_assert_str_eq(jstr(row, "state"), "delivered");
	ck_assert_int_eq(cJSON_GetObjectItem(row, "attempts")->valueint, 3);
	cJSON_Delete(r);
}
END_TEST

/*
 * The receiver is down while 5 events fire; the daemon "restarts" (alert
 * and database closed and reopened); the receiver comes back: every event
 * arrives, each id exactly once.
 */
START_TEST(test_restart_delivers_pending)
{
	char		 text[256], ids[5][ALERT_ID_LEN + 1], key[8];
	cJSON		*r, *j;
	size_t		 i, k;
	int		 seen[5] = { 0 };
	char		 err[512];
	struct alert_event ev;

	snprintf(text, sizeof(text), "[webhook \"w\"]\nurl = "
	    "http://127.0.0.1:%d/hook\n", closed_port());
	start(make_conf(NULL, text));
	for (i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		ck_assert_int_eq(raise_ev(ALERT_CHANGE_REFUSED, key,
		    "refused"), 1);
		memset(&ev, 0, sizeof(ev));
		ev.type = ALERT_CHANGE_REFUSED;
		ev.time = time(NULL);
		ev.zone = "example.com.";
		ev.provider = "p";
		ev.key = key;
		alert_event_id(&ev, ids[i]);
	}
	run_for(1500);
	r = ctl_alerts(NULL);
	ck_assert_int_eq(count_rows(r, "change-refused", "pending"), 5);
	ck_assert_int_eq(cJSON_GetObjectItem(r, "pending")->valueint, 5);
	j = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "alerts"), 0);
	ck_assert_int_ge(cJSON_GetObjectItem(j, "attempts")->valueint, 1);
	ck_assert_ptr_nonnull(jstr(j, "last_error"));
	cJSON_Delete(r);

	/* Restart: everything closed, the database reopened. */
	alert_free(al);
	al = NULL;
	db_close(db);
	db = db_open(state, err, sizeof(err));
	ck_assert_ptr_nonnull(db);
	ck_assert_uint_eq(httpd_nrequests(srv), 0);
	/* The receiver is back (at its new address). */
	httpd_on(srv, NULL, NULL);
	{
		struct httpd_reply ok;

		memset(&ok, 0, sizeof(ok));
		ok.method = "POST";
		ok.path = "/hook";
		ok.status = 200;
		ok.repeat = -1;
		httpd_script(srv, &ok);
	}
	start(one_hook(NULL));
	run_until(5, 10000);
	run_for(2500);
	ck_assert_uint_eq(httpd_nrequests(srv), 5);
	for (i = 0; i < 5; i++) {
		j = req_json(i);
		for (k = 0; k < 5; k++) {
			if (strcmp(jstr(j, "id"), ids[k]) == 0)
				seen[k]++;
		}
		cJSON_Delete(j);
	}
	for (k = 0; k < 5; k++)
		ck_assert_msg(seen[k] == 1, "event %zu arrived %d times", k,
		    seen[k]);
	r = ctl_alerts(NULL);
	ck_assert_int_eq(count_rows(r, "change-refused", "delivered"), 5);
	cJSON_Delete(r);
}
END_TEST

/*
 * max-age: a webhook that never answers 2xx gives up; the event is
 * undeliverable there, a webhook-undeliverable event is raised, sent to
 * the other webhook only, and `status` needs attention.
 */
START_TEST(test_max_age_undeliverable)
{
	char		 text[512], *url;
	cJSON		*r, *st, *j, *o;
	size_t		 i;
	int		 got = 0;

	url = httpd_url(srv, "/ok");
	snprintf(text, sizeof(text), "[webhook \"bad\"]\nurl = "
	    "http://127.0.0.1:%d/hook\nmax-age = 2\n"
	    "[webhook \"good\"]\nurl = %s\nevents = webhook-undeliverable\n",
	    closed_port(), url);
	free(url);
	httpd_expect(srv, "POST", "/ok", 200, NULL, NULL);
	start(make_conf(NULL, text));
	ck_assert_int_eq(raise_ev(ALERT_NS_WITHDRAWN, "n1", "withdrawn"), 1);
	run_until(1, 8000);
	run_for(1500);

	r = ctl_alerts(NULL);
	ck_assert_int_eq(count_rows(r, "ns-withdrawn", "undeliverable"), 1);
	ck_assert_int_eq(count_rows(r, "webhook-undeliverable", "delivered"),
	    1);
	ck_assert_int_eq(count_rows(r, "webhook-undeliverable", NULL), 1);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r, "attention")));
	ck_assert_int_eq(cJSON_GetObjectItem(r, "undeliverable_24h")->valueint,
	    1);
	cJSON_Delete(r);

	/* Only "good" got it, and it names the lost event and webhook. */
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
	j = req_json(0);
	ck_assert_str_eq(jstr(j, "type"), "webhook-undeliverable");
	ck_assert_str_eq(jstr(cJSON_GetObjectItem(j, "details"), "webhook"),
	    "bad");
	ck_assert_str_eq(jstr(cJSON_GetObjectItem(j, "details"),
	    "event_type"), "ns-withdrawn");
	cJSON_Delete(j);
	for (i = 0; i < httpd_nrequests(srv); i++)
		got += strcmp(httpd_request(srv, i)->path, "/ok") == 0;
	ck_assert_int_eq(got, 1);

	st = cJSON_CreateObject();
	ck_assert_int_eq(alert_status(al, st), 1);
	o = cJSON_GetObjectItem(st, "alerts");
	ck_assert_int_eq(cJSON_GetObjectItem(o, "undeliverable_24h")->valueint,
	    1);
	ck_assert(cJSON_IsString(cJSON_GetObjectItem(o,
	    "last_undeliverable")));
	cJSON_Delete(st);
}
END_TEST

/* events filter and min-severity choose the webhooks. */
START_TEST(test_filter_and_severity)
{
	char		 text[512], *u1, *u2;
	cJSON		*r;

	u1 = httpd_url(srv, "/a");
	u2 = httpd_url(srv, "/b");
	snprintf(text, sizeof(text), "[webhook \"a\"]\nurl = %s\n"
	    "events = drift-found, apply-failed\n"
	    "[webhook \"b\"]\nurl = %s\nmin-severity = critical\n", u1, u2);
	free(u1);
	free(u2);
	httpd_expect(srv, "POST", "/a", 200, NULL, NULL);
	httpd_expect(srv, "POST", "/b", 200, NULL, NULL);
	start(make_conf(NULL, text));
	ck_assert_int_eq(raise_ev(ALERT_DRIFT_FOUND, "1", "warning"), 1);
	ck_assert_int_eq(raise_ev(ALERT_PROVIDER_DOWN, "2", "critical"), 1);
	ck_assert_int_eq(raise_ev(ALERT_DRIFT_RESOLVED, "3", "info"), 1);
	run_until(2, 5000);
	run_for(1500);
	ck_assert_uint_eq(httpd_nrequests(srv), 2);
	ck_assert_uint_eq(httpd_unmatched(srv), 0);
	ck_assert_uint_eq(httpd_pending_scripts(srv), 0);
	r = ctl_alerts(NULL);
	ck_assert_int_eq(count_rows(r, "drift-found", "delivered"), 1);
	ck_assert_int_eq(count_rows(r, "provider-down", "delivered"), 1);
	ck_assert_int_eq(count_rows(r, "drift-resolved", "not-sent"), 1);
	ck_assert_int_eq(count_rows(r, NULL, NULL), 3);
	cJSON_Delete(r);
	r = ctl_alerts("{\"limit\": 1}");
	ck_assert_int_eq(count_rows(r, NULL, NULL), 1);
	cJSON_Delete(r);
	r = ctl_alerts("{\"zone\": \"example.net.\"}");
	ck_assert_int_eq(count_rows(r, NULL, NULL), 0);
	cJSON_Delete(r);
}
END_TEST

/* format = slack: {"text": ...} only, with &, < and > escaped. */
START_TEST(test_slack_format)
{
	cJSON	*j;

	httpd_expect(srv, "POST", "/hook", 200, NULL, NULL);
	start(one_hook("format = slack"));
	ck_assert_int_eq(raise_ev(ALERT_DELEGATION_MISMATCH, "x",
	    "parent lists <ns9> & more"), 1);
	run_until(1, 5000);
	j = req_json(0);
	ck_assert_int_eq(cJSON_GetArraySize(j), 1);
	ck_assert_ptr_nonnull(strstr(jstr(j, "text"),
	    "delegation-mismatch"));
	ck_assert_ptr_nonnull(strstr(jstr(j, "text"), "example.com."));
	ck_assert_ptr_nonnull(strstr(jstr(j, "text"),
	    "parent lists &lt;ns9&gt; &amp; more"));
	ck_assert_ptr_null(strchr(jstr(j, "text"), '<'));
	cJSON_Delete(j);
}
END_TEST

/*
 * Flapping: with flap-threshold 3, down/up/down sends down, up and one
 * provider-flapping; the rest are recorded as suppressed; when quiet for
 * flap-window, the state it settled in is sent once.
 */
START_TEST(test_flap_suppression)
{
	static const enum alert_type seq[] = { ALERT_PROVIDER_DOWN,
	    ALERT_PROVIDER_UP, ALERT_PROVIDER_DOWN, ALERT_PROVIDER_UP,
	    ALERT_PROVIDER_DOWN };
	char		 text[256], *url, key[8];
	struct httpd_reply ok;
	cJSON		*r, *j;
	size_t		 i;

	url = httpd_url(srv, "/hook");
	snprintf(text, sizeof(text), "[webhook \"w\"]\nurl = %s\n", url);
	free(url);
	memset(&ok, 0, sizeof(ok));
	ok.status = 200;
	ok.repeat = -1;
	httpd_script(srv, &ok);
	start(make_conf("flap-window = 3\nflap-threshold = 3\n", text));
	for (i = 0; i < NITEMS_SEQ(seq); i++) {
		snprintf(key, sizeof(key), "t%zu", i);
		ck_assert_int_eq(raise_ev(seq[i], key, seq[i] ==
		    ALERT_PROVIDER_DOWN ? "p is down" : "p is up"), 1);
	}
	run_until(3, 5000);
	run_for(1000);
	ck_assert_uint_eq(httpd_nrequests(srv), 3);
	j = req_json(2);
	ck_assert_str_eq(jstr(j, "type"), "provider-flapping");
	cJSON_Delete(j);
	r = ctl_alerts(NULL);
	ck_assert_int_eq(count_rows(r, NULL, "suppressed"), 3);
	ck_assert_int_eq(count_rows(r, "provider-flapping", "delivered"), 1);
	cJSON_Delete(r);

	/* Quiet for flap-window: the settled state (down) goes out. */
	run_until(4, 6000);
	run_for(500);
	ck_assert_uint_eq(httpd_nrequests(srv), 4);
	j = req_json(3);
	ck_assert_str_eq(jstr(j, "type"), "provider-down");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j,
	    "details"), "flap_settled")));
	ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j,
	    "details"), "suppressed")->valueint, 3);
	cJSON_Delete(j);

	/* After settling, one transition is sent as itself again. */
	ck_assert_int_eq(raise_ev(ALERT_PROVIDER_UP, "t9", "p is up"), 1);
	run_until(5, 5000);
	j = req_json(4);
	ck_assert_str_eq(jstr(j, "type"), "provider-up");
	cJSON_Delete(j);
}
END_TEST

/* The secret is never logged, at debug level, through failures too. */
START_TEST(test_secret_not_logged)
{
	char	 path[PATH_MAX + 32], logpath[PATH_MAX + 32], *extra, *buf;
	char	 err[512];
	FILE	*fp;
	long	 len;
	int	 saved, fd;

	snprintf(path, sizeof(path), "%s/secret", dir);
	write_file(path, SECRET "\n", 0600);
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_set_level(LOG_LEVEL_DEBUG);

	httpd_expect(srv, "POST", "/hook", 500, NULL, SECRET);
	httpd_expect(srv, "POST", "/hook", 200, NULL, NULL);
	xasprintf(&extra, "secret-file = %s", path);
	start(one_hook(extra));
	free(extra);
	ck_assert_int_eq(raise_ev(ALERT_APPLY_FAILED, "s", "failed"), 1);
	run_until(2, 6000);
	run_for(500);
	ck_assert_int_eq(alert_reload(al, conf, err, sizeof(err)), 0);
	/* A reload whose secret cannot be read fails and says which file. */
	chmod(path, 0644);
	ck_assert_int_eq(alert_reload(al, conf, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "secret"));
	ck_assert_ptr_null(strstr(err, SECRET));

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	log_set_level(LOG_LEVEL_WARN);

	fp = fopen(logpath, "r");
	ck_assert_ptr_nonnull(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	buf = xcalloc(1, (size_t)len + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	/* The capture worked: the delivery and the failure are there. */
	ck_assert_ptr_nonnull(strstr(buf, "debug alert: "));
	ck_assert_ptr_nonnull(strstr(buf, "delivered"));
	ck_assert_ptr_nonnull(strstr(buf, "HTTP 500"));
	ck_assert_msg(strstr(buf, SECRET) == NULL, "the secret is in the "
	    "log:\n%s", buf);
	ck_assert_ptr_null(strstr(buf, "sha256="));
	free(buf);
}
END_TEST

/* A removed webhook's pending rows end as undeliverable, not forever. */
START_TEST(test_reload_removed_webhook)
{
	char	 text[256], err[512];
	cJSON	*r;

	snprintf(text, sizeof(text), "[webhook \"w\"]\nurl = "
	    "http://127.0.0.1:%d/hook\n", closed_port());
	start(make_conf(NULL, text));
	ck_assert_int_eq(raise_ev(ALERT_DRIFT_FOUND, "r", "drift"), 1);
	run_for(500);
	config_free(conf);
	conf = make_conf(NULL, "");
	ck_assert_int_eq(alert_reload(al, conf, err, sizeof(err)), 0);
	run_for(2500);
	r = ctl_alerts(NULL);
	ck_assert_int_eq(count_rows(r, "drift-found", "undeliverable"), 1);
	ck_assert_int_eq(cJSON_GetObjectItem(r, "pending")->valueint, 0);
	cJSON_Delete(r);
}
END_TEST

/* alert_raisef: printf summary, default bucket; NULL alert is a no-op. */
START_TEST(test_raisef)
{
	cJSON	*r, *row;

	ck_assert_int_eq(alert_raisef(NULL, ALERT_DRIFT_FOUND, "z.", "p",
	    "k", NULL, "x"), 0);
	start(one_hook("events = provider-up"));
	ck_assert_int_eq(alert_raisef(al, ALERT_VERSION_REJECTED,
	    "example.com.", NULL, "abc123", NULL, "version %s rejected: %d",
	    "abc123", 42), 1);
	/* No bucket for rejected versions: raised again, the same event. */
	ck_assert_int_eq(alert_raisef(al, ALERT_VERSION_REJECTED,
	    "example.com.", NULL, "abc123", NULL, "again"), 0);
	r = ctl_alerts(NULL);
	ck_assert_int_eq(count_rows(r, NULL, NULL), 1);
	row = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "alerts"), 0);
	ck_assert_str_eq(jstr(row, "summary"), "version abc123 rejected: 42");
	ck_assert_str_eq(jstr(row, "severity"), "critical");
	ck_assert_str_eq(jstr(row, "state"), "not-sent");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(row, "provider")));
	cJSON_Delete(r);
}
END_TEST

/* Bad arguments to `alerts` are refused. */
START_TEST(test_ctl_bad_args)
{
	struct control_request	 req;
	struct control_reply	 reply;
	cJSON			*a;

	start(one_hook(NULL));
	a = cJSON_Parse("{\"limit\": 0}");
	memset(&req, 0, sizeof(req));
	memset(&reply, 0, sizeof(reply));
	req.args = a;
	ck_assert_int_eq(alert_ctl_alerts(al, &req, &reply), CONTROL_DONE);
	ck_assert_str_eq(reply.code, CTL_ERR_BAD_REQUEST);
	cJSON_Delete(a);
	a = cJSON_Parse("{\"zone\": 5}");
	memset(&reply, 0, sizeof(reply));
	req.args = a;
	ck_assert_int_eq(alert_ctl_alerts(al, &req, &reply), CONTROL_DONE);
	ck_assert_str_eq(reply.code, CTL_ERR_BAD_REQUEST);
	cJSON_Delete(a);
}
END_TEST

static Suite *
alert_suite(void)
{
	Suite	*s = suite_create("alert");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_event_id);
	tcase_add_test(tc, test_deliver_json_signed);
	tcase_add_test(tc, test_retry_backoff);
	tcase_add_test(tc, test_restart_delivers_pending);
	tcase_add_test(tc, test_max_age_undeliverable);
	tcase_add_test(tc, test_filter_and_severity);
	tcase_add_test(tc, test_slack_format);
	tcase_add_test(tc, test_flap_suppression);
	tcase_add_test(tc, test_secret_not_logged);
	tcase_add_test(tc, test_reload_removed_webhook);
	tcase_add_test(tc, test_ctl_bad_args);
	tcase_add_test(tc, test_raisef);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	log_init(LOG_LEVEL_WARN, "check_alert");
	sr = srunner_create(alert_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
