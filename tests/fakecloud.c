/*
 * fakecloud: a stand-alone fake of a cloud DNS provider's API for the
 * end-to-end tests (tests/cloud-lab.sh), on 127.0.0.1, built on
 * tests/httpd.  It keeps one zone in memory and answers the way the
 * provider documents, closely enough for the real backend.
 *
 *	fakecloud cloudflare|route53 [-a access-key-id] [-m page-max]
 *	    [-n nameservers] [-p portfile] [-t secret-file] [-z zone]
 *
 * -z	the zone (default example.com).
 * -t	a file whose first line is the Cloudflare API token or the AWS
 *	secret access key (default: the built-in test secrets below).
 * -a	the AWS access key id (route53; default AKIDFAKECLOUD).
 * -n	the zone's nameservers, separated by blanks or commas (default
 *	ada/bob.ns.cloudflare.com, or four awsdns names).
 * -m	at most this many records (Cloudflare) or record sets (Route 53)
 *	a listing page, whatever the client asks for, so that a small zone
 *	spans several pages (default: as the API documents).
 * -p	write the port, once listening, to this file (else to stdout).
 *
 * Runs until SIGTERM or SIGINT, then frees everything and exits 0.
 *
 * Cloudflare (API v4, under /client/v4; zone id CF_ZONE_ID).  Every
 * request must carry "Authorization: Bearer TOKEN", else 401 with error
 * 10000.  Answers are the {success, errors, messages, result,
 * result_info} envelope.
 *   GET  /zones?name=Z			the zones of that name (0 or 1)
 *   GET  /zones/ID			the zone (name_servers from -n)
 *   GET  /zones/ID/dns_settings	multi_provider: true, ns_ttl 86400
 *   GET  /zones/ID/dns_records?page=P&per_page=N
 *	one record object each (id, name without the trailing dot, type,
 *	content, ttl, proxied, priority for MX and SRV, data for SRV and
 *	CAA), in creation order; per_page 5..5000000 (default 100, capped by
 *	-m), result_info with page, per_page, count, total_count and
 *	total_pages.
 *   POST /zones/ID/dns_records/batch	{deletes, patches, puts, posts}
 *	applied in that order in one transaction: at most 200 operations
 *	(error 81058 beyond), a missing id is 81044, an invalid record
 *	(name outside the zone, unknown type, TTL not 1 or 60..86400,
 *	content that does not parse) is 9005 or 9021, an identical record
 *	81057, a CNAME next to other data 81053; any error leaves the zone
 *	as it was.  Cloudflare's own nameservers are not records.
 *
 * Route 53 (API 2013-04-01; hosted zone id R53_ZONE_ID).  Every request's
 * AWS Signature Version 4 (region us-east-1, service route53) is
 * recomputed here from the request as received, independently of the
 * client, and compared: a missing or malformed Authorization, a wrong
 * scope or key id, an X-Amz-Date more than 15 minutes off, or any other
 * difference is 403 (MissingAuthenticationToken, InvalidClientTokenId or
 * SignatureDoesNotMatch).  Errors are the documented ErrorResponse XML.
 *   GET  /2013-04-01/hostedzonesbyname?dnsname=Z&maxitems=N
 *   GET  /2013-04-01/hostedzone/ID		with its DelegationSet (-n)
 *   GET  /2013-04-01/hostedzone/ID/rrset?name=&type=&maxitems=
 *	record sets sorted by name with the labels reversed, then type;
 *	at most maxitems (default and cap 300, and -m), IsTruncated with
 *	NextRecordName / NextRecordType when more remain.
 *   POST /2013-04-01/hostedzone/ID/rrset	ChangeResourceRecordSets
 *	CREATE (fails if the set exists), DELETE (the set must match
 *	exactly: TTL and every value), UPSERT; applied in order on a copy,
 *	all or nothing: any problem is 400 InvalidChangeBatch listing every
 *	message.  The SOA cannot be created or deleted, nor the apex NS
 *	deleted; a CNAME cannot share its name; at most 1,000 records and
 *	32,000 value characters a request (UPSERT counts twice).  The answer
 *	is a ChangeInfo, PENDING; GetChange says INSYNC.
 *   A new hosted zone holds an SOA and the apex NS (-n), as at AWS.
 *
 * Control endpoints for the test, without authentication:
 *   GET  /_fake/dump	every record the fake holds, one a line, sorted:
 *			"OWNER TYPE TTL RDATA", owner absolute and lower-case,
 *			rdata in canonical presentation form (ldns).
 *   POST /_fake/edit	a hand edit, as in the provider's console: lines
 *			"set OWNER TYPE TTL RDATA" (the RRset becomes this one
 *			record), "add OWNER TYPE TTL RDATA", "delete OWNER
 *			TYPE"; all or nothing; 200 "ok" or 400 and why.
 *   GET  /_fake/stats	"requests N", "refused N" (authentication
 *			failures), "changes N" (batches applied), one a line.
 *
 * Shares tests/httpd with the unit tests' fakes; the request handling
 * here follows tests/check_cloudflare.c and tests/check_route53.c (whose
 * fakes are in-process and scripted per case) but keeps state.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <ldns/ldns.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "httpd.h"
#include "log.h"
#include "xmalloc.h"
#include "xml.h"

#define CF_API		"/client/v4"
#define CF_ZONE_ID	"9a7806061c88ada191ed06f989cc3dac"
#define CF_TOKEN	"fakecloud-cloudflare-token"
#define CF_MAX_OPS	200
#define CF_PER_PAGE	100
#define CF_PER_PAGE_MAX	5000000
#define R53_API		"/2013-04-01"
#define R53_ZONE_ID	"Z0FAKECLOUD42"
#define R53_AKID	"AKIDFAKECLOUD"
#define R53_SECRET	"fakecloud/route53+secret"
#define R53_REGION	"us-east-1"
#define R53_XMLNS	"https://route53.amazonaws.com/doc/2013-04-01/"
#define R53_PAGE	300
#define R53_MAX_RR	1000
#define R53_MAX_CHARS	32000
#define FAKE_TTL_MAX	2147483647UL

enum fake_kind {
	FAKE_CLOUDFLARE,
	FAKE_ROUTE53,
};

/* One Route 53 record set. */
struct r53_set {
	char		*name;		/* absolute, lower-case */
	char		*type;
	unsigned long	 ttl;
	char		**values;	/* as Route 53 keeps them */
	size_t		 nvalues;
};

struct r53_zone {
	struct r53_set	*sets;
	size_t		 nsets;
};

struct fake {
	enum fake_kind	 kind;
	char		*zone;		/* absolute, lower-case */
	char		*secret;
	char		*akid;
	char		**ns;		/* absolute, lower-case */
	size_t		 nns;
	size_t		 page_max;	/* 0 = as documented */
	unsigned	 requests;
	unsigned	 refused;
	unsigned	 changes;
	cJSON		*records;	/* cloudflare */
	unsigned	 next_id;
	struct r53_zone	 r53;		/* route53 */
};

static struct fake	 fk;

static const char *const json_hdrs[] = {
	"Content-Type: application/json", NULL
};
static const char *const xml_hdrs[] = { "Content-Type: text/xml", NULL };
static const char *const text_hdrs[] = {
	"Content-Type: text/plain", NULL
};

/* --- a growing string ----------------------------------------------------- */

struct sb {
	char	*p;
	size_t	 len;
};

static void
sb_addn(struct sb *b, const char *s, size_t n)
{
	b->p = xreallocarray(b->p, b->len + n + 1, 1);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("fakecloud", "vasprintf failed");
	sb_addn(b, s, (size_t)n);
	free(s);
}

/* The string (never NULL); the buffer is left empty. */
static char *
sb_take(struct sb *b)
{
	char	*s = b->p != NULL ? b->p : xstrdup("");

	memset(b, 0, sizeof(*b));
	return (s);
}

/* XML character data. */
static void
sb_xml(struct sb *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			sb_printf(b, "&amp;");
			break;
		case '<':
			sb_printf(b, "&lt;");
			break;
		case '>':
			sb_printf(b, "&gt;");
			break;
		case '"':
			sb_printf(b, "&quot;");
			break;
		default:
			sb_addn(b, s, 1);
		}
	}
}

/* --- names, queries, canonical rdata ------------------------------------- */

static char *
name_abs(const char *s)
{
	char	*n;
	size_t	 i, len = strlen(s);

	if (len > 0 && s[len - 1] == '.')
		n = xstrdup(s);
	else
		xasprintf(&n, "%s.", s);
	for (i = 0; n[i] != '\0'; i++)
		n[i] = (char)tolower((unsigned char)n[i]);
	return (n);
}

/* "www.example.com." -> "www.example.com" */
static char *
name_undot(const char *s)
{
	size_t	len = strlen(s);

	if (len > 1 && s[len - 1] == '.')
		len--;
	return (xstrndup(s, len));
}

/* Whether the absolute name n is the zone or below it. */
static int
name_in_zone(const char *n)
{
	size_t	ln = strlen(n), lz = strlen(fk.zone);

	if (ln == lz)
		return (strcmp(n, fk.zone) == 0);
	return (ln > lz && n[ln - lz - 1] == '.' &&
	    strcmp(n + ln - lz, fk.zone) == 0);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* Decode %XX (and '+' stays '+'); -1 when malformed. */
static int
pct_decode(const char *s, size_t n, struct sb *out)
{
	size_t	i;
	char	c;

	sb_addn(out, "", 0);
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n)
				return (-1);
			if (hexval((unsigned char)s[i + 1]) == -1 ||
			    hexval((unsigned char)s[i + 2]) == -1)
				return (-1);
			c = (char)(hexval((unsigned char)s[i + 1]) * 16 +
			    hexval((unsigned char)s[i + 2]));
			sb_addn(out, &c, 1);
			i += 2;
		} else
			sb_addn(out, s + i, 1);
	}
	return (0);
}

