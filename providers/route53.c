/*
 * route53.c: a provider that is an Amazon Route 53 hosted zone, edited
 * through the Route 53 REST API (2013-04-01, XML).
 *
 * Config keys: access-key-id + secret-access-key-file, or credentials-file
 * (+ profile, default "default": the AWS shared credentials INI format with
 * aws_access_key_id, aws_secret_access_key, aws_session_token), or else the
 * environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN);
 * hosted-zone-id (else looked up by name), api-url (default
 * https://route53.amazonaws.com), region (default us-east-1).  Read when
 * present, though config.c does not take them yet: nameservers (the names
 * to report) and wait-insync (yes/no, default ROUTE53_WAIT_INSYNC).
 *
 * Requests are signed by libcurl (CURLOPT_AWS_SIGV4, "aws:amz:REGION:
 * route53"), never here.  libcurl 7.88 signs the query string as it is
 * sent, so every query is built already in canonical form: parameters
 * sorted by name, values percent-encoded except RFC 3986 unreserved
 * characters.  The secret key goes to libcurl and nowhere else: never
 * logged, never part of an error message.
 *
 * Zone id: hosted-zone-id when given (checked once with GetHostedZone: its
 * name must be the zone's), else ListHostedZonesByName?dnsname=ZONE&
 * maxitems=1, whose first zone must have exactly the zone's name and be
 * public.
 *
 * fetch: ListResourceRecordSets, 300 RRsets a page, following
 * NextRecordName / NextRecordType / NextRecordIdentifier while IsTruncated
 * is true.  A page that fails, a truncated page without its Next* fields,
 * a page that does not advance, or any answer that is not the documented
 * XML is an error, never a smaller zone.  Alias record sets (AliasTarget)
 * and routing-policy record sets (SetIdentifier: weighted, latency,
 * geolocation, failover, multivalue...) cannot be represented as plain
 * RRsets: fetch leaves them out, logs them, and remembers their names;
 * apply then refuses every change at such a name, so multidns never
 * touches a name that carries one.
 *
 * apply: ChangeResourceRecordSets, one atomic batch per request within the
 * documented limits: at most 1,000 ResourceRecord elements and 32,000
 * characters of Value per request, UPSERT counting twice for both.
 * CREATE is sent as CREATE (not UPSERT), so that a record set fetch did
 * not report (an alias, a routing-policy set, a concurrent edit) makes
 * the batch fail instead of being overwritten; UPDATE is UPSERT; DELETE
 * states the record set exactly as Route 53 listed it (the Values of the
 * last fetch, byte for byte, when the RRset is unchanged since), as Route
 * 53 requires.  SOA is never sent; the apex NS can be UPSERTed, never
 * deleted.  After a failed batch the later ones are not sent.
 * Throttling (HTTP 400, Code Throttling) pauses the pool and retries with
 * backoff; PriorRequestNotComplete is retried with backoff.  With
 * wait-insync, GetChange is polled after each batch until INSYNC.
 *
 * Names: Route 53 lists every character other than a-z, 0-9, '-' and '_'
 * as a three-digit octal escape ("\052" is '*'); ldns uses decimal
 * escapes.  TXT and SPF values are quoted character-strings with octal
 * escapes.  Both are translated both ways.
 */
#include "autoconf.h"

#include <sys/queue.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <ldns/ldns.h>

#include "http.h"
#include "log.h"
#include "provider.h"
#include "xmalloc.h"
#include "xml.h"

#define ROUTE53_API		"/2013-04-01"
#define ROUTE53_DEFAULT_URL	"https://route53.amazonaws.com"
#define ROUTE53_XMLNS		"https://route53.amazonaws.com/doc/2013-04-01/"
#define ROUTE53_MAX_RR		1000	/* ResourceRecord elements a request */
#define ROUTE53_MAX_CHARS	32000	/* Value characters a request */
#define ROUTE53_PAGE		300	/* RRsets a ListResourceRecordSets page */
#define ROUTE53_MAX_BODY	(16 * 1024 * 1024)
#define ROUTE53_ERR_MAX		512
#define ROUTE53_WAIT_INSYNC	0	/* poll GetChange until INSYNC */
#define ROUTE53_POLL_FIRST_MS	250
#define ROUTE53_POLL_CAP_MS	5000
#define ROUTE53_POLL_MAX_MS	300000

/* The record types Route 53 holds. */
static const uint16_t route53_types[] = {
	LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_CAA,
	LDNS_RR_TYPE_CNAME, LDNS_RR_TYPE_DS, LDNS_RR_TYPE_HTTPS,
	LDNS_RR_TYPE_MX, LDNS_RR_TYPE_NAPTR, LDNS_RR_TYPE_NS,
	LDNS_RR_TYPE_PTR, LDNS_RR_TYPE_SOA, LDNS_RR_TYPE_SPF,
	LDNS_RR_TYPE_SRV, LDNS_RR_TYPE_SSHFP, LDNS_RR_TYPE_SVCB,
	LDNS_RR_TYPE_TLSA, LDNS_RR_TYPE_TXT,
};
#define ROUTE53_NTYPES	(sizeof(route53_types) / sizeof(route53_types[0]))

/* --- a growable string --------------------------------------------------- */

struct buf {
	char	*p;
	size_t	 len;
	size_t	 size;
};

static void
buf_addn(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->size) {
		while (b->len + n + 1 > b->size)
			b->size = b->size == 0 ? 256 : b->size * 2;
		b->p = xreallocarray(b->p, b->size, 1);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_add(struct buf *b, const char *s)
{
	buf_addn(b, s, strlen(s));
}

static void
buf_addc(struct buf *b, char c)
{
	buf_addn(b, &c, 1);
}

static void __attribute__((format(printf, 2, 3)))
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 s[256];
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s))
		fatalx("route53", "buf_printf: %d", n);
	buf_addn(b, s, (size_t)n);
}

/* Take the buffer's string (never NULL). */
static char *
buf_take(struct buf *b)
{
	char	*s = b->p != NULL ? b->p : xstrdup("");

	memset(b, 0, sizeof(*b));
	return (s);
}

/* --- the provider's state ------------------------------------------------ */

/* One RRset as Route 53 listed it, for exact DELETEs. */
struct route53_raw {
	char		*owner;		/* as in the fetched zone */
	uint16_t	 type;
	uint32_t	 ttl;
	char		**values;	/* as listed */
	size_t		 nvalues;
};

/* What we know of one hosted zone. */
struct route53_zone {
	TAILQ_ENTRY(route53_zone) entry;
	char		*origin;
	char		*id;		/* "Z123...", NULL until known */
	struct route53_raw *raw;	/* from the last complete fetch, sorted */
	size_t		 nraw;
	char		**skipped;	/* owners of alias/routing sets, sorted */
	size_t		 nskipped;
};

enum route53_kind {
	ROUTE53_FETCH,
	ROUTE53_APPLY,
	ROUTE53_NS,
};

enum route53_step {
	ROUTE53_STEP_LOOKUP,	/* ListHostedZonesByName */
	ROUTE53_STEP_ZONE,	/* GetHostedZone */
	ROUTE53_STEP_LIST,	/* ListResourceRecordSets */
	ROUTE53_STEP_CHANGE,	/* ChangeResourceRecordSets */
	ROUTE53_STEP_POLL,	/* GetChange */
};

/* One change as it will be sent. */
struct route53_send {
	size_t		 idx;		/* in the changeset */
	const char	*action;
	const struct rrset *rs;
	char		**values;
	size_t		 nvalues;
	size_t		 rr;		/* counted against the limits */
	size_t		 chars;
};

struct route53_op {
	TAILQ_ENTRY(route53_op)		 entry;
	struct route53			*r;
	enum route53_kind		 kind;
	enum route53_step		 step;
	struct route53_zone		*zs;
	char				*origin;
	struct http_request		*req;
	struct event			*ev;	/* deferred answer or poll */

	provider_fetch_cb		 fetch_cb;
	provider_apply_cb		 apply_cb;
	provider_ns_cb			 ns_cb;
	void				*arg;

	/* fetch */
	struct zone			*z;
	struct route53_raw		*raw;
	size_t				 nraw;
	char				**skipped;
	size_t				 nskipped;
	size_t				 pages;
	char				*next;	/* query of the next page */

	/* apply */
	const struct changeset		*cs;
	struct apply_result		 res;
	struct route53_send		*send;
	size_t				 nsend;
	size_t				 first;	/* batch in flight: */
	size_t				 last;	/* send[first, last) */
	char				*change_id;
	unsigned			 poll_ms;
	unsigned			 polled_ms;
};

struct route53 {
	struct provider			*p;
	char				*url;	/* API base, no trailing '/' */
	char				*region;
	char				*sigv4;	/* "aws:amz:REGION:route53" */
	char				*access_key;
	char				*secret;	/* secret */
	char				*token_header;	/* secret */
	const char			*headers[3];
	struct curl_slist		*hlist;	/* the same, for libcurl */
	char				*zone_id;	/* configured */
	int				 wait_insync;
	char				**ns;
	size_t				 nns;
	struct http_pool		*pool;
	TAILQ_HEAD(, route53_op)	 ops;
	TAILQ_HEAD(, route53_zone)	 zones;
};

