/*
 * check_gcloud.c: the Google Cloud DNS backend.
 *
 * Against tests/httpd standing in for Google: an OAuth2 token endpoint
 * that verifies the JWT's RS256 signature with the service account's
 * public key and checks its claims (developers.google.com/identity/
 * protocols/oauth2/service-account), and a Cloud DNS v1 API that keeps a
 * zone, pages its listings, applies changes atomically, refuses deletions
 * that do not match exactly and additions that exist, and answers changes
 * "pending" before "done" (cloud.google.com/dns/docs/reference/rest/v1).
 * Each case names the documented behaviour it covers.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <ldns/ldns.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "diff.h"
#include "http.h"
#include "httpd.h"
#include "log.h"
#include "provider.h"
#include "xmalloc.h"
#include "zone.h"

#define ORIGIN		"example.com."
#define PROJECT		"proj-1"
#define API		"/dns/v1/projects/proj-1"
#define ZONES		API "/managedZones"
#define ZPATH		API "/managedZones/example-com"
#define RRSETS		ZPATH "/rrsets"
#define CHANGES		ZPATH "/changes"
#define TOKEN_PATH	"/token"
#define EMAIL		"multidns@proj-1.iam.gserviceaccount.com"
#define KID		"5f1c0ffee5f1c0ffee5f1c0ffee5f1c0ffee0001"
#define SCOPE		"https://www.googleapis.com/auth/" \
			"ndev.clouddns.readwrite"
#define SOA_RD		"ns-cloud-a1.googledomains.com. " \
			"cloud-dns-hostmaster.google.com. " \
			"1 21600 3600 259200 300"
#define MAX_TOKENS	16
#define MAX_CHANGES	64

static const char *const json_hdrs[] = {
	"Content-Type: application/json; charset=UTF-8", NULL
};

/* Google's answers, as its documentation shows them. */
#define ERR_401	"{\"error\": {\"code\": 401, \"message\": \"Request had " \
	"invalid authentication credentials.\", \"errors\": [{\"message\": " \
	"\"Invalid Credentials\", \"domain\": \"global\", \"reason\": " \
	"\"authError\", \"location\": \"Authorization\", \"locationType\": " \
	"\"header\"}], \"status\": \"UNAUTHENTICATED\"}}"
#define ERR_SIG	"{\"error\": \"invalid_grant\", \"error_description\": " \
	"\"Invalid JWT Signature.\"}"

static EVP_PKEY			*sa_key;	/* the service account's */
static EVP_PKEY			*other_key;	/* some other key */
static char			*sa_pem, *other_pem;

static struct event_base	*base;
static struct http		*http;
static struct httpd		*srv;
static char			 safile[64];
static struct provider_conf	 pc;
static struct provider		*prov;

/* The fake Google. */
struct fake {
	char		 token_url[128];
	int		 expires_in;
	unsigned	 token_reqs;	/* token requests answered */
	char		*tokens[MAX_TOKENS];	/* issued, in order */
	unsigned	 ntokens;
	char		*jwts[MAX_TOKENS];	/* assertions seen */
	unsigned	 njwts;
	uint64_t	 token_until;	/* the last token's end, ms */
	int		 revoked;	/* the last token is refused */
	int		 refuse_all;	/* every token is refused */
	unsigned	 n401;
	char		 bad[512];	/* first protocol violation seen */
	unsigned	 page_size;
	unsigned	 pending;	/* reads answered "pending" */
	cJSON		*zones;		/* managedZones */
	cJSON		*rrsets;	/* the zone's content */
	unsigned	 nchanges;
	unsigned	 polls[MAX_CHANGES];
};

static struct fake	 fk;

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

/* --- small helpers -------------------------------------------------------- */

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

static void
fake_bad(const char *what, const char *detail)
{
	if (fk.bad[0] == '\0')
		snprintf(fk.bad, sizeof(fk.bad), "%s: %.400s", what,
		    detail != NULL ? detail : "");
}

/* Decode %XX and '+' (form and query encoding). */
static char *
url_decode(const char *s, size_t len)
{
	char		*out, *o, hex[3];
	size_t		 i;

	out = o = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			*o++ = ' ';
		else if (s[i] == '%' && i + 2 < len) {
			hex[0] = s[i + 1];
			hex[1] = s[i + 2];
			hex[2] = '\0';
			*o++ = (char)strtol(hex, NULL, 16);
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return (out);
}

/* The decoded value of key in "a=b&c=d", or NULL. */
static char *
form_get(const char *form, const char *key)
{
	const char	*p = form, *eq, *amp;
	size_t		 klen = strlen(key);

	while (p != NULL && *p != '\0') {
		amp = strchr(p, '&');
		eq = strchr(p, '=');
		if (eq != NULL && (amp == NULL || eq < amp) &&
		    (size_t)(eq - p) == klen && strncmp(p, key, klen) == 0)
			return (url_decode(eq + 1, amp != NULL ?
			    (size_t)(amp - eq - 1) : strlen(eq + 1)));
		p = amp != NULL ? amp + 1 : NULL;
	}
	return (NULL);
}

static unsigned char *
b64url_decode(const char *s, size_t len, size_t *outlen)
{
	unsigned char	*out;
	uint32_t	 v = 0;
	size_t		 i, n = 0;
	int		 bits = 0, c;

	out = xmalloc(len * 3 / 4 + 3);
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c -= 'A';
		else if (c >= 'a' && c <= 'z')
			c = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			c = c - '0' + 52;
		else if (c == '-')
			c = 62;
		else if (c == '_')
			c = 63;
		else {
			free(out);
			return (NULL);	/* '=', '+', '/': not base64url */
		}
		v = v << 6 | (uint32_t)c;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(v >> bits & 0xff);
		}
	}
	out[n] = '\0';
	*outlen = n;
	return (out);
}

static char *
key_pem(EVP_PKEY *k)
{
	BIO	*bio = BIO_new(BIO_s_mem());
	char	*data, *pem;
	long	 len;

	if (PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL) != 1)
		abort();	/* also called from main(), outside any test */
	len = BIO_get_mem_data(bio, &data);
	pem = xmalloc((size_t)len + 1);
	memcpy(pem, data, (size_t)len);
	pem[len] = '\0';
	BIO_free(bio);
	return (pem);
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

/* A service account key file as the Cloud console writes it. */
static void
write_sa(const char *path, const char *pem, const char *token_uri)
{
	cJSON	*j = cJSON_CreateObject();
	char	*s;

	cJSON_AddStringToObject(j, "type", "service_account");
	cJSON_AddStringToObject(j, "project_id", PROJECT);
	cJSON_AddStringToObject(j, "private_key_id", KID);
	cJSON_AddStringToObject(j, "private_key", pem);
	cJSON_AddStringToObject(j, "client_email", EMAIL);
	cJSON_AddStringToObject(j, "client_id", "103070474227410923847");
	cJSON_AddStringToObject(j, "auth_uri",
	    "https://accounts.google.com/o/oauth2/auth");
	cJSON_AddStringToObject(j, "token_uri", token_uri);
	s = cJSON_Print(j);
	write_file(path, s, 0600);
	cJSON_free(s);
	cJSON_Delete(j);
}

/* --- the fake token endpoint ---------------------------------------------- */

static int
fake_reply(struct httpd_reply *out, int status, char *body)
{
	out->status = status;
	out->headers = json_hdrs;
	out->body = body;
	out->body_free = 1;
	return (0);
}

static int
fake_json(struct httpd_reply *out, int status, cJSON *j)
{
	char	*s = cJSON_PrintUnformatted(j), *body;

	cJSON_Delete(j);
	body = xstrdup(s);
	cJSON_free(s);
	return (fake_reply(out, status, body));
}

static int
fake_invalid_grant(struct httpd_reply *out, const char *desc)
{
	char	*body;

	xasprintf(&body, "{\"error\": \"invalid_grant\", "
	    "\"error_description\": \"%s\"}", desc);
	return (fake_reply(out, 400, body));
}

/*
 * POST /token, grant_type jwt-bearer: the JWT's header names RS256, its
 * claims give iss, scope, aud (the token URL), iat and exp (at most an
 * hour later), and its signature verifies with the account's public key.
 */
