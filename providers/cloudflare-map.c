/*
 * cloudflare-map.c: Cloudflare DNS records to and from RRsets.
 *
 * In: a record object of the API (content, priority, data) becomes the
 * presentation rdata of the record, and then its canonical wire form
 * through a scratch zone; TXT content that is not quoted strings is one
 * raw string, quoted here.  Out: the rdata of an RRset becomes a record
 * object for a post, with the fields the API documents for its type.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <ldns/ldns.h>

#include "cloudflare-map.h"
#include "xmalloc.h"
#include "zone.h"

/* --- in ----------------------------------------------------------------- */

/* A JSON number that is an integer in [lo, hi]. */
int
cloudflare_uint(const cJSON *n, double lo, double hi, double *out)
{
	if (!cJSON_IsNumber(n) || n->valuedouble < lo ||
	    n->valuedouble > hi || (double)(long long)n->valuedouble !=
	    n->valuedouble)
		return (-1);
	*out = n->valuedouble;
	return (0);
}

/* "www.example.com." -> "www.example.com"; the root stays ".". */
char *
cloudflare_undot(const char *name)
{
	char	*s = xstrdup(name);
	size_t	 len = strlen(s);

	if (len > 1 && s[len - 1] == '.')
		s[len - 1] = '\0';
	return (s);
}

static int
cloudflare_proxiable(uint16_t type)
{
	return (type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA ||
	    type == LDNS_RR_TYPE_CNAME);
}

/* RFC 1035 quoted strings of at most 255 octets for a raw TXT value. */
char *
cloudflare_txt_quote(const char *raw)
{
	const unsigned char	*s;
	char			*out, *o;
	size_t			 n = 0, len = strlen(raw);

	out = o = xmalloc(len * 4 + (len / 255 + 1) * 3 + 3);
	*o++ = '"';
	for (s = (const unsigned char *)raw; *s != '\0'; s++) {
		if (n == 255) {
			*o++ = '"';
			*o++ = ' ';
			*o++ = '"';
			n = 0;
		}
		if (*s == '"' || *s == '\\') {
			*o++ = '\\';
			*o++ = (char)*s;
		} else if (*s < 0x20 || *s >= 0x7f) {
			snprintf(o, 5, "\\%03u", *s);
			o += 4;
		} else
			*o++ = (char)*s;
		n++;
	}
	*o++ = '"';
	*o = '\0';
	return (out);
}

/* Append a dot to the last word of s unless it has one. */
static char *
cloudflare_dot_last(const char *s)
{
	char	*out;
	size_t	 len = strlen(s);

	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0 || s[len - 1] == '.')
		xasprintf(&out, "%.*s", (int)len, s);
	else
		xasprintf(&out, "%.*s.", (int)len, s);
	return (out);
}

/* CAA value as a quoted string. */
static char *
cloudflare_caa_text(double flags, const char *tag, const char *value)
{
	char	*q, *s;

	q = cloudflare_txt_quote(value);
	/* one string only: the quote splitter is harmless below 256 */
	xasprintf(&s, "%.0f %s %s", flags, tag, q);
	free(q);
	return (s);
}

