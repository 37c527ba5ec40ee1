/*
 * check_route53.c: the Route 53 backend, against a fake Route 53 on
 * tests/httpd that answers as the Route 53 API reference (2013-04-01)
 * documents, each case naming the behaviour it stands for.
 *
 * The fake verifies every request's AWS Signature Version 4 itself: it
 * rebuilds the canonical request, the string to sign and the HMAC-SHA256
 * key chain from what it received (OpenSSL, the known test secret) and
 * answers 403 SignatureDoesNotMatch on any difference.  The verifier is
 * first checked against AWS's published SigV4 test-suite vectors.
 * Requests answered by scripted replies are verified after each test.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <check.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldns/ldns.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "diff.h"
#include "http.h"
#include "httpd.h"
#include "log.h"
#include "provider.h"
#include "xmalloc.h"
#include "zone.h"

#define ORIGIN		"example.com."
#define AKID		"AKIDEXAMPLE"
#define SECRET		"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define ZID		"Z1D633PJN98FT9"
#define RRSET_PATH	"/2013-04-01/hostedzone/" ZID "/rrset"
#define ZONE_PATH	"/2013-04-01/hostedzone/" ZID
#define BYNAME_PATH	"/2013-04-01/hostedzonesbyname"
#define XMLNS		"xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\""

static struct event_base	*base;
static struct http		*http;
static struct httpd		*srv;
static char			 keyfile[64];
static struct provider_conf	 pc;
static struct provider		*prov;

/* --- a growing string ----------------------------------------------------- */

struct sb {
	char	*p;
	size_t	 len;
};

static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	b->p = xreallocarray(b->p, b->len + (size_t)n + 1, 1);
	memcpy(b->p + b->len, s, (size_t)n + 1);
	b->len += (size_t)n;
	free(s);
}

/* --- the independent SigV4 verifier --------------------------------------- */

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

/* Decode %XX; -1 when malformed. */
static int
pct_decode(const char *s, size_t n, struct sb *out)
{
	size_t		i;
	unsigned	v;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n)
				return (-1);
			if (!isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2]) ||
			    sscanf(s + i + 1, "%2x", &v) != 1)
				return (-1);
			sb_printf(out, "%c", (char)v);
			i += 2;
		} else
			sb_printf(out, "%c", s[i]);
	}
	return (0);
}

static void
pct_encode(const char *s, struct sb *out)
{
	for (; *s != '\0'; s++) {
		if (unreserved((unsigned char)*s))
			sb_printf(out, "%c", *s);
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

/* The canonical query string (sorted, re-encoded) of a raw query. */
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
		sb_printf(&k, "%s", "");
		sb_printf(&v, "%s", "");
		if (pct_decode(q, (size_t)((eq != NULL ? eq : end) - q),
		    &k) == -1 || (eq != NULL && pct_decode(eq + 1,
		    (size_t)(end - eq - 1), &v) == -1))
			rv = -1;
		memset(&ek, 0, sizeof(ek));
		memset(&ev, 0, sizeof(ev));
		sb_printf(&ek, "%s", "");
		sb_printf(&ev, "%s", "");
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
	sb_printf(out, "%s", "");
	for (i = 0; i < n; i++) {
		sb_printf(out, "%s%s=%s", i > 0 ? "&" : "", ps[i].k, ps[i].v);
		free(ps[i].k);
		free(ps[i].v);
	}
	free(ps);
	return (rv);
}

/* A header's value: trimmed, inner runs of blanks collapsed. */
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
			sb_printf(out, " ");
		sp = 0;
		sb_printf(out, "%c", *s);
	}
}

typedef const char *(*header_fn)(const void *, const char *);

/*
 * SigV4 over a request: 0 and the hex signature in sig, or -1 with a
 * reason.  path is as sent (RFC 3986 characters only), query raw.
 */
static int
sigv4_sign(const char *method, const char *path, const char *query,
    header_fn hdr, const void *hctx, const char *signed_headers,
    const char *body, size_t body_len, const char *secret,
    const char *amzdate, const char *region, const char *service,
    char sig[65], const char **why)
{
	struct sb	 creq, sts, hn;
	const char	*s, *e, *v;
	char		 phash[65], chash[65], date[9], *k;
	unsigned char	 key[32], tmp[32];

	memset(&creq, 0, sizeof(creq));
	sb_printf(&creq, "%s\n", method);
	for (s = path; *s != '\0'; s++) {
		if (!unreserved((unsigned char)*s) && *s != '/') {
			*why = "path needs encoding";
			free(creq.p);
			return (-1);
		}
	}
	sb_printf(&creq, "%s\n", path);
	if (canonical_query(query, &creq) == -1) {
		*why = "bad query encoding";
		free(creq.p);
		return (-1);
	}
	sb_printf(&creq, "\n");
	for (s = signed_headers; *s != '\0'; s = *e != '\0' ? e + 1 : e) {
		e = strchr(s, ';');
		if (e == NULL)
			e = s + strlen(s);
		memset(&hn, 0, sizeof(hn));
		sb_printf(&hn, "%.*s", (int)(e - s), s);
		if ((v = hdr(hctx, hn.p)) == NULL) {
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
	sha256_hex(body, body_len, phash);
	sb_printf(&creq, "\n%s\n%s", signed_headers, phash);
	sha256_hex(creq.p, creq.len, chash);
	free(creq.p);

	snprintf(date, sizeof(date), "%.8s", amzdate);
	memset(&sts, 0, sizeof(sts));
	sb_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
	    amzdate, date, region, service, chash);
	xasprintf(&k, "AWS4%s", secret);
	hmac((unsigned char *)k, strlen(k), date, key);
	free(k);
	hmac(key, 32, region, tmp);
	hmac(tmp, 32, service, key);
	hmac(key, 32, "aws4_request", tmp);
	hmac(tmp, 32, sts.p, key);
	hex(key, 32, sig);
	free(sts.p);
	return (0);
}

static const char *
rq_header(const void *ctx, const char *name)
{
	return (httpd_request_header(ctx, name));
}

/*
 * What AWS does with a request: parse Authorization, check the scope,
 * the date and the signed header list, recompute the signature.
 */
static int
sigv4_verify(const struct httpd_request *rq, const char *akid,
    const char *secret, const char **why)
{
	const char	*auth, *amzdate, *q, *e;
	char		 cred[256], sh[512], sig[65], want[65], scope[128];
	char		 date[9], *path;
	time_t		 now = time(NULL), t;
	struct tm	 tm;
	int		 rv;

	if ((auth = httpd_request_header(rq, "Authorization")) == NULL) {
		*why = "no Authorization";
		return (-1);
	}
	if (sscanf(auth, "AWS4-HMAC-SHA256 Credential=%255[^,], "
	    "SignedHeaders=%511[^,], Signature=%64[0-9a-f]", cred, sh,
	    sig) != 3 || strlen(sig) != 64) {
		*why = "malformed Authorization";
		return (-1);
	}
	if ((amzdate = httpd_request_header(rq, "X-Amz-Date")) == NULL ||
	    strlen(amzdate) != 16 || strptime(amzdate, "%Y%m%dT%H%M%SZ",
	    memset(&tm, 0, sizeof(tm))) == NULL) {
		*why = "no or bad X-Amz-Date";
		return (-1);
	}
	t = timegm(&tm);
	if (t < now - 900 || t > now + 900) {
		*why = "X-Amz-Date too far from now";
		return (-1);
	}
	snprintf(date, sizeof(date), "%.8s", amzdate);
	snprintf(scope, sizeof(scope), "%s/%s/us-east-1/route53/aws4_request",
	    akid, date);
	if (strcmp(cred, scope) != 0) {
		*why = "wrong credential scope";
		return (-1);
	}
	if (strncmp(sh, "host;", 5) != 0 && strstr(sh, ";host;") == NULL &&
	    strstr(sh, ";host") == NULL) {
		*why = "host is not signed";
		return (-1);
	}
	if (strstr(sh, "x-amz-date") == NULL) {
		*why = "x-amz-date is not signed";
		return (-1);
	}
	if (httpd_request_header(rq, "X-Amz-Security-Token") != NULL &&
	    strstr(sh, "x-amz-security-token") == NULL) {
		*why = "the session token is not signed";
		return (-1);
	}
	q = strchr(rq->uri, '?');
	e = q != NULL ? q : rq->uri + strlen(rq->uri);
	path = xstrndup(rq->uri, (size_t)(e - rq->uri));
	rv = sigv4_sign(rq->method, path, q != NULL ? q + 1 : NULL, rq_header,
	    rq, sh, rq->body, rq->body_len, secret, amzdate, "us-east-1",
	    "route53", want, why);
	free(path);
	if (rv == -1)
		return (-1);
	if (strcmp(want, sig) != 0) {
		*why = "SignatureDoesNotMatch";
		return (-1);
	}
	return (0);
}

/* --- the fake Route 53 ---------------------------------------------------- */

struct fake_set {
	const char	*name;		/* as Route 53 lists it */
	const char	*type;
	const char	*ttl;		/* NULL for aliases */
	const char	*values[8];	/* XML-escaped already */
	const char	*extra;		/* raw XML: SetIdentifier, AliasTarget */
	const char	*setid;
};

static struct {
	const char		*akid;
	const char		*secret;
	const char		*zone_name;
	const struct fake_set	*sets;
	size_t			 nsets;
	size_t			 page;		/* RRsets a page, <= maxitems */
	unsigned		 polls;		/* GetChange PENDING answers */
	unsigned		 bad_sigs;
	unsigned		 posts;
} fake;

static const struct fake_set base_sets[] = {
	{ "example.com.", "SOA", "900", { "ns-2048.awsdns-64.net. "
	    "hostmaster.amazon.com. 1 7200 900 1209600 86400" }, NULL, NULL },
	{ "example.com.", "NS", "172800", { "ns-2048.awsdns-64.net.",
	    "ns-2049.awsdns-65.co.uk." }, NULL, NULL },
};

static const char *
query_get(const char *uri, const char *key, char *buf, size_t size)
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
			sb_printf(&v, "%s", "");
			pct_decode(s + klen + 1, e != NULL ? (size_t)(e - s -
			    (ptrdiff_t)klen - 1) : strlen(s + klen + 1), &v);
			snprintf(buf, size, "%s", v.p);
			free(v.p);
			return (buf);
		}
	}
	return (NULL);
}