/* A query parameter, decoded; NULL when absent (free the result). */
static char *
query_get(const char *uri, const char *key)
{
	const char	*q = strchr(uri, '?'), *s, *e;
	struct sb	 v;
	size_t		 klen = strlen(key);

	if (q == NULL)
		return (NULL);
	for (s = q + 1; s != NULL && *s != '\0'; s = e != NULL ? e + 1 : NULL) {
		e = strchr(s, '&');
		if (strncmp(s, key, klen) == 0 && s[klen] == '=') {
			memset(&v, 0, sizeof(v));
			if (pct_decode(s + klen + 1, e != NULL ?
			    (size_t)(e - s) - klen - 1 : strlen(s + klen + 1),
			    &v) == -1) {
				free(v.p);
				return (NULL);
			}
			return (sb_take(&v));
		}
	}
	return (NULL);
}

/*
 * The canonical presentation rdata (ldns) of "owner type rdata"; NULL
 * when it does not parse.
 */
static char *
rdata_canon(const char *owner, const char *type, const char *rdata)
{
	ldns_rr		*rr = NULL;
	ldns_status	 st;
	struct sb	 b;
	char		*line, *s;
	size_t		 i;

	if (ldns_get_rr_type_by_name(type) == 0)
		return (NULL);
	xasprintf(&line, "%s 300 IN %s %s", owner, type, rdata);
	st = ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL);
	free(line);
	if (st != LDNS_STATUS_OK || rr == NULL)
		return (NULL);
	memset(&b, 0, sizeof(b));
	sb_addn(&b, "", 0);
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		if ((s = ldns_rdf2str(ldns_rr_rdf(rr, i))) == NULL) {
			ldns_rr_free(rr);
			free(b.p);
			return (NULL);
		}
		sb_printf(&b, "%s%s", i > 0 ? " " : "", s);
		free(s);
	}
	ldns_rr_free(rr);
	return (sb_take(&b));
}

static int
str_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Sort the dump's lines and join them. */
static char *
lines_join(char **lines, size_t n)
{
	struct sb	b;
	size_t		i;

	if (n > 0)
		qsort(lines, n, sizeof(*lines), str_cmp);
	memset(&b, 0, sizeof(b));
	for (i = 0; i < n; i++) {
		sb_printf(&b, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
	return (sb_take(&b));
}

/*
 * One line of an edit: verb, owner (absolute), type, TTL, rdata.  -1
 * with err set.
 */
struct edit {
	char		 verb[8];
	char		*owner;
	char		 type[16];
	unsigned long	 ttl;
	char		*rdata;		/* canonical, NULL for delete */
};

static void
edit_clear(struct edit *e)
{
	free(e->owner);
	free(e->rdata);
	memset(e, 0, sizeof(*e));
}

static int
edit_parse(const char *line, struct edit *e, char *err, size_t errlen)
{
	char	owner[256], ttl[16], *end;
	int	off = 0;

	memset(e, 0, sizeof(*e));
	if (sscanf(line, "%7s %255s %15s %n", e->verb, owner, e->type,
	    &off) != 3) {
		snprintf(err, errlen, "cannot read '%.100s'", line);
		return (-1);
	}
	for (end = e->type; *end != '\0'; end++)
		*end = (char)toupper((unsigned char)*end);
	e->owner = name_abs(owner);
	if (!name_in_zone(e->owner)) {
		snprintf(err, errlen, "%.255s is not in the zone", e->owner);
		return (-1);
	}
	if (strcmp(e->verb, "delete") == 0)
		return (0);
	if (strcmp(e->verb, "set") != 0 && strcmp(e->verb, "add") != 0) {
		snprintf(err, errlen, "unknown edit '%.7s'", e->verb);
		return (-1);
	}
	line += off;
	if (sscanf(line, "%15s %n", ttl, &off) != 1) {
		snprintf(err, errlen, "no TTL");
		return (-1);
	}
	errno = 0;
	e->ttl = strtoul(ttl, &end, 10);
	if (*end != '\0' || errno != 0 || e->ttl > FAKE_TTL_MAX) {
		snprintf(err, errlen, "bad TTL '%.15s'", ttl);
		return (-1);
	}
	if ((e->rdata = rdata_canon(e->owner, e->type, line + off)) == NULL) {
		snprintf(err, errlen, "bad %.15s rdata '%.100s'", e->type,
		    line + off);
		return (-1);
	}
	return (0);
}

/* --- Cloudflare ---------------------------------------------------------- */

static void
cf_reply(struct httpd_reply *out, int status, cJSON *j)
{
	out->status = status;
	out->headers = json_hdrs;
	out->body = cJSON_PrintUnformatted(j);
	out->body_free = 1;
	cJSON_Delete(j);
}

static cJSON *
cf_envelope(int success, cJSON *result)
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
cf_error(struct httpd_reply *out, int status, int code, const char *msg)
{
	cJSON	*j = cf_envelope(0, NULL), *e;

	e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", msg);
	cJSON_AddItemToArray(cJSON_GetObjectItem(j, "errors"), e);
	cf_reply(out, status, j);
}

static cJSON *
cf_zone(void)
{
	cJSON	*z = cJSON_CreateObject(), *ns;
	char	*s;
	size_t	 i;

	cJSON_AddStringToObject(z, "id", CF_ZONE_ID);
	s = name_undot(fk.zone);
	cJSON_AddStringToObject(z, "name", s);
	free(s);
	cJSON_AddStringToObject(z, "status", "active");
	cJSON_AddBoolToObject(z, "paused", 0);
	cJSON_AddStringToObject(z, "type", "full");
	ns = cJSON_AddArrayToObject(z, "name_servers");
	for (i = 0; i < fk.nns; i++) {
		s = name_undot(fk.ns[i]);
		cJSON_AddItemToArray(ns, cJSON_CreateString(s));
		free(s);
	}
	return (z);
}

static const char *
cf_str(const cJSON *o, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	return (cJSON_IsString(v) ? v->valuestring : NULL);
}

/* An integer field in [lo, hi]: 0, or -1. */
static int
cf_int(const cJSON *o, const char *key, double lo, double hi, long *out)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
	    v->valuedouble != (double)(long)v->valuedouble)
		return (-1);
	*out = (long)v->valuedouble;
	return (0);
}

/* Raw TXT content as quoted strings of at most 255 octets. */
static char *
cf_txt_quote(const char *s)
{
	struct sb	b;
	size_t		n = 0;

	memset(&b, 0, sizeof(b));
	sb_addn(&b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (n == 255) {
			sb_addn(&b, "\" \"", 3);
			n = 0;
		}
		if (*s == '"' || *s == '\\')
			sb_addn(&b, "\\", 1);
		sb_addn(&b, s, 1);
		n++;
	}
	sb_addn(&b, "\"", 1);
	return (sb_take(&b));
}

/*
 * The presentation rdata of a stored record (not yet canonical); NULL
 * when the record lacks what its type needs.
 */
static char *
cf_rdata(const cJSON *r)
{
	const char	*type = cf_str(r, "type"), *c = cf_str(r, "content");
	const cJSON	*d = cJSON_GetObjectItemCaseSensitive(r, "data");
	const char	*t, *v;
	long		 a, b, x;
	char		*s;

	if (strcmp(type, "MX") == 0) {
		if (c == NULL || cf_int(r, "priority", 0, 65535, &a) == -1)
			return (NULL);
		xasprintf(&s, "%ld %s.", a, c);
		return (s);
	}
	if (strcmp(type, "SRV") == 0) {
		if (!cJSON_IsObject(d) || cf_int(d, "priority", 0, 65535,
		    &a) == -1 || cf_int(d, "weight", 0, 65535, &b) == -1 ||
		    cf_int(d, "port", 0, 65535, &x) == -1 ||
		    (t = cf_str(d, "target")) == NULL)
			return (NULL);
		xasprintf(&s, "%ld %ld %ld %s%s", a, b, x, t,
		    strcmp(t, ".") == 0 ? "" : ".");
		return (s);
	}
	if (strcmp(type, "CAA") == 0) {
		if (!cJSON_IsObject(d) || cf_int(d, "flags", 0, 255, &a) == -1 ||
		    (t = cf_str(d, "tag")) == NULL ||
		    (v = cf_str(d, "value")) == NULL || strchr(v, '"') != NULL)
			return (NULL);
		xasprintf(&s, "%ld %s \"%s\"", a, t, v);
		return (s);
	}
	if (c == NULL)
		return (NULL);
	if (strcmp(type, "CNAME") == 0 || strcmp(type, "NS") == 0 ||
	    strcmp(type, "PTR") == 0) {
		xasprintf(&s, "%s.", c);
		return (s);
	}
	if (strcmp(type, "TXT") == 0 && c[0] != '"')
		return (cf_txt_quote(c));
	return (xstrdup(c));
}

/* Content as the API shows it for types that come as data. */
static void
cf_fill_content(cJSON *r)
{
	const char	*type = cf_str(r, "type");
	const cJSON	*d = cJSON_GetObjectItemCaseSensitive(r, "data");
	long		 a, b, x;
	char		*s;

	if (!cJSON_IsObject(d))
		return;
	s = NULL;
	if (strcmp(type, "SRV") == 0 && cf_int(d, "priority", 0, 65535,
	    &a) == 0 && cf_int(d, "weight", 0, 65535, &b) == 0 &&
	    cf_int(d, "port", 0, 65535, &x) == 0 && cf_str(d, "target") !=
	    NULL) {
		/* content: weight, port, target; priority on its own */
		xasprintf(&s, "%ld %ld %s", b, x, cf_str(d, "target"));
		cJSON_DeleteItemFromObject(r, "priority");
		cJSON_AddNumberToObject(r, "priority", (double)a);
	} else if (strcmp(type, "CAA") == 0 && cf_int(d, "flags", 0, 255,
	    &a) == 0 && cf_str(d, "tag") != NULL && cf_str(d, "value") !=
	    NULL)
		xasprintf(&s, "%ld %s \"%s\"", a, cf_str(d, "tag"),
		    cf_str(d, "value"));
	if (s != NULL) {
		cJSON_DeleteItemFromObject(r, "content");
		cJSON_AddStringToObject(r, "content", s);
		free(s);
	}
}

