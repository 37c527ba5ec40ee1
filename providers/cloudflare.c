/*
 * cloudflare.c: a provider that is a Cloudflare DNS zone, edited through
 * the Cloudflare API v4.
 *
 * Config keys: api-token-file (the API token, sent as "Authorization:
 * Bearer ..."), api-url (default https://api.cloudflare.com/client/v4),
 * zone-id (optional; else the zone is found by name), proxied (leave or
 * manage, default leave), nameservers (optional; else the zone's
 * name_servers), and the common timeout and max-concurrency.
 *
 * Zone: with zone-id, GET /zones/{id} (its name must be the origin);
 * otherwise GET /zones?name=NAME, which must list exactly one zone of
 * that name.  The id is kept for the provider's life.
 *
 * fetch: GET /zones/{id}/dns_settings (multi_provider, ns_ttl), then
 * GET /zones/{id}/dns_records?per_page=CF_PER_PAGE&page=P for P = 1, 2,
 * ... until result_info.page reaches result_info.total_pages.  Every
 * page must be a success envelope whose result_info.page is the page
 * asked for and whose total_count never changes; at the end the records
 * collected (no id twice) must number result_info.total_count.  Anything
 * else is an error, never a smaller zone.
 *
 * Cloudflare keeps one object per record; records are grouped by (name,
 * type) into RRsets:
 * - names come without the trailing dot; names in content (CNAME, NS,
 *   PTR, MX, SRV targets) too: a dot is added;
 * - TTL 1 means "automatic", which Cloudflare documents as 300 s: it is
 *   reported as 300, and a desired TTL of 300 leaves it alone.  Records
 *   of one group with different TTLs are reported with the lowest;
 * - MX takes its preference from "priority"; SRV from data{priority,
 *   weight, port, target} (else content, with "priority" in front when
 *   content has only three fields); CAA from data{flags, tag, value}
 *   (else content);
 * - TXT content is read either as RFC 1035 quoted strings (the current
 *   API) or, when it is not that, as one raw string (older answers),
 *   quoted and cut into 255-octet strings; both give the same wire form,
 *   so an in-sync zone plans no change;
 * - types whose rdata holds no domain name (SSHFP, TLSA, DS, ...) are
 *   read from content; HTTPS and SVCB too, with a dot added to the
 *   target; any other type is an error;
 * - Cloudflare lists no SOA and none is made up (diffs exclude SOA).
 *   Cloudflare's own nameservers are not records: when the zone has
 *   multi-provider DNS on, they are added to the apex NS RRset, since
 *   Cloudflare serves them there, and apply never creates or deletes
 *   them.
 *
 * Apex NS: PROVIDER_CAP_APEX_NS is set (in p->caps, before the fetch
 * callback runs) only when the fetched zone's dns_settings say
 * multi_provider: true; otherwise Cloudflare ignores apex NS records and
 * apply refuses apex NS changes.
 *
 * Proxied records (proxied: true) are reported with their API content
 * (the origin address; resolvers get Cloudflare's addresses), and a line
 * at info level says how many there are whenever that number changes.
 * With proxied = leave, apply refuses (FAILED, "proxied record left
 * alone") any change to an RRset holding a proxied record.  With
 * proxied = manage, such changes are made and every record kept is
 * turned DNS-only (PATCH proxied: false).  New A, AAAA and CNAME records
 * are always created with proxied: false.
 *
 * apply: each fetch keeps, per zone, every record's id, wire form, TTL
 * and proxied flag.  An RRset change becomes record operations: records
 * no longer wanted are deleted by id, records kept but with another TTL
 * (or proxied, under manage) are patched, new records are posted;
 * records that stay unchanged are not touched.  A change whose old
 * RRset is not exactly what the last fetch listed fails ("fetch again"),
 * nothing is guessed.  Operations go to POST /zones/{id}/dns_records/
 * batch, one database transaction per call, at most CF_MAX_BATCH
 * operations (the Free plan's documented limit) and never splitting one
 * change across calls.  A failed call fails its changes with
 * Cloudflare's errors[].message; the later ones are NOT_TRIED.  The
 * batch is a POST and not repeated after a transport error or a 5xx
 * (posts would be doubled); 429 is retried after Retry-After.
 *
 * The token goes into one request header and nowhere else: it is never
 * logged and never part of an error message.
 */
#include "autoconf.h"

#include <sys/queue.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <ldns/ldns.h>

#include "cloudflare-map.h"
#include "http.h"
#include "log.h"
#include "provider.h"
#include "xmalloc.h"

#define CF_DEFAULT_URL	"https://api.cloudflare.com/client/v4"
#define CF_PER_PAGE	1000	/* records per listing page */
#define CF_MAX_PAGES	10000	/* pages per listing */
#define CF_MAX_BATCH	200	/* operations per batch (Free plan) */
#define CF_AUTO_TTL	300	/* what TTL 1 ("automatic") means */
#define CF_MIN_TTL	60	/* lowest TTL (30 on Enterprise) */
#define CF_MAX_TTL	86400	/* highest TTL */
#define CF_DEFAULT_NS_TTL 86400
#define CF_ERR_MAX	512	/* error messages we build */
#define CF_RATE		4.0	/* requests/s: 1,200 per 5 minutes */
#define CF_BURST	20

enum cf_kind {
	CF_FETCH,
	CF_APPLY,
	CF_NS,
};

enum cf_step {
	CF_STEP_LOOKUP,		/* GET /zones?name= */
	CF_STEP_ZONE,		/* GET /zones/{id} */
	CF_STEP_SETTINGS,	/* GET /zones/{id}/dns_settings */
	CF_STEP_RECORDS,	/* GET /zones/{id}/dns_records */
	CF_STEP_BATCH,		/* POST /zones/{id}/dns_records/batch */
};

/* One record as the last fetch listed it. */
struct cf_rec {
	char		*id;
	char		*owner;		/* absolute, lower-case */
	uint16_t	 type;
	uint32_t	 ttl;		/* 1 (automatic) already made 300 */
	int		 proxied;
	uint8_t		*wire;		/* canonical rdata */
	uint16_t	 len;
	char		*text;		/* presentation rdata (fetch only) */
};

/* What we know of one zone at Cloudflare. */
struct cf_zone {
	TAILQ_ENTRY(cf_zone)	 entry;
	char			*origin;	/* trailing dot, lower-case */
	char			*id;		/* NULL until looked up */
	char			**ns;		/* Cloudflare's nameservers */
	size_t			 nns;
	int			 multi_provider;
	struct cf_rec		*recs;		/* sorted by (owner, type) */
	size_t			 nrecs;
	int			 have_recs;	/* recs are the last listing */
	size_t			 nproxied;	/* last count logged */
	int			 nproxied_logged;
};

/* Per change of an apply: its operations, or why it cannot be done. */
struct cf_plan {
	cJSON			*deletes;
	cJSON			*patches;
	cJSON			*posts;
	size_t			 nops;
	char			*fail;
};

struct cf_op {
	TAILQ_ENTRY(cf_op)	 entry;
	struct cloudflare	*cf;
	struct cf_zone		*zs;
	enum cf_kind		 kind;
	enum cf_step		 step;
	struct http_request	*req;
	struct event		*ev;

	provider_fetch_cb	 fetch_cb;
	provider_apply_cb	 apply_cb;
	provider_ns_cb		 ns_cb;
	void			*arg;

	/* fetch */
	unsigned		 page;
	double			 total_count;	/* -1 until the first page */
	struct cf_rec		*recs;
	size_t			 nrecs;
	int			 multi_provider;
	uint32_t		 ns_ttl;

	/* apply */
	const struct changeset	*cs;
	struct apply_result	 res;
	struct cf_plan		*plans;
	size_t			 first, last;	/* batch: changes [first, last) */
};

