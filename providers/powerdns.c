/*
 * powerdns.c: a provider that is a PowerDNS Authoritative server, edited
 * through its HTTP API (v1).
 *
 * Config keys: url (the API base, "http://127.0.0.1:8081"), api-key-file
 * (the X-API-Key secret), server-id (default localhost), create-zone
 * (yes/no), nameservers (the apex NS names to report; default: the apex
 * NS RRset the zone holds at PowerDNS).
 *
 * fetch: GET .../zones/{zone-id}, the whole zone in one answer (the API
 * has no pagination).  The answer is validated strictly: anything that is
 * not a complete, well-formed zone is an error, never a smaller zone.
 * Disabled records are not served, so they are left out (and logged at
 * debug level).
 *
 * apply: PATCH .../zones/{zone-id} with REPLACE (CREATE, UPDATE) or DELETE
 * (DELETE) per RRset, at most POWERDNS_MAX_BATCH RRsets per request, one
 * request after the other.  PowerDNS applies one PATCH in one backend
 * transaction, so a batch succeeds or fails as a whole; after a failed
 * batch the later ones are not sent.  REPLACE and DELETE state the whole
 * RRset, so repeating a PATCH (after a timeout or a 5xx) converges.
 *
 * create: POST .../zones {name, kind: Native, nameservers}, then a fetch.
 *
 * The API key goes into one request header and nowhere else: it is never
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

#include "http.h"
#include "log.h"
#include "provider.h"
#include "xmalloc.h"

#define POWERDNS_MAX_BATCH	1000	/* RRsets per PATCH */
#define POWERDNS_ERR_MAX	512	/* error messages we build */
#define POWERDNS_API		"/api/v1"

enum powerdns_kind {
	POWERDNS_FETCH,
	POWERDNS_APPLY,
	POWERDNS_NS,
	POWERDNS_CREATE,
};

struct powerdns_op {
	TAILQ_ENTRY(powerdns_op)	 entry;
	struct powerdns			*pd;
	enum powerdns_kind		 kind;
	char				*origin;
	char				*zurl;	/* .../zones/{zone-id} */
	struct http_request		*req;	/* in flight, or NULL */
	struct event			*ev;	/* deferred answer, or NULL */

	provider_fetch_cb		 fetch_cb;
	provider_apply_cb		 apply_cb;
	provider_ns_cb			 ns_cb;
	void				*arg;

	/* apply */
	const struct changeset		*cs;
	struct apply_result		 res;
	size_t				 first;	/* batch in flight: */
	size_t				 last;	/* changes [first, last) */
};

struct powerdns {
	struct provider			*p;
	char				*url;	/* API base, no trailing '/' */
	char				*key;	/* secret */
	char				*key_header;	/* secret */
	const char			*headers[4];
	char				*server_id;
	int				 create_zone;
	char				**ns;	/* configured nameservers */
	size_t				 nns;
	struct http_pool		*pool;
	TAILQ_HEAD(, powerdns_op)	 ops;
};

static void	powerdns_http_cb(const struct http_response *, void *);

/* --- helpers -------------------------------------------------------------- */

/*
 * The zone id PowerDNS uses in URLs: the name with its trailing dot, every
 * character but letters, digits, '.', '-' and '_' written as =XX ("/"
 * becomes =2F); the root zone is "=2E".
 */
static char *
powerdns_zone_id(const char *origin)
{
	const unsigned char	*s;
	char			*id, *o;
	size_t			 len = strlen(origin);

	if (strcmp(origin, ".") == 0)
		return (xstrdup("=2E"));
	id = o = xmalloc(len * 3 + 2);
	for (s = (const unsigned char *)origin; *s != '\0'; s++) {
		if (isalnum(*s) || *s == '.' || *s == '-' || *s == '_')
			*o++ = (char)*s;
		else {
			snprintf(o, 4, "=%02X", *s);
			o += 3;
		}
	}
	if (len == 0 || origin[len - 1] != '.')
		*o++ = '.';
	*o = '\0';
	return (id);
}

/* Copy at most n characters of s, printable ASCII only, into buf. */
static void
powerdns_clean(char *buf, size_t size, const char *s, size_t n)
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

/* PowerDNS's {"error": "..."} text, else the body's start, else "". */
static void
powerdns_error_text(const struct http_response *resp, char *buf, size_t size)
{
	cJSON		*j;
	const cJSON	*e;

	buf[0] = '\0';
	if (resp->body_len == 0)
		return;
	j = cJSON_ParseWithLength(resp->body, resp->body_len);
	if (j != NULL) {
		e = cJSON_GetObjectItemCaseSensitive(j, "error");
		if (cJSON_IsString(e) && e->valuestring != NULL) {
			powerdns_clean(buf, size, e->valuestring, 400);
			cJSON_Delete(j);
			return;
		}
		cJSON_Delete(j);
	}
	powerdns_clean(buf, size, resp->body, 200);
}