static void
fake_set_xml(struct sb *b, const struct fake_set *fs)
{
	size_t	i;

	sb_printf(b, "<ResourceRecordSet><Name>%s</Name><Type>%s</Type>",
	    fs->name, fs->type);
	if (fs->extra != NULL)
		sb_printf(b, "%s", fs->extra);
	if (fs->ttl != NULL)
		sb_printf(b, "<TTL>%s</TTL>", fs->ttl);
	if (fs->values[0] != NULL) {
		sb_printf(b, "<ResourceRecords>");
		for (i = 0; i < 8 && fs->values[i] != NULL; i++)
			sb_printf(b, "<ResourceRecord><Value>%s</Value>"
			    "</ResourceRecord>", fs->values[i]);
		sb_printf(b, "</ResourceRecords>");
	}
	sb_printf(b, "</ResourceRecordSet>");
}

/*
 * ListResourceRecordSets: from the record set named by name, type and
 * identifier, at most maxitems (and the fake's page size); IsTruncated
 * with NextRecordName/Type (and NextRecordIdentifier for sets that have
 * one) when more remain.
 */
static char *
fake_list(const char *uri)
{
	char		 name[256], type[16], id[64], mi[16];
	const char	*hn, *ht, *hi;
	struct sb	 b;
	size_t		 start = 0, n, i, max;

	hn = query_get(uri, "name", name, sizeof(name));
	ht = query_get(uri, "type", type, sizeof(type));
	hi = query_get(uri, "identifier", id, sizeof(id));
	max = query_get(uri, "maxitems", mi, sizeof(mi)) != NULL ?
	    (size_t)atoi(mi) : 300;
	if (fake.page < max)
		max = fake.page;
	if (hn != NULL) {
		for (start = 0; start < fake.nsets; start++) {
			if (strcmp(fake.sets[start].name, hn) == 0 &&
			    (ht == NULL || strcmp(fake.sets[start].type,
			    ht) == 0) && (hi == NULL ||
			    (fake.sets[start].setid != NULL &&
			    strcmp(fake.sets[start].setid, hi) == 0)))
				break;
		}
	}
	memset(&b, 0, sizeof(b));
	sb_printf(&b, "<?xml version=\"1.0\"?>\n<ListResourceRecordSetsResponse "
	    XMLNS "><ResourceRecordSets>");
	for (n = 0, i = start; i < fake.nsets && n < max; i++, n++)
		fake_set_xml(&b, &fake.sets[i]);
	sb_printf(&b, "</ResourceRecordSets><IsTruncated>%s</IsTruncated>",
	    i < fake.nsets ? "true" : "false");
	if (i < fake.nsets) {
		sb_printf(&b, "<NextRecordName>%s</NextRecordName>"
		    "<NextRecordType>%s</NextRecordType>", fake.sets[i].name,
		    fake.sets[i].type);
		if (fake.sets[i].setid != NULL)
			sb_printf(&b, "<NextRecordIdentifier>%s"
			    "</NextRecordIdentifier>", fake.sets[i].setid);
	}
	sb_printf(&b, "<MaxItems>%zu</MaxItems>"
	    "</ListResourceRecordSetsResponse>", max);
	return (b.p);
}

static char *
fake_error(const char *code, const char *msg)
{
	char	*s;

	xasprintf(&s, "<?xml version=\"1.0\"?>\n<ErrorResponse " XMLNS
	    "><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message>"
	    "</Error><RequestId>8e3f2b4c</RequestId></ErrorResponse>", code,
	    msg);
	return (s);
}

static char *
fake_zone(void)
{
	char	*s;

	xasprintf(&s, "<?xml version=\"1.0\"?>\n<GetHostedZoneResponse " XMLNS
	    "><HostedZone><Id>/hostedzone/" ZID "</Id><Name>%s</Name>"
	    "<CallerReference>x</CallerReference><Config><PrivateZone>false"
	    "</PrivateZone></Config><ResourceRecordSetCount>2"
	    "</ResourceRecordSetCount></HostedZone><DelegationSet>"
	    "<NameServers><NameServer>ns-2048.awsdns-64.net</NameServer>"
	    "<NameServer>NS-2049.awsdns-65.co.uk</NameServer>"
	    "<NameServer>ns-2050.awsdns-66.org</NameServer>"
	    "<NameServer>ns-2051.awsdns-67.com</NameServer></NameServers>"
	    "</DelegationSet></GetHostedZoneResponse>", fake.zone_name);
	return (s);
}

static char *
fake_byname(void)
{
	char	*s;

	xasprintf(&s, "<?xml version=\"1.0\"?>\n<ListHostedZonesByNameResponse "
	    XMLNS "><HostedZones><HostedZone><Id>/hostedzone/" ZID "</Id>"
	    "<Name>%s</Name><CallerReference>x</CallerReference><Config>"
	    "<PrivateZone>false</PrivateZone></Config>"
	    "<ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>"
	    "</HostedZones><IsTruncated>true</IsTruncated><MaxItems>1"
	    "</MaxItems><NextDNSName>example.net.</NextDNSName><NextHostedZoneId>"
	    "Z2</NextHostedZoneId></ListHostedZonesByNameResponse>",
	    fake.zone_name);
	return (s);
}

static const char *const xml_hdrs[] = { "Content-Type: text/xml", NULL };

static int
fake_cb(const struct httpd_request *rq, struct httpd_reply *out, void *arg)
{
	const char	*why;
	char		*s;

	(void)arg;
	out->headers = xml_hdrs;
	out->body_free = 1;
	if (sigv4_verify(rq, fake.akid, fake.secret, &why) == -1) {
		fake.bad_sigs++;
		out->status = 403;
		out->body = fake_error("SignatureDoesNotMatch", why);
		return (0);
	}
	if (strcmp(rq->method, "GET") == 0 && strcmp(rq->path,
	    BYNAME_PATH) == 0) {
		out->body = fake_byname();
		return (0);
	}
	if (strcmp(rq->method, "GET") == 0 && strcmp(rq->path,
	    ZONE_PATH) == 0) {
		out->body = fake_zone();
		return (0);
	}
	if (strcmp(rq->method, "GET") == 0 && strcmp(rq->path,
	    RRSET_PATH) == 0) {
		out->body = fake_list(rq->uri);
		return (0);
	}
	if (strcmp(rq->method, "POST") == 0 && strcmp(rq->path,
	    RRSET_PATH) == 0) {
		fake.posts++;
		xasprintf(&s, "<?xml version=\"1.0\"?>\n"
		    "<ChangeResourceRecordSetsResponse " XMLNS "><ChangeInfo>"
		    "<Id>/change/C%u</Id><Status>PENDING</Status><SubmittedAt>"
		    "2026-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo>"
		    "</ChangeResourceRecordSetsResponse>", fake.posts);
		out->body = s;
		return (0);
	}
	if (strcmp(rq->method, "GET") == 0 && strncmp(rq->path,
	    "/2013-04-01/change/", 19) == 0) {
		xasprintf(&s, "<?xml version=\"1.0\"?>\n<GetChangeResponse "
		    XMLNS "><ChangeInfo><Id>%s</Id><Status>%s</Status>"
		    "<SubmittedAt>2026-01-01T00:00:00.000Z</SubmittedAt>"
		    "</ChangeInfo></GetChangeResponse>", rq->path + 11,
		    fake.polls > 0 ? "PENDING" : "INSYNC");
		if (fake.polls > 0)
			fake.polls--;
		out->body = s;
		return (0);
	}
	out->body_free = 0;
	return (-1);
}

