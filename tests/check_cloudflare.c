/*
 * check_cloudflare.c: the Cloudflare backend against tests/httpd, with a
 * dynamic fake of the Cloudflare API v4 that keeps records in memory and
 * answers as Cloudflare documents: the {success, errors, messages,
 * result, result_info} envelope, zone lookup by name, page/per_page
 * listing with result_info, dns_settings (multi_provider, ns_ttl) and the
 * atomic batch endpoint (deletes, patches, puts, posts; 200 operations on
 * the Free plan).  Each case names the documented behaviour it covers.
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
#define TOKEN		"cf-Tok3n-9f8e7d6c5b4a-SECRET"
#define ZID		"023e105f4ecef8ad9ca31a8372d0c353"
#define API		"/client/v4"
#define ZPATH		API "/zones/" ZID

static struct event_base	*base;
static struct http		*http;
static struct httpd		*srv;
static char			 tokenfile[64];
static struct provider_conf	 pc;
static struct provider		*prov;

struct result {
	int			 called;
	int			 status;
	char			*error;
	struct zone		*zone;
	char			**names;
	size_t			 nnames;
	struct apply_result	 res;
	struct changeset	*free_cs;	/* freed by apply_cb, as reconcile does */
};

static struct result	 r1;

/* --- the fake Cloudflare API ---------------------------------------------- */

struct fake {
	cJSON		*records;	/* as the API returns them */
	unsigned	 next_id;
	int		 nzones;	/* zones answering ?name= */
	int		 multi_provider;
	int		 txt_raw;	/* list TXT content unquoted (older API) */
	int		 count_skew;	/* added to result_info.total_count */
	int		 fail_page;	/* this page answers 500 */
	int		 fail_batch;	/* this batch (1-based) is refused */
	int		 nbatches;
	int		 max_ops;	/* per batch */
};

static struct fake	 fk;

static const char *const json_hdrs[] = {
	"Content-Type: application/json", NULL
};

static void
fake_reply(struct httpd_reply *out, int status, cJSON *j)
{
	out->status = status;
	out->headers = json_hdrs;
	out->body = cJSON_PrintUnformatted(j);
	out->body_free = 1;
	cJSON_Delete(j);
}

static cJSON *
fake_envelope(int success, cJSON *result)
{
	cJSON	*j = cJSON_CreateObject();

	cJSON_AddBoolToObject(j, "success", success);
	cJSON_AddArrayToObject(j, "errors");
	cJSON_AddArrayToObject(j, "messages");
	if (result != NULL)
		cJSON_AddItemToObject(j, "result", result);
	else
		cJSON_AddNullToObject(j, "result");
	return (j);
}

static void
fake_error(struct httpd_reply *out, int status, int code, const char *msg)
{
	cJSON	*j = fake_envelope(0, NULL), *e;

	e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", msg);
	cJSON_AddItemToArray(cJSON_GetObjectItem(j, "errors"), e);
	fake_reply(out, status, j);
}

static cJSON *
fake_zone(void)
{
	cJSON	*z = cJSON_CreateObject(), *ns;

	cJSON_AddStringToObject(z, "id", ZID);
	cJSON_AddStringToObject(z, "name", "example.com");
	cJSON_AddStringToObject(z, "status", "active");
	ns = cJSON_AddArrayToObject(z, "name_servers");
	cJSON_AddItemToArray(ns, cJSON_CreateString("ada.ns.cloudflare.com"));
	cJSON_AddItemToArray(ns, cJSON_CreateString("bob.ns.cloudflare.com"));
	return (z);
}

/* Content as the API shows it, from data for SRV and CAA. */
static void
fake_fill_content(cJSON *rec)
{
	const cJSON	*type = cJSON_GetObjectItem(rec, "type");
	const cJSON	*data = cJSON_GetObjectItem(rec, "data");
	char		 buf[1024];

	if (data == NULL)
		return;
	if (strcmp(type->valuestring, "SRV") == 0) {
		snprintf(buf, sizeof(buf), "%d %d %d %s",
		    cJSON_GetObjectItem(data, "priority")->valueint,
		    cJSON_GetObjectItem(data, "weight")->valueint,
		    cJSON_GetObjectItem(data, "port")->valueint,
		    cJSON_GetObjectItem(data, "target")->valuestring);
		cJSON_DeleteItemFromObject(rec, "content");
		cJSON_AddStringToObject(rec, "content", buf);
	} else if (strcmp(type->valuestring, "CAA") == 0) {
		snprintf(buf, sizeof(buf), "%d %s \"%s\"",
		    cJSON_GetObjectItem(data, "flags")->valueint,
		    cJSON_GetObjectItem(data, "tag")->valuestring,
		    cJSON_GetObjectItem(data, "value")->valuestring);
		cJSON_DeleteItemFromObject(rec, "content");
		cJSON_AddStringToObject(rec, "content", buf);
	}
}

/* Store a record; its id ("r0001", ...) is returned (static). */
static const char *
fake_add(const char *name, const char *type, const char *content, int ttl,
    int proxied, int priority, const char *data)
{
	cJSON	*r = cJSON_CreateObject();
	char	 id[32];

	snprintf(id, sizeof(id), "r%04u", ++fk.next_id);
	cJSON_AddStringToObject(r, "id", id);
	cJSON_AddStringToObject(r, "zone_id", ZID);
	cJSON_AddStringToObject(r, "zone_name", "example.com");
	cJSON_AddStringToObject(r, "name", name);
	cJSON_AddStringToObject(r, "type", type);
	if (content != NULL)
		cJSON_AddStringToObject(r, "content", content);
	cJSON_AddBoolToObject(r, "proxiable", strcmp(type, "A") == 0 ||
	    strcmp(type, "AAAA") == 0 || strcmp(type, "CNAME") == 0);
	cJSON_AddBoolToObject(r, "proxied", proxied);
	cJSON_AddNumberToObject(r, "ttl", ttl);
	if (priority >= 0)
		cJSON_AddNumberToObject(r, "priority", priority);
	if (data != NULL)
		cJSON_AddItemToObject(r, "data", cJSON_Parse(data));
	cJSON_AddNullToObject(r, "comment");
	cJSON_AddArrayToObject(r, "tags");
	fake_fill_content(r);
	cJSON_AddItemToArray(fk.records, r);
	return (cJSON_GetObjectItem(r, "id")->valuestring);
}

static cJSON *
fake_find(cJSON *arr, const char *id)
{
	cJSON	*r;

	cJSON_ArrayForEach(r, arr) {
		if (strcmp(cJSON_GetObjectItem(r, "id")->valuestring, id) == 0)
			return (r);
	}
	return (NULL);
}

/* Older answers: TXT content as one raw string, quotes removed. */
static char *
fake_unquote(const char *s)
{
	char	*out = xcalloc(1, strlen(s) + 1), *o = out;
	int	 q = 0;

	for (; *s != '\0'; s++) {
		if (*s == '"') {
			q = !q;
			continue;
		}
		if (!q)
			continue;
		if (*s == '\\' && s[1] != '\0')
			s++;
		*o++ = *s;
	}
	return (out);
}

