/*
 * zone.c: the zone model: records in, sorted RRsets out.
 *
 * Every record, whether read from a master file (zone-file.c) or added
 * through zone_add_rr_text, becomes a struct zone_rec in the builder: the
 * owner, TTL and type are checked here and the rdata is handed to ldns.
 * zone_finish sorts them by (owner key, type, rdata), validates the groups
 * and turns them into RRsets.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "log.h"
#include "xmalloc.h"
#include "zone.h"
#include "zone-int.h"

#define NAME_KEY_MAX	512	/* 255 octets, each at most 2 key octets */
#define NO_FILE		UINT32_MAX

/* One record as read, before it is grouped into an RRset. */
struct zone_rec {
	uint8_t		*key;		/* owner in canonical order form */
	char		*owner;		/* owner text */
	uint8_t		*wire;		/* canonical rdata */
	char		*text;		/* rdata presentation */
	size_t		 seq;		/* position in file order */
	uint32_t	 ttl;
	uint32_t	 file;		/* into build->files, or NO_FILE */
	unsigned	 line;
	uint16_t	 keylen;
	uint16_t	 len;
	uint16_t	 type;
};

struct zone_build {
	ldns_rdf	*origin;
	uint8_t		 okey[NAME_KEY_MAX];
	size_t		 okeylen;
	struct zone_rec	*recs;
	size_t		 nrecs;
	size_t		 caprecs;
	char		**files;
	size_t		 nfiles;
	ldns_buffer	*buf;		/* scratch for presentation text */
	char		*line;		/* scratch for ldns input */
	size_t		 linecap;
};

/* --- errors --------------------------------------------------------- */

void
zone_error_set(struct zone_error *err, const char *file, unsigned line,
    const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL)
		return;
	snprintf(err->file, sizeof err->file, "%s", file != NULL ? file : "");
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
}

const char *
zone_error_str(const struct zone_error *err, char *buf, size_t len)
{
	if (err->file[0] == '\0')
		snprintf(buf, len, "%s", err->msg);
	else if (err->line == 0)
		snprintf(buf, len, "%s: %s", err->file, err->msg);
	else
		snprintf(buf, len, "%s:%u: %s", err->file, err->line, err->msg);
	return (buf);
}

static void
where_error(struct zone_error *err, const struct zone_where *w,
    const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
where_error(struct zone_error *err, const struct zone_where *w,
    const char *fmt, ...)
{
	char	msg[sizeof err->msg];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (w->file != NULL)
		zone_error_set(err, w->file, w->line, "%s", msg);
	else
		zone_error_set(err, "", 0, "%.200s %s: %s", w->owner, w->type,
		    msg);
}

/* --- names ------------------------------------------------------------ */

/*
 * The canonical order key of a name in wire form: labels from the right,
 * lower-cased, octets 0 and 1 escaped as 1 0 and 1 1, each label ended by
 * a 0.  memcmp() on two keys is RFC 4034 section 6.1 order.
 */
static size_t
name_key(const uint8_t *w, size_t wlen, uint8_t *key)
{
	size_t	offs[128], nl = 0, i, k = 0, p;
	uint8_t	b;
	int	j;

	for (p = 0; p < wlen && w[p] != 0 && nl < 128; p += w[p] + 1)
		offs[nl++] = p;
	for (i = nl; i-- > 0;) {
		p = offs[i];
		for (j = 1; j <= w[p] && p + j < wlen; j++) {
			b = w[p + j];
			if (b >= 'A' && b <= 'Z')
				b += 'a' - 'A';
			if (b <= 1)
				key[k++] = 1;
			key[k++] = b;
		}
		key[k++] = 0;
	}
	return (k);
}

/* A name in presentation form to wire form; -1 when malformed. */
static int
name_text_wire(const char *s, uint8_t *w, size_t *wlen)
{
	size_t	n = 1, lab = 0;
	int	c;

	w[0] = 0;
	if (strcmp(s, ".") == 0 || *s == '\0') {
		*wlen = 1;
		return (0);
	}
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '.') {
			if (w[lab] == 0 || n >= 255)
				return (-1);
			lab = n;
			w[n++] = 0;
			continue;
		}
		if (c == '\\') {
			if (isdigit((unsigned char)s[1]) &&
			    isdigit((unsigned char)s[2]) &&
			    isdigit((unsigned char)s[3])) {
				c = (s[1] - '0') * 100 + (s[2] - '0') * 10 +
				    (s[3] - '0');
				if (c > 255)
					return (-1);
				s += 3;
			} else if (s[1] != '\0')
				c = (unsigned char)*++s;
			else
				return (-1);
		}
		if (w[lab] == 63 || n >= 255)
			return (-1);
		w[n++] = c;
		w[lab]++;
	}
	if (w[lab] != 0) {
		if (n >= 256)
			return (-1);
		w[n++] = 0;
	}
	*wlen = n;
	return (0);
}