/* "HTTP 422: message" or the transport error, into err. */
static void
powerdns_http_error(const struct http_response *resp, char *err,
    size_t errlen)
{
	char	text[POWERDNS_ERR_MAX];

	if (resp->err != HTTP_OK && resp->status == 0) {
		snprintf(err, errlen, "%s%s%.*s", http_strerror(resp->err),
		    resp->error[0] != '\0' ? ": " : "", 300, resp->error);
		return;
	}
	powerdns_error_text(resp, text, sizeof(text));
	if (text[0] != '\0')
		snprintf(err, errlen, "HTTP %ld: %.400s", resp->status, text);
	else
		snprintf(err, errlen, "HTTP %ld", resp->status);
	if (resp->err != HTTP_OK) {
		size_t	len = strlen(err);

		snprintf(err + len, errlen - len, " (%s)",
		    http_strerror(resp->err));
	}
}

static int
powerdns_word_ok(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-' &&
		    *s != '_')
			return (0);
	}
	return (1);
}

static int
powerdns_pool(struct powerdns *pd, char *err, size_t errlen)
{
	struct http_pool_config	 cfg;
	struct provider		*p = pd->p;

	if (pd->pool != NULL)
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
	pd->pool = http_pool_new(p->http, &cfg);
	return (0);
}

/* --- operations ----------------------------------------------------------- */

static struct powerdns_op *
powerdns_op_new(struct powerdns *pd, enum powerdns_kind kind,
    const char *origin)
{
	struct powerdns_op	*op;
	char			*id;

	op = xcalloc(1, sizeof(*op));
	op->pd = pd;
	op->kind = kind;
	if (origin[0] != '\0' && origin[strlen(origin) - 1] == '.')
		op->origin = xstrdup(origin);
	else
		xasprintf(&op->origin, "%s.", origin);
	id = powerdns_zone_id(op->origin);
	xasprintf(&op->zurl, "%s%s/servers/%s/zones/%s", pd->url,
	    POWERDNS_API, pd->server_id, id);
	free(id);
	TAILQ_INSERT_TAIL(&pd->ops, op, entry);
	return (op);
}

/* Free an op that is no longer on its provider's list. */
static void
powerdns_op_free(struct powerdns_op *op)
{
	if (op->ev != NULL)
		event_free(op->ev);
	if (op->res.results != NULL)
		apply_result_clear(&op->res);
	free(op->origin);
	free(op->zurl);
	free(op);
}

/* Take an op off its provider's list; its request is finished. */
static void
powerdns_op_detach(struct powerdns_op *op)
{
	TAILQ_REMOVE(&op->pd->ops, op, entry);
	op->req = NULL;
}

static int
powerdns_send(struct powerdns_op *op, const char *method, const char *url,
    const char *body, int flags)
{
	struct http_request_params	 rp;

	memset(&rp, 0, sizeof(rp));
	rp.method = method;
	rp.url = url;
	rp.headers = op->pd->headers;
	rp.body = body;
	rp.body_len = body != NULL ? strlen(body) : 0;
	rp.flags = flags;
	rp.cb = powerdns_http_cb;
	rp.arg = op;
	op->req = http_request_start(op->pd->pool, &rp);
	return (op->req != NULL ? 0 : -1);
}

/* Finish a fetch (or create, or ns) with an error. */
static void
powerdns_fail(struct powerdns_op *op, const char *error)
{
	struct provider	*p = op->pd->p;

	powerdns_op_detach(op);
	if (op->kind == POWERDNS_NS)
		op->ns_cb(p, -1, error, NULL, 0, op->arg);
	else
		op->fetch_cb(p, -1, error, NULL, op->arg);
	powerdns_op_free(op);
}

/*
 * Build the zone from a GET answer.  NULL with err set when the answer is
 * anything but a complete, valid zone.
 */