static void
fake_list(const struct httpd_request *req, struct httpd_reply *out)
{
	const char	*q;
	int		 page = 1, per_page = 100, total, i, n = 0;
	cJSON		*res, *j, *info, *r, *c;
	char		*raw;

	if ((q = strstr(req->uri, "page=")) != NULL && q[-1] != '_')
		page = atoi(q + 5);
	if ((q = strstr(req->uri, "&page=")) != NULL)
		page = atoi(q + 6);
	if ((q = strstr(req->uri, "per_page=")) != NULL)
		per_page = atoi(q + 9);
	if (page == fk.fail_page) {
		fake_error(out, 500, 10000, "Internal Server Error");
		return;
	}
	total = cJSON_GetArraySize(fk.records);
	res = cJSON_CreateArray();
	for (i = (page - 1) * per_page; i < total && i < page * per_page;
	    i++) {
		r = cJSON_Duplicate(cJSON_GetArrayItem(fk.records, i), 1);
		c = cJSON_GetObjectItem(r, "content");
		if (fk.txt_raw && strcmp(cJSON_GetObjectItem(r,
		    "type")->valuestring, "TXT") == 0) {
			raw = fake_unquote(c->valuestring);
			cJSON_SetValuestring(c, raw);
			free(raw);
		}
		cJSON_AddItemToArray(res, r);
		n++;
	}
	j = fake_envelope(1, res);
	info = cJSON_AddObjectToObject(j, "result_info");
	cJSON_AddNumberToObject(info, "page", page);
	cJSON_AddNumberToObject(info, "per_page", per_page);
	cJSON_AddNumberToObject(info, "count", n);
	cJSON_AddNumberToObject(info, "total_count", total + fk.count_skew);
	cJSON_AddNumberToObject(info, "total_pages",
	    (total + per_page - 1) / per_page);
	fake_reply(out, 200, j);
}

/* The batch endpoint: deletes, patches, puts, posts, in that order, all
 * or nothing. */
static void
fake_batch(const struct httpd_request *req, struct httpd_reply *out)
{
	cJSON		*body, *work, *del, *pat, *pos, *it, *r, *res, *arr;
	cJSON		*saved;
	int		 nops;
	char		 id[32];

	fk.nbatches++;
	body = cJSON_Parse(req->body);
	if (body == NULL) {
		fake_error(out, 400, 9207, "Request body is invalid.");
		return;
	}
	del = cJSON_GetObjectItem(body, "deletes");
	pat = cJSON_GetObjectItem(body, "patches");
	pos = cJSON_GetObjectItem(body, "posts");
	nops = cJSON_GetArraySize(del) + cJSON_GetArraySize(pat) +
	    cJSON_GetArraySize(pos) +
	    cJSON_GetArraySize(cJSON_GetObjectItem(body, "puts"));
	if (nops > fk.max_ops) {
		cJSON_Delete(body);
		fake_error(out, 400, 81058, "Batch request exceeds the maximum "
		    "number of operations");
		return;
	}
	if (fk.nbatches == fk.fail_batch) {
		cJSON_Delete(body);
		fake_error(out, 400, 81057, "An identical record already "
		    "exists.");
		return;
	}
	work = cJSON_Duplicate(fk.records, 1);
	res = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(res, "deletes");
	cJSON_ArrayForEach(it, del) {
		r = fake_find(work, cJSON_GetObjectItem(it, "id")->valuestring);
		if (r == NULL)
			goto missing;
		cJSON_AddItemToArray(arr, cJSON_Duplicate(r, 1));
		cJSON_DetachItemViaPointer(work, r);
		cJSON_Delete(r);
	}
	arr = cJSON_AddArrayToObject(res, "patches");
	cJSON_ArrayForEach(it, pat) {
		cJSON *f;

		r = fake_find(work, cJSON_GetObjectItem(it, "id")->valuestring);
		if (r == NULL)
			goto missing;
		cJSON_ArrayForEach(f, it) {
			if (strcmp(f->string, "id") == 0)
				continue;
			cJSON_DeleteItemFromObject(r, f->string);
			cJSON_AddItemToObject(r, f->string,
			    cJSON_Duplicate(f, 1));
		}
		cJSON_AddItemToArray(arr, cJSON_Duplicate(r, 1));
	}
	arr = cJSON_AddArrayToObject(res, "posts");
	saved = fk.records;
	fk.records = work;
	cJSON_ArrayForEach(it, pos) {
		const cJSON *p = cJSON_GetObjectItem(it, "priority");
		const cJSON *d = cJSON_GetObjectItem(it, "data");
		const cJSON *c = cJSON_GetObjectItem(it, "content");
		char *ds = d != NULL ? cJSON_PrintUnformatted(d) : NULL;
		const char *nid;

		nid = fake_add(cJSON_GetObjectItem(it, "name")->valuestring,
		    cJSON_GetObjectItem(it, "type")->valuestring,
		    c != NULL ? c->valuestring : NULL,
		    cJSON_GetObjectItem(it, "ttl")->valueint,
		    cJSON_IsTrue(cJSON_GetObjectItem(it, "proxied")),
		    p != NULL ? p->valueint : -1, ds);
		free(ds);
		snprintf(id, sizeof(id), "%s", nid);
		cJSON_AddItemToArray(arr, cJSON_Duplicate(fake_find(work, id),
		    1));
	}
	cJSON_Delete(saved);
	cJSON_Delete(body);
	fake_reply(out, 200, fake_envelope(1, res));
	return;

missing:
	cJSON_Delete(work);
	cJSON_Delete(res);
	cJSON_Delete(body);
	fake_error(out, 400, 81044, "Record does not exist.");
}

static int
fake_cb(const struct httpd_request *req, struct httpd_reply *out, void *arg)
{
	cJSON	*arr, *s;
	int	 i;

	(void)arg;
	if (strcmp(req->method, "GET") == 0 &&
	    strcmp(req->uri, API "/zones?name=example.com") == 0) {
		arr = cJSON_CreateArray();
		for (i = 0; i < fk.nzones; i++)
			cJSON_AddItemToArray(arr, fake_zone());
		fake_reply(out, 200, fake_envelope(1, arr));
		return (0);
	}
	if (strcmp(req->method, "GET") == 0 &&
	    strcmp(req->path, ZPATH) == 0) {
		fake_reply(out, 200, fake_envelope(1, fake_zone()));
		return (0);
	}
	if (strcmp(req->method, "GET") == 0 &&
	    strcmp(req->path, ZPATH "/dns_settings") == 0) {
		s = cJSON_CreateObject();
		cJSON_AddBoolToObject(s, "multi_provider", fk.multi_provider);
		cJSON_AddNumberToObject(s, "ns_ttl", 86400);
		cJSON_AddBoolToObject(s, "flatten_all_cnames", 0);
		fake_reply(out, 200, fake_envelope(1, s));
		return (0);
	}
	if (strcmp(req->method, "GET") == 0 &&
	    strcmp(req->path, ZPATH "/dns_records") == 0) {
		fake_list(req, out);
		return (0);
	}
	if (strcmp(req->method, "POST") == 0 &&
	    strcmp(req->path, ZPATH "/dns_records/batch") == 0) {
		fake_batch(req, out);
		return (0);
	}
	return (-1);
}

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
write_secret(const char *path, const char *s, mode_t mode)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	ck_assert_int_eq(write(fd, "\n", 1), 1);
	close(fd);
}