static int
fake_token(const struct httpd_request *rq, struct httpd_reply *out)
{
	char		*grant, *jwt, *d1, *d2, *body;
	const char	*ct;
	unsigned char	*hdr = NULL, *clm = NULL, *sig = NULL;
	size_t		 hl, cl, sl;
	cJSON		*h = NULL, *c = NULL, *j;
	const cJSON	*iat, *exp;
	EVP_MD_CTX	*ctx;
	time_t		 now = time(NULL);
	int		 ok;

	fk.token_reqs++;
	ct = httpd_request_header(rq, "Content-Type");
	if (ct == NULL || strcmp(ct, "application/x-www-form-urlencoded") != 0)
		fake_bad("token: content type", ct);
	grant = form_get(rq->body, "grant_type");
	jwt = form_get(rq->body, "assertion");
	if (grant == NULL || strcmp(grant,
	    "urn:ietf:params:oauth:grant-type:jwt-bearer") != 0)
		fake_bad("token: grant_type", grant);
	free(grant);
	if (jwt == NULL || (d1 = strchr(jwt, '.')) == NULL ||
	    (d2 = strchr(d1 + 1, '.')) == NULL) {
		fake_bad("token: assertion", jwt);
		free(jwt);
		return (fake_invalid_grant(out, "Invalid JWT."));
	}
	if (fk.njwts < MAX_TOKENS)
		fk.jwts[fk.njwts++] = xstrdup(jwt);
	hdr = b64url_decode(jwt, (size_t)(d1 - jwt), &hl);
	clm = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &cl);
	sig = b64url_decode(d2 + 1, strlen(d2 + 1), &sl);
	if (hdr == NULL || clm == NULL || sig == NULL ||
	    (h = cJSON_Parse((char *)hdr)) == NULL ||
	    (c = cJSON_Parse((char *)clm)) == NULL) {
		fake_bad("token: JWT encoding", jwt);
		ok = 0;
		goto done;
	}
	if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(h, "alg")),
	    "RS256") != 0 || cJSON_GetStringValue(cJSON_GetObjectItem(h,
	    "typ")) == NULL || strcmp(cJSON_GetStringValue(
	    cJSON_GetObjectItem(h, "typ")), "JWT") != 0 ||
	    cJSON_GetStringValue(cJSON_GetObjectItem(h, "kid")) == NULL ||
	    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(h, "kid")),
	    KID) != 0)
		fake_bad("token: JWT header", (char *)hdr);
	iat = cJSON_GetObjectItem(c, "iat");
	exp = cJSON_GetObjectItem(c, "exp");
	if (cJSON_GetStringValue(cJSON_GetObjectItem(c, "iss")) == NULL ||
	    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(c, "iss")),
	    EMAIL) != 0 ||
	    cJSON_GetStringValue(cJSON_GetObjectItem(c, "scope")) == NULL ||
	    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(c, "scope")),
	    SCOPE) != 0 ||
	    cJSON_GetStringValue(cJSON_GetObjectItem(c, "aud")) == NULL ||
	    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(c, "aud")),
	    fk.token_url) != 0 || !cJSON_IsNumber(iat) ||
	    !cJSON_IsNumber(exp) || exp->valuedouble - iat->valuedouble !=
	    3600 || iat->valuedouble < (double)now - 60 ||
	    iat->valuedouble > (double)now + 60)
		fake_bad("token: JWT claims", (char *)clm);
	/* the signature, over "header.claims", with the public key */
	ctx = EVP_MD_CTX_new();
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, sa_key) == 1 &&
	    EVP_DigestVerify(ctx, sig, sl, (unsigned char *)jwt,
	    (size_t)(d2 - jwt)) == 1;
	EVP_MD_CTX_free(ctx);

done:
	cJSON_Delete(h);
	cJSON_Delete(c);
	free(hdr);
	free(clm);
	free(sig);
	free(jwt);
	if (!ok)
		return (fake_reply(out, 400, xstrdup(ERR_SIG)));
	ck_assert_uint_lt(fk.ntokens, MAX_TOKENS);
	xasprintf(&fk.tokens[fk.ntokens], "ya29.c.Fake-Access-Token-%u-%ld",
	    fk.ntokens + 1, (long)getpid());
	fk.token_until = now_ms() + (uint64_t)fk.expires_in * 1000;
	fk.revoked = 0;
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "access_token", fk.tokens[fk.ntokens]);
	cJSON_AddNumberToObject(j, "expires_in", fk.expires_in);
	cJSON_AddStringToObject(j, "token_type", "Bearer");
	fk.ntokens++;
	body = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	out->status = 200;
	out->headers = json_hdrs;
	out->body = xstrdup(body);
	out->body_free = 1;
	cJSON_free(body);
	return (0);
}

/* Authorization: Bearer with the last token issued, not expired. */
static int
fake_authorized(const struct httpd_request *rq)
{
	const char	*a = httpd_request_header(rq, "Authorization");

	if (fk.ntokens == 0 || fk.revoked || fk.refuse_all ||
	    now_ms() >= fk.token_until || a == NULL ||
	    strncmp(a, "Bearer ", 7) != 0 ||
	    strcmp(a + 7, fk.tokens[fk.ntokens - 1]) != 0)
		return (0);
	return (1);
}

/* --- the fake Cloud DNS API ----------------------------------------------- */

static cJSON *
rrset_new(const char *name, const char *type, int ttl, const char *const *rd)
{
	cJSON	*o = cJSON_CreateObject(), *arr;

	cJSON_AddStringToObject(o, "kind", "dns#resourceRecordSet");
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddNumberToObject(o, "ttl", ttl);
	arr = cJSON_AddArrayToObject(o, "rrdatas");
	for (; *rd != NULL; rd++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(*rd));
	return (o);
}

static void
fake_add(const char *name, const char *type, int ttl, const char *const *rd)
{
	cJSON_AddItemToArray(fk.rrsets, rrset_new(name, type, ttl, rd));
}

static void
fake_add1(const char *name, const char *type, int ttl, const char *rd)
{
	const char	*v[2] = { rd, NULL };

	fake_add(name, type, ttl, v);
}

static void
fake_zone(const char *name, const char *dns, const char *visibility)
{
	cJSON	*z = cJSON_CreateObject(), *ns;

	cJSON_AddStringToObject(z, "kind", "dns#managedZone");
	cJSON_AddStringToObject(z, "name", name);
	cJSON_AddStringToObject(z, "dnsName", dns);
	cJSON_AddStringToObject(z, "id", "4711");
	cJSON_AddStringToObject(z, "visibility", visibility);
	ns = cJSON_AddArrayToObject(z, "nameServers");
	cJSON_AddItemToArray(ns, cJSON_CreateString(
	    "ns-cloud-a1.googledomains.com."));
	cJSON_AddItemToArray(ns, cJSON_CreateString(
	    "NS-Cloud-A2.googledomains.com."));
	cJSON_AddItemToArray(ns, cJSON_CreateString(
	    "ns-cloud-a3.googledomains.com."));
	cJSON_AddItemToArray(fk.zones, z);
}

static cJSON *
rrset_find(cJSON *arr, const char *name, const char *type)
{
	cJSON	*rs;

	cJSON_ArrayForEach(rs, arr) {
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(rs,
		    "name")), name) == 0 && strcmp(cJSON_GetStringValue(
		    cJSON_GetObjectItem(rs, "type")), type) == 0)
			return (rs);
	}
	return (NULL);
}

/* Same TTL and the same rrdata strings, exactly (in any order). */
static int
rrset_same(const cJSON *a, const cJSON *b)
{
	const cJSON	*ra = cJSON_GetObjectItem(a, "rrdatas");
	const cJSON	*rb = cJSON_GetObjectItem(b, "rrdatas");
	const cJSON	*x, *y;
	int		 found;

	if (cJSON_GetObjectItem(a, "ttl")->valuedouble !=
	    cJSON_GetObjectItem(b, "ttl")->valuedouble ||
	    cJSON_GetArraySize(ra) != cJSON_GetArraySize(rb))
		return (0);
	cJSON_ArrayForEach(x, ra) {
		found = 0;
		cJSON_ArrayForEach(y, rb) {
			if (strcmp(x->valuestring, y->valuestring) == 0)
				found = 1;
		}
		if (!found)
			return (0);
	}
	return (1);
}

static int	google_error(struct httpd_reply *, int, const char *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));

static int
google_error(struct httpd_reply *out, int code, const char *reason,
    const char *fmt, ...)
{
	char	msg[512], *body;
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xasprintf(&body, "{\"error\": {\"code\": %d, \"message\": \"%s\", "
	    "\"errors\": [{\"message\": \"%s\", \"domain\": \"global\", "
	    "\"reason\": \"%s\"}]}}", code, msg, msg, reason);
	return (fake_reply(out, code, body));
}

/*
 * POST changes: deletions must match existing data exactly (else 412
 * conditionNotMet), additions must not exist (else 409 alreadyExists),
 * at most 1,000 of each and 100,000 bytes of rrdata; all or nothing.
 */
static int
fake_change(const struct httpd_request *rq, struct httpd_reply *out)
{
	cJSON		*j, *adds, *dels, *rs, *cur, *state, *resp;
	const cJSON	*rd;
	char		 where[64], id[16];
	size_t		 bytes = 0;
	int		 i;

	j = cJSON_ParseWithLength(rq->body, rq->body_len);
	if (j == NULL) {
		fake_bad("change: body", rq->body);
		return (google_error(out, 400, "parseError", "Parse Error"));
	}
	adds = cJSON_GetObjectItem(j, "additions");
	dels = cJSON_GetObjectItem(j, "deletions");
	if (cJSON_GetArraySize(adds) > 1000 || cJSON_GetArraySize(dels) > 1000)
		fake_bad("change: more than 1,000 additions or deletions", "");
	cJSON_ArrayForEach(rs, adds) {
		cJSON_ArrayForEach(rd, cJSON_GetObjectItem(rs, "rrdatas"))
			bytes += strlen(rd->valuestring);
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(rs,
		    "type")), "SOA") == 0)
			fake_bad("change: SOA sent", "");
	}
	cJSON_ArrayForEach(rs, dels) {
		cJSON_ArrayForEach(rd, cJSON_GetObjectItem(rs, "rrdatas"))
			bytes += strlen(rd->valuestring);
	}
	if (bytes > 100000)
		fake_bad("change: more than 100,000 bytes of rrdata", "");
	state = cJSON_Duplicate(fk.rrsets, 1);
	i = 0;
	cJSON_ArrayForEach(rs, dels) {
		cur = rrset_find(state, cJSON_GetStringValue(
		    cJSON_GetObjectItem(rs, "name")), cJSON_GetStringValue(
		    cJSON_GetObjectItem(rs, "type")));
		if (cur == NULL || !rrset_same(cur, rs)) {
			snprintf(where, sizeof(where), "%d", i);
			cJSON_Delete(state);
			cJSON_Delete(j);
			return (google_error(out, 412, "conditionNotMet",
			    "Precondition not met for "
			    "'entity.change.deletions[%s]'", where));
		}
		cJSON_Delete(cJSON_DetachItemViaPointer(state, cur));
		i++;
	}
	i = 0;
	cJSON_ArrayForEach(rs, adds) {
		if (rrset_find(state, cJSON_GetStringValue(
		    cJSON_GetObjectItem(rs, "name")), cJSON_GetStringValue(
		    cJSON_GetObjectItem(rs, "type"))) != NULL) {
			char	named[300];

			snprintf(where, sizeof(where), "%d", i);
			snprintf(named, sizeof(named), "%s (%s)",
			    cJSON_GetStringValue(cJSON_GetObjectItem(rs,
			    "name")), cJSON_GetStringValue(
			    cJSON_GetObjectItem(rs, "type")));
			cJSON_Delete(state);
			cJSON_Delete(j);
			return (google_error(out, 409, "alreadyExists",
			    "The resource 'entity.change.additions[%s]' named "
			    "'%s' already exists", where, named));
		}
		cJSON_AddItemToArray(state, cJSON_Duplicate(rs, 1));
		i++;
	}
	cJSON_Delete(fk.rrsets);
	fk.rrsets = state;
	ck_assert_uint_lt(fk.nchanges, MAX_CHANGES);
	fk.nchanges++;
	snprintf(id, sizeof(id), "%u", fk.nchanges);
	resp = cJSON_CreateObject();
	cJSON_AddStringToObject(resp, "kind", "dns#change");
	cJSON_AddItemToObject(resp, "additions", cJSON_Duplicate(adds, 1));
	cJSON_AddItemToObject(resp, "deletions", cJSON_Duplicate(dels, 1));
	cJSON_AddStringToObject(resp, "startTime", "2026-06-01T12:00:00.000Z");
	cJSON_AddStringToObject(resp, "id", id);
	cJSON_AddStringToObject(resp, "status", fk.pending > 0 ? "pending" :
	    "done");
	cJSON_Delete(j);
	return (fake_json(out, 200, resp));
}

