/*
 * check_powerdns.c: the PowerDNS backend.
 *
 * Without PDNS_LAB: against tests/httpd, a scripted local server that
 * answers as PowerDNS's HTTP API v1 documents (each case names the
 * behaviour it stands for).
 *
 * With PDNS_LAB=1 (tests/powerdns.sh sets it, with PDNS_API_URL and
 * PDNS_API_KEY_FILE of a running scripts/lab): against the real server,
 * round trips of every common type, updates, deletes, 10,000 RRsets, a
 * bad key and zone creation.  The figures go to stdout as "figure: ...".
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <ldns/ldns.h>

#include "diff.h"
#include "http.h"
#include "httpd.h"
#include "log.h"
#include "provider.h"
#include "xmalloc.h"
#include "zone.h"

#define ORIGIN		"example.com."
#define KEY		"s3cret-Api-Key-4711"
#define ZPATH		"/api/v1/servers/localhost/zones/example.com."
#define ZONES_PATH	"/api/v1/servers/localhost/zones"

static struct event_base	*base;
static struct http		*http;
static struct httpd		*srv;
static char			 keyfile[64];
static struct provider_conf	 pc;
static struct provider		*prov;

/* What a callback got. */
struct result {
	int		 called;
	int		 status;
	char		*error;
	struct zone	*zone;
	char		**names;
	size_t		 nnames;
	struct apply_result res;
};

static struct result	 r1;

/* --- fixture ------------------------------------------------------------ */

static void
conf_set(struct provider_conf *c, const char *key, const char *value)
{
	size_t	i;

	for (i = 0; i < c->nopts; i++) {
		if (strcmp(c->opts[i].key, key) == 0) {
			free(c->opts[i].value);
			c->opts[i].value = xstrdup(value);
			return;
		}
	}
	c->opts = xreallocarray(c->opts, c->nopts + 1, sizeof(*c->opts));
	c->opts[c->nopts].key = xstrdup(key);
	c->opts[c->nopts].value = xstrdup(value);
	c->opts[c->nopts].line = 0;
	c->nopts++;
}

static void
conf_clear(struct provider_conf *c)
{
	size_t	i;

	for (i = 0; i < c->nopts; i++) {
		free(c->opts[i].key);
		free(c->opts[i].value);
	}
	free(c->opts);
	free(c->name);
	free(c->type);
	memset(c, 0, sizeof(*c));
}

static void
write_key(const char *path, const char *key, mode_t mode)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(write(fd, key, strlen(key)), (ssize_t)strlen(key));
	ck_assert_int_eq(write(fd, "\n", 1), 1);
	close(fd);
}

static void
conf_init(struct provider_conf *c, const char *name, const char *url,
    const char *kf)
{
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	c->type = xstrdup("powerdns");
	c->timeout = 5;
	c->max_concurrency = 2;
	conf_set(c, "url", url);
	conf_set(c, "api-key-file", kf);
	conf_set(c, "server-id", "localhost");
	conf_set(c, "create-zone", "no");
}

static struct provider *
provider_ok(struct provider_conf *c)
{
	struct provider	*p;
	char		 err[512];

	p = provider_new(c, base, http, err, sizeof(err));
	ck_assert_msg(p != NULL, "provider_new: %s", err);
	return (p);
}

static void
setup(void)
{
	char	*url;
	int	 fd;

	log_init(LOG_LEVEL_WARN, "check_powerdns");
	base = event_base_new();
	http = http_new(base);
	srv = httpd_new(base);
	snprintf(keyfile, sizeof(keyfile), "/tmp/check_powerdns.XXXXXX");
	fd = mkstemp(keyfile);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_key(keyfile, KEY, 0600);
	url = httpd_url(srv, "");
	conf_init(&pc, "pdns", url, keyfile);
	free(url);
	prov = NULL;
	memset(&r1, 0, sizeof(r1));
}

static void
result_clear(struct result *r)
{
	size_t	i;

	free(r->error);
	zone_free(r->zone);
	for (i = 0; i < r->nnames; i++)
		free(r->names[i]);
	free(r->names);
	if (r->res.results != NULL)
		apply_result_clear(&r->res);
	memset(r, 0, sizeof(*r));
}

static void
teardown(void)
{
	provider_free(prov);
	prov = NULL;
	result_clear(&r1);
	conf_clear(&pc);
	unlink(keyfile);
	httpd_free(srv);
	http_free(http);
	event_base_free(base);
}

/* --- callbacks and the loop ------------------------------------------------ */

static void
fetch_cb(struct provider *p, int status, const char *error, struct zone *z,
    void *arg)
{
	struct result	*r = arg;

	(void)p;
	r->called++;
	r->status = status;
	free(r->error);
	r->error = error != NULL ? xstrdup(error) : NULL;
	zone_free(r->zone);
	r->zone = z;
}

static void
apply_cb(struct provider *p, const struct apply_result *res, void *arg)
{
	struct result	*r = arg;
	size_t		 i;

	(void)p;
	r->called++;
	apply_result_init(&r->res, res->nchanges);
	for (i = 0; i < res->nchanges; i++) {
		r->res.results[i] = res->results[i];
		if (res->errors[i] != NULL)
			r->res.errors[i] = xstrdup(res->errors[i]);
	}
	r->res.api_calls = res->api_calls;
}

static void
ns_cb(struct provider *p, int status, const char *error, char **names,
    size_t n, void *arg)
{
	struct result	*r = arg;
	size_t		 i;

	(void)p;
	r->called++;
	r->status = status;
	r->error = error != NULL ? xstrdup(error) : NULL;
	r->names = xcalloc(n + 1, sizeof(*r->names));
	for (i = 0; i < n; i++)
		r->names[i] = xstrdup(names[i]);
	r->nnames = n;
}

static void
never_fetch_cb(struct provider *p, int status, const char *error,
    struct zone *z, void *arg)
{
	(void)p; (void)status; (void)error; (void)arg;
	zone_free(z);
	ck_abort_msg("callback of a cancelled fetch was called");
}

static void
never_apply_cb(struct provider *p, const struct apply_result *res, void *arg)
{
	(void)p; (void)res; (void)arg;
	ck_abort_msg("callback of a cancelled apply was called");
}

static void
never_ns_cb(struct provider *p, int status, const char *error, char **names,
    size_t n, void *arg)
{
	(void)p; (void)status; (void)error; (void)names; (void)n; (void)arg;
	ck_abort_msg("callback of a cancelled nameservers was called");
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* Run the loop until r->called, or fail after ms. */
static void
run_until(struct result *r, unsigned ms)
{
	struct event	*ev;
	struct timeval	 tv;
	int		 expired = 0;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	ev = evtimer_new(base, deadline_cb, &expired);
	evtimer_add(ev, &tv);
	while (r->called == 0 && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	ck_assert_msg(r->called == 1, "callback called %d times in %u ms",
	    r->called, ms);
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
do_fetch(struct provider *p, const char *origin, struct result *r,
    unsigned ms)
{
	char	err[512];

	ck_assert_msg(p->ops->fetch(p, origin, fetch_cb, r, err,
	    sizeof(err)) == 0, "fetch: %s", err);
	run_until(r, ms);
}

static void
do_apply(struct provider *p, const char *origin, const struct changeset *cs,
    struct result *r, unsigned ms)
{
	char	err[512];

	ck_assert_msg(p->ops->apply(p, origin, cs, apply_cb, r, err,
	    sizeof(err)) == 0, "apply: %s", err);
	run_until(r, ms);
}

/* --- zones ---------------------------------------------------------------- */

/* Build a zone from lines "owner ttl TYPE rdata" (owner relative or @). */
static struct zone *
mkzone(const char *origin, const char *const *lines, size_t n)
{
	struct zone		*z = zone_new(origin);
	struct zone_error	 err;
	char			 owner[300], type[16], *rdata;
	unsigned		 ttl;
	size_t			 i;

	ck_assert_ptr_nonnull(z);
	rdata = xmalloc(4096);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(lines[i], "%255s %u %15s %4095[^\n]",
		    owner, &ttl, type, rdata), 4);
		ck_assert_msg(zone_add_rr_text(z, owner,
		    ldns_get_rr_type_by_name(type), ttl, rdata, &err) == 0,
		    "%s: %s", lines[i], err.msg);
	}
	free(rdata);
	ck_assert_int_eq(zone_finish(z, &err), 0);
	return (z);
}

/* A copy of src with the lines added. */
static struct zone *
zone_plus(const struct zone *src, const char *const *lines, size_t n)
{
	struct zone		*z = zone_new(src->origin);
	struct zone_error	 err;
	char			 owner[300], type[16], *rdata;
	unsigned		 ttl;
	size_t			 i, j;

	rdata = xmalloc(4096);
	for (i = 0; i < src->nrrsets; i++) {
		const struct rrset *rs = &src->rrsets[i];

		for (j = 0; j < rs->nrdata; j++)
			ck_assert_int_eq(zone_add_rr_text(z, rs->owner,
			    rs->type, rs->ttl, rs->rdata[j].text, &err), 0);
	}
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(lines[i], "%255s %u %15s %4095[^\n]",
		    owner, &ttl, type, rdata), 4);
		ck_assert_msg(zone_add_rr_text(z, owner,
		    ldns_get_rr_type_by_name(type), ttl, rdata, &err) == 0,
		    "%s: %s", lines[i], err.msg);
	}
	free(rdata);
	ck_assert_int_eq(zone_finish(z, &err), 0);
	return (z);
}

/* The request body of request i, parsed. */
static cJSON *
request_json(size_t i)
{
	const struct httpd_request	*rq = httpd_request(srv, i);
	cJSON				*j;

	ck_assert_ptr_nonnull(rq);
	j = cJSON_ParseWithLength(rq->body, rq->body_len);
	ck_assert_msg(j != NULL, "request %zu: body is not JSON: %s", i,
	    rq->body);
	return (j);
}

static void
assert_json(cJSON *got, const char *want)
{
	cJSON	*w = cJSON_Parse(want);
	char	*g;

	ck_assert_msg(w != NULL, "bad expected JSON %s", want);
	g = cJSON_PrintUnformatted(got);
	ck_assert_msg(cJSON_Compare(got, w, 1), "JSON differs:\n got %s\nwant "
	    "%s", g, want);
	free(g);
	cJSON_Delete(w);
}

