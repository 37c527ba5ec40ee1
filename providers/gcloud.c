/*
 * gcloud.c: a provider that is Google Cloud DNS, edited through its REST
 * API (v1).
 *
 * Config keys: service-account-file (the service account's JSON key:
 * client_email, private_key, private_key_id, token_uri), project,
 * managed-zone (default: the one public managed zone whose dnsName is the
 * zone), api-url (default https://dns.googleapis.com), token-url (default:
 * the key file's token_uri, else https://oauth2.googleapis.com/token).
 * Read when present (tests set them; config.c does not list them yet):
 * nameservers (the names to report instead of the zone's nameServers) and
 * change-timeout (seconds to wait for a change to be "done", default 120).
 *
 * Auth: a JWT (RS256, signed with the key file's private key) is traded
 * at the token URL for an access token, which is kept until shortly
 * before it expires (5 minutes, or half its life when it is short).  One
 * token request at a time: operations that need a token wait for the one
 * in flight.  An API answer 401 drops the token; the request is sent
 * again, once, with a new one.  The private key, the JWT and the token go
 * into request bodies and headers and nowhere else: never a log line,
 * never an error message.
 *
 * fetch: GET .../managedZones/{zone}/rrsets, page after page until an
 * answer has no nextPageToken.  Every page is validated strictly: anything
 * short of a complete listing is an error, never a smaller zone.  The
 * rrdatas are kept as Google wrote them, so that a deletion can state the
 * RRset exactly as Google holds it (Google refuses a deletion that does
 * not match the live RRset exactly).
 *
 * apply: POST .../managedZones/{zone}/changes with additions (CREATE,
 * UPDATE's new RRset) and deletions (DELETE, UPDATE's old RRset).  Google
 * applies one change atomically; an UPDATE is its deletion and addition in
 * the same change.  Documented limits per change (cloud.google.com/dns/
 * quotas): 1,000 additions, 1,000 deletions, 100,000 bytes of rrdata; a
 * batch stays within all three (rrdata of deletions counted too, to be
 * safe).  The change is polled (GET .../changes/{id}) until "done", with a
 * growing interval (200 ms up to 2 s) and an overall limit; after a failed
 * batch the later ones are not sent.  SOA is never sent.
 *
 * Throttling: 429 and 403 with reason rateLimitExceeded or
 * userRateLimitExceeded pause the pool and are retried (http.c).
 */
#include "autoconf.h"

#include <sys/queue.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <ldns/ldns.h>

#include "gcloud-auth.h"
#include "http.h"
#include "log.h"
#include "provider.h"
#include "xmalloc.h"

#define GCLOUD_API_URL		"https://dns.googleapis.com"
#define GCLOUD_TOKEN_URL	"https://oauth2.googleapis.com/token"
#define GCLOUD_API		"/dns/v1"
#define GCLOUD_GRANT		\
	"urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
#define GCLOUD_MAX_ADD		1000	/* additions per change */
#define GCLOUD_MAX_DEL		1000	/* deletions per change */
#define GCLOUD_MAX_RRDATA	100000	/* bytes of rrdata per change */
#define GCLOUD_POLL_FIRST_MS	200
#define GCLOUD_POLL_MAX_MS	2000
#define GCLOUD_CHANGE_TIMEOUT	120	/* seconds */
#define GCLOUD_MAX_PAGES	100000

enum gcloud_kind {
	GCLOUD_FETCH,
	GCLOUD_APPLY,
	GCLOUD_NS,
};

enum gcloud_step {
	GCLOUD_STEP_ZONE,	/* finding the managed zone */
	GCLOUD_STEP_LIST,	/* reading the rrsets, page after page */
	GCLOUD_STEP_CHANGE,	/* POST of a change */
	GCLOUD_STEP_POLL,	/* GET of a pending change */
};

enum gcloud_timer {
	GCLOUD_TIMER_FAIL,	/* finish with op->error */
	GCLOUD_TIMER_DONE,	/* finish with success (nothing to do) */
	GCLOUD_TIMER_POLL,	/* poll the pending change */
};

/* One RRset as Google listed it. */
struct gcloud_raw {
	uint64_t	 hash;		/* of the RRset in the fetched zone */
	char		*owner;		/* lower-case */
	uint16_t	 type;
	uint32_t	 ttl;
	char		**rd;
	size_t		 nrd;
};

/* What we know of one zone: its managed zone and its last listing. */
struct gcloud_zone {
	TAILQ_ENTRY(gcloud_zone)	 entry;
	char				*origin;
	char				*name;	/* the managed zone's name */
	struct gcloud_raw		*raw;	/* sorted by hash */
	size_t				 nraw;
};

struct gcloud_op {
	TAILQ_ENTRY(gcloud_op)		 entry;
	struct gcloud			*gc;
	enum gcloud_kind		 kind;
	enum gcloud_step		 step;
	char				*origin;
	char				*zname;	/* managed zone, once known */

	/* the request in the making, kept for a resend after a 401 */
	struct http_request		*req;
	char				*method;
	char				*url;
	char				*body;
	int				 flags;
	int				 waiting;	/* for a token */
	int				 reauthed;	/* resent after a 401 */
	unsigned			 token_gen;	/* its token */
	char				*auth;		/* secret */
	const char			*headers[4];

	struct event			*ev;
	enum gcloud_timer		 timer;
	char				*error;	/* for GCLOUD_TIMER_FAIL */

	provider_fetch_cb		 fetch_cb;
	provider_apply_cb		 apply_cb;
	provider_ns_cb			 ns_cb;
	void				*arg;

	/* zone lookup */
	char				*page_token;
	size_t				 pages;
	size_t				 nmatch;
	char				**ns;
	size_t				 nns;

	/* fetch */
	struct zone			*zone;
	struct gcloud_raw		*raw;
	size_t				 nraw;
	size_t				 nrecs;

	/* apply */
	const struct changeset		*cs;
	struct apply_result		 res;
	size_t				 first;	/* batch: [first, last) */
	size_t				 last;
	int				 batch;	/* a batch was formed */
	char				*change_id;
	unsigned			 poll_ms;
	uint64_t			 deadline_ms;
};

struct gcloud {
	struct provider			*p;
	char				*api;	/* .../projects/{project} */
	char				*project;
	char				*mzone;	/* configured managed zone */
	char				**ns;	/* configured nameservers */
	size_t				 nns;
	unsigned			 change_timeout;	/* seconds */
	struct http_pool		*pool;	/* the API */
	struct http_pool		*tpool;	/* the token endpoint */

	struct gcloud_auth		 auth;	/* key and token, secret */
	struct http_request		*treq;	/* token request in flight */
	uint64_t			 treq_ms;

	TAILQ_HEAD(, gcloud_op)		 ops;
	TAILQ_HEAD(, gcloud_zone)	 zones;
};

/* Record types Cloud DNS holds (cloud.google.com/dns/docs/records-overview). */
static const uint16_t gcloud_types[] = {
	LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_CAA,
	LDNS_RR_TYPE_CNAME, LDNS_RR_TYPE_DNSKEY, LDNS_RR_TYPE_DS,
	LDNS_RR_TYPE_HTTPS, LDNS_RR_TYPE_IPSECKEY, LDNS_RR_TYPE_MX,
	LDNS_RR_TYPE_NAPTR, LDNS_RR_TYPE_NS, LDNS_RR_TYPE_PTR,
	LDNS_RR_TYPE_SOA, LDNS_RR_TYPE_SPF, LDNS_RR_TYPE_SRV,
	LDNS_RR_TYPE_SSHFP, LDNS_RR_TYPE_SVCB, LDNS_RR_TYPE_TLSA,
	LDNS_RR_TYPE_TXT,
};

static void	gcloud_http_cb(const struct http_response *, void *);
static void	gcloud_token_cb(const struct http_response *, void *);
static void	gcloud_apply_next(struct gcloud_op *);
static int	gcloud_request(struct gcloud_op *, const char *, char *,
		    char *, int, char *, size_t);

/* --- helpers -------------------------------------------------------------- */

uint64_t
gcloud_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