/* Every request the server saw carried a valid signature. */
static void
assert_all_signed(void)
{
	const char	*why;
	size_t		 i;

	for (i = 0; i < httpd_nrequests(srv); i++)
		ck_assert_msg(sigv4_verify(httpd_request(srv, i), fake.akid,
		    fake.secret, &why) == 0, "request %zu (%s): %s", i,
		    httpd_request(srv, i)->uri, why);
	ck_assert_uint_eq(fake.bad_sigs, 0);
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
conf_unset(struct provider_conf *c, const char *key)
{
	size_t	i;

	for (i = 0; i < c->nopts; i++) {
		if (strcmp(c->opts[i].key, key) == 0) {
			free(c->opts[i].key);
			free(c->opts[i].value);
			c->opts[i] = c->opts[--c->nopts];
			return;
		}
	}
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
write_file(const char *path, const char *text, mode_t mode)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
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

	log_init(LOG_LEVEL_WARN, "check_route53");
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	base = event_base_new();
	http = http_new(base);
	srv = httpd_new(base);
	httpd_on(srv, fake_cb, NULL);
	memset(&fake, 0, sizeof(fake));
	fake.akid = AKID;
	fake.secret = SECRET;
	fake.zone_name = "example.com.";
	fake.sets = base_sets;
	fake.nsets = 2;
	fake.page = 300;
	snprintf(keyfile, sizeof(keyfile), "/tmp/check_route53.XXXXXX");
	fd = mkstemp(keyfile);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_file(keyfile, SECRET "\n", 0600);
	memset(&pc, 0, sizeof(pc));
	pc.name = xstrdup("r53");
	pc.type = xstrdup("route53");
	pc.timeout = 5;
	pc.max_concurrency = 2;
	url = httpd_url(srv, "");
	conf_set(&pc, "api-url", url);
	free(url);
	conf_set(&pc, "access-key-id", AKID);
	conf_set(&pc, "secret-access-key-file", keyfile);
	conf_set(&pc, "region", "us-east-1");
	prov = NULL;
}

static void
teardown(void)
{
	provider_free(prov);
	prov = NULL;
	conf_clear(&pc);
	unlink(keyfile);
	httpd_free(srv);
	http_free(http);
	event_base_free(base);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
}

/* --- callbacks and the loop ----------------------------------------------- */

struct result {
	int		 called;
	int		 status;
	char		*error;
	struct zone	*zone;
	char		**names;
	size_t		 nnames;
	struct apply_result res;
};

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
fetch_cb(struct provider *p, int status, const char *error, struct zone *z,
    void *arg)
{
	struct result	*r = arg;

	(void)p;
	r->called++;
	r->status = status;
	r->error = error != NULL ? xstrdup(error) : NULL;
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

	memset(r, 0, sizeof(*r));
	ck_assert_msg(prov->ops->fetch(prov, ORIGIN, fetch_cb, r, err,
	    sizeof(err)) == 0, "fetch: %s", err);
	run_until(r, 10000);
}

static void
do_apply(const struct changeset *cs, struct result *r)
{
	char	err[512];

	memset(r, 0, sizeof(*r));
	ck_assert_msg(prov->ops->apply(prov, ORIGIN, cs, apply_cb, r, err,
	    sizeof(err)) == 0, "apply: %s", err);
	run_until(r, 15000);
}

/* A zone from "owner ttl TYPE rdata" lines. */
static struct zone *
mkzone(const char *const *lines, size_t n)
{
	struct zone		*z = zone_new(ORIGIN);
	struct zone_error	 err;
	char			 owner[300], type[16], *rdata;
	unsigned		 ttl;
	size_t			 i;

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

static size_t
count(const char *hay, const char *needle)
{
	size_t	n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return (n);
}

/* Characters in all <Value> elements of a body. */
static size_t
value_chars(const char *body)
{
	const char	*s, *e;
	size_t		 n = 0;

	for (s = body; (s = strstr(s, "<Value>")) != NULL; s = e) {
		s += 7;
		e = strstr(s, "</Value>");
		ck_assert_ptr_nonnull(e);
		n += (size_t)(e - s);
	}
	return (n);
}

static const char *const soa_ns[] = {
	"@ 900 SOA ns-2048.awsdns-64.net. hostmaster.amazon.com. 1 7200 900 "
	    "1209600 86400",
	"@ 172800 NS ns-2048.awsdns-64.net.",
	"@ 172800 NS ns-2049.awsdns-65.co.uk.",
};

/* --- SigV4: the verifier itself ------------------------------------------- */

struct kv_headers {
	const char	*host;
	const char	*date;
};

static const char *
kv_header(const void *ctx, const char *name)
{
	const struct kv_headers	*h = ctx;

	if (strcmp(name, "host") == 0)
		return (h->host);
	if (strcmp(name, "x-amz-date") == 0)
		return (h->date);
	return (NULL);
}

/*
 * AWS's SigV4 test suite: "get-vanilla" and
 * "get-vanilla-query-order-key-case" (secret wJalrXUtnFEMI/K7MDENG+
 * bPxRfiCYEXAMPLEKEY, 20150830T123600Z, us-east-1, service "service"),
 * with their published signatures.
 */
START_TEST(test_sigv4_vectors)
{
	struct kv_headers	 h = { "example.amazonaws.com",
	    "20150830T123600Z" };
	const char		*why = NULL;
	char			 sig[65];

	ck_assert_int_eq(sigv4_sign("GET", "/", NULL, kv_header, &h,
	    "host;x-amz-date", "", 0, SECRET, "20150830T123600Z",
	    "us-east-1", "service", sig, &why), 0);
	ck_assert_str_eq(sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d"
	    "9b8aae1d763fbf31");
	ck_assert_int_eq(sigv4_sign("GET", "/", "Param2=value2&Param1=value1",
	    kv_header, &h, "host;x-amz-date", "", 0, SECRET,
	    "20150830T123600Z", "us-east-1", "service", sig, &why), 0);
	ck_assert_str_eq(sig, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99"
	    "d3219ec94cdf2500");
}
END_TEST

/* --- fake server cases ---------------------------------------------------- */

/*
 * ListHostedZonesByName?dnsname=&maxitems=1 finds the zone id (exact name
 * match required), then ListResourceRecordSets; every request is signed
 * with scope us-east-1/route53 (libcurl against 127.0.0.1:PORT).
 */
START_TEST(test_lookup_by_name)
{
	const struct httpd_request	*rq;
	const struct rrset		*rs;
	struct result			 r;

	prov = provider_ok(&pc);
	ck_assert_uint_eq(prov->caps.flags, PROVIDER_CAP_APEX_NS |
	    PROVIDER_CAP_ATOMIC);
	ck_assert_uint_eq(prov->caps.max_batch, 1000);
	ck_assert_int_eq(provider_supports_type(prov, LDNS_RR_TYPE_CAA), 1);
	ck_assert_int_eq(provider_supports_type(prov, LDNS_RR_TYPE_LOC), 0);
	do_fetch(&r);
	ck_assert_msg(r.status == 0, "fetch: %s", r.error);
	ck_assert_uint_eq(httpd_nrequests(srv), 2);
	rq = httpd_request(srv, 0);
	ck_assert_str_eq(rq->method, "GET");
	ck_assert_str_eq(rq->uri, BYNAME_PATH "?dnsname=example.com.&maxitems=1");
	ck_assert_ptr_nonnull(strstr(httpd_request_header(rq, "Authorization"),
	    "Credential=" AKID "/"));
	ck_assert_ptr_nonnull(strstr(httpd_request_header(rq, "Authorization"),
	    "/us-east-1/route53/aws4_request"));
	rq = httpd_request(srv, 1);
	ck_assert_str_eq(rq->uri, RRSET_PATH "?maxitems=300");
	ck_assert_uint_eq(r.zone->nrrsets, 2);
	rs = zone_find(r.zone, ORIGIN, LDNS_RR_TYPE_NS);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(rs->ttl, 172800);
	ck_assert_uint_eq(rs->nrdata, 2);
	ck_assert_ptr_nonnull(zone_find(r.zone, ORIGIN, LDNS_RR_TYPE_SOA));
	result_clear(&r);
	/* the id is remembered: the second fetch lists at once */
	do_fetch(&r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(httpd_nrequests(srv), 3);
	ck_assert_str_eq(httpd_request(srv, 2)->uri, RRSET_PATH "?maxitems=300");
	result_clear(&r);
	assert_all_signed();
}
END_TEST

/* ListHostedZonesByName lists from the name on: another name is "not found". */
START_TEST(test_lookup_no_exact_match)
{
	struct result	r;

	fake.zone_name = "example.com.au.";
	prov = provider_ok(&pc);
	do_fetch(&r);
	ck_assert_int_eq(r.status, -1);
	ck_assert_str_eq(r.error, "zone not found");
	ck_assert_ptr_null(r.zone);
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
	result_clear(&r);
}
END_TEST

/* hosted-zone-id: GetHostedZone is checked to name the zone. */
START_TEST(test_zone_id_checked)
{
	struct result	r;

	conf_set(&pc, "hosted-zone-id", "/hostedzone/" ZID);
	prov = provider_ok(&pc);
	do_fetch(&r);
	ck_assert_msg(r.status == 0, "%s", r.error);
	ck_assert_str_eq(httpd_request(srv, 0)->uri, ZONE_PATH);
	ck_assert_str_eq(httpd_request(srv, 1)->uri, RRSET_PATH "?maxitems=300");
	result_clear(&r);
	provider_free(prov);
	fake.zone_name = "other.example.";
	prov = provider_ok(&pc);
	do_fetch(&r);
	ck_assert_int_eq(r.status, -1);
	ck_assert_str_eq(r.error, "hosted zone " ZID " is other.example., not "
	    "example.com.");
	result_clear(&r);
	assert_all_signed();
}
END_TEST

static const struct fake_set paged_sets[] = {
	{ "example.com.", "SOA", "900", { "ns-2048.awsdns-64.net. "
	    "hostmaster.amazon.com. 1 7200 900 1209600 86400" }, NULL, NULL },
	{ "example.com.", "NS", "172800", { "ns-2048.awsdns-64.net." },
	    NULL, NULL },
	{ "a.example.com.", "A", "300", { "192.0.2.1" }, NULL, NULL },
	{ "api.example.com.", "A", NULL, { NULL }, "<SetIdentifier>blue"
	    "</SetIdentifier><Weight>10</Weight><TTL>60</TTL><ResourceRecords>"
	    "<ResourceRecord><Value>192.0.2.10</Value></ResourceRecord>"
	    "</ResourceRecords>", "blue" },
	{ "api.example.com.", "A", NULL, { NULL }, "<SetIdentifier>green"
	    "</SetIdentifier><Weight>90</Weight><TTL>60</TTL><ResourceRecords>"
	    "<ResourceRecord><Value>192.0.2.11</Value></ResourceRecord>"
	    "</ResourceRecords>", "green" },
	{ "b.example.com.", "AAAA", "300", { "2001:db8::1" }, NULL, NULL },
	{ "\\052.example.com.", "A", "60", { "192.0.2.9" }, NULL, NULL },
	{ "c.example.com.", "TXT", "300", { "\"c\"" }, NULL, NULL },
	{ "www.example.com.", "A", NULL, { NULL }, "<AliasTarget><HostedZoneId>"
	    "Z2FDTNDATAQYW2</HostedZoneId><DNSName>d111.cloudfront.net."
	    "</DNSName><EvaluateTargetHealth>false</EvaluateTargetHealth>"
	    "</AliasTarget>", NULL },
};

/*
 * Pagination: IsTruncated with NextRecordName, NextRecordType and (for
 * sets with a SetIdentifier) NextRecordIdentifier is followed to the end;
 * the next page is asked for with the query canonical (sorted) so that the
 * signature holds.  Alias and weighted sets are left out; "\052" is '*'.
 */
START_TEST(test_pagination)
{
	static const char *const want[] = {
		RRSET_PATH "?maxitems=300",
		RRSET_PATH "?maxitems=300&name=a.example.com.&type=A",
		RRSET_PATH "?identifier=green&maxitems=300&name=api.example.com."
		    "&type=A",
		RRSET_PATH "?maxitems=300&name=%5C052.example.com.&type=A",
		RRSET_PATH "?maxitems=300&name=www.example.com.&type=A",
	};
	struct result	r;
	size_t		i;

	fake.sets = paged_sets;
	fake.nsets = sizeof(paged_sets) / sizeof(paged_sets[0]);
	fake.page = 2;
	conf_set(&pc, "hosted-zone-id", ZID);
	prov = provider_ok(&pc);
	do_fetch(&r);
	ck_assert_msg(r.status == 0, "%s", r.error);
	ck_assert_uint_eq(httpd_nrequests(srv), 1 + 5);
	for (i = 0; i < 5; i++)
		ck_assert_str_eq(httpd_request(srv, i + 1)->uri, want[i]);
	ck_assert_uint_eq(r.zone->nrrsets, 6);
	ck_assert_ptr_nonnull(zone_find(r.zone, "a.example.com.",
	    LDNS_RR_TYPE_A));
	ck_assert_ptr_nonnull(zone_find(r.zone, "b.example.com.",
	    LDNS_RR_TYPE_AAAA));
	ck_assert_ptr_nonnull(zone_find(r.zone, "c.example.com.",
	    LDNS_RR_TYPE_TXT));
	ck_assert_ptr_nonnull(zone_find(r.zone, "*.example.com.",
	    LDNS_RR_TYPE_A));
	ck_assert_ptr_null(zone_find(r.zone, "api.example.com.",
	    LDNS_RR_TYPE_A));
	ck_assert_ptr_null(zone_find(r.zone, "www.example.com.",
	    LDNS_RR_TYPE_A));
	result_clear(&r);
	assert_all_signed();
}
END_TEST

/* IsTruncated true without NextRecordName: an error, not a smaller zone. */
START_TEST(test_truncated_without_next)
{
	struct result	r;

	conf_set(&pc, "hosted-zone-id", ZID);
	prov = provider_ok(&pc);
	httpd_expect(srv, "GET", RRSET_PATH, 200, xml_hdrs,
	    "<?xml version=\"1.0\"?>\n<ListResourceRecordSetsResponse " XMLNS
	    "><ResourceRecordSets><ResourceRecordSet><Name>example.com.</Name>"
	    "<Type>NS</Type><TTL>60</TTL><ResourceRecords><ResourceRecord>"
	    "<Value>ns1.example.net.</Value></ResourceRecord>"
	    "</ResourceRecords></ResourceRecordSet></ResourceRecordSets>"
	    "<IsTruncated>true</IsTruncated><MaxItems>300</MaxItems>"
	    "</ListResourceRecordSetsResponse>");
	do_fetch(&r);
	ck_assert_int_eq(r.status, -1);
	ck_assert_str_eq(r.error, "invalid response: page 1 is truncated but "
	    "names no next record");
	ck_assert_ptr_null(r.zone);
	result_clear(&r);
	assert_all_signed();
}
END_TEST

/* A page after the first that fails (400 InvalidInput): the fetch fails. */
START_TEST(test_page_failure)
{
	struct httpd_reply	rp;
	char			*body;
	struct result		r;

	fake.sets = paged_sets;
	fake.nsets = sizeof(paged_sets) / sizeof(paged_sets[0]);
	fake.page = 2;
	conf_set(&pc, "hosted-zone-id", ZID);
	prov = provider_ok(&pc);
	body = fake_error("InvalidInput", "Invalid request");
	memset(&rp, 0, sizeof(rp));
	rp.method = "GET";
	rp.path = RRSET_PATH "?identifier=green&maxitems=300&"
	    "name=api.example.com.&type=A";
	rp.status = 400;
	rp.headers = xml_hdrs;
	rp.body = body;
	httpd_script(srv, &rp);
	do_fetch(&r);
	free(body);
	ck_assert_int_eq(r.status, -1);
	ck_assert_str_eq(r.error, "HTTP 400: InvalidInput: Invalid request");
	ck_assert_ptr_null(r.zone);
	ck_assert_uint_eq(httpd_nrequests(srv), 4);
	result_clear(&r);
	assert_all_signed();
}
END_TEST

static const struct fake_set all_sets[] = {
	{ "example.com.", "SOA", "900", { "ns-2048.awsdns-64.net. "
	    "hostmaster.amazon.com. 1 7200 900 1209600 86400" }, NULL, NULL },
	{ "example.com.", "NS", "172800", { "ns-2048.awsdns-64.net.",
	    "ns-2049.awsdns-65.co.uk." }, NULL, NULL },
	{ "example.com.", "MX", "3600", { "10 mail.example.com.",
	    "20 mx2.example.net." }, NULL, NULL },
	{ "example.com.", "TXT", "300", { "\"v=spf1 -all\"",
	    "\"first string\" \"second \\\"quoted\\\" \\\\ string\"",
	    "\"caf\\303\\251 &amp; &#x41;&#66;\"" }, NULL, NULL },
	{ "example.com.", "CAA", "3600", { "0 issue \"letsencrypt.org\"",
	    "128 iodef \"mailto:security@example.com\"" }, NULL, NULL },
	{ "_sip._tcp.example.com.", "SRV", "300", { "0 5 5060 "
	    "sip.example.com." }, NULL, NULL },
	{ "alias.example.com.", "CNAME", "60", { "www.example.com." }, NULL,
	    NULL },
	{ "sub.example.com.", "NS", "3600", { "ns1.other.example.",
	    "ns2.other.example." }, NULL, NULL },
	{ "www.example.com.", "A", "300", { "192.0.2.1", "192.0.2.2" }, NULL,
	    NULL },
	{ "www.example.com.", "AAAA", "300", { "2001:db8::1" }, NULL, NULL },
	{ "1.2.0.192.example.com.", "PTR", "300", { "host.example.com." }, NULL,
	    NULL },
};

/*
 * Every supported type is read in Route 53's presentation (TXT quoted,
 * several strings, octal escapes, XML references) and written back as
 * the same Values.
 */
START_TEST(test_all_types_round_trip)
{
	struct zone		*empty;
	struct changeset	 cs;
	const struct rrset	*rs;
	const char		*body;
	struct result		 r, a;
	char			 want[512];
	size_t			 i, k;

	fake.sets = all_sets;
	fake.nsets = sizeof(all_sets) / sizeof(all_sets[0]);
	conf_set(&pc, "hosted-zone-id", ZID);
	prov = provider_ok(&pc);
	do_fetch(&r);
	ck_assert_msg(r.status == 0, "%s", r.error);
	ck_assert_uint_eq(r.zone->nrrsets, fake.nsets);
	rs = zone_find(r.zone, ORIGIN, LDNS_RR_TYPE_TXT);
	ck_assert_uint_eq(rs->nrdata, 3);
	ck_assert_str_eq(rs->rdata[1].text, "\"v=spf1 -all\"");
	ck_assert_str_eq(rs->rdata[0].text, "\"caf\\195\\169 & AB\"");
	ck_assert_str_eq(rs->rdata[2].text, "\"first string\" \"second "
	    "\\\"quoted\\\" \\\\ string\"");
	rs = zone_find(r.zone, ORIGIN, LDNS_RR_TYPE_CAA);
	ck_assert_str_eq(rs->rdata[0].text, "0 issue \"letsencrypt.org\"");
	rs = zone_find(r.zone, "_sip._tcp.example.com.", LDNS_RR_TYPE_SRV);
	ck_assert_str_eq(rs->rdata[0].text, "0 5 5060 sip.example.com.");
	rs = zone_find(r.zone, "1.2.0.192.example.com.", LDNS_RR_TYPE_PTR);
	ck_assert_str_eq(rs->rdata[0].text, "host.example.com.");
	rs = zone_find(r.zone, ORIGIN, LDNS_RR_TYPE_MX);
	ck_assert_str_eq(rs->rdata[0].text, "10 mail.example.com.");

	/* write every RRset but SOA and apex NS back as CREATEs */
	empty = mkzone(soa_ns, 3);
	ck_assert_int_eq(diff_zones(r.zone, empty, NULL, &cs), 0);
	ck_assert_uint_eq(cs.nchanges, fake.nsets - 2);
	do_apply(&cs, &a);
	for (i = 0; i < cs.nchanges; i++)
		ck_assert_msg(a.res.results[i] == CHANGE_RESULT_OK,
		    "change %zu: %s", i, a.res.errors[i]);
	ck_assert_uint_eq(a.res.api_calls, 1);
	body = httpd_request(srv, httpd_nrequests(srv) - 1)->body;
	ck_assert_uint_eq(count(body, "<Action>CREATE</Action>"),
	    fake.nsets - 2);
	for (i = 2; i < fake.nsets; i++) {
		for (k = 0; k < 8 && all_sets[i].values[k] != NULL; k++) {
			if (strstr(all_sets[i].values[k], "&#") != NULL)
				continue;	/* re-escaped differently */
			snprintf(want, sizeof(want), "<Value>%s</Value>",
			    all_sets[i].values[k]);
			ck_assert_msg(strstr(body, want) != NULL, "%s not in "
			    "%s", want, body);
		}
	}
	ck_assert_ptr_nonnull(strstr(body, "<Value>\"caf\\303\\251 &amp; "
	    "AB\"</Value>"));
	changeset_free(&cs);
	zone_free(empty);
	result_clear(&a);
	result_clear(&r);
	assert_all_signed();
}
END_TEST

/*
 * The exact ChangeBatch: CREATE as CREATE, UPDATE as UPSERT, DELETE with
 * the Values exactly as listed (Route 53 requires the exact record set).
 */
START_TEST(test_apply_body)
{
	static const struct fake_set sets[] = {
		{ "example.com.", "SOA", "900", { "ns-2048.awsdns-64.net. "
		    "hostmaster.amazon.com. 1 7200 900 1209600 86400" }, NULL,
		    NULL },
		{ "example.com.", "NS", "172800", { "ns-2048.awsdns-64.net.",
		    "ns-2049.awsdns-65.co.uk." }, NULL, NULL },
		{ "example.com.", "MX", "3600", { "10 Mail.Example.COM." },
		    NULL, NULL },
		{ "old.example.com.", "A", "300", { "192.0.2.7" }, NULL, NULL },
	};
	static const char *const desired_lines[] = {
		"@ 900 SOA ns-2048.awsdns-64.net. hostmaster.amazon.com. 1 "
		    "7200 900 1209600 86400",
		"@ 172800 NS ns-2048.awsdns-64.net.",
		"@ 172800 NS ns-2049.awsdns-65.co.uk.",
		"new 60 TXT \"a<b\" \"c&d\"",
		"old 600 A 192.0.2.7",
	};
	static const char want[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ChangeResourceRecordSetsRequest " XMLNS "><ChangeBatch><Changes>"
	    "<Change><Action>DELETE</Action><ResourceRecordSet>"
	    "<Name>example.com.</Name><Type>MX</Type><TTL>3600</TTL>"
	    "<ResourceRecords><ResourceRecord><Value>10 Mail.Example.COM."
	    "</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>"
	    "</Change>"
	    "<Change><Action>CREATE</Action><ResourceRecordSet>"
	    "<Name>new.example.com.</Name><Type>TXT</Type><TTL>60</TTL>"
	    "<ResourceRecords><ResourceRecord><Value>\"a&lt;b\" \"c&amp;d\""
	    "</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>"
	    "</Change>"
	    "<Change><Action>UPSERT</Action><ResourceRecordSet>"
	    "<Name>old.example.com.</Name><Type>A</Type><TTL>600</TTL>"
	    "<ResourceRecords><ResourceRecord><Value>192.0.2.7</Value>"
	    "</ResourceRecord></ResourceRecords></ResourceRecordSet></Change>"
	    "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>\n";
	struct zone		*desired;
	struct changeset	 cs;
	const struct httpd_request *rq;
	struct result		 r, a;

	fake.sets = sets;
	fake.nsets = 4;
	conf_set(&pc, "hosted-zone-id", ZID);
	prov = provider_ok(&pc);
	do_fetch(&r);
	ck_assert_msg(r.status == 0, "%s", r.error);
	desired = mkzone(desired_lines, 5);
	ck_assert_int_eq(diff_zones(desired, r.zone, NULL, &cs), 0);
	ck_assert_uint_eq(cs.nchanges, 3);
	do_apply(&cs, &a);
	ck_assert_int_eq(a.res.results[0], CHANGE_RESULT_OK);
	ck_assert_int_eq(a.res.results[1], CHANGE_RESULT_OK);
	ck_assert_int_eq(a.res.results[2], CHANGE_RESULT_OK);
	ck_assert_uint_eq(a.res.api_calls, 1);
	rq = httpd_request(srv, httpd_nrequests(srv) - 1);
	ck_assert_str_eq(rq->method, "POST");
	ck_assert_str_eq(rq->uri, RRSET_PATH);
	ck_assert_str_eq(httpd_request_header(rq, "Content-Type"), "text/xml");
	ck_assert_str_eq(rq->body, want);
	changeset_free(&cs);
	zone_free(desired);
	result_clear(&a);
	result_clear(&r);
	assert_all_signed();
}
END_TEST

/*
 * Alias and routing-policy sets are left alone: a change at their name
 * fails on its own without a request; SOA and deleting the apex NS are
 * refused (Route 53 owns the SOA and cannot delete the apex NS); the
 * other changes go out.
 */
START_TEST(test_refused_changes)
{
	static const char *const desired_lines[] = {
		"@ 900 SOA ns-2048.awsdns-64.net. hostmaster.amazon.com. 2 "
		    "7200 900 1209600 86400",
		"www 300 AAAA 2001:db8::5",
		"ok 300 A 192.0.2.99",
	};
	struct zone		*desired;
	struct change		 ch[5];
	struct changeset	 cs;
	struct result		 r, a;
	const char		*body;

	fake.sets = paged_sets;
	fake.nsets = sizeof(paged_sets) / sizeof(paged_sets[0]);
	conf_set(&pc, "hosted-zone-id", ZID);
	prov = provider_ok(&pc);
	do_fetch(&r);
	ck_assert_msg(r.status == 0, "%s", r.error);
	desired = mkzone(desired_lines, 3);
	memset(ch, 0, sizeof(ch));
	ch[0].op = CHANGE_UPDATE;
	ch[0].old = zone_find(r.zone, ORIGIN, LDNS_RR_TYPE_SOA);
	ch[0].new = zone_find(desired, ORIGIN, LDNS_RR_TYPE_SOA);
	ch[1].op = CHANGE_DELETE;
	ch[1].old = zone_find(r.zone, ORIGIN, LDNS_RR_TYPE_NS);
	ch[2].op = CHANGE_DELETE;
	ch[2].old = zone_find(r.zone, "*.example.com.", LDNS_RR_TYPE_A);
	ch[3].op = CHANGE_CREATE;
	ch[3].new = zone_find(desired, "ok.example.com.", LDNS_RR_TYPE_A);
	ch[4].op = CHANGE_CREATE;
	ch[4].new = zone_find(desired, "www.example.com.", LDNS_RR_TYPE_AAAA);
	memset(&cs, 0, sizeof(cs));
	cs.nchanges = 5;
	cs.changes = ch;
	do_apply(&cs, &a);
	ck_assert_uint_eq(a.res.api_calls, 1);
	ck_assert_int_eq(a.res.results[0], CHANGE_RESULT_FAILED);
	ck_assert_str_eq(a.res.errors[0], "SOA is Route 53's own: never "
	    "changed");
	ck_assert_int_eq(a.res.results[1], CHANGE_RESULT_FAILED);
	ck_assert_str_eq(a.res.errors[1], "Route 53 does not allow deleting "
	    "the apex NS");
	ck_assert_int_eq(a.res.results[2], CHANGE_RESULT_OK);
	ck_assert_int_eq(a.res.results[3], CHANGE_RESULT_OK);
	ck_assert_int_eq(a.res.results[4], CHANGE_RESULT_FAILED);
	ck_assert_str_eq(a.res.errors[4], "the name carries an alias or "
	    "routing-policy record set at Route 53: not managed");
	body = httpd_request(srv, httpd_nrequests(srv) - 1)->body;
	ck_assert_uint_eq(count(body, "<Change>"), 2);
	ck_assert_ptr_null(strstr(body, "www.example.com."));
	ck_assert_ptr_null(strstr(body, "SOA"));
	ck_assert_ptr_nonnull(strstr(body, "<Action>DELETE</Action>"
	    "<ResourceRecordSet><Name>*.example.com.</Name><Type>A</Type>"
	    "<TTL>60</TTL>"));
	zone_free(desired);
	result_clear(&a);
	result_clear(&r);
	assert_all_signed();
}
END_TEST

/* Build a changeset of n CREATEs of "hN TYPE value" against soa_ns. */
static void
big_changeset(size_t n, const char *type, size_t vlen, struct zone **desired,
    struct zone **actual, struct changeset *cs)
{
	struct zone		*z = zone_new(ORIGIN);
	struct zone_error	 err;
	char			 owner[32], *v;
	size_t			 i;

	v = xmalloc(vlen + 32);
	for (i = 0; i < 3; i++) {
		char	o[8], t[8], rd[200];
		unsigned ttl;

		ck_assert_int_eq(sscanf(soa_ns[i], "%7s %u %7s %199[^\n]", o,
		    &ttl, t, rd), 4);
		ck_assert_int_eq(zone_add_rr_text(z, o,
		    ldns_get_rr_type_by_name(t), ttl, rd, &err), 0);
	}
	for (i = 0; i < n; i++) {
		snprintf(owner, sizeof(owner), "h%zu", i);
		if (strcmp(type, "A") == 0)
			snprintf(v, vlen + 32, "10.%zu.%zu.%zu", i >> 16,
			    (i >> 8) & 0xff, i & 0xff);
		else {
			memset(v + 1, 'x', vlen - 2);
			v[0] = v[vlen - 1] = '"';
			v[vlen] = '\0';
		}
		ck_assert_int_eq(zone_add_rr_text(z, owner,
		    ldns_get_rr_type_by_name(type), 300, v, &err), 0);
	}
	free(v);
	ck_assert_int_eq(zone_finish(z, &err), 0);
	*desired = z;
	*actual = mkzone(soa_ns, 3);
	ck_assert_int_eq(diff_zones(z, *actual, NULL, cs), 0);
	ck_assert_uint_eq(cs->nchanges, n);
}

/* 1,000 ResourceRecord elements a request: 1,500 records, 2 requests. */
START_TEST(test_batch_records)
{
	struct zone		*d, *a;
	struct changeset	 cs;
	struct result		 r;
	size_t			 i;

	conf_set(&pc, "hosted-zone-id", ZID);
	prov = provider_ok(&pc);
	big_changeset(1500, "A", 0, &d, &a, &cs);
	do_apply(&cs, &r);
	for (i = 0; i < cs.nchanges; i++)
		ck_assert_int_eq(r.res.results[i], CHANGE_RESULT_OK);
	ck_assert_uint_eq(fake.posts, 2);
	ck_assert_uint_eq(r.res.api_calls, 2);
	ck_assert_uint_eq(count(httpd_request(srv, 1)->body,
	    "<ResourceRecord>"), 1000);
	ck_assert_uint_eq(count(httpd_request(srv, 2)->body,
	    "<ResourceRecord>"), 500);
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);
	result_clear(&r);
	assert_all_signed();
}
END_TEST

/*
 * 32,000 Value characters a request: 130 TXT values of 250 characters
 * (32,500) go as 128 (exactly 32,000) + 2.  UPSERT counts twice: 600
 * single-record UPDATEs count 1,200 records, so 500 + 100.
 */
START_TEST(test_batch_chars_and_upsert)
{
	struct zone		*d, *a, *d2;
	struct zone_error	 err;
	struct changeset	 cs;
	struct result		 r;
	size_t			 i, k, j;

	conf_set(&pc, "hosted-zone-id", ZID);
	prov = provider_ok(&pc);
	big_changeset(130, "TXT", 250, &d, &a, &cs);
	do_apply(&cs, &r);
	for (i = 0; i < cs.nchanges; i++)
		ck_assert_int_eq(r.res.results[i], CHANGE_RESULT_OK);
	/* GetHostedZone checks hosted-zone-id first */
	ck_assert_str_eq(httpd_request(srv, 0)->uri, ZONE_PATH);
	ck_assert_uint_eq(httpd_nrequests(srv), 3);
	ck_assert_uint_eq(count(httpd_request(srv, 1)->body, "<Change>"), 128);
	ck_assert_uint_eq(value_chars(httpd_request(srv, 1)->body), 32000);
	ck_assert_uint_eq(count(httpd_request(srv, 2)->body, "<Change>"), 2);
	ck_assert_uint_eq(value_chars(httpd_request(srv, 2)->body), 500);
	result_clear(&r);
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);

	big_changeset(600, "A", 0, &d, &a, &cs);
	changeset_free(&cs);
	zone_free(a);
	d2 = zone_new(ORIGIN);
	for (k = 0; k < d->nrrsets; k++)
		for (j = 0; j < d->rrsets[k].nrdata; j++)
			ck_assert_int_eq(zone_add_rr_text(d2,
			    d->rrsets[k].owner, d->rrsets[k].type,
			    d->rrsets[k].type == LDNS_RR_TYPE_A ? 60 :
			    d->rrsets[k].ttl, d->rrsets[k].rdata[j].text,
			    &err), 0);
	ck_assert_int_eq(zone_finish(d2, &err), 0);
	ck_assert_int_eq(diff_zones(d2, d, NULL, &cs), 0);
	ck_assert_uint_eq(cs.nupdate, 600);
	do_apply(&cs, &r);
	for (i = 0; i < cs.nchanges; i++)
		ck_assert_int_eq(r.res.results[i], CHANGE_RESULT_OK);
	ck_assert_uint_eq(httpd_nrequests(srv), 5);
	ck_assert_uint_eq(count(httpd_request(srv, 3)->body,
	    "<Action>UPSERT</Action>"), 500);
	ck_assert_uint_eq(count(httpd_request(srv, 4)->body,
	    "<Action>UPSERT</Action>"), 100);
	result_clear(&r);
	changeset_free(&cs);
	zone_free(d);
	zone_free(d2);
	assert_all_signed();
}
END_TEST

/*
 * A batch refused with InvalidChangeBatch fails as a whole with its
 * Messages; earlier batches stay OK, later ones are not sent.
 */
START_TEST(test_invalid_change_batch)
{
	struct zone		*d, *a;
	struct changeset	 cs;
	struct result		 r;
	struct httpd_reply	 rp;
	size_t			 i;
	static const char	 icb[] = "<?xml version=\"1.0\"?>\n"
	    "<InvalidChangeBatch " XMLNS "><Messages><Message>Tried to create "
	    "resource record set [name='h1500.example.com.', type='A'] but it "
	    "already exists</Message><Message>second problem</Message>"
	    "</Messages><RequestId>b25f48e8</RequestId></InvalidChangeBatch>";

	conf_set(&pc, "hosted-zone-id", ZID);
	prov = provider_ok(&pc);
	big_changeset(2500, "A", 0, &d, &a, &cs);
	memset(&rp, 0, sizeof(rp));
	rp.method = "POST";
	rp.path = RRSET_PATH;
	rp.status = 200;
	rp.headers = xml_hdrs;
	rp.body = "<?xml version=\"1.0\"?>\n<ChangeResourceRecordSetsResponse "
	    XMLNS "><ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status>"
	    "<SubmittedAt>2026-01-01T00:00:00Z</SubmittedAt></ChangeInfo>"
	    "</ChangeResourceRecordSetsResponse>";
	httpd_script(srv, &rp);
	rp.status = 400;
	rp.body = icb;
	httpd_script(srv, &rp);
	do_apply(&cs, &r);
	ck_assert_uint_eq(httpd_nrequests(srv), 3);	/* GetHostedZone + 2 */
	ck_assert_uint_eq(r.res.api_calls, 2);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(r.res.results[i], CHANGE_RESULT_OK);
	for (; i < 2000; i++) {
		ck_assert_int_eq(r.res.results[i], CHANGE_RESULT_FAILED);
		ck_assert_str_eq(r.res.errors[i], "HTTP 400: InvalidChangeBatch: "
		    "Tried to create resource record set [name='h1500.example."
		    "com.', type='A'] but it already exists; second problem");
	}
	for (; i < 2500; i++)
		ck_assert_int_eq(r.res.results[i], CHANGE_RESULT_NOT_TRIED);
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);
	result_clear(&r);
	assert_all_signed();
}
END_TEST

/*
 * Throttling is HTTP 400 with Code Throttling (not 429), and a change to
 * a zone still busy is 400 PriorRequestNotComplete: both retried with
 * backoff; the batch then succeeds.
 */
START_TEST(test_throttling_retried)
{
	static const char *const codes[] = { "Throttling",
	    "PriorRequestNotComplete" };
	struct zone		*d, *a;
	struct changeset	 cs;
	struct result		 r;
	struct httpd_reply	 rp;
	char			*body;

	conf_set(&pc, "hosted-zone-id", ZID);
	prov = provider_ok(&pc);
	big_changeset(3, "A", 0, &d, &a, &cs);
	body = fake_error(codes[_i], "Rate exceeded");
	memset(&rp, 0, sizeof(rp));
	rp.method = "POST";
	rp.path = RRSET_PATH;
	rp.status = 400;
	rp.headers = xml_hdrs;
	rp.body = body;
	rp.repeat = 2;
	httpd_script(srv, &rp);
	do_apply(&cs, &r);
	free(body);
	ck_assert_uint_eq(httpd_nrequests(srv), 4);	/* GetHostedZone + 3 */
	ck_assert_uint_eq(fake.posts, 1);
	ck_assert_uint_eq(r.res.api_calls, 3);
	ck_assert_int_eq(r.res.results[0], CHANGE_RESULT_OK);
	ck_assert_int_eq(r.res.results[2], CHANGE_RESULT_OK);
	ck_assert_str_eq(httpd_request(srv, 1)->body,
	    httpd_request(srv, 3)->body);
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);
	result_clear(&r);
	assert_all_signed();
}
END_TEST