static const char *const json_hdrs[] = {
	"Content-Type: application/json", NULL
};

#define SOA_NS_JSON \
	"{\"comments\": [], \"name\": \"example.com.\", \"records\": " \
	"[{\"content\": \"ns1.pdns.lab. hostmaster.pdns.lab. 2026112501 " \
	"3600 900 604800 300\", \"disabled\": false}], \"ttl\": 3600, " \
	"\"type\": \"SOA\"}, {\"comments\": [], \"name\": \"example.com.\", " \
	"\"records\": [{\"content\": \"ns1.pdns.lab.\", \"disabled\": " \
	"false}, {\"content\": \"ns2.pdns.lab.\", \"disabled\": false}], " \
	"\"ttl\": 3600, \"type\": \"NS\"}"

#define ZONE_HEAD \
	"{\"account\": \"\", \"api_rectify\": false, \"dnssec\": false, " \
	"\"id\": \"example.com.\", \"kind\": \"Native\", \"name\": " \
	"\"example.com.\", \"rrsets\": ["

#define ZONE_TAIL \
	"], \"serial\": 2026112501, \"soa_edit_api\": \"DEFAULT\", " \
	"\"url\": \"/api/v1/servers/localhost/zones/example.com.\"}"

static const char minimal_zone[] = ZONE_HEAD SOA_NS_JSON ZONE_TAIL;

/* --- fake server cases ----------------------------------------------------- */

/* GET /servers/{server-id}/zones/{zone-id}, X-API-Key on every request. */
START_TEST(test_fetch_path_and_key)
{
	const struct httpd_request	*rq;
	const struct rrset		*rs;

	prov = provider_ok(&pc);
	ck_assert_uint_eq(prov->caps.flags, PROVIDER_CAP_APEX_NS |
	    PROVIDER_CAP_ATOMIC);
	ck_assert_uint_eq(prov->caps.max_batch, 1000);
	ck_assert_uint_eq(prov->caps.min_ttl, 0);
	ck_assert_ptr_null(prov->caps.types);
	httpd_expect(srv, "GET", ZPATH, 200, json_hdrs, minimal_zone);
	do_fetch(prov, ORIGIN, &r1, 3000);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_ptr_null(r1.error);
	ck_assert_ptr_nonnull(r1.zone);
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
	rq = httpd_request(srv, 0);
	ck_assert_str_eq(rq->method, "GET");
	ck_assert_str_eq(rq->uri, ZPATH);
	ck_assert_str_eq(httpd_request_header(rq, "X-API-Key"), KEY);
	ck_assert_str_eq(httpd_request_header(rq, "Accept"),
	    "application/json");
	ck_assert_uint_eq(r1.zone->nrrsets, 2);
	rs = zone_find(r1.zone, ORIGIN, LDNS_RR_TYPE_SOA);
	ck_assert_ptr_nonnull(rs);
	ck_assert_str_eq(rs->rdata[0].text, "ns1.pdns.lab. hostmaster.pdns.lab. "
	    "2026112501 3600 900 604800 300");
	rs = zone_find(r1.zone, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(rs->ttl, 3600);
	ck_assert_uint_eq(rs->nrdata, 2);
	ck_assert_str_eq(rs->rdata[0].text, "ns1.pdns.lab.");
	ck_assert_str_eq(rs->rdata[1].text, "ns2.pdns.lab.");
}
END_TEST

/* Zone ids: "/" is =2F, the trailing dot is added; server-id is used. */
START_TEST(test_zone_id_escape)
{
	const struct httpd_request	*rq;

	conf_set(&pc, "server-id", "pdns-7");
	free(pc.opts[0].value);
	pc.opts[0].value = httpd_url(srv, "/api/v1/");	/* tolerated */
	prov = provider_ok(&pc);
	httpd_expect(srv, "GET", NULL, 404, NULL, "Not Found");
	do_fetch(prov, "0/24.2.0.192.in-addr.arpa", &r1, 3000);
	ck_assert_int_eq(r1.status, -1);
	rq = httpd_request(srv, 0);
	ck_assert_str_eq(rq->uri, "/api/v1/servers/pdns-7/zones/"
	    "0=2F24.2.0.192.in-addr.arpa.");
}
END_TEST

/* Every common type parses into exactly the RRsets expected. */
START_TEST(test_fetch_all_types)
{
	static const char body[] = ZONE_HEAD SOA_NS_JSON ","
	    "{\"name\": \"WWW.Example.COM.\", \"type\": \"A\", \"ttl\": 300, "
	    "\"records\": [{\"content\": \"192.0.2.2\", \"disabled\": false},"
	    " {\"content\": \"192.0.2.1\", \"disabled\": false}], "
	    "\"comments\": []},"
	    "{\"name\": \"www.example.com.\", \"type\": \"AAAA\", \"ttl\": "
	    "300, \"records\": [{\"content\": \"2001:db8::1\", \"disabled\": "
	    "false}], \"comments\": [{\"content\": \"hi\", \"account\": \"\", "
	    "\"modified_at\": 1}]},"
	    "{\"name\": \"alias.example.com.\", \"type\": \"CNAME\", \"ttl\": "
	    "60, \"records\": [{\"content\": \"www.example.com.\", "
	    "\"disabled\": false}], \"comments\": []},"
	    "{\"name\": \"example.com.\", \"type\": \"MX\", \"ttl\": 3600, "
	    "\"records\": [{\"content\": \"10 Mail.Example.com.\", "
	    "\"disabled\": false}, {\"content\": \"20 mx2.example.net.\", "
	    "\"disabled\": false}], \"comments\": []},"
	    "{\"name\": \"example.com.\", \"type\": \"TXT\", \"ttl\": 3600, "
	    "\"records\": [{\"content\": \"\\\"v=spf1 -all\\\"\", "
	    "\"disabled\": false}, {\"content\": \"\\\"a b\\\" \\\"c\\\\\\\"d\\\" "
	    "\\\"e\\\\\\\\f\\\" \\\"caf\\\\195\\\\169\\\"\", \"disabled\": false}],"
	    " \"comments\": []},"
	    "{\"name\": \"_sip._tcp.example.com.\", \"type\": \"SRV\", "
	    "\"ttl\": 300, \"records\": [{\"content\": \"0 5 5060 "
	    "sip.example.com.\", \"disabled\": false}], \"comments\": []},"
	    "{\"name\": \"example.com.\", \"type\": \"CAA\", \"ttl\": 3600, "
	    "\"records\": [{\"content\": \"0 issue \\\"letsencrypt.org\\\"\", "
	    "\"disabled\": false}], \"comments\": []},"
	    "{\"name\": \"sub.example.com.\", \"type\": \"NS\", \"ttl\": "
	    "86400, \"records\": [{\"content\": \"ns1.other.net.\", "
	    "\"disabled\": false}], \"comments\": []},"
	    "{\"name\": \"1.example.com.\", \"type\": \"PTR\", \"ttl\": 300, "
	    "\"records\": [{\"content\": \"host.example.com.\", \"disabled\": "
	    "false}], \"comments\": []},"
	    "{\"name\": \"www.example.com.\", \"type\": \"SSHFP\", \"ttl\": "
	    "300, \"records\": [{\"content\": \"1 1 "
	    "deadbeef00112233445566778899aabbccddeeff\", \"disabled\": "
	    "false}], \"comments\": []},"
	    "{\"name\": \"_443._tcp.www.example.com.\", \"type\": \"TLSA\", "
	    "\"ttl\": 300, \"records\": [{\"content\": \"3 1 1 "
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	    "\", \"disabled\": false}], \"comments\": []}"
	    ZONE_TAIL;
	static const char *const want[] = {
	    "example.com. 3600 SOA ns1.pdns.lab. hostmaster.pdns.lab. "
	    "2026112501 3600 900 604800 300",
	    "example.com. 3600 NS ns1.pdns.lab.",
	    "example.com. 3600 NS ns2.pdns.lab.",
	    "www.example.com. 300 A 192.0.2.1",
	    "www.example.com. 300 A 192.0.2.2",
	    "www.example.com. 300 AAAA 2001:db8::1",
	    "alias.example.com. 60 CNAME www.example.com.",
	    "example.com. 3600 MX 10 mail.example.com.",
	    "example.com. 3600 MX 20 mx2.example.net.",
	    "example.com. 3600 TXT \"v=spf1 -all\"",
	    "example.com. 3600 TXT \"a b\" \"c\\\"d\" \"e\\\\f\" "
	    "\"caf\\195\\169\"",
	    "_sip._tcp.example.com. 300 SRV 0 5 5060 sip.example.com.",
	    "example.com. 3600 CAA 0 issue \"letsencrypt.org\"",
	    "sub.example.com. 86400 NS ns1.other.net.",
	    "1.example.com. 300 PTR host.example.com.",
	    "www.example.com. 300 SSHFP 1 1 "
	    "DEADBEEF00112233445566778899AABBCCDDEEFF",
	    "_443._tcp.www.example.com. 300 TLSA 3 1 1 "
	    "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
	};
	struct zone		*w;
	struct changeset	 cs;
	const struct rrset	*rs;

	prov = provider_ok(&pc);
	httpd_expect(srv, "GET", ZPATH, 200, json_hdrs, body);
	do_fetch(prov, ORIGIN, &r1, 3000);
	ck_assert_msg(r1.status == 0, "fetch: %s", r1.error);
	w = mkzone(ORIGIN, want, sizeof(want) / sizeof(want[0]));
	ck_assert_uint_eq(r1.zone->nrrsets, 13);
	ck_assert_uint_eq(w->nrrsets, 13);
	ck_assert_uint_eq(zone_count_rrs(r1.zone), 17);
	ck_assert(r1.zone->hash == w->hash);
	ck_assert_int_eq(diff_zones(w, r1.zone, NULL, &cs), 0);
	ck_assert_uint_eq(cs.nchanges, 0);
	changeset_free(&cs);
	rs = zone_find(r1.zone, "www.example.com.", LDNS_RR_TYPE_A);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(rs->nrdata, 2);
	ck_assert_str_eq(rs->rdata[0].text, "192.0.2.1");
	rs = zone_find(r1.zone, ORIGIN, LDNS_RR_TYPE_TXT);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(rs->nrdata, 2);
	zone_free(w);
}
END_TEST

/* PowerDNS 4.7 answers 404 "Not Found" for a zone it does not have. */
START_TEST(test_not_found_404)
{
	static const char *const txt[] = {
		"Content-Type: text/plain; charset=utf-8", NULL
	};

	prov = provider_ok(&pc);
	httpd_expect(srv, "GET", ZPATH, 404, txt, "Not Found");
	do_fetch(prov, ORIGIN, &r1, 3000);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "zone not found");
	ck_assert_ptr_null(r1.zone);
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
}
END_TEST