struct cloudflare {
	struct provider		*p;
	char			*url;		/* API base, no trailing '/' */
	char			*token;		/* secret */
	char			*auth;		/* secret: the header */
	const char		*headers[4];
	char			*zone_id;	/* configured, or NULL */
	int			 manage_proxied;
	char			**ns;		/* configured nameservers */
	size_t			 nns;
	struct http_pool	*pool;
	TAILQ_HEAD(, cf_zone)	 zones;
	TAILQ_HEAD(, cf_op)	 ops;
};

/* Types apply can write (caps.types). */
static const uint16_t cf_types[] = {
	LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_CNAME,
	LDNS_RR_TYPE_MX, LDNS_RR_TYPE_TXT, LDNS_RR_TYPE_SRV,
	LDNS_RR_TYPE_CAA, LDNS_RR_TYPE_NS, LDNS_RR_TYPE_PTR,
};

static void	cloudflare_http_cb(const struct http_response *, void *);
static int	cloudflare_step(struct cf_op *);

/* --- helpers -------------------------------------------------------------- */

/* Copy at most n characters of s, printable ASCII only, into buf. */
static void
cloudflare_clean(char *buf, size_t size, const char *s, size_t n)
{
	size_t	i, j = 0;

	for (i = 0; i < n && s[i] != '\0' && j + 1 < size; i++) {
		if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
			buf[j++] = ' ';
		else if ((unsigned char)s[i] >= 0x20 &&
		    (unsigned char)s[i] < 0x7f)
			buf[j++] = s[i];
		else
			buf[j++] = '?';
	}
	while (j > 0 && buf[j - 1] == ' ')
		j--;
	buf[j] = '\0';
}

/* errors[] of an envelope as "message (code N); ...", or "". */
static void
cloudflare_errors(const cJSON *j, char *buf, size_t size)
{
	const cJSON	*errs, *e, *msg, *code;
	char		 clean[CF_ERR_MAX];
	size_t		 len;

	buf[0] = '\0';
	errs = cJSON_GetObjectItemCaseSensitive(j, "errors");
	if (!cJSON_IsArray(errs))
		return;
	cJSON_ArrayForEach(e, errs) {
		msg = cJSON_GetObjectItemCaseSensitive(e, "message");
		code = cJSON_GetObjectItemCaseSensitive(e, "code");
		if (!cJSON_IsString(msg) || msg->valuestring == NULL)
			continue;
		cloudflare_clean(clean, sizeof(clean), msg->valuestring, 300);
		len = strlen(buf);
		if (len + 8 >= size)
			break;
		if (cJSON_IsNumber(code))
			snprintf(buf + len, size - len, "%s%.300s (code %.0f)",
			    len > 0 ? "; " : "", clean, code->valuedouble);
		else
			snprintf(buf + len, size - len, "%s%.300s",
			    len > 0 ? "; " : "", clean);
	}
}

/* Parse a whole body as JSON; NULL if it is not exactly that. */
static cJSON *
cloudflare_parse(const char *body, size_t len)
{
	cJSON		*j;
	const char	*end;

	j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (j == NULL)
		return (NULL);
	while (end < body + len && isspace((unsigned char)*end))
		end++;
	if (end != body + len) {
		cJSON_Delete(j);
		return (NULL);
	}
	return (j);
}

/* "HTTP 403: message (code N)" or the transport error, into err. */
static void
cloudflare_http_error(const struct http_response *resp, char *err,
    size_t errlen)
{
	char	 text[CF_ERR_MAX];
	cJSON	*j;
	size_t	 len;

	if (resp->err != HTTP_OK && resp->status == 0) {
		snprintf(err, errlen, "%s%s%.*s", http_strerror(resp->err),
		    resp->error[0] != '\0' ? ": " : "", 300, resp->error);
		return;
	}
	text[0] = '\0';
	if ((j = cloudflare_parse(resp->body, resp->body_len)) != NULL) {
		cloudflare_errors(j, text, sizeof(text));
		cJSON_Delete(j);
	}
	if (text[0] == '\0' && resp->body_len > 0)
		cloudflare_clean(text, sizeof(text), resp->body, 200);
	if (text[0] != '\0')
		snprintf(err, errlen, "HTTP %ld: %.400s", resp->status, text);
	else
		snprintf(err, errlen, "HTTP %ld", resp->status);
	len = strlen(err);
	if (resp->status == 401 || resp->status == 403)
		snprintf(err + len, errlen - len, " (the API token is "
		    "invalid, expired or lacks permission)");
	else if (resp->err != HTTP_OK)
		snprintf(err + len, errlen - len, " (%s)",
		    http_strerror(resp->err));
}

/*
 * The envelope of a 2xx answer with success: true, or NULL with err set.
 */
static cJSON *
cloudflare_envelope(const struct http_response *resp, char *err,
    size_t errlen)
{
	cJSON		*j;
	const cJSON	*ok;
	char		 text[CF_ERR_MAX];

	if (resp->err != HTTP_OK || resp->status < 200 ||
	    resp->status > 299) {
		cloudflare_http_error(resp, err, errlen);
		return (NULL);
	}
	if ((j = cloudflare_parse(resp->body, resp->body_len)) == NULL) {
		snprintf(err, errlen, "invalid response: not JSON (%zu bytes, "
		    "cut short?)", resp->body_len);
		return (NULL);
	}
	ok = cJSON_GetObjectItemCaseSensitive(j, "success");
	if (!cJSON_IsObject(j) || !cJSON_IsBool(ok)) {
		snprintf(err, errlen, "invalid response: no \"success\"");
		cJSON_Delete(j);
		return (NULL);
	}
	cloudflare_errors(j, text, sizeof(text));
	if (!cJSON_IsTrue(ok)) {
		snprintf(err, errlen, "Cloudflare error: %.400s",
		    text[0] != '\0' ? text : "success is false");
		cJSON_Delete(j);
		return (NULL);
	}
	return (j);
}