/*
 * Expired or unknown credentials: 403 ExpiredToken / InvalidClientTokenId
 * are not retried and say clearly that the credentials were refused.
 */
START_TEST(test_credentials_refused)
{
	static const char *const codes[] = { "ExpiredToken",
	    "InvalidClientTokenId" };
	struct result	r;
	char		*body, want[512];

	conf_set(&pc, "hosted-zone-id", ZID);
	prov = provider_ok(&pc);
	body = fake_error(codes[_i], "The security token included in the "
	    "request is expired");
	httpd_expect(srv, "GET", ZONE_PATH, 403, xml_hdrs, body);
	free(body);
	do_fetch(&r);
	ck_assert_int_eq(r.status, -1);
	snprintf(want, sizeof(want), "HTTP 403: %s: The security token "
	    "included in the request is expired (the AWS credentials were "
	    "refused: check the access key, secret and session token)",
	    codes[_i]);
	ck_assert_str_eq(r.error, want);
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
	result_clear(&r);
	assert_all_signed();
}
END_TEST

/* A wrong secret: the fake's verifier answers 403 SignatureDoesNotMatch. */
START_TEST(test_wrong_secret_detected)
{
	struct result	r;

	write_file(keyfile, "not/the+right/secret\n", 0600);
	prov = provider_ok(&pc);
	do_fetch(&r);
	ck_assert_int_eq(r.status, -1);
	ck_assert_ptr_nonnull(strstr(r.error, "HTTP 403: "
	    "SignatureDoesNotMatch: SignatureDoesNotMatch"));
	ck_assert_uint_eq(fake.bad_sigs, 1);
	result_clear(&r);
}
END_TEST