static void	route53_http_cb(const struct http_response *, void *);
static int	route53_step_main(struct route53_op *);
static int	route53_apply_next(struct route53_op *);

/* --- helpers -------------------------------------------------------------- */

static void
route53_clean(char *buf, size_t size, const char *s, size_t n)
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

/*
 * The error an AWS answer carries: "Code: Message" from an ErrorResponse,
 * or the Messages of an InvalidChangeBatch joined with "; ".  code gets
 * the Code ("" when none).  0 when the body was such a document.
 */
static int
route53_error_doc(const char *body, size_t len, char *code, size_t codelen,
    char *text, size_t textlen)
{
	struct xml_node		 root;
	const struct xml_node	*e, *msgs;
	const char		*c, *m;
	char			 err[128], clean[ROUTE53_ERR_MAX];
	size_t			 i, off;

	code[0] = '\0';
	text[0] = '\0';
	if (len == 0 || xml_parse(body, len, &root, err, sizeof(err)) == -1)
		return (-1);
	if (xml_is(&root, "ErrorResponse") &&
	    (e = xml_child(&root, "Error")) != NULL) {
		c = xml_text(e, "Code");
		m = xml_text(e, "Message");
		route53_clean(code, codelen, c != NULL ? c : "", 100);
		route53_clean(clean, sizeof(clean), m != NULL ? m : "", 400);
		if (clean[0] != '\0')
			snprintf(text, textlen, "%.60s: %.400s", code, clean);
		else
			snprintf(text, textlen, "%s", code);
		xml_node_clear(&root);
		return (code[0] != '\0' ? 0 : -1);
	}
	if (xml_is(&root, "InvalidChangeBatch")) {
		snprintf(code, codelen, "InvalidChangeBatch");
		off = (size_t)snprintf(text, textlen, "InvalidChangeBatch");
		msgs = xml_child(&root, "Messages");
		for (i = 0; msgs != NULL && i < msgs->nkids; i++) {
			if (!xml_is(&msgs->kids[i], "Message") ||
			    off >= textlen)
				continue;
			route53_clean(clean, sizeof(clean), msgs->kids[i].text,
			    400);
			off += (size_t)snprintf(text + off, textlen - off,
			    "%s%.400s", i == 0 ? ": " : "; ", clean);
		}
		if ((m = xml_text(&root, "Message")) != NULL &&
		    off < textlen) {
			route53_clean(clean, sizeof(clean), m, 400);
			snprintf(text + off, textlen - off, ": %.400s", clean);
		}
		xml_node_clear(&root);
		return (0);
	}
	xml_node_clear(&root);
	return (-1);
}

/* "HTTP 400: Code: Message" or the transport error, into err. */
static void
route53_http_error(const struct http_response *resp, char *err,
    size_t errlen)
{
	char	code[64], text[ROUTE53_ERR_MAX], clean[256];
	size_t	len;

	if (resp->err != HTTP_OK && resp->status == 0) {
		snprintf(err, errlen, "%s%s%.*s", http_strerror(resp->err),
		    resp->error[0] != '\0' ? ": " : "", 300, resp->error);
		return;
	}
	if (route53_error_doc(resp->body, resp->body_len, code, sizeof(code),
	    text, sizeof(text)) == 0)
		snprintf(err, errlen, "HTTP %ld: %.450s", resp->status, text);
	else {
		route53_clean(clean, sizeof(clean), resp->body, 200);
		if (clean[0] != '\0')
			snprintf(err, errlen, "HTTP %ld: %s", resp->status,
			    clean);
		else
			snprintf(err, errlen, "HTTP %ld", resp->status);
	}
	if (resp->status == 403 && (strcmp(code, "ExpiredToken") == 0 ||
	    strcmp(code, "InvalidClientTokenId") == 0 ||
	    strcmp(code, "SignatureDoesNotMatch") == 0 ||
	    strcmp(code, "UnrecognizedClientException") == 0)) {
		len = strlen(err);
		snprintf(err + len, errlen - len, " (the AWS credentials "
		    "were refused: check the access key, secret and session "
		    "token)");
	}
	if (resp->err != HTTP_OK) {
		len = strlen(err);
		snprintf(err + len, errlen - len, " (%s)",
		    http_strerror(resp->err));
	}
}

/* Throttling and PriorRequestNotComplete come as HTTP 400. */
static enum http_verdict
route53_classify_cb(const struct http_response *resp, void *arg)
{
	char	code[64], text[ROUTE53_ERR_MAX];

	(void)arg;
	if (resp->err != HTTP_OK || resp->status != 400)
		return (HTTP_VERDICT_DEFAULT);
	if (route53_error_doc(resp->body, resp->body_len, code, sizeof(code),
	    text, sizeof(text)) == -1)
		return (HTTP_VERDICT_DEFAULT);
	if (strcmp(code, "Throttling") == 0 ||
	    strcmp(code, "ThrottlingException") == 0)
		return (HTTP_VERDICT_THROTTLED);
	if (strcmp(code, "PriorRequestNotComplete") == 0)
		return (HTTP_VERDICT_RETRY);
	return (HTTP_VERDICT_DEFAULT);
}

/* Sign every attempt (libcurl computes a fresh X-Amz-Date each time). */
static void
route53_setup_cb(CURL *easy, void *arg)
{
	struct route53_op	*op = arg;
	struct route53		*r = op->r;

	/*
	 * The HTTP layer adds "Expect:" (a header to remove) to the list;
	 * libcurl 7.88 signs it as "expect:" although it is never sent, so
	 * AWS would see a signed header that is not there.  Our own list
	 * has only the headers that go out (bodies stay well below the
	 * size at which libcurl would send Expect: 100-continue).
	 */
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, r->hlist);
	curl_easy_setopt(easy, CURLOPT_AWS_SIGV4, r->sigv4);
	curl_easy_setopt(easy, CURLOPT_USERNAME, r->access_key);
	curl_easy_setopt(easy, CURLOPT_PASSWORD, r->secret);
}

/* Percent-encode all but the RFC 3986 unreserved characters. */
static void
route53_qenc(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (isalnum((unsigned char)*s) || *s == '-' || *s == '_' ||
		    *s == '.' || *s == '~')
			buf_addc(b, *s);
		else
			buf_printf(b, "%%%02X", (unsigned)(unsigned char)*s);
	}
}

static void
route53_xenc(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '&')
			buf_add(b, "&amp;");
		else if (*s == '<')
			buf_add(b, "&lt;");
		else if (*s == '>')
			buf_add(b, "&gt;");
		else
			buf_addc(b, *s);
	}
}

/*
 * A name as Route 53 lists it ("\052.example.com.", octal escapes) in
 * ldns presentation form, lower-case, absolute.  NULL when malformed.
 */
static char *
route53_name_in(const char *s)
{
	struct buf	b;
	unsigned	v;
	unsigned char	c;

	memset(&b, 0, sizeof(b));
	if (*s == '\0')
		return (NULL);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '\\') {
			if (s[1] < '0' || s[1] > '3' || s[2] < '0' ||
			    s[2] > '7' || s[3] < '0' || s[3] > '7')
				goto bad;
			v = (unsigned)(s[1] - '0') * 64 +
			    (unsigned)(s[2] - '0') * 8 + (unsigned)(s[3] - '0');
			s += 3;
			c = (unsigned char)v;
			if (isalnum(c) || c == '-' || c == '_' || c == '*')
				buf_addc(&b, (char)tolower(c));
			else
				buf_printf(&b, "\\%03u", v);
			continue;
		}
		if (c <= 0x20 || c >= 0x7f)
			goto bad;
		if (isalnum(c) || c == '-' || c == '_' || c == '*' || c == '.')
			buf_addc(&b, (char)tolower(c));
		else
			buf_printf(&b, "\\%03u", (unsigned)c);
	}
	if (b.p[b.len - 1] != '.')
		buf_addc(&b, '.');
	return (buf_take(&b));

bad:
	free(b.p);
	return (NULL);
}

/* An ldns presentation name in Route 53's spelling (octal escapes). */
static char *
route53_name_out(const char *s)
{
	struct buf	b;
	unsigned	v;
	unsigned char	c;

	memset(&b, 0, sizeof(b));
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '.') {
			buf_addc(&b, '.');
			continue;
		}
		if (c == '\\' && isdigit((unsigned char)s[1]) &&
		    isdigit((unsigned char)s[2]) &&
		    isdigit((unsigned char)s[3])) {
			v = (unsigned)(s[1] - '0') * 100 +
			    (unsigned)(s[2] - '0') * 10 + (unsigned)(s[3] - '0');
			s += 3;
			c = (unsigned char)(v & 0xff);
		} else if (c == '\\' && s[1] != '\0')
			c = (unsigned char)*++s;
		if (isalnum(c) || c == '-' || c == '_' || c == '*')
			buf_addc(&b, (char)tolower(c));
		else
			buf_printf(&b, "\\%03o", (unsigned)c);
	}
	return (buf_take(&b));
}

static int
route53_is_txt(uint16_t type)
{
	return (type == LDNS_RR_TYPE_TXT || type == LDNS_RR_TYPE_SPF);
}

