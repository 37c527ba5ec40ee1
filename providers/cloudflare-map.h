/*
 * cloudflare-map.h: Cloudflare records to and from RRsets
 * (cloudflare-map.c).  Private to the Cloudflare provider.
 */
#ifndef MULTIDNS_CLOUDFLARE_MAP_H
#define MULTIDNS_CLOUDFLARE_MAP_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct rdata;
struct rrset;

/* A JSON number that is an integer in [lo, hi]: 0, or -1. */
int	 cloudflare_uint(const cJSON *, double lo, double hi, double *out);
/* "www.example.com." -> "www.example.com"; the root stays ".". */
char	*cloudflare_undot(const char *);
/* RFC 1035 quoted strings of at most 255 octets for a raw TXT value. */
char	*cloudflare_txt_quote(const char *);
/* The presentation rdata of one API record, or NULL with err set. */
char	*cloudflare_rdata(const cJSON *rec, uint16_t type, const char *tname,
	    const char *name, char *err, size_t errlen);
/* The canonical wire form of one record; 0, or -1 with err set. */
int	 cloudflare_wire(const char *origin, const char *owner,
	    uint16_t type, uint32_t ttl, const char *text, uint8_t **wire,
	    uint16_t *len, char *err, size_t errlen);
/* A record object for a post, or NULL with err set. */
cJSON	*cloudflare_record_json(const char *origin, const struct rrset *,
	    const struct rdata *, char *err, size_t errlen);

#endif