static const char *const cf_types[] = {
	"A", "AAAA", "CAA", "CERT", "CNAME", "DNSKEY", "DS", "HTTPS", "LOC",
	"MX", "NAPTR", "NS", "OPENPGPKEY", "PTR", "SMIMEA", "SRV", "SSHFP",
	"SVCB", "TLSA", "TXT", "URI",
};

static int
cf_proxiable(const char *type)
{
	return (strcmp(type, "A") == 0 || strcmp(type, "AAAA") == 0 ||
	    strcmp(type, "CNAME") == 0);
}

static char *
cf_owner(const cJSON *r)
{
	return (name_abs(cf_str(r, "name")));
}

/*
 * Check a record (after the operation made it) against the others in
 * work; 0, or -1 with the error's code and message.
 */
static int
cf_check(cJSON *work, const cJSON *r, int *code, char *msg, size_t msglen)
{
	const cJSON	*o;
	const char	*type = cf_str(r, "type"), *ot;
	char		*owner, *oo, *rd, *cr, *ord, *ocr;
	long		 ttl;
	size_t		 i;
	int		 rv = -1, known = 0;

	if (type == NULL || cf_str(r, "name") == NULL) {
		*code = 9000;
		snprintf(msg, msglen, "DNS name and type are required.");
		return (-1);
	}
	for (i = 0; i < sizeof(cf_types) / sizeof(cf_types[0]); i++)
		known |= strcmp(cf_types[i], type) == 0;
	if (!known) {
		*code = 9000;
		snprintf(msg, msglen, "Invalid type %.20s.", type);
		return (-1);
	}
	if (cf_int(r, "ttl", 1, 86400, &ttl) == -1 || (ttl > 1 && ttl < 60)) {
		*code = 9021;
		snprintf(msg, msglen, "Invalid TTL. Must be between 60 and "
		    "86400 seconds, or 1 for Automatic.");
		return (-1);
	}
	owner = cf_owner(r);
	if (!name_in_zone(owner)) {
		*code = 9005;
		snprintf(msg, msglen, "Record name %.255s is not in the "
		    "zone.", owner);
		free(owner);
		return (-1);
	}
	if ((rd = cf_rdata(r)) == NULL ||
	    (cr = rdata_canon(owner, type, rd)) == NULL) {
		*code = 9005;
		snprintf(msg, msglen, "Content for %.20s record is invalid.",
		    type);
		free(rd);
		free(owner);
		return (-1);
	}
	cJSON_ArrayForEach(o, work) {
		if (o == r)
			continue;
		oo = cf_owner(o);
		ot = cf_str(o, "type");
		if (strcmp(oo, owner) != 0) {
			free(oo);
			continue;
		}
		free(oo);
		if ((strcmp(type, "CNAME") == 0) != (strcmp(ot,
		    "CNAME") == 0)) {
			*code = 81053;
			snprintf(msg, msglen, "A record with that host "
			    "already exists. CNAME records cannot share "
			    "their name.");
			goto out;
		}
		if (strcmp(ot, type) != 0)
			continue;
		ord = cf_rdata(o);
		ocr = ord != NULL ? rdata_canon(owner, type, ord) : NULL;
		if (ocr != NULL && strcmp(ocr, cr) == 0) {
			free(ord);
			free(ocr);
			*code = 81057;
			snprintf(msg, msglen, "An identical record already "
			    "exists.");
			goto out;
		}
		free(ord);
		free(ocr);
	}
	rv = 0;
out:
	free(rd);
	free(cr);
	free(owner);
	return (rv);
}

/* Make a record as the API keeps it from what a client sent. */
static cJSON *
cf_record_new(const cJSON *in)
{
	cJSON		*r = cJSON_CreateObject(), *f;
	const char	*name = cf_str(in, "name"), *type = cf_str(in, "type");
	char		 id[40], *n, *full;

	snprintf(id, sizeof(id), "%032x", ++fk.next_id);
	cJSON_AddStringToObject(r, "id", id);
	cJSON_AddStringToObject(r, "zone_id", CF_ZONE_ID);
	n = name_undot(fk.zone);
	cJSON_AddStringToObject(r, "zone_name", n);
	free(n);
	cJSON_ArrayForEach(f, in) {
		if (strcmp(f->string, "id") == 0 ||
		    strcmp(f->string, "name") == 0)
			continue;
		cJSON_AddItemToObject(r, f->string, cJSON_Duplicate(f, 1));
	}
	/* "@" is the apex; names not ending in the zone are relative */
	if (name == NULL)
		full = NULL;
	else if (strcmp(name, "@") == 0)
		full = xstrdup(fk.zone);
	else {
		full = name_abs(name);
		if (!name_in_zone(full)) {
			n = name_undot(full);
			free(full);
			xasprintf(&full, "%s.%s", n, fk.zone);
			free(n);
		}
	}
	if (full != NULL) {
		n = name_undot(full);
		cJSON_AddStringToObject(r, "name", n);
		free(n);
		free(full);
	}
	if (type != NULL) {
		if (cJSON_GetObjectItemCaseSensitive(r, "proxied") == NULL)
			cJSON_AddBoolToObject(r, "proxied", 0);
		cJSON_AddBoolToObject(r, "proxiable", cf_proxiable(type));
	}
	if (cJSON_GetObjectItemCaseSensitive(r, "ttl") == NULL)
		cJSON_AddNumberToObject(r, "ttl", 1);
	cf_fill_content(r);
	return (r);
}

static cJSON *
cf_find(cJSON *arr, const char *id)
{
	cJSON	*r;

	cJSON_ArrayForEach(r, arr) {
		if (id != NULL && strcmp(cf_str(r, "id"), id) == 0)
			return (r);
	}
	return (NULL);
}

static void
cf_list(const struct httpd_request *req, struct httpd_reply *out)
{
	cJSON	*res, *j, *info;
	char	*v;
	long	 page = 1, per_page = CF_PER_PAGE, total, i, n = 0;

	if ((v = query_get(req->uri, "page")) != NULL) {
		page = strtol(v, NULL, 10);
		free(v);
	}
	if ((v = query_get(req->uri, "per_page")) != NULL) {
		per_page = strtol(v, NULL, 10);
		free(v);
	}
	if (page < 1 || per_page < 5 || per_page > CF_PER_PAGE_MAX) {
		cf_error(out, 400, 1004, "DNS Validation Error: page or "
		    "per_page out of range");
		return;
	}
	if (fk.page_max > 0 && (size_t)per_page > fk.page_max)
		per_page = (long)fk.page_max;
	total = cJSON_GetArraySize(fk.records);
	res = cJSON_CreateArray();
	for (i = (page - 1) * per_page; i < total && i < page * per_page;
	    i++) {
		cJSON_AddItemToArray(res,
		    cJSON_Duplicate(cJSON_GetArrayItem(fk.records, (int)i), 1));
		n++;
	}
	j = cf_envelope(1, res);
	info = cJSON_AddObjectToObject(j, "result_info");
	cJSON_AddNumberToObject(info, "page", (double)page);
	cJSON_AddNumberToObject(info, "per_page", (double)per_page);
	cJSON_AddNumberToObject(info, "count", (double)n);
	cJSON_AddNumberToObject(info, "total_count", (double)total);
	cJSON_AddNumberToObject(info, "total_pages",
	    (double)((total + per_page - 1) / per_page));
	cf_reply(out, 200, j);
}

/* deletes, patches, puts, posts: in that order, all or nothing. */
static void
cf_batch(const struct httpd_request *req, struct httpd_reply *out)
{
	static const char *const parts[] = {
		"deletes", "patches", "puts", "posts"
	};
	cJSON		*body, *work, *res, *arr, *it, *r, *f, *nr;
	char		 msg[512];
	int		 nops = 0, code = 0, i;

	if ((body = cJSON_Parse(req->body)) == NULL || !cJSON_IsObject(body)) {
		cJSON_Delete(body);
		cf_error(out, 400, 9207, "Request body is invalid.");
		return;
	}
	for (i = 0; i < 4; i++) {
		f = cJSON_GetObjectItemCaseSensitive(body, parts[i]);
		if (f != NULL && !cJSON_IsArray(f)) {
			cJSON_Delete(body);
			cf_error(out, 400, 9207, "Request body is invalid.");
			return;
		}
		nops += cJSON_GetArraySize(f);
	}
	if (nops > CF_MAX_OPS) {
		cJSON_Delete(body);
		cf_error(out, 400, 81058, "Batch request exceeds the maximum "
		    "number of operations");
		return;
	}
	work = cJSON_Duplicate(fk.records, 1);
	res = cJSON_CreateObject();
	for (i = 0; i < 4; i++) {
		arr = cJSON_AddArrayToObject(res, parts[i]);
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(body,
		    parts[i])) {
			if (i == 3)
				r = NULL;
			else if ((r = cf_find(work, cf_str(it,
			    "id"))) == NULL) {
				code = 81044;
				snprintf(msg, sizeof(msg), "Record does not "
				    "exist.");
				goto fail;
			}
			switch (i) {
			case 0:
				cJSON_AddItemToArray(arr,
				    cJSON_Duplicate(r, 1));
				cJSON_DetachItemViaPointer(work, r);
				cJSON_Delete(r);
				continue;
			case 1:
				cJSON_ArrayForEach(f, it) {
					if (strcmp(f->string, "id") == 0)
						continue;
					if (strcmp(f->string, "name") == 0 &&
					    cJSON_IsString(f)) {
						nr = cf_record_new(it);
						cJSON_DeleteItemFromObject(r,
						    "name");
						cJSON_AddItemToObject(r, "name",
						    cJSON_Duplicate(
						    cJSON_GetObjectItem(nr,
						    "name"), 1));
						cJSON_Delete(nr);
						continue;
					}
					cJSON_DeleteItemFromObject(r,
					    f->string);
					cJSON_AddItemToObject(r, f->string,
					    cJSON_Duplicate(f, 1));
				}
				cf_fill_content(r);
				break;
			case 2:
				nr = cf_record_new(it);
				cJSON_DeleteItemFromObject(nr, "id");
				cJSON_AddStringToObject(nr, "id",
				    cf_str(r, "id"));
				cJSON_ReplaceItemViaPointer(work, r, nr);
				r = nr;
				break;
			case 3:
				r = cf_record_new(it);
				cJSON_AddItemToArray(work, r);
				break;
			}
			if (cf_check(work, r, &code, msg, sizeof(msg)) == -1)
				goto fail;
			cJSON_AddItemToArray(arr, cJSON_Duplicate(r, 1));
		}
	}
	cJSON_Delete(fk.records);
	fk.records = work;
	fk.changes++;
	cJSON_Delete(body);
	cf_reply(out, 200, cf_envelope(1, res));
	return;