/* Older releases: 422 {"error": "Could not find domain '...'"}. */
START_TEST(test_not_found_422)
{
	prov = provider_ok(&pc);
	httpd_expect(srv, "GET", ZPATH, 422, json_hdrs,
	    "{\"error\": \"Could not find domain 'example.com.'\"}");
	do_fetch(prov, ORIGIN, &r1, 3000);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "zone not found");
	ck_assert_ptr_null(r1.zone);
}
END_TEST

/* A 500 is retried (GET is idempotent), then an error, never a zone. */
START_TEST(test_server_error_retried)
{
	struct httpd_reply	rp;

	prov = provider_ok(&pc);
	memset(&rp, 0, sizeof(rp));
	rp.method = "GET";
	rp.path = ZPATH;
	rp.status = 500;
	rp.headers = json_hdrs;
	rp.body = "{\"error\": \"Backend error: database is locked\"}";
	rp.repeat = -1;
	httpd_script(srv, &rp);
	do_fetch(prov, ORIGIN, &r1, 15000);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "HTTP 500: Backend error: database is "
	    "locked");
	ck_assert_ptr_null(r1.zone);
	ck_assert_uint_eq(httpd_nrequests(srv), 4);	/* 1 + 3 retries */
}
END_TEST

/* A 401 (bad key) is not retried; its text is in the error. */
START_TEST(test_unauthorized)
{
	static const char *const h[] = {
		"Content-Type: text/plain; charset=utf-8",
		"WWW-Authenticate: X-API-Key realm=\"PowerDNS\"", NULL
	};

	prov = provider_ok(&pc);
	httpd_expect(srv, "GET", ZPATH, 401, h, "Unauthorized");
	do_fetch(prov, ORIGIN, &r1, 3000);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "HTTP 401: Unauthorized");
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
}
END_TEST

/* Bodies that are not a complete zone: each is an error, never a zone. */
static const struct {
	const char	*what;
	const char	*body;
	const char	*error;
} bad_bodies[] = {
	{ "not JSON", "<html>Internal error</html>",
	    "invalid response: not JSON (27 bytes, cut short?)" },
	{ "cut short", ZONE_HEAD SOA_NS_JSON ", {\"name\": \"www.example.com.\", "
	    "\"type\": \"A\", \"ttl\": 300, \"records\": [{\"content\": \"192.0",
	    NULL },
	{ "trailing garbage", ZONE_HEAD SOA_NS_JSON ZONE_TAIL "}",
	    NULL },
	{ "empty body", "", "invalid response: not JSON (0 bytes, cut "
	    "short?)" },
	{ "an array", "[]", "invalid response: not a JSON object" },
	{ "no rrsets", "{\"name\": \"example.com.\", \"kind\": \"Native\"}",
	    "invalid response: no \"rrsets\" array" },
	{ "rrsets not an array", "{\"name\": \"example.com.\", \"rrsets\": "
	    "{}}", "invalid response: no \"rrsets\" array" },
	{ "another zone", "{\"name\": \"example.net.\", \"rrsets\": []}",
	    "invalid response: zone name is not example.com." },
	{ "rrset without ttl", ZONE_HEAD SOA_NS_JSON ", {\"name\": "
	    "\"www.example.com.\", \"type\": \"A\", \"records\": []}" ZONE_TAIL,
	    "invalid response: rrset 3 lacks name, type, ttl or records" },
	{ "rrset without records", ZONE_HEAD "{\"name\": \"example.com.\", "
	    "\"type\": \"A\", \"ttl\": 1}" ZONE_TAIL,
	    "invalid response: rrset 1 lacks name, type, ttl or records" },
	{ "rrset without name", ZONE_HEAD "{\"type\": \"A\", \"ttl\": 1, "
	    "\"records\": []}" ZONE_TAIL,
	    "invalid response: rrset 1 lacks name, type, ttl or records" },
	{ "negative ttl", ZONE_HEAD "{\"name\": \"example.com.\", \"type\": "
	    "\"A\", \"ttl\": -1, \"records\": []}" ZONE_TAIL,
	    "invalid response: example.com. A: bad TTL" },
	{ "fractional ttl", ZONE_HEAD "{\"name\": \"example.com.\", \"type\": "
	    "\"A\", \"ttl\": 1.5, \"records\": []}" ZONE_TAIL,
	    "invalid response: example.com. A: bad TTL" },
	{ "record without content", ZONE_HEAD SOA_NS_JSON ", {\"name\": "
	    "\"www.example.com.\", \"type\": \"A\", \"ttl\": 1, \"records\": "
	    "[{\"disabled\": false}]}" ZONE_TAIL,
	    "invalid response: www.example.com. A: bad record" },
	{ "disabled not a boolean", ZONE_HEAD SOA_NS_JSON ", {\"name\": "
	    "\"www.example.com.\", \"type\": \"A\", \"ttl\": 1, \"records\": "
	    "[{\"content\": \"192.0.2.1\", \"disabled\": \"no\"}]}" ZONE_TAIL,
	    "invalid response: www.example.com. A: bad record" },
	{ "name out of zone", ZONE_HEAD SOA_NS_JSON ", {\"name\": "
	    "\"www.example.net.\", \"type\": \"A\", \"ttl\": 1, \"records\": "
	    "[{\"content\": \"192.0.2.1\", \"disabled\": false}]}" ZONE_TAIL,
	    "invalid response: www.example.net. A: www.example.net. is out of "
	    "zone example.com." },
	{ "relative name", ZONE_HEAD SOA_NS_JSON ", {\"name\": \"www\", "
	    "\"type\": \"A\", \"ttl\": 1, \"records\": [{\"content\": "
	    "\"192.0.2.1\", \"disabled\": false}]}" ZONE_TAIL,
	    "invalid response: www A: name is not absolute" },
	{ "unparsable content", ZONE_HEAD SOA_NS_JSON ", {\"name\": "
	    "\"www.example.com.\", \"type\": \"A\", \"ttl\": 1, \"records\": "
	    "[{\"content\": \"192.0.2.300\", \"disabled\": false}]}" ZONE_TAIL,
	    NULL },
	{ "unknown type", ZONE_HEAD SOA_NS_JSON ", {\"name\": "
	    "\"www.example.com.\", \"type\": \"LUA\", \"ttl\": 1, \"records\": "
	    "[{\"content\": \"A \\\"1.2.3.4\\\"\", \"disabled\": false}]}"
	    ZONE_TAIL,
	    "invalid response: www.example.com.: unknown type 'LUA'" },
	{ "the same RRset twice", ZONE_HEAD SOA_NS_JSON ", {\"name\": "
	    "\"www.example.com.\", \"type\": \"A\", \"ttl\": 1, \"records\": "
	    "[{\"content\": \"192.0.2.1\", \"disabled\": false}]}, {\"name\": "
	    "\"www.example.com.\", \"type\": \"A\", \"ttl\": 1, \"records\": "
	    "[{\"content\": \"192.0.2.2\", \"disabled\": false}]}" ZONE_TAIL,
	    "invalid response: the same RRset is listed more than once" },
	{ "no SOA", ZONE_HEAD "{\"name\": \"example.com.\", \"type\": \"NS\", "
	    "\"ttl\": 1, \"records\": [{\"content\": \"ns1.pdns.lab.\", "
	    "\"disabled\": false}]}" ZONE_TAIL,
	    "invalid response: no SOA record at the apex" },
	{ "CNAME and other data", ZONE_HEAD SOA_NS_JSON ", {\"name\": "
	    "\"www.example.com.\", \"type\": \"A\", \"ttl\": 1, \"records\": "
	    "[{\"content\": \"192.0.2.1\", \"disabled\": false}]}, {\"name\": "
	    "\"www.example.com.\", \"type\": \"CNAME\", \"ttl\": 1, \"records\": "
	    "[{\"content\": \"x.example.com.\", \"disabled\": false}]}"
	    ZONE_TAIL, NULL },
};

START_TEST(test_bad_body)
{
	const char	*want = bad_bodies[_i].error;

	prov = provider_ok(&pc);
	httpd_expect(srv, "GET", ZPATH, 200, json_hdrs, bad_bodies[_i].body);
	do_fetch(prov, ORIGIN, &r1, 3000);
	ck_assert_msg(r1.status == -1, "%s: fetch succeeded",
	    bad_bodies[_i].what);
	ck_assert_ptr_null(r1.zone);
	ck_assert_ptr_nonnull(r1.error);
	if (want != NULL)
		ck_assert_str_eq(r1.error, want);
	else
		ck_assert_msg(strncmp(r1.error, "invalid response: ", 18) == 0,
		    "%s: error '%s'", bad_bodies[_i].what, r1.error);
}
END_TEST

/* A body cut short by the connection (Content-Length not reached). */
START_TEST(test_truncated_transfer)
{
	struct httpd_reply	rp;
	static const char *const h[] = {
		"Content-Type: application/json", "Content-Length: 4000", NULL
	};

	pc.timeout = 1;
	prov = provider_ok(&pc);
	memset(&rp, 0, sizeof(rp));
	rp.method = "GET";
	rp.path = ZPATH;
	rp.headers = h;
	rp.body = minimal_zone;
	rp.repeat = -1;
	httpd_script(srv, &rp);
	do_fetch(prov, ORIGIN, &r1, 15000);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_ptr_null(r1.zone);
	ck_assert_ptr_nonnull(r1.error);
	ck_assert_msg(strncmp(r1.error, "timed out", 9) == 0, "error: %s",
	    r1.error);
	ck_assert_uint_eq(httpd_nrequests(srv), 4);	/* GET is retried */
}
END_TEST