/* GET changes/{id}: "pending" for fk.pending reads in all, then "done". */
static int
fake_poll(const char *id, struct httpd_reply *out)
{
	cJSON		*resp;
	unsigned	 n = (unsigned)strtoul(id, NULL, 10);

	if (n == 0 || n > fk.nchanges)
		return (google_error(out, 404, "notFound", "The 'parameters."
		    "changeId' resource named '%s' does not exist.", id));
	fk.polls[n - 1]++;
	resp = cJSON_CreateObject();
	cJSON_AddStringToObject(resp, "kind", "dns#change");
	cJSON_AddStringToObject(resp, "id", id);
	cJSON_AddStringToObject(resp, "status", fk.polls[n - 1] < fk.pending ?
	    "pending" : "done");
	return (fake_json(out, 200, resp));
}

/* GET rrsets: fk.page_size per page, nextPageToken until the last. */
static int
fake_list(const struct httpd_request *rq, struct httpd_reply *out)
{
	cJSON		*resp, *arr;
	const char	*q = strchr(rq->uri, '?');
	char		*tok = NULL, next[32];
	unsigned	 page = 0, i, n;

	if (q != NULL) {
		tok = form_get(q + 1, "pageToken");
		if (tok == NULL || sscanf(tok, "pg+%u/=", &page) != 1) {
			fake_bad("list: pageToken", rq->uri);
			free(tok);
			return (google_error(out, 400, "invalid",
			    "Invalid value for 'pageToken': %s", rq->uri));
		}
		free(tok);
	}
	resp = cJSON_CreateObject();
	cJSON_AddStringToObject(resp, "kind",
	    "dns#resourceRecordSetsListResponse");
	arr = cJSON_AddArrayToObject(resp, "rrsets");
	n = (unsigned)cJSON_GetArraySize(fk.rrsets);
	for (i = page * fk.page_size; i < n && i < (page + 1) * fk.page_size;
	    i++)
		cJSON_AddItemToArray(arr, cJSON_Duplicate(
		    cJSON_GetArrayItem(fk.rrsets, (int)i), 1));
	if ((page + 1) * fk.page_size < n) {
		snprintf(next, sizeof(next), "pg+%u/=", page + 1);
		cJSON_AddStringToObject(resp, "nextPageToken", next);
	}
	return (fake_json(out, 200, resp));
}

/* GET managedZones?dnsName=: one zone per page. */
static int
fake_zones(const struct httpd_request *rq, struct httpd_reply *out)
{
	cJSON		*resp, *arr, *z;
	const char	*q = strchr(rq->uri, '?');
	char		*dns = NULL, *tok = NULL, next[16];
	unsigned	 page = 0, n = 0;

	if (q != NULL) {
		dns = form_get(q + 1, "dnsName");
		tok = form_get(q + 1, "pageToken");
	}
	if (tok != NULL)
		page = (unsigned)strtoul(tok + 1, NULL, 10);
	resp = cJSON_CreateObject();
	cJSON_AddStringToObject(resp, "kind", "dns#managedZonesListResponse");
	arr = cJSON_AddArrayToObject(resp, "managedZones");
	cJSON_ArrayForEach(z, fk.zones) {
		if (dns != NULL && strcmp(dns, cJSON_GetStringValue(
		    cJSON_GetObjectItem(z, "dnsName"))) != 0)
			continue;
		if (n++ == page)
			cJSON_AddItemToArray(arr, cJSON_Duplicate(z, 1));
	}
	if (page + 1 < n) {
		snprintf(next, sizeof(next), "z%u", page + 1);
		cJSON_AddStringToObject(resp, "nextPageToken", next);
	}
	free(dns);
	free(tok);
	return (fake_json(out, 200, resp));
}