/*
 * Character-strings: quoted, separated by blanks; in them esc_base
 * escapes (\DDD decimal for ldns, \ooo octal for Route 53) or \X.  Calls
 * out on every string's bytes.  -1 when malformed.
 */
static int
route53_strings(const char *s, int octal, struct buf *out, int to_octal)
{
	unsigned	v;
	unsigned char	c;
	int		n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		if (*s != '"')
			return (-1);
		s++;
		if (n++ > 0)
			buf_addc(out, ' ');
		buf_addc(out, '"');
		for (; *s != '"'; s++) {
			if (*s == '\0')
				return (-1);
			c = (unsigned char)*s;
			if (c == '\\') {
				if (octal && s[1] >= '0' && s[1] <= '3' &&
				    s[2] >= '0' && s[2] <= '7' &&
				    s[3] >= '0' && s[3] <= '7') {
					v = (unsigned)(s[1] - '0') * 64 +
					    (unsigned)(s[2] - '0') * 8 +
					    (unsigned)(s[3] - '0');
					s += 3;
				} else if (!octal &&
				    isdigit((unsigned char)s[1]) &&
				    isdigit((unsigned char)s[2]) &&
				    isdigit((unsigned char)s[3])) {
					v = (unsigned)(s[1] - '0') * 100 +
					    (unsigned)(s[2] - '0') * 10 +
					    (unsigned)(s[3] - '0');
					if (v > 255)
						return (-1);
					s += 3;
				} else if (s[1] != '\0' && !isdigit(
				    (unsigned char)s[1]))
					v = (unsigned char)*++s;
				else
					return (-1);
				c = (unsigned char)v;
			} else if (c < 0x20 || c >= 0x7f)
				return (-1);
			if (c == '"' || c == '\\') {
				buf_addc(out, '\\');
				buf_addc(out, (char)c);
			} else if (c >= 0x20 && c < 0x7f)
				buf_addc(out, (char)c);
			else
				buf_printf(out, to_octal ? "\\%03o" : "\\%03u",
				    (unsigned)c);
		}
		buf_addc(out, '"');
		s++;
		if (*s != '\0' && *s != ' ' && *s != '\t')
			return (-1);
	}
	return (n > 0 ? 0 : -1);
}

/* A Value as Route 53 lists it, in the form zone_add_rr_text takes. */
static char *
route53_value_in(uint16_t type, const char *v)
{
	struct buf	b;

	if (!route53_is_txt(type)) {
		if (strchr(v, '\\') != NULL)
			return (NULL);	/* octal or decimal? never guess */
		return (xstrdup(v));
	}
	memset(&b, 0, sizeof(b));
	if (route53_strings(v, 1, &b, 0) == -1) {
		free(b.p);
		return (NULL);
	}
	return (buf_take(&b));
}

/* A record's ldns text as a Route 53 Value; NULL when not expressible. */
static char *
route53_value_out(uint16_t type, const struct rdata *rd)
{
	struct buf	b;

	if (!route53_is_txt(type)) {
		if (strchr(rd->text, '\\') != NULL)
			return (NULL);
		return (xstrdup(rd->text));
	}
	memset(&b, 0, sizeof(b));
	if (route53_strings(rd->text, 0, &b, 1) == -1) {
		free(b.p);
		return (NULL);
	}
	return (buf_take(&b));
}

static int
route53_type_ok(uint16_t t)
{
	size_t	i;

	for (i = 0; i < ROUTE53_NTYPES; i++) {
		if (route53_types[i] == t)
			return (1);
	}
	return (0);
}

static void
route53_raw_clear(struct route53_raw *raw, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < raw[i].nvalues; j++)
			free(raw[i].values[j]);
		free(raw[i].values);
		free(raw[i].owner);
	}
	free(raw);
}

static void
route53_names_free(char **names, size_t n)
{
	size_t	i;

	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
}

static int
route53_raw_cmp(const void *a, const void *b)
{
	const struct route53_raw	*x = a, *y = b;
	int				 c;

	if ((c = strcmp(x->owner, y->owner)) != 0)
		return (c);
	return (x->type < y->type ? -1 : x->type > y->type);
}

static int
route53_str_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

static struct route53_zone *
route53_zone_get(struct route53 *r, const char *origin)
{
	struct route53_zone	*zs;

	TAILQ_FOREACH(zs, &r->zones, entry) {
		if (strcmp(zs->origin, origin) == 0)
			return (zs);
	}
	zs = xcalloc(1, sizeof(*zs));
	zs->origin = xstrdup(origin);
	TAILQ_INSERT_TAIL(&r->zones, zs, entry);
	return (zs);
}

static void
route53_zone_free(struct route53_zone *zs)
{
	route53_raw_clear(zs->raw, zs->nraw);
	route53_names_free(zs->skipped, zs->nskipped);
	free(zs->origin);
	free(zs->id);
	free(zs);
}

static int
route53_pool(struct route53 *r, char *err, size_t errlen)
{
	struct http_pool_config	 cfg;
	struct provider		*p = r->p;

	if (r->pool != NULL)
		return (0);
	if (p->http == NULL) {
		snprintf(err, errlen, "provider %s: no HTTP layer", p->name);
		return (-1);
	}
	http_pool_config_init(&cfg);
	cfg.name = p->name;
	cfg.rate = 5;		/* the documented 5 requests a second */
	cfg.burst = 5;
	cfg.max_retries = 5;
	cfg.backoff_base_ms = 200;
	cfg.backoff_cap_ms = 20000;
	cfg.max_body = ROUTE53_MAX_BODY;
	cfg.classify = route53_classify_cb;
	cfg.classify_arg = r;
	if (p->conf->max_concurrency > 0)
		cfg.max_concurrent = p->conf->max_concurrency;
	if (p->conf->timeout > 0)
		cfg.timeout_ms = (long)p->conf->timeout * 1000;
	if (cfg.connect_timeout_ms > cfg.timeout_ms)
		cfg.connect_timeout_ms = cfg.timeout_ms;
	r->pool = http_pool_new(p->http, &cfg);
	return (0);
}

/* --- operations ----------------------------------------------------------- */