/* Disabled records are not served: left out of the zone. */
START_TEST(test_disabled_skipped)
{
	static const char body[] = ZONE_HEAD SOA_NS_JSON ","
	    "{\"name\": \"d.example.com.\", \"type\": \"A\", \"ttl\": 300, "
	    "\"records\": [{\"content\": \"192.0.2.9\", \"disabled\": true}, "
	    "{\"content\": \"192.0.2.10\", \"disabled\": false}], "
	    "\"comments\": []},"
	    "{\"name\": \"off.example.com.\", \"type\": \"A\", \"ttl\": 300, "
	    "\"records\": [{\"content\": \"192.0.2.11\", \"disabled\": true}], "
	    "\"comments\": []},"
	    "{\"name\": \"c.example.com.\", \"type\": \"TXT\", \"ttl\": 300, "
	    "\"records\": [], \"comments\": [{\"content\": \"only a comment\","
	    " \"account\": \"\", \"modified_at\": 1}]},"
	    "{\"name\": \"n.example.com.\", \"type\": \"A\", \"ttl\": 300, "
	    "\"records\": [{\"content\": \"192.0.2.12\"}]}"
	    ZONE_TAIL;
	const struct rrset	*rs;

	prov = provider_ok(&pc);
	httpd_expect(srv, "GET", ZPATH, 200, json_hdrs, body);
	do_fetch(prov, ORIGIN, &r1, 3000);
	ck_assert_msg(r1.status == 0, "fetch: %s", r1.error);
	ck_assert_uint_eq(r1.zone->nrrsets, 4);
	rs = zone_find(r1.zone, "d.example.com.", LDNS_RR_TYPE_A);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(rs->nrdata, 1);
	ck_assert_str_eq(rs->rdata[0].text, "192.0.2.10");
	ck_assert_ptr_null(zone_find(r1.zone, "off.example.com.",
	    LDNS_RR_TYPE_A));
	ck_assert_ptr_null(zone_find(r1.zone, "c.example.com.",
	    LDNS_RR_TYPE_TXT));
	rs = zone_find(r1.zone, "n.example.com.", LDNS_RR_TYPE_A);
	ck_assert_ptr_nonnull(rs);
	ck_assert_str_eq(rs->rdata[0].text, "192.0.2.12");
}
END_TEST

/* PATCH: REPLACE for creates and updates, DELETE for deletes. */
START_TEST(test_apply_body)
{
	static const char *const actual_l[] = {
		"@ 3600 SOA ns1.pdns.lab. h.pdns.lab. 1 3600 900 604800 300",
		"@ 3600 NS ns1.pdns.lab.",
		"old 300 A 192.0.2.1",
		"www 300 A 192.0.2.1",
	};
	static const char *const desired_l[] = {
		"@ 3600 SOA ns1.pdns.lab. h.pdns.lab. 1 3600 900 604800 300",
		"@ 3600 NS ns1.pdns.lab.",
		"www 600 A 192.0.2.2",
		"www 600 A 192.0.2.1",
		"@ 300 TXT \"a b\" \"c\\\"d\"",
		"@ 300 MX 10 mail.example.com.",
		"@ 300 CAA 0 issue \"letsencrypt.org\"",
	};
	struct zone			*actual, *desired;
	struct changeset		 cs;
	const struct httpd_request	*rq;
	cJSON				*j;
	size_t				 i;

	actual = mkzone(ORIGIN, actual_l, 4);
	desired = mkzone(ORIGIN, desired_l, 7);
	ck_assert_int_eq(diff_zones(desired, actual, NULL, &cs), 0);
	ck_assert_uint_eq(cs.nchanges, 5);
	prov = provider_ok(&pc);
	httpd_expect(srv, "PATCH", ZPATH, 204, NULL, NULL);
	do_apply(prov, ORIGIN, &cs, &r1, 3000);
	ck_assert_uint_eq(r1.res.nchanges, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(r1.res.results[i], CHANGE_RESULT_OK);
		ck_assert_ptr_null(r1.res.errors[i]);
	}
	ck_assert_uint_eq(r1.res.api_calls, 1);
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
	rq = httpd_request(srv, 0);
	ck_assert_str_eq(rq->method, "PATCH");
	ck_assert_str_eq(rq->uri, ZPATH);
	ck_assert_str_eq(httpd_request_header(rq, "X-API-Key"), KEY);
	ck_assert_str_eq(httpd_request_header(rq, "Content-Type"),
	    "application/json");
	j = request_json(0);
	assert_json(j, "{\"rrsets\": ["
	    "{\"name\": \"example.com.\", \"type\": \"MX\", \"ttl\": 300, "
	    "\"changetype\": \"REPLACE\", \"records\": [{\"content\": "
	    "\"10 mail.example.com.\", \"disabled\": false}]},"
	    "{\"name\": \"example.com.\", \"type\": \"TXT\", \"ttl\": 300, "
	    "\"changetype\": \"REPLACE\", \"records\": [{\"content\": "
	    "\"\\\"a b\\\" \\\"c\\\\\\\"d\\\"\", \"disabled\": false}]},"
	    "{\"name\": \"example.com.\", \"type\": \"CAA\", \"ttl\": 300, "
	    "\"changetype\": \"REPLACE\", \"records\": [{\"content\": "
	    "\"0 issue \\\"letsencrypt.org\\\"\", \"disabled\": false}]},"
	    "{\"name\": \"old.example.com.\", \"type\": \"A\", "
	    "\"changetype\": \"DELETE\"},"
	    "{\"name\": \"www.example.com.\", \"type\": \"A\", \"ttl\": 600, "
	    "\"changetype\": \"REPLACE\", \"records\": ["
	    "{\"content\": \"192.0.2.1\", \"disabled\": false},"
	    "{\"content\": \"192.0.2.2\", \"disabled\": false}]}"
	    "]}");
	cJSON_Delete(j);
	changeset_free(&cs);
	zone_free(actual);
	zone_free(desired);
}
END_TEST

/* Contents PowerDNS spells its own way: LOC, CERT, APL's spaces. */
START_TEST(test_apply_content_spelling)
{
	static const char *const actual_l[] = {
		"@ 3600 SOA ns1.pdns.lab. h.pdns.lab. 1 3600 900 604800 300",
	};
	static const char *const desired_l[] = {
		"@ 3600 SOA ns1.pdns.lab. h.pdns.lab. 1 3600 900 604800 300",
		"loc 300 LOC 52 22 23.000 N 4 53 32.000 E -2.00m 1.00m "
		"10000.00m 10.00m",
		"apl 300 APL 1:192.168.32.0/21 !1:192.168.38.0/28",
		"cert 300 CERT PKIX 0 13 AQID",
		"txt 300 TXT \"two  spaces\"   \"tab\\009x\"",
	};
	struct zone		*a, *d;
	struct changeset	 cs;
	cJSON			*j;

	a = mkzone(ORIGIN, actual_l, 1);
	d = mkzone(ORIGIN, desired_l, 5);
	ck_assert_int_eq(diff_zones(d, a, NULL, &cs), 0);
	ck_assert_uint_eq(cs.nchanges, 4);
	prov = provider_ok(&pc);
	httpd_expect(srv, "PATCH", ZPATH, 204, NULL, NULL);
	do_apply(prov, ORIGIN, &cs, &r1, 3000);
	j = request_json(0);
	assert_json(j, "{\"rrsets\": ["
	    "{\"name\": \"apl.example.com.\", \"type\": \"APL\", \"ttl\": 300, "
	    "\"changetype\": \"REPLACE\", \"records\": [{\"content\": "
	    "\"1:192.168.32.0/21 !1:192.168.38.0/28\", \"disabled\": false}]},"
	    "{\"name\": \"cert.example.com.\", \"type\": \"CERT\", \"ttl\": 300, "
	    "\"changetype\": \"REPLACE\", \"records\": [{\"content\": "
	    "\"1 0 13 AQID\", \"disabled\": false}]},"
	    "{\"name\": \"loc.example.com.\", \"type\": \"LOC\", \"ttl\": 300, "
	    "\"changetype\": \"REPLACE\", \"records\": [{\"content\": "
	    "\"52 22 23.000 N 4 53 32.000 E -2.00m 1.00m 10000.00m 10.00m\", "
	    "\"disabled\": false}]},"
	    "{\"name\": \"txt.example.com.\", \"type\": \"TXT\", \"ttl\": 300, "
	    "\"changetype\": \"REPLACE\", \"records\": [{\"content\": "
	    "\"\\\"two  spaces\\\" \\\"tab\\tx\\\"\", \"disabled\": false}]}"
	    "]}");
	cJSON_Delete(j);
	changeset_free(&cs);
	zone_free(a);
	zone_free(d);
}
END_TEST