static size_t
name_key_text(const char *s, uint8_t *key, int *ok)
{
	uint8_t	w[256];
	size_t	wlen;

	if (name_text_wire(s, w, &wlen) == -1) {
		*ok = 0;
		return (0);
	}
	*ok = 1;
	return (name_key(w, wlen, key));
}

static int
key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int	r;

	if ((r = memcmp(a, b, alen < blen ? alen : blen)) != 0)
		return (r);
	return (alen < blen ? -1 : alen > blen);
}

/* Parse an absolute name ($ORIGIN, $INCLUDE origin); NULL with msg. */
ldns_rdf *
zone_name_absolute(const char *what, const char *s, char *msg, size_t len)
{
	ldns_rdf	*rdf = NULL;
	ldns_status	 st;

	if (!ldns_dname_str_absolute(s)) {
		snprintf(msg, len, "%s %.100s is not an absolute name", what,
		    s);
		return (NULL);
	}
	if ((st = ldns_str2rdf_dname(&rdf, s)) != LDNS_STATUS_OK) {
		snprintf(msg, len, "bad %s %.100s: %s", what, s,
		    ldns_get_errorstr_by_id(st));
		return (NULL);
	}
	ldns_dname2canonical(rdf);
	return (rdf);
}

/* --- misc ------------------------------------------------------------- */

const char *
zone_type_name(uint16_t type, char *buf, size_t len)
{
	static const char		*meta[] = {
		"TKEY", "TSIG", "IXFR", "AXFR", "MAILB", "MAILA", "ANY"
	};
	const ldns_rr_descriptor	*d;

	d = ldns_rr_descript(type);
	if (d != NULL && d->_type == type && d->_name != NULL)
		snprintf(buf, len, "%s", d->_name);
	else if (type >= 249 && type <= 255)
		snprintf(buf, len, "%s", meta[type - 249]);
	else
		snprintf(buf, len, "TYPE%u", type);
	return (buf);
}

static uint64_t
fnv_add(uint64_t h, const void *p, size_t len)
{
	const uint8_t	*b = p;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return (h);
}

#define FNV_INIT	0xcbf29ce484222325ULL

static uint64_t
rrset_hash(const struct rrset *rs)
{
	uint64_t	h = FNV_INIT;
	uint8_t		b[4];
	size_t		i;

	h = fnv_add(h, rs->owner, strlen(rs->owner) + 1);
	b[0] = rs->type >> 8;
	b[1] = rs->type;
	h = fnv_add(h, b, 2);
	b[0] = rs->ttl >> 24;
	b[1] = rs->ttl >> 16;
	b[2] = rs->ttl >> 8;
	b[3] = rs->ttl;
	h = fnv_add(h, b, 4);
	for (i = 0; i < rs->nrdata; i++) {
		b[0] = rs->rdata[i].len >> 8;
		b[1] = rs->rdata[i].len;
		h = fnv_add(h, b, 2);
		h = fnv_add(h, rs->rdata[i].wire, rs->rdata[i].len);
	}
	return (h);
}

static uint64_t
zone_hash(const struct zone *z)
{
	uint64_t	h = FNV_INIT, v;
	uint8_t		b[8];
	size_t		i;
	int		j;

	h = fnv_add(h, z->origin, strlen(z->origin) + 1);
	for (i = 0; i < z->nrrsets; i++) {
		v = z->rrsets[i].hash;
		for (j = 0; j < 8; j++)
			b[j] = v >> (56 - 8 * j);
		h = fnv_add(h, b, 8);
	}
	return (h);
}

/*
 * Parse a TTL: decimal seconds, or number+unit groups (1h30m, units
 * s m h d w).  0, or -1 with msg.
 */
