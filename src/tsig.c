/*
 * tsig.c: TSIG (RFC 8945) for dnsio: keys, signing a query, verifying
 * answers and the messages of a zone transfer.
 */
#include "autoconf.h"

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ldns/ldns.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "dnsio.h"
#include "log.h"
#include "tsig.h"
#include "xmalloc.h"

#define DNSIO_NAME_WIRE_MAX	255

struct dnsio_tsig {
	char		*name;		/* presentation, absolute */
	uint8_t		 name_wire[DNSIO_NAME_WIRE_MAX];	/* canonical */
	size_t		 name_len;
	uint8_t		 alg_wire[DNSIO_NAME_WIRE_MAX];
	size_t		 alg_len;
	const char	*digest;	/* OpenSSL digest name */
	size_t		 mac_len;
	uint8_t		*key;
	size_t		 key_len;
};

static const struct {
	const char	*name;		/* config name */
	const char	*wire;		/* algorithm name on the wire */
	const char	*digest;
	size_t		 mac_len;
} tsig_algs[] = {
	{ "hmac-md5", "hmac-md5.sig-alg.reg.int.", "MD5", 16 },
	{ "hmac-sha1", "hmac-sha1.", "SHA1", 20 },
	{ "hmac-sha224", "hmac-sha224.", "SHA224", 28 },
	{ "hmac-sha256", "hmac-sha256.", "SHA256", 32 },
	{ "hmac-sha384", "hmac-sha384.", "SHA384", 48 },
	{ "hmac-sha512", "hmac-sha512.", "SHA512", 64 },
};

/* Canonical (lower-case, uncompressed) wire form of a name; 0 or -1. */
static int
dnsio_name_wire(const char *name, uint8_t *out, size_t *len)
{
	ldns_rdf	*rdf = NULL;
	size_t		 n;

	if (ldns_str2rdf_dname(&rdf, name) != LDNS_STATUS_OK || rdf == NULL)
		return (-1);
	ldns_dname2canonical(rdf);
	n = ldns_rdf_size(rdf);
	if (n > DNSIO_NAME_WIRE_MAX) {
		ldns_rdf_deep_free(rdf);
		return (-1);
	}
	memcpy(out, ldns_rdf_data(rdf), n);
	*len = n;
	ldns_rdf_deep_free(rdf);
	return (0);
}

/* Strict base64 (whitespace allowed); decoded length or -1. */
static int
dnsio_b64_decode(const char *s, uint8_t *out, size_t outlen)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char		*c;
	uint32_t		 acc = 0;
	size_t			 n = 0, bits = 0, pad = 0;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			continue;
		if (*s == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (c = strchr(tab, *s)) == NULL)
			return (-1);
		acc = (acc << 6) | (uint32_t)(c - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == outlen)
				return (-1);
			out[n++] = (acc >> bits) & 0xff;
		}
	}
	if (pad > 2 || bits >= 6 || (acc & ((1U << bits) - 1)) != 0)
		return (-1);
	return (n > 0x7fffffff ? -1 : (int)n);
}

struct dnsio_tsig *
dnsio_tsig_new(const char *name, const char *algorithm, const char *secret,
    char *err, size_t errlen)
{
	struct dnsio_tsig	*t;
	size_t			 i, slen;
	int			 n;

	t = xcalloc(1, sizeof(*t));
	for (i = 0; i < sizeof(tsig_algs) / sizeof(tsig_algs[0]); i++) {
		if (strcasecmp(algorithm, tsig_algs[i].name) == 0 ||
		    strcasecmp(algorithm, tsig_algs[i].wire) == 0)
			break;
	}
	if (i == sizeof(tsig_algs) / sizeof(tsig_algs[0])) {
		snprintf(err, errlen, "unknown TSIG algorithm '%.64s'",
		    algorithm);
		goto fail;
	}
	t->digest = tsig_algs[i].digest;
	t->mac_len = tsig_algs[i].mac_len;
	if (dnsio_name_wire(tsig_algs[i].wire, t->alg_wire, &t->alg_len) != 0)
		fatalx("dnsio", "TSIG algorithm name");
	if (dnsio_name_wire(name, t->name_wire, &t->name_len) != 0) {
		snprintf(err, errlen, "bad TSIG key name '%.255s'", name);
		goto fail;
	}
	slen = strlen(secret);
	t->key = xmalloc(slen + 1);
	n = dnsio_b64_decode(secret, t->key, slen + 1);
	if (n <= 0) {
		snprintf(err, errlen, "TSIG key %.255s: secret is not valid "
		    "base64", name);
		goto fail;
	}
	t->key_len = (size_t)n;
	t->name = xstrdup(name);
	return (t);
fail:
	dnsio_tsig_free(t);
	return (NULL);
}