/* An empty changeset: the callback runs once, from the loop, no request. */
START_TEST(test_apply_empty)
{
	struct changeset	cs;
	char			err[256];

	memset(&cs, 0, sizeof(cs));
	prov = provider_ok(&pc);
	ck_assert_int_eq(prov->ops->apply(prov, ORIGIN, &cs, apply_cb, &r1,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(r1.called, 0);
	run_until(&r1, 1000);
	ck_assert_uint_eq(r1.res.nchanges, 0);
	ck_assert_uint_eq(r1.res.api_calls, 0);
	ck_assert_uint_eq(httpd_nrequests(srv), 0);
}
END_TEST

/* A changeset of n creates "hN A 10.x.y.z". */
static void
big_changeset(size_t n, struct zone **actualp, struct zone **desiredp,
    struct changeset *cs)
{
	static const char *const base_l[] = {
		"@ 3600 SOA ns1.pdns.lab. h.pdns.lab. 1 3600 900 604800 300",
		"@ 3600 NS ns1.pdns.lab.",
	};
	struct zone		*d;
	struct zone_error	 err;
	char			 owner[64], ip[32];
	size_t			 i;

	*actualp = mkzone(ORIGIN, base_l, 2);
	d = zone_new(ORIGIN);
	for (i = 0; i < 2; i++) {
		const struct rrset *rs = &(*actualp)->rrsets[i];

		ck_assert_int_eq(zone_add_rr_text(d, rs->owner, rs->type,
		    rs->ttl, rs->rdata[0].text, &err), 0);
	}
	for (i = 0; i < n; i++) {
		snprintf(owner, sizeof(owner), "h%06zu", i);
		snprintf(ip, sizeof(ip), "10.%zu.%zu.%zu", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
		ck_assert_int_eq(zone_add_rr_text(d, owner, LDNS_RR_TYPE_A,
		    300, ip, &err), 0);
	}
	ck_assert_int_eq(zone_finish(d, &err), 0);
	*desiredp = d;
	ck_assert_int_eq(diff_zones(d, *actualp, NULL, cs), 0);
	ck_assert_uint_eq(cs->nchanges, n);
}

/* Count the RRsets of a PATCH and check its first owner. */
static void
assert_batch(size_t i, size_t n, size_t first)
{
	cJSON		*j = request_json(i);
	const cJSON	*arr, *o;
	char		 owner[64];

	arr = cJSON_GetObjectItemCaseSensitive(j, "rrsets");
	ck_assert(cJSON_IsArray(arr));
	ck_assert_int_eq(cJSON_GetArraySize(arr), (int)n);
	o = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, 0),
	    "name");
	snprintf(owner, sizeof(owner), "h%06zu.example.com.", first);
	ck_assert_str_eq(o->valuestring, owner);
	cJSON_Delete(j);
}

/* 2,500 changes: three PATCHes of 1000, 1000 and 500, one after another. */
START_TEST(test_apply_batches)
{
	struct zone		*a, *d;
	struct changeset	 cs;
	struct httpd_reply	 rp;
	size_t			 i;

	big_changeset(2500, &a, &d, &cs);
	prov = provider_ok(&pc);
	memset(&rp, 0, sizeof(rp));
	rp.method = "PATCH";
	rp.path = ZPATH;
	rp.status = 204;
	rp.delay_ms = 20;
	rp.repeat = -1;
	httpd_script(srv, &rp);
	do_apply(prov, ORIGIN, &cs, &r1, 10000);
	ck_assert_uint_eq(httpd_nrequests(srv), 3);
	ck_assert_uint_eq(httpd_max_concurrent(srv), 1);
	assert_batch(0, 1000, 0);
	assert_batch(1, 1000, 1000);
	assert_batch(2, 500, 2000);
	ck_assert_uint_eq(r1.res.api_calls, 3);
	for (i = 0; i < 2500; i++)
		ck_assert_int_eq(r1.res.results[i], CHANGE_RESULT_OK);
	changeset_free(&cs);
	zone_free(a);
	zone_free(d);
}
END_TEST

/* A failing second batch: first OK, second FAILED, third NOT_TRIED. */
START_TEST(test_apply_second_batch_fails)
{
	struct zone		*a, *d;
	struct changeset	 cs;
	size_t			 i;

	big_changeset(2500, &a, &d, &cs);
	prov = provider_ok(&pc);
	httpd_expect(srv, "PATCH", ZPATH, 204, NULL, NULL);
	httpd_expect(srv, "PATCH", ZPATH, 422, json_hdrs,
	    "{\"error\": \"RRset h001500.example.com. IN A: Conflicts with "
	    "pre-existing RRset\"}");
	httpd_expect(srv, "PATCH", ZPATH, 204, NULL, NULL);
	do_apply(prov, ORIGIN, &cs, &r1, 10000);
	ck_assert_uint_eq(httpd_nrequests(srv), 2);
	ck_assert_uint_eq(r1.res.api_calls, 2);
	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(r1.res.results[i], CHANGE_RESULT_OK);
		ck_assert_ptr_null(r1.res.errors[i]);
	}
	for (i = 1000; i < 2000; i++) {
		ck_assert_int_eq(r1.res.results[i], CHANGE_RESULT_FAILED);
		ck_assert_str_eq(r1.res.errors[i], "HTTP 422: RRset "
		    "h001500.example.com. IN A: Conflicts with pre-existing "
		    "RRset");
	}
	for (i = 2000; i < 2500; i++) {
		ck_assert_int_eq(r1.res.results[i], CHANGE_RESULT_NOT_TRIED);
		ck_assert_ptr_null(r1.res.errors[i]);
	}
	changeset_free(&cs);
	zone_free(a);
	zone_free(d);
}
END_TEST

/* 422 {"error": ...} on a single PATCH: every change FAILED with it. */
START_TEST(test_apply_422_message)
{
	static const char *const actual_l[] = {
		"@ 3600 SOA ns1.pdns.lab. h.pdns.lab. 1 3600 900 604800 300",
	};
	static const char *const desired_l[] = {
		"@ 3600 SOA ns1.pdns.lab. h.pdns.lab. 1 3600 900 604800 300",
		"a 300 A 192.0.2.1",
		"b 300 A 192.0.2.2",
	};
	struct zone		*a, *d;
	struct changeset	 cs;

	a = mkzone(ORIGIN, actual_l, 1);
	d = mkzone(ORIGIN, desired_l, 3);
	ck_assert_int_eq(diff_zones(d, a, NULL, &cs), 0);
	prov = provider_ok(&pc);
	httpd_expect(srv, "PATCH", ZPATH, 422, json_hdrs,
	    "{\"error\": \"Record a.example.com./A '192.0.2.1': Parsing "
	    "record content\"}");
	do_apply(prov, ORIGIN, &cs, &r1, 3000);
	ck_assert_uint_eq(r1.res.nchanges, 2);
	ck_assert_int_eq(r1.res.results[0], CHANGE_RESULT_FAILED);
	ck_assert_int_eq(r1.res.results[1], CHANGE_RESULT_FAILED);
	ck_assert_str_eq(r1.res.errors[0], "HTTP 422: Record a.example.com./A "
	    "'192.0.2.1': Parsing record content");
	ck_assert_str_eq(r1.res.errors[1], r1.res.errors[0]);
	ck_assert_uint_eq(httpd_nrequests(srv), 1);	/* 422: no retry */
	changeset_free(&cs);
	zone_free(a);
	zone_free(d);
}
END_TEST

/* A PATCH that meets a 503 is repeated (REPLACE/DELETE are idempotent). */
START_TEST(test_apply_retried)
{
	static const char *const actual_l[] = {
		"@ 3600 SOA ns1.pdns.lab. h.pdns.lab. 1 3600 900 604800 300",
		"a 300 A 192.0.2.1",
	};
	static const char *const desired_l[] = {
		"@ 3600 SOA ns1.pdns.lab. h.pdns.lab. 1 3600 900 604800 300",
	};
	struct zone		*a, *d;
	struct changeset	 cs;

	a = mkzone(ORIGIN, actual_l, 2);
	d = mkzone(ORIGIN, desired_l, 1);
	ck_assert_int_eq(diff_zones(d, a, NULL, &cs), 0);
	prov = provider_ok(&pc);
	httpd_expect(srv, "PATCH", ZPATH, 503, NULL, "busy");
	httpd_expect(srv, "PATCH", ZPATH, 204, NULL, NULL);
	do_apply(prov, ORIGIN, &cs, &r1, 10000);
	ck_assert_uint_eq(httpd_nrequests(srv), 2);
	ck_assert_int_eq(r1.res.results[0], CHANGE_RESULT_OK);
	ck_assert_uint_eq(r1.res.api_calls, 2);
	changeset_free(&cs);
	zone_free(a);
	zone_free(d);
}
END_TEST

