/*
 * health.h: the health state machine and latency windows.  Pure logic:
 * no I/O, no clock, no event loop, so that it can be tested alone.
 *
 * One struct health_node per thing watched: a nameserver address (DNS),
 * a provider's aggregate of its nameservers (DNS), a provider's API.
 * Each is fed one observation at a time (for DNS, one per probe cycle:
 * OK, SLOW or FAIL) and moves between states with hysteresis:
 *
 *   UNKNOWN   nothing observed yet
 *   HEALTHY   answering, fast
 *   DEGRADED  a failure below the threshold, or slower than slow-ms, or
 *             coming back from DOWN but slow
 *   DOWN      down-after consecutive failures
 *
 *   from UNKNOWN:  OK -> HEALTHY, SLOW or FAIL -> DEGRADED (or DOWN
 *                  once down-after failures are reached)
 *   from HEALTHY:  FAIL or SLOW -> DEGRADED (falls at once)
 *   from DEGRADED: up-after consecutive OK -> HEALTHY
 *   from DOWN:     up-after consecutive successes (OK or SLOW) -> HEALTHY
 *                  if the last was OK, else DEGRADED
 *   any state:     down-after consecutive FAIL -> DOWN
 *
 * A provider's DNS state is the aggregate of its nameservers (resolvers
 * fail over between them): DOWN when every nameserver is DOWN, HEALTHY
 * when every one is HEALTHY, UNKNOWN when none has been observed (or it
 * has none), else DEGRADED.  It has no hysteresis of its own: it inherits
 * its nameservers'.  API health is fed by reconcile results and kept apart
 * from DNS health.
 *
 * Every transition is passed to the on_transition hook (logging,
 * recording and, later, alerting hang there).
 */
#ifndef MULTIDNS_HEALTH_H
#define MULTIDNS_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#define HEALTH_ERR_MAX		256
#define HEALTH_DOWN_AFTER	3
#define HEALTH_UP_AFTER		2
#define HEALTH_SLOW_MS		500
#define LATENCY_RING		256	/* samples kept per window */

enum health_state {
	HEALTH_UNKNOWN,
	HEALTH_HEALTHY,
	HEALTH_DEGRADED,
	HEALTH_DOWN,
};

enum health_kind {
	HEALTH_KIND_DNS,
	HEALTH_KIND_API,
};

enum health_obs {
	HEALTH_OBS_OK,
	HEALTH_OBS_SLOW,	/* answered, slower than slow_ms */
	HEALTH_OBS_FAIL,
};

struct health_conf {
	unsigned	 down_after;	/* consecutive failures to be DOWN */
	unsigned	 up_after;	/* consecutive successes to rise */
	unsigned	 slow_ms;	/* slower answers are SLOW */
};

struct health_node {
	enum health_state state;
	unsigned	 fails;		/* consecutive failures */
	unsigned	 oks;		/* consecutive successes (OK or SLOW) */
	unsigned	 fast;		/* consecutive OK */
	int64_t		 since;		/* time of the last transition */
	int64_t		 last_ok;
	int64_t		 last_fail;
	uint64_t	 nok;
	uint64_t	 nfail;
	char		 last_error[HEALTH_ERR_MAX];
};

struct health_transition {
	int64_t			 time;
	const char		*provider;
	const char		*nameserver;	/* NULL: the provider's state */
	enum health_kind	 kind;
	enum health_state	 from;
	enum health_state	 to;
	const char		*reason;
};

typedef void (*health_transition_cb)(const struct health_transition *,
    void *arg);

struct health {
	struct health_conf	 conf;
	/* Called for every transition; may be NULL. */
	health_transition_cb	 on_transition;
	void			*arg;
};

/* A window of the last LATENCY_RING samples, in milliseconds. */
struct latency_ring {
	uint32_t	 ms[LATENCY_RING];
	size_t		 n;		/* samples held, <= LATENCY_RING */
	size_t		 next;		/* where the next one goes */
};

/* Nearest-rank quantiles of a window; all 0 when it is empty. */
struct latency_summary {
	size_t		 samples;
	uint32_t	 min;
	uint32_t	 p25;
	uint32_t	 p50;
	uint32_t	 p75;
	uint32_t	 p90;
	uint32_t	 p99;
	uint32_t	 max;
};

void		 health_conf_default(struct health_conf *);
void		 health_node_init(struct health_node *);
/* OK, SLOW or FAIL for an answer (ok) that took latency_ms. */
enum health_obs	 health_classify(const struct health_conf *, int ok,
		    int64_t latency_ms);
/*
 * Feed one observation (error: why it failed or was slow, may be NULL).
 * Returns 1 when the state changed (the hook has run), else 0.
 */
int		 health_observe(struct health *, struct health_node *,
		    const char *provider, const char *nameserver,
		    enum health_kind, enum health_obs, const char *error,
		    int64_t now);
/* The aggregate of n nameserver states (see above). */
enum health_state health_aggregate(const enum health_state *, size_t n);
/*
 * Set a provider's aggregate node to `state`; runs the hook on a change.
 * Returns 1 when the state changed.
 */
int		 health_set(struct health *, struct health_node *,
		    const char *provider, const char *nameserver,
		    enum health_kind, enum health_state, const char *reason,
		    int64_t now);
const char	*health_state_name(enum health_state);
const char	*health_kind_name(enum health_kind);
const char	*health_obs_name(enum health_obs);

void		 latency_init(struct latency_ring *);
void		 latency_add(struct latency_ring *, uint32_t ms);
void		 latency_summarize(const struct latency_ring *,
		    struct latency_summary *);

#endif