/* A name from the API, made absolute and lower-case. */
static char *
cloudflare_abs(const char *name)
{
	char	*s;
	size_t	 i, len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		s = xstrdup(name);
	else
		xasprintf(&s, "%s.", name);
	for (i = 0; s[i] != '\0'; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	return (s);
}

static void
cloudflare_names_free(char **names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void
cloudflare_rec_clear(struct cf_rec *r)
{
	free(r->id);
	free(r->owner);
	free(r->wire);
	free(r->text);
}

static void
cloudflare_recs_free(struct cf_rec *recs, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		cloudflare_rec_clear(&recs[i]);
	free(recs);
}

static int
cloudflare_rec_cmp(const void *a, const void *b)
{
	const struct cf_rec	*ra = a, *rb = b;
	int			 c;

	if ((c = strcmp(ra->owner, rb->owner)) != 0)
		return (c);
	return ((int)ra->type - (int)rb->type);
}

static int
cloudflare_id_cmp(const void *a, const void *b)
{
	const struct cf_rec *const	*ra = a, *const *rb = b;

	return (strcmp((*ra)->id, (*rb)->id));
}

/* The records of (owner, type) in zs: [*lo, *hi). */
static void
cloudflare_range(const struct cf_zone *zs, const char *owner, uint16_t type,
    size_t *lo, size_t *hi)
{
	struct cf_rec	key;
	size_t		l = 0, h = zs->nrecs, m;

	key.owner = (char *)(uintptr_t)owner;
	key.type = type;
	while (l < h) {
		m = l + (h - l) / 2;
		if (cloudflare_rec_cmp(&zs->recs[m], &key) < 0)
			l = m + 1;
		else
			h = m;
	}
	*lo = l;
	while (l < zs->nrecs && cloudflare_rec_cmp(&zs->recs[l], &key) == 0)
		l++;
	*hi = l;
}

static int
cloudflare_is_cf_ns(const struct cf_zone *zs, const struct rrset *rs,
    const struct rdata *rd)
{
	size_t	i;

	if (rs->type != LDNS_RR_TYPE_NS || strcmp(rs->owner, zs->origin) != 0)
		return (0);
	for (i = 0; i < zs->nns; i++) {
		if (strcasecmp(zs->ns[i], rd->text) == 0)
			return (1);
	}
	return (0);
}

static int
cloudflare_writable(uint16_t type)
{
	size_t	i;

	for (i = 0; i < sizeof(cf_types) / sizeof(cf_types[0]); i++) {
		if (cf_types[i] == type)
			return (1);
	}
	return (0);
}

static int
cloudflare_pool(struct cloudflare *cf, char *err, size_t errlen)
{
	struct http_pool_config	 cfg;
	struct provider		*p = cf->p;

	if (cf->pool != NULL)
		return (0);
	if (p->http == NULL) {
		snprintf(err, errlen, "provider %s: no HTTP layer", p->name);
		return (-1);
	}
	http_pool_config_init(&cfg);
	cfg.name = p->name;
	cfg.rate = CF_RATE;
	cfg.burst = CF_BURST;
	if (p->conf->max_concurrency > 0)
		cfg.max_concurrent = p->conf->max_concurrency;
	if (p->conf->timeout > 0)
		cfg.timeout_ms = (long)p->conf->timeout * 1000;
	if (cfg.connect_timeout_ms > cfg.timeout_ms)
		cfg.connect_timeout_ms = cfg.timeout_ms;
	cf->pool = http_pool_new(p->http, &cfg);
	return (0);
}

static struct cf_zone *
cloudflare_zone(struct cloudflare *cf, const char *origin)
{
	struct cf_zone	*zs;
	char		*o = cloudflare_abs(origin);

	TAILQ_FOREACH(zs, &cf->zones, entry) {
		if (strcmp(zs->origin, o) == 0) {
			free(o);
			return (zs);
		}
	}
	zs = xcalloc(1, sizeof(*zs));
	zs->origin = o;
	if (cf->zone_id != NULL)
		zs->id = xstrdup(cf->zone_id);
	TAILQ_INSERT_TAIL(&cf->zones, zs, entry);
	return (zs);
}

static void
cloudflare_zone_free(struct cf_zone *zs)
{
	free(zs->origin);
	free(zs->id);
	cloudflare_names_free(zs->ns, zs->nns);
	cloudflare_recs_free(zs->recs, zs->nrecs);
	free(zs);
}

/* --- operations ----------------------------------------------------------- */

static struct cf_op *
cloudflare_op_new(struct cloudflare *cf, enum cf_kind kind,
    const char *origin)
{
	struct cf_op	*op;

	op = xcalloc(1, sizeof(*op));
	op->cf = cf;
	op->kind = kind;
	op->zs = cloudflare_zone(cf, origin);
	op->total_count = -1;
	TAILQ_INSERT_TAIL(&cf->ops, op, entry);
	return (op);
}

static void
cloudflare_plans_free(struct cf_plan *plans, size_t n)
{
	size_t	i;

	if (plans == NULL)
		return;
	for (i = 0; i < n; i++) {
		cJSON_Delete(plans[i].deletes);
		cJSON_Delete(plans[i].patches);
		cJSON_Delete(plans[i].posts);
		free(plans[i].fail);
	}
	free(plans);
}

/* Free an op that is no longer on its provider's list. */
static void
cloudflare_op_free(struct cf_op *op)
{
	if (op->ev != NULL)
		event_free(op->ev);
	cloudflare_recs_free(op->recs, op->nrecs);
	if (op->plans != NULL)
		cloudflare_plans_free(op->plans, op->cs->nchanges);
	if (op->res.results != NULL)
		apply_result_clear(&op->res);
	free(op);
}

static void
cloudflare_op_detach(struct cf_op *op)
{
	TAILQ_REMOVE(&op->cf->ops, op, entry);
	op->req = NULL;
}

static int
cloudflare_send(struct cf_op *op, const char *method, const char *url,
    const char *body)
{
	struct http_request_params	 rp;

	memset(&rp, 0, sizeof(rp));
	rp.method = method;
	rp.url = url;
	rp.headers = op->cf->headers;
	rp.body = body;
	rp.body_len = body != NULL ? strlen(body) : 0;
	rp.cb = cloudflare_http_cb;
	rp.arg = op;
	op->req = http_request_start(op->cf->pool, &rp);
	return (op->req != NULL ? 0 : -1);
}

/* Finish a fetch or nameservers with an error. */
static void
cloudflare_fail(struct cf_op *op, const char *error)
{
	struct provider	*p = op->cf->p;

	log_debug("cloudflare", "%s: %s: %s", p->name, op->zs->origin, error);
	cloudflare_op_detach(op);
	if (op->kind == CF_NS)
		op->ns_cb(p, -1, error, NULL, 0, op->arg);
	else
		op->fetch_cb(p, -1, error, NULL, op->arg);
	cloudflare_op_free(op);
}

/* Keep a zone object's name_servers as absolute lower-case names. */
static int
cloudflare_take_ns(struct cf_zone *zs, const cJSON *zone)
{
	const cJSON	*arr, *n;
	char		**ns = NULL;
	size_t		 nns = 0;

	arr = cJSON_GetObjectItemCaseSensitive(zone, "name_servers");
	if (arr == NULL)
		return (0);
	if (!cJSON_IsArray(arr))
		return (-1);
	cJSON_ArrayForEach(n, arr) {
		if (!cJSON_IsString(n) || n->valuestring[0] == '\0') {
			cloudflare_names_free(ns, nns);
			return (-1);
		}
		ns = xreallocarray(ns, nns + 1, sizeof(*ns));
		ns[nns++] = cloudflare_abs(n->valuestring);
	}
	cloudflare_names_free(zs->ns, zs->nns);
	zs->ns = ns;
	zs->nns = nns;
	return (0);
}

/* Check a zone object: id and name (the origin). */
static int
cloudflare_zone_obj(struct cf_zone *zs, const cJSON *zone, char *err,
    size_t errlen)
{
	const cJSON	*id, *name;
	char		*abs;
	int		 same;

	id = cJSON_GetObjectItemCaseSensitive(zone, "id");
	name = cJSON_GetObjectItemCaseSensitive(zone, "name");
	if (!cJSON_IsObject(zone) || !cJSON_IsString(id) ||
	    id->valuestring[0] == '\0' || !cJSON_IsString(name)) {
		snprintf(err, errlen, "invalid response: zone without id or "
		    "name");
		return (-1);
	}
	abs = cloudflare_abs(name->valuestring);
	same = strcmp(abs, zs->origin) == 0;
	free(abs);
	if (!same) {
		snprintf(err, errlen, "invalid response: zone %.64s is %.160s,"
		    " not %.160s", id->valuestring, name->valuestring,
		    zs->origin);
		return (-1);
	}
	if (cloudflare_take_ns(zs, zone) == -1) {
		snprintf(err, errlen, "invalid response: bad name_servers");
		return (-1);
	}
	if (zs->id == NULL || strcmp(zs->id, id->valuestring) != 0) {
		free(zs->id);
		zs->id = xstrdup(id->valuestring);
	}
	return (0);
}

/* GET /zones?name=... came back. */
static int
cloudflare_got_lookup(struct cf_op *op, const cJSON *j, char *err,
    size_t errlen)
{
	const cJSON	*result, *z;
	int		 n;

	result = cJSON_GetObjectItemCaseSensitive(j, "result");
	if (!cJSON_IsArray(result)) {
		snprintf(err, errlen, "invalid response: no \"result\" array");
		return (-1);
	}
	n = cJSON_GetArraySize(result);
	if (n == 0) {
		snprintf(err, errlen, "zone not found");
		return (-1);
	}
	if (n > 1) {
		snprintf(err, errlen, "%d zones are named %s at Cloudflare; "
		    "set zone-id", n, op->zs->origin);
		return (-1);
	}
	z = cJSON_GetArrayItem(result, 0);
	return (cloudflare_zone_obj(op->zs, z, err, errlen));
}

/* GET /zones/{id}/dns_settings came back (success). */
static void
cloudflare_got_settings(struct cf_op *op, const cJSON *j)
{
	const cJSON	*result, *mp, *ttl;
	double		 v;

	op->multi_provider = 0;
	op->ns_ttl = CF_DEFAULT_NS_TTL;
	result = cJSON_GetObjectItemCaseSensitive(j, "result");
	mp = cJSON_GetObjectItemCaseSensitive(result, "multi_provider");
	ttl = cJSON_GetObjectItemCaseSensitive(result, "ns_ttl");
	if (cJSON_IsTrue(mp))
		op->multi_provider = 1;
	if (cloudflare_uint(ttl, 1, ZONE_TTL_MAX, &v) == 0)
		op->ns_ttl = (uint32_t)v;
}

/* Take the records of one listing page into op->recs. */
static int
cloudflare_take_records(struct cf_op *op, const cJSON *result, char *err,
    size_t errlen)
{
	struct cf_zone	*zs = op->zs;
	const cJSON	*rec, *id, *type, *name, *ttl, *proxied;
	struct cf_rec	*r;
	char		*owner, *text, *q, tname[24];
	uint16_t	 t;
	size_t		 olen, zlen;
	double		 v;

	cJSON_ArrayForEach(rec, result) {
		id = cJSON_GetObjectItemCaseSensitive(rec, "id");
		type = cJSON_GetObjectItemCaseSensitive(rec, "type");
		name = cJSON_GetObjectItemCaseSensitive(rec, "name");
		ttl = cJSON_GetObjectItemCaseSensitive(rec, "ttl");
		proxied = cJSON_GetObjectItemCaseSensitive(rec, "proxied");
		if (!cJSON_IsObject(rec) || !cJSON_IsString(id) ||
		    id->valuestring[0] == '\0' || !cJSON_IsString(type) ||
		    !cJSON_IsString(name) || name->valuestring[0] == '\0' ||
		    (proxied != NULL && !cJSON_IsBool(proxied))) {
			snprintf(err, errlen, "invalid response: record %zu "
			    "lacks id, type or name", op->nrecs + 1);
			return (-1);
		}
		if (cloudflare_uint(ttl, 1, ZONE_TTL_MAX, &v) == -1) {
			snprintf(err, errlen, "invalid response: %.255s "
			    "%.20s: bad TTL", name->valuestring,
			    type->valuestring);
			return (-1);
		}
		cloudflare_clean(tname, sizeof(tname), type->valuestring, 20);
		if ((t = ldns_get_rr_type_by_name(type->valuestring)) == 0) {
			snprintf(err, errlen, "invalid response: %.255s: "
			    "unknown type '%s'", name->valuestring, tname);
			return (-1);
		}
		owner = cloudflare_abs(name->valuestring);
		olen = strlen(owner);
		zlen = strlen(zs->origin);
		if (!(strcmp(owner, zs->origin) == 0 || (olen > zlen &&
		    owner[olen - zlen - 1] == '.' &&
		    strcmp(owner + olen - zlen, zs->origin) == 0))) {
			snprintf(err, errlen, "invalid response: %.200s is "
			    "not in zone %.200s", owner, zs->origin);
			free(owner);
			return (-1);
		}
		if ((text = cloudflare_rdata(rec, t, tname, owner, err,
		    errlen)) == NULL) {
			free(owner);
			return (-1);
		}
		op->recs = xreallocarray(op->recs, op->nrecs + 1,
		    sizeof(*op->recs));
		r = &op->recs[op->nrecs];
		memset(r, 0, sizeof(*r));
		r->id = xstrdup(id->valuestring);
		r->owner = owner;
		r->type = t;
		r->ttl = v == 1 ? CF_AUTO_TTL : (uint32_t)v;
		r->proxied = cJSON_IsTrue(proxied);
		if (cloudflare_wire(zs->origin, owner, t, r->ttl, text,
		    &r->wire, &r->len, err, errlen) == -1) {
			if (t != LDNS_RR_TYPE_TXT) {
				free(text);
				cloudflare_rec_clear(r);
				return (-1);
			}
			/* not quoted strings: one raw string */
			q = cloudflare_txt_quote(text);
			free(text);
			text = q;
			if (cloudflare_wire(zs->origin, owner, t, r->ttl,
			    text, &r->wire, &r->len, err, errlen) == -1) {
				free(text);
				cloudflare_rec_clear(r);
				return (-1);
			}
		}
		r->text = text;
		op->nrecs++;
	}
	return (0);
}

/* Every page is in: build the zone and keep the id map. */
static struct zone *
cloudflare_build(struct cf_op *op, char *err, size_t errlen)
{
	struct cf_zone		*zs = op->zs;
	struct provider		*p = op->cf->p;
	struct cf_rec		**byid;
	struct zone		*z;
	struct zone_error	 zerr;
	size_t			 i, j, k, nproxied = 0;
	uint32_t		 ttl;
	int			 apex_ns;

	if (op->nrecs > 1) {
		byid = xcalloc(op->nrecs, sizeof(*byid));
		for (i = 0; i < op->nrecs; i++)
			byid[i] = &op->recs[i];
		qsort(byid, op->nrecs, sizeof(*byid), cloudflare_id_cmp);
		for (i = 1; i < op->nrecs; i++) {
			if (strcmp(byid[i - 1]->id, byid[i]->id) == 0) {
				snprintf(err, errlen, "invalid response: record "
				    "%.64s is listed twice (the listing moved "
				    "while it was read)", byid[i]->id);
				free(byid);
				return (NULL);
			}
		}
		free(byid);
		qsort(op->recs, op->nrecs, sizeof(*op->recs),
		    cloudflare_rec_cmp);
	}
	if ((z = zone_new(zs->origin)) == NULL) {
		snprintf(err, errlen, "invalid zone name %s", zs->origin);
		return (NULL);
	}
	for (i = 0; i < op->nrecs; i = j) {
		ttl = op->recs[i].ttl;
		for (j = i; j < op->nrecs && cloudflare_rec_cmp(&op->recs[i],
		    &op->recs[j]) == 0; j++) {
			if (op->recs[j].ttl < ttl)
				ttl = op->recs[j].ttl;
			if (op->recs[j].proxied)
				nproxied++;
		}
		apex_ns = op->recs[i].type == LDNS_RR_TYPE_NS &&
		    strcmp(op->recs[i].owner, zs->origin) == 0;
		if (apex_ns && op->multi_provider && op->ns_ttl < ttl)
			ttl = op->ns_ttl;
		for (k = i; k < j; k++) {
			if (op->recs[k].ttl != ttl)
				log_debug("cloudflare", "%s: %s: %s: records "
				    "with different TTLs, reported as %u",
				    p->name, zs->origin, op->recs[k].owner,
				    ttl);
			if (zone_add_rr_text(z, op->recs[k].owner,
			    op->recs[k].type, ttl, op->recs[k].text,
			    &zerr) == -1)
				goto bad;
		}
		if (apex_ns && op->multi_provider) {
			for (k = 0; k < zs->nns; k++) {
				if (zone_add_rr_text(z, zs->origin,
				    LDNS_RR_TYPE_NS, ttl, zs->ns[k],
				    &zerr) == -1)
					goto bad;
			}
		}
	}
	/* Cloudflare's own nameservers, when no apex NS record is listed. */
	if (op->multi_provider && zs->nns > 0) {
		for (i = 0; i < op->nrecs; i++) {
			if (op->recs[i].type == LDNS_RR_TYPE_NS &&
			    strcmp(op->recs[i].owner, zs->origin) == 0)
				break;
		}
		if (i == op->nrecs) {
			for (k = 0; k < zs->nns; k++) {
				if (zone_add_rr_text(z, zs->origin,
				    LDNS_RR_TYPE_NS, op->ns_ttl, zs->ns[k],
				    &zerr) == -1)
					goto bad;
			}
		}
	}
	if (zone_finish(z, &zerr) == -1)
		goto bad;

	if (!zs->nproxied_logged || zs->nproxied != nproxied) {
		if (nproxied > 0 || zs->nproxied_logged)
			log_info("cloudflare", "%s: %s: %zu proxied records "
			    "(%s)", p->name, zs->origin, nproxied,
			    op->cf->manage_proxied ? "proxied = manage: made "
			    "DNS-only when their RRset changes" : "proxied = "
			    "leave: their RRsets are left alone");
		zs->nproxied = nproxied;
		zs->nproxied_logged = 1;
	}
	/* the id map: the records without their text */
	cloudflare_recs_free(zs->recs, zs->nrecs);
	for (i = 0; i < op->nrecs; i++) {
		free(op->recs[i].text);
		op->recs[i].text = NULL;
	}
	zs->recs = op->recs;
	zs->nrecs = op->nrecs;
	zs->have_recs = 1;
	zs->multi_provider = op->multi_provider;
	op->recs = NULL;
	op->nrecs = 0;
	log_debug("cloudflare", "%s: %s: %zu records, %zu RRsets, "
	    "multi-provider %s", p->name, zs->origin, zs->nrecs, z->nrrsets,
	    zs->multi_provider ? "on" : "off");
	return (z);

bad:
	snprintf(err, errlen, "invalid response: %.400s", zerr.msg);
	zone_free(z);
	return (NULL);
}

/* One listing page came back. */
static int
cloudflare_got_page(struct cf_op *op, const cJSON *j, int *done, char *err,
    size_t errlen)
{
	const cJSON	*result, *info;
	double		 page, total_pages, total_count, count;
	int		 n;

	*done = 0;
	result = cJSON_GetObjectItemCaseSensitive(j, "result");
	info = cJSON_GetObjectItemCaseSensitive(j, "result_info");
	if (!cJSON_IsArray(result) || !cJSON_IsObject(info)) {
		snprintf(err, errlen, "invalid response: page %u lacks "
		    "\"result\" or \"result_info\"", op->page);
		return (-1);
	}
	if (cloudflare_uint(cJSON_GetObjectItemCaseSensitive(info, "page"),
	    1, CF_MAX_PAGES, &page) == -1 || cloudflare_uint(
	    cJSON_GetObjectItemCaseSensitive(info, "total_pages"), 0,
	    CF_MAX_PAGES, &total_pages) == -1 || cloudflare_uint(
	    cJSON_GetObjectItemCaseSensitive(info, "total_count"), 0,
	    ZONE_RR_MAX, &total_count) == -1) {
		snprintf(err, errlen, "invalid response: page %u: bad "
		    "result_info (page, total_pages, total_count)", op->page);
		return (-1);
	}
	n = cJSON_GetArraySize(result);
	if (cJSON_GetObjectItemCaseSensitive(info, "count") != NULL &&
	    (cloudflare_uint(cJSON_GetObjectItemCaseSensitive(info, "count"),
	    0, ZONE_RR_MAX, &count) == -1 || count != (double)n)) {
		snprintf(err, errlen, "invalid response: page %u: "
		    "result_info.count is not the number of records", op->page);
		return (-1);
	}
	if (page != (double)op->page) {
		snprintf(err, errlen, "invalid response: asked for page %u, "
		    "got page %.0f", op->page, page);
		return (-1);
	}
	if (op->total_count >= 0 && total_count != op->total_count) {
		snprintf(err, errlen, "the listing changed while it was read "
		    "(total_count %.0f, then %.0f)", op->total_count,
		    total_count);
		return (-1);
	}
	op->total_count = total_count;
	if (cloudflare_take_records(op, result, err, errlen) == -1)
		return (-1);
	if ((double)op->nrecs > total_count) {
		snprintf(err, errlen, "invalid response: more records (%zu) "
		    "than result_info.total_count (%.0f)", op->nrecs,
		    total_count);
		return (-1);
	}
	if (page >= total_pages || (n == 0 && (double)op->nrecs <
	    total_count)) {
		if ((double)op->nrecs != total_count) {
			snprintf(err, errlen, "incomplete listing: %zu records "
			    "read, result_info.total_count is %.0f",
			    op->nrecs, total_count);
			return (-1);
		}
		*done = 1;
	}
	return (0);
}

/* --- apply ------------------------------------------------------------------ */

static int
cloudflare_rdata_in(const struct rrset *rs, const uint8_t *wire,
    uint16_t len)
{
	size_t	i;

	if (rs == NULL)
		return (0);
	for (i = 0; i < rs->nrdata; i++) {
		if (rs->rdata[i].len == len &&
		    memcmp(rs->rdata[i].wire, wire, len) == 0)
			return (1);
	}
	return (0);
}

/* Work out the operations of one change (or why it cannot be done). */
static void
cloudflare_plan(struct cf_op *op, const struct change *c,
    struct cf_plan *pl)
{
	struct cf_zone		*zs = op->zs;
	const struct rrset	*rs = c->old != NULL ? c->old : c->new;
	const struct rrset	*nw = c->op == CHANGE_DELETE ? NULL : c->new;
	struct cf_rec		*r;
	cJSON			*o;
	char			 tname[16], err[CF_ERR_MAX];
	size_t			 lo, hi, i, k;
	int			 found;

	zone_type_name(rs->type, tname, sizeof(tname));
	if (rs->type == LDNS_RR_TYPE_NS && strcmp(rs->owner, zs->origin) == 0 &&
	    !zs->multi_provider) {
		xasprintf(&pl->fail, "%s NS: the apex NS is not editable at "
		    "Cloudflare without multi-provider DNS", rs->owner);
		return;
	}
	if (nw != NULL && !cloudflare_writable(nw->type)) {
		xasprintf(&pl->fail, "%s %s: type not supported for writing "
		    "to Cloudflare", rs->owner, tname);
		return;
	}
	if (nw != NULL && (nw->ttl < CF_MIN_TTL || nw->ttl > CF_MAX_TTL)) {
		xasprintf(&pl->fail, "%s %s: TTL %u is outside Cloudflare's "
		    "range %u-%u", rs->owner, tname, nw->ttl, CF_MIN_TTL,
		    CF_MAX_TTL);
		return;
	}
	cloudflare_range(zs, rs->owner, rs->type, &lo, &hi);
	/* the old RRset must be exactly what the last fetch listed */
	if (c->old != NULL) {
		for (i = 0; i < c->old->nrdata; i++) {
			if (cloudflare_is_cf_ns(zs, c->old, &c->old->rdata[i]))
				continue;
			found = 0;
			for (k = lo; k < hi && !found; k++) {
				r = &zs->recs[k];
				found = r->len == c->old->rdata[i].len &&
				    memcmp(r->wire, c->old->rdata[i].wire,
				    r->len) == 0;
			}
			if (!found)
				break;
		}
		if (i < c->old->nrdata || hi - lo > c->old->nrdata) {
			xasprintf(&pl->fail, "%s %s: not as the last listing "
			    "showed it; fetch again", rs->owner, tname);
			return;
		}
	} else if (hi > lo) {
		xasprintf(&pl->fail, "%s %s: exists at Cloudflare, not in the "
		    "last listing; fetch again", rs->owner, tname);
		return;
	}
	if (!op->cf->manage_proxied) {
		for (k = lo; k < hi; k++) {
			if (zs->recs[k].proxied) {
				xasprintf(&pl->fail, "%s %s: proxied record "
				    "left alone (proxied = leave)", rs->owner,
				    tname);
				return;
			}
		}
	}
	pl->deletes = cJSON_CreateArray();
	pl->patches = cJSON_CreateArray();
	pl->posts = cJSON_CreateArray();
	for (k = lo; k < hi; k++) {
		r = &zs->recs[k];
		if (!cloudflare_rdata_in(nw, r->wire, r->len)) {
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "id", r->id);
			cJSON_AddItemToArray(pl->deletes, o);
			pl->nops++;
		} else if (r->ttl != nw->ttl || r->proxied) {
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "id", r->id);
			cJSON_AddNumberToObject(o, "ttl", nw->ttl);
			if (r->proxied)
				cJSON_AddFalseToObject(o, "proxied");
			cJSON_AddItemToArray(pl->patches, o);
			pl->nops++;
		}
	}
	for (i = 0; nw != NULL && i < nw->nrdata; i++) {
		if (cloudflare_is_cf_ns(zs, nw, &nw->rdata[i]))
			continue;
		found = 0;
		for (k = lo; k < hi && !found; k++) {
			r = &zs->recs[k];
			found = r->len == nw->rdata[i].len &&
			    memcmp(r->wire, nw->rdata[i].wire, r->len) == 0;
		}
		if (found)
			continue;
		if ((o = cloudflare_record_json(zs->origin, nw,
		    &nw->rdata[i], err, sizeof(err))) == NULL) {
			pl->fail = xstrdup(err);
			return;
		}
		cJSON_AddItemToArray(pl->posts, o);
		pl->nops++;
	}
	if (pl->nops > CF_MAX_BATCH)
		xasprintf(&pl->fail, "%s %s: needs %zu record operations, more "
		    "than one batch holds (%d)", rs->owner, tname, pl->nops,
		    CF_MAX_BATCH);
}