fail:
	cJSON_Delete(work);
	cJSON_Delete(res);
	cJSON_Delete(body);
	cf_error(out, 400, code, msg);
}

static int
cf_handle(const struct httpd_request *req, struct httpd_reply *out)
{
	const char	*auth, *p;
	char		*name, *zname;
	cJSON		*arr, *s, *j, *info;
	int		 match;

	auth = httpd_request_header(req, "Authorization");
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 ||
	    strcmp(auth + 7, fk.secret) != 0) {
		fk.refused++;
		cf_error(out, 401, 10000, "Authentication error");
		return (0);
	}
	if (strncmp(req->path, CF_API "/zones", strlen(CF_API "/zones")) != 0)
		return (-1);
	p = req->path + strlen(CF_API "/zones");
	if (strcmp(req->method, "GET") == 0 && *p == '\0') {
		name = query_get(req->uri, "name");
		zname = name_undot(fk.zone);
		match = name == NULL || strcasecmp(name, zname) == 0;
		free(name);
		free(zname);
		arr = cJSON_CreateArray();
		if (match)
			cJSON_AddItemToArray(arr, cf_zone());
		j = cf_envelope(1, arr);
		info = cJSON_AddObjectToObject(j, "result_info");
		cJSON_AddNumberToObject(info, "page", 1);
		cJSON_AddNumberToObject(info, "per_page", 20);
		cJSON_AddNumberToObject(info, "count", match);
		cJSON_AddNumberToObject(info, "total_count", match);
		cJSON_AddNumberToObject(info, "total_pages", 1);
		cf_reply(out, 200, j);
		return (0);
	}
	if (*p != '/' || strncmp(p + 1, CF_ZONE_ID,
	    strlen(CF_ZONE_ID)) != 0 || (p[1 + strlen(CF_ZONE_ID)] != '\0' &&
	    p[1 + strlen(CF_ZONE_ID)] != '/')) {
		cf_error(out, 404, 7003, "Could not route to the zone, perhaps "
		    "your object identifier is invalid?");
		return (0);
	}
	p += 1 + strlen(CF_ZONE_ID);
	if (strcmp(req->method, "GET") == 0 && *p == '\0') {
		cf_reply(out, 200, cf_envelope(1, cf_zone()));
		return (0);
	}
	if (strcmp(req->method, "GET") == 0 &&
	    strcmp(p, "/dns_settings") == 0) {
		s = cJSON_CreateObject();
		cJSON_AddBoolToObject(s, "multi_provider", 1);
		cJSON_AddNumberToObject(s, "ns_ttl", 86400);
		cJSON_AddBoolToObject(s, "flatten_all_cnames", 0);
		cJSON_AddBoolToObject(s, "foundation_dns", 0);
		cJSON_AddBoolToObject(s, "secondary_overrides", 0);
		cf_reply(out, 200, cf_envelope(1, s));
		return (0);
	}
	if (strcmp(req->method, "GET") == 0 &&
	    strcmp(p, "/dns_records") == 0) {
		cf_list(req, out);
		return (0);
	}
	if (strcmp(req->method, "POST") == 0 &&
	    strcmp(p, "/dns_records/batch") == 0) {
		cf_batch(req, out);
		return (0);
	}
	cf_error(out, 405, 10405, "Method not allowed for this path");
	return (0);
}

static char *
cf_dump(void)
{
	const cJSON	*r;
	char		**lines = NULL, *owner, *rd, *cr;
	size_t		 n = 0;
	long		 ttl;

	cJSON_ArrayForEach(r, fk.records) {
		owner = cf_owner(r);
		rd = cf_rdata(r);
		cr = rd != NULL ? rdata_canon(owner, cf_str(r, "type"), rd) :
		    NULL;
		if (cf_int(r, "ttl", 0, 86400, &ttl) == -1)
			ttl = -1;
		lines = xreallocarray(lines, n + 1, sizeof(*lines));
		xasprintf(&lines[n++], "%s %s %ld %s", owner, cf_str(r, "type"),
		    ttl, cr != NULL ? cr : "?");
		free(owner);
		free(rd);
		free(cr);
	}
	return (lines_join(lines, n));
}

/* A console edit: make the record object, as a post would. */
static cJSON *
cf_edit_record(const struct edit *e)
{
	cJSON		*in = cJSON_CreateObject(), *r, *d;
	char		*s, tag[64], *v;
	unsigned	 a, b, c;
	int		 off = 0;

	s = name_undot(e->owner);
	cJSON_AddStringToObject(in, "name", s);
	free(s);
	cJSON_AddStringToObject(in, "type", e->type);
	cJSON_AddNumberToObject(in, "ttl", (double)e->ttl);
	if (strcasecmp(e->type, "MX") == 0 &&
	    sscanf(e->rdata, "%u %n", &a, &off) == 1) {
		cJSON_AddNumberToObject(in, "priority", a);
		s = name_undot(e->rdata + off);
		cJSON_AddStringToObject(in, "content", s);
		free(s);
	} else if (strcasecmp(e->type, "SRV") == 0 &&
	    sscanf(e->rdata, "%u %u %u %n", &a, &b, &c, &off) == 3) {
		d = cJSON_AddObjectToObject(in, "data");
		cJSON_AddNumberToObject(d, "priority", a);
		cJSON_AddNumberToObject(d, "weight", b);
		cJSON_AddNumberToObject(d, "port", c);
		s = name_undot(e->rdata + off);
		cJSON_AddStringToObject(d, "target", s);
		free(s);
	} else if (strcasecmp(e->type, "CAA") == 0 &&
	    sscanf(e->rdata, "%u %63s \"%n", &a, tag, &off) == 2 && off > 0) {
		d = cJSON_AddObjectToObject(in, "data");
		cJSON_AddNumberToObject(d, "flags", a);
		cJSON_AddStringToObject(d, "tag", tag);
		v = xstrdup(e->rdata + off);
		if (*v != '\0' && v[strlen(v) - 1] == '"')
			v[strlen(v) - 1] = '\0';
		cJSON_AddStringToObject(d, "value", v);
		free(v);
	} else if (strcasecmp(e->type, "CNAME") == 0 ||
	    strcasecmp(e->type, "NS") == 0 ||
	    strcasecmp(e->type, "PTR") == 0) {
		s = name_undot(e->rdata);
		cJSON_AddStringToObject(in, "content", s);
		free(s);
	} else
		cJSON_AddStringToObject(in, "content", e->rdata);
	r = cf_record_new(in);
	cJSON_Delete(in);
	return (r);
}

static int
cf_edit(const struct edit *e, cJSON *work, char *err, size_t errlen)
{
	cJSON	*r, *next;
	char	*owner;
	int	 code;

	if (strcmp(e->verb, "add") != 0) {
		for (r = work->child; r != NULL; r = next) {
			next = r->next;
			owner = cf_owner(r);
			if (strcmp(owner, e->owner) == 0 &&
			    strcasecmp(cf_str(r, "type"), e->type) == 0) {
				cJSON_DetachItemViaPointer(work, r);
				cJSON_Delete(r);
			}
			free(owner);
		}
	}
	if (strcmp(e->verb, "delete") == 0)
		return (0);
	r = cf_edit_record(e);
	cJSON_AddItemToArray(work, r);
	if (cf_check(work, r, &code, err, errlen) == -1)
		return (-1);
	return (0);
}

/* --- Route 53: SigV4, checked independently ------------------------------ */

static void
hex(const unsigned char *d, size_t n, char *out)
{
	size_t	i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void
sha256_hex(const void *d, size_t n, char out[65])
{
	unsigned char	md[SHA256_DIGEST_LENGTH];

	SHA256(d, n, md);
	hex(md, sizeof(md), out);
}

static void
hmac(const unsigned char *key, size_t klen, const char *msg,
    unsigned char out[32])
{
	unsigned int	len = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
	    strlen(msg), out, &len);
}

static int
unreserved(int c)
{
	return (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~');
}

static void
pct_encode(const char *s, struct sb *out)
{
	for (; *s != '\0'; s++) {
		if (unreserved((unsigned char)*s))
			sb_addn(out, s, 1);
		else
			sb_printf(out, "%%%02X", (unsigned)(unsigned char)*s);
	}
}

struct qparam {
	char	*k;
	char	*v;
};

static int
qparam_cmp(const void *a, const void *b)
{
	const struct qparam	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->k, y->k)) != 0)
		return (c);
	return (strcmp(x->v, y->v));
}