int
zone_ttl_parse(const char *s, uint32_t *ttl, char *msg, size_t len)
{
	uint64_t	 total = 0, n;
	const char	*p = s;
	int		 units = 0, big = 0;

	if (*p == '-') {
		snprintf(msg, len, "negative TTL %.100s", s);
		return (-1);
	}
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			goto bad;
		for (n = 0; isdigit((unsigned char)*p); p++) {
			n = n * 10 + (*p - '0');
			if (n > ZONE_TTL_MAX)
				big = 1, n = ZONE_TTL_MAX + 1ULL;
		}
		switch (tolower((unsigned char)*p)) {
		case '\0':
			if (units)
				goto bad;
			break;
		case 'w':
			n *= 7;
			/* FALLTHROUGH */
		case 'd':
			n *= 24;
			/* FALLTHROUGH */
		case 'h':
			n *= 60;
			/* FALLTHROUGH */
		case 'm':
			n *= 60;
			/* FALLTHROUGH */
		case 's':
			units = 1;
			p++;
			break;
		default:
			goto bad;
		}
		total += n;
		if (total > ZONE_TTL_MAX)
			big = 1, total = ZONE_TTL_MAX + 1ULL;
		if (!units)
			break;
	}
	if (big) {
		snprintf(msg, len, "TTL %.100s larger than %u", s,
		    ZONE_TTL_MAX);
		return (-1);
	}
	*ttl = total;
	return (0);
bad:
	snprintf(msg, len, "bad TTL %.100s", s);
	return (-1);
}

/* --- builder ---------------------------------------------------------- */

struct zone *
zone_new(const char *origin)
{
	struct zone		*z;
	struct zone_build	*b;
	ldns_rdf		*rdf = NULL;
	char			*abs = NULL;

	if (origin == NULL || *origin == '\0')
		return (NULL);
	if (!ldns_dname_str_absolute(origin))
		xasprintf(&abs, "%s.", origin);
	if (ldns_str2rdf_dname(&rdf, abs != NULL ? abs : origin) !=
	    LDNS_STATUS_OK) {
		free(abs);
		return (NULL);
	}
	free(abs);
	ldns_dname2canonical(rdf);

	z = xcalloc(1, sizeof *z);
	z->refs = 1;
	b = xcalloc(1, sizeof *b);
	b->origin = rdf;
	b->okeylen = name_key(ldns_rdf_data(rdf), ldns_rdf_size(rdf), b->okey);
	if ((b->buf = ldns_buffer_new(256)) == NULL)
		fatalx("zone", "ldns_buffer_new");
	if ((z->origin = ldns_rdf2str(rdf)) == NULL)
		fatalx("zone", "ldns_rdf2str");
	z->build = b;
	return (z);
}

static void
rec_clear(struct zone_rec *r)
{
	free(r->key);
	free(r->owner);
	free(r->wire);
	free(r->text);
}

static void
build_free(struct zone_build *b)
{
	size_t	i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nrecs; i++)
		rec_clear(&b->recs[i]);
	free(b->recs);
	for (i = 0; i < b->nfiles; i++)
		free(b->files[i]);
	free(b->files);
	ldns_rdf_deep_free(b->origin);
	ldns_buffer_free(b->buf);
	free(b->line);
	free(b);
}

struct zone *
zone_ref(struct zone *z)
{
	z->refs++;
	return (z);
}

void
zone_free(struct zone *z)
{
	size_t	i;

	if (z == NULL || --z->refs > 0)
		return;
	for (i = 0; i < z->nrrsets; i++)
		rrset_clear(&z->rrsets[i]);
	free(z->rrsets);
	build_free(z->build);
	free(z->origin);
	free(z);
}

uint32_t
zone_build_add_file(struct zone *z, const char *path)
{
	struct zone_build	*b = z->build;

	b->files = xreallocarray(b->files, b->nfiles + 1, sizeof *b->files);
	b->files[b->nfiles] = xstrdup(path);
	return (b->nfiles++);
}

const char *
zone_build_file(const struct zone *z, uint32_t idx)
{
	return (z->build->files[idx]);
}

const ldns_rdf *
zone_build_origin(const struct zone *z)
{
	return (z->build->origin);
}

static int
type_is_str(ldns_rdf_type t)
{
	return (t == LDNS_RDF_TYPE_STR);
}

static int
type_is_int(ldns_rdf_type t, unsigned long *max)
{
	switch (t) {
	case LDNS_RDF_TYPE_INT8:
	case LDNS_RDF_TYPE_ALG:
	case LDNS_RDF_TYPE_CERTIFICATE_USAGE:
	case LDNS_RDF_TYPE_SELECTOR:
	case LDNS_RDF_TYPE_MATCHING_TYPE:
		*max = 255;
		return (1);
	case LDNS_RDF_TYPE_INT16:
		*max = 65535;
		return (1);
	case LDNS_RDF_TYPE_INT32:
		*max = 4294967295UL;
		return (1);
	default:
		return (0);
	}
}