static void
cloudflare_apply_done(struct cf_op *op)
{
	struct provider	*p = op->cf->p;

	cloudflare_op_detach(op);
	/*
	 * The changeset is the caller's and may be freed by the callback
	 * (provider.h): free what is sized by it first.
	 */
	if (op->plans != NULL) {
		cloudflare_plans_free(op->plans, op->cs->nchanges);
		op->plans = NULL;
	}
	op->cs = NULL;
	op->apply_cb(p, &op->res, op->arg);
	cloudflare_op_free(op);
}

/*
 * The next batch from op->first: changes that are ready, up to
 * CF_MAX_BATCH operations.  Failed plans are skipped (already FAILED),
 * changes without operations are OK at once.  NULL when nothing is left.
 */
static char *
cloudflare_batch_body(struct cf_op *op)
{
	struct cf_plan	*pl;
	cJSON		*root, *del, *pat, *pos, *it;
	size_t		 nops = 0, nchanges = op->cs->nchanges, i;
	char		*body;

	while (op->first < nchanges && (op->plans[op->first].fail != NULL ||
	    op->plans[op->first].nops == 0)) {
		if (op->plans[op->first].fail == NULL)
			op->res.results[op->first] = CHANGE_RESULT_OK;
		op->first++;
	}
	if (op->first >= nchanges)
		return (NULL);
	root = cJSON_CreateObject();
	del = cJSON_CreateArray();
	pat = cJSON_CreateArray();
	pos = cJSON_CreateArray();
	for (i = op->first; i < nchanges; i++) {
		pl = &op->plans[i];
		if (pl->fail != NULL)
			continue;
		if (nops + pl->nops > CF_MAX_BATCH)
			break;
		nops += pl->nops;
		cJSON_ArrayForEach(it, pl->deletes)
			cJSON_AddItemToArray(del, cJSON_Duplicate(it, 1));
		cJSON_ArrayForEach(it, pl->patches)
			cJSON_AddItemToArray(pat, cJSON_Duplicate(it, 1));
		cJSON_ArrayForEach(it, pl->posts)
			cJSON_AddItemToArray(pos, cJSON_Duplicate(it, 1));
	}
	op->last = i;
	if (cJSON_GetArraySize(del) > 0)
		cJSON_AddItemToObject(root, "deletes", del);
	else
		cJSON_Delete(del);
	if (cJSON_GetArraySize(pat) > 0)
		cJSON_AddItemToObject(root, "patches", pat);
	else
		cJSON_Delete(pat);
	if (cJSON_GetArraySize(pos) > 0)
		cJSON_AddItemToObject(root, "posts", pos);
	else
		cJSON_Delete(pos);
	if ((body = cJSON_PrintUnformatted(root)) == NULL)
		fatalx("cloudflare", "cJSON_PrintUnformatted");
	cJSON_Delete(root);
	log_debug("cloudflare", "%s: %s: batch of changes %zu-%zu, %zu "
	    "operations", op->cf->p->name, op->zs->origin, op->first + 1,
	    op->last, nops);
	return (body);
}