/* The canonical query string (decoded, re-encoded, sorted); -1 if bad. */
static int
canonical_query(const char *q, struct sb *out)
{
	struct qparam	*ps = NULL;
	struct sb	 k, v, ek, ev;
	const char	*amp, *eq, *end;
	size_t		 n = 0, i;
	int		 rv = 0;

	while (q != NULL && *q != '\0') {
		amp = strchr(q, '&');
		end = amp != NULL ? amp : q + strlen(q);
		eq = memchr(q, '=', (size_t)(end - q));
		memset(&k, 0, sizeof(k));
		memset(&v, 0, sizeof(v));
		if (pct_decode(q, (size_t)((eq != NULL ? eq : end) - q),
		    &k) == -1)
			rv = -1;
		if (eq != NULL && pct_decode(eq + 1, (size_t)(end - eq - 1),
		    &v) == -1)
			rv = -1;
		sb_addn(&v, "", 0);
		memset(&ek, 0, sizeof(ek));
		memset(&ev, 0, sizeof(ev));
		sb_addn(&ek, "", 0);
		sb_addn(&ev, "", 0);
		pct_encode(k.p, &ek);
		pct_encode(v.p, &ev);
		free(k.p);
		free(v.p);
		ps = xreallocarray(ps, n + 1, sizeof(*ps));
		ps[n].k = ek.p;
		ps[n].v = ev.p;
		n++;
		q = amp != NULL ? amp + 1 : NULL;
	}
	if (n > 0)
		qsort(ps, n, sizeof(*ps), qparam_cmp);
	sb_addn(out, "", 0);
	for (i = 0; i < n; i++) {
		sb_printf(out, "%s%s=%s", i > 0 ? "&" : "", ps[i].k, ps[i].v);
		free(ps[i].k);
		free(ps[i].v);
	}
	free(ps);
	return (rv);
}

/* A header's value: trimmed, inner runs of blanks made one space. */
static void
canonical_value(const char *s, struct sb *out)
{
	int	sp = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t') {
			sp = 1;
			continue;
		}
		if (sp)
			sb_addn(out, " ", 1);
		sp = 0;
		sb_addn(out, s, 1);
	}
}

/*
 * The signature AWS would compute for this request: 0 and the hex
 * signature, or -1 with a reason.
 */
static int
sigv4_sign(const struct httpd_request *rq, const char *signed_headers,
    const char *amzdate, char sig[65], const char **why)
{
	struct sb	 creq, sts, hn;
	const char	*s, *e, *v, *q;
	char		 phash[65], chash[65], date[9], *k;
	unsigned char	 key[32], tmp[32];

	memset(&creq, 0, sizeof(creq));
	sb_printf(&creq, "%s\n", rq->method);
	for (s = rq->path; *s != '\0'; s++) {
		if (!unreserved((unsigned char)*s) && *s != '/') {
			*why = "the path needs encoding";
			free(creq.p);
			return (-1);
		}
	}
	sb_printf(&creq, "%s\n", rq->path);
	q = strchr(rq->uri, '?');
	if (canonical_query(q != NULL ? q + 1 : NULL, &creq) == -1) {
		*why = "bad query encoding";
		free(creq.p);
		return (-1);
	}
	sb_printf(&creq, "\n");
	for (s = signed_headers; *s != '\0'; s = *e != '\0' ? e + 1 : e) {
		if ((e = strchr(s, ';')) == NULL)
			e = s + strlen(s);
		memset(&hn, 0, sizeof(hn));
		sb_addn(&hn, s, (size_t)(e - s));
		if ((v = httpd_request_header(rq, hn.p)) == NULL) {
			*why = "a signed header is missing";
			free(hn.p);
			free(creq.p);
			return (-1);
		}
		sb_printf(&creq, "%s:", hn.p);
		canonical_value(v, &creq);
		sb_printf(&creq, "\n");
		free(hn.p);
	}
	sha256_hex(rq->body, rq->body_len, phash);
	sb_printf(&creq, "\n%s\n%s", signed_headers, phash);
	sha256_hex(creq.p, creq.len, chash);
	free(creq.p);

	snprintf(date, sizeof(date), "%.8s", amzdate);
	memset(&sts, 0, sizeof(sts));
	sb_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/route53/aws4_request\n%s",
	    amzdate, date, R53_REGION, chash);
	xasprintf(&k, "AWS4%s", fk.secret);
	hmac((unsigned char *)k, strlen(k), date, key);
	explicit_bzero(k, strlen(k));
	free(k);
	hmac(key, 32, R53_REGION, tmp);
	hmac(tmp, 32, "route53", key);
	hmac(key, 32, "aws4_request", tmp);
	hmac(tmp, 32, sts.p, key);
	hex(key, 32, sig);
	free(sts.p);
	return (0);
}

/* 0, or -1 with the error code and the reason. */
static int
sigv4_verify(const struct httpd_request *rq, const char **code,
    const char **why)
{
	const char	*auth, *amzdate;
	char		 cred[256], sh[512], sig[65], want[65], scope[256];
	char		 date[9];
	time_t		 now = time(NULL), t;
	struct tm	 tm;
	size_t		 ak = strlen(fk.akid);

	*code = "SignatureDoesNotMatch";
	if ((auth = httpd_request_header(rq, "Authorization")) == NULL) {
		*code = "MissingAuthenticationToken";
		*why = "Missing Authentication Token";
		return (-1);
	}
	if (sscanf(auth, "AWS4-HMAC-SHA256 Credential=%255[^,], "
	    "SignedHeaders=%511[^,], Signature=%64[0-9a-f]", cred, sh,
	    sig) != 3 || strlen(sig) != 64) {
		*code = "IncompleteSignature";
		*why = "malformed Authorization header";
		return (-1);
	}
	if (strncmp(cred, fk.akid, ak) != 0 || cred[ak] != '/') {
		*code = "InvalidClientTokenId";
		*why = "The security token included in the request is invalid.";
		return (-1);
	}
	memset(&tm, 0, sizeof(tm));
	if ((amzdate = httpd_request_header(rq, "X-Amz-Date")) == NULL ||
	    strlen(amzdate) != 16 ||
	    strptime(amzdate, "%Y%m%dT%H%M%SZ", &tm) == NULL) {
		*why = "no or bad X-Amz-Date";
		return (-1);
	}
	t = timegm(&tm);
	if (t < now - 900 || t > now + 900) {
		*why = "Signature expired: X-Amz-Date is more than 15 minutes "
		    "from now";
		return (-1);
	}
	snprintf(date, sizeof(date), "%.8s", amzdate);
	snprintf(scope, sizeof(scope), "%s/%s/%s/route53/aws4_request",
	    fk.akid, date, R53_REGION);
	if (strcmp(cred, scope) != 0) {
		*why = "wrong credential scope";
		return (-1);
	}
	if (strncmp(sh, "host;", 5) != 0 && strstr(sh, ";host;") == NULL &&
	    (strlen(sh) < 5 || strcmp(sh + strlen(sh) - 5, ";host") != 0)) {
		*why = "host is not signed";
		return (-1);
	}
	if (strstr(sh, "x-amz-date") == NULL) {
		*why = "x-amz-date is not signed";
		return (-1);
	}
	if (sigv4_sign(rq, sh, amzdate, want, why) == -1)
		return (-1);
	if (strcmp(want, sig) != 0) {
		*why = "The request signature we calculated does not match "
		    "the signature you provided.";
		return (-1);
	}
	return (0);
}

/* --- Route 53: the hosted zone ------------------------------------------- */

static void
r53_set_clear(struct r53_set *s)
{
	size_t	i;

	for (i = 0; i < s->nvalues; i++)
		free(s->values[i]);
	free(s->values);
	free(s->name);
	free(s->type);
	memset(s, 0, sizeof(*s));
}

static void
r53_zone_clear(struct r53_zone *z)
{
	size_t	i;

	for (i = 0; i < z->nsets; i++)
		r53_set_clear(&z->sets[i]);
	free(z->sets);
	memset(z, 0, sizeof(*z));
}

static void
r53_zone_copy(struct r53_zone *dst, const struct r53_zone *src)
{
	size_t	i, j;

	dst->nsets = src->nsets;
	dst->sets = xcalloc(src->nsets + 1, sizeof(*dst->sets));
	for (i = 0; i < src->nsets; i++) {
		dst->sets[i].name = xstrdup(src->sets[i].name);
		dst->sets[i].type = xstrdup(src->sets[i].type);
		dst->sets[i].ttl = src->sets[i].ttl;
		dst->sets[i].nvalues = src->sets[i].nvalues;
		dst->sets[i].values = xcalloc(src->sets[i].nvalues + 1,
		    sizeof(char *));
		for (j = 0; j < src->sets[i].nvalues; j++)
			dst->sets[i].values[j] =
			    xstrdup(src->sets[i].values[j]);
	}
}

/* Names compared with their labels reversed (com.example.www). */
static int
r53_name_cmp(const char *a, const char *b)
{
	const char	*ea = a + strlen(a), *eb = b + strlen(b);
	const char	*la, *lb;
	size_t		 na, nb;
	int		 c;

	if (ea > a && ea[-1] == '.')
		ea--;
	if (eb > b && eb[-1] == '.')
		eb--;
	for (;;) {
		if (ea == a && eb == b)
			return (0);
		if (ea == a)
			return (-1);
		if (eb == b)
			return (1);
		for (la = ea; la > a && la[-1] != '.'; la--)
			;
		for (lb = eb; lb > b && lb[-1] != '.'; lb--)
			;
		na = (size_t)(ea - la);
		nb = (size_t)(eb - lb);
		if ((c = strncmp(la, lb, na < nb ? na : nb)) != 0)
			return (c);
		if (na != nb)
			return (na < nb ? -1 : 1);
		ea = la > a ? la - 1 : la;
		eb = lb > b ? lb - 1 : lb;
	}
}

static int
r53_set_cmp(const void *x, const void *y)
{
	const struct r53_set	*a = x, *b = y;
	int			 c;

	if ((c = r53_name_cmp(a->name, b->name)) != 0)
		return (c);
	return (strcmp(a->type, b->type));
}

static struct r53_set *
r53_find(struct r53_zone *z, const char *name, const char *type)
{
	size_t	i;

	for (i = 0; i < z->nsets; i++) {
		if (strcmp(z->sets[i].name, name) == 0 &&
		    strcmp(z->sets[i].type, type) == 0)
			return (&z->sets[i]);
	}
	return (NULL);
}