static struct provider *
provider_ok(void)
{
	struct provider	*p;
	char		 err[512];

	p = provider_new(&pc, base, http, err, sizeof(err));
	ck_assert_msg(p != NULL, "provider_new: %s", err);
	return (p);
}

static void
setup(void)
{
	char	*url;
	int	 fd;

	log_init(LOG_LEVEL_WARN, "check_cloudflare");
	base = event_base_new();
	http = http_new(base);
	srv = httpd_new(base);
	snprintf(tokenfile, sizeof(tokenfile), "/tmp/check_cf.XXXXXX");
	fd = mkstemp(tokenfile);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_secret(tokenfile, TOKEN, 0600);
	memset(&pc, 0, sizeof(pc));
	pc.name = xstrdup("cf");
	pc.type = xstrdup("cloudflare");
	pc.timeout = 5;
	pc.max_concurrency = 2;
	url = httpd_url(srv, API);
	conf_set(&pc, "api-url", url);
	free(url);
	conf_set(&pc, "api-token-file", tokenfile);
	conf_set(&pc, "proxied", "leave");
	prov = NULL;
	memset(&r1, 0, sizeof(r1));
	memset(&fk, 0, sizeof(fk));
	fk.records = cJSON_CreateArray();
	fk.nzones = 1;
	fk.max_ops = 200;
	httpd_on(srv, fake_cb, NULL);
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
	unlink(tokenfile);
	httpd_free(srv);
	http_free(http);
	event_base_free(base);
	cJSON_Delete(fk.records);
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
	if (r->free_cs != NULL) {
		changeset_free(r->free_cs);
		free(r->free_cs);
		r->free_cs = NULL;
	}
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
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

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
do_fetch(struct result *r)
{
	char	err[512];

	ck_assert_msg(prov->ops->fetch(prov, ORIGIN, fetch_cb, r, err,
	    sizeof(err)) == 0, "fetch: %s", err);
	run_until(r, 15000);
}

static void
do_apply(const struct changeset *cs, struct result *r)
{
	char	err[512];

	ck_assert_msg(prov->ops->apply(prov, ORIGIN, cs, apply_cb, r, err,
	    sizeof(err)) == 0, "apply: %s", err);
	run_until(r, 15000);
}

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* A zone from lines "owner ttl TYPE rdata". */
static struct zone *
mkzone(const char *const *lines, size_t n)
{
	struct zone		*z = zone_new(ORIGIN);
	struct zone_error	 err;
	char			 owner[300], type[16], *rdata;
	unsigned		 ttl;
	size_t			 i;

	rdata = xmalloc(8192);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(lines[i], "%255s %u %15s %8191[^\n]",
		    owner, &ttl, type, rdata), 4);
		ck_assert_msg(zone_add_rr_text(z, owner,
		    ldns_get_rr_type_by_name(type), ttl, rdata, &err) == 0,
		    "%s: %s", lines[i], err.msg);
	}
	free(rdata);
	ck_assert_int_eq(zone_finish(z, &err), 0);
	return (z);
}

static cJSON *
request_json(size_t i)
{
	const struct httpd_request	*rq = httpd_request(srv, i);
	cJSON				*j;

	ck_assert_ptr_nonnull(rq);
	j = cJSON_ParseWithLength(rq->body, rq->body_len);
	ck_assert_msg(j != NULL, "request %zu: body is not JSON", i);
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

static void
assert_request(size_t i, const char *method, const char *uri)
{
	const struct httpd_request	*rq = httpd_request(srv, i);

	ck_assert_ptr_nonnull(rq);
	ck_assert_str_eq(rq->method, method);
	ck_assert_str_eq(rq->uri, uri);
	ck_assert_str_eq(httpd_request_header(rq, "Authorization"),
	    "Bearer " TOKEN);
}

/* fetch the fake, diff desired against it, apply, all OK. */
static void
sync_to(const struct zone *want, size_t nchanges)
{
	struct result		 ra, rb;
	struct changeset	 cs;
	size_t			 i;

	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	do_fetch(&ra);
	ck_assert_msg(ra.status == 0, "fetch: %s", ra.error);
	ck_assert_int_eq(diff_zones(want, ra.zone, NULL, &cs), 0);
	ck_assert_uint_eq(cs.nchanges, nchanges);
	do_apply(&cs, &rb);
	for (i = 0; i < cs.nchanges; i++)
		ck_assert_msg(rb.res.results[i] == CHANGE_RESULT_OK,
		    "change %zu: %s", i, rb.res.errors[i]);
	changeset_free(&cs);
	result_clear(&ra);
	result_clear(&rb);
}

/* fetch again: the zone equals want, diff is empty. */
static void
assert_in_sync(const struct zone *want)
{
	struct result		ra;
	struct changeset	cs;

	memset(&ra, 0, sizeof(ra));
	do_fetch(&ra);
	ck_assert_msg(ra.status == 0, "fetch: %s", ra.error);
	ck_assert_int_eq(diff_zones(want, ra.zone, NULL, &cs), 0);
	if (cs.nchanges > 0)
		zone_print(ra.zone, stderr);
	ck_assert_uint_eq(cs.nchanges, 0);
	ck_assert(ra.zone->hash == want->hash);
	changeset_free(&cs);
	result_clear(&ra);
}

/* --- cases ---------------------------------------------------------------- */

/*
 * Documented: zones are found with GET /zones?name=; every call carries
 * "Authorization: Bearer <token>"; dns_settings holds multi_provider;
 * records are listed with page/per_page and the result_info envelope.
 * Cloudflare lists no SOA.
 */
START_TEST(test_lookup_and_list)
{
	const struct rrset	*rs;

	fake_add("www.example.com", "A", "192.0.2.1", 3600, 0, -1, NULL);
	prov = provider_ok();
	ck_assert_uint_eq(prov->caps.flags, PROVIDER_CAP_ATOMIC);
	ck_assert_uint_eq(prov->caps.max_batch, 200);
	ck_assert_uint_eq(prov->caps.min_ttl, 60);
	ck_assert_uint_eq(prov->caps.ntypes, 9);
	ck_assert(provider_supports_type(prov, LDNS_RR_TYPE_CAA));
	ck_assert(!provider_supports_type(prov, LDNS_RR_TYPE_SOA));
	do_fetch(&r1);
	ck_assert_msg(r1.status == 0, "fetch: %s", r1.error);
	ck_assert_uint_eq(httpd_nrequests(srv), 3);
	assert_request(0, "GET", API "/zones?name=example.com");
	assert_request(1, "GET", ZPATH "/dns_settings");
	assert_request(2, "GET", ZPATH "/dns_records?per_page=1000&page=1");
	ck_assert_str_eq(httpd_request_header(httpd_request(srv, 2),
	    "Accept"), "application/json");
	ck_assert_uint_eq(r1.zone->nrrsets, 1);
	rs = zone_find(r1.zone, "www.example.com.", LDNS_RR_TYPE_A);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(rs->ttl, 3600);
	ck_assert_str_eq(rs->rdata[0].text, "192.0.2.1");
	ck_assert_ptr_null(zone_find(r1.zone, ORIGIN, LDNS_RR_TYPE_SOA));
	/* the zone id is kept: the next fetch does not look it up */
	result_clear(&r1);
	do_fetch(&r1);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_uint_eq(httpd_nrequests(srv), 5);
	assert_request(3, "GET", ZPATH "/dns_settings");
}
END_TEST

/* Documented: GET /zones?name= answers an empty result when no zone has
 * that name: an error, never an empty zone. */
START_TEST(test_lookup_none)
{
	fk.nzones = 0;
	prov = provider_ok();
	do_fetch(&r1);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "zone not found");
	ck_assert_ptr_null(r1.zone);
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
}
END_TEST