static struct route53_op *
route53_op_new(struct route53 *r, enum route53_kind kind, const char *origin)
{
	struct route53_op	*op;
	char			*s;

	op = xcalloc(1, sizeof(*op));
	op->r = r;
	op->kind = kind;
	if (origin[0] != '\0' && origin[strlen(origin) - 1] == '.')
		op->origin = xstrdup(origin);
	else
		xasprintf(&op->origin, "%s.", origin);
	for (s = op->origin; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
	op->zs = route53_zone_get(r, op->origin);
	TAILQ_INSERT_TAIL(&r->ops, op, entry);
	return (op);
}

static void
route53_op_free(struct route53_op *op)
{
	size_t	i;

	if (op->ev != NULL)
		event_free(op->ev);
	if (op->res.results != NULL)
		apply_result_clear(&op->res);
	zone_free(op->z);
	route53_raw_clear(op->raw, op->nraw);
	route53_names_free(op->skipped, op->nskipped);
	for (i = 0; i < op->nsend; i++)
		route53_names_free(op->send[i].values, op->send[i].nvalues);
	free(op->send);
	free(op->next);
	free(op->change_id);
	free(op->origin);
	free(op);
}

static void
route53_op_detach(struct route53_op *op)
{
	TAILQ_REMOVE(&op->r->ops, op, entry);
	op->req = NULL;
}

static int
route53_send(struct route53_op *op, const char *method, const char *path,
    const char *body)
{
	struct http_request_params	 rp;
	char				*url;

	xasprintf(&url, "%s%s%s", op->r->url, ROUTE53_API, path);
	memset(&rp, 0, sizeof(rp));
	rp.method = method;
	rp.url = url;
	rp.headers = op->r->headers;
	rp.body = body;
	rp.body_len = body != NULL ? strlen(body) : 0;
	rp.setup = route53_setup_cb;
	rp.cb = route53_http_cb;
	rp.arg = op;
	op->req = http_request_start(op->r->pool, &rp);
	free(url);
	return (op->req != NULL ? 0 : -1);
}

/* Finish a fetch or nameservers with an error. */
static void
route53_fail(struct route53_op *op, const char *error)
{
	struct provider	*p = op->r->p;

	log_debug("route53", "%s: %s: %s", p->name, op->origin, error);
	route53_op_detach(op);
	if (op->kind == ROUTE53_NS)
		op->ns_cb(p, -1, error, NULL, 0, op->arg);
	else if (op->kind == ROUTE53_FETCH)
		op->fetch_cb(p, -1, error, NULL, op->arg);
	route53_op_free(op);
}

static void
route53_apply_done(struct route53_op *op)
{
	struct provider	*p = op->r->p;

	route53_op_detach(op);
	op->apply_cb(p, &op->res, op->arg);
	route53_op_free(op);
}

/* Fail every change of an apply not decided yet, with error. */
static void
route53_apply_fail_rest(struct route53_op *op, size_t from, const char *error)
{
	size_t	i, k;

	for (i = from; i < op->nsend; i++) {
		k = op->send[i].idx;
		op->res.results[k] = CHANGE_RESULT_FAILED;
		free(op->res.errors[k]);
		op->res.errors[k] = xstrdup(error);
	}
}

/* An op failed at a step: report as its kind requires. */
static void
route53_op_error(struct route53_op *op, const char *error)
{
	if (op->kind == ROUTE53_APPLY) {
		log_debug("route53", "%s: %s: %s", op->r->p->name, op->origin,
		    error);
		route53_apply_fail_rest(op, op->first, error);
		route53_apply_done(op);
		return;
	}
	route53_fail(op, error);
}

/* Start the step that finds the zone id, or the main step; -1 when the
 * request cannot start (no callback called then). */
static int
route53_start(struct route53_op *op)
{
	struct route53	*r = op->r;
	struct buf	 q;
	char		*path, *name;
	int		 rv;

	if (op->zs->id != NULL)
		return (route53_step_main(op));
	if (r->zone_id != NULL) {
		op->step = ROUTE53_STEP_ZONE;
		xasprintf(&path, "/hostedzone/%s", r->zone_id);
	} else {
		op->step = ROUTE53_STEP_LOOKUP;
		memset(&q, 0, sizeof(q));
		buf_add(&q, "/hostedzonesbyname?dnsname=");
		name = route53_name_out(op->origin);
		route53_qenc(&q, name);
		free(name);
		buf_add(&q, "&maxitems=1");
		path = buf_take(&q);
	}
	rv = route53_send(op, "GET", path, NULL);
	free(path);
	return (rv);
}

/* Compare a name Route 53 gave with the zone's origin. */
static int
route53_name_is(const char *listed, const char *origin)
{
	char	*n;
	int	 same;

	if ((n = route53_name_in(listed)) == NULL)
		return (0);
	same = strcmp(n, origin) == 0;
	free(n);
	return (same);
}

/* Report the DelegationSet of a GetHostedZone answer. */
static void
route53_report_ns(struct route53_op *op, const struct xml_node *root)
{
	struct provider		*p = op->r->p;
	const struct xml_node	*ds, *nss, *k;
	char			**names = NULL, *n;
	size_t			 nn = 0, i;

	ds = xml_child(root, "DelegationSet");
	nss = xml_child(ds, "NameServers");
	for (i = 0; nss != NULL && i < nss->nkids; i++) {
		k = &nss->kids[i];
		if (!xml_is(k, "NameServer") || k->nkids > 0)
			continue;
		if ((n = route53_name_in(k->text)) == NULL) {
			route53_names_free(names, nn);
			route53_fail(op, "invalid response: bad NameServer");
			return;
		}
		names = xreallocarray(names, nn + 1, sizeof(*names));
		names[nn++] = n;
	}
	if (nn == 0) {
		route53_fail(op, "invalid response: no DelegationSet "
		    "NameServers");
		return;
	}
	route53_op_detach(op);
	op->ns_cb(p, 0, NULL, names, nn, op->arg);
	route53_names_free(names, nn);
	route53_op_free(op);
}

/* A ListHostedZonesByName or GetHostedZone answer came back. */
static void
route53_got_zone(struct route53_op *op, const struct http_response *resp)
{
	struct provider		*p = op->r->p;
	struct xml_node		 root;
	const struct xml_node	*hz, *cfg;
	const char		*name, *id, *priv;
	char			 err[ROUTE53_ERR_MAX], perr[128];

	if (resp->err == HTTP_OK && resp->status == 404) {
		route53_op_error(op, "zone not found (NoSuchHostedZone)");
		return;
	}
	if (resp->err != HTTP_OK || resp->status != 200) {
		route53_http_error(resp, err, sizeof(err));
		route53_op_error(op, err);
		return;
	}
	if (xml_parse(resp->body, resp->body_len, &root, perr,
	    sizeof(perr)) == -1) {
		snprintf(err, sizeof(err), "invalid response: %s", perr);
		route53_op_error(op, err);
		return;
	}
	if (op->step == ROUTE53_STEP_LOOKUP) {
		if (!xml_is(&root, "ListHostedZonesByNameResponse") ||
		    xml_child(&root, "HostedZones") == NULL) {
			xml_node_clear(&root);
			route53_op_error(op, "invalid response: not a "
			    "ListHostedZonesByNameResponse");
			return;
		}
		hz = xml_child(xml_child(&root, "HostedZones"), "HostedZone");
	} else {
		if (!xml_is(&root, "GetHostedZoneResponse")) {
			xml_node_clear(&root);
			route53_op_error(op, "invalid response: not a "
			    "GetHostedZoneResponse");
			return;
		}
		hz = xml_child(&root, "HostedZone");
	}
	name = xml_text(hz, "Name");
	id = xml_text(hz, "Id");
	if (hz == NULL && op->step == ROUTE53_STEP_LOOKUP) {
		xml_node_clear(&root);
		route53_op_error(op, "zone not found");
		return;
	}
	if (name == NULL || id == NULL) {
		xml_node_clear(&root);
		route53_op_error(op, "invalid response: HostedZone without "
		    "Id or Name");
		return;
	}
	if (!route53_name_is(name, op->origin)) {
		if (op->step == ROUTE53_STEP_LOOKUP)
			snprintf(err, sizeof(err), "zone not found");
		else
			snprintf(err, sizeof(err), "hosted zone %.64s is "
			    "%.200s, not %.200s", op->r->zone_id, name,
			    op->origin);
		xml_node_clear(&root);
		route53_op_error(op, err);
		return;
	}
	cfg = xml_child(hz, "Config");
	priv = xml_text(cfg, "PrivateZone");
	if (priv != NULL && strcmp(priv, "true") == 0) {
		xml_node_clear(&root);
		route53_op_error(op, "the hosted zone is private (not served "
		    "on the Internet)");
		return;
	}
	if (strncmp(id, "/hostedzone/", 12) == 0)
		id += 12;
	if (*id == '\0' || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(id) ||
	    strlen(id) > 64) {
		xml_node_clear(&root);
		route53_op_error(op, "invalid response: bad hosted zone Id");
		return;
	}
	free(op->zs->id);
	op->zs->id = xstrdup(id);
	log_debug("route53", "%s: %s: hosted zone %s", p->name, op->origin,
	    op->zs->id);
	if (op->step == ROUTE53_STEP_ZONE && op->kind == ROUTE53_NS) {
		route53_report_ns(op, &root);
		xml_node_clear(&root);
		return;
	}
	xml_node_clear(&root);
	if (route53_step_main(op) == -1)
		route53_op_error(op, "cannot start the HTTP request");
}

/* --- fetch ---------------------------------------------------------------- */

static int
route53_list_next(struct route53_op *op)
{
	char	*path;
	int	 rv;

	op->step = ROUTE53_STEP_LIST;
	if (op->next != NULL)
		xasprintf(&path, "/hostedzone/%s/rrset?%s", op->zs->id,
		    op->next);
	else
		xasprintf(&path, "/hostedzone/%s/rrset?maxitems=%d",
		    op->zs->id, ROUTE53_PAGE);
	rv = route53_send(op, "GET", path, NULL);
	free(path);
	return (rv);
}

static int
route53_is_routing(const struct xml_node *rs)
{
	static const char *const keys[] = {
		"AliasTarget", "SetIdentifier", "Weight", "Region",
		"Failover", "GeoLocation", "MultiValueAnswer",
		"CidrRoutingConfig", "GeoProximityLocation",
		"TrafficPolicyInstanceId", "HealthCheckId",
	};
	size_t	i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (xml_child(rs, keys[i]) != NULL)
			return (1);
	}
	return (0);
}

static int
route53_ttl(const char *s, uint32_t *ttl)
{
	unsigned long long	v = 0;

	if (*s == '\0' || strlen(s) > 10)
		return (-1);
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return (-1);
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > ZONE_TTL_MAX)
		return (-1);
	*ttl = (uint32_t)v;
	return (0);
}