static void
r53_remove(struct r53_zone *z, struct r53_set *s)
{
	size_t	i = (size_t)(s - z->sets);

	r53_set_clear(s);
	memmove(&z->sets[i], &z->sets[i + 1],
	    (z->nsets - i - 1) * sizeof(*z->sets));
	z->nsets--;
}

/* Add a set (taking name, type and values) and keep the order. */
static void
r53_insert(struct r53_zone *z, struct r53_set *s)
{
	z->sets = xreallocarray(z->sets, z->nsets + 1, sizeof(*z->sets));
	z->sets[z->nsets++] = *s;
	memset(s, 0, sizeof(*s));
	qsort(z->sets, z->nsets, sizeof(*z->sets), r53_set_cmp);
}

/* A CNAME next to other data at the name: the other set, else NULL. */
static const struct r53_set *
r53_conflict(const struct r53_zone *z, const char *name, const char *type)
{
	size_t	k;

	for (k = 0; k < z->nsets; k++) {
		if (strcmp(z->sets[k].name, name) != 0 ||
		    strcmp(z->sets[k].type, type) == 0)
			continue;
		if (strcmp(type, "CNAME") == 0 ||
		    strcmp(z->sets[k].type, "CNAME") == 0)
			return (&z->sets[k]);
	}
	return (NULL);
}

/* A Route 53 value in presentation form: octal escapes made decimal. */
static char *
r53_value_text(const char *v)
{
	struct sb	b;

	memset(&b, 0, sizeof(b));
	sb_addn(&b, "", 0);
	for (; *v != '\0'; v++) {
		if (v[0] == '\\' && v[1] >= '0' && v[1] <= '7' &&
		    v[2] >= '0' && v[2] <= '7' && v[3] >= '0' && v[3] <= '7') {
			sb_printf(&b, "\\%03d", (v[1] - '0') * 64 +
			    (v[2] - '0') * 8 + (v[3] - '0'));
			v += 3;
		} else if (v[0] == '\\' && v[1] != '\0') {
			sb_addn(&b, v, 2);
			v++;
		} else
			sb_addn(&b, v, 1);
	}
	return (sb_take(&b));
}

static char *
r53_canon(const char *owner, const char *type, const char *value)
{
	char	*t, *c;

	t = r53_value_text(value);
	c = rdata_canon(owner, type, t);
	free(t);
	return (c);
}

static void
r53_init(void)
{
	struct r53_set	 s;
	size_t		 i;

	memset(&s, 0, sizeof(s));
	s.name = xstrdup(fk.zone);
	s.type = xstrdup("SOA");
	s.ttl = 900;
	s.nvalues = 1;
	s.values = xcalloc(1, sizeof(char *));
	xasprintf(&s.values[0], "%s awsdns-hostmaster.amazon.com. 1 7200 900 "
	    "1209600 86400", fk.ns[0]);
	r53_insert(&fk.r53, &s);
	s.name = xstrdup(fk.zone);
	s.type = xstrdup("NS");
	s.ttl = 172800;
	s.nvalues = fk.nns;
	s.values = xcalloc(fk.nns, sizeof(char *));
	for (i = 0; i < fk.nns; i++)
		s.values[i] = xstrdup(fk.ns[i]);
	r53_insert(&fk.r53, &s);
}

static void
r53_reply(struct httpd_reply *out, int status, char *body)
{
	out->status = status;
	out->headers = xml_hdrs;
	out->body = body;
	out->body_free = 1;
}

static void
r53_error(struct httpd_reply *out, int status, const char *code,
    const char *msg)
{
	struct sb	b;

	memset(&b, 0, sizeof(b));
	sb_printf(&b, "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\""
	    R53_XMLNS "\"><Error><Type>Sender</Type><Code>%s</Code>"
	    "<Message>", code);
	sb_xml(&b, msg);
	sb_printf(&b, "</Message></Error><RequestId>fake-%u</RequestId>"
	    "</ErrorResponse>", fk.requests);
	r53_reply(out, status, sb_take(&b));
}

static void
r53_hosted_zone(struct sb *b)
{
	sb_printf(b, "<HostedZone><Id>/hostedzone/" R53_ZONE_ID "</Id>"
	    "<Name>%s</Name><CallerReference>fakecloud</CallerReference>"
	    "<Config><PrivateZone>false</PrivateZone></Config>"
	    "<ResourceRecordSetCount>%zu</ResourceRecordSetCount>"
	    "</HostedZone>", fk.zone, fk.r53.nsets);
}

static void
r53_byname(const struct httpd_request *rq, struct httpd_reply *out)
{
	struct sb	 b;
	char		*dn, *mi, *n = NULL;
	long		 max = 100;
	int		 listed;

	dn = query_get(rq->uri, "dnsname");
	if ((mi = query_get(rq->uri, "maxitems")) != NULL) {
		max = strtol(mi, NULL, 10);
		free(mi);
	}
	if (dn != NULL)
		n = name_abs(dn);
	listed = max > 0 && (n == NULL || r53_name_cmp(n, fk.zone) <= 0);
	memset(&b, 0, sizeof(b));
	sb_printf(&b, "<?xml version=\"1.0\"?>\n<ListHostedZonesByNameResponse "
	    "xmlns=\"" R53_XMLNS "\"><HostedZones>");
	if (listed)
		r53_hosted_zone(&b);
	sb_printf(&b, "</HostedZones>");
	if (n != NULL) {
		sb_printf(&b, "<DNSName>");
		sb_xml(&b, n);
		sb_printf(&b, "</DNSName>");
	}
	sb_printf(&b, "<IsTruncated>false</IsTruncated><MaxItems>%ld"
	    "</MaxItems></ListHostedZonesByNameResponse>", max);
	free(dn);
	free(n);
	r53_reply(out, 200, sb_take(&b));
}

static void
r53_get_zone(struct httpd_reply *out)
{
	struct sb	b;
	size_t		i;
	char		*s;

	memset(&b, 0, sizeof(b));
	sb_printf(&b, "<?xml version=\"1.0\"?>\n<GetHostedZoneResponse xmlns=\""
	    R53_XMLNS "\">");
	r53_hosted_zone(&b);
	sb_printf(&b, "<DelegationSet><NameServers>");
	for (i = 0; i < fk.nns; i++) {
		s = name_undot(fk.ns[i]);
		sb_printf(&b, "<NameServer>%s</NameServer>", s);
		free(s);
	}
	sb_printf(&b, "</NameServers></DelegationSet></GetHostedZoneResponse>");
	r53_reply(out, 200, sb_take(&b));
}

static void
r53_set_xml(struct sb *b, const struct r53_set *s)
{
	size_t	i;

	sb_printf(b, "<ResourceRecordSet><Name>");
	sb_xml(b, s->name);
	sb_printf(b, "</Name><Type>%s</Type><TTL>%lu</TTL><ResourceRecords>",
	    s->type, s->ttl);
	for (i = 0; i < s->nvalues; i++) {
		sb_printf(b, "<ResourceRecord><Value>");
		sb_xml(b, s->values[i]);
		sb_printf(b, "</Value></ResourceRecord>");
	}
	sb_printf(b, "</ResourceRecords></ResourceRecordSet>");
}

static void
r53_list(const struct httpd_request *rq, struct httpd_reply *out)
{
	struct r53_set	 key;
	struct sb	 b;
	char		*name, *type, *mi;
	long		 max = R53_PAGE;
	size_t		 i = 0, n;

	name = query_get(rq->uri, "name");
	type = query_get(rq->uri, "type");
	if ((mi = query_get(rq->uri, "maxitems")) != NULL) {
		max = strtol(mi, NULL, 10);
		free(mi);
	}
	if (type != NULL && name == NULL) {
		free(type);
		r53_error(out, 400, "InvalidInput", "The input is not valid: "
		    "type without name");
		return;
	}
	if (max < 1 || max > R53_PAGE)
		max = R53_PAGE;
	if (fk.page_max > 0 && (size_t)max > fk.page_max)
		max = (long)fk.page_max;
	if (name != NULL) {
		key.name = name_abs(name);
		key.type = type != NULL ? type : xstrdup("");
		for (i = 0; i < fk.r53.nsets; i++) {
			if (r53_set_cmp(&fk.r53.sets[i], &key) >= 0)
				break;
		}
		free(key.name);
		free(key.type);
		free(name);
	}
	memset(&b, 0, sizeof(b));
	sb_printf(&b, "<?xml version=\"1.0\"?>\n<ListResourceRecordSetsResponse "
	    "xmlns=\"" R53_XMLNS "\"><ResourceRecordSets>");
	for (n = 0; i < fk.r53.nsets && n < (size_t)max; i++, n++)
		r53_set_xml(&b, &fk.r53.sets[i]);
	sb_printf(&b, "</ResourceRecordSets><IsTruncated>%s</IsTruncated>",
	    i < fk.r53.nsets ? "true" : "false");
	if (i < fk.r53.nsets) {
		sb_printf(&b, "<NextRecordName>");
		sb_xml(&b, fk.r53.sets[i].name);
		sb_printf(&b, "</NextRecordName><NextRecordType>%s"
		    "</NextRecordType>", fk.r53.sets[i].type);
	}
	sb_printf(&b, "<MaxItems>%ld</MaxItems>"
	    "</ListResourceRecordSetsResponse>", max);
	r53_reply(out, 200, sb_take(&b));
}

static void __attribute__((format(printf, 2, 3)))
r53_msg(struct sb *msgs, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		fatalx("fakecloud", "vasprintf failed");
	va_end(ap);
	sb_printf(msgs, "<Message>");
	sb_xml(msgs, s);
	sb_printf(msgs, "</Message>");
	free(s);
}

/*
 * One change on the working copy; problems are added to msgs.  The set
 * is taken (its strings move into the zone) when it is stored.
 */
static void
r53_change(struct r53_zone *z, const char *action, struct r53_set *s,
    struct sb *msgs, unsigned *nmsgs)
{
	struct r53_set		*cur;
	const struct r53_set	*other;
	size_t			 i, j;
	char			*c;
	int		 same, apex = strcmp(s->name, fk.zone) == 0;