static int
fake_cb(const struct httpd_request *rq, struct httpd_reply *out, void *arg)
{
	cJSON		*z;
	const char	*name;

	(void)arg;
	if (strcmp(rq->path, TOKEN_PATH) == 0 &&
	    strcmp(rq->method, "POST") == 0)
		return (fake_token(rq, out));
	if (!fake_authorized(rq)) {
		fk.n401++;
		return (fake_reply(out, 401, xstrdup(ERR_401)));
	}
	if (strcmp(rq->method, "GET") == 0 && strcmp(rq->path, ZONES) == 0)
		return (fake_zones(rq, out));
	if (strcmp(rq->method, "GET") == 0 && strncmp(rq->path, ZONES "/",
	    strlen(ZONES "/")) == 0 && strchr(rq->path + strlen(ZONES "/"),
	    '/') == NULL) {
		name = rq->path + strlen(ZONES "/");
		cJSON_ArrayForEach(z, fk.zones) {
			if (strcmp(name, cJSON_GetStringValue(
			    cJSON_GetObjectItem(z, "name"))) == 0)
				return (fake_json(out, 200,
				    cJSON_Duplicate(z, 1)));
		}
		return (google_error(out, 404, "notFound", "The 'parameters."
		    "managedZone' resource named '%s' does not exist.", name));
	}
	if (strcmp(rq->method, "GET") == 0 && strcmp(rq->path, RRSETS) == 0)
		return (fake_list(rq, out));
	if (strcmp(rq->method, "POST") == 0 && strcmp(rq->path, CHANGES) == 0)
		return (fake_change(rq, out));
	if (strcmp(rq->method, "GET") == 0 && strncmp(rq->path, CHANGES "/",
	    strlen(CHANGES "/")) == 0)
		return (fake_poll(rq->path + strlen(CHANGES "/"), out));
	fake_bad("unexpected request", rq->uri);
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
fake_seed_base(void)
{
	static const char *const ns[] = {
		"ns-cloud-a1.googledomains.com.",
		"ns-cloud-a2.googledomains.com.",
		"ns-cloud-a3.googledomains.com.",
		"ns-cloud-a4.googledomains.com.", NULL
	};

	fake_add1(ORIGIN, "SOA", 21600, SOA_RD);
	fake_add(ORIGIN, "NS", 21600, ns);
}

static void
setup(void)
{
	char	*url;
	int	 fd;

	log_init(LOG_LEVEL_WARN, "check_gcloud");
	base = event_base_new();
	http = http_new(base);
	srv = httpd_new(base);
	httpd_on(srv, fake_cb, NULL);
	memset(&fk, 0, sizeof(fk));
	url = httpd_url(srv, TOKEN_PATH);
	snprintf(fk.token_url, sizeof(fk.token_url), "%s", url);
	free(url);
	fk.expires_in = 3599;
	fk.page_size = 100;
	fk.zones = cJSON_CreateArray();
	fk.rrsets = cJSON_CreateArray();
	fake_zone("example-com", ORIGIN, "public");
	fake_seed_base();

	snprintf(safile, sizeof(safile), "/tmp/check_gcloud.XXXXXX");
	fd = mkstemp(safile);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_sa(safile, sa_pem, fk.token_url);

	memset(&pc, 0, sizeof(pc));
	pc.name = xstrdup("gcp");
	pc.type = xstrdup("gcloud");
	pc.timeout = 5;
	pc.max_concurrency = 4;
	conf_set(&pc, "service-account-file", safile);
	conf_set(&pc, "project", PROJECT);
	url = httpd_url(srv, "");
	conf_set(&pc, "api-url", url);
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
	unsigned	i;

	provider_free(prov);
	prov = NULL;
	result_clear(&r1);
	conf_clear(&pc);
	unlink(safile);
	httpd_free(srv);
	http_free(http);
	event_base_free(base);
	for (i = 0; i < fk.ntokens; i++)
		free(fk.tokens[i]);
	for (i = 0; i < fk.njwts; i++)
		free(fk.jwts[i]);
	cJSON_Delete(fk.zones);
	cJSON_Delete(fk.rrsets);
	ck_assert_msg(fk.bad[0] == '\0', "the fake saw: %s", fk.bad);
}

/* --- callbacks and the loop ----------------------------------------------- */

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
start_fetch(struct provider *p, struct result *r)
{
	char	err[512];

	ck_assert_msg(p->ops->fetch(p, ORIGIN, fetch_cb, r, err,
	    sizeof(err)) == 0, "fetch: %s", err);
}

static void
do_fetch(struct provider *p, struct result *r, unsigned ms)
{
	start_fetch(p, r);
	run_until(r, ms);
}

static void
do_apply(struct provider *p, const struct changeset *cs, struct result *r,
    unsigned ms)
{
	char	err[512];

	ck_assert_msg(p->ops->apply(p, ORIGIN, cs, apply_cb, r, err,
	    sizeof(err)) == 0, "apply: %s", err);
	run_until(r, ms);
}

/* The zone the fake holds, fetched; the test fails unless it works. */
static struct zone *
fetch_zone(void)
{
	struct result	 r;
	struct zone	*z;

	memset(&r, 0, sizeof(r));
	do_fetch(prov, &r, 10000);
	ck_assert_msg(r.status == 0, "fetch: %s", r.error);
	z = r.zone;
	r.zone = NULL;
	result_clear(&r);
	return (z);
}

/* Build a zone: the fake's base (SOA, NS) plus "owner ttl TYPE rdata". */
static struct zone *
mkzone(const char *const *lines, size_t n)
{
	static const char *const basel[] = {
		"@ 21600 SOA " SOA_RD,
		"@ 21600 NS ns-cloud-a1.googledomains.com.",
		"@ 21600 NS ns-cloud-a2.googledomains.com.",
		"@ 21600 NS ns-cloud-a3.googledomains.com.",
		"@ 21600 NS ns-cloud-a4.googledomains.com.",
	};
	struct zone		*z = zone_new(ORIGIN);
	struct zone_error	 err;
	char			 owner[300], type[16], *rdata;
	const char		*line;
	unsigned		 ttl;
	size_t			 i;

	ck_assert_ptr_nonnull(z);
	rdata = xmalloc(8192);
	for (i = 0; i < n + 5; i++) {
		line = i < 5 ? basel[i] : lines[i - 5];
		ck_assert_int_eq(sscanf(line, "%255s %u %15s %8191[^\n]",
		    owner, &ttl, type, rdata), 4);
		ck_assert_msg(zone_add_rr_text(z, owner,
		    ldns_get_rr_type_by_name(type), ttl, rdata, &err) == 0,
		    "%s: %s", line, err.msg);
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

/* Count requests of method on path (with the query when path has '?'). */
static size_t
count_requests(const char *method, const char *path)
{
	const struct httpd_request	*rq;
	size_t				 i, n = 0;

	for (i = 0; i < httpd_nrequests(srv); i++) {
		rq = httpd_request(srv, i);
		if (strcmp(rq->method, method) == 0 && strcmp(strchr(path,
		    '?') != NULL ? rq->uri : rq->path, path) == 0)
			n++;
	}
	return (n);
}

static void
assert_request(size_t i, const char *method, const char *uri)
{
	const struct httpd_request	*rq = httpd_request(srv, i);

	ck_assert_msg(rq != NULL, "no request %zu", i);
	ck_assert_str_eq(rq->method, method);
	ck_assert_str_eq(rq->uri, uri);
}

/* --- auth ----------------------------------------------------------------- */

/*
 * An access token is good for expires_in seconds: one token request
 * serves several API requests, also when they start together (the JWT is
 * verified by the fake: RS256 signature, iss, scope, aud, exp = iat+3600).
 */
START_TEST(test_token_once_reused)
{
	struct result	r[3];
	const struct httpd_request *rq;
	char		want[256];
	size_t		i;

	prov = provider_ok(&pc);
	memset(r, 0, sizeof(r));
	for (i = 0; i < 3; i++)
		start_fetch(prov, &r[i]);
	for (i = 0; i < 3; i++) {
		run_until(&r[i], 10000);
		ck_assert_msg(r[i].status == 0, "fetch %zu: %s", i, r[i].error);
		ck_assert_uint_eq(r[i].zone->nrrsets, 2);
		result_clear(&r[i]);
	}
	do_fetch(prov, &r1, 10000);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_uint_eq(fk.token_reqs, 1);
	ck_assert_uint_eq(count_requests("POST", TOKEN_PATH), 1);
	/* 3 zone lookups and 3 listings, then 1 listing (zone cached) */
	ck_assert_uint_eq(httpd_nrequests(srv), 8);
	ck_assert_uint_eq(count_requests("GET", RRSETS), 4);
	assert_request(0, "POST", TOKEN_PATH);
	snprintf(want, sizeof(want), "Bearer %s", fk.tokens[0]);
	for (i = 1; i < httpd_nrequests(srv); i++) {
		rq = httpd_request(srv, i);
		ck_assert_str_eq(httpd_request_header(rq, "Authorization"),
		    want);
	}
	ck_assert_uint_eq(fk.n401, 0);
}
END_TEST

/*
 * Tokens expire after expires_in seconds: a new one is fetched before the
 * old one runs out (no request is sent with a token about to expire).
 */
START_TEST(test_token_refresh_before_expiry)
{
	struct result	r2;
	char		want[256];

	fk.expires_in = 2;
	prov = provider_ok(&pc);
	do_fetch(prov, &r1, 10000);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_uint_eq(fk.ntokens, 1);
	run_for(1200);	/* token still valid at Google for 0.8 s */
	memset(&r2, 0, sizeof(r2));
	do_fetch(prov, &r2, 10000);
	ck_assert_msg(r2.status == 0, "fetch: %s", r2.error);
	result_clear(&r2);
	ck_assert_uint_eq(fk.token_reqs, 2);
	ck_assert_uint_eq(fk.n401, 0);
	snprintf(want, sizeof(want), "Bearer %s", fk.tokens[1]);
	ck_assert_str_eq(httpd_request_header(httpd_request(srv,
	    httpd_nrequests(srv) - 1), "Authorization"), want);
}
END_TEST

/*
 * A revoked or expired token gets 401 UNAUTHENTICATED: one new token, the
 * request sent once more, and the fetch succeeds.
 */
START_TEST(test_token_401_refresh)
{
	struct result	r2;
	size_t		n;

	prov = provider_ok(&pc);
	do_fetch(prov, &r1, 10000);
	ck_assert_int_eq(r1.status, 0);
	n = httpd_nrequests(srv);
	fk.revoked = 1;
	memset(&r2, 0, sizeof(r2));
	do_fetch(prov, &r2, 10000);
	ck_assert_msg(r2.status == 0, "fetch: %s", r2.error);
	ck_assert_uint_eq(r2.zone->nrrsets, 2);
	result_clear(&r2);
	ck_assert_uint_eq(fk.n401, 1);
	ck_assert_uint_eq(fk.token_reqs, 2);
	ck_assert_uint_eq(httpd_nrequests(srv), n + 3);
	assert_request(n, "GET", RRSETS);
	assert_request(n + 1, "POST", TOKEN_PATH);
	assert_request(n + 2, "GET", RRSETS);
}
END_TEST

/* A 401 with a fresh token too: one refresh only, then a clear error. */
START_TEST(test_token_401_twice)
{
	prov = provider_ok(&pc);
	fk.refuse_all = 1;
	do_fetch(prov, &r1, 10000);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "HTTP 401: Request had invalid "
	    "authentication credentials. (authError)");
	ck_assert_ptr_null(r1.zone);
	ck_assert_uint_eq(fk.token_reqs, 2);
	ck_assert_uint_eq(fk.n401, 2);
	ck_assert_uint_eq(httpd_nrequests(srv), 4);
}
END_TEST

/*
 * A JWT signed with a key Google does not know: 400 invalid_grant
 * "Invalid JWT Signature."; every operation waiting for the token fails
 * with that text and no API request is made.
 */
START_TEST(test_bad_signature)
{
	struct result	r2;

	write_sa(safile, other_pem, fk.token_url);
	prov = provider_ok(&pc);
	memset(&r2, 0, sizeof(r2));
	start_fetch(prov, &r1);
	start_fetch(prov, &r2);
	run_until(&r1, 10000);
	run_until(&r2, 10000);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "token endpoint: HTTP 400: invalid_grant: "
	    "Invalid JWT Signature.");
	ck_assert_str_eq(r2.error, r1.error);
	result_clear(&r2);
	ck_assert_uint_eq(fk.token_reqs, 1);
	ck_assert_uint_eq(httpd_nrequests(srv), 1);
	ck_assert_uint_eq(fk.n401, 0);
}
END_TEST

/* token-url overrides the key file's token_uri. */
START_TEST(test_token_url_config)
{
	char	*url;

	write_sa(safile, sa_pem, "http://127.0.0.1:1/never");
	url = httpd_url(srv, TOKEN_PATH);
	conf_set(&pc, "token-url", url);
	free(url);
	prov = provider_ok(&pc);
	do_fetch(prov, &r1, 10000);
	ck_assert_msg(r1.status == 0, "fetch: %s", r1.error);
	ck_assert_uint_eq(fk.token_reqs, 1);
}
END_TEST

/* --- the managed zone ----------------------------------------------------- */

/*
 * managedZones.list with dnsName: the one public zone of that name is
 * used (a private zone of the same name is not), over several pages.
 */
START_TEST(test_zone_lookup)
{
	fk.zones = (cJSON_Delete(fk.zones), cJSON_CreateArray());
	fake_zone("split-horizon", ORIGIN, "private");
	fake_zone("example-com", ORIGIN, "public");
	fake_zone("sub", "sub.example.com.", "public");
	prov = provider_ok(&pc);
	do_fetch(prov, &r1, 10000);
	ck_assert_msg(r1.status == 0, "fetch: %s", r1.error);
	ck_assert_uint_eq(httpd_nrequests(srv), 4);
	assert_request(1, "GET", ZONES "?dnsName=example.com.");
	assert_request(2, "GET", ZONES "?dnsName=example.com.&pageToken=z1");
	assert_request(3, "GET", RRSETS);
}
END_TEST

/* No public managed zone serves the name: "zone not found", no listing. */
START_TEST(test_zone_lookup_none)
{
	fk.zones = (cJSON_Delete(fk.zones), cJSON_CreateArray());
	fake_zone("split-horizon", ORIGIN, "private");
	prov = provider_ok(&pc);
	do_fetch(prov, &r1, 10000);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "zone not found");
	ck_assert_ptr_null(r1.zone);
	ck_assert_uint_eq(count_requests("GET", RRSETS), 0);
}
END_TEST