static struct zone *
powerdns_parse(struct powerdns *pd, const char *origin, const char *body,
    size_t len, char *err, size_t errlen)
{
	cJSON			*j;
	const cJSON		*rrsets, *rs, *name, *type, *ttl, *records;
	const cJSON		*rec, *content, *disabled, *zname;
	const char		*end;
	struct zone		*z;
	struct zone_error	 zerr;
	uint16_t		 t;
	size_t			 nsets = 0, nrecs = 0, ndisabled = 0, i;
	int			 enabled;

	j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (j != NULL) {
		while (end < body + len && isspace((unsigned char)*end))
			end++;
		if (end != body + len) {
			cJSON_Delete(j);
			j = NULL;
		}
	}
	if (j == NULL) {
		snprintf(err, errlen, "invalid response: not JSON (%zu bytes, "
		    "cut short?)", len);
		return (NULL);
	}
	if (!cJSON_IsObject(j)) {
		snprintf(err, errlen, "invalid response: not a JSON object");
		cJSON_Delete(j);
		return (NULL);
	}
	zname = cJSON_GetObjectItemCaseSensitive(j, "name");
	if (zname != NULL && (!cJSON_IsString(zname) ||
	    strcasecmp(zname->valuestring, origin) != 0)) {
		snprintf(err, errlen, "invalid response: zone name is not %s",
		    origin);
		cJSON_Delete(j);
		return (NULL);
	}
	rrsets = cJSON_GetObjectItemCaseSensitive(j, "rrsets");
	if (!cJSON_IsArray(rrsets)) {
		snprintf(err, errlen, "invalid response: no \"rrsets\" array");
		cJSON_Delete(j);
		return (NULL);
	}
	if ((z = zone_new(origin)) == NULL) {
		snprintf(err, errlen, "invalid zone name %s", origin);
		cJSON_Delete(j);
		return (NULL);
	}
	i = 0;
	cJSON_ArrayForEach(rs, rrsets) {
		i++;
		name = cJSON_GetObjectItemCaseSensitive(rs, "name");
		type = cJSON_GetObjectItemCaseSensitive(rs, "type");
		ttl = cJSON_GetObjectItemCaseSensitive(rs, "ttl");
		records = cJSON_GetObjectItemCaseSensitive(rs, "records");
		if (!cJSON_IsObject(rs) || !cJSON_IsString(name) ||
		    !cJSON_IsString(type) || !cJSON_IsArray(records) ||
		    !cJSON_IsNumber(ttl)) {
			snprintf(err, errlen, "invalid response: rrset %zu "
			    "lacks name, type, ttl or records", i);
			goto fail;
		}
		if (ttl->valuedouble < 0 || ttl->valuedouble > ZONE_TTL_MAX ||
		    (double)(uint32_t)ttl->valuedouble != ttl->valuedouble) {
			snprintf(err, errlen, "invalid response: %.255s %.20s: "
			    "bad TTL", name->valuestring, type->valuestring);
			goto fail;
		}
		if (name->valuestring[0] == '\0' ||
		    name->valuestring[strlen(name->valuestring) - 1] != '.') {
			snprintf(err, errlen, "invalid response: %.255s %.20s: "
			    "name is not absolute", name->valuestring,
			    type->valuestring);
			goto fail;
		}
		if ((t = ldns_get_rr_type_by_name(type->valuestring)) == 0) {
			snprintf(err, errlen, "invalid response: %.255s: "
			    "unknown type '%.20s'", name->valuestring,
			    type->valuestring);
			goto fail;
		}
		enabled = 0;
		cJSON_ArrayForEach(rec, records) {
			content = cJSON_GetObjectItemCaseSensitive(rec,
			    "content");
			disabled = cJSON_GetObjectItemCaseSensitive(rec,
			    "disabled");
			if (!cJSON_IsObject(rec) || !cJSON_IsString(content) ||
			    (disabled != NULL && !cJSON_IsBool(disabled))) {
				snprintf(err, errlen, "invalid response: "
				    "%.255s %.20s: bad record",
				    name->valuestring, type->valuestring);
				goto fail;
			}
			if (cJSON_IsTrue(disabled)) {
				ndisabled++;
				log_debug("powerdns", "%s: %s: disabled record "
				    "skipped (not served): %.255s %.20s %.200s",
				    pd->p->name, origin, name->valuestring,
				    type->valuestring, content->valuestring);
				continue;
			}
			if (zone_add_rr_text(z, name->valuestring, t,
			    (uint32_t)ttl->valuedouble, content->valuestring,
			    &zerr) == -1) {
				snprintf(err, errlen, "invalid response: %.400s",
				    zerr.msg);
				goto fail;
			}
			enabled = 1;
			nrecs++;
		}
		if (enabled)
			nsets++;
	}
	if (zone_finish(z, &zerr) == -1) {
		snprintf(err, errlen, "invalid response: %.400s", zerr.msg);
		goto fail;
	}
	if (zone_find(z, z->origin, LDNS_RR_TYPE_SOA) == NULL) {
		snprintf(err, errlen, "invalid response: no SOA record at the "
		    "apex");
		goto fail;
	}
	if (z->nrrsets != nsets) {
		snprintf(err, errlen, "invalid response: the same RRset is "
		    "listed more than once");
		goto fail;
	}
	if (ndisabled > 0)
		log_debug("powerdns", "%s: %s: %zu disabled records skipped",
		    pd->p->name, origin, ndisabled);
	log_debug("powerdns", "%s: %s: %zu RRsets, %zu records", pd->p->name,
	    origin, nsets, nrecs);
	cJSON_Delete(j);
	return (z);

fail:
	zone_free(z);
	cJSON_Delete(j);
	return (NULL);
}