/* The name filter can match zones of several accounts: refused. */
START_TEST(test_lookup_two)
{
	fk.nzones = 2;
	prov = provider_ok();
	do_fetch(&r1);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "2 zones are named example.com. at "
	    "Cloudflare; set zone-id");
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
}
END_TEST

/* Documented: GET /zones/{zone_id} gives the zone's name; with zone-id
 * configured it must be the origin. */
START_TEST(test_zone_id_configured)
{
	conf_set(&pc, "zone-id", ZID);
	prov = provider_ok();
	do_fetch(&r1);
	ck_assert_msg(r1.status == 0, "fetch: %s", r1.error);
	assert_request(0, "GET", ZPATH);
	assert_request(1, "GET", ZPATH "/dns_settings");
	result_clear(&r1);
	/* another origin with the same zone id: refused */
	ck_assert_int_eq(prov->ops->fetch(prov, "example.net.", fetch_cb, &r1,
	    (char[64]){0}, 64), 0);
	run_until(&r1, 5000);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "invalid response: zone " ZID " is "
	    "example.com, not example.net.");
}
END_TEST

/* Documented: result_info.total_pages; every page is read, 2,500
 * records at per_page=1000 are three pages. */
START_TEST(test_pagination)
{
	char	name[64], ip[32];
	size_t	i;

	for (i = 0; i < 2500; i++) {
		snprintf(name, sizeof(name), "h%04zu.example.com", i);
		snprintf(ip, sizeof(ip), "10.0.%zu.%zu", i / 256, i % 256);
		fake_add(name, "A", ip, 300, 0, -1, NULL);
	}
	prov = provider_ok();
	do_fetch(&r1);
	ck_assert_msg(r1.status == 0, "fetch: %s", r1.error);
	ck_assert_uint_eq(r1.zone->nrrsets, 2500);
	ck_assert_uint_eq(httpd_nrequests(srv), 5);
	assert_request(2, "GET", ZPATH "/dns_records?per_page=1000&page=1");
	assert_request(3, "GET", ZPATH "/dns_records?per_page=1000&page=2");
	assert_request(4, "GET", ZPATH "/dns_records?per_page=1000&page=3");
	ck_assert_ptr_nonnull(zone_find(r1.zone, "h2499.example.com.",
	    LDNS_RR_TYPE_A));
	ck_assert_ptr_nonnull(zone_find(r1.zone, "h0000.example.com.",
	    LDNS_RR_TYPE_A));
}
END_TEST

/* A page that fails (5xx, retried as GET is idempotent) is an error: the
 * records of page 1 are never reported as the zone. */
START_TEST(test_page_fails)
{
	char	name[64];
	size_t	i;

	for (i = 0; i < 1500; i++) {
		snprintf(name, sizeof(name), "h%04zu.example.com", i);
		fake_add(name, "TXT", "\"x\"", 300, 0, -1, NULL);
	}
	fk.fail_page = 2;
	prov = provider_ok();
	do_fetch(&r1);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_ptr_null(r1.zone);
	ck_assert_str_eq(r1.error, "HTTP 500: Internal Server Error "
	    "(code 10000)");
	ck_assert_uint_eq(httpd_nrequests(srv), 3 + 4);	/* 1 + 3 retries */
}
END_TEST

/* Documented: result_info.total_count; a listing that ends short of it
 * is an error. */
START_TEST(test_total_count_mismatch)
{
	fake_add("a.example.com", "A", "192.0.2.1", 300, 0, -1, NULL);
	fk.count_skew = 1;
	prov = provider_ok();
	do_fetch(&r1);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "incomplete listing: 1 records read, "
	    "result_info.total_count is 2");
	ck_assert_ptr_null(r1.zone);
}
END_TEST

/* Documented envelope: "success": false with errors[] is an error with
 * Cloudflare's message, even with HTTP 200. */
START_TEST(test_success_false)
{
	static const char body[] = "{\"success\":false,\"errors\":[{\"code\":"
	    "7003,\"message\":\"Could not route to /zones/x, perhaps your "
	    "object identifier is invalid?\"}],\"messages\":[],\"result\":"
	    "null}";

	prov = provider_ok();
	httpd_expect(srv, "GET", API "/zones", 200, json_hdrs, body);
	do_fetch(&r1);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "Cloudflare error: Could not route to "
	    "/zones/x, perhaps your object identifier is invalid? (code "
	    "7003)");
}
END_TEST

/* Documented: 401/403 with errors[] for a bad or expired token; not
 * retried; a clear message. */
START_TEST(test_bad_token)
{
	static const char body[] = "{\"success\":false,\"errors\":[{\"code\":"
	    "1000,\"message\":\"Invalid API Token\"}],\"messages\":[],"
	    "\"result\":null}";

	prov = provider_ok();
	httpd_expect(srv, "GET", API "/zones", 401, json_hdrs, body);
	do_fetch(&r1);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "HTTP 401: Invalid API Token (code 1000) "
	    "(the API token is invalid, expired or lacks permission)");
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
}
END_TEST

/* Documented rate limit: 429 with Retry-After (seconds); the request is
 * repeated after that long. */
START_TEST(test_429_retry_after)
{
	static const char *const h[] = {
		"Content-Type: application/json", "Retry-After: 1", NULL
	};
	uint64_t	t0;

	prov = provider_ok();
	httpd_expect(srv, "GET", API "/zones", 429, h, "{\"success\":false,"
	    "\"errors\":[{\"code\":971,\"message\":\"Please wait and consider "
	    "throttling your request speed\"}],\"messages\":[],\"result\":"
	    "null}");
	t0 = now_ms();
	do_fetch(&r1);
	ck_assert_msg(r1.status == 0, "fetch: %s", r1.error);
	ck_assert_uint_ge(now_ms() - t0, 1000);
	ck_assert_uint_eq(httpd_nrequests(srv), 4);
	assert_request(1, "GET", API "/zones?name=example.com");
	ck_assert_uint_ge(httpd_request(srv, 1)->at_ms -
	    httpd_request(srv, 0)->at_ms, 1000);
}
END_TEST

/*
 * Documented record formats, written and read back: A, AAAA, CNAME (no
 * trailing dot), MX (priority field), TXT (quoted character strings of up
 * to 255 bytes, longer strings split), SRV and CAA (data objects), NS
 * delegation, PTR.  After apply, a fetch diffs empty.
 */