/* Cancel with requests in flight: no callback, ever. */
START_TEST(test_cancel_in_flight)
{
	struct httpd_reply	 rp;
	struct zone		*a, *d;
	struct changeset	 cs;
	char			 err[256];

	big_changeset(3, &a, &d, &cs);
	prov = provider_ok(&pc);
	memset(&rp, 0, sizeof(rp));
	rp.status = 200;
	rp.headers = json_hdrs;
	rp.body = minimal_zone;
	rp.delay_ms = 300;
	rp.repeat = -1;
	httpd_script(srv, &rp);
	ck_assert_int_eq(prov->ops->fetch(prov, ORIGIN, never_fetch_cb, NULL,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(prov->ops->apply(prov, ORIGIN, &cs, never_apply_cb,
	    NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(prov->ops->nameservers(prov, ORIGIN, never_ns_cb,
	    NULL, err, sizeof(err)), 0);
	run_for(100);
	ck_assert_uint_eq(httpd_nrequests(srv), 2);	/* max_concurrency */
	provider_cancel(prov);
	run_for(600);
	/* still usable afterwards */
	do_fetch(prov, ORIGIN, &r1, 3000);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_uint_eq(r1.zone->nrrsets, 2);
	changeset_free(&cs);
	zone_free(a);
	zone_free(d);
}
END_TEST

/* Configured nameservers: served as given (lower-case), from the loop. */
START_TEST(test_nameservers_configured)
{
	char	err[256];

	conf_set(&pc, "nameservers", "NS1.pdns.lab. ns2.pdns.lab.");
	prov = provider_ok(&pc);
	ck_assert_int_eq(prov->ops->nameservers(prov, ORIGIN, ns_cb, &r1, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(r1.called, 0);
	run_until(&r1, 1000);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_uint_eq(r1.nnames, 2);
	ck_assert_str_eq(r1.names[0], "ns1.pdns.lab.");
	ck_assert_str_eq(r1.names[1], "ns2.pdns.lab.");
	ck_assert_uint_eq(httpd_nrequests(srv), 0);
}
END_TEST

/* Without configured names: the apex NS RRset the zone holds. */
START_TEST(test_nameservers_fetched)
{
	char	err[256];

	prov = provider_ok(&pc);
	httpd_expect(srv, "GET", ZPATH, 200, json_hdrs, minimal_zone);
	ck_assert_int_eq(prov->ops->nameservers(prov, ORIGIN, ns_cb, &r1, err,
	    sizeof(err)), 0);
	run_until(&r1, 3000);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_uint_eq(r1.nnames, 2);
	ck_assert_str_eq(r1.names[0], "ns1.pdns.lab.");
	ck_assert_str_eq(r1.names[1], "ns2.pdns.lab.");
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
}
END_TEST

START_TEST(test_nameservers_not_found)
{
	char	err[256];

	prov = provider_ok(&pc);
	httpd_expect(srv, "GET", ZPATH, 404, NULL, "Not Found");
	ck_assert_int_eq(prov->ops->nameservers(prov, ORIGIN, ns_cb, &r1, err,
	    sizeof(err)), 0);
	run_until(&r1, 3000);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "zone not found");
	ck_assert_uint_eq(r1.nnames, 0);
}
END_TEST

/* create: POST /zones {name, kind Native, nameservers}, then a GET. */
START_TEST(test_create)
{
	const struct httpd_request	*rq;
	cJSON				*j;
	char				 err[256];

	conf_set(&pc, "create-zone", "yes");
	conf_set(&pc, "nameservers", "ns1.pdns.lab. ns2.pdns.lab.");
	prov = provider_ok(&pc);
	ck_assert_uint_eq(prov->caps.flags, PROVIDER_CAP_APEX_NS |
	    PROVIDER_CAP_ATOMIC | PROVIDER_CAP_CREATE);
	httpd_expect(srv, "POST", ZONES_PATH, 201, json_hdrs,
	    "{\"id\": \"example.com.\", \"name\": \"example.com.\"}");
	httpd_expect(srv, "GET", ZPATH, 200, json_hdrs, minimal_zone);
	ck_assert_int_eq(prov->ops->create(prov, "example.com", fetch_cb, &r1,
	    err, sizeof(err)), 0);
	run_until(&r1, 3000);
	ck_assert_msg(r1.status == 0, "create: %s", r1.error);
	ck_assert_uint_eq(r1.zone->nrrsets, 2);
	ck_assert_uint_eq(httpd_nrequests(srv), 2);
	rq = httpd_request(srv, 0);
	ck_assert_str_eq(rq->method, "POST");
	ck_assert_str_eq(rq->uri, ZONES_PATH);
	ck_assert_str_eq(httpd_request_header(rq, "X-API-Key"), KEY);
	j = request_json(0);
	assert_json(j, "{\"name\": \"example.com.\", \"kind\": \"Native\", "
	    "\"nameservers\": [\"ns1.pdns.lab.\", \"ns2.pdns.lab.\"]}");
	cJSON_Delete(j);
	ck_assert_str_eq(httpd_request(srv, 1)->method, "GET");
}
END_TEST

/* create refused by PowerDNS: its error, no GET. */
START_TEST(test_create_refused)
{
	char	err[256];

	conf_set(&pc, "create-zone", "yes");
	prov = provider_ok(&pc);
	httpd_expect(srv, "POST", ZONES_PATH, 422, json_hdrs,
	    "{\"error\": \"Nameservers list must be given (but can be empty "
	    "if NS records are supplied)\"}");
	ck_assert_int_eq(prov->ops->create(prov, ORIGIN, fetch_cb, &r1, err,
	    sizeof(err)), 0);
	run_until(&r1, 3000);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "HTTP 422: Nameservers list must be given "
	    "(but can be empty if NS records are supplied)");
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
}
END_TEST

START_TEST(test_create_disabled)
{
	char	err[256];

	prov = provider_ok(&pc);
	ck_assert_int_eq(prov->ops->create(prov, ORIGIN, fetch_cb, &r1, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "provider pdns: create-zone is not enabled");
	run_for(50);
	ck_assert_int_eq(r1.called, 0);
	ck_assert_uint_eq(httpd_nrequests(srv), 0);
}
END_TEST

/* init refuses bad config; its errors never hold the key. */
START_TEST(test_init_errors)
{
	struct provider	*p;
	char		 err[512], kf2[64];
	int		 fd;

	conf_set(&pc, "url", "ftp://127.0.0.1/");
	p = provider_new(&pc, base, http, err, sizeof(err));
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err, "provider pdns: url: expected an http:// or "
	    "https:// URL");

	conf_set(&pc, "url", "http://127.0.0.1:1");
	conf_set(&pc, "api-key-file", "/nonexistent/key");
	p = provider_new(&pc, base, http, err, sizeof(err));
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err, "provider pdns: api-key-file: /nonexistent/key: "
	    "No such file or directory");

	snprintf(kf2, sizeof(kf2), "/tmp/check_powerdns.XXXXXX");
	fd = mkstemp(kf2);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_key(kf2, KEY, 0644);
	conf_set(&pc, "api-key-file", kf2);
	p = provider_new(&pc, base, http, err, sizeof(err));
	ck_assert_ptr_null(p);
	ck_assert_ptr_null(strstr(err, KEY));
	ck_assert_ptr_nonnull(strstr(err, "readable by everyone"));

	write_key(kf2, "bad\001key", 0600);
	p = provider_new(&pc, base, http, err, sizeof(err));
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err, "provider pdns: api-key-file: the key holds a "
	    "control or non-ASCII character");
	unlink(kf2);

	conf_set(&pc, "api-key-file", keyfile);
	conf_set(&pc, "server-id", "a/b");
	p = provider_new(&pc, base, http, err, sizeof(err));
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err, "provider pdns: server-id: expected letters, "
	    "digits, '.', '-' or '_'");

	conf_set(&pc, "server-id", "localhost");
	conf_set(&pc, "nameservers", "ns1.pdns.lab");
	p = provider_new(&pc, base, http, err, sizeof(err));
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err, "provider pdns: nameservers: 'ns1.pdns.lab' is "
	    "not an absolute name");

	/* without the HTTP layer (config check): init works, fetch fails */
	conf_set(&pc, "nameservers", "ns1.pdns.lab.");
	p = provider_new(&pc, base, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->ops->fetch(p, ORIGIN, fetch_cb, &r1, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "provider pdns: no HTTP layer");
	provider_free(p);
}
END_TEST

/* The provider may be freed from inside its own callback. */
static void
free_in_cb(struct provider *p, int status, const char *error, struct zone *z,
    void *arg)
{
	struct result	*r = arg;

	(void)error;
	r->called++;
	r->status = status;
	zone_free(z);
	provider_free(p);
	prov = NULL;
}

static void
free_in_ns_cb(struct provider *p, int status, const char *error, char **names,
    size_t n, void *arg)
{
	struct result	*r = arg;

	(void)error;
	r->called++;
	r->status = status;
	r->nnames = 0;
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(names[1], "ns2.pdns.lab.");
	provider_free(p);
	prov = NULL;
}

static void
free_in_apply_cb(struct provider *p, const struct apply_result *res,
    void *arg)
{
	struct result	*r = arg;

	r->called++;
	r->status = (int)res->results[res->nchanges - 1];
	provider_free(p);
	prov = NULL;
}

START_TEST(test_free_in_callback)
{
	struct zone		*a, *d;
	struct changeset	 cs;
	char			 err[256];

	/* a fetch answered over HTTP */
	prov = provider_ok(&pc);
	httpd_expect(srv, "GET", ZPATH, 200, json_hdrs, minimal_zone);
	ck_assert_int_eq(prov->ops->fetch(prov, ORIGIN, free_in_cb, &r1, err,
	    sizeof(err)), 0);
	run_until(&r1, 3000);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_ptr_null(prov);

	/* nameservers answered from the config */
	memset(&r1, 0, sizeof(r1));
	conf_set(&pc, "nameservers", "ns1.pdns.lab. ns2.pdns.lab.");
	prov = provider_ok(&pc);
	ck_assert_int_eq(prov->ops->nameservers(prov, ORIGIN, free_in_ns_cb,
	    &r1, err, sizeof(err)), 0);
	run_until(&r1, 3000);
	ck_assert_ptr_null(prov);

	/* an apply of two batches */
	memset(&r1, 0, sizeof(r1));
	big_changeset(1001, &a, &d, &cs);
	prov = provider_ok(&pc);
	httpd_expect(srv, "PATCH", ZPATH, 204, NULL, NULL);
	httpd_expect(srv, "PATCH", ZPATH, 204, NULL, NULL);
	ck_assert_int_eq(prov->ops->apply(prov, ORIGIN, &cs, free_in_apply_cb,
	    &r1, err, sizeof(err)), 0);
	run_until(&r1, 5000);
	ck_assert_ptr_null(prov);
	ck_assert_int_eq(r1.status, CHANGE_RESULT_OK);
	ck_assert_uint_eq(httpd_nrequests(srv), 3);
	run_for(50);
	changeset_free(&cs);
	zone_free(a);
	zone_free(d);
}
END_TEST

/*
 * The API key is never logged: run fetches, failures and applies at debug
 * level with stderr captured, and look for it.
 */
START_TEST(test_key_never_logged)
{
	struct zone		*a, *d;
	struct changeset	 cs;
	struct result		 r2, r3;
	char			 path[64], *buf;
	int			 fd, saved;
	ssize_t			 n;

	snprintf(path, sizeof(path), "/tmp/check_powerdns_log.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	log_set_level(LOG_LEVEL_DEBUG);

	big_changeset(3, &a, &d, &cs);
	prov = provider_ok(&pc);
	memset(&r2, 0, sizeof(r2));
	memset(&r3, 0, sizeof(r3));
	httpd_expect(srv, "GET", ZPATH, 401, NULL, "Unauthorized");
	do_fetch(prov, ORIGIN, &r1, 3000);
	httpd_expect(srv, "GET", ZPATH, 200, json_hdrs, ZONE_HEAD SOA_NS_JSON
	    ", {\"name\": \"d.example.com.\", \"type\": \"A\", \"ttl\": 1, "
	    "\"records\": [{\"content\": \"192.0.2.1\", \"disabled\": true}]}"
	    ZONE_TAIL);
	do_fetch(prov, ORIGIN, &r2, 3000);
	httpd_expect(srv, "PATCH", ZPATH, 422, json_hdrs,
	    "{\"error\": \"nope\"}");
	do_apply(prov, ORIGIN, &cs, &r3, 3000);

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	log_set_level(LOG_LEVEL_WARN);

	buf = xcalloc(1, 65536);
	n = pread(fd, buf, 65535, 0);
	close(fd);
	unlink(path);
	ck_assert_int_gt(n, 0);
	ck_assert_msg(strstr(buf, "disabled record skipped") != NULL,
	    "debug log not captured: %s", buf);
	ck_assert_msg(strstr(buf, "PATCH") != NULL, "no PATCH line: %s", buf);
	ck_assert_msg(strstr(buf, KEY) == NULL, "the API key was logged");
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "HTTP 401: Unauthorized");
	ck_assert_int_eq(r3.res.results[0], CHANGE_RESULT_FAILED);
	ck_assert_ptr_null(strstr(r3.res.errors[0], KEY));
	free(buf);
	result_clear(&r2);
	result_clear(&r3);
	changeset_free(&cs);
	zone_free(a);
	zone_free(d);
}
END_TEST

/* --- the real server (PDNS_LAB=1) ------------------------------------------ */

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

static void
lab_setup(void)
{
	const char	*url, *kf;

	log_init(LOG_LEVEL_WARN, "check_powerdns");
	url = getenv("PDNS_API_URL");
	kf = getenv("PDNS_API_KEY_FILE");
	ck_assert_msg(url != NULL && kf != NULL, "PDNS_API_URL and "
	    "PDNS_API_KEY_FILE must be set (source the lab's lab.env)");
	base = event_base_new();
	http = http_new(base);
	srv = NULL;
	keyfile[0] = '\0';
	conf_init(&pc, "lab-pdns", url, kf);
	pc.timeout = 120;
	prov = NULL;
	memset(&r1, 0, sizeof(r1));
}

static void
lab_teardown(void)
{
	provider_free(prov);
	prov = NULL;
	result_clear(&r1);
	conf_clear(&pc);
	http_free(http);
	event_base_free(base);
}

/* Fetch origin and require zero changes against desired. */
static struct zone *
lab_fetch_same_ms(const struct zone *desired, const char *what, uint64_t *ms)
{
	struct result		 r;
	struct changeset	 cs;
	struct zone		*z;
	char			 tname[16];
	uint64_t		 t0;
	size_t			 i;

	memset(&r, 0, sizeof(r));
	t0 = now_ms();
	do_fetch(prov, desired->origin, &r, 30000);
	if (ms != NULL)
		*ms = now_ms() - t0;
	ck_assert_msg(r.status == 0, "%s: fetch: %s", what, r.error);
	ck_assert_int_eq(diff_zones(desired, r.zone, NULL, &cs), 0);
	for (i = 0; i < cs.nchanges; i++) {
		const struct change *c = &cs.changes[i];
		const struct rrset *rs = c->new != NULL ? c->new : c->old;

		fprintf(stderr, "%s: left over: %s %s %s (%s)\n", what,
		    change_op_name(c->op), rs->owner, zone_type_name(rs->type,
		    tname, sizeof(tname)), c->old != NULL && c->new != NULL ?
		    c->old->rdata[0].text : rs->rdata[0].text);
	}
	ck_assert_msg(cs.nchanges == 0, "%s: %zu changes after a round trip",
	    what, cs.nchanges);
	changeset_free(&cs);
	z = r.zone;
	r.zone = NULL;
	result_clear(&r);
	return (z);
}

static struct zone *
lab_fetch_same(const struct zone *desired, const char *what)
{
	return (lab_fetch_same_ms(desired, what, NULL));
}

static void
lab_apply(const struct zone *desired, const struct zone *actual,
    size_t want_changes, const char *what, uint64_t *ms, size_t *calls)
{
	struct changeset	cs;
	struct result		r;
	uint64_t		t0;
	size_t			i;

	ck_assert_int_eq(diff_zones(desired, actual, NULL, &cs), 0);
	ck_assert_msg(cs.nchanges == want_changes, "%s: %zu changes, want %zu",
	    what, cs.nchanges, want_changes);
	memset(&r, 0, sizeof(r));
	t0 = now_ms();
	do_apply(prov, desired->origin, &cs, &r, 600000);
	if (ms != NULL)
		*ms = now_ms() - t0;
	if (calls != NULL)
		*calls = r.res.api_calls;
	for (i = 0; i < cs.nchanges; i++)
		ck_assert_msg(r.res.results[i] == CHANGE_RESULT_OK,
		    "%s: change %zu: %s: %s", what, i,
		    change_result_name(r.res.results[i]),
		    r.res.errors[i] != NULL ? r.res.errors[i] : "");
	changeset_free(&cs);
	result_clear(&r);
}

static const char *const lab_types[] = {
	"www.example.com. 300 A 192.0.2.1",
	"www.example.com. 300 A 192.0.2.2",
	"www.example.com. 300 AAAA 2001:db8::1",
	"www.example.com. 300 AAAA 2001:DB8:0:0:0:0:0:2",
	"alias.example.com. 60 CNAME www.example.com.",
	"example.com. 3600 MX 10 Mail.Example.com.",
	"example.com. 3600 MX 20 mx2.example.net.",
	"example.com. 3600 TXT \"v=spf1 -all\"",
	"example.com. 3600 TXT \"a b\" \"c\\\"d\" \"e\\\\f\" \"caf\\195\\169\"",
	"example.com. 3600 TXT \"semi;colon\" \"tab\\009here\" \"\"",
	"long.example.com. 300 TXT \"" /* 255 + more: two strings */
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" \"bbbb\"",
	"_sip._tcp.example.com. 300 SRV 0 5 5060 sip.example.com.",
	"_sip._tcp.example.com. 300 SRV 10 0 5061 .",
	"example.com. 3600 CAA 0 issue \"letsencrypt.org\"",
	"example.com. 3600 CAA 128 iodef \"mailto:sec@example.com\"",
	"example.com. 3600 CAA 0 issuewild \";\"",
	"sub.example.com. 86400 NS ns1.other.net.",
	"sub.example.com. 86400 NS ns2.other.net.",
	"sub.example.com. 86400 DS 12345 13 2 "
	"2BB183AF5F22588179A53B0A98631FAD1A292118B1D1EAD9BD8B7B0F1D1E6B0A",
	"1.example.com. 300 PTR host.example.com.",
	"www.example.com. 300 SSHFP 1 1 "
	"DEADBEEF00112233445566778899AABBCCDDEEFF",
	"www.example.com. 300 SSHFP 4 2 "
	"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
	"_443._tcp.www.example.com. 300 TLSA 3 1 1 "
	"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
	"naptr.example.com. 300 NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" "
	"_sip._udp.example.com.",
	"naptr.example.com. 300 NAPTR 100 20 \"U\" \"E2U+sip\" "
	"\"!^.*$!sip:info@example.com!\" .",
	"loc.example.com. 300 LOC 52 22 23.000 N 4 53 32.000 E -2.00m 1.00m "
	"10000.00m 10.00m",
	"hinfo.example.com. 300 HINFO \"PC\" \"Linux\"",
	"dname.example.com. 300 DNAME target.example.net.",
	"*.wild.example.com. 300 A 192.0.2.77",
	"_dmarc.example.com. 300 TXT \"v=DMARC1; p=reject\"",
	"rp.example.com. 300 RP admin.example.com. txt.example.com.",
	"zero.example.com. 0 A 192.0.2.99",
	"sshkey.example.com. 300 OPENPGPKEY AQID",
	"loc2.example.com. 300 LOC 42 21 54 S 71 06 18 W -24m 30m",
	"cert.example.com. 300 CERT 1 0 13 AQID",
	"cert.example.com. 300 CERT 6 65535 8 AQIDBA==",
	"apl.example.com. 300 APL 1:192.168.32.0/21 !1:192.168.38.0/28",
	"eui.example.com. 300 EUI48 00-00-5e-00-53-2a",
	"eui.example.com. 300 EUI64 00-00-5e-ef-10-00-00-2a",
	"uri.example.com. 300 URI 10 1 \"ftp://ftp1.example.com/public\"",
	"smimea.example.com. 300 SMIMEA 3 1 1 "
	"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
	"spf.example.com. 300 SPF \"v=spf1 -all\"",
	"svc.example.com. 300 SVCB 1 . alpn=h2,h3 port=8443",
	"svc.example.com. 300 HTTPS 1 . alpn=h2 ipv4hint=192.0.2.1",
	"ipsec.example.com. 300 IPSECKEY 10 1 2 192.0.2.38 "
	"AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==",
	"bin.example.com. 300 TXT \"\\000\\255\" \"a\\\\b\" \"\\127\"",
	"unknown.example.com. 300 TYPE65280 \\# 3 abcdef",
	"example.com. 300 CDS 12345 13 2 "
	"2BB183AF5F22588179A53B0A98631FAD1A292118B1D1EAD9BD8B7B0F1D1E6B0A",
	"kx.example.com. 300 KX 10 kx.example.com.",
	"afs.example.com. 300 AFSDB 1 afs.example.com.",
	"minfo.example.com. 300 MINFO a.example.com. b.example.com.",
};

/* Every common type round-trips; updates and deletes too. */
START_TEST(test_lab_roundtrip)
{
	struct zone		*start, *desired, *got, *d2, *g2;
	struct zone_error	 err;
	char			 msg[256];
	size_t			 i, j;

	prov = provider_ok(&pc);
	memset(&r1, 0, sizeof(r1));
	do_fetch(prov, ORIGIN, &r1, 30000);
	ck_assert_msg(r1.status == 0, "fetch: %s", r1.error);
	ck_assert_ptr_nonnull(zone_find(r1.zone, ORIGIN, LDNS_RR_TYPE_SOA));
	ck_assert_ptr_nonnull(zone_find(r1.zone, ORIGIN, LDNS_RR_TYPE_NS));
	start = r1.zone;
	r1.zone = NULL;
	ck_assert_msg(start->nrrsets == 2, "the lab zone is not fresh: %zu "
	    "RRsets", start->nrrsets);

	desired = zone_plus(start, lab_types,
	    sizeof(lab_types) / sizeof(lab_types[0]));
	lab_apply(desired, start, desired->nrrsets - 2, "create", NULL, NULL);
	got = lab_fetch_same(desired, "after create");

	/* updates: new TTL, changed data, one more record; deletes */
	d2 = zone_new(ORIGIN);
	for (i = 0; i < desired->nrrsets; i++) {
		const struct rrset *rs = &desired->rrsets[i];

		if (strcmp(rs->owner, "hinfo.example.com.") == 0 ||
		    strcmp(rs->owner, "dname.example.com.") == 0 ||
		    rs->type == LDNS_RR_TYPE_NAPTR)
			continue;	/* deleted */
		for (j = 0; j < rs->nrdata; j++) {
			uint32_t ttl = rs->ttl;
			const char *text = rs->rdata[j].text;

			if (rs->type == LDNS_RR_TYPE_AAAA)
				ttl = 900;
			if (rs->type == LDNS_RR_TYPE_CNAME)
				text = "www2.example.com.";
			ck_assert_int_eq(zone_add_rr_text(d2, rs->owner,
			    rs->type, ttl, text, &err), 0);
		}
	}
	ck_assert_int_eq(zone_add_rr_text(d2, "www.example.com.",
	    LDNS_RR_TYPE_A, 300, "192.0.2.3", &err), 0);
	ck_assert_int_eq(zone_finish(d2, &err), 0);
	/* 3 updates (A, AAAA, CNAME), 3 deletes */
	lab_apply(d2, got, 6, "update/delete", NULL, NULL);
	g2 = lab_fetch_same(d2, "after update/delete");
	ck_assert_ptr_null(zone_find(g2, "hinfo.example.com.",
	    LDNS_RR_TYPE_HINFO));
	ck_assert_uint_eq(zone_find(g2, "www.example.com.",
	    LDNS_RR_TYPE_A)->nrdata, 3);
	zone_free(got);
	zone_free(desired);

	/* back to the start */
	lab_apply(start, g2, g2->nrrsets - 2, "cleanup", NULL, NULL);
	zone_free(g2);
	g2 = lab_fetch_same(start, "after cleanup");
	zone_free(g2);

	/* the apex NS as the nameservers */
	memset(&r1, 0, sizeof(r1));
	ck_assert_int_eq(prov->ops->nameservers(prov, ORIGIN, ns_cb, &r1,
	    msg, sizeof(msg)), 0);
	run_until(&r1, 30000);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_uint_eq(r1.nnames, 2);
	ck_assert_str_eq(r1.names[0], "ns1.pdns.lab.");
	ck_assert_str_eq(r1.names[1], "ns2.pdns.lab.");
	result_clear(&r1);

	/* a zone the server does not have */
	do_fetch(prov, "missing.example.", &r1, 30000);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "zone not found");
	result_clear(&r1);
	zone_free(d2);
	zone_free(start);
}
END_TEST