/*
 * The standard environment variables; AWS_SESSION_TOKEN goes out as
 * X-Amz-Security-Token and is signed.
 */
START_TEST(test_credentials_env)
{
	const struct httpd_request	*rq;
	struct result			 r;

	conf_unset(&pc, "access-key-id");
	conf_unset(&pc, "secret-access-key-file");
	setenv("AWS_ACCESS_KEY_ID", "ASIAENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env/Secret+Key", 1);
	setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLETOKEN", 1);
	fake.akid = "ASIAENVKEY";
	fake.secret = "env/Secret+Key";
	prov = provider_ok(&pc);
	do_fetch(&r);
	ck_assert_msg(r.status == 0, "%s", r.error);
	rq = httpd_request(srv, 0);
	ck_assert_str_eq(httpd_request_header(rq, "X-Amz-Security-Token"),
	    "FwoGZXIvYXdzEXAMPLETOKEN");
	ck_assert_ptr_nonnull(strstr(httpd_request_header(rq,
	    "Authorization"), "x-amz-security-token"));
	result_clear(&r);
	assert_all_signed();
}
END_TEST

/* The shared credentials file, with a named profile. */
START_TEST(test_credentials_file)
{
	char		 cf[64];
	struct result	 r;
	int		 fd;

	snprintf(cf, sizeof(cf), "/tmp/check_route53_cred.XXXXXX");
	fd = mkstemp(cf);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_file(cf, "# AWS\n[default]\naws_access_key_id = AKIDDEFAULT\n"
	    "aws_secret_access_key = default/secret\n\n[prod]\n"
	    "aws_access_key_id=AKIDPROD\n; comment\n"
	    "aws_secret_access_key = prod/Secret+1\n", 0600);
	conf_unset(&pc, "access-key-id");
	conf_unset(&pc, "secret-access-key-file");
	conf_set(&pc, "credentials-file", cf);
	conf_set(&pc, "profile", "prod");
	fake.akid = "AKIDPROD";
	fake.secret = "prod/Secret+1";
	prov = provider_ok(&pc);
	do_fetch(&r);
	ck_assert_msg(r.status == 0, "%s", r.error);
	ck_assert_ptr_null(httpd_request_header(httpd_request(srv, 0),
	    "X-Amz-Security-Token"));
	result_clear(&r);
	assert_all_signed();
	unlink(cf);
}
END_TEST