void
dnsio_tsig_free(struct dnsio_tsig *t)
{
	if (t == NULL)
		return;
	if (t->key != NULL) {
		explicit_bzero(t->key, t->key_len);
		free(t->key);
	}
	free(t->name);
	free(t);
}

struct dnsio_tsig_vars {
	uint64_t	 time;		/* 48 bits */
	uint16_t	 fudge;
	uint16_t	 error;
	const uint8_t	*other;
	uint16_t	 other_len;
};

/*
 * The MAC over: the prior MAC (2-byte length + MAC) if any, `pre` (earlier
 * unsigned messages, as received), the message `msg` (without its TSIG RR)
 * with id and arcount replaced, and the TSIG variables (all of them, or
 * only the timers for later messages of a stream).
 */
static int
dnsio_tsig_mac(const struct dnsio_tsig *t, const uint8_t *prior,
    size_t prior_len, const uint8_t *pre, size_t pre_len, const uint8_t *msg,
    size_t msg_len, uint16_t id, uint16_t arcount, int timers_only,
    const struct dnsio_tsig_vars *v, uint8_t *out, size_t *out_len)
{
	EVP_MAC		*mac;
	EVP_MAC_CTX	*ctx;
	OSSL_PARAM	 params[2];
	uint8_t		 hdr[12], b[16];
	size_t		 len;
	int		 ok;

	if (msg_len < 12)
		return (-1);
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return (-1);
	if ((ctx = EVP_MAC_CTX_new(mac)) == NULL) {
		EVP_MAC_free(mac);
		return (-1);
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)t->digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	memcpy(hdr, msg, 12);
	hdr[0] = id >> 8;
	hdr[1] = id & 0xff;
	hdr[10] = arcount >> 8;
	hdr[11] = arcount & 0xff;
	ok = EVP_MAC_init(ctx, t->key, t->key_len, params);
	if (ok && prior_len > 0)
		ok = EVP_MAC_update(ctx, prior, prior_len);
	if (ok && pre_len > 0)
		ok = EVP_MAC_update(ctx, pre, pre_len);
	if (ok)
		ok = EVP_MAC_update(ctx, hdr, 12);
	if (ok && msg_len > 12)
		ok = EVP_MAC_update(ctx, msg + 12, msg_len - 12);
	if (ok && !timers_only) {
		ok = EVP_MAC_update(ctx, t->name_wire, t->name_len);
		b[0] = 0; b[1] = LDNS_RR_CLASS_ANY;	/* class */
		b[2] = b[3] = b[4] = b[5] = 0;		/* TTL */
		if (ok)
			ok = EVP_MAC_update(ctx, b, 6);
		if (ok)
			ok = EVP_MAC_update(ctx, t->alg_wire, t->alg_len);
	}
	b[0] = (v->time >> 40) & 0xff;
	b[1] = (v->time >> 32) & 0xff;
	b[2] = (v->time >> 24) & 0xff;
	b[3] = (v->time >> 16) & 0xff;
	b[4] = (v->time >> 8) & 0xff;
	b[5] = v->time & 0xff;
	b[6] = v->fudge >> 8;
	b[7] = v->fudge & 0xff;
	b[8] = v->error >> 8;
	b[9] = v->error & 0xff;
	b[10] = v->other_len >> 8;
	b[11] = v->other_len & 0xff;
	if (ok)
		ok = EVP_MAC_update(ctx, b, timers_only ? 8 : 12);
	if (ok && !timers_only && v->other_len > 0)
		ok = EVP_MAC_update(ctx, v->other, v->other_len);
	len = 0;
	if (ok)
		ok = EVP_MAC_final(ctx, out, &len, DNSIO_MAC_MAX);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	if (!ok || len != t->mac_len)
		return (-1);
	*out_len = len;
	return (0);
}

/*
 * Sign the message in *wire (allocated, *len bytes, room not needed):
 * appends the TSIG RR and bumps ARCOUNT.  The MAC (2-byte length + MAC)
 * goes to mac_out for verifying the answer.  0 or -1.
 */