	if (!name_in_zone(s->name)) {
		r53_msg(msgs, "RRSet with DNS name %s is not permitted in zone "
		    "%s", s->name, fk.zone);
		(*nmsgs)++;
		return;
	}
	for (i = 0; i < s->nvalues; i++) {
		if ((c = r53_canon(s->name, s->type, s->values[i])) == NULL) {
			r53_msg(msgs, "Invalid Resource Record: 'FATAL problem: "
			    "%s value cannot be parsed' encountered with '%s'",
			    s->type, s->values[i]);
			(*nmsgs)++;
			return;
		}
		free(c);
	}
	cur = r53_find(z, s->name, s->type);
	if (strcmp(action, "DELETE") == 0) {
		if (strcmp(s->type, "SOA") == 0 ||
		    (apex && strcmp(s->type, "NS") == 0)) {
			r53_msg(msgs, "A HostedZone must contain at least one "
			    "NS record and exactly one SOA record for the zone "
			    "itself.");
			(*nmsgs)++;
			return;
		}
		if (cur == NULL) {
			r53_msg(msgs, "Tried to delete resource record set "
			    "[name='%s', type='%s'] but it was not found",
			    s->name, s->type);
			(*nmsgs)++;
			return;
		}
		same = cur->ttl == s->ttl && cur->nvalues == s->nvalues;
		for (i = 0; same && i < s->nvalues; i++) {
			for (j = 0; j < cur->nvalues; j++) {
				if (strcmp(s->values[i], cur->values[j]) == 0)
					break;
			}
			same = j < cur->nvalues;
		}
		if (!same) {
			r53_msg(msgs, "Tried to delete resource record set "
			    "[name='%s', type='%s'] but the values provided do "
			    "not match the current values", s->name, s->type);
			(*nmsgs)++;
			return;
		}
		r53_remove(z, cur);
		return;
	}
	if (s->nvalues == 0) {
		r53_msg(msgs, "Invalid request: Expected exactly one of "
		    "[AliasTarget, all of [TTL, and ResourceRecords]]");
		(*nmsgs)++;
		return;
	}
	if (strcmp(action, "CREATE") == 0 && cur != NULL) {
		r53_msg(msgs, "Tried to create resource record set [name='%s', "
		    "type='%s'] but it already exists", s->name, s->type);
		(*nmsgs)++;
		return;
	}
	if (strcmp(s->type, "SOA") == 0 && (cur == NULL || !apex)) {
		r53_msg(msgs, "A HostedZone must contain exactly one SOA "
		    "record.");
		(*nmsgs)++;
		return;
	}
	if ((other = r53_conflict(z, s->name, s->type)) != NULL) {
		r53_msg(msgs, "RRSet of type %s with DNS name %s is not "
		    "permitted because a conflicting RRSet of type %s with the "
		    "same DNS name already exists in zone %s", s->type,
		    s->name, other->type, fk.zone);
		(*nmsgs)++;
		return;
	}
	if (cur != NULL)
		r53_remove(z, cur);
	r53_insert(z, s);
}

static void
r53_change_batch(const struct httpd_request *rq, struct httpd_reply *out)
{
	struct xml_node		 root;
	const struct xml_node	*changes, *ch, *rs, *rrs;
	const char		*action, *name, *type, *ttl, *v;
	struct r53_zone		 work;
	struct r53_set		 s;
	struct sb		 msgs, b;
	char			 err[256], *end;
	size_t			 i, j, rr = 0, chars = 0, mult;
	unsigned		 nmsgs = 0;

	if (xml_parse(rq->body, rq->body_len, &root, err, sizeof(err)) == -1) {
		r53_error(out, 400, "MalformedInput", err);
		return;
	}
	changes = xml_child(xml_child(&root, "ChangeBatch"), "Changes");
	if (!xml_is(&root, "ChangeResourceRecordSetsRequest") ||
	    changes == NULL || changes->nkids == 0) {
		xml_node_clear(&root);
		r53_error(out, 400, "InvalidInput", "Invalid XML; expected "
		    "a ChangeBatch with at least one Change");
		return;
	}
	memset(&work, 0, sizeof(work));
	r53_zone_copy(&work, &fk.r53);
	memset(&msgs, 0, sizeof(msgs));
	for (i = 0; i < changes->nkids; i++) {
		ch = &changes->kids[i];
		rs = xml_child(ch, "ResourceRecordSet");
		action = xml_text(ch, "Action");
		name = xml_text(rs, "Name");
		type = xml_text(rs, "Type");
		ttl = xml_text(rs, "TTL");
		rrs = xml_child(rs, "ResourceRecords");
		if (!xml_is(ch, "Change") || action == NULL || name == NULL ||
		    type == NULL || ttl == NULL ||
		    (strcmp(action, "CREATE") != 0 &&
		    strcmp(action, "DELETE") != 0 &&
		    strcmp(action, "UPSERT") != 0) ||
		    xml_child(rs, "AliasTarget") != NULL ||
		    xml_child(rs, "SetIdentifier") != NULL) {
			r53_zone_clear(&work);
			xml_node_clear(&root);
			free(msgs.p);
			r53_error(out, 400, "InvalidInput", "Invalid XML; "
			    "a Change needs Action, Name, Type and TTL "
			    "(this fake holds no alias or routing sets)");
			return;
		}
		memset(&s, 0, sizeof(s));
		s.name = name_abs(name);
		s.type = xstrdup(type);
		errno = 0;
		s.ttl = strtoul(ttl, &end, 10);
		if (*ttl == '\0' || *end != '\0' || errno != 0 ||
		    s.ttl > FAKE_TTL_MAX) {
			r53_msg(&msgs, "Invalid TTL '%s'", ttl);
			nmsgs++;
		}
		mult = strcmp(action, "UPSERT") == 0 ? 2 : 1;
		for (j = 0; rrs != NULL && j < rrs->nkids; j++) {
			v = xml_text(&rrs->kids[j], "Value");
			if (!xml_is(&rrs->kids[j], "ResourceRecord") ||
			    v == NULL)
				continue;
			s.values = xreallocarray(s.values, s.nvalues + 1,
			    sizeof(*s.values));
			s.values[s.nvalues++] = xstrdup(v);
			rr += mult;
			chars += strlen(v) * mult;
		}
		if (nmsgs == 0)
			r53_change(&work, action, &s, &msgs, &nmsgs);
		r53_set_clear(&s);
	}
	xml_node_clear(&root);
	if (rr > R53_MAX_RR) {
		r53_msg(&msgs, "Number of records limit of %d exceeded.",
		    R53_MAX_RR);
		nmsgs++;
	}
	if (chars > R53_MAX_CHARS) {
		r53_msg(&msgs, "Number of characters limit of %d exceeded.",
		    R53_MAX_CHARS);
		nmsgs++;
	}
	if (nmsgs > 0) {
		r53_zone_clear(&work);
		memset(&b, 0, sizeof(b));
		sb_printf(&b, "<?xml version=\"1.0\"?>\n<InvalidChangeBatch "
		    "xmlns=\"" R53_XMLNS "\"><Messages>%s</Messages>"
		    "<RequestId>fake-%u</RequestId></InvalidChangeBatch>",
		    msgs.p, fk.requests);
		free(msgs.p);
		r53_reply(out, 400, sb_take(&b));
		return;
	}
	free(msgs.p);
	r53_zone_clear(&fk.r53);
	fk.r53 = work;
	fk.changes++;
	memset(&b, 0, sizeof(b));
	sb_printf(&b, "<?xml version=\"1.0\"?>\n<ChangeResourceRecordSetsResponse "
	    "xmlns=\"" R53_XMLNS "\"><ChangeInfo><Id>/change/C%u</Id>"
	    "<Status>PENDING</Status><SubmittedAt>2026-01-01T00:00:00.000Z"
	    "</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>",
	    fk.changes);
	r53_reply(out, 200, sb_take(&b));
}

static int
r53_handle(const struct httpd_request *rq, struct httpd_reply *out)
{
	const char	*code, *why;
	struct sb	 b;

	if (sigv4_verify(rq, &code, &why) == -1) {
		fk.refused++;
		r53_error(out, 403, code, why);
		return (0);
	}
	if (strcmp(rq->method, "GET") == 0 &&
	    strcmp(rq->path, R53_API "/hostedzonesbyname") == 0) {
		r53_byname(rq, out);
		return (0);
	}
	if (strncmp(rq->path, R53_API "/hostedzone/",
	    strlen(R53_API "/hostedzone/")) == 0 &&
	    strncmp(rq->path + strlen(R53_API "/hostedzone/"), R53_ZONE_ID,
	    strlen(R53_ZONE_ID)) != 0) {
		r53_error(out, 404, "NoSuchHostedZone", "No hosted zone found "
		    "with the given ID");
		return (0);
	}
	if (strcmp(rq->method, "GET") == 0 &&
	    strcmp(rq->path, R53_API "/hostedzone/" R53_ZONE_ID) == 0) {
		r53_get_zone(out);
		return (0);
	}
	if (strcmp(rq->method, "GET") == 0 &&
	    strcmp(rq->path, R53_API "/hostedzone/" R53_ZONE_ID "/rrset") == 0) {
		r53_list(rq, out);
		return (0);
	}
	if (strcmp(rq->method, "POST") == 0 &&
	    strcmp(rq->path, R53_API "/hostedzone/" R53_ZONE_ID "/rrset") == 0) {
		r53_change_batch(rq, out);
		return (0);
	}
	if (strcmp(rq->method, "GET") == 0 &&
	    strncmp(rq->path, R53_API "/change/", strlen(R53_API "/change/"))
	    == 0) {
		memset(&b, 0, sizeof(b));
		sb_printf(&b, "<?xml version=\"1.0\"?>\n<GetChangeResponse xmlns=\""
		    R53_XMLNS "\"><ChangeInfo><Id>/change/");
		sb_xml(&b, rq->path + strlen(R53_API "/change/"));
		sb_printf(&b, "</Id><Status>INSYNC</Status><SubmittedAt>"
		    "2026-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo>"
		    "</GetChangeResponse>");
		r53_reply(out, 200, sb_take(&b));
		return (0);
	}
	r53_error(out, 404, "UnknownOperationException", "no such operation");
	return (0);
}