void
gcloud_wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Copy at most n characters of s, printable ASCII only, into buf. */
static void
gcloud_clean(char *buf, size_t size, const char *s, size_t n)
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

/* Percent-encode everything but RFC 3986's unreserved characters. */
static char *
gcloud_escape(const char *s)
{
	char	*out, *o;

	out = o = xmalloc(strlen(s) * 3 + 1);
	for (; *s != '\0'; s++) {
		if (isalnum((unsigned char)*s) || *s == '-' || *s == '.' ||
		    *s == '_' || *s == '~')
			*o++ = *s;
		else {
			snprintf(o, 4, "%%%02X", (unsigned char)*s);
			o += 3;
		}
	}
	*o = '\0';
	return (out);
}

/* Parse a whole body as JSON; NULL when it is not (or has trailing junk). */
cJSON *
gcloud_parse_json(const char *body, size_t len)
{
	cJSON		*j;
	const char	*end;

	if (len == 0)
		return (NULL);
	j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (j == NULL)
		return (NULL);
	while (end < body + len && isspace((unsigned char)*end))
		end++;
	if (end != body + len || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return (NULL);
	}
	return (j);
}

const char *
gcloud_json_str(const cJSON *o, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return (NULL);
	return (v->valuestring);
}

/* The first errors[].reason of a Google API error body, or NULL. */
static const char *
gcloud_error_reason(const cJSON *j)
{
	const cJSON	*e, *errs, *first;

	e = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (!cJSON_IsObject(e))
		return (NULL);
	errs = cJSON_GetObjectItemCaseSensitive(e, "errors");
	if (!cJSON_IsArray(errs) || (first = cJSON_GetArrayItem(errs,
	    0)) == NULL)
		return (NULL);
	return (gcloud_json_str(first, "reason"));
}

/*
 * The text of an error body: Google's API form {"error": {"message",
 * "errors": [{"reason"}]}} as "message (reason)", OAuth's {"error",
 * "error_description"} as "error: description", else the body's start.
 */
static void
gcloud_error_text(const struct http_response *resp, char *buf, size_t size)
{
	cJSON		*j;
	const cJSON	*e;
	const char	*msg, *reason, *desc;
	char		 m[400], r[100];

	buf[0] = '\0';
	if (resp->body_len == 0)
		return;
	if ((j = gcloud_parse_json(resp->body, resp->body_len)) != NULL) {
		e = cJSON_GetObjectItemCaseSensitive(j, "error");
		if (cJSON_IsObject(e) && (msg = gcloud_json_str(e,
		    "message")) != NULL) {
			gcloud_clean(m, sizeof(m), msg, 350);
			if ((reason = gcloud_error_reason(j)) != NULL) {
				gcloud_clean(r, sizeof(r), reason, 60);
				snprintf(buf, size, "%s (%s)", m, r);
			} else
				snprintf(buf, size, "%s", m);
			cJSON_Delete(j);
			return;
		}
		if (cJSON_IsString(e) && e->valuestring != NULL) {
			gcloud_clean(r, sizeof(r), e->valuestring, 60);
			if ((desc = gcloud_json_str(j,
			    "error_description")) != NULL) {
				gcloud_clean(m, sizeof(m), desc, 300);
				snprintf(buf, size, "%s: %s", r, m);
			} else
				snprintf(buf, size, "%s", r);
			cJSON_Delete(j);
			return;
		}
		cJSON_Delete(j);
	}
	gcloud_clean(buf, size, resp->body, 200);
}

/* "HTTP 409: message (reason)" or the transport error, into err. */
static void
gcloud_http_error(const struct http_response *resp, char *err, size_t errlen)
{
	char	text[GCLOUD_ERR_MAX];
	size_t	len;

	if (resp->err != HTTP_OK && resp->status == 0) {
		snprintf(err, errlen, "%s%s%.*s", http_strerror(resp->err),
		    resp->error[0] != '\0' ? ": " : "", 300, resp->error);
		return;
	}
	gcloud_error_text(resp, text, sizeof(text));
	if (text[0] != '\0')
		snprintf(err, errlen, "HTTP %ld: %.400s", resp->status, text);
	else
		snprintf(err, errlen, "HTTP %ld", resp->status);
	if (resp->err != HTTP_OK) {
		len = strlen(err);
		snprintf(err + len, errlen - len, " (%s)",
		    http_strerror(resp->err));
	}
}

/* Google throttles with 403 and a rate-limit reason as well as with 429. */
static enum http_verdict
gcloud_classify_cb(const struct http_response *resp, void *arg)
{
	cJSON		*j;
	const char	*reason;
	enum http_verdict v = HTTP_VERDICT_DEFAULT;

	(void)arg;
	if (resp->err != HTTP_OK || resp->status != 403)
		return (HTTP_VERDICT_DEFAULT);
	if ((j = gcloud_parse_json(resp->body, resp->body_len)) == NULL)
		return (HTTP_VERDICT_DEFAULT);
	reason = gcloud_error_reason(j);
	if (reason != NULL && (strcmp(reason, "rateLimitExceeded") == 0 ||
	    strcmp(reason, "userRateLimitExceeded") == 0))
		v = HTTP_VERDICT_THROTTLED;
	cJSON_Delete(j);
	return (v);
}

static int
gcloud_pools(struct gcloud *gc, char *err, size_t errlen)
{
	struct http_pool_config	 cfg;
	struct provider		*p = gc->p;
	char			 name[256];

	if (gc->pool != NULL)
		return (0);
	if (p->http == NULL) {
		snprintf(err, errlen, "provider %s: no HTTP layer", p->name);
		return (-1);
	}
	http_pool_config_init(&cfg);
	cfg.name = p->name;
	if (p->conf->max_concurrency > 0)
		cfg.max_concurrent = p->conf->max_concurrency;
	if (p->conf->timeout > 0)
		cfg.timeout_ms = (long)p->conf->timeout * 1000;
	if (cfg.connect_timeout_ms > cfg.timeout_ms)
		cfg.connect_timeout_ms = cfg.timeout_ms;
	cfg.classify = gcloud_classify_cb;
	cfg.classify_arg = gc;
	gc->pool = http_pool_new(p->http, &cfg);

	snprintf(name, sizeof(name), "%.200s/token", p->name);
	cfg.name = name;
	cfg.max_concurrent = 1;
	cfg.classify = NULL;
	cfg.classify_arg = NULL;
	cfg.max_body = 65536;
	gc->tpool = http_pool_new(p->http, &cfg);
	return (0);
}

/* --- the zone cache ------------------------------------------------------- */

static void
gcloud_raw_clear(struct gcloud_raw *raw, size_t n)
{
	size_t	i, k;

	for (i = 0; i < n; i++) {
		free(raw[i].owner);
		for (k = 0; k < raw[i].nrd; k++)
			free(raw[i].rd[k]);
		free(raw[i].rd);
	}
	free(raw);
}

static struct gcloud_zone *
gcloud_zone_find(struct gcloud *gc, const char *origin)
{
	struct gcloud_zone	*gz;

	TAILQ_FOREACH(gz, &gc->zones, entry) {
		if (strcmp(gz->origin, origin) == 0)
			return (gz);
	}
	return (NULL);
}

static void
gcloud_zone_drop(struct gcloud *gc, const char *origin)
{
	struct gcloud_zone	*gz;

	if ((gz = gcloud_zone_find(gc, origin)) == NULL)
		return;
	TAILQ_REMOVE(&gc->zones, gz, entry);
	gcloud_raw_clear(gz->raw, gz->nraw);
	free(gz->origin);
	free(gz->name);
	free(gz);
}

static struct gcloud_zone *
gcloud_zone_set(struct gcloud *gc, const char *origin, const char *name)
{
	struct gcloud_zone	*gz;

	if ((gz = gcloud_zone_find(gc, origin)) != NULL &&
	    strcmp(gz->name, name) == 0)
		return (gz);
	gcloud_zone_drop(gc, origin);
	gz = xcalloc(1, sizeof(*gz));
	gz->origin = xstrdup(origin);
	gz->name = xstrdup(name);
	TAILQ_INSERT_TAIL(&gc->zones, gz, entry);
	return (gz);
}