/* Two public zones of the name: ambiguous, an error, nothing read. */
START_TEST(test_zone_lookup_two)
{
	fake_zone("example-com-2", ORIGIN, "public");
	prov = provider_ok(&pc);
	do_fetch(prov, &r1, 10000);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "2 public managed zones serve example.com.; "
	    "set managed-zone");
	ck_assert_uint_eq(count_requests("GET", RRSETS), 0);
}
END_TEST

/*
 * managed-zone given: managedZones.get by name, and its dnsName must be
 * the zone (else an error, nothing read); a missing one is 404.
 */
START_TEST(test_managed_zone_configured)
{
	struct result	r2, r3;

	fake_zone("other", "other.org.", "public");
	conf_set(&pc, "managed-zone", "example-com");
	prov = provider_ok(&pc);
	do_fetch(prov, &r1, 10000);
	ck_assert_msg(r1.status == 0, "fetch: %s", r1.error);
	assert_request(1, "GET", ZPATH);
	assert_request(2, "GET", RRSETS);
	provider_free(prov);

	conf_set(&pc, "managed-zone", "other");
	prov = provider_ok(&pc);
	memset(&r2, 0, sizeof(r2));
	do_fetch(prov, &r2, 10000);
	ck_assert_int_eq(r2.status, -1);
	ck_assert_str_eq(r2.error, "managed zone other serves other.org., not "
	    "example.com.");
	result_clear(&r2);
	provider_free(prov);

	conf_set(&pc, "managed-zone", "gone");
	prov = provider_ok(&pc);
	memset(&r3, 0, sizeof(r3));
	do_fetch(prov, &r3, 10000);
	ck_assert_int_eq(r3.status, -1);
	ck_assert_str_eq(r3.error, "zone not found");
	result_clear(&r3);
	ck_assert_uint_eq(count_requests("GET", RRSETS), 1);
}
END_TEST

/* --- fetch ---------------------------------------------------------------- */

/*
 * rrsets.list pages: every page is read, pageToken sent back encoded, to
 * the answer without nextPageToken; all RRsets of all pages are there.
 */
START_TEST(test_pagination)
{
	char	name[64], addr[32];
	int	i;

	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "h%d.example.com.", i);
		snprintf(addr, sizeof(addr), "192.0.2.%d", i + 1);
		fake_add1(name, "A", 300, addr);
	}
	fk.page_size = 2;
	prov = provider_ok(&pc);
	do_fetch(prov, &r1, 10000);
	ck_assert_msg(r1.status == 0, "fetch: %s", r1.error);
	ck_assert_uint_eq(r1.zone->nrrsets, 9);
	ck_assert_ptr_nonnull(zone_find(r1.zone, "h6.example.com.",
	    LDNS_RR_TYPE_A));
	ck_assert_ptr_nonnull(zone_find(r1.zone, ORIGIN, LDNS_RR_TYPE_SOA));
	ck_assert_uint_eq(httpd_nrequests(srv), 7);
	assert_request(2, "GET", RRSETS);
	assert_request(3, "GET", RRSETS "?pageToken=pg%2B1%2F%3D");
	assert_request(4, "GET", RRSETS "?pageToken=pg%2B2%2F%3D");
	assert_request(5, "GET", RRSETS "?pageToken=pg%2B3%2F%3D");
	assert_request(6, "GET", RRSETS "?pageToken=pg%2B4%2F%3D");
}
END_TEST

/* A page that fails (400 invalid pageToken) fails the fetch: no zone. */
START_TEST(test_page_failure)
{
	static const char body[] = "{\"error\": {\"code\": 400, \"message\": "
	    "\"Invalid value for 'pageToken'\", \"errors\": [{\"reason\": "
	    "\"invalid\"}]}}";

	fake_add1("a.example.com.", "A", 300, "192.0.2.1");
	fk.page_size = 1;
	httpd_expect(srv, "GET", RRSETS "?pageToken=pg%2B2%2F%3D", 400,
	    json_hdrs, body);
	prov = provider_ok(&pc);
	do_fetch(prov, &r1, 10000);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, "HTTP 400: Invalid value for 'pageToken' "
	    "(invalid)");
	ck_assert_ptr_null(r1.zone);
	ck_assert_uint_eq(count_requests("GET", RRSETS), 3);
}
END_TEST

/* Answers that are not a complete listing are errors, never a zone. */
static const struct {
	const char	*body;
	const char	*error;
} bad_pages[] = {
	{ "{\"rrsets\": [{\"name\": \"example.com.\", \"type\": \"SOA\"",
	  "invalid response: page 1 is not a JSON object (50 bytes, cut "
	  "short?)" },
	{ "{}", "invalid response: no \"rrsets\" array" },
	{ "{\"kind\": \"dns#resourceRecordSetsListResponse\"}",
	  "invalid response: no SOA record at the apex" },
	{ "{\"rrsets\": [{\"name\": \"example.com.\", \"type\": \"SOA\", "
	  "\"ttl\": 300, \"rrdatas\": [\"" SOA_RD "\"]}]}",
	  "invalid response: no NS RRset at the apex" },
	{ "{\"rrsets\": [{\"name\": \"a.example.com.\", \"type\": \"A\", "
	  "\"ttl\": 300, \"rrdatas\": []}]}",
	  "invalid response: a.example.com. A: no rrdatas" },
	{ "{\"rrsets\": [{\"name\": \"a.example.com.\", \"type\": \"A\", "
	  "\"ttl\": 300, \"routingPolicy\": {\"geo\": {}}}]}",
	  "a.example.com. A: routing policies are not supported" },
	{ "{\"rrsets\": [], \"nextPageToken\": 7}",
	  "invalid response: bad nextPageToken" },
};

START_TEST(test_bad_page)
{
	httpd_expect(srv, "GET", RRSETS, 200, json_hdrs, bad_pages[_i].body);
	prov = provider_ok(&pc);
	do_fetch(prov, &r1, 10000);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_str_eq(r1.error, bad_pages[_i].error);
	ck_assert_ptr_null(r1.zone);
}
END_TEST

/* --- apply ---------------------------------------------------------------- */

/*
 * Every supported type (A, AAAA, CNAME, MX, TXT in several quoted
 * strings, SRV, CAA, NS, PTR) goes in as one atomic change and comes
 * back the same: the next diff is empty.
 */
START_TEST(test_roundtrip_all_types)
{
	static const char *const lines[] = {
		"@ 300 A 192.0.2.1",
		"@ 300 A 192.0.2.2",
		"@ 300 AAAA 2001:db8::1",
		"@ 3600 MX 10 mail.example.com.",
		"@ 3600 MX 20 mx2.example.net.",
		"@ 300 TXT \"v=spf1 include:_spf.example.net\" \"-all\"",
		"@ 300 CAA 0 issue \"letsencrypt.org\"",
		"www 300 CNAME example.com.",
		"quote 300 TXT \"say \\\"hi\\\"; ok\" \"semi;colon\"",
		"_sip._tcp 600 SRV 10 60 5060 sip.example.com.",
		"sub 86400 NS ns1.sub.example.com.",
		"sub 86400 NS ns2.elsewhere.example.",
		"1.2 300 PTR host.example.com.",
	};
	struct zone		*desired, *actual, *after;
	struct changeset	 cs, cs2;
	cJSON			*body;
	size_t			 i, n;

	desired = mkzone(lines, sizeof(lines) / sizeof(lines[0]));
	prov = provider_ok(&pc);
	actual = fetch_zone();
	ck_assert_int_eq(diff_zones(desired, actual, NULL, &cs), 0);
	ck_assert_uint_eq(cs.nchanges, 10);
	n = httpd_nrequests(srv);
	do_apply(prov, &cs, &r1, 10000);
	for (i = 0; i < cs.nchanges; i++)
		ck_assert_msg(r1.res.results[i] == CHANGE_RESULT_OK,
		    "change %zu: %s", i, r1.res.errors[i]);
	ck_assert_uint_eq(r1.res.api_calls, 1);
	assert_request(n, "POST", CHANGES);
	body = request_json(n);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(body,
	    "additions")), 10);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(body,
	    "deletions")), 0);
	cJSON_Delete(body);

	after = fetch_zone();
	ck_assert_int_eq(diff_zones(desired, after, NULL, &cs2), 0);
	ck_assert_uint_eq(cs2.nchanges, 0);
	ck_assert_ptr_nonnull(rrset_find(fk.rrsets, "quote.example.com.",
	    "TXT"));
	changeset_free(&cs2);
	changeset_free(&cs);
	zone_free(after);
	zone_free(actual);
	zone_free(desired);
}
END_TEST

/*
 * Deletions must match existing data exactly: the RRsets are sent back in
 * Google's own spelling (an unquoted TXT, upper-case names); an UPDATE is
 * the deletion of the old and the addition of the new in one change; the
 * apex NS can be replaced.
 */