static char *
r53_dump(void)
{
	const struct r53_set	*s;
	char			**lines = NULL, *c;
	size_t			 n = 0, i, j;

	for (i = 0; i < fk.r53.nsets; i++) {
		s = &fk.r53.sets[i];
		for (j = 0; j < s->nvalues; j++) {
			c = r53_canon(s->name, s->type, s->values[j]);
			lines = xreallocarray(lines, n + 1, sizeof(*lines));
			xasprintf(&lines[n++], "%s %s %lu %s", s->name,
			    s->type, s->ttl, c != NULL ? c : "?");
			free(c);
		}
	}
	return (lines_join(lines, n));
}

static int
r53_edit(const struct edit *e, struct r53_zone *z, char *err, size_t errlen)
{
	struct r53_set	*cur, s;

	cur = r53_find(z, e->owner, e->type);
	if (strcmp(e->verb, "delete") == 0) {
		if (cur != NULL)
			r53_remove(z, cur);
		return (0);
	}
	memset(&s, 0, sizeof(s));
	s.name = xstrdup(e->owner);
	s.type = xstrdup(e->type);
	s.ttl = e->ttl;
	if (cur != NULL && strcmp(e->verb, "add") == 0) {
		s.nvalues = cur->nvalues;
		s.values = xcalloc(cur->nvalues + 1, sizeof(char *));
		for (s.nvalues = 0; s.nvalues < cur->nvalues; s.nvalues++)
			s.values[s.nvalues] = xstrdup(cur->values[s.nvalues]);
	}
	s.values = xreallocarray(s.values, s.nvalues + 1, sizeof(char *));
	s.values[s.nvalues++] = xstrdup(e->rdata);
	if (cur != NULL)
		r53_remove(z, cur);
	if (r53_conflict(z, s.name, s.type) != NULL) {
		snprintf(err, errlen, "CNAME conflict at %.255s", s.name);
		r53_set_clear(&s);
		return (-1);
	}
	r53_insert(z, &s);
	return (0);
}

/* --- control endpoints, dispatch ----------------------------------------- */

static void
text_reply(struct httpd_reply *out, int status, char *body)
{
	out->status = status;
	out->headers = text_hdrs;
	out->body = body;
	out->body_free = 1;
}

static void
fake_edit(const struct httpd_request *rq, struct httpd_reply *out)
{
	struct r53_zone	 z;
	struct edit	 e;
	cJSON		*work = NULL;
	char		*body, *line, *next, err[512], *msg;
	int		 rv = 0;

	memset(&z, 0, sizeof(z));
	if (fk.kind == FAKE_CLOUDFLARE)
		work = cJSON_Duplicate(fk.records, 1);
	else
		r53_zone_copy(&z, &fk.r53);
	body = xstrdup(rq->body);
	for (line = body; rv == 0 && line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		if (edit_parse(line, &e, err, sizeof(err)) == -1)
			rv = -1;
		else if (fk.kind == FAKE_CLOUDFLARE)
			rv = cf_edit(&e, work, err, sizeof(err));
		else
			rv = r53_edit(&e, &z, err, sizeof(err));
		edit_clear(&e);
	}
	free(body);
	if (rv == -1) {
		cJSON_Delete(work);
		r53_zone_clear(&z);
		xasprintf(&msg, "%s\n", err);
		text_reply(out, 400, msg);
		return;
	}
	if (fk.kind == FAKE_CLOUDFLARE) {
		cJSON_Delete(fk.records);
		fk.records = work;
	} else {
		r53_zone_clear(&fk.r53);
		fk.r53 = z;
	}
	text_reply(out, 200, xstrdup("ok\n"));
}

static int
fake_cb(const struct httpd_request *rq, struct httpd_reply *out, void *arg)
{
	char	*s;

	(void)arg;
	if (strncmp(rq->path, "/_fake/", 7) == 0) {
		if (strcmp(rq->method, "GET") == 0 &&
		    strcmp(rq->path, "/_fake/dump") == 0) {
			text_reply(out, 200, fk.kind == FAKE_CLOUDFLARE ?
			    cf_dump() : r53_dump());
			return (0);
		}
		if (strcmp(rq->method, "POST") == 0 &&
		    strcmp(rq->path, "/_fake/edit") == 0) {
			fake_edit(rq, out);
			return (0);
		}
		if (strcmp(rq->method, "GET") == 0 &&
		    strcmp(rq->path, "/_fake/stats") == 0) {
			xasprintf(&s, "requests %u\nrefused %u\nchanges %u\n",
			    fk.requests, fk.refused, fk.changes);
			text_reply(out, 200, s);
			return (0);
		}
		return (-1);
	}
	fk.requests++;
	if (fk.kind == FAKE_CLOUDFLARE)
		return (cf_handle(rq, out));
	return (r53_handle(rq, out));
}

/* --- main ----------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr, "usage: fakecloud cloudflare|route53 [-a "
	    "access-key-id] [-m page-max]\n\t[-n nameservers] [-p portfile] "
	    "[-t secret-file] [-z zone]\n");
	exit(2);
}

static char *
read_secret(const char *path)
{
	FILE	*f;
	char	 line[1024];
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		fatal("fakecloud", "%s", path);
	if (fgets(line, sizeof(line), f) == NULL)
		fatalx("fakecloud", "%s: empty", path);
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n == 0)
		fatalx("fakecloud", "%s: empty", path);
	return (xstrdup(line));
}

static void
add_ns(const char *list)
{
	char	*copy, *s, *t;

	copy = xstrdup(list);
	for (s = copy; (t = strsep(&s, " \t,")) != NULL;) {
		if (*t == '\0')
			continue;
		fk.ns = xreallocarray(fk.ns, fk.nns + 1, sizeof(*fk.ns));
		fk.ns[fk.nns++] = name_abs(t);
	}
	free(copy);
}

static void
write_port(const char *path, int port)
{
	FILE	*f;
	char	*tmp;

	if (path == NULL) {
		printf("%d\n", port);
		fflush(stdout);
		return;
	}
	xasprintf(&tmp, "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		fatal("fakecloud", "%s", tmp);
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		fatal("fakecloud", "%s", path);
	free(tmp);
}

static void
signal_cb(evutil_socket_t sig, short events, void *arg)
{
	(void)sig;
	(void)events;
	event_base_loopbreak(arg);
}

int
main(int argc, char *argv[])
{
	struct event_base	*base;
	struct event		*ev_term, *ev_int;
	struct httpd		*srv;
	const char		*portfile = NULL, *secretfile = NULL;
	const char		*akid = R53_AKID, *zone = "example.com";
	const char		*ns = NULL;
	char			*end;
	size_t			 i;
	int			 ch;

	log_init(LOG_LEVEL_WARN, "fakecloud");
	if (argc < 2)
		usage();
	memset(&fk, 0, sizeof(fk));
	if (strcmp(argv[1], "cloudflare") == 0)
		fk.kind = FAKE_CLOUDFLARE;
	else if (strcmp(argv[1], "route53") == 0)
		fk.kind = FAKE_ROUTE53;
	else
		usage();
	argc--;
	argv++;
	while ((ch = getopt(argc, argv, "a:m:n:p:t:z:")) != -1) {
		switch (ch) {
		case 'a':
			akid = optarg;
			break;
		case 'm':
			fk.page_max = strtoul(optarg, &end, 10);
			if (*end != '\0' || fk.page_max == 0)
				usage();
			break;
		case 'n':
			ns = optarg;
			break;
		case 'p':
			portfile = optarg;
			break;
		case 't':
			secretfile = optarg;
			break;
		case 'z':
			zone = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	fk.zone = name_abs(zone);
	fk.akid = xstrdup(akid);
	if (secretfile != NULL)
		fk.secret = read_secret(secretfile);
	else
		fk.secret = xstrdup(fk.kind == FAKE_CLOUDFLARE ? CF_TOKEN :
		    R53_SECRET);
	if (ns == NULL)
		ns = fk.kind == FAKE_CLOUDFLARE ?
		    "ada.ns.cloudflare.com bob.ns.cloudflare.com" :
		    "ns-2048.awsdns-64.net ns-2049.awsdns-65.co.uk "
		    "ns-2050.awsdns-66.org ns-2051.awsdns-67.com";
	add_ns(ns);
	if (fk.nns == 0)
		usage();
	if (fk.kind == FAKE_CLOUDFLARE)
		fk.records = cJSON_CreateArray();
	else
		r53_init();

	if ((base = event_base_new()) == NULL)
		fatalx("fakecloud", "event_base_new failed");
	srv = httpd_new(base);
	httpd_on(srv, fake_cb, NULL);
	ev_term = evsignal_new(base, SIGTERM, signal_cb, base);
	ev_int = evsignal_new(base, SIGINT, signal_cb, base);
	if (ev_term == NULL || ev_int == NULL ||
	    evsignal_add(ev_term, NULL) == -1 ||
	    evsignal_add(ev_int, NULL) == -1)
		fatalx("fakecloud", "cannot set up the signal events");
	signal(SIGPIPE, SIG_IGN);
	write_port(portfile, httpd_port(srv));

	event_base_dispatch(base);

	event_free(ev_term);
	event_free(ev_int);
	httpd_free(srv);
	event_base_free(base);
	cJSON_Delete(fk.records);
	r53_zone_clear(&fk.r53);
	for (i = 0; i < fk.nns; i++)
		free(fk.ns[i]);
	free(fk.ns);
	explicit_bzero(fk.secret, strlen(fk.secret));
	free(fk.secret);
	free(fk.akid);
	free(fk.zone);
	return (0);
}
