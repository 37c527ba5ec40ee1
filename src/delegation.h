/*
 * delegation.h: ask a zone's parent for its delegation, and the zone's
 * providers for their apex NS, over DNS.
 *
 * For each zone with parent addresses (config `parent'), one check
 * (delegation_check) sends through dnsio, with the prober's rules:
 *   - to every parent address, a non-recursive NS query at the zone name.
 *     The parent answers with a referral: the zone's NS RRset in the
 *     authority section and glue (A/AAAA of the nameserver names) in the
 *     additional section; a parent that is also authoritative for the
 *     zone puts the NS RRset in the answer section, which is read the
 *     same way.  The names of every address that answered are merged.
 *   - to every probe address of every provider of the zone, an NS query
 *     at the apex: the apex NS as that provider serves it (merged over
 *     its addresses; an address that fails is skipped).
 * When every query has answered or timed out, each zone gets a fresh
 * struct lint_delegation (lint.h), which lint_delegation() compares with
 * the providers' configured nameservers.  The check runs from the event
 * loop and never blocks.
 */
#ifndef MULTIDNS_DELEGATION_H
#define MULTIDNS_DELEGATION_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "lint.h"

struct event_base;
struct delegation;

/* The check has ended for every zone; results are in place. */
typedef void	(*delegation_done_cb)(struct delegation *, void *arg);

struct delegation *delegation_new(struct event_base *, unsigned timeout_ms,
		    unsigned retries, delegation_done_cb, void *arg);
/* Cancels every query in flight; takes NULL. */
void		 delegation_free(struct delegation *);
/*
 * A zone and its parent's addresses (IP literals with an optional port,
 * default 53, separated by spaces or commas).  The index, or -1 with a
 * message in err.
 */
int		 delegation_add_zone(struct delegation *, const char *origin,
		    const char *parent, char *err, size_t errlen);
/* A provider of the zone and its probe addresses (NULL: not asked). */
int		 delegation_add_provider(struct delegation *, size_t zone,
		    const char *name, const char *addrs, char *err,
		    size_t errlen);
/* Start a check of every zone; -1 when one is running. */
int		 delegation_check(struct delegation *);
int		 delegation_busy(const struct delegation *);
size_t		 delegation_nzones(const struct delegation *);
const char	*delegation_zone_name(const struct delegation *, size_t);
/* The last result of the zone, or NULL (not checked yet, unknown zone). */
const struct lint_delegation *delegation_result(const struct delegation *,
		    const char *zone);
/*
 * Findings already reported for the zone: delegation_reported() is 1 when
 * message is among those of the last delegation_set_reported().
 */
int		 delegation_reported(const struct delegation *, size_t zone,
		    const char *message);
void		 delegation_set_reported(struct delegation *, size_t zone,
		    char *const *messages, size_t n);
/* Carry results and reported findings from old (matched by zone name). */
void		 delegation_carry(struct delegation *, const struct delegation *);

/*
 * Read a parent's answer (pure, for tests): the NS names of origin from
 * the answer or authority section (lower-case, absolute, sorted, without
 * duplicates) and the names among them with an A or AAAA record in the
 * additional section.  0, or -1 with the reason in err (an error rcode,
 * no NS RRset for origin).
 */
int		 delegation_parse(const ldns_pkt *, const char *origin,
		    char ***ns, size_t *nns, char ***glue, size_t *nglue,
		    char *err, size_t errlen);

#endif
