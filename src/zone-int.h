/*
 * zone-int.h: what zone.c (the model and builder) and zone-file.c (the
 * master-file reader) share.  Private to those two files.
 */
#ifndef MULTIDNS_ZONE_INT_H
#define MULTIDNS_ZONE_INT_H

#include <stdint.h>

#include <ldns/ldns.h>

#include "zone.h"

/* Where a record came from, for error messages. */
struct zone_where {
	const char	*file;		/* NULL for the builder */
	uint32_t	 fileidx;
	unsigned	 line;
	const char	*owner;		/* text, for the builder */
	const char	*type;
};

/* zone.c */
ldns_rdf	*zone_name_absolute(const char *, const char *, char *, size_t);
int		 zone_ttl_parse(const char *, uint32_t *, char *, size_t);
uint32_t	 zone_build_add_file(struct zone *, const char *);
const char	*zone_build_file(const struct zone *, uint32_t);
const ldns_rdf	*zone_build_origin(const struct zone *);
int		 zone_build_add(struct zone *, const ldns_rdf *, uint16_t,
		    uint32_t, const char *, const ldns_rdf *,
		    const struct zone_where *, struct zone_error *);
int		 zone_finish_soa(struct zone *, int, const char *,
		    struct zone_error *);

#endif