START_TEST(test_roundtrip_types)
{
	static char long_txt[700];
	const char	*lines[16];
	struct zone	*want;
	cJSON		*j, *posts, *it;
	size_t		 n = 0, i;
	char		 buf[1000];
	int		 seen_srv = 0, seen_caa = 0, seen_mx = 0;

	memset(buf, 'k', 600);
	buf[600] = '\0';
	snprintf(long_txt, sizeof(long_txt), "dkim 300 TXT \"%.255s\" "
	    "\"%.255s\" \"%.90s\"", buf, buf, buf);
	lines[n++] = "www 300 A 192.0.2.1";
	lines[n++] = "www 300 A 192.0.2.2";
	lines[n++] = "www 300 AAAA 2001:db8::1";
	lines[n++] = "alias 3600 CNAME www.example.com.";
	lines[n++] = "@ 3600 MX 10 mail.example.com.";
	lines[n++] = "@ 3600 MX 20 mx2.example.net.";
	lines[n++] = "@ 300 TXT \"v=spf1 -all\"";
	lines[n++] = "quoted 300 TXT \"a \\\"b\\\" c\" \"second\"";
	lines[n++] = long_txt;
	lines[n++] = "_sip._tcp 300 SRV 0 5 5060 sip.example.com.";
	lines[n++] = "@ 3600 CAA 0 issue \"letsencrypt.org\"";
	lines[n++] = "sub 86400 NS ns1.other.net.";
	lines[n++] = "sub 86400 NS ns2.other.net.";
	lines[n++] = "1.rev 300 PTR host.example.com.";
	want = mkzone(lines, n);

	prov = provider_ok();
	sync_to(want, 11);
	ck_assert_int_eq(fk.nbatches, 1);
	/* request 3 is the batch: all posts, nothing else */
	assert_request(3, "POST", ZPATH "/dns_records/batch");
	ck_assert_str_eq(httpd_request_header(httpd_request(srv, 3),
	    "Content-Type"), "application/json");
	j = request_json(3);
	ck_assert_int_eq(cJSON_GetArraySize(j), 1);
	posts = cJSON_GetObjectItem(j, "posts");
	ck_assert_int_eq(cJSON_GetArraySize(posts), 14);
	cJSON_ArrayForEach(it, posts) {
		const char *type = cJSON_GetObjectItem(it,
		    "type")->valuestring;
		const char *name = cJSON_GetObjectItem(it,
		    "name")->valuestring;

		if (strcmp(type, "SRV") == 0) {
			assert_json(it, "{\"name\":\"_sip._tcp.example.com\","
			    "\"type\":\"SRV\",\"ttl\":300,\"data\":{"
			    "\"priority\":0,\"weight\":5,\"port\":5060,"
			    "\"target\":\"sip.example.com\"}}");
			seen_srv++;
		} else if (strcmp(type, "CAA") == 0) {
			assert_json(it, "{\"name\":\"example.com\",\"type\":"
			    "\"CAA\",\"ttl\":3600,\"data\":{\"flags\":0,"
			    "\"tag\":\"issue\",\"value\":\"letsencrypt.org\"}}");
			seen_caa++;
		} else if (strcmp(type, "MX") == 0 && cJSON_GetObjectItem(it,
		    "priority")->valueint == 10) {
			assert_json(it, "{\"name\":\"example.com\",\"type\":"
			    "\"MX\",\"ttl\":3600,\"priority\":10,\"content\":"
			    "\"mail.example.com\"}");
			seen_mx++;
		} else if (strcmp(type, "CNAME") == 0) {
			assert_json(it, "{\"name\":\"alias.example.com\","
			    "\"type\":\"CNAME\",\"ttl\":3600,\"content\":"
			    "\"www.example.com\",\"proxied\":false}");
		} else if (strcmp(type, "TXT") == 0 &&
		    strcmp(name, "quoted.example.com") == 0) {
			assert_json(it, "{\"name\":\"quoted.example.com\","
			    "\"type\":\"TXT\",\"ttl\":300,\"content\":"
			    "\"\\\"a \\\\\\\"b\\\\\\\" c\\\" \\\"second\\\"\"}");
		} else if (strcmp(type, "A") == 0)
			ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(it,
			    "proxied")));
	}
	ck_assert_int_eq(seen_srv + seen_caa + seen_mx, 3);
	cJSON_Delete(j);
	assert_in_sync(want);
	/* what the fake stores, as the API shows it */
	for (i = 0; i < (size_t)cJSON_GetArraySize(fk.records); i++) {
		it = cJSON_GetArrayItem(fk.records, i);
		if (strcmp(cJSON_GetObjectItem(it, "type")->valuestring,
		    "SRV") == 0)
			ck_assert_str_eq(cJSON_GetObjectItem(it,
			    "content")->valuestring, "0 5 5060 sip.example.com");
	}
	zone_free(want);
}
END_TEST

/*
 * Older answers: TXT content as one raw, unquoted string (Cloudflare
 * splits it into 255-byte strings when it serves it); names without the
 * trailing dot; TTL 1 ("automatic", documented as 300 s); SRV with the
 * priority field and three-field content; MX with a priority field.
 * All read to the zone the store holds: zero changes.
 */
START_TEST(test_read_variants)
{
	static char big[700], want_txt[800];
	const char	*lines[8];
	struct zone	*want;
	struct changeset cs;
	char		 buf[600];

	memset(buf, 'z', 300);
	buf[300] = '\0';
	/* stored as the current API writes it, listed raw (txt_raw) */
	snprintf(big, sizeof(big), "\"%.255s\" \"%.45s\"", buf, buf);
	snprintf(want_txt, sizeof(want_txt), "long 300 TXT \"%.255s\" "
	    "\"%.45s\"", buf, buf);
	lines[0] = want_txt;
	lines[1] = "q 300 TXT \"say \\\"hi\\\"\"";
	lines[2] = "auto 300 A 192.0.2.9";
	lines[3] = "_x._udp 600 SRV 1 2 3 t.example.com.";
	lines[4] = "@ 600 MX 0 .";
	want = mkzone(lines, 5);

	fk.txt_raw = 1;
	fake_add("long.example.com", "TXT", big, 300, 0, -1, NULL);
	fake_add("Q.example.com", "TXT", "\"say \\\"hi\\\"\"", 300, 0, -1,
	    NULL);
	fake_add("auto.example.com", "A", "192.0.2.9", 1, 0, -1, NULL);
	fake_add("_x._udp.example.com", "SRV", "2 3 t.example.com", 600, 0,
	    1, NULL);
	fake_add("example.com", "MX", ".", 600, 0, 0, NULL);
	prov = provider_ok();
	do_fetch(&r1);
	ck_assert_msg(r1.status == 0, "fetch: %s", r1.error);
	ck_assert_int_eq(diff_zones(want, r1.zone, NULL, &cs), 0);
	if (cs.nchanges > 0)
		zone_print(r1.zone, stderr);
	ck_assert_uint_eq(cs.nchanges, 0);
	ck_assert(want->hash == r1.zone->hash);
	changeset_free(&cs);
	zone_free(want);
}
END_TEST

