/*
 * probe.h: watch every nameserver of every provider over DNS.
 *
 * The prober knows providers (each with the addresses its nameservers
 * answer at) and zones (each with the providers that serve it, its
 * desired zone and, when known, its desired apex NS RRset).  One cycle
 * (probe_cycle) sends, through dnsio, to every address of every provider
 * of every zone:
 *   - an SOA query: answered (NOERROR, AA, an SOA in the answer) or not,
 *     the serial, and the latency; this is what health is made of;
 *   - an NS query at the apex, compared with the desired apex NS;
 *   - one query per RRset of a rotating sample of the zone (`sample` a
 *     cycle, so that every RRset is checked within ceil(n / sample)
 *     cycles), compared canonically with the desired RRset (rdata and
 *     TTL, through the zone model).  SOA, the apex NS (checked apart),
 *     RRsets matched by an ignore pattern and names at or below a
 *     delegation are not sampled.
 * A cycle ends when every query has answered or timed out; then each
 * address gets one health observation (FAIL if any SOA failed, else OK
 * or SLOW by the slowest SOA answer), each provider its aggregate state,
 * and each sampled RRset one finding per provider: MISMATCH when any of
 * the provider's addresses served something else, MATCH when every
 * address answered and served the desired RRset, nothing otherwise.
 *
 * Queries use dnsio's rules (random id and source port, answers accepted
 * only from the queried address and matching the question; anything else
 * counted and ignored).  Memory is bounded: latency windows are fixed
 * rings, a cycle's state is freed when it ends.
 */
#ifndef MULTIDNS_PROBE_H
#define MULTIDNS_PROBE_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "diff.h"
#include "health.h"
#include "zone.h"

struct event_base;
struct probe;
struct probe_q;

#define PROBE_ADDR_MAX		64	/* "[v6]:port" text */
#define PROBE_SAMPLE_DEFAULT	20
#define PROBE_INTERVAL_DEFAULT	30	/* seconds */
#define PROBE_TIMEOUT_DEFAULT	1000	/* ms per attempt */

enum probe_verdict {
	PROBE_MATCH,		/* every address serves the desired RRset */
	PROBE_MISSING,		/* an address has no such RRset */
	PROBE_CHANGED,		/* an address serves other rdata or TTL */
};

/* One nameserver address of one provider. */
struct probe_target {
	char			 addr[PROBE_ADDR_MAX];
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct health_node	 node;
	struct latency_ring	 lat;		/* SOA answers */
	uint64_t		 queries;	/* sent, since start */
	uint64_t		 failures;	/* SOA queries failed */
	uint64_t		 ignored;	/* answers dnsio ignored */
	uint32_t		 serial;	/* last SOA serial seen */
	int			 have_serial;
	/* The cycle in progress. */
	unsigned		 cyc_soa;	/* SOA queries sent */
	unsigned		 cyc_fail;
	int64_t			 cyc_ms;	/* slowest SOA answer */
	char			 cyc_err[HEALTH_ERR_MAX];
};

struct probe_provider {
	char			*name;
	struct probe_target	*targets;
	size_t			 ntargets;
	struct health_node	 node;		/* aggregate of the targets */
	struct latency_ring	 lat;		/* every target's SOA answers */
	const uint16_t		*types;		/* types it can hold, NULL any */
	size_t			 ntypes;
};

struct probe_finding {
	const char		*zone;
	const char		*provider;
	const char		*nameserver;	/* where it differed, or NULL */
	const char		*owner;
	const char		*type;
	enum probe_verdict	 verdict;
	const char		*desired;	/* "300 a | b" */
	const char		*actual;	/* NULL when missing or match */
};

struct probe_stats {
	uint64_t		 cycle;		/* cycles finished */
	uint64_t		 usec;		/* this cycle, first send to end */
	size_t			 queries;
	size_t			 failed;	/* no acceptable answer */
	size_t			 ignored;	/* answers dnsio ignored */
	size_t			 sampled;	/* RRsets compared */
	size_t			 mismatches;	/* findings that differ */
};

struct probe_ops {
	/* Each sampled RRset (and apex NS) with a verdict; may be NULL. */
	void	(*finding)(struct probe *, const struct probe_finding *,
		    void *arg);
	/* The cycle has ended and health has been updated; may be NULL. */
	void	(*cycle_done)(struct probe *, const struct probe_stats *,
		    void *arg);
};

struct probe_opts {
	unsigned		 timeout_ms;	/* per attempt, 0 = default */
	unsigned		 retries;	/* UDP retries */
	struct health_conf	 health;
	health_transition_cb	 on_transition;	/* may be NULL */
	void			*arg;		/* for ops and on_transition */
};

struct probe	*probe_new(struct event_base *, const struct probe_ops *,
		    const struct probe_opts *);
/* Cancels every query in flight; takes NULL. */
void		 probe_free(struct probe *);
/*
 * A provider and the addresses of its nameservers: IP literals with an
 * optional port (default 53), IPv6 in brackets with a port, separated by
 * spaces or commas; addrs may be NULL or empty (no probe addresses).
 * Returns its index, or -1 with a message in err.
 */
int		 probe_add_provider(struct probe *, const char *name,
		    const char *addrs, char *err, size_t errlen);
/* The provider's record types (borrowed), so unholdable ones are skipped. */
void		 probe_provider_types(struct probe *, size_t provider,
		    const uint16_t *types, size_t ntypes);
/*
 * A zone served by the named providers (added before).  ns_names: the
 * desired apex NS (absolute names), or NULL / 0 to leave it unchecked.
 * ignores are borrowed and must outlive the prober.  The index or -1.
 */
int		 probe_add_zone(struct probe *, const char *origin,
		    unsigned sample, const struct ignore *, size_t nignores,
		    char *const *providers, size_t nproviders,
		    char *const *ns_names, size_t nns, char *err,
		    size_t errlen);
/*
 * The zone's desired content (a reference is taken; NULL = nothing to
 * probe yet).  Setting the same zone again changes nothing.
 */
void		 probe_set_desired(struct probe *, size_t zone, struct zone *);
/*
 * Start a cycle.  -1 when the previous one is still running.  With
 * nothing to query the cycle ends (and cycle_done runs) at once.
 */
int		 probe_cycle(struct probe *);
int		 probe_busy(const struct probe *);
/* Carry health, latency and sample positions from old (matched by name). */
void		 probe_carry(struct probe *, const struct probe *old);

size_t		 probe_nproviders(const struct probe *);
const struct probe_provider *probe_provider(const struct probe *, size_t);
const struct probe_provider *probe_find_provider(const struct probe *,
		    const char *name);
const struct probe_stats *probe_last_stats(const struct probe *);
/* How many RRsets of the zone can be sampled (after set_desired). */
size_t		 probe_zone_sampleable(const struct probe *, size_t zone);
const char	*probe_verdict_name(enum probe_verdict);

#endif