/* One ResourceRecordSet into op->z; -1 with err. */
static int
route53_add_set(struct route53_op *op, const struct xml_node *rs,
    size_t nth, char *err, size_t errlen)
{
	const struct xml_node	*rrs, *rec;
	const char		*name, *type, *ttls, *v;
	struct route53_raw	 raw;
	struct zone_error	 zerr;
	char			*owner, *val;
	uint16_t		 t;
	uint32_t		 ttl;
	size_t			 i;

	name = xml_text(rs, "Name");
	type = xml_text(rs, "Type");
	if (name == NULL || type == NULL) {
		snprintf(err, errlen, "invalid response: page %zu: record set "
		    "%zu lacks Name or Type", op->pages, nth);
		return (-1);
	}
	if ((owner = route53_name_in(name)) == NULL) {
		snprintf(err, errlen, "invalid response: bad name '%.255s'",
		    name);
		return (-1);
	}
	if (route53_is_routing(rs)) {
		log_info("route53", "%s: %s: %s %.20s is an alias or "
		    "routing-policy record set: not managed, its name is "
		    "left alone", op->r->p->name, op->origin, owner, type);
		op->skipped = xreallocarray(op->skipped, op->nskipped + 1,
		    sizeof(*op->skipped));
		op->skipped[op->nskipped++] = owner;
		return (0);
	}
	t = ldns_get_rr_type_by_name(type);
	if (t == 0 || !route53_type_ok(t)) {
		snprintf(err, errlen, "invalid response: %.255s: unknown type "
		    "'%.20s'", owner, type);
		free(owner);
		return (-1);
	}
	if ((ttls = xml_text(rs, "TTL")) == NULL ||
	    route53_ttl(ttls, &ttl) == -1) {
		snprintf(err, errlen, "invalid response: %.255s %.20s: no or "
		    "bad TTL", owner, type);
		free(owner);
		return (-1);
	}
	rrs = xml_child(rs, "ResourceRecords");
	memset(&raw, 0, sizeof(raw));
	raw.type = t;
	raw.ttl = ttl;
	for (i = 0; rrs != NULL && i < rrs->nkids; i++) {
		rec = &rrs->kids[i];
		if (!xml_is(rec, "ResourceRecord") ||
		    (v = xml_text(rec, "Value")) == NULL) {
			snprintf(err, errlen, "invalid response: %.255s "
			    "%.20s: bad ResourceRecord", owner, type);
			goto fail;
		}
		if ((val = route53_value_in(t, v)) == NULL) {
			snprintf(err, errlen, "invalid response: %.200s "
			    "%.20s: cannot read value '%.200s'", owner, type,
			    v);
			goto fail;
		}
		if (zone_add_rr_text(op->z, owner, t, ttl, val, &zerr) == -1) {
			snprintf(err, errlen, "invalid response: %.400s",
			    zerr.msg);
			free(val);
			goto fail;
		}
		free(val);
		raw.values = xreallocarray(raw.values, raw.nvalues + 1,
		    sizeof(*raw.values));
		raw.values[raw.nvalues++] = xstrdup(v);
	}
	if (raw.nvalues == 0) {
		snprintf(err, errlen, "invalid response: %.255s %.20s: no "
		    "ResourceRecords", owner, type);
		goto fail;
	}
	raw.owner = owner;
	op->raw = xreallocarray(op->raw, op->nraw + 1, sizeof(*op->raw));
	op->raw[op->nraw++] = raw;
	return (0);

fail:
	route53_names_free(raw.values, raw.nvalues);
	free(owner);
	return (-1);
}

/* The whole listing is in: finish the zone and hand it over. */
static void
route53_fetch_done(struct route53_op *op)
{
	struct provider		*p = op->r->p;
	struct route53_zone	*zs = op->zs;
	struct zone_error	 zerr;
	struct zone		*z;
	char			 err[ROUTE53_ERR_MAX];

	if (zone_finish(op->z, &zerr) == -1) {
		snprintf(err, sizeof(err), "invalid response: %.400s",
		    zerr.msg);
		route53_fail(op, err);
		return;
	}
	if (zone_find(op->z, op->z->origin, LDNS_RR_TYPE_SOA) == NULL) {
		route53_fail(op, "invalid response: no SOA record at the apex");
		return;
	}
	if (op->z->nrrsets != op->nraw) {
		route53_fail(op, "invalid response: the same RRset is listed "
		    "more than once");
		return;
	}
	qsort(op->raw, op->nraw, sizeof(*op->raw), route53_raw_cmp);
	if (op->nskipped > 0)
		qsort(op->skipped, op->nskipped, sizeof(*op->skipped),
		    route53_str_cmp);
	route53_raw_clear(zs->raw, zs->nraw);
	route53_names_free(zs->skipped, zs->nskipped);
	zs->raw = op->raw;
	zs->nraw = op->nraw;
	zs->skipped = op->skipped;
	zs->nskipped = op->nskipped;
	op->raw = NULL;
	op->nraw = 0;
	op->skipped = NULL;
	if (op->nskipped > 0)
		log_info("route53", "%s: %s: %zu alias or routing-policy "
		    "record sets left out", p->name, op->origin, op->nskipped);
	op->nskipped = 0;
	log_debug("route53", "%s: %s: %zu RRsets in %zu pages", p->name,
	    op->origin, zs->nraw, op->pages);
	z = op->z;
	op->z = NULL;
	route53_op_detach(op);
	op->fetch_cb(p, 0, NULL, z, op->arg);
	route53_op_free(op);
}

/* A ListResourceRecordSets page came back. */
static void
route53_got_page(struct route53_op *op, const struct http_response *resp)
{
	struct xml_node		 root;
	const struct xml_node	*sets;
	const char		*trunc, *nn, *nt, *ni;
	char			 err[ROUTE53_ERR_MAX], perr[128], *next;
	struct buf		 q;
	size_t			 i;

	op->pages++;
	if (resp->err == HTTP_OK && resp->status == 404) {
		free(op->zs->id);
		op->zs->id = NULL;	/* look it up again next time */
		route53_fail(op, "zone not found (NoSuchHostedZone)");
		return;
	}
	if (resp->err != HTTP_OK || resp->status != 200) {
		route53_http_error(resp, err, sizeof(err));
		route53_fail(op, err);
		return;
	}
	if (xml_parse(resp->body, resp->body_len, &root, perr,
	    sizeof(perr)) == -1) {
		snprintf(err, sizeof(err), "invalid response: page %zu: %s",
		    op->pages, perr);
		route53_fail(op, err);
		return;
	}
	sets = xml_child(&root, "ResourceRecordSets");
	trunc = xml_text(&root, "IsTruncated");
	if (!xml_is(&root, "ListResourceRecordSetsResponse") ||
	    sets == NULL || trunc == NULL || (strcmp(trunc, "true") != 0 &&
	    strcmp(trunc, "false") != 0)) {
		snprintf(err, sizeof(err), "invalid response: page %zu is not "
		    "a complete ListResourceRecordSetsResponse", op->pages);
		goto fail;
	}
	for (i = 0; i < sets->nkids; i++) {
		if (!xml_is(&sets->kids[i], "ResourceRecordSet")) {
			snprintf(err, sizeof(err), "invalid response: page "
			    "%zu: unexpected element", op->pages);
			goto fail;
		}
		if (route53_add_set(op, &sets->kids[i], i + 1, err,
		    sizeof(err)) == -1)
			goto fail;
	}
	if (strcmp(trunc, "false") == 0) {
		xml_node_clear(&root);
		route53_fetch_done(op);
		return;
	}
	nn = xml_text(&root, "NextRecordName");
	nt = xml_text(&root, "NextRecordType");
	ni = xml_text(&root, "NextRecordIdentifier");
	if (nn == NULL || nt == NULL || *nn == '\0' || *nt == '\0') {
		snprintf(err, sizeof(err), "invalid response: page %zu is "
		    "truncated but names no next record", op->pages);
		goto fail;
	}
	memset(&q, 0, sizeof(q));
	if (ni != NULL) {
		buf_add(&q, "identifier=");
		route53_qenc(&q, ni);
		buf_addc(&q, '&');
	}
	buf_printf(&q, "maxitems=%d&name=", ROUTE53_PAGE);
	route53_qenc(&q, nn);
	buf_add(&q, "&type=");
	route53_qenc(&q, nt);
	next = buf_take(&q);
	if (op->next != NULL && strcmp(op->next, next) == 0) {
		free(next);
		snprintf(err, sizeof(err), "invalid response: page %zu does "
		    "not advance", op->pages);
		goto fail;
	}
	free(op->next);
	op->next = next;
	xml_node_clear(&root);
	if (route53_list_next(op) == -1)
		route53_fail(op, "cannot start the HTTP request");
	return;

fail:
	xml_node_clear(&root);
	route53_fail(op, err);
}

/* --- apply ---------------------------------------------------------------- */

static const struct route53_raw *
route53_raw_find(const struct route53_zone *zs, const struct rrset *rs)
{
	struct route53_raw	key;

	if (zs->nraw == 0)
		return (NULL);
	key.owner = rs->owner;
	key.type = rs->type;
	return (bsearch(&key, zs->raw, zs->nraw, sizeof(*zs->raw),
	    route53_raw_cmp));
}

static int
route53_skipped(const struct route53_zone *zs, const char *owner)
{
	if (zs->nskipped == 0)
		return (0);
	return (bsearch(&owner, zs->skipped, zs->nskipped,
	    sizeof(*zs->skipped), route53_str_cmp) != NULL);
}

/*
 * Decide how change i is sent; NULL, or why it cannot be sent (the
 * change then fails on its own, the others go on).
 */