/* The batch could not start: its changes and the rest fail. */
static void
cloudflare_apply_abort(struct cf_op *op)
{
	size_t	i;

	for (i = op->first; i < op->cs->nchanges; i++) {
		if (op->plans[i].fail != NULL ||
		    op->res.results[i] == CHANGE_RESULT_OK)
			continue;
		op->res.results[i] = CHANGE_RESULT_FAILED;
		op->res.errors[i] = xstrdup("cannot start the HTTP request");
	}
	cloudflare_apply_done(op);
}

/* Send the next batch, or finish.  0, or -1 when it could not start. */
static int
cloudflare_apply_next(struct cf_op *op)
{
	char	*body, *url;
	int	 rv;

	if ((body = cloudflare_batch_body(op)) == NULL) {
		cloudflare_apply_done(op);
		return (0);
	}
	xasprintf(&url, "%s/zones/%s/dns_records/batch", op->cf->url,
	    op->zs->id);
	op->step = CF_STEP_BATCH;
	rv = cloudflare_send(op, "POST", url, body);
	free(url);
	free(body);
	return (rv);
}

/* A batch came back. */
static void
cloudflare_batched(struct cf_op *op, const struct http_response *resp)
{
	struct provider	*p = op->cf->p;
	char		 err[CF_ERR_MAX];
	cJSON		*j;
	size_t		 i;

	op->res.api_calls += resp->attempts > 0 ? (size_t)resp->attempts : 1;
	if ((j = cloudflare_envelope(resp, err, sizeof(err))) == NULL) {
		log_debug("cloudflare", "%s: %s: batch of changes %zu-%zu "
		    "failed: %s", p->name, op->zs->origin, op->first + 1,
		    op->last, err);
		for (i = op->first; i < op->last; i++) {
			if (op->plans[i].fail != NULL)
				continue;
			op->res.results[i] = CHANGE_RESULT_FAILED;
			op->res.errors[i] = xstrdup(err);
		}
		cloudflare_apply_done(op);	/* the rest stays NOT_TRIED */
		return;
	}
	cJSON_Delete(j);
	/* the id map no longer describes the zone: fetch again first */
	op->zs->have_recs = 0;
	for (i = op->first; i < op->last; i++) {
		if (op->plans[i].fail == NULL)
			op->res.results[i] = CHANGE_RESULT_OK;
	}
	op->first = op->last;
	if (cloudflare_apply_next(op) == -1)
		cloudflare_apply_abort(op);
}