/* One whitespace-separated token of rdata, quotes and escapes kept. */
static const char *
rdata_token(const char **pp, size_t *len)
{
	const char	*p = *pp, *start;
	int		 q = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return (NULL);
	start = p;
	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '"')
			q = !q;
		else if (!q && (*p == ' ' || *p == '\t'))
			break;
	}
	*len = p - start;
	*pp = p;
	return (start);
}

/*
 * Checks ldns does not make: integers out of range (ldns wraps them) and
 * character strings over 255 octets (ldns says only "could not parse").
 * Walks the leading fields that are one token each.
 */
static int
rdata_precheck(uint16_t type, const char *tname, const char *rdata,
    char *msg, size_t msglen)
{
	const ldns_rr_descriptor	*d;
	const char			*p = rdata, *t;
	ldns_rdf_type			 ft;
	unsigned long			 max, v;
	size_t				 len, i, n, k;
	int				 digits;

	if (strncmp(rdata, "\\#", 2) == 0)
		return (0);
	d = ldns_rr_descript(type);
	if (d == NULL || d->_type != type)
		return (0);
	for (i = 0; i < ldns_rr_descriptor_maximum(d); i++) {
		ft = ldns_rr_descriptor_field_type(d, i);
		if ((t = rdata_token(&p, &len)) == NULL)
			break;
		if (type_is_int(ft, &max)) {
			if (!isdigit((unsigned char)t[0]) && t[0] != '-')
				continue;	/* mnemonic, or ldns says */
			v = 0;
			digits = 1;
			for (k = 0; k < len; k++) {
				if (!isdigit((unsigned char)t[k]))
					digits = 0;
				else if (v <= max)
					v = v * 10 + (t[k] - '0');
			}
			if (!digits || v > max) {
				snprintf(msg, msglen, "bad %s rdata: %.*s is "
				    "not an integer in 0..%lu", tname,
				    (int)(len > 40 ? 40 : len), t, max);
				return (-1);
			}
		} else if (type_is_str(ft)) {
			if (t[0] == '"' && len >= 2 && t[len - 1] == '"') {
				t++;
				len -= 2;
			}
			for (k = 0, n = 0; k < len; k++, n++) {
				if (t[k] != '\\' || k + 1 >= len)
					continue;
				if (k + 3 < len &&
				    isdigit((unsigned char)t[k + 1]) &&
				    isdigit((unsigned char)t[k + 2]) &&
				    isdigit((unsigned char)t[k + 3]))
					k += 3;
				else
					k++;
			}
			if (n > 255) {
				snprintf(msg, msglen, "bad %s rdata: character "
				    "string of %zu octets (more than 255)",
				    tname, n);
				return (-1);
			}
		} else if (ft != LDNS_RDF_TYPE_DNAME &&
		    ft != LDNS_RDF_TYPE_A && ft != LDNS_RDF_TYPE_AAAA &&
		    ft != LDNS_RDF_TYPE_TYPE && ft != LDNS_RDF_TYPE_PERIOD &&
		    ft != LDNS_RDF_TYPE_TIME && ft != LDNS_RDF_TYPE_TAG)
			break;
	}
	return (0);
}

/* 1 when every rdata field of the type is one character string. */
static int
str_fields(uint16_t type)
{
	const ldns_rr_descriptor	*d;

	d = ldns_rr_descript(type);
	return (d != NULL && d->_type == type &&
	    d->_variable == LDNS_RDF_TYPE_STR &&
	    ldns_rr_descriptor_field_type(d, 0) == LDNS_RDF_TYPE_STR);
}

static size_t
count_tokens(const char *p)
{
	size_t	n = 0, len;

	if (strncmp(p, "\\#", 2) == 0)
		return (0);
	while (rdata_token(&p, &len) != NULL)
		n++;
	return (n);
}

static int
type_allowed(uint16_t type)
{
	return (type != 0 && type != LDNS_RR_TYPE_OPT &&
	    (type < 128 || type > 255));
}

/*
 * Add one record: owner (absolute, owned by the caller), type, TTL and the
 * rdata text.  Checks everything that concerns this record alone.
 */