/* Configuration errors are refused at init, with the reason. */
START_TEST(test_init_errors)
{
	char		 cf[64], err[512];
	int		 fd;

	snprintf(cf, sizeof(cf), "/tmp/check_route53_cred.XXXXXX");
	fd = mkstemp(cf);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_file(cf, "[default]\naws_access_key_id = AKID\n"
	    "aws_secret_access_key = s\n", 0600);
	conf_unset(&pc, "access-key-id");
	conf_unset(&pc, "secret-access-key-file");

	ck_assert_ptr_null(provider_new(&pc, base, http, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "no AWS credentials"));

	conf_set(&pc, "credentials-file", cf);
	conf_set(&pc, "profile", "missing");
	ck_assert_ptr_null(provider_new(&pc, base, http, err, sizeof(err)));
	ck_assert_str_eq(err, "provider r53: credentials-file: no profile "
	    "[missing]");

	write_file(cf, "[default]\naws_access_key_id = AKID\n", 0644);
	conf_unset(&pc, "profile");
	ck_assert_ptr_null(provider_new(&pc, base, http, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "readable by everyone"));

	chmod(cf, 0600);
	ck_assert_ptr_null(provider_new(&pc, base, http, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "lacks a valid"));

	conf_unset(&pc, "credentials-file");
	conf_set(&pc, "access-key-id", AKID);
	conf_set(&pc, "secret-access-key-file", keyfile);
	conf_set(&pc, "region", "US_EAST");
	ck_assert_ptr_null(provider_new(&pc, base, http, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "region"));
	unlink(cf);
}
END_TEST