/* --- the steps of fetch and nameservers ----------------------------------- */

/* Start the request of op->step. */
static int
cloudflare_step(struct cf_op *op)
{
	struct cloudflare	*cf = op->cf;
	char			*url, *name, *q, *o;
	const unsigned char	*s;
	int			 rv;

	switch (op->step) {
	case CF_STEP_LOOKUP:
		name = cloudflare_undot(op->zs->origin);
		q = o = xmalloc(strlen(name) * 3 + 1);
		for (s = (const unsigned char *)name; *s != '\0'; s++) {
			if (isalnum(*s) || *s == '.' || *s == '-' || *s == '_')
				*o++ = (char)*s;
			else {
				snprintf(o, 4, "%%%02X", *s);
				o += 3;
			}
		}
		*o = '\0';
		xasprintf(&url, "%s/zones?name=%s", cf->url, q);
		free(q);
		free(name);
		break;
	case CF_STEP_ZONE:
		xasprintf(&url, "%s/zones/%s", cf->url, op->zs->id);
		break;
	case CF_STEP_SETTINGS:
		xasprintf(&url, "%s/zones/%s/dns_settings", cf->url,
		    op->zs->id);
		break;
	case CF_STEP_RECORDS:
		xasprintf(&url, "%s/zones/%s/dns_records?per_page=%d&page=%u",
		    cf->url, op->zs->id, CF_PER_PAGE, op->page);
		break;
	default:
		return (-1);
	}
	rv = cloudflare_send(op, "GET", url, NULL);
	free(url);
	return (rv);
}