int
zone_build_add(struct zone *z, const ldns_rdf *owner, uint16_t type,
    uint32_t ttl, const char *rdata, const ldns_rdf *rorigin,
    const struct zone_where *w, struct zone_error *err)
{
	struct zone_build	*b = z->build;
	struct zone_rec		*r;
	ldns_rr			*rr = NULL;
	ldns_rdf		*o, *f;
	ldns_status		 st;
	uint8_t			 key[NAME_KEY_MAX];
	char			 tname[16], msg[256], *s;
	size_t			 need, i, wlen, keylen;

	zone_type_name(type, tname, sizeof tname);
	if (!type_allowed(type)) {
		where_error(err, w, "type %s not allowed in a zone", tname);
		return (-1);
	}
	if (ttl > ZONE_TTL_MAX) {
		where_error(err, w, "TTL %u larger than %u", ttl, ZONE_TTL_MAX);
		return (-1);
	}
	if (ldns_rdf_size(owner) > 255) {
		where_error(err, w, "owner name longer than 255 octets");
		return (-1);
	}
	if (ldns_dname_compare(owner, b->origin) != 0 &&
	    !ldns_dname_is_subdomain(owner, b->origin)) {
		s = ldns_rdf2str(owner);
		where_error(err, w, "%.255s is out of zone %s", s != NULL ? s :
		    "?", z->origin);
		free(s);
		return (-1);
	}
	if (b->nrecs >= ZONE_RR_MAX) {
		where_error(err, w, "more than %u records", ZONE_RR_MAX);
		return (-1);
	}
	if (rdata_precheck(type, tname, rdata, msg, sizeof msg) == -1) {
		where_error(err, w, "%s", msg);
		return (-1);
	}

	need = strlen(rdata) + 32;
	if (need > b->linecap) {
		b->line = xreallocarray(b->line, 1, need);
		b->linecap = need;
	}
	snprintf(b->line, b->linecap, ". 0 IN %s %s", tname, rdata);
	st = ldns_rr_new_frm_str(&rr, b->line, 0, rorigin, NULL);
	if (st != LDNS_STATUS_OK) {
		where_error(err, w, "bad %s rdata: %s", tname,
		    ldns_get_errorstr_by_id(st));
		return (-1);
	}
	o = ldns_rr_owner(rr);
	ldns_rdf_deep_free(o);
	if ((o = ldns_rdf_clone(owner)) == NULL)
		fatalx("zone", "ldns_rdf_clone");
	ldns_rr_set_owner(rr, o);
	ldns_rr2canonical(rr);

	if (ldns_rr_rd_count(rr) >= 255 && str_fields(type) &&
	    count_tokens(rdata) > ldns_rr_rd_count(rr)) {
		/* ldns silently drops what does not fit */
		where_error(err, w, "bad %s rdata: more than %zu character "
		    "strings", tname, ldns_rr_rd_count(rr));
		ldns_rr_free(rr);
		return (-1);
	}
	wlen = 0;
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		f = ldns_rr_rdf(rr, i);
		if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME &&
		    ldns_rdf_size(f) > 255) {
			where_error(err, w, "bad %s rdata: name longer than "
			    "255 octets", tname);
			ldns_rr_free(rr);
			return (-1);
		}
		wlen += ldns_rdf_size(f);
	}
	if (wlen > 65535) {
		where_error(err, w, "bad %s rdata: longer than 65535 octets",
		    tname);
		ldns_rr_free(rr);
		return (-1);
	}

	if (b->nrecs == b->caprecs) {
		b->caprecs = b->caprecs == 0 ? 64 : b->caprecs * 2;
		b->recs = xreallocarray(b->recs, b->caprecs, sizeof *b->recs);
	}
	r = &b->recs[b->nrecs];
	memset(r, 0, sizeof *r);
	keylen = name_key(ldns_rdf_data(o), ldns_rdf_size(o), key);
	r->key = xmalloc(keylen);
	memcpy(r->key, key, keylen);
	r->keylen = keylen;
	ldns_buffer_clear(b->buf);
	ldns_rdf2buffer_str(b->buf, o);
	if (!ldns_buffer_status_ok(b->buf))
		fatalx("zone", "ldns_buffer");
	r->owner = xstrndup((const char *)ldns_buffer_begin(b->buf),
	    ldns_buffer_position(b->buf));
	r->type = type;
	r->ttl = ttl;
	r->seq = b->nrecs;
	r->file = w->file != NULL ? w->fileidx : NO_FILE;
	r->line = w->line;
	r->len = wlen;
	r->wire = xmalloc(wlen);
	ldns_buffer_clear(b->buf);
	for (i = 0, wlen = 0; i < ldns_rr_rd_count(rr); i++) {
		f = ldns_rr_rdf(rr, i);
		memcpy(r->wire + wlen, ldns_rdf_data(f), ldns_rdf_size(f));
		wlen += ldns_rdf_size(f);
		if (i > 0)
			ldns_buffer_write_u8(b->buf, ' ');
		ldns_rdf2buffer_str(b->buf, f);
	}
	if (ldns_rr_rd_count(rr) == 0)
		ldns_buffer_printf(b->buf, "\\# 0");
	if (!ldns_buffer_status_ok(b->buf))
		fatalx("zone", "ldns_buffer");
	r->text = xstrndup((const char *)ldns_buffer_begin(b->buf),
	    ldns_buffer_position(b->buf));
	ldns_rr_free(rr);
	b->nrecs++;
	return (0);
}