START_TEST(test_update_delete_exact)
{
	static const char *const lines[] = {
		"@ 3600 MX 20 mail.example.com.",
	};
	static const char *const mx[] = { "10 MAIL.Example.COM.", NULL };
	struct zone		*desired, *actual, *after;
	struct rrset		*apex;
	struct zone_error	 zerr;
	struct zone		*nsz;
	struct diff_opts	 opts;
	struct changeset	 cs, cs2;
	cJSON			*body, *d, *a;
	size_t			 n;

	fake_add(ORIGIN, "MX", 3600, mx);
	fake_add1("old.example.com.", "TXT", 300, "hello world");
	desired = mkzone(lines, 1);
	nsz = zone_new(ORIGIN);
	ck_assert_int_eq(zone_add_rr_text(nsz, "@", LDNS_RR_TYPE_NS, 21600,
	    "ns-cloud-a1.googledomains.com.", &zerr), 0);
	ck_assert_int_eq(zone_add_rr_text(nsz, "@", LDNS_RR_TYPE_NS, 21600,
	    "ns1.other-provider.example.", &zerr), 0);
	ck_assert_int_eq(zone_finish(nsz, &zerr), 0);
	apex = &nsz->rrsets[0];
	memset(&opts, 0, sizeof(opts));
	opts.apex_ns = apex;

	prov = provider_ok(&pc);
	actual = fetch_zone();
	ck_assert_int_eq(diff_zones(desired, actual, &opts, &cs), 0);
	ck_assert_uint_eq(cs.nchanges, 3);	/* NS, MX update, TXT delete */
	n = httpd_nrequests(srv);
	do_apply(prov, &cs, &r1, 10000);
	ck_assert_msg(r1.res.results[0] == CHANGE_RESULT_OK, "%s",
	    r1.res.errors[0]);
	ck_assert_int_eq(r1.res.results[1], CHANGE_RESULT_OK);
	ck_assert_int_eq(r1.res.results[2], CHANGE_RESULT_OK);
	ck_assert_uint_eq(count_requests("POST", CHANGES), 1);
	body = request_json(n);
	d = cJSON_GetObjectItem(body, "deletions");
	a = cJSON_GetObjectItem(body, "additions");
	ck_assert_int_eq(cJSON_GetArraySize(d), 3);
	ck_assert_int_eq(cJSON_GetArraySize(a), 2);
	/* Google's text, not ours */
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(rrset_find(d,
	    ORIGIN, "MX"), "rrdatas"), 0)->valuestring, "10 MAIL.Example.COM.");
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(rrset_find(d,
	    "old.example.com.", "TXT"), "rrdatas"), 0)->valuestring,
	    "hello world");
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(rrset_find(a,
	    ORIGIN, "MX"), "rrdatas"), 0)->valuestring,
	    "20 mail.example.com.");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(rrset_find(a,
	    ORIGIN, "NS"), "rrdatas")), 2);
	ck_assert_ptr_null(rrset_find(a, ORIGIN, "SOA"));
	cJSON_Delete(body);

	after = fetch_zone();
	ck_assert_int_eq(diff_zones(desired, after, &opts, &cs2), 0);
	ck_assert_uint_eq(cs2.nchanges, 0);
	changeset_free(&cs2);
	changeset_free(&cs);
	zone_free(after);
	zone_free(actual);
	zone_free(desired);
	zone_free(nsz);
}
END_TEST

/* A deletion that no longer matches: 412 conditionNotMet, FAILED. */
START_TEST(test_delete_mismatch_412)
{
	struct zone		*desired, *actual;
	struct changeset	 cs;
	cJSON			*rs;

	fake_add1("gone.example.com.", "A", 300, "192.0.2.9");
	desired = mkzone(NULL, 0);
	prov = provider_ok(&pc);
	actual = fetch_zone();
	ck_assert_int_eq(diff_zones(desired, actual, NULL, &cs), 0);
	ck_assert_uint_eq(cs.nchanges, 1);
	/* someone else changes it in between */
	rs = rrset_find(fk.rrsets, "gone.example.com.", "A");
	cJSON_SetNumberValue(cJSON_GetObjectItem(rs, "ttl"), 60);
	do_apply(prov, &cs, &r1, 10000);
	ck_assert_int_eq(r1.res.results[0], CHANGE_RESULT_FAILED);
	ck_assert_str_eq(r1.res.errors[0], "HTTP 412: Precondition not met for "
	    "'entity.change.deletions[0]' (conditionNotMet)");
	changeset_free(&cs);
	zone_free(actual);
	zone_free(desired);
}
END_TEST

/* A change answered "pending" is read again until "done". */
START_TEST(test_change_pending_then_done)
{
	static const char *const lines[] = { "new 300 A 192.0.2.7" };
	struct zone		*desired, *actual;
	struct changeset	 cs;
	size_t			 n;

	fk.pending = 3;
	desired = mkzone(lines, 1);
	prov = provider_ok(&pc);
	actual = fetch_zone();
	ck_assert_int_eq(diff_zones(desired, actual, NULL, &cs), 0);
	n = httpd_nrequests(srv);
	do_apply(prov, &cs, &r1, 10000);
	ck_assert_msg(r1.res.results[0] == CHANGE_RESULT_OK, "%s",
	    r1.res.errors[0]);
	ck_assert_uint_eq(r1.res.api_calls, 4);
	ck_assert_uint_eq(httpd_nrequests(srv), n + 4);
	assert_request(n, "POST", CHANGES);
	assert_request(n + 1, "GET", CHANGES "/1");
	assert_request(n + 3, "GET", CHANGES "/1");
	ck_assert_uint_eq(fk.polls[0], 3);
	changeset_free(&cs);
	zone_free(actual);
	zone_free(desired);
}
END_TEST

/* A change still "pending" at the deadline: FAILED, saying so. */
START_TEST(test_change_pending_timeout)
{
	static const char *const lines[] = { "new 300 A 192.0.2.7" };
	struct zone		*desired, *actual;
	struct changeset	 cs;
	uint64_t		 t0;

	fk.pending = 1000000;
	conf_set(&pc, "change-timeout", "1");
	desired = mkzone(lines, 1);
	prov = provider_ok(&pc);
	actual = fetch_zone();
	ck_assert_int_eq(diff_zones(desired, actual, NULL, &cs), 0);
	t0 = now_ms();
	do_apply(prov, &cs, &r1, 10000);
	ck_assert_uint_ge(now_ms() - t0, 1000);
	ck_assert_uint_lt(now_ms() - t0, 4000);
	ck_assert_int_eq(r1.res.results[0], CHANGE_RESULT_FAILED);
	ck_assert_str_eq(r1.res.errors[0], "change 1 still pending after 1 s "
	    "(it may yet be applied)");
	ck_assert_uint_ge(fk.polls[0], 2);
	changeset_free(&cs);
	zone_free(actual);
	zone_free(desired);
}
END_TEST

/* n A RRsets "hN" added to the base zone; the changeset creates them. */
static void
big_changeset(size_t n, struct zone **desired, struct zone **actual,
    struct changeset *cs)
{
	char	**lines;
	size_t	  i;

	lines = xcalloc(n, sizeof(*lines));
	for (i = 0; i < n; i++)
		xasprintf(&lines[i], "h%zu 300 A 192.0.2.%zu", i, i % 250 + 1);
	*desired = mkzone((const char *const *)lines, n);
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	*actual = fetch_zone();
	ck_assert_int_eq(diff_zones(*desired, *actual, NULL, cs), 0);
	ck_assert_uint_eq(cs->nchanges, n);
}

/*
 * At most 1,000 additions per change: 2,500 creates go as 1,000, 1,000
 * and 500, one after the other, all applied; the zone then reads back
 * whole over several pages.
 */
START_TEST(test_batching)
{
	struct zone		*desired, *actual, *after;
	struct changeset	 cs, cs2;
	cJSON			*body;
	size_t			 n, i;
	static const int	 want[] = { 1000, 1000, 500 };

	prov = provider_ok(&pc);
	fk.page_size = 500;
	big_changeset(2500, &desired, &actual, &cs);
	ck_assert_uint_eq(prov->caps.max_batch, 1000);
	n = httpd_nrequests(srv);
	do_apply(prov, &cs, &r1, 20000);
	for (i = 0; i < cs.nchanges; i++)
		ck_assert_int_eq(r1.res.results[i], CHANGE_RESULT_OK);
	ck_assert_uint_eq(r1.res.api_calls, 3);
	ck_assert_uint_eq(httpd_nrequests(srv), n + 3);
	for (i = 0; i < 3; i++) {
		assert_request(n + i, "POST", CHANGES);
		body = request_json(n + i);
		ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(body,
		    "additions")), want[i]);
		cJSON_Delete(body);
	}
	after = fetch_zone();
	ck_assert_uint_eq(after->nrrsets, 2502);
	ck_assert_int_eq(diff_zones(desired, after, NULL, &cs2), 0);
	ck_assert_uint_eq(cs2.nchanges, 0);
	changeset_free(&cs2);
	changeset_free(&cs);
	zone_free(after);
	zone_free(actual);
	zone_free(desired);
}
END_TEST