/*
 * Per-record model: an RRset update deletes only the records no longer
 * wanted, patches kept records whose TTL changes, posts new ones; the
 * other records keep their ids (a multi-value set is never wiped).
 */
START_TEST(test_multivalue_update)
{
	static const char *const want_l[] = {
		"www 600 A 192.0.2.2", "www 600 A 192.0.2.3",
		"www 600 A 192.0.2.4", "keep 300 A 192.0.2.50",
	};
	struct zone	*want;
	char		 id1[16], id2[16], id3[16];
	cJSON		*j;

	snprintf(id1, sizeof(id1), "%s", fake_add("www.example.com", "A",
	    "192.0.2.1", 300, 0, -1, NULL));
	snprintf(id2, sizeof(id2), "%s", fake_add("www.example.com", "A",
	    "192.0.2.2", 300, 0, -1, NULL));
	snprintf(id3, sizeof(id3), "%s", fake_add("www.example.com", "A",
	    "192.0.2.3", 600, 0, -1, NULL));
	fake_add("keep.example.com", "A", "192.0.2.50", 300, 0, -1, NULL);
	want = mkzone(want_l, 4);
	prov = provider_ok();
	sync_to(want, 1);
	j = request_json(3);
	assert_json(j, "{\"deletes\":[{\"id\":\"r0001\"}],\"patches\":[{"
	    "\"id\":\"r0002\",\"ttl\":600}],\"posts\":[{\"name\":"
	    "\"www.example.com\",\"type\":\"A\",\"ttl\":600,\"content\":"
	    "\"192.0.2.4\",\"proxied\":false}]}");
	cJSON_Delete(j);
	ck_assert_ptr_null(fake_find(fk.records, id1));
	ck_assert_ptr_nonnull(fake_find(fk.records, id2));
	ck_assert_ptr_nonnull(fake_find(fk.records, id3));
	ck_assert_ptr_nonnull(fake_find(fk.records, "r0004"));
	assert_in_sync(want);
	zone_free(want);
}
END_TEST

/* A changeset needs a current listing: after an apply, another apply
 * without a fetch is refused at once. */
START_TEST(test_apply_needs_fetch)
{
	static const char *const want_l[] = { "a 300 A 192.0.2.1" };
	struct zone		*want, *empty;
	struct changeset	 cs;
	char			 err[256];

	want = mkzone(want_l, 1);
	empty = mkzone(NULL, 0);
	prov = provider_ok();
	ck_assert_int_eq(diff_zones(want, empty, NULL, &cs), 0);
	ck_assert_int_eq(prov->ops->apply(prov, ORIGIN, &cs, apply_cb, &r1,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "provider cf: example.com.: no current listing "
	    "of the zone; fetch it first");
	ck_assert_int_eq(r1.called, 0);
	changeset_free(&cs);
	zone_free(want);
	zone_free(empty);
}
END_TEST

/* A change whose old RRset is not what the last listing held fails; it
 * is never guessed at. */
START_TEST(test_stale_change)
{
	static const char *const old_l[] = { "gone 300 A 192.0.2.7" };
	static const char *const new_l[] = { "a 300 A 192.0.2.1" };
	struct zone		*old, *want;
	struct changeset	 cs;

	old = mkzone(old_l, 1);
	want = mkzone(new_l, 1);
	prov = provider_ok();
	do_fetch(&r1);
	ck_assert_int_eq(r1.status, 0);
	result_clear(&r1);
	/* diff against a zone that is not the listing */
	ck_assert_int_eq(diff_zones(want, old, NULL, &cs), 0);
	ck_assert_uint_eq(cs.nchanges, 2);
	do_apply(&cs, &r1);
	ck_assert_int_eq(r1.res.results[0], CHANGE_RESULT_OK);
	ck_assert_int_eq(r1.res.results[1], CHANGE_RESULT_FAILED);
	ck_assert_str_eq(r1.res.errors[1], "gone.example.com. A: not as the "
	    "last listing showed it; fetch again");
	ck_assert_int_eq(fk.nbatches, 1);
	ck_assert_int_eq(cJSON_GetArraySize(fk.records), 1);
	changeset_free(&cs);
	zone_free(old);
	zone_free(want);
}
END_TEST

/*
 * provider.h: the changeset stays valid until the callback runs, and no
 * longer: the reconciler frees it from the callback.  The backend must not
 * touch it afterwards (ASan turns a read into a heap-use-after-free).
 */
START_TEST(test_changeset_freed_in_callback)
{
	static const char *const new_l[] = { "a 300 A 192.0.2.1",
	    "b 300 A 192.0.2.2" };
	struct zone		*want, *have;
	struct changeset	*cs;

	want = mkzone(new_l, 2);
	prov = provider_ok();
	do_fetch(&r1);
	ck_assert_int_eq(r1.status, 0);
	have = r1.zone;
	r1.zone = NULL;
	result_clear(&r1);
	cs = xcalloc(1, sizeof(*cs));
	ck_assert_int_eq(diff_zones(want, have, NULL, cs), 0);
	ck_assert_uint_eq(cs->nchanges, 2);
	r1.free_cs = cs;
	do_apply(cs, &r1);
	ck_assert_ptr_null(r1.free_cs);
	ck_assert_int_eq(r1.res.results[0], CHANGE_RESULT_OK);
	ck_assert_int_eq(r1.res.results[1], CHANGE_RESULT_OK);
	zone_free(have);
	zone_free(want);
}
END_TEST

static struct zone *
many_a(size_t n)
{
	struct zone		*z = zone_new(ORIGIN);
	struct zone_error	 err;
	char			 owner[32], ip[32];
	size_t			 i;

	for (i = 0; i < n; i++) {
		snprintf(owner, sizeof(owner), "h%04zu", i);
		snprintf(ip, sizeof(ip), "10.1.%zu.%zu", i / 256, i % 256);
		ck_assert_int_eq(zone_add_rr_text(z, owner, LDNS_RR_TYPE_A,
		    300, ip, &err), 0);
	}
	ck_assert_int_eq(zone_finish(z, &err), 0);
	return (z);
}

/* Documented batch limit (Free plan: 200 operations per call): 250
 * creates go as 200 + 50. */
START_TEST(test_batch_limit)
{
	struct zone	*want = many_a(250);
	cJSON		*j;

	prov = provider_ok();
	sync_to(want, 250);
	ck_assert_int_eq(fk.nbatches, 2);
	j = request_json(3);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "posts")),
	    200);
	cJSON_Delete(j);
	j = request_json(4);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "posts")),
	    50);
	cJSON_Delete(j);
	assert_in_sync(want);
	zone_free(want);
}
END_TEST

/* Documented: a batch is one transaction; a failing operation fails the
 * whole call with the first error.  Its changes are FAILED with
 * Cloudflare's message, later batches are not sent. */