int
zone_add_rr_text(struct zone *z, const char *owner, uint16_t type,
    uint32_t ttl, const char *rdata, struct zone_error *err)
{
	struct zone_where	 w;
	ldns_rdf		*o = NULL;
	ldns_status		 st;
	char			 tname[16];
	int			 rv;

	zone_type_name(type, tname, sizeof tname);
	memset(&w, 0, sizeof w);
	w.owner = owner;
	w.type = tname;
	if (z->build == NULL) {
		where_error(err, &w, "zone already finished");
		return (-1);
	}
	if (strcmp(owner, "@") == 0)
		o = ldns_rdf_clone(z->build->origin);
	else {
		if ((st = ldns_str2rdf_dname(&o, owner)) != LDNS_STATUS_OK) {
			where_error(err, &w, "bad owner name: %s",
			    ldns_get_errorstr_by_id(st));
			return (-1);
		}
		if (!ldns_dname_str_absolute(owner) &&
		    ldns_dname_cat(o, z->build->origin) != LDNS_STATUS_OK) {
			ldns_rdf_deep_free(o);
			where_error(err, &w, "bad owner name");
			return (-1);
		}
	}
	if (o == NULL)
		fatalx("zone", "ldns_rdf_clone");
	ldns_dname2canonical(o);
	rv = zone_build_add(z, o, type, ttl, rdata, z->build->origin, &w, err);
	ldns_rdf_deep_free(o);
	return (rv);
}

/* --- finish: sort, validate, group ------------------------------------ */

static int
rec_cmp(const void *va, const void *vb)
{
	const struct zone_rec	*a = va, *b = vb;
	int			 r;

	if ((r = key_cmp(a->key, a->keylen, b->key, b->keylen)) != 0)
		return (r);
	if (a->type != b->type)
		return (a->type < b->type ? -1 : 1);
	if ((r = key_cmp(a->wire, a->len, b->wire, b->len)) != 0)
		return (r);
	return (a->seq < b->seq ? -1 : a->seq > b->seq);
}

/* The first validation error in file order wins. */
struct zone_verr {
	struct zone_error	*err;
	const struct zone_build	*b;
	size_t			 seq;
	int			 found;
};