static void
cloudflare_ns_done(struct cf_op *op)
{
	struct provider	*p = op->cf->p;
	char		**names;
	size_t		 i, n = op->zs->nns;

	if (n == 0) {
		cloudflare_fail(op, "Cloudflare lists no name_servers for the "
		    "zone");
		return;
	}
	names = xcalloc(n, sizeof(*names));
	for (i = 0; i < n; i++)
		names[i] = xstrdup(op->zs->ns[i]);
	cloudflare_op_detach(op);
	op->ns_cb(p, 0, NULL, names, n, op->arg);
	cloudflare_names_free(names, n);
	cloudflare_op_free(op);
}

/* A GET of fetch or nameservers came back. */
static void
cloudflare_got(struct cf_op *op, const struct http_response *resp)
{
	struct provider	*p = op->cf->p;
	struct zone	*z;
	cJSON		*j;
	char		 err[CF_ERR_MAX];
	int		 done;

	if (op->step == CF_STEP_ZONE && resp->err == HTTP_OK &&
	    resp->status == 404) {
		cloudflare_fail(op, "zone not found (zone-id)");
		return;
	}
	if ((j = cloudflare_envelope(resp, err, sizeof(err))) == NULL) {
		if (op->step == CF_STEP_SETTINGS && resp->err == HTTP_OK &&
		    resp->status != 429) {
			/* unreadable settings: apex NS stays unmanaged */
			log_debug("cloudflare", "%s: %s: dns_settings: %s; "
			    "multi-provider taken as off", p->name,
			    op->zs->origin, err);
			op->multi_provider = 0;
			op->ns_ttl = CF_DEFAULT_NS_TTL;
			op->step = CF_STEP_RECORDS;
			op->page = 1;
			goto next;
		}
		cloudflare_fail(op, err);
		return;
	}
	switch (op->step) {
	case CF_STEP_LOOKUP:
	case CF_STEP_ZONE:
		if (op->step == CF_STEP_LOOKUP)
			done = cloudflare_got_lookup(op, j, err, sizeof(err));
		else
			done = cloudflare_zone_obj(op->zs,
			    cJSON_GetObjectItemCaseSensitive(j, "result"), err,
			    sizeof(err));
		cJSON_Delete(j);
		if (done == -1) {
			cloudflare_fail(op, err);
			return;
		}
		if (op->kind == CF_NS) {
			cloudflare_ns_done(op);
			return;
		}
		op->step = CF_STEP_SETTINGS;
		break;
	case CF_STEP_SETTINGS:
		cloudflare_got_settings(op, j);
		cJSON_Delete(j);
		op->step = CF_STEP_RECORDS;
		op->page = 1;
		break;
	case CF_STEP_RECORDS:
		if (cloudflare_got_page(op, j, &done, err,
		    sizeof(err)) == -1) {
			cJSON_Delete(j);
			cloudflare_fail(op, err);
			return;
		}
		cJSON_Delete(j);
		if (done) {
			if ((z = cloudflare_build(op, err,
			    sizeof(err))) == NULL) {
				cloudflare_fail(op, err);
				return;
			}
			if (op->zs->multi_provider)
				p->caps.flags |= PROVIDER_CAP_APEX_NS;
			else
				p->caps.flags &= ~PROVIDER_CAP_APEX_NS;
			cloudflare_op_detach(op);
			op->fetch_cb(p, 0, NULL, z, op->arg);
			cloudflare_op_free(op);
			return;
		}
		if (op->page >= CF_MAX_PAGES) {
			cloudflare_fail(op, "listing has too many pages");
			return;
		}
		op->page++;
		break;
	default:
		cJSON_Delete(j);
		cloudflare_fail(op, "internal error: bad step");
		return;
	}
next:
	if (cloudflare_step(op) == -1)
		cloudflare_fail(op, "cannot start the HTTP request");
}

static void
cloudflare_http_cb(const struct http_response *resp, void *arg)
{
	struct cf_op	*op = arg;

	op->req = NULL;
	if (op->kind == CF_APPLY)
		cloudflare_batched(op, resp);
	else
		cloudflare_got(op, resp);
}

/* An answer known at once, given from the event loop. */
static void
cloudflare_deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cf_op		*op = arg;
	struct cloudflare	*cf = op->cf;
	struct provider		*p = cf->p;
	char			**names;
	size_t			 i, n;

	(void)fd;
	(void)what;
	if (op->kind == CF_APPLY) {
		/* every change failed at planning or needs no operation */
		if (cloudflare_apply_next(op) == -1)
			cloudflare_apply_abort(op);
		return;
	}
	cloudflare_op_detach(op);
	/* the callback may free the provider: nothing of cf after it */
	n = cf->nns;
	names = xcalloc(n, sizeof(*names));
	for (i = 0; i < n; i++)
		names[i] = xstrdup(cf->ns[i]);
	op->ns_cb(p, 0, NULL, names, n, op->arg);
	cloudflare_names_free(names, n);
	cloudflare_op_free(op);
}

static int
cloudflare_defer(struct cf_op *op)
{
	struct timeval	tv = { 0, 0 };

	if (op->cf->p->base == NULL)
		return (-1);
	op->ev = evtimer_new(op->cf->p->base, cloudflare_deferred_cb, op);
	if (op->ev == NULL || evtimer_add(op->ev, &tv) == -1)
		return (-1);
	return (0);
}

static void
cloudflare_op_abandon(struct cf_op *op)
{
	TAILQ_REMOVE(&op->cf->ops, op, entry);
	cloudflare_op_free(op);
}

/* --- provider_ops --------------------------------------------------------- */

static int
cloudflare_fetch(struct provider *p, const char *origin,
    provider_fetch_cb cb, void *arg, char *err, size_t errlen)
{
	struct cloudflare	*cf = p->priv;
	struct cf_op		*op;

	if (cloudflare_pool(cf, err, errlen) == -1)
		return (-1);
	op = cloudflare_op_new(cf, CF_FETCH, origin);
	op->fetch_cb = cb;
	op->arg = arg;
	if (op->zs->id == NULL)
		op->step = CF_STEP_LOOKUP;
	else if (cf->zone_id != NULL && op->zs->nns == 0)
		op->step = CF_STEP_ZONE;	/* check the name once */
	else
		op->step = CF_STEP_SETTINGS;
	if (cloudflare_step(op) == -1) {
		cloudflare_op_abandon(op);
		snprintf(err, errlen, "provider %s: cannot start the HTTP "
		    "request", p->name);
		return (-1);
	}
	return (0);
}