static const char *
route53_prepare(struct route53_op *op, size_t i, struct route53_send *s)
{
	const struct change	*c = &op->cs->changes[i];
	const struct rrset	*rs;
	const struct route53_raw *raw;
	char			*v;
	size_t			 k, mult;

	memset(s, 0, sizeof(*s));
	s->idx = i;
	rs = c->op == CHANGE_DELETE ? c->old : c->new;
	s->rs = rs;
	if (rs->type == LDNS_RR_TYPE_SOA)
		return ("SOA is Route 53's own: never changed");
	if (route53_skipped(op->zs, rs->owner))
		return ("the name carries an alias or routing-policy record "
		    "set at Route 53: not managed");
	if (!route53_type_ok(rs->type))
		return ("record type not supported by Route 53");
	if (c->op == CHANGE_DELETE && rs->type == LDNS_RR_TYPE_NS &&
	    strcmp(rs->owner, op->origin) == 0)
		return ("Route 53 does not allow deleting the apex NS");
	switch (c->op) {
	case CHANGE_CREATE:
		s->action = "CREATE";
		break;
	case CHANGE_UPDATE:
		s->action = "UPSERT";
		break;
	case CHANGE_DELETE:
		s->action = "DELETE";
		break;
	}
	mult = c->op == CHANGE_UPDATE ? 2 : 1;
	raw = c->op == CHANGE_DELETE ? route53_raw_find(op->zs, rs) : NULL;
	if (raw != NULL && (raw->ttl != rs->ttl || raw->nvalues != rs->nrdata))
		raw = NULL;	/* changed since: state it as we know it */
	s->values = xcalloc(rs->nrdata, sizeof(*s->values));
	for (k = 0; k < rs->nrdata; k++) {
		if (raw != NULL)
			v = xstrdup(raw->values[k]);
		else if ((v = route53_value_out(rs->type,
		    &rs->rdata[k])) == NULL)
			return ("the value cannot be written in Route 53's "
			    "escape syntax");
		s->values[s->nvalues++] = v;
		s->chars += strlen(v) * mult;
	}
	s->rr = rs->nrdata * mult;
	if (s->rr > ROUTE53_MAX_RR || s->chars > ROUTE53_MAX_CHARS)
		return ("larger than one ChangeResourceRecordSets request "
		    "allows");
	return (NULL);
}

static char *
route53_change_body(struct route53_op *op)
{
	const struct route53_send	*s;
	struct buf			 b;
	char				 tname[16], *name;
	size_t				 i, k;

	memset(&b, 0, sizeof(b));
	buf_add(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ChangeResourceRecordSetsRequest xmlns=\"" ROUTE53_XMLNS "\">"
	    "<ChangeBatch><Changes>");
	for (i = op->first; i < op->last; i++) {
		s = &op->send[i];
		name = route53_name_out(s->rs->owner);
		buf_printf(&b, "<Change><Action>%s</Action>"
		    "<ResourceRecordSet><Name>", s->action);
		route53_xenc(&b, name);
		free(name);
		buf_printf(&b, "</Name><Type>%s</Type><TTL>%u</TTL>"
		    "<ResourceRecords>", zone_type_name(s->rs->type, tname,
		    sizeof(tname)), s->rs->ttl);
		for (k = 0; k < s->nvalues; k++) {
			buf_add(&b, "<ResourceRecord><Value>");
			route53_xenc(&b, s->values[k]);
			buf_add(&b, "</Value></ResourceRecord>");
		}
		buf_add(&b, "</ResourceRecords></ResourceRecordSet></Change>");
	}
	buf_add(&b, "</Changes></ChangeBatch>"
	    "</ChangeResourceRecordSetsRequest>\n");
	return (buf_take(&b));
}

/* Send the next batch, or finish; -1 when the request cannot start. */
static int
route53_apply_next(struct route53_op *op)
{
	char	*body, *path;
	size_t	 rr = 0, chars = 0;
	int	 rv;

	op->first = op->last;
	if (op->first >= op->nsend) {
		route53_apply_done(op);
		return (0);
	}
	for (op->last = op->first; op->last < op->nsend; op->last++) {
		if (rr + op->send[op->last].rr > ROUTE53_MAX_RR ||
		    chars + op->send[op->last].chars > ROUTE53_MAX_CHARS)
			break;
		rr += op->send[op->last].rr;
		chars += op->send[op->last].chars;
	}
	op->step = ROUTE53_STEP_CHANGE;
	body = route53_change_body(op);
	xasprintf(&path, "/hostedzone/%s/rrset", op->zs->id);
	rv = route53_send(op, "POST", path, body);
	free(path);
	free(body);
	log_debug("route53", "%s: %s: batch of changes %zu-%zu (%zu records, "
	    "%zu characters)", op->r->p->name, op->origin, op->first + 1,
	    op->last, rr, chars);
	return (rv);
}

static void
route53_batch_ok(struct route53_op *op)
{
	size_t	i;

	for (i = op->first; i < op->last; i++)
		op->res.results[op->send[i].idx] = CHANGE_RESULT_OK;
	if (route53_apply_next(op) == -1)
		route53_op_error(op, "cannot start the HTTP request");
}

static void
route53_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct route53_op	*op = arg;
	char			*path;
	int			 rv;

	(void)fd;
	(void)what;
	op->step = ROUTE53_STEP_POLL;
	xasprintf(&path, "/change/%s", op->change_id);
	rv = route53_send(op, "GET", path, NULL);
	free(path);
	if (rv == -1)
		route53_op_error(op, "cannot start the HTTP request");
}

static void
route53_poll_later(struct route53_op *op)
{
	struct timeval	tv;

	if (op->ev == NULL && (op->ev = evtimer_new(op->r->p->base,
	    route53_poll_cb, op)) == NULL)
		fatalx("route53", "evtimer_new");
	tv.tv_sec = op->poll_ms / 1000;
	tv.tv_usec = (op->poll_ms % 1000) * 1000;
	op->polled_ms += op->poll_ms;
	evtimer_add(op->ev, &tv);
	op->poll_ms *= 2;
	if (op->poll_ms > ROUTE53_POLL_CAP_MS)
		op->poll_ms = ROUTE53_POLL_CAP_MS;
}

/* The ChangeInfo of a ChangeResourceRecordSets or GetChange answer. */
static int
route53_change_info(const struct http_response *resp, char **id,
    char **status)
{
	struct xml_node		 root;
	const struct xml_node	*ci;
	const char		*i, *s;
	char			 perr[128];

	*id = *status = NULL;
	if (xml_parse(resp->body, resp->body_len, &root, perr,
	    sizeof(perr)) == -1)
		return (-1);
	ci = xml_child(&root, "ChangeInfo");
	i = xml_text(ci, "Id");
	s = xml_text(ci, "Status");
	if (i != NULL && strncmp(i, "/change/", 8) == 0)
		i += 8;
	if (i == NULL || s == NULL || *i == '\0' || strlen(i) > 64 ||
	    strspn(i, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789") != strlen(i)) {
		xml_node_clear(&root);
		return (-1);
	}
	*id = xstrdup(i);
	*status = xstrdup(s);
	xml_node_clear(&root);
	return (0);
}

/* A ChangeResourceRecordSets answer came back. */
static void
route53_changed(struct route53_op *op, const struct http_response *resp)
{
	struct provider	*p = op->r->p;
	char		 err[ROUTE53_ERR_MAX], *id, *status;
	size_t		 i;

	op->res.api_calls += resp->attempts > 0 ? (size_t)resp->attempts : 1;
	if (resp->err != HTTP_OK || resp->status != 200) {
		route53_http_error(resp, err, sizeof(err));
		log_debug("route53", "%s: %s: changes %zu-%zu failed: %s",
		    p->name, op->origin, op->first + 1, op->last, err);
		for (i = op->first; i < op->last; i++) {
			op->res.results[op->send[i].idx] =
			    CHANGE_RESULT_FAILED;
			op->res.errors[op->send[i].idx] = xstrdup(err);
		}
		route53_apply_done(op);	/* the rest stays NOT_TRIED */
		return;
	}
	if (route53_change_info(resp, &id, &status) == -1) {
		log_warnx("route53", "%s: %s: change accepted (HTTP 200) but "
		    "its ChangeInfo is unreadable", p->name, op->origin);
		route53_batch_ok(op);
		return;
	}
	log_debug("route53", "%s: %s: change %s %s", p->name, op->origin, id,
	    status);
	free(op->change_id);
	op->change_id = id;
	if (!op->r->wait_insync || strcmp(status, "INSYNC") == 0) {
		free(status);
		route53_batch_ok(op);
		return;
	}
	free(status);
	op->poll_ms = ROUTE53_POLL_FIRST_MS;
	op->polled_ms = 0;
	route53_poll_later(op);
}

/* A GetChange answer came back. */
static void
route53_polled(struct route53_op *op, const struct http_response *resp)
{
	char	err[ROUTE53_ERR_MAX], *id, *status;
	int	insync;

	op->res.api_calls += resp->attempts > 0 ? (size_t)resp->attempts : 1;
	if (resp->err != HTTP_OK || resp->status != 200) {
		route53_http_error(resp, err, sizeof(err));
		route53_op_error(op, err);
		return;
	}
	if (route53_change_info(resp, &id, &status) == -1) {
		route53_op_error(op, "invalid response: GetChange without "
		    "ChangeInfo");
		return;
	}
	insync = strcmp(status, "INSYNC") == 0;
	free(id);
	free(status);
	if (insync) {
		route53_batch_ok(op);
		return;
	}
	if (op->polled_ms >= ROUTE53_POLL_MAX_MS) {
		snprintf(err, sizeof(err), "change %.64s accepted but not "
		    "INSYNC after %u s", op->change_id, op->polled_ms / 1000);
		route53_op_error(op, err);
		return;
	}
	route53_poll_later(op);
}

/* --- dispatch ------------------------------------------------------------- */

static int
route53_step_main(struct route53_op *op)
{
	char	*path;
	int	 rv = -1;

	switch (op->kind) {
	case ROUTE53_FETCH:
		rv = route53_list_next(op);
		break;
	case ROUTE53_APPLY:
		rv = route53_apply_next(op);
		break;
	case ROUTE53_NS:
		op->step = ROUTE53_STEP_ZONE;
		xasprintf(&path, "/hostedzone/%s", op->zs->id);
		rv = route53_send(op, "GET", path, NULL);
		free(path);
		break;
	}
	return (rv);
}

/* GetHostedZone for nameservers once the id is known. */
static void
route53_got_ns(struct route53_op *op, const struct http_response *resp)
{
	struct xml_node	root;
	char		err[ROUTE53_ERR_MAX], perr[128];

	if (resp->err == HTTP_OK && resp->status == 404) {
		free(op->zs->id);
		op->zs->id = NULL;
		route53_fail(op, "zone not found (NoSuchHostedZone)");
		return;
	}
	if (resp->err != HTTP_OK || resp->status != 200) {
		route53_http_error(resp, err, sizeof(err));
		route53_fail(op, err);
		return;
	}
	if (xml_parse(resp->body, resp->body_len, &root, perr,
	    sizeof(perr)) == -1) {
		snprintf(err, sizeof(err), "invalid response: %s", perr);
		route53_fail(op, err);
		return;
	}
	route53_report_ns(op, &root);
	xml_node_clear(&root);
}

static void
route53_http_cb(const struct http_response *resp, void *arg)
{
	struct route53_op	*op = arg;

	op->req = NULL;
	switch (op->step) {
	case ROUTE53_STEP_LOOKUP:
		route53_got_zone(op, resp);
		break;
	case ROUTE53_STEP_ZONE:
		if (op->zs->id == NULL)
			route53_got_zone(op, resp);
		else
			route53_got_ns(op, resp);
		break;
	case ROUTE53_STEP_LIST:
		route53_got_page(op, resp);
		break;
	case ROUTE53_STEP_CHANGE:
		route53_changed(op, resp);
		break;
	case ROUTE53_STEP_POLL:
		route53_polled(op, resp);
		break;
	}
}

/* An answer known at once, given from the event loop. */
static void
route53_deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct route53_op	*op = arg;
	struct route53		*r = op->r;
	struct provider		*p = r->p;
	char			**names;
	size_t			 i, n;

	(void)fd;
	(void)what;
	route53_op_detach(op);
	switch (op->kind) {
	case ROUTE53_NS:
		n = r->nns;
		names = xcalloc(n, sizeof(*names));
		for (i = 0; i < n; i++)
			names[i] = xstrdup(r->ns[i]);
		op->ns_cb(p, 0, NULL, names, n, op->arg);
		route53_names_free(names, n);
		break;
	case ROUTE53_APPLY:
		op->apply_cb(p, &op->res, op->arg);
		break;
	case ROUTE53_FETCH:
		break;
	}
	route53_op_free(op);
}