/* 10,000 RRsets: created in batches, fetched, deleted. */
START_TEST(test_lab_10k)
{
	struct zone		*start, *desired, *got;
	struct zone_error	 err;
	char			 owner[64], rdata[64];
	uint64_t		 apply_ms, fetch_ms, diff_ms, del_ms, t0;
	size_t			 i, calls, del_calls;

	prov = provider_ok(&pc);
	do_fetch(prov, ORIGIN, &r1, 30000);
	ck_assert_msg(r1.status == 0, "fetch: %s", r1.error);
	start = r1.zone;
	r1.zone = NULL;
	result_clear(&r1);
	ck_assert_uint_eq(start->nrrsets, 2);

	desired = zone_new(ORIGIN);
	for (i = 0; i < start->nrrsets; i++)
		ck_assert_int_eq(zone_add_rr_text(desired,
		    start->rrsets[i].owner, start->rrsets[i].type,
		    start->rrsets[i].ttl, start->rrsets[i].rdata[0].text,
		    &err), 0);
	for (i = 0; i < 10000; i++) {
		snprintf(owner, sizeof(owner), "h%05zu", i);
		if (i % 2 == 0) {
			snprintf(rdata, sizeof(rdata), "10.%zu.%zu.%zu",
			    (i >> 16) & 255, (i >> 8) & 255, i & 255);
			ck_assert_int_eq(zone_add_rr_text(desired, owner,
			    LDNS_RR_TYPE_A, 300, rdata, &err), 0);
		} else {
			snprintf(rdata, sizeof(rdata), "\"record %zu\"", i);
			ck_assert_int_eq(zone_add_rr_text(desired, owner,
			    LDNS_RR_TYPE_TXT, 300, rdata, &err), 0);
		}
	}
	ck_assert_int_eq(zone_finish(desired, &err), 0);
	lab_apply(desired, start, 10000, "10k create", &apply_ms, &calls);
	ck_assert_uint_eq(calls, 10);
	t0 = now_ms();
	got = lab_fetch_same_ms(desired, "10k fetch", &fetch_ms);
	diff_ms = now_ms() - t0 - fetch_ms;
	ck_assert_uint_eq(got->nrrsets, 10002);
	lab_apply(start, got, 10000, "10k delete", &del_ms, &del_calls);
	printf("figure: apply of 10000 creates: %llu ms, %zu PATCHes\n",
	    (unsigned long long)apply_ms, calls);
	printf("figure: fetch of 10002 RRsets: %llu ms (then diff: %llu "
	    "ms, 0 changes)\n", (unsigned long long)fetch_ms,
	    (unsigned long long)diff_ms);
	printf("figure: apply of 10000 deletes: %llu ms, %zu PATCHes\n",
	    (unsigned long long)del_ms, del_calls);
	fflush(stdout);
	zone_free(got);
	got = lab_fetch_same(start, "after 10k delete");
	zone_free(got);
	zone_free(desired);
	zone_free(start);
}
END_TEST