static int
gcloud_raw_cmp(const void *a, const void *b)
{
	const struct gcloud_raw	*x = a, *y = b;

	if (x->hash != y->hash)
		return (x->hash < y->hash ? -1 : 1);
	return (0);
}

/* Google's own text for an RRset we fetched, or NULL. */
static const struct gcloud_raw *
gcloud_raw_find(const struct gcloud *gc, const char *origin,
    const struct rrset *rs)
{
	struct gcloud_zone	*gz;
	struct gcloud_raw	 key, *r;
	size_t			 lo, hi, mid;

	TAILQ_FOREACH(gz, &gc->zones, entry) {
		if (strcmp(gz->origin, origin) == 0)
			break;
	}
	if (gz == NULL || gz->nraw == 0)
		return (NULL);
	key.hash = rs->hash;
	lo = 0;
	hi = gz->nraw;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (gcloud_raw_cmp(&gz->raw[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < gz->nraw && gz->raw[lo].hash == rs->hash; lo++) {
		r = &gz->raw[lo];
		if (r->type == rs->type && r->ttl == rs->ttl &&
		    strcmp(r->owner, rs->owner) == 0)
			return (r);
	}
	return (NULL);
}

/* --- operations ----------------------------------------------------------- */

static struct gcloud_op *
gcloud_op_new(struct gcloud *gc, enum gcloud_kind kind, const char *origin)
{
	struct gcloud_op	*op;
	char			*s;

	op = xcalloc(1, sizeof(*op));
	op->gc = gc;
	op->kind = kind;
	if (origin[0] != '\0' && origin[strlen(origin) - 1] == '.')
		op->origin = xstrdup(origin);
	else
		xasprintf(&op->origin, "%s.", origin);
	for (s = op->origin; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
	TAILQ_INSERT_TAIL(&gc->ops, op, entry);
	return (op);
}

static void
gcloud_names_free(char **names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Free an op that is no longer on its provider's list. */
static void
gcloud_op_free(struct gcloud_op *op)
{
	if (op->ev != NULL)
		event_free(op->ev);
	if (op->res.results != NULL)
		apply_result_clear(&op->res);
	gcloud_wipe_free(op->auth);
	free(op->method);
	free(op->url);
	free(op->body);
	free(op->error);
	free(op->origin);
	free(op->zname);
	free(op->page_token);
	free(op->change_id);
	gcloud_names_free(op->ns, op->nns);
	zone_free(op->zone);
	gcloud_raw_clear(op->raw, op->nraw);
	free(op);
}

/* Take an op off its provider's list; nothing of it is in flight. */
static void
gcloud_op_detach(struct gcloud_op *op)
{
	TAILQ_REMOVE(&op->gc->ops, op, entry);
	op->req = NULL;
}

/*
 * Finish an op with an error.  The callback may free the provider:
 * nothing of the provider is touched after it.
 */
static void
gcloud_op_fail(struct gcloud_op *op, const char *error)
{
	struct provider	*p = op->gc->p;
	size_t		 i, hi;

	gcloud_op_detach(op);
	switch (op->kind) {
	case GCLOUD_FETCH:
		op->fetch_cb(p, -1, error, NULL, op->arg);
		break;
	case GCLOUD_NS:
		op->ns_cb(p, -1, error, NULL, 0, op->arg);
		break;
	case GCLOUD_APPLY:
		/* The batch failed; the later ones stay NOT_TRIED. */
		hi = op->batch ? op->last : op->cs->nchanges;
		for (i = op->first; i < hi; i++) {
			op->res.results[i] = CHANGE_RESULT_FAILED;
			free(op->res.errors[i]);
			op->res.errors[i] = xstrdup(error);
		}
		op->apply_cb(p, &op->res, op->arg);
		break;
	}
	gcloud_op_free(op);
}

static void
gcloud_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gcloud_op	*op = arg;
	struct provider		*p = op->gc->p;
	struct gcloud		*gc = op->gc;
	char			**names;
	char			*url, *id, err[GCLOUD_ERR_MAX];
	size_t			 i, n;

	(void)fd;
	(void)what;
	switch (op->timer) {
	case GCLOUD_TIMER_FAIL:
		gcloud_op_fail(op, op->error != NULL ? op->error :
		    "internal error");
		return;
	case GCLOUD_TIMER_DONE:
		gcloud_op_detach(op);
		/* the callback may free the provider: nothing of gc after it */
		if (op->kind == GCLOUD_NS) {
			n = gc->nns;
			names = xcalloc(n + 1, sizeof(*names));
			for (i = 0; i < n; i++)
				names[i] = xstrdup(gc->ns[i]);
			op->ns_cb(p, 0, NULL, names, n, op->arg);
			gcloud_names_free(names, n);
		} else if (op->kind == GCLOUD_APPLY)
			op->apply_cb(p, &op->res, op->arg);
		gcloud_op_free(op);
		return;
	case GCLOUD_TIMER_POLL:
		break;
	}
	id = gcloud_escape(op->change_id);
	xasprintf(&url, "%s/managedZones/%s/changes/%s", gc->api, op->zname,
	    id);
	free(id);
	op->step = GCLOUD_STEP_POLL;
	if (gcloud_request(op, "GET", url, NULL, 0, err, sizeof(err)) == -1)
		gcloud_op_fail(op, err);
}

/* Run the op's timer after ms (0: from the event loop, at once). */
static int
gcloud_op_timer(struct gcloud_op *op, enum gcloud_timer what, unsigned ms)
{
	struct timeval	tv;

	if (op->gc->p->base == NULL)
		return (-1);
	if (op->ev == NULL && (op->ev = evtimer_new(op->gc->p->base,
	    gcloud_timer_cb, op)) == NULL)
		return (-1);
	op->timer = what;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return (evtimer_add(op->ev, &tv));
}

/* Fail an op from the event loop, later (no callback from here). */
static void
gcloud_op_fail_later(struct gcloud_op *op, const char *error)
{
	free(op->error);
	op->error = xstrdup(error);
	if (gcloud_op_timer(op, GCLOUD_TIMER_FAIL, 0) == -1)
		fatalx("gcloud", "cannot schedule a timer");
}

/* --- the access token ----------------------------------------------------- */

/* Ask for a token unless a request is in flight already. */
static int
gcloud_token_start(struct gcloud *gc, char *err, size_t errlen)
{
	struct http_request_params	 rp;
	static const char *const	 hdrs[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json", NULL
	};
	char				*jwt, *body;

	if (gc->treq != NULL)
		return (0);
	if ((jwt = gcloud_auth_jwt(&gc->auth, err, errlen)) == NULL)
		return (-1);
	xasprintf(&body, "grant_type=%s&assertion=%s", GCLOUD_GRANT, jwt);
	gcloud_wipe_free(jwt);
	memset(&rp, 0, sizeof(rp));
	rp.method = "POST";
	rp.url = gc->auth.token_url;
	rp.headers = hdrs;
	rp.body = body;
	rp.body_len = strlen(body);
	rp.flags = HTTP_REQ_IDEMPOTENT;	/* a second token does no harm */
	rp.cb = gcloud_token_cb;
	rp.arg = gc;
	gc->treq_ms = gcloud_now_ms();
	gc->treq = http_request_start(gc->tpool, &rp);
	gcloud_wipe_free(body);
	if (gc->treq == NULL) {
		snprintf(err, errlen, "cannot start the token request");
		return (-1);
	}
	log_debug("gcloud", "%s: requesting an access token", gc->p->name);
	return (0);
}

/* Send the op's request now, with the token we hold. */
static int
gcloud_send_now(struct gcloud_op *op)
{
	struct gcloud			*gc = op->gc;
	struct http_request_params	 rp;

	gcloud_wipe_free(op->auth);
	xasprintf(&op->auth, "Authorization: Bearer %s", gc->auth.token);
	op->token_gen = gc->auth.token_gen;
	op->headers[0] = op->auth;
	op->headers[1] = "Accept: application/json";
	op->headers[2] = op->body != NULL ?
	    "Content-Type: application/json" : NULL;
	op->headers[3] = NULL;
	memset(&rp, 0, sizeof(rp));
	rp.method = op->method;
	rp.url = op->url;
	rp.headers = op->headers;
	rp.body = op->body;
	rp.body_len = op->body != NULL ? strlen(op->body) : 0;
	rp.flags = op->flags;
	rp.cb = gcloud_http_cb;
	rp.arg = op;
	op->req = http_request_start(gc->pool, &rp);
	return (op->req != NULL ? 0 : -1);
}

/* Send the op's request, after getting a token when it needs one. */
static int
gcloud_send(struct gcloud_op *op, char *err, size_t errlen)
{
	struct gcloud	*gc = op->gc;

	if (gcloud_auth_usable(&gc->auth)) {
		if (gcloud_send_now(op) == -1) {
			snprintf(err, errlen, "cannot start the HTTP request");
			return (-1);
		}
		return (0);
	}
	if (gcloud_token_start(gc, err, errlen) == -1)
		return (-1);
	op->waiting = 1;
	return (0);
}

/* Set the op's next request (url and body are taken) and send it. */
static int
gcloud_request(struct gcloud_op *op, const char *method, char *url,
    char *body, int flags, char *err, size_t errlen)
{
	free(op->method);
	op->method = xstrdup(method);
	free(op->url);
	op->url = url;
	free(op->body);
	op->body = body;
	op->flags = flags;
	op->reauthed = 0;
	return (gcloud_send(op, err, errlen));
}

/*
 * The token request came back.  Every op waiting for it is sent, or
 * failed from the event loop: no user callback runs from here.
 */
static void
gcloud_token_cb(const struct http_response *resp, void *arg)
{
	struct gcloud		*gc = arg;
	struct gcloud_op	*op;
	char			 err[GCLOUD_ERR_MAX], text[GCLOUD_ERR_MAX];
	int			 ok;

	gc->treq = NULL;
	if (resp->err != HTTP_OK || resp->status != 200) {
		gcloud_http_error(resp, text, sizeof(text));
		snprintf(err, sizeof(err), "token endpoint: %.450s", text);
		ok = -1;
	} else
		ok = gcloud_auth_parse(&gc->auth, gc->p->name,
		    gc->treq_ms, resp, err, sizeof(err));
	if (ok == -1)
		log_debug("gcloud", "%s: %s", gc->p->name, err);
	TAILQ_FOREACH(op, &gc->ops, entry) {
		if (!op->waiting)
			continue;
		op->waiting = 0;
		if (ok == -1)
			gcloud_op_fail_later(op, err);
		else if (gcloud_send_now(op) == -1)
			gcloud_op_fail_later(op, "cannot start the HTTP "
			    "request");
	}
}

/* --- finding the managed zone --------------------------------------------- */

static void	gcloud_zone_resolved(struct gcloud_op *);

/* The managed zone's URL, or the listing by dnsName (page op->page_token). */
static char *
gcloud_zone_url(struct gcloud_op *op)
{
	struct gcloud	*gc = op->gc;
	char		*url, *name, *tok;

	if (gc->mzone != NULL) {
		xasprintf(&url, "%s/managedZones/%s", gc->api, gc->mzone);
		return (url);
	}
	name = gcloud_escape(op->origin);
	if (op->page_token != NULL) {
		tok = gcloud_escape(op->page_token);
		xasprintf(&url, "%s/managedZones?dnsName=%s&pageToken=%s",
		    gc->api, name, tok);
		free(tok);
	} else
		xasprintf(&url, "%s/managedZones?dnsName=%s", gc->api, name);
	free(name);
	return (url);
}

/* Start an op: find its managed zone (cached for fetch and apply). */
static int
gcloud_op_start(struct gcloud_op *op, char *err, size_t errlen)
{
	struct gcloud_zone	*gz;

	if (op->kind != GCLOUD_NS &&
	    (gz = gcloud_zone_find(op->gc, op->origin)) != NULL) {
		op->zname = xstrdup(gz->name);
		gcloud_zone_resolved(op);
		return (0);
	}
	op->step = GCLOUD_STEP_ZONE;
	return (gcloud_request(op, "GET", gcloud_zone_url(op), NULL, 0, err,
	    errlen));
}

/* Take a managedZone object's nameServers into the op (lower-case). */
static void
gcloud_take_ns(struct gcloud_op *op, const cJSON *mz)
{
	const cJSON	*arr, *n;
	char		*s, *t;
	size_t		 len;

	gcloud_names_free(op->ns, op->nns);
	op->ns = NULL;
	op->nns = 0;
	arr = cJSON_GetObjectItemCaseSensitive(mz, "nameServers");
	cJSON_ArrayForEach(n, arr) {
		if (!cJSON_IsString(n) || n->valuestring == NULL ||
		    (len = strlen(n->valuestring)) == 0 || len > 255)
			continue;
		if (n->valuestring[len - 1] == '.')
			s = xstrdup(n->valuestring);
		else
			xasprintf(&s, "%s.", n->valuestring);
		for (t = s; *t != '\0'; t++)
			*t = (char)tolower((unsigned char)*t);
		op->ns = xreallocarray(op->ns, op->nns + 1, sizeof(*op->ns));
		op->ns[op->nns++] = s;
	}
}

static int
gcloud_dnsname_is(const cJSON *mz, const char *origin)
{
	const char	*dn = gcloud_json_str(mz, "dnsName");
	size_t		 len;

	if (dn == NULL)
		return (0);
	len = strlen(dn);
	if (len > 0 && dn[len - 1] != '.')
		return (strncasecmp(dn, origin, len) == 0 &&
		    strlen(origin) == len + 1);
	return (strcasecmp(dn, origin) == 0);
}

static int
gcloud_private(const cJSON *mz)
{
	const char	*v = gcloud_json_str(mz, "visibility");

	return (v != NULL && strcasecmp(v, "private") == 0);
}

/* An answer about the managed zone came back. */
static void
gcloud_got_zone(struct gcloud_op *op, const struct http_response *resp)
{
	struct gcloud	*gc = op->gc;
	struct provider	*p = gc->p;
	cJSON		*j;
	const cJSON	*arr, *mz, *next;
	const char	*name;
	char		 err[GCLOUD_ERR_MAX];

	if (resp->err == HTTP_OK && resp->status == 404) {
		gcloud_op_fail(op, "zone not found");
		return;
	}
	if (resp->err != HTTP_OK || resp->status != 200) {
		gcloud_http_error(resp, err, sizeof(err));
		gcloud_op_fail(op, err);
		return;
	}
	if ((j = gcloud_parse_json(resp->body, resp->body_len)) == NULL) {
		gcloud_op_fail(op, "invalid response: not a JSON object");
		return;
	}
	if (gc->mzone != NULL) {
		if (!gcloud_dnsname_is(j, op->origin)) {
			name = gcloud_json_str(j, "dnsName");
			snprintf(err, sizeof(err), "managed zone %s serves "
			    "%.255s, not %s", gc->mzone, name != NULL ? name :
			    "(no dnsName)", op->origin);
			cJSON_Delete(j);
			gcloud_op_fail(op, err);
			return;
		}
		free(op->zname);
		op->zname = xstrdup(gc->mzone);
		gcloud_take_ns(op, j);
		cJSON_Delete(j);
		gcloud_zone_resolved(op);
		return;
	}

	arr = cJSON_GetObjectItemCaseSensitive(j, "managedZones");
	if (arr != NULL && !cJSON_IsArray(arr)) {
		cJSON_Delete(j);
		gcloud_op_fail(op, "invalid response: \"managedZones\" is not "
		    "an array");
		return;
	}
	cJSON_ArrayForEach(mz, arr) {
		if (!cJSON_IsObject(mz) || !gcloud_dnsname_is(mz, op->origin))
			continue;
		if (gcloud_private(mz)) {
			log_debug("gcloud", "%s: %s: private managed zone "
			    "skipped", p->name, op->origin);
			continue;
		}
		name = gcloud_json_str(mz, "name");
		if (name == NULL || name[0] == '\0' || strlen(name) > 128 ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen(name)) {
			cJSON_Delete(j);
			gcloud_op_fail(op, "invalid response: managed zone "
			    "without a valid name");
			return;
		}
		if (op->nmatch++ == 0) {
			free(op->zname);
			op->zname = xstrdup(name);
			gcloud_take_ns(op, mz);
		}
	}
	next = cJSON_GetObjectItemCaseSensitive(j, "nextPageToken");
	if (next != NULL && (!cJSON_IsString(next) ||
	    next->valuestring == NULL)) {
		cJSON_Delete(j);
		gcloud_op_fail(op, "invalid response: bad nextPageToken");
		return;
	}
	if (next != NULL && next->valuestring[0] != '\0') {
		if (++op->pages >= GCLOUD_MAX_PAGES || (op->page_token !=
		    NULL && strcmp(op->page_token, next->valuestring) == 0)) {
			cJSON_Delete(j);
			gcloud_op_fail(op, "invalid response: the managed zone "
			    "listing does not end");
			return;
		}
		free(op->page_token);
		op->page_token = xstrdup(next->valuestring);
		cJSON_Delete(j);
		if (gcloud_request(op, "GET", gcloud_zone_url(op), NULL, 0,
		    err, sizeof(err)) == -1)
			gcloud_op_fail(op, err);
		return;
	}
	cJSON_Delete(j);
	free(op->page_token);
	op->page_token = NULL;
	op->pages = 0;
	if (op->nmatch == 0) {
		gcloud_op_fail(op, "zone not found");
		return;
	}
	if (op->nmatch > 1) {
		snprintf(err, sizeof(err), "%zu public managed zones serve %s; "
		    "set managed-zone", op->nmatch, op->origin);
		gcloud_op_fail(op, err);
		return;
	}
	gcloud_zone_resolved(op);
}

/* --- fetch ---------------------------------------------------------------- */

static void
gcloud_list_page(struct gcloud_op *op)
{
	struct gcloud	*gc = op->gc;
	char		 err[GCLOUD_ERR_MAX];
	char		*url, *tok;

	op->step = GCLOUD_STEP_LIST;
	if (op->page_token != NULL) {
		tok = gcloud_escape(op->page_token);
		xasprintf(&url, "%s/managedZones/%s/rrsets?pageToken=%s",
		    gc->api, op->zname, tok);
		free(tok);
	} else
		xasprintf(&url, "%s/managedZones/%s/rrsets", gc->api,
		    op->zname);
	if (gcloud_request(op, "GET", url, NULL, 0, err, sizeof(err)) == -1)
		gcloud_op_fail(op, err);
}

/* Add one page's rrsets to op->zone; 0, or -1 with err. */
static int
gcloud_parse_page(struct gcloud_op *op, const cJSON *j, char *err,
    size_t errlen)
{
	const cJSON		*rrsets, *rs, *name, *type, *ttl, *rrdatas, *rd;
	const char		*kind;
	struct gcloud_raw	*raw;
	struct zone_error	 zerr;
	uint16_t		 t;
	size_t			 i = 0, len;
	char			*s;

	rrsets = cJSON_GetObjectItemCaseSensitive(j, "rrsets");
	if (rrsets == NULL) {
		/* Google leaves out empty lists; then it says what it is. */
		kind = gcloud_json_str(j, "kind");
		if (kind != NULL && strcmp(kind,
		    "dns#resourceRecordSetsListResponse") == 0)
			return (0);
		snprintf(err, errlen, "invalid response: no \"rrsets\" array");
		return (-1);
	}
	if (!cJSON_IsArray(rrsets)) {
		snprintf(err, errlen, "invalid response: \"rrsets\" is not an "
		    "array");
		return (-1);
	}
	cJSON_ArrayForEach(rs, rrsets) {
		i++;
		name = cJSON_GetObjectItemCaseSensitive(rs, "name");
		type = cJSON_GetObjectItemCaseSensitive(rs, "type");
		ttl = cJSON_GetObjectItemCaseSensitive(rs, "ttl");
		rrdatas = cJSON_GetObjectItemCaseSensitive(rs, "rrdatas");
		if (!cJSON_IsObject(rs) || !cJSON_IsString(name) ||
		    !cJSON_IsString(type) || !cJSON_IsNumber(ttl)) {
			snprintf(err, errlen, "invalid response: page %zu, "
			    "rrset %zu lacks name, type or ttl", op->pages + 1,
			    i);
			return (-1);
		}
		if (cJSON_GetObjectItemCaseSensitive(rs,
		    "routingPolicy") != NULL) {
			snprintf(err, errlen, "%.255s %.20s: routing policies "
			    "are not supported", name->valuestring,
			    type->valuestring);
			return (-1);
		}
		if (!cJSON_IsArray(rrdatas) ||
		    cJSON_GetArraySize(rrdatas) == 0) {
			snprintf(err, errlen, "invalid response: %.255s %.20s: "
			    "no rrdatas", name->valuestring, type->valuestring);
			return (-1);
		}
		if (ttl->valuedouble < 0 || ttl->valuedouble > ZONE_TTL_MAX ||
		    (double)(uint32_t)ttl->valuedouble != ttl->valuedouble) {
			snprintf(err, errlen, "invalid response: %.255s %.20s: "
			    "bad TTL", name->valuestring, type->valuestring);
			return (-1);
		}
		len = strlen(name->valuestring);
		if (len == 0 || name->valuestring[len - 1] != '.') {
			snprintf(err, errlen, "invalid response: %.255s %.20s: "
			    "name is not absolute", name->valuestring,
			    type->valuestring);
			return (-1);
		}
		if ((t = ldns_get_rr_type_by_name(type->valuestring)) == 0) {
			snprintf(err, errlen, "invalid response: %.255s: "
			    "unknown type '%.20s'", name->valuestring,
			    type->valuestring);
			return (-1);
		}
		op->raw = xreallocarray(op->raw, op->nraw + 1,
		    sizeof(*op->raw));
		raw = &op->raw[op->nraw++];
		memset(raw, 0, sizeof(*raw));
		raw->owner = xstrdup(name->valuestring);
		for (s = raw->owner; *s != '\0'; s++)
			*s = (char)tolower((unsigned char)*s);
		raw->type = t;
		raw->ttl = (uint32_t)ttl->valuedouble;
		raw->rd = xcalloc((size_t)cJSON_GetArraySize(rrdatas),
		    sizeof(*raw->rd));
		cJSON_ArrayForEach(rd, rrdatas) {
			if (!cJSON_IsString(rd) || rd->valuestring == NULL) {
				snprintf(err, errlen, "invalid response: "
				    "%.255s %.20s: rrdata is not a string",
				    name->valuestring, type->valuestring);
				return (-1);
			}
			if (zone_add_rr_text(op->zone, name->valuestring, t,
			    raw->ttl, rd->valuestring, &zerr) == -1) {
				snprintf(err, errlen, "invalid response: "
				    "%.400s", zerr.msg);
				return (-1);
			}
			raw->rd[raw->nrd++] = xstrdup(rd->valuestring);
			op->nrecs++;
		}
	}
	return (0);
}

/* The listing is complete: finish the zone and hand it over. */
static void
gcloud_fetch_done(struct gcloud_op *op)
{
	struct gcloud		*gc = op->gc;
	struct provider		*p = gc->p;
	struct gcloud_zone	*gz;
	struct zone		*z = op->zone;
	struct zone_error	 zerr;
	const struct rrset	*rs;
	char			 err[GCLOUD_ERR_MAX];
	size_t			 i;

	if (zone_finish(z, &zerr) == -1) {
		snprintf(err, sizeof(err), "invalid response: %.400s",
		    zerr.msg);
		gcloud_op_fail(op, err);
		return;
	}
	if (z->nrrsets != op->nraw) {
		gcloud_op_fail(op, "invalid response: the same RRset is "
		    "listed more than once");
		return;
	}
	if (zone_find(z, z->origin, LDNS_RR_TYPE_SOA) == NULL) {
		gcloud_op_fail(op, "invalid response: no SOA record at the "
		    "apex");
		return;
	}
	if (zone_find(z, z->origin, LDNS_RR_TYPE_NS) == NULL) {
		gcloud_op_fail(op, "invalid response: no NS RRset at the "
		    "apex");
		return;
	}
	for (i = 0; i < op->nraw; i++) {
		if ((rs = zone_find(z, op->raw[i].owner,
		    op->raw[i].type)) == NULL) {
			gcloud_op_fail(op, "invalid response: an RRset is "
			    "not in the zone");
			return;
		}
		op->raw[i].hash = rs->hash;
	}
	qsort(op->raw, op->nraw, sizeof(*op->raw), gcloud_raw_cmp);
	gz = gcloud_zone_set(gc, op->origin, op->zname);
	gcloud_raw_clear(gz->raw, gz->nraw);
	gz->raw = op->raw;
	gz->nraw = op->nraw;
	op->raw = NULL;
	op->nraw = 0;
	log_debug("gcloud", "%s: %s: %zu RRsets, %zu records in %zu pages",
	    p->name, op->origin, z->nrrsets, op->nrecs, op->pages + 1);

	op->zone = NULL;
	gcloud_op_detach(op);
	op->fetch_cb(p, 0, NULL, z, op->arg);
	gcloud_op_free(op);
}

/* One page of rrsets came back. */
static void
gcloud_got_page(struct gcloud_op *op, const struct http_response *resp)
{
	struct gcloud	*gc = op->gc;
	cJSON		*j;
	const cJSON	*next;
	char		 err[GCLOUD_ERR_MAX];

	if (resp->err == HTTP_OK && resp->status == 404) {
		gcloud_zone_drop(gc, op->origin);
		gcloud_op_fail(op, "zone not found");
		return;
	}
	if (resp->err != HTTP_OK || resp->status != 200) {
		gcloud_http_error(resp, err, sizeof(err));
		log_debug("gcloud", "%s: %s: page %zu failed: %s", gc->p->name,
		    op->origin, op->pages + 1, err);
		gcloud_op_fail(op, err);
		return;
	}
	if ((j = gcloud_parse_json(resp->body, resp->body_len)) == NULL) {
		snprintf(err, sizeof(err), "invalid response: page %zu is not "
		    "a JSON object (%zu bytes, cut short?)", op->pages + 1,
		    resp->body_len);
		gcloud_op_fail(op, err);
		return;
	}
	if (op->zone == NULL && (op->zone = zone_new(op->origin)) == NULL) {
		cJSON_Delete(j);
		gcloud_op_fail(op, "invalid zone name");
		return;
	}
	if (gcloud_parse_page(op, j, err, sizeof(err)) == -1) {
		cJSON_Delete(j);
		gcloud_op_fail(op, err);
		return;
	}
	next = cJSON_GetObjectItemCaseSensitive(j, "nextPageToken");
	if (next != NULL && (!cJSON_IsString(next) ||
	    next->valuestring == NULL)) {
		cJSON_Delete(j);
		gcloud_op_fail(op, "invalid response: bad nextPageToken");
		return;
	}
	if (next == NULL || next->valuestring[0] == '\0') {
		cJSON_Delete(j);
		gcloud_fetch_done(op);
		return;
	}
	if (++op->pages >= GCLOUD_MAX_PAGES || (op->page_token != NULL &&
	    strcmp(op->page_token, next->valuestring) == 0)) {
		cJSON_Delete(j);
		gcloud_op_fail(op, "invalid response: the listing does not "
		    "end (same page token again)");
		return;
	}
	free(op->page_token);
	op->page_token = xstrdup(next->valuestring);
	cJSON_Delete(j);
	gcloud_list_page(op);
}

/* --- apply ---------------------------------------------------------------- */

/*
 * One RRset as Google takes it.  For a deletion, the rrdatas exactly as
 * Google listed them when we have them.  Adds the rrdata bytes to *bytes.
 */
static cJSON *
gcloud_rrset_json(const struct gcloud *gc, const char *origin,
    const struct rrset *rs, int deletion, size_t *bytes)
{
	const struct gcloud_raw	*raw = NULL;
	cJSON			*o, *arr;
	char			 tname[16];
	size_t			 k;

	if (deletion)
		raw = gcloud_raw_find(gc, origin, rs);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", rs->owner);
	cJSON_AddStringToObject(o, "type", zone_type_name(rs->type, tname,
	    sizeof(tname)));
	cJSON_AddNumberToObject(o, "ttl", rs->ttl);
	arr = cJSON_AddArrayToObject(o, "rrdatas");
	if (raw != NULL) {
		for (k = 0; k < raw->nrd; k++) {
			cJSON_AddItemToArray(arr,
			    cJSON_CreateString(raw->rd[k]));
			*bytes += strlen(raw->rd[k]);
		}
	} else {
		for (k = 0; k < rs->nrdata; k++) {
			cJSON_AddItemToArray(arr,
			    cJSON_CreateString(rs->rdata[k].text));
			*bytes += strlen(rs->rdata[k].text);
		}
	}
	return (o);
}

/* Form the next batch from op->first and return its body. */
static char *
gcloud_batch_body(struct gcloud_op *op)
{
	const struct changeset	*cs = op->cs;
	const struct change	*c;
	cJSON			*root, *adds, *dels, *a, *d;
	size_t			 nadd = 0, ndel = 0, bytes = 0, b, i;
	unsigned		 na, nd;
	char			*body;

	root = cJSON_CreateObject();
	adds = cJSON_AddArrayToObject(root, "additions");
	dels = cJSON_AddArrayToObject(root, "deletions");
	for (i = op->first; i < cs->nchanges; i++) {
		c = &cs->changes[i];
		na = c->op != CHANGE_DELETE;
		nd = c->op != CHANGE_CREATE;
		b = 0;
		a = na ? gcloud_rrset_json(op->gc, op->origin, c->new, 0,
		    &b) : NULL;
		d = nd ? gcloud_rrset_json(op->gc, op->origin, c->old, 1,
		    &b) : NULL;
		if (i > op->first && (nadd + na > GCLOUD_MAX_ADD ||
		    ndel + nd > GCLOUD_MAX_DEL ||
		    bytes + b > GCLOUD_MAX_RRDATA)) {
			cJSON_Delete(a);
			cJSON_Delete(d);
			break;
		}
		if (a != NULL)
			cJSON_AddItemToArray(adds, a);
		if (d != NULL)
			cJSON_AddItemToArray(dels, d);
		nadd += na;
		ndel += nd;
		bytes += b;
	}
	op->last = i;
	op->batch = 1;
	if ((body = cJSON_PrintUnformatted(root)) == NULL)
		fatalx("gcloud", "cJSON_PrintUnformatted");
	cJSON_Delete(root);
	log_debug("gcloud", "%s: %s: change of %zu additions, %zu deletions, "
	    "%zu bytes (changes %zu-%zu)", op->gc->p->name, op->origin, nadd,
	    ndel, bytes, op->first + 1, op->last);
	return (body);
}

static void
gcloud_apply_next(struct gcloud_op *op)
{
	char	 err[GCLOUD_ERR_MAX], *url, *body;

	body = gcloud_batch_body(op);
	xasprintf(&url, "%s/managedZones/%s/changes", op->gc->api, op->zname);
	op->step = GCLOUD_STEP_CHANGE;
	free(op->change_id);
	op->change_id = NULL;
	if (gcloud_request(op, "POST", url, body, 0, err, sizeof(err)) == -1)
		gcloud_op_fail(op, err);
}

static void
gcloud_apply_done(struct gcloud_op *op)
{
	struct provider	*p = op->gc->p;

	gcloud_op_detach(op);
	op->apply_cb(p, &op->res, op->arg);
	gcloud_op_free(op);
}

/* The batch [first, last) is done. */
static void
gcloud_batch_done(struct gcloud_op *op)
{
	size_t	i;

	for (i = op->first; i < op->last; i++)
		op->res.results[i] = CHANGE_RESULT_OK;
	op->first = op->last;
	op->batch = 0;
	if (op->first >= op->cs->nchanges) {
		gcloud_apply_done(op);
		return;
	}
	gcloud_apply_next(op);
}

/* Wait for the pending change, or give up at the deadline. */
static void
gcloud_poll_later(struct gcloud_op *op)
{
	uint64_t	now = gcloud_now_ms();
	unsigned	ms;
	char		err[GCLOUD_ERR_MAX];

	if (now >= op->deadline_ms) {
		snprintf(err, sizeof(err), "change %.100s still pending after "
		    "%u s (it may yet be applied)", op->change_id,
		    op->gc->change_timeout);
		gcloud_op_fail(op, err);
		return;
	}
	ms = op->poll_ms;
	if (now + ms > op->deadline_ms)
		ms = (unsigned)(op->deadline_ms - now);
	op->poll_ms = op->poll_ms * 2 > GCLOUD_POLL_MAX_MS ?
	    GCLOUD_POLL_MAX_MS : op->poll_ms * 2;
	if (gcloud_op_timer(op, GCLOUD_TIMER_POLL, ms) == -1)
		gcloud_op_fail(op, "cannot schedule the change poll");
}

/* A Change object: 1 done, 0 pending, -1 (err set) anything else. */
static int
gcloud_change_status(struct gcloud_op *op, const struct http_response *resp,
    char *err, size_t errlen)
{
	cJSON		*j;
	const char	*id, *status;
	int		 rv;

	if ((j = gcloud_parse_json(resp->body, resp->body_len)) == NULL) {
		snprintf(err, errlen, "invalid response: the change is not a "
		    "JSON object");
		return (-1);
	}
	id = gcloud_json_str(j, "id");
	status = gcloud_json_str(j, "status");
	if (id == NULL || id[0] == '\0' || strlen(id) > 128 || status == NULL ||
	    (op->change_id != NULL && strcmp(op->change_id, id) != 0)) {
		snprintf(err, errlen, "invalid response: the change has no "
		    "id or status");
		cJSON_Delete(j);
		return (-1);
	}
	if (op->change_id == NULL)
		op->change_id = xstrdup(id);
	if (strcmp(status, "done") == 0)
		rv = 1;
	else if (strcmp(status, "pending") == 0)
		rv = 0;
	else {
		snprintf(err, errlen, "change %.100s: unexpected status "
		    "'%.40s'", id, status);
		rv = -1;
	}
	cJSON_Delete(j);
	return (rv);
}

/* The POST of a change, or a poll of it, came back. */
static void
gcloud_got_change(struct gcloud_op *op, const struct http_response *resp)
{
	struct gcloud	*gc = op->gc;
	char		 err[GCLOUD_ERR_MAX];
	int		 st;

	if (op->step == GCLOUD_STEP_POLL && resp->err == HTTP_OK &&
	    resp->status == 404) {
		/* a new change can be briefly unknown to a read: poll on */
		gcloud_poll_later(op);
		return;
	}
	if (resp->err != HTTP_OK || resp->status < 200 || resp->status > 299) {
		if (resp->err == HTTP_OK && resp->status == 404)
			gcloud_zone_drop(gc, op->origin);
		gcloud_http_error(resp, err, sizeof(err));
		log_debug("gcloud", "%s: %s: %s of changes %zu-%zu failed: %s",
		    gc->p->name, op->origin, op->step == GCLOUD_STEP_POLL ?
		    "poll" : "change", op->first + 1, op->last, err);
		gcloud_op_fail(op, err);
		return;
	}
	if ((st = gcloud_change_status(op, resp, err, sizeof(err))) == -1) {
		gcloud_op_fail(op, err);
		return;
	}
	if (st == 1) {
		log_debug("gcloud", "%s: %s: change %s done", gc->p->name,
		    op->origin, op->change_id);
		gcloud_batch_done(op);
		return;
	}
	if (op->step == GCLOUD_STEP_CHANGE) {
		op->poll_ms = GCLOUD_POLL_FIRST_MS;
		op->deadline_ms = gcloud_now_ms() +
		    (uint64_t)gc->change_timeout * 1000;
	}
	gcloud_poll_later(op);
}

/* --- the op's steps ------------------------------------------------------- */

/* The managed zone is known: go on with what the op is for. */
static void
gcloud_zone_resolved(struct gcloud_op *op)
{
	struct provider	*p = op->gc->p;
	char		**names;
	size_t		 n;

	if (op->kind != GCLOUD_NS)
		gcloud_zone_set(op->gc, op->origin, op->zname);
	switch (op->kind) {
	case GCLOUD_FETCH:
		gcloud_list_page(op);
		break;
	case GCLOUD_APPLY:
		gcloud_apply_next(op);
		break;
	case GCLOUD_NS:
		if (op->nns == 0) {
			gcloud_op_fail(op, "the managed zone lists no "
			    "nameServers");
			return;
		}
		names = op->ns;
		n = op->nns;
		op->ns = NULL;
		op->nns = 0;
		gcloud_op_detach(op);
		op->ns_cb(p, 0, NULL, names, n, op->arg);
		gcloud_names_free(names, n);
		gcloud_op_free(op);
		break;
	}
}

static void
gcloud_http_cb(const struct http_response *resp, void *arg)
{
	struct gcloud_op	*op = arg;
	struct gcloud		*gc = op->gc;
	char			 err[GCLOUD_ERR_MAX];

	op->req = NULL;
	if (op->kind == GCLOUD_APPLY)
		op->res.api_calls += resp->attempts > 0 ?
		    (size_t)resp->attempts : 1;
	if (resp->err == HTTP_OK && resp->status == 401 && !op->reauthed) {
		/* expired or revoked: one new token, one more try */
		op->reauthed = 1;
		log_debug("gcloud", "%s: %s: access token refused (HTTP 401), "
		    "getting a new one", gc->p->name, op->origin);
		if (op->token_gen == gc->auth.token_gen)
			gcloud_auth_drop(&gc->auth);
		if (gcloud_send(op, err, sizeof(err)) == -1)
			gcloud_op_fail(op, err);
		return;
	}
	switch (op->step) {
	case GCLOUD_STEP_ZONE:
		gcloud_got_zone(op, resp);
		break;
	case GCLOUD_STEP_LIST:
		gcloud_got_page(op, resp);
		break;
	case GCLOUD_STEP_CHANGE:
	case GCLOUD_STEP_POLL:
		gcloud_got_change(op, resp);
		break;
	}
}

/* Undo gcloud_op_new() for an op that never started. */
static void
gcloud_op_abandon(struct gcloud_op *op)
{
	TAILQ_REMOVE(&op->gc->ops, op, entry);
	if (op->req != NULL)
		http_cancel(op->req);
	op->req = NULL;
	gcloud_op_free(op);
}

/* --- provider_ops --------------------------------------------------------- */

static int
gcloud_fetch(struct provider *p, const char *origin, provider_fetch_cb cb,
    void *arg, char *err, size_t errlen)
{
	struct gcloud		*gc = p->priv;
	struct gcloud_op	*op;
	char			 msg[GCLOUD_ERR_MAX];

	if (gcloud_pools(gc, err, errlen) == -1)
		return (-1);
	op = gcloud_op_new(gc, GCLOUD_FETCH, origin);
	op->fetch_cb = cb;
	op->arg = arg;
	if (gcloud_op_start(op, msg, sizeof(msg)) == -1) {
		gcloud_op_abandon(op);
		snprintf(err, errlen, "provider %s: %s", p->name, msg);
		return (-1);
	}
	return (0);
}

static int
gcloud_apply(struct provider *p, const char *origin,
    const struct changeset *cs, provider_apply_cb cb, void *arg, char *err,
    size_t errlen)
{
	struct gcloud		*gc = p->priv;
	struct gcloud_op	*op;
	const struct change	*c;
	const struct rrset	*rs;
	char			 msg[GCLOUD_ERR_MAX];
	size_t			 i;
	int			 rv;

	for (i = 0; i < cs->nchanges; i++) {
		c = &cs->changes[i];
		if ((c->op != CHANGE_CREATE && c->old == NULL) ||
		    (c->op != CHANGE_DELETE && c->new == NULL)) {
			snprintf(err, errlen, "provider %s: change %zu has no "
			    "RRset", p->name, i + 1);
			return (-1);
		}
		rs = c->new != NULL ? c->new : c->old;
		if (rs->type == LDNS_RR_TYPE_SOA) {
			snprintf(err, errlen, "provider %s: change %zu is an "
			    "SOA change; the SOA is Google's", p->name, i + 1);
			return (-1);
		}
	}
	if (gcloud_pools(gc, err, errlen) == -1)
		return (-1);
	op = gcloud_op_new(gc, GCLOUD_APPLY, origin);
	op->apply_cb = cb;
	op->arg = arg;
	op->cs = cs;
	apply_result_init(&op->res, cs->nchanges);
	if (cs->nchanges == 0)
		rv = gcloud_op_timer(op, GCLOUD_TIMER_DONE, 0);
	else
		rv = gcloud_op_start(op, msg, sizeof(msg));
	if (rv == -1) {
		gcloud_op_abandon(op);
		snprintf(err, errlen, "provider %s: cannot start the apply",
		    p->name);
		return (-1);
	}
	log_debug("gcloud", "%s: %s: applying %zu changes", p->name, origin,
	    cs->nchanges);
	return (0);
}

static int
gcloud_nameservers(struct provider *p, const char *origin,
    provider_ns_cb cb, void *arg, char *err, size_t errlen)
{
	struct gcloud		*gc = p->priv;
	struct gcloud_op	*op;
	char			 msg[GCLOUD_ERR_MAX];
	int			 rv;

	if (gc->nns == 0 && gcloud_pools(gc, err, errlen) == -1)
		return (-1);
	op = gcloud_op_new(gc, GCLOUD_NS, origin);
	op->ns_cb = cb;
	op->arg = arg;
	if (gc->nns > 0)
		rv = gcloud_op_timer(op, GCLOUD_TIMER_DONE, 0);
	else
		rv = gcloud_op_start(op, msg, sizeof(msg));
	if (rv == -1) {
		gcloud_op_abandon(op);
		snprintf(err, errlen, "provider %s: cannot start the request",
		    p->name);
		return (-1);
	}
	return (0);
}

static void
gcloud_cancel(struct provider *p)
{
	struct gcloud		*gc = p->priv;
	struct gcloud_op	*op;

	if (gc == NULL)
		return;
	while ((op = TAILQ_FIRST(&gc->ops)) != NULL) {
		TAILQ_REMOVE(&gc->ops, op, entry);
		if (op->req != NULL)
			http_cancel(op->req);
		op->req = NULL;
		gcloud_op_free(op);
	}
	if (gc->treq != NULL) {
		http_cancel(gc->treq);
		gc->treq = NULL;
	}
}

static void
gcloud_free(struct provider *p)
{
	struct gcloud		*gc = p->priv;
	struct gcloud_zone	*gz;

	if (gc == NULL)
		return;
	gcloud_cancel(p);
	http_pool_free(gc->pool);
	http_pool_free(gc->tpool);
	gcloud_auth_clear(&gc->auth);
	while ((gz = TAILQ_FIRST(&gc->zones)) != NULL)
		gcloud_zone_drop(gc, gz->origin);
	gcloud_names_free(gc->ns, gc->nns);
	free(gc->api);
	free(gc->project);
	free(gc->mzone);
	free(gc);
	p->priv = NULL;
}

/* --- init ----------------------------------------------------------------- */

int
gcloud_url_ok(const char *url)
{
	const char	*s;

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return (0);
	for (s = url; *s != '\0'; s++) {
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return (0);
	}
	return (1);
}

static int
gcloud_word_ok(const char *s, const char *extra)
{
	if (*s == '\0' || strlen(s) > 128)
		return (0);
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return (0);
	}
	return (1);
}

static int
gcloud_init(struct provider *p, char *err, size_t errlen)
{
	struct gcloud	*gc;
	const char	*file, *project, *mz, *api, *turl, *ct;
	char		*token_uri = NULL, *base, *end;
	size_t		 len;
	unsigned long	 n;

	gc = xcalloc(1, sizeof(*gc));
	gc->p = p;
	TAILQ_INIT(&gc->ops);
	TAILQ_INIT(&gc->zones);
	p->priv = gc;

	if ((project = provider_conf_get(p->conf, "project")) == NULL ||
	    !gcloud_word_ok(project, "-.:_")) {
		snprintf(err, errlen, "provider %s: project: expected a "
		    "project id", p->name);
		goto fail;
	}
	gc->project = xstrdup(project);
	if ((mz = provider_conf_get(p->conf, "managed-zone")) != NULL) {
		if (!gcloud_word_ok(mz, "-_")) {
			snprintf(err, errlen, "provider %s: managed-zone: "
			    "expected a managed zone name or id", p->name);
			goto fail;
		}
		gc->mzone = xstrdup(mz);
	}
	api = provider_conf_get(p->conf, "api-url");
	if (api == NULL)
		api = GCLOUD_API_URL;
	if (!gcloud_url_ok(api)) {
		snprintf(err, errlen, "provider %s: api-url: expected an "
		    "http:// or https:// URL", p->name);
		goto fail;
	}
	base = xstrdup(api);
	len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		base[--len] = '\0';
	/* Accept the base with or without the API path. */
	if (len >= strlen(GCLOUD_API) &&
	    strcmp(base + len - strlen(GCLOUD_API), GCLOUD_API) == 0)
		base[len - strlen(GCLOUD_API)] = '\0';
	xasprintf(&gc->api, "%s%s/projects/%s", base, GCLOUD_API,
	    gc->project);
	free(base);

	if ((file = provider_conf_get(p->conf,
	    "service-account-file")) == NULL) {
		snprintf(err, errlen, "provider %s: service-account-file is "
		    "required", p->name);
		goto fail;
	}
	if (gcloud_auth_read_key(&gc->auth, p->name, file,
	    &token_uri, err, errlen) == -1)
		goto fail;
	if ((turl = provider_conf_get(p->conf, "token-url")) == NULL)
		turl = token_uri != NULL ? token_uri : GCLOUD_TOKEN_URL;
	if (!gcloud_url_ok(turl)) {
		snprintf(err, errlen, "provider %s: token-url: expected an "
		    "http:// or https:// URL", p->name);
		free(token_uri);
		goto fail;
	}
	gc->auth.token_url = xstrdup(turl);
	free(token_uri);

	if (provider_conf_names(p, &gc->ns, &gc->nns, err, errlen) == -1)
		goto fail;
	gc->change_timeout = GCLOUD_CHANGE_TIMEOUT;
	if ((ct = provider_conf_get(p->conf, "change-timeout")) != NULL) {
		n = strtoul(ct, &end, 10);
		if (*ct == '\0' || *end != '\0' || n < 1 || n > 86400) {
			snprintf(err, errlen, "provider %s: change-timeout: "
			    "expected 1 to 86400 seconds", p->name);
			goto fail;
		}
		gc->change_timeout = (unsigned)n;
	}

	p->caps.flags = PROVIDER_CAP_APEX_NS | PROVIDER_CAP_ATOMIC;
	p->caps.max_batch = GCLOUD_MAX_ADD;
	p->caps.min_ttl = 0;
	p->caps.types = gcloud_types;
	p->caps.ntypes = sizeof(gcloud_types) / sizeof(gcloud_types[0]);

	if (p->http != NULL && gcloud_pools(gc, err, errlen) == -1)
		goto fail;
	return (0);

fail:
	gcloud_free(p);
	return (-1);
}

const struct provider_ops gcloud_ops = {
	.type = "gcloud",
	.init = gcloud_init,
	.free = gcloud_free,
	.fetch = gcloud_fetch,
	.apply = gcloud_apply,
	.nameservers = gcloud_nameservers,
	.create = NULL,
	.cancel = gcloud_cancel,
};