static int
route53_defer(struct route53_op *op)
{
	struct timeval	tv = { 0, 0 };

	if (op->r->p->base == NULL)
		return (-1);
	op->ev = evtimer_new(op->r->p->base, route53_deferred_cb, op);
	if (op->ev == NULL || evtimer_add(op->ev, &tv) == -1)
		return (-1);
	return (0);
}

static void
route53_op_abandon(struct route53_op *op)
{
	TAILQ_REMOVE(&op->r->ops, op, entry);
	route53_op_free(op);
}

/* --- provider_ops --------------------------------------------------------- */

static int
route53_fetch(struct provider *p, const char *origin, provider_fetch_cb cb,
    void *arg, char *err, size_t errlen)
{
	struct route53		*r = p->priv;
	struct route53_op	*op;

	if (route53_pool(r, err, errlen) == -1)
		return (-1);
	op = route53_op_new(r, ROUTE53_FETCH, origin);
	if ((op->z = zone_new(op->origin)) == NULL) {
		route53_op_abandon(op);
		snprintf(err, errlen, "provider %s: invalid zone name %.255s",
		    p->name, origin);
		return (-1);
	}
	op->fetch_cb = cb;
	op->arg = arg;
	if (route53_start(op) == -1) {
		route53_op_abandon(op);
		snprintf(err, errlen, "provider %s: cannot start the HTTP "
		    "request", p->name);
		return (-1);
	}
	return (0);
}

static int
route53_apply(struct provider *p, const char *origin,
    const struct changeset *cs, provider_apply_cb cb, void *arg, char *err,
    size_t errlen)
{
	struct route53		*r = p->priv;
	struct route53_op	*op;
	const struct change	*c;
	const char		*why;
	size_t			 i, nrefused = 0;

	for (i = 0; i < cs->nchanges; i++) {
		c = &cs->changes[i];
		if ((c->op == CHANGE_DELETE && c->old == NULL) ||
		    (c->op != CHANGE_DELETE && c->new == NULL)) {
			snprintf(err, errlen, "provider %s: change %zu has no "
			    "RRset", p->name, i + 1);
			return (-1);
		}
	}
	if (route53_pool(r, err, errlen) == -1)
		return (-1);
	op = route53_op_new(r, ROUTE53_APPLY, origin);
	op->apply_cb = cb;
	op->arg = arg;
	op->cs = cs;
	apply_result_init(&op->res, cs->nchanges);
	op->send = xcalloc(cs->nchanges > 0 ? cs->nchanges : 1,
	    sizeof(*op->send));
	for (i = 0; i < cs->nchanges; i++) {
		if ((why = route53_prepare(op, i, &op->send[op->nsend])) ==
		    NULL) {
			op->nsend++;
			continue;
		}
		route53_names_free(op->send[op->nsend].values,
		    op->send[op->nsend].nvalues);
		memset(&op->send[op->nsend], 0, sizeof(op->send[op->nsend]));
		op->res.results[i] = CHANGE_RESULT_FAILED;
		op->res.errors[i] = xstrdup(why);
		nrefused++;
		log_warnx("route53", "%s: %s: %s %s refused: %s", p->name,
		    op->origin, change_op_name(cs->changes[i].op),
		    cs->changes[i].op ==
		    CHANGE_DELETE ? cs->changes[i].old->owner :
		    cs->changes[i].new->owner, why);
	}
	log_debug("route53", "%s: %s: applying %zu changes (%zu refused)",
	    p->name, op->origin, cs->nchanges, nrefused);
	if (op->nsend == 0) {
		if (route53_defer(op) == -1) {
			route53_op_abandon(op);
			snprintf(err, errlen, "provider %s: cannot defer the "
			    "answer", p->name);
			return (-1);
		}
		return (0);
	}
	if (route53_start(op) == -1) {
		route53_op_abandon(op);
		snprintf(err, errlen, "provider %s: cannot start the HTTP "
		    "request", p->name);
		return (-1);
	}
	return (0);
}

static int
route53_nameservers(struct provider *p, const char *origin,
    provider_ns_cb cb, void *arg, char *err, size_t errlen)
{
	struct route53		*r = p->priv;
	struct route53_op	*op;

	if (r->nns == 0 && route53_pool(r, err, errlen) == -1)
		return (-1);
	op = route53_op_new(r, ROUTE53_NS, origin);
	op->ns_cb = cb;
	op->arg = arg;
	if (r->nns > 0) {
		if (route53_defer(op) == -1) {
			route53_op_abandon(op);
			snprintf(err, errlen, "provider %s: cannot defer the "
			    "answer", p->name);
			return (-1);
		}
		return (0);
	}
	if (route53_start(op) == -1) {
		route53_op_abandon(op);
		snprintf(err, errlen, "provider %s: cannot start the HTTP "
		    "request", p->name);
		return (-1);
	}
	return (0);
}

static void
route53_cancel(struct provider *p)
{
	struct route53		*r = p->priv;
	struct route53_op	*op;

	if (r == NULL)
		return;
	while ((op = TAILQ_FIRST(&r->ops)) != NULL) {
		TAILQ_REMOVE(&r->ops, op, entry);
		if (op->req != NULL)
			http_cancel(op->req);
		op->req = NULL;
		route53_op_free(op);
	}
}

static void
route53_zap(char **s)
{
	if (*s != NULL) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

static void
route53_free(struct provider *p)
{
	struct route53		*r = p->priv;
	struct route53_zone	*zs;
	struct curl_slist	*sl;

	if (r == NULL)
		return;
	route53_cancel(p);
	http_pool_free(r->pool);
	while ((zs = TAILQ_FIRST(&r->zones)) != NULL) {
		TAILQ_REMOVE(&r->zones, zs, entry);
		route53_zone_free(zs);
	}
	for (sl = r->hlist; sl != NULL; sl = sl->next)
		explicit_bzero(sl->data, strlen(sl->data));
	curl_slist_free_all(r->hlist);
	route53_zap(&r->secret);
	route53_zap(&r->token_header);
	free(r->access_key);
	route53_names_free(r->ns, r->nns);
	free(r->zone_id);
	free(r->sigv4);
	free(r->region);
	free(r->url);
	free(r);
	p->priv = NULL;
}

/* --- credentials ---------------------------------------------------------- */

static int
route53_cred_ok(const char *s, int key)
{
	if (*s == '\0' || strlen(s) > 4096)
		return (0);
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return (0);
		if (key && !isalnum((unsigned char)*s))
			return (0);
	}
	return (1);
}