int
dnsio_tsig_sign_wire(const struct dnsio_tsig *t, uint8_t **wire, size_t *len,
    uint8_t *mac_out, size_t *mac_out_len)
{
	struct dnsio_tsig_vars	 v;
	uint8_t			 mac[DNSIO_MAC_MAX], *w, *p;
	size_t			 maclen, rdlen, need;
	uint16_t		 id, ar;

	w = *wire;
	if (*len < 12)
		return (-1);
	id = dnsio_get16(w);
	ar = dnsio_get16(w + 10);
	memset(&v, 0, sizeof(v));
	v.time = (uint64_t)time(NULL);
	v.fudge = DNSIO_TSIG_FUDGE;
	if (dnsio_tsig_mac(t, NULL, 0, NULL, 0, w, *len, id, ar, 0, &v, mac,
	    &maclen) != 0)
		return (-1);
	rdlen = t->alg_len + 6 + 2 + 2 + maclen + 2 + 2 + 2;
	need = *len + t->name_len + 10 + rdlen;
	if (need > DNSIO_MSG_MAX)
		return (-1);
	w = xreallocarray(w, 1, need);
	p = w + *len;
	memcpy(p, t->name_wire, t->name_len);
	p += t->name_len;
	dnsio_put16(p, LDNS_RR_TYPE_TSIG);
	dnsio_put16(p + 2, LDNS_RR_CLASS_ANY);
	memset(p + 4, 0, 4);
	dnsio_put16(p + 8, (uint16_t)rdlen);
	p += 10;
	memcpy(p, t->alg_wire, t->alg_len);
	p += t->alg_len;
	p[0] = 0; p[1] = 0;
	p[2] = (v.time >> 24) & 0xff;
	p[3] = (v.time >> 16) & 0xff;
	p[4] = (v.time >> 8) & 0xff;
	p[5] = v.time & 0xff;
	p += 6;
	dnsio_put16(p, v.fudge);
	dnsio_put16(p + 2, (uint16_t)maclen);
	p += 4;
	memcpy(p, mac, maclen);
	p += maclen;
	dnsio_put16(p, id);
	dnsio_put16(p + 2, 0);		/* error */
	dnsio_put16(p + 4, 0);		/* other len */
	dnsio_put16(w + 10, ar + 1);
	*wire = w;
	*len = need;
	dnsio_put16(mac_out, (uint16_t)maclen);
	memcpy(mac_out + 2, mac, maclen);
	*mac_out_len = maclen + 2;
	return (0);
}

int
dnsio_tsig_sign(const struct dnsio_tsig *t, ldns_pkt *pkt)
{
	uint8_t		*wire = NULL, mac[2 + DNSIO_MAC_MAX];
	size_t		 len, maclen;
	ldns_pkt	*signed_pkt = NULL;
	ldns_rr		*rr;

	if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK)
		return (-1);
	/* ldns allocates with malloc, as does xreallocarray. */
	if (dnsio_tsig_sign_wire(t, &wire, &len, mac, &maclen) != 0) {
		free(wire);
		return (-1);
	}
	if (ldns_wire2pkt(&signed_pkt, wire, len) != LDNS_STATUS_OK) {
		free(wire);
		return (-1);
	}
	free(wire);
	rr = ldns_pkt_tsig(signed_pkt);
	ldns_pkt_set_tsig(signed_pkt, NULL);
	ldns_rr_free(ldns_pkt_tsig(pkt));
	ldns_pkt_set_tsig(pkt, rr);
	ldns_pkt_free(signed_pkt);
	return (rr != NULL ? 0 : -1);
}

/* Skip a (possibly compressed) name; new offset or 0. */
static size_t
dnsio_skip_name(const uint8_t *w, size_t len, size_t pos)
{
	while (pos < len) {
		if (w[pos] == 0)
			return (pos + 1);
		if ((w[pos] & 0xc0) == 0xc0)
			return (pos + 2 <= len ? pos + 2 : 0);
		if ((w[pos] & 0xc0) != 0)
			return (0);
		pos += (size_t)w[pos] + 1;
	}
	return (0);
}

/*
 * Find the TSIG RR at the end of a message.  Returns its offset, or 0 when
 * the last RR is not a TSIG (or the message does not parse).
 */
static size_t
dnsio_tsig_find(const uint8_t *w, size_t len)
{
	size_t		 pos = 12, i, n, last = 0;
	uint16_t	 qd, rrs;

	if (len < 12)
		return (0);
	qd = dnsio_get16(w + 4);
	n = (size_t)dnsio_get16(w + 6) + dnsio_get16(w + 8) +
	    dnsio_get16(w + 10);
	if (n == 0)
		return (0);
	for (i = 0; i < qd; i++) {
		if ((pos = dnsio_skip_name(w, len, pos)) == 0 || pos + 4 > len)
			return (0);
		pos += 4;
	}
	rrs = 0;
	for (i = 0; i < n; i++) {
		last = pos;
		if ((pos = dnsio_skip_name(w, len, pos)) == 0 ||
		    pos + 10 > len)
			return (0);
		pos += 10 + dnsio_get16(w + pos + 8);
		if (pos > len)
			return (0);
		rrs++;
	}
	if (pos != len || rrs == 0)
		return (0);
	pos = dnsio_skip_name(w, len, last);
	if (dnsio_get16(w + pos) != LDNS_RR_TYPE_TSIG)
		return (0);
	return (last);
}