/* GetHostedZone's DelegationSet gives the nameservers (absolute, lower). */
START_TEST(test_nameservers)
{
	struct result	r;
	char		err[256];

	prov = provider_ok(&pc);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(prov->ops->nameservers(prov, ORIGIN, ns_cb, &r, err,
	    sizeof(err)), 0);
	run_until(&r, 5000);
	ck_assert_msg(r.status == 0, "%s", r.error);
	ck_assert_uint_eq(r.nnames, 4);
	ck_assert_str_eq(r.names[0], "ns-2048.awsdns-64.net.");
	ck_assert_str_eq(r.names[1], "ns-2049.awsdns-65.co.uk.");
	ck_assert_str_eq(r.names[3], "ns-2051.awsdns-67.com.");
	ck_assert_uint_eq(httpd_nrequests(srv), 2);
	ck_assert_str_eq(httpd_request(srv, 1)->uri, ZONE_PATH);
	result_clear(&r);
	assert_all_signed();
}
END_TEST

/* wait-insync: GetChange is polled until the change is INSYNC. */
START_TEST(test_wait_insync)
{
	struct zone		*d, *a;
	struct changeset	 cs;
	struct result		 r;

	conf_set(&pc, "hosted-zone-id", ZID);
	conf_set(&pc, "wait-insync", "yes");
	prov = provider_ok(&pc);
	fake.polls = 2;
	big_changeset(2, "A", 0, &d, &a, &cs);
	do_apply(&cs, &r);
	ck_assert_int_eq(r.res.results[0], CHANGE_RESULT_OK);
	ck_assert_int_eq(r.res.results[1], CHANGE_RESULT_OK);
	ck_assert_uint_eq(httpd_nrequests(srv), 5);
	ck_assert_str_eq(httpd_request(srv, 1)->method, "POST");
	ck_assert_str_eq(httpd_request(srv, 2)->uri, "/2013-04-01/change/C1");
	ck_assert_str_eq(httpd_request(srv, 4)->uri, "/2013-04-01/change/C1");
	ck_assert_uint_eq(r.res.api_calls, 4);
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);
	result_clear(&r);
	assert_all_signed();
}
END_TEST