/* At most 100,000 bytes of rrdata per change: large TXT sets split. */
START_TEST(test_batching_rrdata_size)
{
	char		**lines, chunk[251];
	struct zone	*desired, *actual;
	struct changeset cs;
	cJSON		*body;
	const cJSON	*rs, *rd;
	size_t		 i, n, len, per, bytes, total = 0, nposts;

	memset(chunk, 'x', 250);
	chunk[250] = '\0';
	lines = xcalloc(150, sizeof(*lines));
	for (i = 0; i < 150; i++)
		xasprintf(&lines[i], "t%zu 300 TXT \"%s\" \"%s\" \"%s\" \"%s\"",
		    i, chunk, chunk, chunk, chunk);
	desired = mkzone((const char *const *)lines, 150);
	for (i = 0; i < 150; i++)
		free(lines[i]);
	free(lines);
	prov = provider_ok(&pc);
	actual = fetch_zone();
	ck_assert_int_eq(diff_zones(desired, actual, NULL, &cs), 0);
	len = strlen(cs.changes[0].new->rdata[0].text);
	per = 100000 / len;
	nposts = (150 + per - 1) / per;
	ck_assert_uint_gt(nposts, 1);
	n = httpd_nrequests(srv);
	do_apply(prov, &cs, &r1, 20000);
	for (i = 0; i < cs.nchanges; i++)
		ck_assert_int_eq(r1.res.results[i], CHANGE_RESULT_OK);
	ck_assert_uint_eq(count_requests("POST", CHANGES), nposts);
	for (i = 0; i < nposts; i++) {
		body = request_json(n + i);
		bytes = 0;
		cJSON_ArrayForEach(rs, cJSON_GetObjectItem(body, "additions")) {
			cJSON_ArrayForEach(rd, cJSON_GetObjectItem(rs,
			    "rrdatas"))
				bytes += strlen(rd->valuestring);
		}
		ck_assert_uint_le(bytes, 100000);
		ck_assert_uint_eq(bytes, (i + 1 < nposts ? per :
		    150 - per * (nposts - 1)) * len);
		total += bytes;
		cJSON_Delete(body);
	}
	ck_assert_uint_eq(total, 150 * len);
	changeset_free(&cs);
	zone_free(actual);
	zone_free(desired);
}
END_TEST

/*
 * An addition that exists: 409 alreadyExists with Google's message.  That
 * batch FAILED (the change is atomic: nothing of it applied), the batch
 * before it OK, the one after NOT_TRIED and never sent.
 */
START_TEST(test_conflict_409)
{
	struct zone		*desired, *actual;
	struct changeset	 cs;
	size_t			 i;
	char			 named[128];
	const char		*owner;

	prov = provider_ok(&pc);
	big_changeset(2500, &desired, &actual, &cs);
	/* the 1,501st change (in zone order) exists at Google already */
	owner = cs.changes[1500].new->owner;
	fake_add1(owner, "A", 300, "192.0.2.1");
	snprintf(named, sizeof(named), "'entity.change.additions[500]' named "
	    "'%s (A)' already exists (alreadyExists)", owner);
	do_apply(prov, &cs, &r1, 20000);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(r1.res.results[i], CHANGE_RESULT_OK);
	for (i = 1000; i < 2000; i++) {
		ck_assert_int_eq(r1.res.results[i], CHANGE_RESULT_FAILED);
		ck_assert_ptr_nonnull(strstr(r1.res.errors[i], "HTTP 409: The "
		    "resource "));
		ck_assert_ptr_nonnull(strstr(r1.res.errors[i], named));
	}
	for (i = 2000; i < 2500; i++) {
		ck_assert_int_eq(r1.res.results[i], CHANGE_RESULT_NOT_TRIED);
		ck_assert_ptr_null(r1.res.errors[i]);
	}
	ck_assert_uint_eq(count_requests("POST", CHANGES), 2);
	ck_assert_uint_eq(r1.res.api_calls, 2);
	/* the first batch is there, nothing of the second */
	ck_assert_ptr_nonnull(rrset_find(fk.rrsets, "h0.example.com.", "A"));
	ck_assert_int_eq(cJSON_GetArraySize(fk.rrsets), 2 + 1000 + 1);
	changeset_free(&cs);
	zone_free(actual);
	zone_free(desired);
}
END_TEST