/* The apex NS names of a zone, or -1. */
static int
powerdns_zone_ns(const struct zone *z, char ***names, size_t *nnames)
{
	const struct rrset	*rs;
	size_t			 i;

	if ((rs = zone_find(z, z->origin, LDNS_RR_TYPE_NS)) == NULL ||
	    rs->nrdata == 0)
		return (-1);
	*names = xcalloc(rs->nrdata, sizeof(**names));
	for (i = 0; i < rs->nrdata; i++)
		(*names)[i] = xstrdup(rs->rdata[i].text);
	*nnames = rs->nrdata;
	return (0);
}

static void
powerdns_names_free(char **names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* A GET of the zone came back (fetch, create's fetch, nameservers). */
static void
powerdns_got_zone(struct powerdns_op *op, const struct http_response *resp)
{
	struct powerdns	*pd = op->pd;
	struct provider	*p = pd->p;
	struct zone	*z;
	char		 err[POWERDNS_ERR_MAX], text[POWERDNS_ERR_MAX];
	char		**names = NULL;
	size_t		 nnames = 0;

	if (resp->err == HTTP_OK && resp->status == 404) {
		powerdns_fail(op, "zone not found");
		return;
	}
	if (resp->err == HTTP_OK && resp->status == 422) {
		powerdns_error_text(resp, text, sizeof(text));
		if (strstr(text, "Could not find domain") != NULL) {
			powerdns_fail(op, "zone not found");
			return;
		}
	}
	if (resp->err != HTTP_OK || resp->status != 200) {
		powerdns_http_error(resp, err, sizeof(err));
		log_debug("powerdns", "%s: %s: GET failed: %s", p->name,
		    op->origin, err);
		powerdns_fail(op, err);
		return;
	}
	z = powerdns_parse(pd, op->origin, resp->body, resp->body_len, err,
	    sizeof(err));
	if (z == NULL) {
		powerdns_fail(op, err);
		return;
	}
	if (op->kind == POWERDNS_NS) {
		if (powerdns_zone_ns(z, &names, &nnames) == -1) {
			zone_free(z);
			powerdns_fail(op, "no apex NS RRset at PowerDNS");
			return;
		}
		zone_free(z);
		powerdns_op_detach(op);
		op->ns_cb(p, 0, NULL, names, nnames, op->arg);
		powerdns_names_free(names, nnames);
		powerdns_op_free(op);
		return;
	}
	powerdns_op_detach(op);
	op->fetch_cb(p, 0, NULL, z, op->arg);
	powerdns_op_free(op);
}

/* A create's POST came back: fetch the new zone. */
static void
powerdns_created(struct powerdns_op *op, const struct http_response *resp)
{
	struct provider	*p = op->pd->p;
	char		 err[POWERDNS_ERR_MAX];

	if (resp->err != HTTP_OK || (resp->status != 201 &&
	    resp->status != 200 && resp->status != 204 &&
	    resp->status != 409)) {
		powerdns_http_error(resp, err, sizeof(err));
		powerdns_fail(op, err);
		return;
	}
	if (resp->status == 409)
		log_info("powerdns", "%s: %s: zone exists already", p->name,
		    op->origin);
	else
		log_info("powerdns", "%s: %s: zone created", p->name,
		    op->origin);
	op->kind = POWERDNS_FETCH;
	if (powerdns_send(op, "GET", op->zurl, NULL, 0) == -1)
		powerdns_fail(op, "cannot start the HTTP request");
}

/* LOC size and precision octets: mantissa * 10^exponent centimetres. */
static double
powerdns_loc_size(uint8_t b)
{
	double	v = (double)(b >> 4);
	int	e;

	for (e = b & 0x0f; e > 0; e--)
		v *= 10;
	return (v / 100.0);
}

static void
powerdns_loc_angle(uint32_t raw, char pos, char neg, unsigned *deg,
    unsigned *min, double *sec, char *hem)
{
	uint32_t	v;

	if (raw >= 0x80000000U) {
		v = raw - 0x80000000U;
		*hem = pos;
	} else {
		v = 0x80000000U - raw;
		*hem = neg;
	}
	*deg = v / 3600000;
	v %= 3600000;
	*min = v / 60000;
	v %= 60000;
	*sec = v / 1000.0;
}

/*
 * LOC as PowerDNS writes it (it refuses any other spelling, "Not in
 * expected format"): no leading zeros, three decimals on the seconds,
 * two on every length.
 */
static char *
powerdns_loc(const struct rdata *rd)
{
	const uint8_t	*w = rd->wire;
	uint32_t	 lat, lon, alt;
	unsigned	 latd, latm, lond, lonm;
	double		 lats, lons;
	char		 lath, lonh, *s;

	if (rd->len != 16 || w[0] != 0)
		return (NULL);
	lat = (uint32_t)w[4] << 24 | (uint32_t)w[5] << 16 | w[6] << 8 | w[7];
	lon = (uint32_t)w[8] << 24 | (uint32_t)w[9] << 16 | w[10] << 8 | w[11];
	alt = (uint32_t)w[12] << 24 | (uint32_t)w[13] << 16 | w[14] << 8 |
	    w[15];
	powerdns_loc_angle(lat, 'N', 'S', &latd, &latm, &lats, &lath);
	powerdns_loc_angle(lon, 'E', 'W', &lond, &lonm, &lons, &lonh);
	xasprintf(&s, "%u %u %.3f %c %u %u %.3f %c %.2fm %.2fm %.2fm %.2fm",
	    latd, latm, lats, lath, lond, lonm, lons, lonh,
	    alt / 100.0 - 100000.0, powerdns_loc_size(w[1]),
	    powerdns_loc_size(w[2]), powerdns_loc_size(w[3]));
	return (s);
}

/* CERT: ldns writes the certificate type as a mnemonic, PowerDNS wants
 * its number. */
static char *
powerdns_cert(const struct rdata *rd)
{
	const char	*rest;
	char		*s;

	if (rd->len < 5 || (rest = strchr(rd->text, ' ')) == NULL)
		return (NULL);
	xasprintf(&s, "%u%s", (unsigned)(rd->wire[0] << 8 | rd->wire[1]),
	    rest);
	return (s);
}

/*
 * The content PowerDNS is sent for one record: ldns' presentation form,
 * with whitespace outside quotes collapsed to single spaces (ldns ends
 * APL with a space and doubles some; PowerDNS refuses both), and LOC and
 * CERT in the spelling PowerDNS accepts.  What PowerDNS sends back
 * parses to the same wire form, so an in-sync zone diffs empty.
 */
static char *
powerdns_content(uint16_t type, const struct rdata *rd)
{
	const char	*t;
	char		*s, *o;
	int		 q = 0, sp = 0;

	if (type == LDNS_RR_TYPE_LOC && (s = powerdns_loc(rd)) != NULL)
		return (s);
	if (type == LDNS_RR_TYPE_CERT && (s = powerdns_cert(rd)) != NULL)
		return (s);
	s = o = xmalloc(strlen(rd->text) + 1);
	for (t = rd->text; *t == ' ' || *t == '\t'; t++)
		;
	for (; *t != '\0'; t++) {
		if (!q && (*t == ' ' || *t == '\t')) {
			sp = 1;
			continue;
		}
		if (sp) {
			*o++ = ' ';
			sp = 0;
		}
		if (*t == '\\' && t[1] != '\0') {
			*o++ = *t++;
			*o++ = *t;
			continue;
		}
		if (*t == '"')
			q = !q;
		*o++ = *t;
	}
	*o = '\0';
	return (s);
}

/* The PATCH body for changes [first, last) of cs. */
static char *
powerdns_patch_body(const struct changeset *cs, size_t first, size_t last)
{
	const struct change	*c;
	const struct rrset	*rs;
	cJSON			*root, *arr, *o, *recs, *r;
	char			 tname[16], *body, *content;
	size_t			 i, k;

	root = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(root, "rrsets");
	for (i = first; i < last; i++) {
		c = &cs->changes[i];
		rs = c->op == CHANGE_DELETE ? c->old : c->new;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", rs->owner);
		cJSON_AddStringToObject(o, "type",
		    zone_type_name(rs->type, tname, sizeof(tname)));
		if (c->op == CHANGE_DELETE)
			cJSON_AddStringToObject(o, "changetype", "DELETE");
		else {
			cJSON_AddNumberToObject(o, "ttl", rs->ttl);
			cJSON_AddStringToObject(o, "changetype", "REPLACE");
			recs = cJSON_AddArrayToObject(o, "records");
			for (k = 0; k < rs->nrdata; k++) {
				r = cJSON_CreateObject();
				content = powerdns_content(rs->type,
				    &rs->rdata[k]);
				cJSON_AddStringToObject(r, "content", content);
				free(content);
				cJSON_AddFalseToObject(r, "disabled");
				cJSON_AddItemToArray(recs, r);
			}
		}
		cJSON_AddItemToArray(arr, o);
	}
	if ((body = cJSON_PrintUnformatted(root)) == NULL)
		fatalx("powerdns", "cJSON_PrintUnformatted");
	cJSON_Delete(root);
	return (body);
}

/* Send the next batch of an apply: changes [op->first, op->last). */
static int
powerdns_apply_next(struct powerdns_op *op)
{
	char	*body;
	int	 rv;

	op->last = op->first + POWERDNS_MAX_BATCH;
	if (op->last > op->cs->nchanges)
		op->last = op->cs->nchanges;
	body = powerdns_patch_body(op->cs, op->first, op->last);
	rv = powerdns_send(op, "PATCH", op->zurl, body, HTTP_REQ_IDEMPOTENT);
	free(body);
	return (rv);
}

static void
powerdns_apply_done(struct powerdns_op *op)
{
	struct provider	*p = op->pd->p;

	powerdns_op_detach(op);
	op->apply_cb(p, &op->res, op->arg);
	powerdns_op_free(op);
}

/* A PATCH came back. */
static void
powerdns_patched(struct powerdns_op *op, const struct http_response *resp)
{
	struct provider	*p = op->pd->p;
	char		 err[POWERDNS_ERR_MAX];
	size_t		 i;

	op->res.api_calls += resp->attempts > 0 ? (size_t)resp->attempts : 1;
	if (resp->err != HTTP_OK || resp->status < 200 ||
	    resp->status > 299) {
		powerdns_http_error(resp, err, sizeof(err));
		log_debug("powerdns", "%s: %s: PATCH of changes %zu-%zu "
		    "failed: %s", p->name, op->origin, op->first + 1,
		    op->last, err);
		for (i = op->first; i < op->last; i++) {
			op->res.results[i] = CHANGE_RESULT_FAILED;
			op->res.errors[i] = xstrdup(err);
		}
		powerdns_apply_done(op);	/* the rest stays NOT_TRIED */
		return;
	}
	for (i = op->first; i < op->last; i++)
		op->res.results[i] = CHANGE_RESULT_OK;
	op->first = op->last;
	if (op->first >= op->cs->nchanges) {
		powerdns_apply_done(op);
		return;
	}
	if (powerdns_apply_next(op) == -1) {
		for (i = op->first; i < op->cs->nchanges; i++) {
			op->res.results[i] = CHANGE_RESULT_FAILED;
			op->res.errors[i] = xstrdup("cannot start the HTTP "
			    "request");
		}
		powerdns_apply_done(op);
	}
}

static void
powerdns_http_cb(const struct http_response *resp, void *arg)
{
	struct powerdns_op	*op = arg;

	op->req = NULL;
	switch (op->kind) {
	case POWERDNS_FETCH:
	case POWERDNS_NS:
		powerdns_got_zone(op, resp);
		break;
	case POWERDNS_CREATE:
		powerdns_created(op, resp);
		break;
	case POWERDNS_APPLY:
		powerdns_patched(op, resp);
		break;
	}
}

/* An answer known at once, given from the event loop. */
static void
powerdns_deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct powerdns_op	*op = arg;
	struct powerdns		*pd = op->pd;
	struct provider		*p = pd->p;
	char			**names;
	size_t			 i, n;

	(void)fd;
	(void)what;
	powerdns_op_detach(op);
	/* the callback may free the provider: nothing of pd after it */
	switch (op->kind) {
	case POWERDNS_NS:
		n = pd->nns;
		names = xcalloc(n, sizeof(*names));
		for (i = 0; i < n; i++)
			names[i] = xstrdup(pd->ns[i]);
		op->ns_cb(p, 0, NULL, names, n, op->arg);
		powerdns_names_free(names, n);
		break;
	case POWERDNS_APPLY:
		op->apply_cb(p, &op->res, op->arg);
		break;
	case POWERDNS_FETCH:
	case POWERDNS_CREATE:
		break;
	}
	powerdns_op_free(op);
}

static int
powerdns_defer(struct powerdns_op *op)
{
	struct timeval	tv = { 0, 0 };

	if (op->pd->p->base == NULL)
		return (-1);
	op->ev = evtimer_new(op->pd->p->base, powerdns_deferred_cb, op);
	if (op->ev == NULL || evtimer_add(op->ev, &tv) == -1)
		return (-1);
	return (0);
}

/* Undo powerdns_op_new() for an op that never started. */
static void
powerdns_op_abandon(struct powerdns_op *op)
{
	TAILQ_REMOVE(&op->pd->ops, op, entry);
	powerdns_op_free(op);
}

/* --- provider_ops --------------------------------------------------------- */

static int
powerdns_fetch(struct provider *p, const char *origin, provider_fetch_cb cb,
    void *arg, char *err, size_t errlen)
{
	struct powerdns		*pd = p->priv;
	struct powerdns_op	*op;

	if (powerdns_pool(pd, err, errlen) == -1)
		return (-1);
	op = powerdns_op_new(pd, POWERDNS_FETCH, origin);
	op->fetch_cb = cb;
	op->arg = arg;
	if (powerdns_send(op, "GET", op->zurl, NULL, 0) == -1) {
		powerdns_op_abandon(op);
		snprintf(err, errlen, "provider %s: cannot start the HTTP "
		    "request", p->name);
		return (-1);
	}
	return (0);
}

static int
powerdns_apply(struct provider *p, const char *origin,
    const struct changeset *cs, provider_apply_cb cb, void *arg, char *err,
    size_t errlen)
{
	struct powerdns		*pd = p->priv;
	struct powerdns_op	*op;
	const struct change	*c;
	size_t			 i;
	int			 rv;

	for (i = 0; i < cs->nchanges; i++) {
		c = &cs->changes[i];
		if ((c->op == CHANGE_DELETE && c->old == NULL) ||
		    (c->op != CHANGE_DELETE && c->new == NULL)) {
			snprintf(err, errlen, "provider %s: change %zu has no "
			    "RRset", p->name, i + 1);
			return (-1);
		}
	}
	if (powerdns_pool(pd, err, errlen) == -1)
		return (-1);
	op = powerdns_op_new(pd, POWERDNS_APPLY, origin);
	op->apply_cb = cb;
	op->arg = arg;
	op->cs = cs;
	apply_result_init(&op->res, cs->nchanges);
	if (cs->nchanges == 0)
		rv = powerdns_defer(op);
	else
		rv = powerdns_apply_next(op);
	if (rv == -1) {
		powerdns_op_abandon(op);
		snprintf(err, errlen, "provider %s: cannot start the HTTP "
		    "request", p->name);
		return (-1);
	}
	log_debug("powerdns", "%s: %s: applying %zu changes in %zu batches",
	    p->name, origin, cs->nchanges, (cs->nchanges +
	    POWERDNS_MAX_BATCH - 1) / POWERDNS_MAX_BATCH);
	return (0);
}

static int
powerdns_nameservers(struct provider *p, const char *origin,
    provider_ns_cb cb, void *arg, char *err, size_t errlen)
{
	struct powerdns		*pd = p->priv;
	struct powerdns_op	*op;
	int			 rv;

	if (pd->nns == 0 && powerdns_pool(pd, err, errlen) == -1)
		return (-1);
	op = powerdns_op_new(pd, POWERDNS_NS, origin);
	op->ns_cb = cb;
	op->arg = arg;
	if (pd->nns > 0)
		rv = powerdns_defer(op);
	else
		rv = powerdns_send(op, "GET", op->zurl, NULL, 0);
	if (rv == -1) {
		powerdns_op_abandon(op);
		snprintf(err, errlen, "provider %s: cannot start the request",
		    p->name);
		return (-1);
	}
	return (0);
}

static int
powerdns_create(struct provider *p, const char *origin, provider_fetch_cb cb,
    void *arg, char *err, size_t errlen)
{
	struct powerdns		*pd = p->priv;
	struct powerdns_op	*op;
	cJSON			*root, *arr;
	char			*body, *url, *name;
	size_t			 i, len;
	int			 rv;

	if (!pd->create_zone) {
		snprintf(err, errlen, "provider %s: create-zone is not enabled",
		    p->name);
		return (-1);
	}
	if (powerdns_pool(pd, err, errlen) == -1)
		return (-1);
	len = strlen(origin);
	if (len > 0 && origin[len - 1] == '.')
		name = xstrdup(origin);
	else
		xasprintf(&name, "%s.", origin);
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "name", name);
	cJSON_AddStringToObject(root, "kind", "Native");
	arr = cJSON_AddArrayToObject(root, "nameservers");
	for (i = 0; i < pd->nns; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(pd->ns[i]));
	if ((body = cJSON_PrintUnformatted(root)) == NULL)
		fatalx("powerdns", "cJSON_PrintUnformatted");
	cJSON_Delete(root);
	free(name);

	op = powerdns_op_new(pd, POWERDNS_CREATE, origin);
	op->fetch_cb = cb;
	op->arg = arg;
	xasprintf(&url, "%s%s/servers/%s/zones", pd->url, POWERDNS_API,
	    pd->server_id);
	rv = powerdns_send(op, "POST", url, body, 0);
	free(url);
	free(body);
	if (rv == -1) {
		powerdns_op_abandon(op);
		snprintf(err, errlen, "provider %s: cannot start the HTTP "
		    "request", p->name);
		return (-1);
	}
	return (0);
}

