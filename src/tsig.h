/*
 * tsig.h: what dnsio.c and tsig.c share.  Private to those two files; the
 * public TSIG functions (dnsio_tsig_new, _free, _sign) are in dnsio.h.
 */
#ifndef MULTIDNS_TSIG_H
#define MULTIDNS_TSIG_H

#include <stddef.h>
#include <stdint.h>

#define DNSIO_MSG_MAX		65535	/* one DNS message */
#define DNSIO_MAC_MAX		64	/* SHA-512 */

struct dnsio_tsig;

static inline void
dnsio_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline uint16_t
dnsio_get16(const uint8_t *p)
{
	return ((uint16_t)(p[0] << 8 | p[1]));
}

/* tsig.c */
int	dnsio_tsig_sign_wire(const struct dnsio_tsig *, uint8_t **, size_t *,
	    uint8_t *, size_t *);
int	dnsio_tsig_check(const struct dnsio_tsig *, uint8_t *, size_t *,
	    const uint8_t *, size_t, const uint8_t *, size_t, int, int *,
	    char *, size_t);

#endif