/* The presentation rdata of one API record, or NULL with err set. */
char *
cloudflare_rdata(const cJSON *rec, uint16_t type, const char *tname,
    const char *name, char *err, size_t errlen)
{
	const cJSON	*content, *prio, *data, *a, *b, *c, *d;
	double		 vp, vw, vport, vf;
	char		*s, *t;
	const char	*cs, *tb, *te;
	int		 fields;

	content = cJSON_GetObjectItemCaseSensitive(rec, "content");
	prio = cJSON_GetObjectItemCaseSensitive(rec, "priority");
	data = cJSON_GetObjectItemCaseSensitive(rec, "data");
	cs = cJSON_IsString(content) ? content->valuestring : NULL;

	switch (type) {
	case LDNS_RR_TYPE_MX:
		if (cs == NULL || cloudflare_uint(prio, 0, 65535, &vp) == -1)
			break;
		t = cloudflare_dot_last(cs);
		xasprintf(&s, "%.0f %s", vp, t);
		free(t);
		return (s);
	case LDNS_RR_TYPE_SRV:
		if (cJSON_IsObject(data)) {
			a = cJSON_GetObjectItemCaseSensitive(data, "priority");
			b = cJSON_GetObjectItemCaseSensitive(data, "weight");
			c = cJSON_GetObjectItemCaseSensitive(data, "port");
			d = cJSON_GetObjectItemCaseSensitive(data, "target");
			if (cloudflare_uint(a, 0, 65535, &vp) == 0 &&
			    cloudflare_uint(b, 0, 65535, &vw) == 0 &&
			    cloudflare_uint(c, 0, 65535, &vport) == 0 &&
			    cJSON_IsString(d)) {
				t = cloudflare_dot_last(d->valuestring);
				xasprintf(&s, "%.0f %.0f %.0f %s", vp, vw,
				    vport, t);
				free(t);
				return (s);
			}
		}
		if (cs == NULL)
			break;
		fields = 0;
		for (tb = cs; *tb != '\0'; ) {
			while (isspace((unsigned char)*tb))
				tb++;
			if (*tb == '\0')
				break;
			fields++;
			while (*tb != '\0' && !isspace((unsigned char)*tb))
				tb++;
		}
		if (fields == 4)
			return (cloudflare_dot_last(cs));
		if (fields == 3 &&
		    cloudflare_uint(prio, 0, 65535, &vp) == 0) {
			t = cloudflare_dot_last(cs);
			xasprintf(&s, "%.0f %s", vp, t);
			free(t);
			return (s);
		}
		break;
	case LDNS_RR_TYPE_CAA:
		if (cJSON_IsObject(data)) {
			a = cJSON_GetObjectItemCaseSensitive(data, "flags");
			b = cJSON_GetObjectItemCaseSensitive(data, "tag");
			c = cJSON_GetObjectItemCaseSensitive(data, "value");
			if (cloudflare_uint(a, 0, 255, &vf) == 0 &&
			    cJSON_IsString(b) && cJSON_IsString(c))
				return (cloudflare_caa_text(vf, b->valuestring,
				    c->valuestring));
		}
		if (cs != NULL)
			return (xstrdup(cs));
		break;
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_PTR:
	case LDNS_RR_TYPE_DNAME:
		if (cs == NULL || cs[0] == '\0')
			break;
		return (cloudflare_dot_last(cs));
	case LDNS_RR_TYPE_HTTPS:
	case LDNS_RR_TYPE_SVCB:
		/* "priority target params": the target gets its dot */
		if (cs == NULL)
			break;
		tb = cs;
		while (*tb != '\0' && !isspace((unsigned char)*tb))
			tb++;
		while (isspace((unsigned char)*tb))
			tb++;
		te = tb;
		while (*te != '\0' && !isspace((unsigned char)*te))
			te++;
		if (te == tb)
			break;
		if (te[-1] == '.')
			return (xstrdup(cs));
		xasprintf(&s, "%.*s.%s", (int)(te - cs), cs, te);
		return (s);
	case LDNS_RR_TYPE_TXT:
		/* quoted strings, else (older answers) one raw string */
		if (cs == NULL)
			break;
		if (cs[0] != '"')
			return (cloudflare_txt_quote(cs));
		return (xstrdup(cs));
	case LDNS_RR_TYPE_A:
	case LDNS_RR_TYPE_AAAA:
	case LDNS_RR_TYPE_SSHFP:
	case LDNS_RR_TYPE_TLSA:
	case LDNS_RR_TYPE_SMIMEA:
	case LDNS_RR_TYPE_DS:
	case LDNS_RR_TYPE_DNSKEY:
	case LDNS_RR_TYPE_CERT:
	case LDNS_RR_TYPE_LOC:
	case LDNS_RR_TYPE_OPENPGPKEY:
		if (cs == NULL)
			break;
		return (xstrdup(cs));
	default:
		snprintf(err, errlen, "invalid response: %.255s: record type "
		    "%.20s is not supported", name, tname);
		return (NULL);
	}
	snprintf(err, errlen, "invalid response: %.255s %.20s: bad content, "
	    "priority or data", name, tname);
	return (NULL);
}