/* An SOA change is refused before anything is sent. */
START_TEST(test_soa_never_sent)
{
	struct zone		*a, *d;
	struct changeset	 cs;
	struct change		 c;
	char			 err[256];

	prov = provider_ok(&pc);
	a = fetch_zone();
	d = mkzone(NULL, 0);
	memset(&cs, 0, sizeof(cs));
	c.op = CHANGE_UPDATE;
	c.old = zone_find(a, ORIGIN, LDNS_RR_TYPE_SOA);
	c.new = zone_find(d, ORIGIN, LDNS_RR_TYPE_SOA);
	cs.changes = &c;
	cs.nchanges = 1;
	ck_assert_int_eq(prov->ops->apply(prov, ORIGIN, &cs, apply_cb, &r1,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "provider gcp: change 1 is an SOA change; the "
	    "SOA is Google's");
	ck_assert_uint_eq(count_requests("POST", CHANGES), 0);
	zone_free(a);
	zone_free(d);
}
END_TEST

/* --- throttling ----------------------------------------------------------- */

/* 429 RESOURCE_EXHAUSTED with Retry-After: waited for, then retried. */
START_TEST(test_429_retry_after)
{
	static const char *const h[] = {
		"Content-Type: application/json; charset=UTF-8",
		"Retry-After: 1", NULL
	};
	const struct httpd_request *a, *b;

	httpd_expect(srv, "GET", RRSETS, 429, h, "{\"error\": {\"code\": 429, "
	    "\"message\": \"Quota exceeded\", \"status\": "
	    "\"RESOURCE_EXHAUSTED\"}}");
	prov = provider_ok(&pc);
	do_fetch(prov, &r1, 10000);
	ck_assert_msg(r1.status == 0, "fetch: %s", r1.error);
	ck_assert_uint_eq(count_requests("GET", RRSETS), 2);
	a = httpd_request(srv, 2);
	b = httpd_request(srv, 3);
	ck_assert_str_eq(a->path, RRSETS);
	ck_assert_str_eq(b->path, RRSETS);
	ck_assert_uint_ge(b->at_ms - a->at_ms, 900);
}
END_TEST

/* 403 rateLimitExceeded is throttling too; another 403 is an error. */
START_TEST(test_403_rate_limit)
{
	struct result	r2;

	httpd_expect(srv, "GET", RRSETS, 403, json_hdrs, "{\"error\": "
	    "{\"code\": 403, \"message\": \"Rate Limit Exceeded\", "
	    "\"errors\": [{\"domain\": \"usageLimits\", \"reason\": "
	    "\"rateLimitExceeded\", \"message\": \"Rate Limit Exceeded\"}]}}");
	prov = provider_ok(&pc);
	do_fetch(prov, &r1, 10000);
	ck_assert_msg(r1.status == 0, "fetch: %s", r1.error);
	ck_assert_uint_eq(count_requests("GET", RRSETS), 2);

	httpd_expect(srv, "GET", RRSETS, 403, json_hdrs, "{\"error\": "
	    "{\"code\": 403, \"message\": \"Forbidden\", \"errors\": "
	    "[{\"domain\": \"global\", \"reason\": \"forbidden\", "
	    "\"message\": \"Forbidden\"}]}}");
	memset(&r2, 0, sizeof(r2));
	do_fetch(prov, &r2, 10000);
	ck_assert_int_eq(r2.status, -1);
	ck_assert_str_eq(r2.error, "HTTP 403: Forbidden (forbidden)");
	result_clear(&r2);
	ck_assert_uint_eq(count_requests("GET", RRSETS), 3);
}
END_TEST

/* --- nameservers ---------------------------------------------------------- */

/* managedZone.nameServers, lower-cased; no rrsets read. */
START_TEST(test_nameservers_fetched)
{
	char	err[256];

	prov = provider_ok(&pc);
	ck_assert_int_eq(prov->ops->nameservers(prov, ORIGIN, ns_cb, &r1, err,
	    sizeof(err)), 0);
	run_until(&r1, 10000);
	ck_assert_msg(r1.status == 0, "nameservers: %s", r1.error);
	ck_assert_uint_eq(r1.nnames, 3);
	ck_assert_str_eq(r1.names[0], "ns-cloud-a1.googledomains.com.");
	ck_assert_str_eq(r1.names[1], "ns-cloud-a2.googledomains.com.");
	ck_assert_str_eq(r1.names[2], "ns-cloud-a3.googledomains.com.");
	ck_assert_uint_eq(count_requests("GET", RRSETS), 0);
	ck_assert_uint_eq(count_requests("GET", ZONES), 1);
}
END_TEST

/* Configured nameservers are reported without any request. */
START_TEST(test_nameservers_configured)
{
	char	err[256];

	conf_set(&pc, "nameservers", "NS1.Example.NET. ns2.example.net.");
	prov = provider_ok(&pc);
	ck_assert_int_eq(prov->ops->nameservers(prov, ORIGIN, ns_cb, &r1, err,
	    sizeof(err)), 0);
	run_until(&r1, 10000);
	ck_assert_int_eq(r1.status, 0);
	ck_assert_uint_eq(r1.nnames, 2);
	ck_assert_str_eq(r1.names[0], "ns1.example.net.");
	ck_assert_str_eq(r1.names[1], "ns2.example.net.");
	ck_assert_uint_eq(httpd_nrequests(srv), 0);
}
END_TEST

/* --- life cycle ----------------------------------------------------------- */

/* Cancelled while waiting for the token: no callback, nothing leaks. */
START_TEST(test_cancel_waiting_token)
{
	struct httpd_reply	rp;

	memset(&rp, 0, sizeof(rp));
	rp.method = "POST";
	rp.path = TOKEN_PATH;
	rp.status = 200;
	rp.headers = json_hdrs;
	rp.body = "{\"access_token\": \"late\", \"expires_in\": 3599}";
	rp.delay_ms = 300;
	httpd_script(srv, &rp);
	prov = provider_ok(&pc);
	ck_assert_int_eq(prov->ops->fetch(prov, ORIGIN, never_fetch_cb, NULL,
	    NULL, 0), 0);
	run_for(50);
	provider_cancel(prov);
	run_for(500);
	ck_assert_uint_eq(count_requests("GET", RRSETS), 0);
}
END_TEST

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

/*
 * Two fetches fail on one bad token answer; the first callback frees the
 * provider: the second is never called and nothing is touched after.
 */
START_TEST(test_free_in_callback)
{
	struct result	r2;
	char		err[256];

	write_sa(safile, other_pem, fk.token_url);
	prov = provider_ok(&pc);
	memset(&r2, 0, sizeof(r2));
	ck_assert_int_eq(prov->ops->fetch(prov, ORIGIN, free_in_cb, &r1, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(prov->ops->fetch(prov, ORIGIN, free_in_cb, &r2, err,
	    sizeof(err)), 0);
	run_until(&r1, 10000);
	run_for(200);
	ck_assert_int_eq(r1.status, -1);
	ck_assert_int_eq(r2.called, 0);
	ck_assert_ptr_null(prov);
}
END_TEST

/* Bad configurations and key files are refused at init, clearly. */
START_TEST(test_init_errors)
{
	struct provider	*p;
	char		 err[512], *pem;
	EVP_PKEY	*ec;

	conf_set(&pc, "service-account-file", "/nonexistent/sa.json");
	ck_assert_ptr_null(provider_new(&pc, base, http, err, sizeof(err)));
	ck_assert_str_eq(err, "provider gcp: service-account-file: "
	    "/nonexistent/sa.json: No such file or directory");
	conf_set(&pc, "service-account-file", safile);

	chmod(safile, 0644);
	ck_assert_ptr_null(provider_new(&pc, base, http, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "readable by everyone"));
	chmod(safile, 0600);

	write_file(safile, "not json", 0600);
	ck_assert_ptr_null(provider_new(&pc, base, http, err, sizeof(err)));
	ck_assert_str_eq(err, "provider gcp: service-account-file: not a JSON "
	    "object");

	write_file(safile, "{\"type\": \"service_account\", \"client_email\": "
	    "\"" EMAIL "\"}", 0600);
	ck_assert_ptr_null(provider_new(&pc, base, http, err, sizeof(err)));
	ck_assert_str_eq(err, "provider gcp: service-account-file: no "
	    "private_key");

	write_file(safile, "{\"type\": \"authorized_user\"}", 0600);
	ck_assert_ptr_null(provider_new(&pc, base, http, err, sizeof(err)));
	ck_assert_str_eq(err, "provider gcp: service-account-file: type is not "
	    "\"service_account\"");

	write_sa(safile, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END "
	    "PRIVATE KEY-----\n", fk.token_url);
	ck_assert_ptr_null(provider_new(&pc, base, http, err, sizeof(err)));
	ck_assert_str_eq(err, "provider gcp: service-account-file: private_key "
	    "is not a readable PEM private key (unencrypted PKCS#8 expected)");

	ec = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(ec);
	pem = key_pem(ec);
	write_sa(safile, pem, fk.token_url);
	ck_assert_ptr_null(provider_new(&pc, base, http, err, sizeof(err)));
	ck_assert_str_eq(err, "provider gcp: service-account-file: private_key "
	    "is not an RSA key");
	free(pem);
	EVP_PKEY_free(ec);

	write_sa(safile, sa_pem, fk.token_url);
	conf_set(&pc, "project", "bad/project");
	ck_assert_ptr_null(provider_new(&pc, base, http, err, sizeof(err)));
	ck_assert_str_eq(err, "provider gcp: project: expected a project id");
	conf_set(&pc, "project", PROJECT);
	conf_set(&pc, "api-url", "ftp://example.com");
	ck_assert_ptr_null(provider_new(&pc, base, http, err, sizeof(err)));
	ck_assert_str_eq(err, "provider gcp: api-url: expected an http:// or "
	    "https:// URL");
	conf_unset(&pc, "api-url");
	conf_set(&pc, "change-timeout", "0");
	ck_assert_ptr_null(provider_new(&pc, base, http, err, sizeof(err)));
	ck_assert_str_eq(err, "provider gcp: change-timeout: expected 1 to "
	    "86400 seconds");
	conf_unset(&pc, "change-timeout");

	/* and a good one, with the documented capabilities */
	p = provider_new(&pc, base, http, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_uint_eq(p->caps.flags, PROVIDER_CAP_APEX_NS |
	    PROVIDER_CAP_ATOMIC);
	ck_assert_uint_eq(p->caps.max_batch, 1000);
	ck_assert_int_eq(provider_supports_type(p, LDNS_RR_TYPE_CAA), 1);
	ck_assert_int_eq(provider_supports_type(p, LDNS_RR_TYPE_LOC), 0);
	provider_free(p);
}
END_TEST

/*
 * The private key, the JWT and the access tokens are never logged, not
 * even at debug level, and never part of an error message.
 */
START_TEST(test_secrets_never_logged)
{
	struct zone		*desired, *actual;
	struct changeset	 cs;
	struct result		 r2, r3;
	char			 path[64], *buf, keyline[65];
	const char		*sig;
	int			 fd, saved;
	ssize_t			 n;
	unsigned		 i;

	snprintf(path, sizeof(path), "/tmp/check_gcloud_log.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	log_set_level(LOG_LEVEL_DEBUG);

	prov = provider_ok(&pc);
	big_changeset(3, &desired, &actual, &cs);
	fake_add1("h1.example.com.", "A", 300, "192.0.2.1");
	do_apply(prov, &cs, &r1, 10000);	/* 409 */
	fk.revoked = 1;
	memset(&r2, 0, sizeof(r2));
	do_fetch(prov, &r2, 10000);		/* 401, new token */
	provider_free(prov);
	write_sa(safile, other_pem, fk.token_url);
	prov = provider_ok(&pc);
	memset(&r3, 0, sizeof(r3));
	do_fetch(prov, &r3, 10000);		/* invalid_grant */

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	log_set_level(LOG_LEVEL_WARN);

	buf = xcalloc(1, 1 << 20);
	n = pread(fd, buf, (1 << 20) - 1, 0);
	close(fd);
	unlink(path);
	ck_assert_int_gt(n, 0);
	ck_assert_msg(strstr(buf, "requesting an access token") != NULL,
	    "debug log not captured: %s", buf);
	ck_assert_msg(strstr(buf, "access token refused (HTTP 401)") != NULL,
	    "no 401 line");
	ck_assert_int_eq(r1.res.results[0], CHANGE_RESULT_FAILED);
	ck_assert_int_eq(r2.status, 0);
	ck_assert_int_eq(r3.status, -1);
	ck_assert_uint_eq(fk.ntokens, 2);
	ck_assert_uint_eq(fk.njwts, 3);
	/* a line from the middle of each private key */
	memcpy(keyline, strchr(sa_pem, '\n') + 1 + 65, 64);
	keyline[64] = '\0';
	ck_assert_msg(strstr(buf, keyline) == NULL, "the private key was "
	    "logged");
	memcpy(keyline, strchr(other_pem, '\n') + 1 + 65, 64);
	ck_assert_msg(strstr(buf, keyline) == NULL, "a private key was logged");
	ck_assert_msg(strstr(buf, "PRIVATE KEY") == NULL, "PEM logged");
	for (i = 0; i < fk.ntokens; i++) {
		ck_assert_msg(strstr(buf, fk.tokens[i]) == NULL, "token %u "
		    "logged", i);
		ck_assert_ptr_null(strstr(r3.error, fk.tokens[i]));
	}
	for (i = 0; i < fk.njwts; i++) {
		ck_assert_msg(strstr(buf, fk.jwts[i]) == NULL, "JWT logged");
		sig = strrchr(fk.jwts[i], '.') + 1;
		ck_assert_msg(strstr(buf, sig) == NULL, "JWT signature "
		    "logged");
		ck_assert_ptr_null(strstr(r1.res.errors[0], sig));
	}
	free(buf);
	result_clear(&r2);
	result_clear(&r3);
	changeset_free(&cs);
	zone_free(actual);
	zone_free(desired);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;
	SRunner	*sr;
	int	 failed;

	/* throwaway keys for the whole run */
	sa_key = EVP_RSA_gen(2048);
	other_key = EVP_RSA_gen(2048);
	if (sa_key == NULL || other_key == NULL)
		return (EXIT_FAILURE);
	sa_pem = key_pem(sa_key);
	other_pem = key_pem(other_key);

	s = suite_create("gcloud");
	tc = tcase_create("fake");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_token_once_reused);
	tcase_add_test(tc, test_token_refresh_before_expiry);
	tcase_add_test(tc, test_token_401_refresh);
	tcase_add_test(tc, test_token_401_twice);
	tcase_add_test(tc, test_bad_signature);
	tcase_add_test(tc, test_token_url_config);
	tcase_add_test(tc, test_zone_lookup);
	tcase_add_test(tc, test_zone_lookup_none);
	tcase_add_test(tc, test_zone_lookup_two);
	tcase_add_test(tc, test_managed_zone_configured);
	tcase_add_test(tc, test_pagination);
	tcase_add_test(tc, test_page_failure);
	tcase_add_loop_test(tc, test_bad_page, 0,
	    (int)(sizeof(bad_pages) / sizeof(bad_pages[0])));
	tcase_add_test(tc, test_roundtrip_all_types);
	tcase_add_test(tc, test_update_delete_exact);
	tcase_add_test(tc, test_delete_mismatch_412);
	tcase_add_test(tc, test_change_pending_then_done);
	tcase_add_test(tc, test_change_pending_timeout);
	tcase_add_test(tc, test_batching);
	tcase_add_test(tc, test_batching_rrdata_size);
	tcase_add_test(tc, test_conflict_409);
	tcase_add_test(tc, test_soa_never_sent);
	tcase_add_test(tc, test_429_retry_after);
	tcase_add_test(tc, test_403_rate_limit);
	tcase_add_test(tc, test_nameservers_fetched);
	tcase_add_test(tc, test_nameservers_configured);
	tcase_add_test(tc, test_cancel_waiting_token);
	tcase_add_test(tc, test_free_in_callback);
	tcase_add_test(tc, test_init_errors);
	tcase_add_test(tc, test_secrets_never_logged);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(sa_pem);
	free(other_pem);
	EVP_PKEY_free(sa_key);
	EVP_PKEY_free(other_key);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