/*
 * Verify the TSIG of one message.  first: the answer to our query (all
 * variables, prior MAC = the query's); otherwise a later message of a
 * stream (timers only, prior MAC = the last signed message's, covering
 * the unsigned messages since, pre).  prior (2 + DNSIO_MAC_MAX bytes) and
 * *prior_len become this message's MAC when it verifies; for the first
 * message *tsig_error gets the TSIG error field.  Returns 1 verified,
 * 0 unsigned, -1 bad (why says why).
 */
int
dnsio_tsig_check(const struct dnsio_tsig *t, uint8_t *prior,
    size_t *prior_len, const uint8_t *pre, size_t pre_len, const uint8_t *w,
    size_t len, int first, int *tsig_error, char *why, size_t whylen)
{
	struct dnsio_tsig_vars	 v;
	ldns_rdf		*name = NULL, *ours = NULL;
	uint8_t			 mac[DNSIO_MAC_MAX];
	size_t			 off, pos, alg_end, maclen, mylen;
	const uint8_t		*theirs;
	uint16_t		 origid, rdlen;
	int64_t			 skew;
	int			 same;

	if ((off = dnsio_tsig_find(w, len)) == 0)
		return (0);
	/* The key name must be ours (compression is not allowed here). */
	pos = off;
	if (ldns_wire2dname(&name, w, len, &pos) != LDNS_STATUS_OK) {
		snprintf(why, whylen, "bad TSIG owner");
		return (-1);
	}
	ours = ldns_dname_new_frm_data(t->name_len, t->name_wire);
	same = ours != NULL && ldns_dname_compare(name, ours) == 0;
	ldns_rdf_deep_free(name);
	ldns_rdf_deep_free(ours);
	if (!same) {
		snprintf(why, whylen, "signed with another key");
		return (-1);
	}
	rdlen = dnsio_get16(w + pos + 8);
	pos += 10;
	if (pos + rdlen != len) {
		snprintf(why, whylen, "bad TSIG length");
		return (-1);
	}
	alg_end = pos + t->alg_len;
	if (alg_end > len || memcmp(w + pos, t->alg_wire, t->alg_len) != 0) {
		/* case-insensitive compare of the algorithm name */
		if (alg_end > len || strncasecmp((const char *)w + pos,
		    (const char *)t->alg_wire, t->alg_len) != 0) {
			snprintf(why, whylen, "another TSIG algorithm");
			return (-1);
		}
	}
	pos = alg_end;
	if (pos + 10 > len) {
		snprintf(why, whylen, "short TSIG");
		return (-1);
	}
	memset(&v, 0, sizeof(v));
	v.time = (uint64_t)dnsio_get16(w + pos) << 32 |
	    (uint64_t)dnsio_get16(w + pos + 2) << 16 | dnsio_get16(w + pos + 4);
	v.fudge = dnsio_get16(w + pos + 6);
	maclen = dnsio_get16(w + pos + 8);
	pos += 10;
	if (pos + maclen + 6 > len) {
		snprintf(why, whylen, "short TSIG");
		return (-1);
	}
	theirs = w + pos;
	pos += maclen;
	origid = dnsio_get16(w + pos);
	v.error = dnsio_get16(w + pos + 2);
	v.other_len = dnsio_get16(w + pos + 4);
	pos += 6;
	if (pos + v.other_len != len) {
		snprintf(why, whylen, "bad TSIG length");
		return (-1);
	}
	v.other = w + pos;
	if (first)
		*tsig_error = v.error;
	if (v.error != 0) {
		snprintf(why, whylen, "server reported TSIG error %s",
		    v.error == 16 ? "BADSIG" : v.error == 17 ? "BADKEY" :
		    v.error == 18 ? "BADTIME" : v.error == 22 ? "BADTRUNC" :
		    "(other)");
		return (-1);
	}
	if (maclen != t->mac_len) {
		snprintf(why, whylen, "MAC size %zu, expected %zu", maclen,
		    t->mac_len);
		return (-1);
	}
	if (dnsio_tsig_mac(t, prior, *prior_len, first ? NULL : pre,
	    first ? 0 : pre_len, w, off, origid,
	    (uint16_t)(dnsio_get16(w + 10) - 1), !first, &v, mac,
	    &mylen) != 0) {
		snprintf(why, whylen, "cannot compute MAC");
		return (-1);
	}
	if (CRYPTO_memcmp(mac, theirs, mylen) != 0) {
		snprintf(why, whylen, "bad MAC");
		return (-1);
	}
	skew = (int64_t)time(NULL) - (int64_t)v.time;
	if (skew > v.fudge || -skew > v.fudge) {
		snprintf(why, whylen, "time signed is %lld s off",
		    (long long)skew);
		return (-1);
	}
	dnsio_put16(prior, (uint16_t)mylen);
	memcpy(prior + 2, mac, mylen);
	*prior_len = mylen + 2;
	return (1);
}