/* The canonical wire form of one record, through a scratch zone. */
int
cloudflare_wire(const char *origin, const char *owner, uint16_t type,
    uint32_t ttl, const char *text, uint8_t **wire, uint16_t *len,
    char *err, size_t errlen)
{
	struct zone		*z;
	struct zone_error	 zerr;

	if ((z = zone_new(origin)) == NULL) {
		snprintf(err, errlen, "invalid zone name %s", origin);
		return (-1);
	}
	if (zone_add_rr_text(z, owner, type, ttl, text, &zerr) == -1 ||
	    zone_finish(z, &zerr) == -1 || z->nrrsets != 1 ||
	    z->rrsets[0].nrdata != 1) {
		snprintf(err, errlen, "invalid response: %.400s", zerr.msg);
		zone_free(z);
		return (-1);
	}
	*len = z->rrsets[0].rdata[0].len;
	*wire = xmalloc(*len > 0 ? *len : 1);
	memcpy(*wire, z->rrsets[0].rdata[0].wire, *len);
	zone_free(z);
	return (0);
}

/* --- out ---------------------------------------------------------------- */

/* A record object for a post. */
cJSON *
cloudflare_record_json(const char *origin, const struct rrset *rs,
    const struct rdata *rd, char *err, size_t errlen)
{
	cJSON		*o, *data;
	char		 tname[16], *name, *s, *v;
	const uint8_t	*w = rd->wire;
	unsigned	 a, b, c;
	int		 off;

	(void)origin;
	o = cJSON_CreateObject();
	name = cloudflare_undot(rs->owner);
	cJSON_AddStringToObject(o, "name", name);
	free(name);
	cJSON_AddStringToObject(o, "type", zone_type_name(rs->type, tname,
	    sizeof(tname)));
	cJSON_AddNumberToObject(o, "ttl", rs->ttl);
	switch (rs->type) {
	case LDNS_RR_TYPE_MX:
		if (sscanf(rd->text, "%u %n", &a, &off) != 1)
			goto bad;
		cJSON_AddNumberToObject(o, "priority", a);
		s = cloudflare_undot(rd->text + off);
		cJSON_AddStringToObject(o, "content", s);
		free(s);
		break;
	case LDNS_RR_TYPE_SRV:
		if (sscanf(rd->text, "%u %u %u %n", &a, &b, &c, &off) != 3)
			goto bad;
		data = cJSON_AddObjectToObject(o, "data");
		cJSON_AddNumberToObject(data, "priority", a);
		cJSON_AddNumberToObject(data, "weight", b);
		cJSON_AddNumberToObject(data, "port", c);
		s = cloudflare_undot(rd->text + off);
		cJSON_AddStringToObject(data, "target", s);
		free(s);
		break;
	case LDNS_RR_TYPE_CAA:
		/* flags, tag length, tag, value (RFC 8659) */
		if (rd->len < 2 || (size_t)w[1] + 2 > rd->len)
			goto bad;
		data = cJSON_AddObjectToObject(o, "data");
		cJSON_AddNumberToObject(data, "flags", w[0]);
		xasprintf(&s, "%.*s", (int)w[1], (const char *)w + 2);
		v = xmalloc((size_t)rd->len - w[1] - 2 + 1);
		memcpy(v, w + 2 + w[1], (size_t)rd->len - w[1] - 2);
		v[rd->len - w[1] - 2] = '\0';
		if (strlen(v) != (size_t)rd->len - w[1] - 2 ||
		    strlen(s) != w[1]) {
			free(s);
			free(v);
			goto bad;
		}
		cJSON_AddStringToObject(data, "tag", s);
		cJSON_AddStringToObject(data, "value", v);
		free(s);
		free(v);
		break;
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_PTR:
		s = cloudflare_undot(rd->text);
		cJSON_AddStringToObject(o, "content", s);
		free(s);
		break;
	default:
		/* A, AAAA, TXT (quoted strings, as the API documents) */
		cJSON_AddStringToObject(o, "content", rd->text);
		break;
	}
	if (cloudflare_proxiable(rs->type))
		cJSON_AddFalseToObject(o, "proxied");
	return (o);

bad:
	snprintf(err, errlen, "%s %s: cannot write this record for "
	    "Cloudflare", rs->owner, tname);
	cJSON_Delete(o);
	return (NULL);
}