static int
cloudflare_apply(struct provider *p, const char *origin,
    const struct changeset *cs, provider_apply_cb cb, void *arg, char *err,
    size_t errlen)
{
	struct cloudflare	*cf = p->priv;
	struct cf_op		*op;
	const struct change	*c;
	size_t			 i;

	for (i = 0; i < cs->nchanges; i++) {
		c = &cs->changes[i];
		if ((c->op == CHANGE_DELETE && c->old == NULL) ||
		    (c->op != CHANGE_DELETE && c->new == NULL) ||
		    (c->op == CHANGE_UPDATE && c->old == NULL)) {
			snprintf(err, errlen, "provider %s: change %zu has no "
			    "RRset", p->name, i + 1);
			return (-1);
		}
	}
	if (cloudflare_pool(cf, err, errlen) == -1)
		return (-1);
	op = cloudflare_op_new(cf, CF_APPLY, origin);
	if (op->zs->id == NULL || !op->zs->have_recs) {
		cloudflare_op_abandon(op);
		snprintf(err, errlen, "provider %s: %s: no current listing of "
		    "the zone; fetch it first", p->name, origin);
		return (-1);
	}
	op->apply_cb = cb;
	op->arg = arg;
	op->cs = cs;
	apply_result_init(&op->res, cs->nchanges);
	op->plans = xcalloc(cs->nchanges > 0 ? cs->nchanges : 1,
	    sizeof(*op->plans));
	for (i = 0; i < cs->nchanges; i++) {
		cloudflare_plan(op, &cs->changes[i], &op->plans[i]);
		if (op->plans[i].fail != NULL) {
			op->res.results[i] = CHANGE_RESULT_FAILED;
			op->res.errors[i] = xstrdup(op->plans[i].fail);
			log_debug("cloudflare", "%s: %s: change %zu: %s",
			    p->name, op->zs->origin, i + 1,
			    op->plans[i].fail);
		}
	}
	if (cloudflare_defer(op) == -1) {
		cloudflare_op_abandon(op);
		snprintf(err, errlen, "provider %s: cannot start the request",
		    p->name);
		return (-1);
	}
	return (0);
}

static int
cloudflare_nameservers(struct provider *p, const char *origin,
    provider_ns_cb cb, void *arg, char *err, size_t errlen)
{
	struct cloudflare	*cf = p->priv;
	struct cf_op		*op;
	int			 rv;

	if (cf->nns == 0 && cloudflare_pool(cf, err, errlen) == -1)
		return (-1);
	op = cloudflare_op_new(cf, CF_NS, origin);
	op->ns_cb = cb;
	op->arg = arg;
	if (cf->nns > 0)
		rv = cloudflare_defer(op);
	else {
		op->step = op->zs->id == NULL ? CF_STEP_LOOKUP : CF_STEP_ZONE;
		rv = cloudflare_step(op);
	}
	if (rv == -1) {
		cloudflare_op_abandon(op);
		snprintf(err, errlen, "provider %s: cannot start the request",
		    p->name);
		return (-1);
	}
	return (0);
}

static void
cloudflare_cancel(struct provider *p)
{
	struct cloudflare	*cf = p->priv;
	struct cf_op		*op;

	if (cf == NULL)
		return;
	while ((op = TAILQ_FIRST(&cf->ops)) != NULL) {
		TAILQ_REMOVE(&cf->ops, op, entry);
		if (op->req != NULL)
			http_cancel(op->req);
		op->req = NULL;
		cloudflare_op_free(op);
	}
}

static void
cloudflare_free(struct provider *p)
{
	struct cloudflare	*cf = p->priv;
	struct cf_zone		*zs;

	if (cf == NULL)
		return;
	cloudflare_cancel(p);
	http_pool_free(cf->pool);
	while ((zs = TAILQ_FIRST(&cf->zones)) != NULL) {
		TAILQ_REMOVE(&cf->zones, zs, entry);
		cloudflare_zone_free(zs);
	}
	if (cf->token != NULL) {
		explicit_bzero(cf->token, strlen(cf->token));
		free(cf->token);
	}
	if (cf->auth != NULL) {
		explicit_bzero(cf->auth, strlen(cf->auth));
		free(cf->auth);
	}
	cloudflare_names_free(cf->ns, cf->nns);
	free(cf->zone_id);
	free(cf->url);
	free(cf);
	p->priv = NULL;
}

static int
cloudflare_init(struct provider *p, char *err, size_t errlen)
{
	struct cloudflare	*cf;
	const char		*url, *tf, *zid, *px, *s;
	char			 msg[CF_ERR_MAX];
	size_t			 len;

	cf = xcalloc(1, sizeof(*cf));
	cf->p = p;
	TAILQ_INIT(&cf->ops);
	TAILQ_INIT(&cf->zones);
	p->priv = cf;

	if ((url = provider_conf_get(p->conf, "api-url")) == NULL)
		url = CF_DEFAULT_URL;
	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		snprintf(err, errlen, "provider %s: api-url: expected an "
		    "http:// or https:// URL", p->name);
		goto fail;
	}
	for (s = url; *s != '\0'; s++) {
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
		    *s == '?' || *s == '#') {
			snprintf(err, errlen, "provider %s: api-url: bad "
			    "character", p->name);
			goto fail;
		}
	}
	cf->url = xstrdup(url);
	len = strlen(cf->url);
	while (len > 0 && cf->url[len - 1] == '/')
		cf->url[--len] = '\0';

	if ((tf = provider_conf_get(p->conf, "api-token-file")) == NULL) {
		snprintf(err, errlen, "provider %s: api-token-file is required",
		    p->name);
		goto fail;
	}
	if ((cf->token = provider_read_secret(tf, msg, sizeof(msg))) == NULL) {
		snprintf(err, errlen, "provider %s: api-token-file: %s",
		    p->name, msg);
		goto fail;
	}
	for (s = cf->token; *s != '\0'; s++) {
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f) {
			snprintf(err, errlen, "provider %s: api-token-file: "
			    "the token holds a space, control or non-ASCII "
			    "character", p->name);
			goto fail;
		}
	}
	xasprintf(&cf->auth, "Authorization: Bearer %s", cf->token);
	cf->headers[0] = cf->auth;
	cf->headers[1] = "Content-Type: application/json";
	cf->headers[2] = "Accept: application/json";
	cf->headers[3] = NULL;

	if ((zid = provider_conf_get(p->conf, "zone-id")) != NULL) {
		for (s = zid; *s != '\0'; s++) {
			if (!isalnum((unsigned char)*s))
				break;
		}
		if (*zid == '\0' || *s != '\0' || strlen(zid) > 64) {
			snprintf(err, errlen, "provider %s: zone-id: expected "
			    "letters and digits (32 hex digits)", p->name);
			goto fail;
		}
		cf->zone_id = xstrdup(zid);
	}

	px = provider_conf_get(p->conf, "proxied");
	if (px == NULL || strcmp(px, "leave") == 0)
		cf->manage_proxied = 0;
	else if (strcmp(px, "manage") == 0)
		cf->manage_proxied = 1;
	else {
		snprintf(err, errlen, "provider %s: proxied: expected leave "
		    "or manage", p->name);
		goto fail;
	}

	if (provider_conf_names(p, &cf->ns, &cf->nns, err, errlen) == -1)
		goto fail;

	p->caps.flags = PROVIDER_CAP_ATOMIC;
	p->caps.max_batch = CF_MAX_BATCH;
	p->caps.min_ttl = CF_MIN_TTL;
	p->caps.types = cf_types;
	p->caps.ntypes = sizeof(cf_types) / sizeof(cf_types[0]);

	if (p->http != NULL && cloudflare_pool(cf, err, errlen) == -1)
		goto fail;
	return (0);

fail:
	cloudflare_free(p);
	return (-1);
}

const struct provider_ops cloudflare_ops = {
	.type = "cloudflare",
	.init = cloudflare_init,
	.free = cloudflare_free,
	.fetch = cloudflare_fetch,
	.apply = cloudflare_apply,
	.nameservers = cloudflare_nameservers,
	.create = NULL,
	.cancel = cloudflare_cancel,
};