static void
powerdns_cancel(struct provider *p)
{
	struct powerdns		*pd = p->priv;
	struct powerdns_op	*op;

	if (pd == NULL)
		return;
	while ((op = TAILQ_FIRST(&pd->ops)) != NULL) {
		TAILQ_REMOVE(&pd->ops, op, entry);
		if (op->req != NULL)
			http_cancel(op->req);
		op->req = NULL;
		powerdns_op_free(op);
	}
}

static void
powerdns_free(struct provider *p)
{
	struct powerdns	*pd = p->priv;
	size_t		 i;

	if (pd == NULL)
		return;
	powerdns_cancel(p);
	http_pool_free(pd->pool);
	if (pd->key != NULL) {
		explicit_bzero(pd->key, strlen(pd->key));
		free(pd->key);
	}
	if (pd->key_header != NULL) {
		explicit_bzero(pd->key_header, strlen(pd->key_header));
		free(pd->key_header);
	}
	for (i = 0; i < pd->nns; i++)
		free(pd->ns[i]);
	free(pd->ns);
	free(pd->server_id);
	free(pd->url);
	free(pd);
	p->priv = NULL;
}

static int
powerdns_init(struct provider *p, char *err, size_t errlen)
{
	struct powerdns	*pd;
	const char	*url, *keyfile, *sid, *cz, *s;
	char		 msg[POWERDNS_ERR_MAX];
	size_t		 len;

	pd = xcalloc(1, sizeof(*pd));
	pd->p = p;
	TAILQ_INIT(&pd->ops);
	p->priv = pd;

	url = provider_conf_get(p->conf, "url");
	if (url == NULL || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0)) {
		snprintf(err, errlen, "provider %s: url: expected an http:// "
		    "or https:// URL", p->name);
		goto fail;
	}
	for (s = url; *s != '\0'; s++) {
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f) {
			snprintf(err, errlen, "provider %s: url: bad character",
			    p->name);
			goto fail;
		}
	}
	pd->url = xstrdup(url);
	len = strlen(pd->url);
	while (len > 0 && pd->url[len - 1] == '/')
		pd->url[--len] = '\0';
	/* Accept the base with or without the API path. */
	if (len >= strlen(POWERDNS_API) &&
	    strcmp(pd->url + len - strlen(POWERDNS_API), POWERDNS_API) == 0)
		pd->url[len - strlen(POWERDNS_API)] = '\0';

	if ((keyfile = provider_conf_get(p->conf, "api-key-file")) == NULL) {
		snprintf(err, errlen, "provider %s: api-key-file is required",
		    p->name);
		goto fail;
	}
	if ((pd->key = provider_read_secret(keyfile, msg,
	    sizeof(msg))) == NULL) {
		snprintf(err, errlen, "provider %s: api-key-file: %s", p->name,
		    msg);
		goto fail;
	}
	for (s = pd->key; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f) {
			snprintf(err, errlen, "provider %s: api-key-file: the "
			    "key holds a control or non-ASCII character",
			    p->name);
			goto fail;
		}
	}
	xasprintf(&pd->key_header, "X-API-Key: %s", pd->key);
	pd->headers[0] = pd->key_header;
	pd->headers[1] = "Content-Type: application/json";
	pd->headers[2] = "Accept: application/json";
	pd->headers[3] = NULL;

	sid = provider_conf_get(p->conf, "server-id");
	if (sid == NULL)
		sid = "localhost";
	if (!powerdns_word_ok(sid)) {
		snprintf(err, errlen, "provider %s: server-id: expected "
		    "letters, digits, '.', '-' or '_'", p->name);
		goto fail;
	}
	pd->server_id = xstrdup(sid);

	cz = provider_conf_get(p->conf, "create-zone");
	if (cz == NULL || strcmp(cz, "no") == 0)
		pd->create_zone = 0;
	else if (strcmp(cz, "yes") == 0)
		pd->create_zone = 1;
	else {
		snprintf(err, errlen, "provider %s: create-zone: expected yes "
		    "or no", p->name);
		goto fail;
	}

	if (provider_conf_names(p, &pd->ns, &pd->nns, err, errlen) == -1)
		goto fail;

	p->caps.flags = PROVIDER_CAP_APEX_NS | PROVIDER_CAP_ATOMIC;
	if (pd->create_zone)
		p->caps.flags |= PROVIDER_CAP_CREATE;
	p->caps.max_batch = POWERDNS_MAX_BATCH;
	p->caps.min_ttl = 0;
	p->caps.types = NULL;
	p->caps.ntypes = 0;

	if (p->http != NULL && powerdns_pool(pd, err, errlen) == -1)
		goto fail;
	return (0);

fail:
	powerdns_free(p);
	return (-1);
}

const struct provider_ops powerdns_ops = {
	.type = "powerdns",
	.init = powerdns_init,
	.free = powerdns_free,
	.fetch = powerdns_fetch,
	.apply = powerdns_apply,
	.nameservers = powerdns_nameservers,
	.create = powerdns_create,
	.cancel = powerdns_cancel,
};