/* A bad key: fetch fails with 401, apply changes nothing. */
START_TEST(test_lab_bad_key)
{
	struct provider_conf	 bad;
	struct provider		*bp;
	struct zone		*start, *desired, *got;
	struct changeset	 cs;
	struct result		 r;
	char			 kf[64];
	int			 fd;
	static const char *const more[] = {
		"intruder.example.com. 300 A 192.0.2.66",
	};

	prov = provider_ok(&pc);
	do_fetch(prov, ORIGIN, &r1, 30000);
	ck_assert_msg(r1.status == 0, "fetch: %s", r1.error);
	start = r1.zone;
	r1.zone = NULL;
	result_clear(&r1);

	snprintf(kf, sizeof(kf), "/tmp/check_powerdns.XXXXXX");
	fd = mkstemp(kf);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_key(kf, "not-the-key", 0600);
	conf_init(&bad, "lab-bad", provider_conf_get(&pc, "url"), kf);
	bp = provider_ok(&bad);
	memset(&r, 0, sizeof(r));
	do_fetch(bp, ORIGIN, &r, 30000);
	ck_assert_int_eq(r.status, -1);
	ck_assert_str_eq(r.error, "HTTP 401: Unauthorized");
	ck_assert_ptr_null(r.zone);
	result_clear(&r);

	desired = zone_plus(start, more, 1);
	ck_assert_int_eq(diff_zones(desired, start, NULL, &cs), 0);
	ck_assert_uint_eq(cs.nchanges, 1);
	do_apply(bp, ORIGIN, &cs, &r, 30000);
	ck_assert_int_eq(r.res.results[0], CHANGE_RESULT_FAILED);
	ck_assert_str_eq(r.res.errors[0], "HTTP 401: Unauthorized");
	result_clear(&r);
	changeset_free(&cs);
	provider_free(bp);
	conf_clear(&bad);
	unlink(kf);

	got = lab_fetch_same(start, "after a bad key");
	ck_assert_ptr_null(zone_find(got, "intruder.example.com.",
	    LDNS_RR_TYPE_A));
	zone_free(got);
	zone_free(desired);
	zone_free(start);
}
END_TEST

/* create-zone = yes: a new zone with the configured nameservers. */
START_TEST(test_lab_create)
{
	char		 origin[64], err[256];
	const struct rrset *rs;

	snprintf(origin, sizeof(origin), "new%ld.example.", (long)getpid());
	conf_set(&pc, "create-zone", "yes");
	conf_set(&pc, "nameservers", "ns1.pdns.lab. ns2.pdns.lab.");
	prov = provider_ok(&pc);
	ck_assert_int_eq(prov->ops->create(prov, origin, fetch_cb, &r1, err,
	    sizeof(err)), 0);
	run_until(&r1, 30000);
	ck_assert_msg(r1.status == 0, "create: %s", r1.error);
	ck_assert_ptr_nonnull(zone_find(r1.zone, origin, LDNS_RR_TYPE_SOA));
	rs = zone_find(r1.zone, origin, LDNS_RR_TYPE_NS);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(rs->nrdata, 2);
	ck_assert_str_eq(rs->rdata[0].text, "ns1.pdns.lab.");
	ck_assert_str_eq(rs->rdata[1].text, "ns2.pdns.lab.");
	result_clear(&r1);
	/* creating it again: it exists, the zone is reported */
	ck_assert_int_eq(prov->ops->create(prov, origin, fetch_cb, &r1, err,
	    sizeof(err)), 0);
	run_until(&r1, 30000);
	ck_assert_msg(r1.status == 0, "create again: %s", r1.error);
	ck_assert_uint_eq(r1.zone->nrrsets, 2);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;
	SRunner	*sr;
	int	 failed, lab;

	lab = getenv("PDNS_LAB") != NULL && strcmp(getenv("PDNS_LAB"),
	    "1") == 0;
	s = suite_create("powerdns");
	if (lab) {
		tc = tcase_create("lab");
		tcase_add_checked_fixture(tc, lab_setup, lab_teardown);
		tcase_set_timeout(tc, 600);
		tcase_add_test(tc, test_lab_roundtrip);
		tcase_add_test(tc, test_lab_bad_key);
		tcase_add_test(tc, test_lab_10k);
		tcase_add_test(tc, test_lab_create);
		suite_add_tcase(s, tc);
	} else {
		tc = tcase_create("fake");
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_set_timeout(tc, 60);
		tcase_add_test(tc, test_fetch_path_and_key);
		tcase_add_test(tc, test_zone_id_escape);
		tcase_add_test(tc, test_fetch_all_types);
		tcase_add_test(tc, test_not_found_404);
		tcase_add_test(tc, test_not_found_422);
		tcase_add_test(tc, test_server_error_retried);
		tcase_add_test(tc, test_unauthorized);
		tcase_add_loop_test(tc, test_bad_body, 0,
		    (int)(sizeof(bad_bodies) / sizeof(bad_bodies[0])));
		tcase_add_test(tc, test_truncated_transfer);
		tcase_add_test(tc, test_disabled_skipped);
		tcase_add_test(tc, test_apply_body);
		tcase_add_test(tc, test_apply_content_spelling);
		tcase_add_test(tc, test_apply_empty);
		tcase_add_test(tc, test_apply_batches);
		tcase_add_test(tc, test_apply_second_batch_fails);
		tcase_add_test(tc, test_apply_422_message);
		tcase_add_test(tc, test_apply_retried);
		tcase_add_test(tc, test_cancel_in_flight);
		tcase_add_test(tc, test_nameservers_configured);
		tcase_add_test(tc, test_nameservers_fetched);
		tcase_add_test(tc, test_nameservers_not_found);
		tcase_add_test(tc, test_create);
		tcase_add_test(tc, test_create_refused);
		tcase_add_test(tc, test_create_disabled);
		tcase_add_test(tc, test_init_errors);
		tcase_add_test(tc, test_free_in_callback);
		tcase_add_test(tc, test_key_never_logged);
		suite_add_tcase(s, tc);
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