static void
route53_set_creds(struct route53 *r, const char *id, const char *secret,
    const char *token)
{
	r->access_key = xstrdup(id);
	r->secret = xstrdup(secret);
	if (token != NULL && *token != '\0')
		xasprintf(&r->token_header, "X-Amz-Security-Token: %s", token);
}

static char *
route53_trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return (s);
}

/*
 * The shared credentials file: "[profile]" sections of "key = value"
 * lines, '#' and ';' comment lines.
 */
static int
route53_creds_file(struct route53 *r, const char *path, const char *profile,
    char *err, size_t errlen)
{
	char	 msg[ROUTE53_ERR_MAX], *buf, *line, *next, *k, *v, *eq;
	char	*id = NULL, *secret = NULL, *token = NULL;
	int	 in = 0, found = 0, rv = -1;
	size_t	 lineno = 0;

	if ((buf = provider_read_secret(path, msg, sizeof(msg))) == NULL) {
		snprintf(err, errlen, "provider %s: credentials-file: %s",
		    r->p->name, msg);
		return (-1);
	}
	for (line = buf; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = route53_trim(line);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			k = route53_trim(line + 1);
			if ((v = strchr(k, ']')) == NULL) {
				snprintf(err, errlen, "provider %s: "
				    "credentials-file: line %zu: bad section",
				    r->p->name, lineno);
				goto out;
			}
			*v = '\0';
			in = strcmp(route53_trim(k), profile) == 0;
			found |= in;
			continue;
		}
		if (!in)
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			snprintf(err, errlen, "provider %s: credentials-file: "
			    "line %zu: expected key = value", r->p->name,
			    lineno);
			goto out;
		}
		*eq = '\0';
		k = route53_trim(line);
		v = route53_trim(eq + 1);
		if (strcmp(k, "aws_access_key_id") == 0)
			id = v;
		else if (strcmp(k, "aws_secret_access_key") == 0)
			secret = v;
		else if (strcmp(k, "aws_session_token") == 0)
			token = v;
	}
	if (!found) {
		snprintf(err, errlen, "provider %s: credentials-file: no "
		    "profile [%.64s]", r->p->name, profile);
		goto out;
	}
	if (id == NULL || secret == NULL || !route53_cred_ok(id, 1) ||
	    !route53_cred_ok(secret, 0) || (token != NULL &&
	    !route53_cred_ok(token, 0))) {
		snprintf(err, errlen, "provider %s: credentials-file: profile "
		    "[%.64s] lacks a valid aws_access_key_id and "
		    "aws_secret_access_key", r->p->name, profile);
		goto out;
	}
	route53_set_creds(r, id, secret, token);
	rv = 0;
out:
	explicit_bzero(buf, strlen(buf));
	free(buf);
	return (rv);
}

static int
route53_creds(struct route53 *r, char *err, size_t errlen)
{
	struct provider	*p = r->p;
	const char	*id, *kf, *cf, *prof, *eid, *esec, *etok;
	char		 msg[ROUTE53_ERR_MAX], *secret;

	id = provider_conf_get(p->conf, "access-key-id");
	kf = provider_conf_get(p->conf, "secret-access-key-file");
	cf = provider_conf_get(p->conf, "credentials-file");
	prof = provider_conf_get(p->conf, "profile");
	if (id != NULL || kf != NULL) {
		if (id == NULL || kf == NULL) {
			snprintf(err, errlen, "provider %s: access-key-id and "
			    "secret-access-key-file go together", p->name);
			return (-1);
		}
		if (cf != NULL) {
			snprintf(err, errlen, "provider %s: give either "
			    "access-key-id or credentials-file", p->name);
			return (-1);
		}
		if (!route53_cred_ok(id, 1)) {
			snprintf(err, errlen, "provider %s: access-key-id: "
			    "expected letters and digits", p->name);
			return (-1);
		}
		if ((secret = provider_read_secret(kf, msg,
		    sizeof(msg))) == NULL) {
			snprintf(err, errlen, "provider %s: "
			    "secret-access-key-file: %s", p->name, msg);
			return (-1);
		}
		if (!route53_cred_ok(secret, 0)) {
			route53_zap(&secret);
			snprintf(err, errlen, "provider %s: "
			    "secret-access-key-file: the key holds a blank, "
			    "control or non-ASCII character", p->name);
			return (-1);
		}
		route53_set_creds(r, id, secret, NULL);
		route53_zap(&secret);
		return (0);
	}
	if (cf != NULL)
		return (route53_creds_file(r, cf, prof != NULL ? prof :
		    "default", err, errlen));
	if (prof != NULL) {
		snprintf(err, errlen, "provider %s: profile needs "
		    "credentials-file", p->name);
		return (-1);
	}
	eid = getenv("AWS_ACCESS_KEY_ID");
	esec = getenv("AWS_SECRET_ACCESS_KEY");
	etok = getenv("AWS_SESSION_TOKEN");
	if (eid == NULL || esec == NULL) {
		snprintf(err, errlen, "provider %s: no AWS credentials: set "
		    "access-key-id and secret-access-key-file, or "
		    "credentials-file, or AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY", p->name);
		return (-1);
	}
	if (!route53_cred_ok(eid, 1) || !route53_cred_ok(esec, 0) ||
	    (etok != NULL && *etok != '\0' && !route53_cred_ok(etok, 0))) {
		snprintf(err, errlen, "provider %s: AWS_ACCESS_KEY_ID, "
		    "AWS_SECRET_ACCESS_KEY or AWS_SESSION_TOKEN is malformed",
		    p->name);
		return (-1);
	}
	route53_set_creds(r, eid, esec, etok);
	return (0);
}

static int
route53_init(struct provider *p, char *err, size_t errlen)
{
	struct route53	*r;
	const char	*url, *region, *zid, *wi, *s;
	size_t		 len, i = 0;

	r = xcalloc(1, sizeof(*r));
	r->p = p;
	TAILQ_INIT(&r->ops);
	TAILQ_INIT(&r->zones);
	p->priv = r;

	if ((url = provider_conf_get(p->conf, "api-url")) == NULL)
		url = ROUTE53_DEFAULT_URL;
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
	r->url = xstrdup(url);
	len = strlen(r->url);
	while (len > 0 && r->url[len - 1] == '/')
		r->url[--len] = '\0';
	if (len >= strlen(ROUTE53_API) &&
	    strcmp(r->url + len - strlen(ROUTE53_API), ROUTE53_API) == 0)
		r->url[len - strlen(ROUTE53_API)] = '\0';

	if ((region = provider_conf_get(p->conf, "region")) == NULL)
		region = "us-east-1";
	if (*region == '\0' || strlen(region) > 64 ||
	    strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
	    strlen(region)) {
		snprintf(err, errlen, "provider %s: region: expected lower-case "
		    "letters, digits and '-'", p->name);
		goto fail;
	}
	r->region = xstrdup(region);
	xasprintf(&r->sigv4, "aws:amz:%s:route53", r->region);

	if ((zid = provider_conf_get(p->conf, "hosted-zone-id")) != NULL) {
		if (strncmp(zid, "/hostedzone/", 12) == 0)
			zid += 12;
		if (*zid == '\0' || strlen(zid) > 64 ||
		    strspn(zid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		    "qrstuvwxyz0123456789") != strlen(zid)) {
			snprintf(err, errlen, "provider %s: hosted-zone-id: "
			    "expected letters and digits", p->name);
			goto fail;
		}
		r->zone_id = xstrdup(zid);
	}

	r->wait_insync = ROUTE53_WAIT_INSYNC;
	if ((wi = provider_conf_get(p->conf, "wait-insync")) != NULL) {
		if (strcmp(wi, "yes") == 0)
			r->wait_insync = 1;
		else if (strcmp(wi, "no") == 0)
			r->wait_insync = 0;
		else {
			snprintf(err, errlen, "provider %s: wait-insync: "
			    "expected yes or no", p->name);
			goto fail;
		}
	}
	if (provider_conf_names(p, &r->ns, &r->nns, err, errlen) == -1)
		goto fail;

	if (route53_creds(r, err, errlen) == -1)
		goto fail;
	r->headers[i++] = "Content-Type: text/xml";
	if (r->token_header != NULL)
		r->headers[i++] = r->token_header;
	r->headers[i] = NULL;
	for (i = 0; r->headers[i] != NULL; i++) {
		if ((r->hlist = curl_slist_append(r->hlist,
		    r->headers[i])) == NULL)
			fatalx("route53", "curl_slist_append");
	}

	p->caps.flags = PROVIDER_CAP_APEX_NS | PROVIDER_CAP_ATOMIC;
	p->caps.max_batch = ROUTE53_MAX_RR;
	p->caps.min_ttl = 0;
	p->caps.types = route53_types;
	p->caps.ntypes = ROUTE53_NTYPES;

	if (p->http != NULL && route53_pool(r, err, errlen) == -1)
		goto fail;
	return (0);

fail:
	route53_free(p);
	return (-1);
}

const struct provider_ops route53_ops = {
	.type = "route53",
	.init = route53_init,
	.free = route53_free,
	.fetch = route53_fetch,
	.apply = route53_apply,
	.nameservers = route53_nameservers,
	.cancel = route53_cancel,
};