START_TEST(test_batch_fails)
{
	struct zone		*want = many_a(450), *empty = mkzone(NULL, 0);
	struct changeset	 cs;
	size_t			 i;

	fk.fail_batch = 2;
	prov = provider_ok();
	do_fetch(&r1);
	ck_assert_int_eq(r1.status, 0);
	result_clear(&r1);
	ck_assert_int_eq(diff_zones(want, empty, NULL, &cs), 0);
	do_apply(&cs, &r1);
	ck_assert_int_eq(fk.nbatches, 2);
	ck_assert_uint_eq(r1.res.api_calls, 2);
	for (i = 0; i < 200; i++)
		ck_assert_int_eq(r1.res.results[i], CHANGE_RESULT_OK);
	for (i = 200; i < 400; i++) {
		ck_assert_int_eq(r1.res.results[i], CHANGE_RESULT_FAILED);
		ck_assert_str_eq(r1.res.errors[i], "HTTP 400: An identical "
		    "record already exists. (code 81057)");
	}
	for (i = 400; i < 450; i++) {
		ck_assert_int_eq(r1.res.results[i], CHANGE_RESULT_NOT_TRIED);
		ck_assert_ptr_null(r1.res.errors[i]);
	}
	ck_assert_int_eq(cJSON_GetArraySize(fk.records), 200);
	changeset_free(&cs);
	zone_free(want);
	zone_free(empty);
}
END_TEST

/*
 * Documented proxy status: proxied A/AAAA/CNAME answer with Cloudflare's
 * addresses.  proxied = leave: the record is reported, a change to its
 * RRset fails and nothing is sent for it; other changes go through.
 */
START_TEST(test_proxied_leave)
{
	static const char *const want_l[] = {
		"web 300 A 192.0.2.10", "web 300 A 192.0.2.11",
		"other 300 A 192.0.2.20",
	};
	struct zone		*want = mkzone(want_l, 3);
	struct changeset	 cs;
	const struct rrset	*rs;
	struct result		 r2;

	fake_add("web.example.com", "A", "192.0.2.10", 1, 1, -1, NULL);
	prov = provider_ok();
	do_fetch(&r1);
	ck_assert_int_eq(r1.status, 0);
	rs = zone_find(r1.zone, "web.example.com.", LDNS_RR_TYPE_A);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(rs->ttl, 300);
	ck_assert_uint_eq(rs->nrdata, 1);
	ck_assert_int_eq(diff_zones(want, r1.zone, NULL, &cs), 0);
	ck_assert_uint_eq(cs.nchanges, 2);
	memset(&r2, 0, sizeof(r2));
	do_apply(&cs, &r2);
	/* zone order: other, web */
	ck_assert_int_eq(r2.res.results[0], CHANGE_RESULT_OK);
	ck_assert_int_eq(r2.res.results[1], CHANGE_RESULT_FAILED);
	ck_assert_str_eq(r2.res.errors[1], "web.example.com. A: proxied "
	    "record left alone (proxied = leave)");
	ck_assert_int_eq(fk.nbatches, 1);
	ck_assert_int_eq(cJSON_GetArraySize(fk.records), 2);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(fake_find(fk.records,
	    "r0001"), "proxied")));
	changeset_free(&cs);
	result_clear(&r2);
	zone_free(want);
}
END_TEST

/* proxied = manage: the RRset is changed and the kept record is made
 * DNS-only (PATCH proxied: false). */
START_TEST(test_proxied_manage)
{
	static const char *const want_l[] = {
		"web 300 A 192.0.2.10", "web 300 A 192.0.2.11",
	};
	struct zone	*want = mkzone(want_l, 2);
	cJSON		*j;

	conf_set(&pc, "proxied", "manage");
	fake_add("web.example.com", "A", "192.0.2.10", 1, 1, -1, NULL);
	prov = provider_ok();
	sync_to(want, 1);
	j = request_json(3);
	assert_json(j, "{\"patches\":[{\"id\":\"r0001\",\"ttl\":300,"
	    "\"proxied\":false}],\"posts\":[{\"name\":\"web.example.com\","
	    "\"type\":\"A\",\"ttl\":300,\"content\":\"192.0.2.11\","
	    "\"proxied\":false}]}");
	cJSON_Delete(j);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(fake_find(fk.records,
	    "r0001"), "proxied")));
	assert_in_sync(want);
	zone_free(want);
}
END_TEST

/*
 * Documented multi-provider DNS: without it Cloudflare ignores apex NS
 * records (no APEX_NS capability, apex NS changes refused); with
 * dns_settings.multi_provider the apex NS is served, Cloudflare's own
 * nameservers included, and can be edited.
 */