static const char *const bad_bodies[] = {
	"",
	"<ListResourceRecordSetsResponse>",
	"<ListResourceRecordSetsResponse><ResourceRecordSets></ResourceRecordSets>"
	    "<IsTruncated>false</IsTruncated></Wrong>",
	"<!DOCTYPE x [<!ENTITY e \"boom\">]><ListResourceRecordSetsResponse/>",
	"<ListResourceRecordSetsResponse><ResourceRecordSets/><IsTruncated>"
	    "false</IsTruncated></ListResourceRecordSetsResponse>trailing",
	"<ListResourceRecordSetsResponse><ResourceRecordSets/><IsTruncated>"
	    "fal&bogus;se</IsTruncated></ListResourceRecordSetsResponse>",
	"<ListResourceRecordSetsResponse><ResourceRecordSets/><IsTruncated>"
	    "maybe</IsTruncated></ListResourceRecordSetsResponse>",
	"<ListResourceRecordSetsResponse><ResourceRecordSets/>"
	    "</ListResourceRecordSetsResponse>",
	"<ListResourceRecordSetsResponse><ResourceRecordSets>text<x/>"
	    "</ResourceRecordSets><IsTruncated>false</IsTruncated>"
	    "</ListResourceRecordSetsResponse>",
	"<ListResourceRecordSetsResponse><ResourceRecordSets>"
	    "<ResourceRecordSet><Name>example.com.</Name><Type>TXT</Type><TTL>1"
	    "</TTL><ResourceRecords><ResourceRecord><Value>unquoted</Value>"
	    "</ResourceRecord></ResourceRecords></ResourceRecordSet>"
	    "</ResourceRecordSets><IsTruncated>false</IsTruncated>"
	    "</ListResourceRecordSetsResponse>",
	"<ListResourceRecordSetsResponse><ResourceRecordSets>"
	    "<ResourceRecordSet><Name>example.com.</Name><Type>A</Type><TTL>-1"
	    "</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.1</Value>"
	    "</ResourceRecord></ResourceRecords></ResourceRecordSet>"
	    "</ResourceRecordSets><IsTruncated>false</IsTruncated>"
	    "</ListResourceRecordSetsResponse>",
	"<a><b><c><d><e><f><g><h><i><j><k><l><m><n><o><p><q><r><s><t><u><v>"
	    "<w><x><y><z><a><b><c><d><e><f><g><h></h></g></f></e></d></c></b>"
	    "</a></z></y></x></w></v></u></t></s></r></q></p></o></n></m></l>"
	    "</k></j></i></h></g></f></e></d></c></b></a>",
	"<ListResourceRecordSetsResponse><ResourceRecordSets/><IsTruncated>"
	    "&#0;</IsTruncated></ListResourceRecordSetsResponse>",
};

/* Anything but the documented XML is an error, never a (smaller) zone. */
START_TEST(test_malformed_xml)
{
	struct result	r;

	conf_set(&pc, "hosted-zone-id", ZID);
	prov = provider_ok(&pc);
	httpd_expect(srv, "GET", RRSET_PATH, 200, xml_hdrs, bad_bodies[_i]);
	do_fetch(&r);
	ck_assert_int_eq(r.status, -1);
	ck_assert_msg(strncmp(r.error, "invalid response: ", 18) == 0,
	    "body %d: %s", _i, r.error);
	ck_assert_ptr_null(r.zone);
	result_clear(&r);
}
END_TEST

/*
 * The secret key and the signatures are never logged: run fetches,
 * failures and applies at debug level with stderr captured.
 */
START_TEST(test_secret_never_logged)
{
	struct zone		*d, *a;
	struct changeset	 cs;
	struct result		 r1, r2;
	const char		*auth;
	char			 path[64], *buf, sig[65];
	int			 fd, saved;
	ssize_t			 n;
	size_t			 i;

	snprintf(path, sizeof(path), "/tmp/check_route53_log.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	log_set_level(LOG_LEVEL_DEBUG);

	prov = provider_ok(&pc);
	do_fetch(&r1);
	big_changeset(2, "A", 0, &d, &a, &cs);
	httpd_expect(srv, "POST", RRSET_PATH, 403, xml_hdrs, "<ErrorResponse>"
	    "<Error><Code>ExpiredToken</Code><Message>expired</Message>"
	    "</Error></ErrorResponse>");
	do_apply(&cs, &r2);

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	log_set_level(LOG_LEVEL_WARN);

	buf = xcalloc(1, 1 << 20);
	n = pread(fd, buf, (1 << 20) - 1, 0);
	close(fd);
	unlink(path);
	ck_assert_int_gt(n, 0);
	ck_assert_msg(strstr(buf, "route53") != NULL, "no debug log: %s", buf);
	ck_assert_msg(strstr(buf, "ExpiredToken") != NULL, "no error: %s", buf);
	ck_assert_msg(strstr(buf, SECRET) == NULL, "the secret was logged");
	ck_assert_msg(strstr(buf, "wJalrXUtnFEMI") == NULL, "part of the "
	    "secret was logged");
	for (i = 0; i < httpd_nrequests(srv); i++) {
		auth = httpd_request_header(httpd_request(srv, i),
		    "Authorization");
		ck_assert_ptr_nonnull(auth);
		ck_assert_int_eq(sscanf(strstr(auth, "Signature="),
		    "Signature=%64s", sig), 1);
		ck_assert_msg(strstr(buf, sig) == NULL, "a signature was "
		    "logged");
	}
	ck_assert_int_eq(r2.res.results[0], CHANGE_RESULT_FAILED);
	ck_assert_ptr_null(strstr(r2.res.errors[0], SECRET));
	free(buf);
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);
	result_clear(&r1);
	result_clear(&r2);
}
END_TEST

/* Cancelling an apply in flight: its callback never runs. */
static void
never_apply_cb(struct provider *p, const struct apply_result *res, void *arg)
{
	(void)p; (void)res; (void)arg;
	ck_abort_msg("callback of a cancelled apply was called");
}

START_TEST(test_cancel)
{
	struct zone		*d, *a;
	struct changeset	 cs;
	struct httpd_reply	 rp;
	struct result		 r;
	char			 err[256];

	conf_set(&pc, "hosted-zone-id", ZID);
	prov = provider_ok(&pc);
	big_changeset(2, "A", 0, &d, &a, &cs);
	memset(&rp, 0, sizeof(rp));
	rp.method = "GET";
	rp.delay_ms = 300;
	rp.status = 200;
	rp.body = "x";
	httpd_script(srv, &rp);
	ck_assert_int_eq(prov->ops->apply(prov, ORIGIN, &cs, never_apply_cb,
	    NULL, err, sizeof(err)), 0);
	provider_cancel(prov);
	memset(&r, 0, sizeof(r));
	{
		struct event	*ev;
		struct timeval	 tv = { 0, 500000 };
		int		 expired = 0;

		ev = evtimer_new(base, deadline_cb, &expired);
		evtimer_add(ev, &tv);
		while (!expired)
			event_base_loop(base, EVLOOP_ONCE);
		event_free(ev);
	}
	changeset_free(&cs);
	zone_free(d);
	zone_free(a);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;
	SRunner	*sr;
	int	 failed;

	s = suite_create("route53");
	tc = tcase_create("sigv4");
	tcase_add_test(tc, test_sigv4_vectors);
	suite_add_tcase(s, tc);
	tc = tcase_create("fake");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_lookup_by_name);
	tcase_add_test(tc, test_lookup_no_exact_match);
	tcase_add_test(tc, test_zone_id_checked);
	tcase_add_test(tc, test_pagination);
	tcase_add_test(tc, test_truncated_without_next);
	tcase_add_test(tc, test_page_failure);
	tcase_add_test(tc, test_all_types_round_trip);
	tcase_add_test(tc, test_apply_body);
	tcase_add_test(tc, test_refused_changes);
	tcase_add_test(tc, test_batch_records);
	tcase_add_test(tc, test_batch_chars_and_upsert);
	tcase_add_test(tc, test_invalid_change_batch);
	tcase_add_loop_test(tc, test_throttling_retried, 0, 2);
	tcase_add_loop_test(tc, test_credentials_refused, 0, 2);
	tcase_add_test(tc, test_wrong_secret_detected);
	tcase_add_test(tc, test_credentials_env);
	tcase_add_test(tc, test_credentials_file);
	tcase_add_test(tc, test_init_errors);
	tcase_add_test(tc, test_nameservers);
	tcase_add_test(tc, test_wait_insync);
	tcase_add_loop_test(tc, test_malformed_xml, 0,
	    (int)(sizeof(bad_bodies) / sizeof(bad_bodies[0])));
	tcase_add_test(tc, test_secret_never_logged);
	tcase_add_test(tc, test_cancel);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