static void
verr_add(struct zone_verr *v, const struct zone_rec *r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
verr_add(struct zone_verr *v, const struct zone_rec *r, const char *fmt, ...)
{
	struct zone_where	w;
	char			msg[400], tname[16];
	va_list			ap;

	if (v->found && r->seq >= v->seq)
		return;
	v->found = 1;
	v->seq = r->seq;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	memset(&w, 0, sizeof w);
	if (r->file != NO_FILE) {
		w.file = v->b->files[r->file];
		w.line = r->line;
	}
	w.owner = r->owner;
	w.type = zone_type_name(r->type, tname, sizeof tname);
	where_error(v->err, &w, "%s", msg);
}

/* Describe where record r is, relative to record cur: "line 5". */
static void
rec_where(const struct zone_build *b, const struct zone_rec *r,
    const struct zone_rec *cur, char *buf, size_t len)
{
	if (r->file == NO_FILE)
		snprintf(buf, len, "record %zu", r->seq + 1);
	else if (r->file == cur->file)
		snprintf(buf, len, "line %u", r->line);
	else
		snprintf(buf, len, "%s:%u", b->files[r->file], r->line);
}

/* Checks within one RRset: recs[i..j) have the same owner and type. */
static void
check_rrset(struct zone_verr *v, struct zone_rec *recs, size_t i, size_t j,
    int apex)
{
	const struct zone_rec	*first = &recs[i], *r, *dt = NULL, *dw = NULL;
	char			 where[600];
	size_t			 k;

	for (k = i; k < j; k++)
		if (recs[k].seq < first->seq)
			first = &recs[k];
	for (k = i; k < j; k++) {
		r = &recs[k];
		if (r->ttl != first->ttl && (dt == NULL || r->seq < dt->seq))
			dt = r;
		if ((r->len != first->len ||
		    memcmp(r->wire, first->wire, r->len) != 0) &&
		    (dw == NULL || r->seq < dw->seq))
			dw = r;
	}
	if (dt != NULL && first->type != LDNS_RR_TYPE_RRSIG) {
		rec_where(v->b, first, dt, where, sizeof where);
		verr_add(v, dt, "TTL %u differs from %u in the same RRset (%s)",
		    dt->ttl, first->ttl, where);
	}
	if (first->type == LDNS_RR_TYPE_SOA) {
		if (!apex)
			verr_add(v, first, "SOA record not at the zone apex");
		if (dw != NULL)
			verr_add(v, dw, "more than one SOA record");
	}
	if (first->type == LDNS_RR_TYPE_CNAME) {
		if (apex)
			verr_add(v, first, "CNAME record at the zone apex");
		if (dw != NULL)
			verr_add(v, dw, "more than one CNAME record at %s",
			    dw->owner);
	}
}

/* Checks within one owner name: recs[i..j). */
static void
check_owner(struct zone_verr *v, struct zone_rec *recs, size_t i, size_t j,
    int apex)
{
	const struct zone_rec	*cname = NULL, *other = NULL, *r;
	size_t			 k;

	for (k = i; k < j; k++) {
		r = &recs[k];
		if (r->type == LDNS_RR_TYPE_CNAME) {
			if (cname == NULL || r->seq < cname->seq)
				cname = r;
		} else if (r->type != LDNS_RR_TYPE_RRSIG &&
		    r->type != LDNS_RR_TYPE_NSEC) {
			if (other == NULL || r->seq < other->seq)
				other = r;
		}
	}
	if (cname == NULL || other == NULL || apex)
		return;
	r = cname->seq > other->seq ? cname : other;
	verr_add(v, r, "CNAME and other data at %s", r->owner);
}

int
zone_finish_soa(struct zone *z, int need_soa, const char *file,
    struct zone_error *err)
{
	struct zone_build	*b = z->build;
	struct zone_rec		*recs;
	struct zone_verr	 v;
	struct rrset		*rs;
	size_t			 i, j, k, o, n, nsets, nsoa = 0;
	uint32_t		 minttl;
	int			 apex;

	if (b == NULL) {
		z->hash = zone_hash(z);
		return (0);
	}
	recs = b->recs;
	if (b->nrecs > 0)
		qsort(recs, b->nrecs, sizeof *recs, rec_cmp);

	memset(&v, 0, sizeof v);
	v.err = err;
	v.b = b;
	nsets = 0;
	for (o = 0; o < b->nrecs; o = j) {
		apex = key_cmp(recs[o].key, recs[o].keylen, b->okey,
		    b->okeylen) == 0;
		for (j = o + 1; j < b->nrecs; j++)
			if (key_cmp(recs[j].key, recs[j].keylen, recs[o].key,
			    recs[o].keylen) != 0)
				break;
		check_owner(&v, recs, o, j, apex);
		for (i = o; i < j; i = k) {
			for (k = i + 1; k < j; k++)
				if (recs[k].type != recs[i].type)
					break;
			check_rrset(&v, recs, i, k, apex);
			if (apex && recs[i].type == LDNS_RR_TYPE_SOA)
				nsoa++;
			nsets++;
		}
	}
	if (v.found)
		return (-1);
	if (need_soa && b->nrecs == 0) {
		zone_error_set(err, file, 0, "no records");
		return (-1);
	}
	if (need_soa && nsoa == 0) {
		zone_error_set(err, file, 0, "no SOA record at the apex");
		return (-1);
	}

	/* Group into RRsets, collapsing duplicates; records move over. */
	z->rrsets = xcalloc(nsets, sizeof *z->rrsets);
	z->nrrsets = 0;
	for (i = 0; i < b->nrecs; i = k) {
		for (k = i + 1; k < b->nrecs; k++)
			if (recs[k].type != recs[i].type ||
			    key_cmp(recs[k].key, recs[k].keylen, recs[i].key,
			    recs[i].keylen) != 0)
				break;
		rs = &z->rrsets[z->nrrsets++];
		rs->owner = recs[i].owner;
		recs[i].owner = NULL;
		rs->type = recs[i].type;
		rs->rdata = xcalloc(k - i, sizeof *rs->rdata);
		minttl = recs[i].ttl;
		for (j = i, n = 0; j < k; j++) {
			if (recs[j].ttl < minttl)
				minttl = recs[j].ttl;
			if (n > 0 && rs->rdata[n - 1].len == recs[j].len &&
			    memcmp(rs->rdata[n - 1].wire, recs[j].wire,
			    recs[j].len) == 0)
				continue;
			rs->rdata[n].wire = recs[j].wire;
			rs->rdata[n].len = recs[j].len;
			rs->rdata[n].text = recs[j].text;
			recs[j].wire = NULL;
			recs[j].text = NULL;
			n++;
		}
		rs->nrdata = n;
		if (n < k - i)
			rs->rdata = xreallocarray(rs->rdata, n,
			    sizeof *rs->rdata);
		rs->ttl = minttl;	/* all equal but for RRSIG */
		rs->hash = rrset_hash(rs);
	}
	build_free(b);
	z->build = NULL;
	z->hash = zone_hash(z);
	return (0);
}

int
zone_finish(struct zone *z, struct zone_error *err)
{
	return (zone_finish_soa(z, 0, "", err));
}

/* --- queries ---------------------------------------------------------- */

int
rrset_cmp_key(const struct rrset *a, const struct rrset *b)
{
	uint8_t	ka[NAME_KEY_MAX], kb[NAME_KEY_MAX];
	size_t	la, lb;
	int	r, oka, okb;

	la = name_key_text(a->owner, ka, &oka);
	lb = name_key_text(b->owner, kb, &okb);
	if (oka && okb)
		r = key_cmp(ka, la, kb, lb);
	else
		r = strcasecmp(a->owner, b->owner);
	if (r != 0)
		return (r < 0 ? -1 : 1);
	if (a->type != b->type)
		return (a->type < b->type ? -1 : 1);
	return (0);
}

const struct rrset *
zone_find(const struct zone *z, const char *owner, uint16_t type)
{
	struct rrset	key;
	size_t		lo = 0, hi = z->nrrsets, mid;
	int		r;

	memset(&key, 0, sizeof key);
	key.owner = (char *)owner;
	key.type = type;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((r = rrset_cmp_key(&key, &z->rrsets[mid])) == 0)
			return (&z->rrsets[mid]);
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (NULL);
}

int
rrset_equal_data(const struct rrset *a, const struct rrset *b)
{
	size_t	i;

	if (a->ttl != b->ttl || a->nrdata != b->nrdata)
		return (0);
	for (i = 0; i < a->nrdata; i++) {
		if (a->rdata[i].len != b->rdata[i].len ||
		    memcmp(a->rdata[i].wire, b->rdata[i].wire,
		    a->rdata[i].len) != 0)
			return (0);
	}
	return (1);
}

struct rrset *
rrset_dup(const struct rrset *rs)
{
	struct rrset	*n;
	size_t		 i;

	n = xcalloc(1, sizeof *n);
	n->owner = xstrdup(rs->owner);
	n->type = rs->type;
	n->ttl = rs->ttl;
	n->hash = rs->hash;
	n->nrdata = rs->nrdata;
	n->rdata = xcalloc(rs->nrdata, sizeof *n->rdata);
	for (i = 0; i < rs->nrdata; i++) {
		n->rdata[i].len = rs->rdata[i].len;
		n->rdata[i].wire = xmalloc(rs->rdata[i].len);
		memcpy(n->rdata[i].wire, rs->rdata[i].wire, rs->rdata[i].len);
		n->rdata[i].text = xstrdup(rs->rdata[i].text);
	}
	return (n);
}

void
rrset_clear(struct rrset *rs)
{
	size_t	i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->nrdata; i++) {
		free(rs->rdata[i].wire);
		free(rs->rdata[i].text);
	}
	free(rs->rdata);
	free(rs->owner);
	memset(rs, 0, sizeof *rs);
}

void
zone_print(const struct zone *z, FILE *fp)
{
	const struct rrset	*rs;
	char			 tname[16];
	size_t			 i, j;

	for (i = 0; i < z->nrrsets; i++) {
		rs = &z->rrsets[i];
		zone_type_name(rs->type, tname, sizeof tname);
		for (j = 0; j < rs->nrdata; j++)
			fprintf(fp, "%s\t%u\tIN\t%s\t%s\n", rs->owner, rs->ttl,
			    tname, rs->rdata[j].text);
	}
}

size_t
zone_count_rrs(const struct zone *z)
{
	size_t	i, n = 0;

	for (i = 0; i < z->nrrsets; i++)
		n += z->rrsets[i].nrdata;
	return (n);
}