START_TEST(test_apex_ns)
{
	static const char *const want_l[] = {
		"@ 86400 NS ada.ns.cloudflare.com.",
		"@ 86400 NS bob.ns.cloudflare.com.",
		"@ 86400 NS ns1.other-provider.net.",
	};
	struct zone		*want = mkzone(want_l, 3), *empty;
	struct changeset	 cs;
	struct diff_opts	 opts;
	struct result		 r2;
	const struct rrset	*rs;
	cJSON			*j;
	size_t			 n;

	empty = mkzone(NULL, 0);
	memset(&opts, 0, sizeof(opts));
	opts.apex_ns = zone_find(want, ORIGIN, LDNS_RR_TYPE_NS);
	prov = provider_ok();
	do_fetch(&r1);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_uint_eq(prov->caps.flags & PROVIDER_CAP_APEX_NS, 0);
	ck_assert_ptr_null(zone_find(r1.zone, ORIGIN, LDNS_RR_TYPE_NS));
	ck_assert_int_eq(diff_zones(empty, r1.zone, &opts, &cs), 0);
	ck_assert_uint_eq(cs.nchanges, 1);
	n = httpd_nrequests(srv);
	memset(&r2, 0, sizeof(r2));
	do_apply(&cs, &r2);
	ck_assert_int_eq(r2.res.results[0], CHANGE_RESULT_FAILED);
	ck_assert_str_eq(r2.res.errors[0], "example.com. NS: the apex NS is "
	    "not editable at Cloudflare without multi-provider DNS");
	ck_assert_uint_eq(httpd_nrequests(srv), n);
	changeset_free(&cs);
	result_clear(&r1);
	result_clear(&r2);

	fk.multi_provider = 1;
	do_fetch(&r1);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_uint_eq(prov->caps.flags & PROVIDER_CAP_APEX_NS,
	    PROVIDER_CAP_APEX_NS);
	rs = zone_find(r1.zone, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(rs->nrdata, 2);
	ck_assert_str_eq(rs->rdata[0].text, "ada.ns.cloudflare.com.");
	ck_assert_int_eq(diff_zones(empty, r1.zone, &opts, &cs), 0);
	ck_assert_uint_eq(cs.nchanges, 1);
	ck_assert_int_eq(cs.changes[0].op, CHANGE_UPDATE);
	n = httpd_nrequests(srv);
	do_apply(&cs, &r2);
	ck_assert_int_eq(r2.res.results[0], CHANGE_RESULT_OK);
	/* only the other provider's name is a record */
	j = request_json(n);
	assert_json(j, "{\"posts\":[{\"name\":\"example.com\",\"type\":\"NS\","
	    "\"ttl\":86400,\"content\":\"ns1.other-provider.net\"}]}");
	cJSON_Delete(j);
	changeset_free(&cs);
	result_clear(&r1);
	result_clear(&r2);
	do_fetch(&r1);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_int_eq(diff_zones(empty, r1.zone, &opts, &cs), 0);
	ck_assert_uint_eq(cs.nchanges, 0);
	changeset_free(&cs);
	zone_free(empty);
	zone_free(want);
}
END_TEST

/* Documented: the zone object's name_servers are the nameservers
 * Cloudflare assigns. */
START_TEST(test_nameservers)
{
	char	err[256];

	prov = provider_ok();
	ck_assert_int_eq(prov->ops->nameservers(prov, ORIGIN, ns_cb, &r1, err,
	    sizeof(err)), 0);
	run_until(&r1, 5000);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_uint_eq(r1.nnames, 2);
	ck_assert_str_eq(r1.names[0], "ada.ns.cloudflare.com.");
	ck_assert_str_eq(r1.names[1], "bob.ns.cloudflare.com.");
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
	assert_request(0, "GET", API "/zones?name=example.com");
	result_clear(&r1);
	/* configured names are given without a request */
	provider_free(prov);
	conf_set(&pc, "nameservers", "ns1.cf.example. NS2.cf.example.");
	prov = provider_ok();
	ck_assert_int_eq(prov->ops->nameservers(prov, ORIGIN, ns_cb, &r1, err,
	    sizeof(err)), 0);
	run_until(&r1, 5000);
	ck_assert_uint_eq(r1.nnames, 2);
	ck_assert_str_eq(r1.names[1], "ns2.cf.example.");
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
}
END_TEST

/* Config errors refuse the provider; the token is never in a message. */
START_TEST(test_init_errors)
{
	struct provider	*p;
	char		 err[512], kf2[64];
	int		 fd;

	conf_set(&pc, "proxied", "sometimes");
	p = provider_new(&pc, base, http, err, sizeof(err));
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err, "provider cf: proxied: expected leave or "
	    "manage");
	conf_set(&pc, "proxied", "leave");
	conf_set(&pc, "zone-id", "../zones");
	p = provider_new(&pc, base, http, err, sizeof(err));
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err, "provider cf: zone-id: expected letters and "
	    "digits (32 hex digits)");
	conf_set(&pc, "zone-id", ZID);
	conf_set(&pc, "api-url", "ftp://x");
	p = provider_new(&pc, base, http, err, sizeof(err));
	ck_assert_ptr_null(p);
	conf_set(&pc, "api-url", "http://127.0.0.1:1/client/v4");
	snprintf(kf2, sizeof(kf2), "/tmp/check_cf_ro.XXXXXX");
	fd = mkstemp(kf2);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_secret(kf2, TOKEN, 0644);
	conf_set(&pc, "api-token-file", kf2);
	p = provider_new(&pc, base, http, err, sizeof(err));
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(strstr(err, "readable by everyone"));
	ck_assert_ptr_null(strstr(err, TOKEN));
	unlink(kf2);
	p = provider_new(&pc, base, http, err, sizeof(err));
	ck_assert_ptr_null(p);
	ck_assert_ptr_null(strstr(err, TOKEN));
}
END_TEST

/* The token is never logged: fetches, a failure and an apply at debug
 * level with stderr captured. */
START_TEST(test_token_never_logged)
{
	static const char *const want_l[] = {
		"a 300 A 192.0.2.1", "b 300 TXT \"x\"", "p 300 A 192.0.2.99",
	};
	struct zone	*want = mkzone(want_l, 3);
	char		 path[64], *buf;
	int		 fd, saved;
	ssize_t		 n;

	snprintf(path, sizeof(path), "/tmp/check_cf_log.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	log_set_level(LOG_LEVEL_DEBUG);

	fake_add("p.example.com", "A", "192.0.2.99", 1, 1, -1, NULL);
	prov = provider_ok();
	httpd_expect(srv, "GET", API "/zones", 403, json_hdrs,
	    "{\"success\":false,\"errors\":[{\"code\":9109,\"message\":"
	    "\"Invalid access token\"}],\"messages\":[],\"result\":null}");
	do_fetch(&r1);
	ck_assert_int_eq(r1.status, -1);
	result_clear(&r1);
	sync_to(want, 2);

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	log_set_level(LOG_LEVEL_WARN);

	buf = xcalloc(1, 65536);
	n = pread(fd, buf, 65535, 0);
	close(fd);
	unlink(path);
	ck_assert_int_gt(n, 0);
	ck_assert_msg(strstr(buf, "batch of changes 1-2") != NULL,
	    "debug log not captured: %s", buf);
	ck_assert_msg(strstr(buf, "1 proxied records") != NULL,
	    "no proxied line: %s", buf);
	ck_assert_msg(strstr(buf, "Invalid access token") != NULL,
	    "no failure line: %s", buf);
	ck_assert_msg(strstr(buf, TOKEN) == NULL, "the token was logged");
	ck_assert_msg(strstr(buf, "cf-Tok3n") == NULL, "the token was logged");
	free(buf);
	zone_free(want);
}
END_TEST

/* Cancel: callbacks of operations in flight never run. */
static void
never_fetch_cb(struct provider *p, int status, const char *error,
    struct zone *z, void *arg)
{
	(void)p; (void)status; (void)error; (void)arg;
	zone_free(z);
	ck_abort_msg("callback of a cancelled fetch was called");
}

START_TEST(test_cancel)
{
	struct event	*ev;
	struct timeval	 tv = { 0, 300000 };
	int		 expired = 0;
	char		 err[256];

	prov = provider_ok();
	ck_assert_int_eq(prov->ops->fetch(prov, ORIGIN, never_fetch_cb, NULL,
	    err, sizeof(err)), 0);
	provider_cancel(prov);
	ev = evtimer_new(base, deadline_cb, &expired);
	evtimer_add(ev, &tv);
	while (!expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;
	SRunner	*sr;
	int	 failed;

	s = suite_create("cloudflare");
	tc = tcase_create("fake");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_lookup_and_list);
	tcase_add_test(tc, test_lookup_none);
	tcase_add_test(tc, test_lookup_two);
	tcase_add_test(tc, test_zone_id_configured);
	tcase_add_test(tc, test_pagination);
	tcase_add_test(tc, test_page_fails);
	tcase_add_test(tc, test_total_count_mismatch);
	tcase_add_test(tc, test_success_false);
	tcase_add_test(tc, test_bad_token);
	tcase_add_test(tc, test_429_retry_after);
	tcase_add_test(tc, test_roundtrip_types);
	tcase_add_test(tc, test_read_variants);
	tcase_add_test(tc, test_multivalue_update);
	tcase_add_test(tc, test_apply_needs_fetch);
	tcase_add_test(tc, test_stale_change);
	tcase_add_test(tc, test_changeset_freed_in_callback);
	tcase_add_test(tc, test_batch_limit);
	tcase_add_test(tc, test_batch_fails);
	tcase_add_test(tc, test_proxied_leave);
	tcase_add_test(tc, test_proxied_manage);
	tcase_add_test(tc, test_apex_ns);
	tcase_add_test(tc, test_nameservers);
	tcase_add_test(tc, test_init_errors);
	tcase_add_test(tc, test_token_never_logged);
	tcase_add_test(tc, test_cancel);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
